"""Exercise notebooks: solutions score full marks, untouched exercises score zero without crashing."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.grading import questions
from helpers.grading.__main__ import grade_notebook

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
NAMES = [p.name for p in SOLUTIONS]


def test_every_chapter_with_questions_has_notebooks():
    chapters = {info.chapter for info in questions().values()}
    numbered = {int(name[:2]) for name in NAMES}
    assert chapters == numbered
    assert sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb")) == NAMES


def test_exercises_are_generated_from_solutions():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "make_exercises.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", NAMES)
def test_solutions_score_full_marks(name):
    report = grade_notebook(ROOT / "solutions" / name)
    failed = [q for q in report["questions"] if not q["passed"]]
    assert report["max_score"] > 0
    assert report["score"] == report["max_score"], failed


@pytest.mark.parametrize("name", NAMES)
def test_untouched_exercises_score_zero_not_attempted(name):
    report = grade_notebook(ROOT / "exercises" / name)
    chapter = int(name[:2])
    expected = sorted(q for q, info in questions().items() if info.chapter == chapter)
    assert sorted(q["id"] for q in report["questions"]) == expected
    assert report["score"] == 0
    for q in report["questions"]:
        assert "not attempted" in q["message"], q


def test_cli_json_report(tmp_path):
    name = NAMES[0]
    proc = subprocess.run([sys.executable, "-m", "helpers.grading", str(ROOT / "exercises" / name), "--json"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert set(report) == {"notebook", "score", "max_score", "questions"}
    assert report["score"] == 0 and report["max_score"] == len(report["questions"]) > 0
    assert all(set(q) == {"id", "passed", "message"} for q in report["questions"])


def test_partly_solved_notebook_scores_partly(tmp_path):
    """One answer filled in, one cell that crashes: the grader runs on and counts one point."""
    import nbformat

    name = "01_information_theory.ipynb"
    exercise = nbformat.read(ROOT / "exercises" / name, as_version=4)
    solution = nbformat.read(ROOT / "solutions" / name, as_version=4)
    first = next(i for i, c in enumerate(exercise.cells) if c.source.startswith("def entropy("))
    answer = next(c.source for c in solution.cells if c.source.startswith("def entropy("))
    exercise.cells[first].source = answer
    stray = nbformat.v4.new_code_cell("1 / 0  # a reader's stray cell")
    if exercise.nbformat_minor < 5:
        del stray["id"]
    exercise.cells.insert(first + 2, stray)
    path = tmp_path / name
    nbformat.write(exercise, path)
    report = grade_notebook(path)
    assert report["score"] == 1 and report["max_score"] == len(report["questions"]) >= 2
    passed = [q["id"] for q in report["questions"] if q["passed"]]
    assert passed == ["info.entropy"]


def test_cli_grades_several_notebooks(tmp_path):
    missing = tmp_path / "02_missing.ipynb"
    paths = [str(ROOT / "exercises" / NAMES[0]), str(ROOT / "solutions" / NAMES[0])]
    proc = subprocess.run([sys.executable, "-m", "helpers.grading", *paths, "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    reports = json.loads(proc.stdout)
    assert [r["score"] for r in reports] == [0, reports[1]["max_score"]]
    proc = subprocess.run([sys.executable, "-m", "helpers.grading", paths[0], str(missing)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "no such notebook" in proc.stderr
    assert "score: 0 /" in proc.stdout  # the readable notebook is still reported
