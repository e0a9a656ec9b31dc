"""Every chapter follows the book's layout, and every notebook is committed clean."""

import ast
import builtins
import json
import re
from pathlib import Path

import jupytext
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


def test_code_listings_show_the_helpers_current_code():
    """A listing is the helper's source, so it reads the same on the site and in JupyterLab."""
    import subprocess
    import sys

    for path in CHAPTERS:
        assert "{literalinclude}" not in path.read_text(encoding="utf-8"), (
            f"{path.name}: JupyterLab cannot render literalinclude; run tools/sync_listings.py")
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "sync_listings.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


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
    assert "```{glossary}" in glossary, "a glossary (a {glossary} directive)"
    assert re.search(r"[\u4e00-\u9fff]", glossary), "an English / Chinese glossary"
    assert "interactive_figure(" in text, "at least one slider"


def test_notebooks_are_committed_without_outputs():
    for path in sorted(ROOT.glob("*/*.ipynb")):
        if ".venv" in path.parts or "_build" in path.parts:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


HIDDEN_TAGS = {"hide-input", "remove-input", "remove-cell"}


def _bound_and_loaded(source: str) -> tuple[set[str], set[str]]:
    """Names a cell binds anywhere (assignments, imports, defs, arguments) and names it reads."""
    tree = ast.parse(source)
    bound, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, loaded


def _code_cells(path: Path):
    for cell in jupytext.read(path).cells:
        if cell.cell_type == "code":
            source = "\n".join(line for line in cell.source.splitlines()
                               if not line.lstrip().startswith(("%", "!")))
            yield set(cell.metadata.get("tags", [])), source


def hidden_names_used_by_visible_cells(path: Path) -> list[tuple[int, set[str]]]:
    """(cell number, names) for every visible cell that reads a name only hidden cells define.

    Cells run in order: a name counts as defined for the reader once a visible cell has bound
    it; a name bound so far only by hidden cells (tags hide-input, remove-input, remove-cell)
    is invisible to a reader who copies the visible cells.
    """
    visible, hidden, problems = set(dir(builtins)), set(), []
    for number, (tags, source) in enumerate(_code_cells(path), start=1):
        bound, loaded = _bound_and_loaded(source)
        if tags & HIDDEN_TAGS:
            hidden |= bound
            continue
        missing = (loaded - bound - visible) & hidden
        if missing:
            problems.append((number, missing))
        visible |= bound
    return problems


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_visible_cells_use_no_hidden_names(path):
    problems = hidden_names_used_by_visible_cells(path)
    assert not problems, "visible code cells read names that only a hidden cell defines: " + \
        "; ".join(f"code cell {n}: {', '.join(sorted(names))}" for n, names in problems)


def test_the_hidden_name_check_catches_a_hidden_definition(tmp_path):
    chapter = tmp_path / "99_example.md"
    chapter.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
        "```{code-cell} ipython3\nimport numpy as np\nx = np.ones(3)\n```\n\n"
        "```{code-cell} ipython3\n:tags: [hide-input]\nfitted = x * 2\ny = 1\n```\n\n"
        "```{code-cell} ipython3\ny = 3\nprint(fitted.sum() + y + x.sum())\n```\n\n"
        "```{code-cell} ipython3\ndef f(fitted):\n    return fitted + y\n```\n", encoding="utf-8")
    assert hidden_names_used_by_visible_cells(chapter) == [(3, {"fitted"})]


def tex_swallowed_by_escapes(source: str) -> list[tuple[int, str]]:
    """Non-raw string literals holding math ($...$) in which a backslash starts a Python
    escape: "$\\beta$" written with one backslash holds a backspace, which MathJax rejects."""
    import io
    import tokenize

    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.STRING, getattr(tokenize, "FSTRING_START", -1)):
            prefix = re.match(r"[A-Za-z]*", tok.string).group().lower()
            if "r" not in prefix and "$" in tok.string and re.search(r"(?<!\\)\\[abfnrtv][a-z]", tok.string):
                found.append((tok.start[0], tok.string[:60]))
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_math_in_python_strings_keeps_its_backslashes(path):
    found = [(n, hit) for n, (_, cell) in enumerate(_code_cells(path)) for hit in tex_swallowed_by_escapes(cell)]
    assert not found, f"use a raw string (r\"...\") in these (code cell, line): {found}"


def test_the_escape_check_catches_a_lost_backslash():
    assert tex_swallowed_by_escapes('x = {"text": "depends on $\\beta$"}')
    assert not tex_swallowed_by_escapes('x = {"text": r"depends on $\\beta$"}')
    assert not tex_swallowed_by_escapes('x = "$\\\\beta$ and a line\\n"')
