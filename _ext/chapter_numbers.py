"""Number equations, theorems, definitions and figures per chapter: (1.3), Theorem 8.2.

The book's chapters carry their number in their file name (``chapters/08_diffusion``) and in
their title, so the table of contents is not numbered, and Sphinx would count equations and
theorem-like environments through the whole book: (1), (2), ... across chapters.  After Sphinx
has assigned those numbers, this extension renumbers every enumerable object of a chapter as
(chapter, n), in the order the chapter shows them.  Sphinx uses these numbers both for the
label beside an object and for every reference to it (``{eq}``, ``{prf:ref}``, ``{numref}``),
so a reference in Chapter 8 to an equation of Chapter 1 reads "(1.4)".  Pages that are not
chapters keep plain numbers.
"""

from __future__ import annotations

import re

CHAPTER = re.compile(r"^chapters/(\d+)_")


def chapter_number(docname: str) -> int | None:
    match = CHAPTER.match(docname)
    return int(match.group(1)) if match else None


def renumber(app, env) -> list[str]:
    for docname, by_type in env.toc_fignumbers.items():
        chapter = chapter_number(docname)
        if chapter is None:
            continue
        for figtype, numbers in by_type.items():
            ordered = sorted(numbers, key=lambda ident: numbers[ident])
            by_type[figtype] = {ident: (chapter, k) for k, ident in enumerate(ordered, start=1)}
    return []


def setup(app):
    # after Sphinx's own TocTreeCollector (priority 500) has assigned the numbers
    app.connect("env-get-updated", renumber, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
