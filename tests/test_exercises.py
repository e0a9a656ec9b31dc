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
    assert {"notebook", "chapter", "score", "max_score", "questions", "flags", "cells", "error"} <= set(report)
    assert report["error"] is None and report["flags"] == [] and report["chapter"] == int(name[:2])
    assert report["score"] == 0 and report["max_score"] == len(report["questions"]) > 0
    assert all(set(q) == {"id", "passed", "flagged", "message"} for q in report["questions"])


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


# --------------------------------------------------------------------------- where students work
sys.path.insert(0, str(ROOT / "tools"))
import make_exercises  # noqa: E402


def _book_copy(tmp_path) -> Path:
    """solutions/ and exercises/ copied to a scratch root, for the generator to act on."""
    import shutil

    root = tmp_path / "book"
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def _fill_in_first_answer(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and "NotImplementedError" in "".join(c["source"]))
    lines = "".join(cell["source"]).split("\n")
    cell["source"] = "\n".join(line.split("raise")[0] + "return 0.0  # my answer" if "NotImplementedError" in line
                               else line for line in lines)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def test_make_practice_copies_the_exercises_and_never_overwrites(tmp_path):
    practice = tmp_path / "practice"
    run = lambda: subprocess.run(["make", "-s", "practice", f"PRACTICE={practice}"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout
    run()
    assert sorted(p.name for p in practice.glob("*.ipynb")) == NAMES
    for name in NAMES:
        assert (practice / name).read_bytes() == (ROOT / "exercises" / name).read_bytes()
    mine = practice / NAMES[0]
    mine.write_text(mine.read_text(encoding="utf-8").replace("NotImplementedError", "my work"), encoding="utf-8")
    work = mine.read_bytes()
    (practice / NAMES[-1]).unlink()
    out = run()
    assert mine.read_bytes() == work  # the reader's copy is untouched
    assert (practice / NAMES[-1]).read_bytes() == (ROOT / "exercises" / NAMES[-1]).read_bytes()
    assert f"kept   {mine}" in out


def test_practice_folder_is_ignored_by_git():
    proc = subprocess.run(["git", "check-ignore", "-q", f"practice/{NAMES[0]}"], cwd=ROOT)
    assert proc.returncode == 0, "practice/ must be in .gitignore"


def test_generated_exercises_say_where_to_work():
    for name in NAMES:
        nb = json.loads((ROOT / "exercises" / name).read_text(encoding="utf-8"))
        top = " ".join("".join(nb["cells"][0]["source"]).split())
        assert top.startswith("# ") and "**Where to work.**" in top
        assert "`make practice`" in top and f"`practice/{name}`" in top


def test_generation_is_deterministic_whatever_kernel_ran_the_solution(tmp_path):
    root = _book_copy(tmp_path)
    first = [make_exercises.render(make_exercises.exercise_from_solution(p))
             for p in sorted((root / "solutions").glob("*.ipynb"))]
    for path in sorted((root / "solutions").glob("*.ipynb")):  # as a kernel leaves them
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
        nb["metadata"]["language_info"] = {"name": "python", "version": "3.11.99", "pygments_lexer": "ipython3"}
        path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    again = [make_exercises.render(make_exercises.exercise_from_solution(p))
             for p in sorted((root / "solutions").glob("*.ipynb"))]
    assert again == first
    assert make_exercises.main(["--check"], root=root) == 0


def test_check_compares_content_not_kernel_metadata(tmp_path, capsys):
    root = _book_copy(tmp_path)
    path = root / "exercises" / NAMES[0]
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["metadata"]["kernelspec"]["display_name"] = "Python 3 (ipykernel)"
    nb["metadata"]["language_info"].update(version="3.11.99", mimetype="text/x-python")
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    assert make_exercises.main(["--check"], root=root) == 0
    _fill_in_first_answer(path)
    assert make_exercises.main(["--check"], root=root) == 1
    out = capsys.readouterr().out
    assert f"exercises/{NAMES[0]} holds edits" in out and "make practice" in out


def test_make_exercises_keeps_a_notebook_that_holds_answers_unless_forced(tmp_path, capsys):
    root = _book_copy(tmp_path)
    for solution in (root / "solutions").glob("*.ipynb"):  # every exercise is now out of date
        nb = json.loads(solution.read_text(encoding="utf-8"))
        nb["cells"][0]["source"] = "".join(nb["cells"][0]["source"]) + "\n\nA new sentence."
        solution.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    answered = root / "exercises" / NAMES[0]
    _fill_in_first_answer(answered)
    work = answered.read_bytes()
    assert make_exercises.main([], root=root) == 1
    out = capsys.readouterr().out
    assert answered.read_bytes() == work and f"kept exercises/{NAMES[0]}" in out
    for name in NAMES[1:]:  # the untouched ones are regenerated
        assert f"wrote exercises/{name}" in out
        assert "A new sentence." in (root / "exercises" / name).read_text(encoding="utf-8")
    assert make_exercises.main(["--force"], root=root) == 0
    assert "A new sentence." in answered.read_text(encoding="utf-8")
    assert make_exercises.main(["--check"], root=root) == 0
