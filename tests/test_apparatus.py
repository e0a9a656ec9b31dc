"""The book's apparatus: citations, glossary, exam index, numbered environments and quizzes.

Source checks run on the MyST files; checks of the built pages read ``_build/html`` (``make
test`` builds the book first; set ``BOOK_SITE`` to check a site built elsewhere).
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("BOOK_SITE") or ROOT / "_build" / "html").resolve()
ALL_CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
# Every chapter carries the full apparatus (numbered equations, theorem environments,
# citations, the glossary directive, a quiz) from its first commit.
CHAPTERS = ALL_CHAPTERS
SOURCES = [ROOT / "intro.md", ROOT / "exam.md", ROOT / "glossary.md", ROOT / "bibliography.md",
           *ALL_CHAPTERS]
HAN = re.compile(r"[\u4e00-\u9fff]")
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def bib_keys() -> list[str]:
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    return re.findall(r"^@\w+\{([^,\s]+),", text, re.M)


def cited_keys(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return {key.strip() for group in CITE.findall(text) for key in group.split(",")}


def glossary_entries(path: Path) -> list[list[str]]:
    """The names (English and Chinese lines) of each entry of a chapter's {glossary}."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^```\{glossary\}\n(.*?)^```", text, re.M | re.S)
    assert match, f"{path.name}: no {{glossary}} directive"
    entries, names = [], []
    for line in match.group(1).splitlines():
        if line.startswith(":"):
            continue
        if line and not line[0].isspace():
            names.append(line.strip())
        elif line.strip() and names:
            entries.append(names)
            names = []
    return entries


def _site(page: str) -> Path:
    path = SITE / page
    if not path.is_file():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: build the book first (`make book`)")
    return path


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if attrs.get("id"):
            self.ids.add(attrs["id"])


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


# --- citations ---------------------------------------------------------------------------

def test_bibliography_has_no_duplicate_keys():
    keys = bib_keys()
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


def test_every_citation_resolves_and_every_entry_is_cited():
    cited = set().union(*(cited_keys(p) for p in SOURCES))
    keys = set(bib_keys())
    assert not cited - keys, f"cited but not in references.bib: {sorted(cited - keys)}"
    assert not keys - cited, f"in references.bib but never cited: {sorted(keys - cited)}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_uses_the_apparatus(path):
    text = path.read_text(encoding="utf-8")
    references = text.split("## References", 1)[1]
    assert re.search(r"```\{bibliography\}\n:filter: docname in docnames\n```", references), \
        "References are generated from the chapter's citations"
    assert not re.search(r"^- .*\(\d{4}\)", references, re.M), "no hand-typed reference list"
    assert cited_keys(path), "cites its sources"
    assert re.search(r"^\$\$ \((eq-[\w-]+)\)$|^:label: eq-", text, re.M), "labelled equations"
    assert "{eq}`" in text, "refers to equations by number"
    for env in ("{prf:definition}", "{prf:theorem}", "{prf:proof}"):
        assert env in text, env
    assert "{glossary}" in text and "[Glossary](../glossary.md)" in text
    assert "Quiz(" in text, "ends with a self-check quiz"


def test_labels_are_names_not_numbers():
    for path in CHAPTERS:
        text = path.read_text(encoding="utf-8")
        labels = re.findall(r"^\(([^)]+)\)=$", text, re.M)
        labels += re.findall(r"^:label: (\S+)$", text, re.M)
        labels += re.findall(r"^\$\$ \(([^)]+)\)$", text, re.M)
        assert labels, path.name
        bad = [label for label in labels if re.search(r"\d+[.-]\d+", label)]
        assert not bad, f"{path.name}: labels that encode numbers: {bad}"


# --- glossary ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_glossary_entries_name_english_and_chinese(path):
    entries = glossary_entries(path)
    assert len(entries) >= 6
    for names in entries:
        assert any(HAN.search(n) for n in names) and any(not HAN.search(n) for n in names), names


def test_glossary_page_holds_every_chapter_term():
    html = _page_text(_site("glossary.html"))
    parsed = _parse(_site("glossary.html"))
    for path in CHAPTERS:
        page = f"chapters/{path.stem}.html"
        targets = {urlsplit(h).fragment for h in parsed.hrefs if urlsplit(h).path == page}
        chapter_ids = _parse(_site(page)).ids
        for names in glossary_entries(path):
            english = [n for n in names if not HAN.search(n)]
            chinese = [n for n in names if HAN.search(n)]
            assert all(_plain(n) in html for n in english + chinese), names
        assert targets, f"{page}: the glossary page links to the chapter's terms"


def _plain(text: str) -> str:
    """A term as the page shows it: Sphinx turns straight quotes into typographic ones."""
    return re.sub(r"\s+", " ", text.replace("'", "\u2019").replace('"', ""))


def _page_text(path: Path) -> str:
    class Text(HTMLParser):
        parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)

    parser = Text()
    parser.parts = []
    parser.feed(path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", "".join(parser.parts)).replace('"', "")


def test_glossary_and_references_appear_in_the_navigation():
    html = _site("intro.html").read_text(encoding="utf-8")
    for page in ("glossary.html", "bibliography.html", "exam.html"):
        assert f'href="{page}"' in html, page


# --- exam index --------------------------------------------------------------------------

def _exam_items() -> list[str]:
    text = (ROOT / "exam.md").read_text(encoding="utf-8")
    items, current = [], None
    for line in text.splitlines():
        if line.startswith("- "):
            current = [line[2:]]
            items.append(current)
        elif current is not None and line.startswith("  "):
            current.append(line.strip())
        else:
            current = None
    return [" ".join(item) for item in items]


def test_every_exam_question_links_to_its_answer_or_names_an_unwritten_chapter():
    written = {int(p.name[:2]) for p in ALL_CHAPTERS}
    items = _exam_items()
    assert len(items) >= 30
    for item in items:
        linked = re.search(r"\{(ref|prf:ref|eq|numref|doc)\}`", item)
        pending = [int(n) for group in re.findall(r"Chapters? (\d)(?: and (\d))?", item)
                   for n in group if n] if "(in preparation)" in item else []
        assert linked or pending, f"no answer and no chapter named: {item}"
        for number in pending:
            assert number not in written, \
                f"Chapter {number} exists now: link the answer instead of '(in preparation)': {item}"


def test_exam_index_links_resolve_to_existing_sections():
    parsed = _parse(_site("exam.html"))
    internal = [h for h in parsed.hrefs if h.startswith("chapters/")]
    assert len(internal) >= 10
    for href in internal:
        parts = urlsplit(href)
        target = _site(unquote(parts.path))
        assert not parts.fragment or parts.fragment in _parse(target).ids, href
