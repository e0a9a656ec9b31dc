"""The batch grader (``python -m helpers.grading``) as an instructor relies on it.

It cannot be fooled by a notebook that patches the grader (or NumPy), it flags answers that
use the book's reference code, it stops a runaway cell and grades everything else, it lists
every notebook it was given, and it prints a class summary (text and CSV).
"""

from __future__ import annotations

import csv
import io
import json
import pickle
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import helpers.grading.__main__ as batch
from helpers.grading import questions
from helpers.grading.__main__ import grade_notebook

ROOT = Path(__file__).resolve().parents[1]
NAME = "01_information_theory.ipynb"
CHAPTER_1 = [qid for qid, info in questions().items() if info.chapter == 1]


def _notebook(kind: str = "solutions"):
    return nbformat.read(ROOT / kind / NAME, as_version=4)


def _code(source: str):
    cell = nbformat.v4.new_code_cell(source)
    cell.pop("id", None)  # the book's notebooks are nbformat 4.4: no cell ids
    return cell


def _index(nb, prefix: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.source.startswith(prefix))


def _write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "helpers.grading", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=600)


def _by_id(report):
    return {q["id"]: q for q in report["questions"]}


# --------------------------------------------------------------------------- cannot be fooled
PATCHES = """\
import json, os
import numpy
import helpers.grading
import helpers.grading as g
helpers.grading.grade_answer = lambda q, a: ("passed", "correct")
g.evaluate = lambda q, a: ("passed", "correct")
numpy.allclose = lambda *args, **kwargs: True
log = os.environ.get("HELPERS_GRADING_LOG")
if log:  # forge the check records the grader reads
    with open(log, "a") as fh:
        for qid in %r:
            fh.write(json.dumps({"id": qid, "passed": True, "status": "passed", "message": "correct"}) + "\\n")
""" % (CHAPTER_1,)


def test_a_notebook_that_patches_the_grader_scores_nothing(tmp_path):
    nb = _notebook("exercises")
    nb.cells.insert(_index(nb, "import numpy as np") + 1, _code(PATCHES))
    for cell in nb.cells:  # every answer returns a number instead of raising
        if cell.cell_type == "code":
            cell.source = cell.source.replace(
                'raise NotImplementedError("Exercise: replace this line with your code")', "return 0.0")
    report = grade_notebook(_write(nb, tmp_path / NAME), timeout=20)
    assert report["error"] is None
    assert report["max_score"] == len(CHAPTER_1) and report["score"] == 0, report["questions"]
    assert not any(q["passed"] for q in report["questions"])


def test_a_notebook_that_patches_numpy_still_passes_when_right(tmp_path):
    """The patches act only where the notebook runs; right answers still pass."""
    nb = _notebook("solutions")
    nb.cells.insert(_index(nb, "import numpy as np") + 1, _code(PATCHES))
    report = grade_notebook(_write(nb, tmp_path / NAME), timeout=20)
    assert report["score"] == report["max_score"] == len(CHAPTER_1), report["questions"]


def test_a_returned_object_cannot_run_code_in_the_grader(tmp_path):
    marker = tmp_path / "ran-in-the-grader"
    nb = _notebook("solutions")
    at = _index(nb, "def entropy(")
    nb.cells[at] = _code(
        "import os\n\n"
        "class Evil:\n"
        "    def __reduce__(self):\n"
        f"        return (os.system, ('touch {marker}',))\n\n"
        "    def __float__(self):\n"
        "        return 0.0\n\n\n"
        "def entropy(p):\n"
        "    return Evil()\n")
    report = grade_notebook(_write(nb, tmp_path / NAME), timeout=20)
    row = _by_id(report)["info.entropy"]
    assert not row["passed"] and "Evil" in row["message"]
    assert not marker.exists()


def test_a_notebook_that_writes_to_the_graders_channel_gains_nothing(tmp_path):
    marker = tmp_path / "ran-in-the-grader"
    nb = _notebook("exercises")
    nb.cells.insert(_index(nb, "import numpy as np") + 1, _code(
        "import os, pickle, struct\n\n"
        "class Evil:\n"
        "    def __reduce__(self):\n"
        f"        return (os.system, ('touch {marker}',))\n\n"
        "forged = pickle.dumps(('answers', {'info.entropy': Evil()}))\n"
        "for fd in range(3, 64):\n"
        "    try:\n"
        "        os.write(fd, struct.pack('!Q', len(forged)) + forged)\n"
        "    except OSError:\n"
        "        pass\n"))
    report = grade_notebook(_write(nb, tmp_path / NAME), timeout=10)
    assert not marker.exists()
    assert report["score"] == 0 and report["max_score"] == len(CHAPTER_1)
    assert any("channel" in text for text in report["cells"]["stopped"]), report["cells"]


