"""The book-wide English / 中文 glossary, gathered from the chapters' own glossaries.

Each chapter ends with a Sphinx glossary whose entries name a term in English and in Chinese,
one per line, followed by the definition::

    ```{glossary}
    entropy
    熵
      The average surprise of a distribution, $H(X) = -\\sum_x p(x)\\log p(x)$.
    ```

Both names become targets of the ``{term}`` role.  The directive ``{book-glossary}`` (on the
Glossary page) lists every entry of every chapter, sorted by its English name, with its
Chinese name, its definition and a link back to the chapter that defines it.  A term is
written once, in its chapter; the Glossary page is built from those entries.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

HAN = re.compile(r"[\u4e00-\u9fff]")


class book_glossary(nodes.General, nodes.Element):
    """Placeholder, replaced by the gathered glossary when the page is written."""


class BookGlossaryDirective(SphinxDirective):
    has_content = False

    def run(self):
        self.env.book_glossary_pages = getattr(self.env, "book_glossary_pages", set())
        self.env.book_glossary_pages.add(self.env.docname)
        return [book_glossary()]


def _split_names(terms: list[nodes.term]) -> tuple[list[nodes.term], list[nodes.term]]:
    english = [t for t in terms if not HAN.search(t.astext())]
    chinese = [t for t in terms if HAN.search(t.astext())]
    return english, chinese


def collect(app, doctree):
    """Remember every glossary entry of this document (terms, their ids, the definition)."""
    env = app.env
    entries = []
    for glossary in doctree.findall(addnodes.glossary):
        for item in glossary.findall(nodes.definition_list_item):
            terms = [t for t in item.children if isinstance(t, nodes.term)]
            definition = next((d for d in item.children if isinstance(d, nodes.definition)), None)
            if not terms or definition is None:
                continue
            english, chinese = _split_names(terms)
            entries.append({
                "english": [t.astext() for t in english],
                "chinese": [t.astext() for t in chinese],
                "anchor": (english or terms)[0]["ids"][0] if (english or terms)[0]["ids"] else "",
                "definition": definition.deepcopy(),
            })
    if not hasattr(env, "book_glossary"):
        env.book_glossary = {}
    if entries:
        env.book_glossary[env.docname] = entries
    else:
        env.book_glossary.pop(env.docname, None)


def purge(app, env, docname):
    getattr(env, "book_glossary", {}).pop(docname, None)
    getattr(env, "book_glossary_pages", set()).discard(docname)


def merge(app, env, docnames, other):
    env.book_glossary = {**getattr(env, "book_glossary", {}), **getattr(other, "book_glossary", {})}
    env.book_glossary_pages = (getattr(env, "book_glossary_pages", set())
                               | getattr(other, "book_glossary_pages", set()))


def outdated(app, env, added, changed, removed):
    """The Glossary page is rebuilt whenever a chapter changes."""
    if added or changed or removed:
        return sorted(getattr(env, "book_glossary_pages", set()))
    return []


def needs_math(app, env):
    """The Glossary page shows the chapters' formulas: load MathJax there."""
    equations = env.get_domain("math").data["has_equations"]
    for docname in getattr(env, "book_glossary_pages", set()):
        equations[docname] = True
    return []


class FillBookGlossary(SphinxPostTransform):
    """Replace the placeholder with a table; runs before references are resolved."""

    default_priority = 5  # the ReferencesResolver runs at 10: {term} links in definitions resolve

    def run(self, **kwargs):
        placeholders = list(self.document.findall(book_glossary))
        if not placeholders:
            return
        env, builder = self.env, self.app.builder
        rows = []
        for docname, entries in getattr(env, "book_glossary", {}).items():
            title = env.titles[docname].astext() if docname in env.titles else docname
            for entry in entries:
                rows.append((entry["english"][0].lower() if entry["english"] else "", docname,
                             title, entry))
        rows.sort(key=lambda r: (r[0], r[1]))

        table = nodes.table(classes=["book-glossary"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (18, 10, 52, 20):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row([nodes.Text(t) for t in ("English", "中文", "Meaning", "Defined in")])
        body = nodes.tbody()
        group += body
        for _, docname, title, entry in rows:
            uri = builder.get_relative_uri(self.env.docname, docname)
            term = nodes.reference("", "", internal=True, refuri=f"{uri}#{entry['anchor']}")
            term += nodes.strong(text=", ".join(entry["english"]))
            chapter = nodes.reference("", title, internal=True, refuri=uri)
            definition = entry["definition"].deepcopy()
            for xref in definition.findall(addnodes.pending_xref):
                xref["refdoc"] = self.env.docname  # links resolve from the Glossary page
            body += self._row([term, nodes.Text("、".join(entry["chinese"])),
                               *definition.children, chapter], definition_cell=2)
        for placeholder in placeholders:
            placeholder.replace_self(table.deepcopy() if len(placeholders) > 1 else table)

    @staticmethod
    def _row(cells, definition_cell=None):
        row = nodes.row()
        if definition_cell is not None:  # the definition may span several paragraphs
            head, tail = cells[:definition_cell], cells[definition_cell:]
            definition, rest = tail[:-1], tail[-1:]
            cells = [*head, definition, *rest]
        for content in cells:
            entry = nodes.entry()
            parts = content if isinstance(content, list) else [content]
            for part in parts:
                if isinstance(part, (nodes.Text, nodes.Inline, nodes.reference)):
                    paragraph = nodes.paragraph()
                    paragraph += part
                    entry += paragraph
                else:
                    entry += part
            row += entry
        return row


def setup(app):
    app.add_node(book_glossary)
    app.add_directive("book-glossary", BookGlossaryDirective)
    app.connect("doctree-read", collect)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-outdated", outdated)
    app.connect("env-updated", needs_math)
    app.add_post_transform(FillBookGlossary)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0",
            "env_version": 1}
