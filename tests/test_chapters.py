"""Every chapter follows the book's layout, and every notebook is committed clean."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part["chapters"]]
    return files


def test_every_chapter_and_exercise_is_in_the_table_of_contents():
    listed = set(_toc_files())
    for path in CHAPTERS + sorted((ROOT / "exercises").glob("*.ipynb")):
        assert str(path.relative_to(ROOT).with_suffix("")) in listed, path.name


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_layout(path):
    text = path.read_text(encoding="utf-8")
    number = int(path.name[:2])
    assert text.startswith("---\njupytext:"), "a MyST notebook with a jupytext header"
    assert re.search(rf"^# {number}\. \S", text, re.M), "title '# N. Title'"
    assert "Learning objectives" in text
    first_cell = text.split("```{code-cell} ipython3", 1)[1].split("```", 1)[0]
    assert "from helpers." in first_cell and "use_book_style()" in first_cell, "one setup cell"
    assert "import *" not in text, "explicit imports only"
    for heading in ("## Check your understanding", "## Exercises", "## Glossary", "## References"):
        assert heading in text, heading
    understanding = text.split("## Check your understanding", 1)[1].split("## Exercises", 1)[0]
    assert understanding.count(":class: dropdown") >= 3, "at least three questions with folded answers"
    exercises = text.split("## Exercises", 1)[1].split("## Glossary", 1)[0]
    link = re.search(r"\(\.\./exercises/([\w.]+\.ipynb)\)", exercises)
    assert link and (ROOT / "exercises" / link.group(1)).exists(), "links its exercise notebook"
    glossary = text.split("## Glossary", 1)[1].split("## References", 1)[0]
    rows = [line for line in glossary.splitlines() if line.startswith("|") and "---" not in line]
    assert len(rows) >= 6 and all(re.search(r"[\u4e00-\u9fff]", r) for r in rows[1:]), \
        "an English / Chinese glossary"
    assert "interactive_figure(" in text, "at least one slider"


def test_notebooks_are_committed_without_outputs():
    for path in sorted(ROOT.glob("*/*.ipynb")):
        if ".venv" in path.parts or "_build" in path.parts:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name