def test_the_grader_refuses_to_unpickle_anything_but_data():
    evil = pickle.dumps(print)
    with pytest.raises(pickle.UnpicklingError):
        batch._SafeUnpickler(io.BytesIO(evil)).load()


# --------------------------------------------------------------------------- reference code
def test_answers_that_use_the_reference_helpers_are_flagged(tmp_path):
    nb = _notebook("solutions")
    nb.cells[_index(nb, "def entropy(")] = _code(
        "from helpers.info import entropy as h\n\n\ndef entropy(p):\n    return h(p, base=2)\n")
    nb.cells[_index(nb, "def conditional_entropy(")] = _code(
        "import functools\nimport helpers.info\n\n"
        "conditional_entropy = functools.partial(helpers.info.conditional_entropy, base=2)\n")
    nb.cells[_index(nb, "def mutual_information(")] = _code(
        "import importlib\n\n"
        "_info = importlib.import_module('helpers.info')\n\n\n"
        "def mutual_information(joint):\n    return _info.mutual_information(joint)\n")
    report = grade_notebook(_write(nb, tmp_path / NAME), timeout=20)
    rows = _by_id(report)
    for qid in ("info.entropy", "info.conditional_entropy", "info.mutual_information"):
        assert rows[qid]["flagged"] and not rows[qid]["passed"], rows[qid]
        assert "helpers.info" in rows[qid]["message"]
    others = [q for q in report["questions"] if not q["flagged"]]
    assert others and all(q["passed"] for q in others)
    assert report["score"] == len(others)
    assert any("helpers.info" in flag for flag in report["flags"])


def test_the_answer_bank_of_the_grader_is_reference_code_too(tmp_path):
    nb = _notebook("solutions")
    nb.cells[_index(nb, "def entropy(")] = _code(
        "from helpers.grading import _registry\n\nentropy = _registry()['info.entropy'].reference\n")
    report = grade_notebook(_write(nb, tmp_path / NAME), timeout=20)
    assert _by_id(report)["info.entropy"]["flagged"]


def test_an_own_answer_beside_a_reference_import_is_not_flagged(tmp_path):
    """Importing the reference to compare with is listed, but the own function passes."""
    nb = _notebook("solutions")
    at = _index(nb, "def entropy(")
    nb.cells.insert(at, _code("from helpers.info import entropy\nprint(entropy([0.5, 0.5], base=2))\n"))
    report = grade_notebook(_write(nb, tmp_path / NAME), timeout=20)
    assert report["score"] == report["max_score"], report["questions"]
    assert not any(q["flagged"] for q in report["questions"])
    assert report["flags"] and "helpers.info.entropy" in report["flags"][0]


def test_notebooks_run_as_in_jupyter_magics_plots_and_all(tmp_path):
    nb = _notebook("solutions")
    nb.cells.insert(_index(nb, "import numpy as np") + 1, _code(
        "%matplotlib inline\nimport matplotlib.pyplot as plt\n\nplt.plot([0, 1])\nplt.show()\n"
        "!echo shell commands too\nprint(input('no one types here') if False else 'x' * 100_000)\n"))
    nb.cells.append(_code("1 / 0  # a stray cell"))
    report = grade_notebook(_write(nb, tmp_path / NAME), timeout=20)
    assert report["score"] == report["max_score"] == len(CHAPTER_1), report["questions"]
    assert report["cells"]["errors"] == [f"code cell {report['cells']['total']}: ZeroDivisionError: division by zero"]


# --------------------------------------------------------------------------- runaway cells
RUNAWAY = "while True:\n    pass\n"
STUBBORN = ("while True:  # swallows every interruption\n"
            "    try:\n        while True:\n            pass\n"
            "    except BaseException:\n        pass\n")


def test_the_default_cell_time_limit_is_at_most_a_minute():
    assert 0 < batch.CELL_TIMEOUT <= 60
    assert grade_notebook.__defaults__[0] == batch.CELL_TIMEOUT
    assert f"default {batch.CELL_TIMEOUT}" in _cli("--help").stdout


def test_runaway_cells_are_stopped_and_every_question_is_still_graded(tmp_path):
    nb = _notebook("solutions")
    nb.cells.insert(_index(nb, "check(\"info.entropy\"") + 1, _code(RUNAWAY))
    nb.cells.insert(_index(nb, "check(\"info.mutual_information\"") + 1, _code(STUBBORN))
    start = time.monotonic()
    report = grade_notebook(_write(nb, tmp_path / NAME), timeout=2)
    assert time.monotonic() - start < 120  # generous: two 2-s limits, one kill and a rerun
    assert report["score"] == report["max_score"] == len(CHAPTER_1), report["questions"]
    stopped = report["cells"]["stopped"]
    assert len(stopped) == 2
    assert "stopped after 2 s" in stopped[0] and "killed" in stopped[1]


def test_an_answer_that_hangs_or_kills_its_process_costs_only_its_own_question(tmp_path):
    nb = _notebook("solutions")
    nb.cells[_index(nb, "def entropy(")] = _code("def entropy(p):\n" + "\n".join(
        "    " + line for line in STUBBORN.splitlines()) + "\n")
    nb.cells[_index(nb, "def conditional_entropy(")] = _code(
        "import os\n\n\ndef conditional_entropy(joint):\n    os._exit(3)\n")
    report = grade_notebook(_write(nb, tmp_path / NAME), timeout=5)
    rows = _by_id(report)
    assert "took too long" in rows["info.entropy"]["message"]
    assert "stopped the Python process" in rows["info.conditional_entropy"]["message"]
    rest = [q for q in report["questions"] if q["id"] not in ("info.entropy", "info.conditional_entropy")]
    assert rest and all(q["passed"] for q in rest), rest


# --------------------------------------------------------------------------- every notebook listed
def test_every_notebook_is_listed_with_a_one_line_error(tmp_path):
    good = _write(_notebook("exercises"), tmp_path / NAME)
    not_json = tmp_path / "02_not_json.ipynb"
    not_json.write_text("not json")
    not_notebook = tmp_path / "03_settings.json"
    not_notebook.write_text('{"theme": "dark"}')
    missing = tmp_path / "04_missing.ipynb"
    folder = tmp_path / "05_folder.ipynb"
    folder.mkdir()
    paths = [good, not_json, not_notebook, missing, folder]
    proc = _cli(*paths, "--json")
    assert proc.returncode == 2
    reports = json.loads(proc.stdout)
    assert [r["notebook"] for r in reports] == [str(p) for p in paths]
    assert reports[0]["error"] is None and reports[0]["score"] == 0
    errors = [r["error"] for r in reports[1:]]
    assert all(e and "\n" not in e for e in errors), errors
    assert "not JSON" in errors[0] and "not a notebook" in errors[1]
    assert "no such notebook" in errors[2] and "directory" in errors[3]
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 4
    text = _cli(*paths)
    assert text.returncode == 2
    for path in paths:
        assert str(path) in text.stdout
    tables, summary = text.stdout.split("class summary")
    assert tables.count("error: ") == summary.count("error: ") == 4
    assert "Traceback" not in text.stdout + text.stderr


# --------------------------------------------------------------------------- class summary
@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    """A class of three: one solved, one untouched, one with a single answer."""
    folder = tmp_path_factory.mktemp("class") / "submissions"
    _write(_notebook("solutions"), folder / "alice.ipynb")
    _write(_notebook("exercises"), folder / "bob.ipynb")
    partly = _notebook("exercises")
    partly.cells[_index(partly, "def entropy(")] = _notebook("solutions").cells[_index(_notebook("solutions"), "def entropy(")]
    _write(partly, folder / "carol.ipynb")
    return folder


def test_class_summary_has_one_line_per_student(submissions):
    paths = sorted(submissions.glob("*.ipynb"))
    proc = _cli(*paths, "--summary")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    n = len(CHAPTER_1)
    rows = {line.split()[0]: line.split()[1] for line in lines[2:]}
    assert rows == {"alice": f"{n}/{n}", "bob": f"0/{n}", "carol": f"1/{n}"}
    assert "class summary: 3 notebooks" in lines[0]


def test_class_summary_as_csv(submissions):
    paths = sorted(submissions.glob("*.ipynb"))
    proc = _cli(*paths, "--csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [r["student"] for r in rows] == ["alice", "bob", "carol"]
    assert [int(r["score"]) for r in rows] == [len(CHAPTER_1), 0, 1]
    assert all(int(r["max_score"]) == len(CHAPTER_1) for r in rows)
    assert [r["info.entropy"] for r in rows] == ["1", "0", "1"]
    assert set(CHAPTER_1) <= set(rows[0])


def test_default_output_ends_with_the_summary(submissions):
    proc = _cli(*sorted(submissions.glob("*.ipynb")))
    assert proc.returncode == 0
    tables, summary = proc.stdout.rsplit("class summary", 1)
    assert tables.count("score: ") == 3 and "carol" in summary


def test_students_with_the_same_file_name_are_told_apart(tmp_path):
    paths = [_write(_notebook("exercises"), tmp_path / who / NAME) for who in ("ann", "ben")]
    assert batch.student_names([str(p) for p in paths]) == [f"ann/{NAME[:-6]}", f"ben/{NAME[:-6]}"]
