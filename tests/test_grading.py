"""The grading engine: every kind of wrong answer gets the right one-line hint, nothing raises."""

import json
import math
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.stats

import helpers.grading as grading
from helpers.grading import Question, check, questions


def _entropy_nats(p):
    return scipy.stats.entropy(p)


def _cases(rng):
    return [(rng.dirichlet(np.ones(n)),) for n in (2, 3, 5, 8)]


def _wrong_base10(p):
    return scipy.stats.entropy(p, base=10)


@pytest.fixture
def bank(monkeypatch):
    """A registry with two toy questions, independent of the book's own banks."""
    reg = {
        "toy.entropy": Question(
            id="toy.entropy", chapter=99, prompt="Entropy in nats",
            reference=_entropy_nats, cases=_cases,
            mistakes=[(_wrong_base10, "you used log base 10; use the natural log")],
            timeout=1.0,
        ),
        "toy.value": Question(
            id="toy.value", chapter=99, prompt="The value of ln 2", kind="value",
            reference=lambda: math.log(2),
        ),
        "toy.sampler": Question(
            id="toy.sampler", chapter=99, prompt="Return True", kind="value",
            reference=lambda: None,
            grade=lambda ans: (ans is True, "correct" if ans is True else "expected True"),
        ),
    }
    monkeypatch.setattr(grading, "_REGISTRY", reg)
    return reg


def entropy_correct(p):
    p = np.asarray(p)
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum())


def test_correct_answer_passes_and_prints_one_line(bank, capsys):
    result = check("toy.entropy", entropy_correct)
    out = capsys.readouterr().out
    assert bool(result) is True
    assert out.count("\n") == 1 and out.startswith("✅")
    assert "4 randomized" in out


def test_hard_coded_answer_fails(bank, capsys):
    result = check("toy.entropy", lambda p: 0.6931471805599453)
    assert not result
    assert "wrong value" in capsys.readouterr().out


@pytest.mark.parametrize(
    "answer, hint",
    [
        (None, "not attempted"),
        (lambda p: (_ for _ in ()).throw(NotImplementedError("Exercise")), "not attempted"),
        (lambda p: scipy.stats.entropy(p, base=2), "in bits, but nats"),
        (lambda p: -scipy.stats.entropy(p), "wrong sign"),
        (lambda p: np.array([scipy.stats.entropy(p)] * 2), "wrong shape"),
        (lambda p: float("nan"), "NaN"),
        (lambda p: 1 / 0, "ZeroDivisionError"),
        (lambda p: "one nat", "expected a number"),
        (_wrong_base10, "log base 10"),
        (entropy_correct(np.array([0.5, 0.5])), "expected a function"),
    ],
)
def test_wrong_answers_get_specific_hints(bank, capsys, answer, hint):
    result = check("toy.entropy", answer)
    out = capsys.readouterr().out
    assert not result
    assert out.startswith("❌") and out.count("\n") == 1
    assert hint in out


def test_runaway_answer_is_stopped(bank, capsys):
    def forever(p):
        while True:
            pass

    start = time.perf_counter()
    result = check("toy.entropy", forever)
    assert not result
    assert time.perf_counter() - start < 10
    assert "took too long" in capsys.readouterr().out


def test_runaway_answer_that_catches_exceptions_is_stopped(bank, capsys):
    def stubborn(p):
        while True:
            try:
                while True:
                    pass
            except Exception:  # a reader's catch-all must not swallow the time limit
                continue

    result = check("toy.entropy", stubborn)
    assert not result
    assert "took too long" in capsys.readouterr().out


def test_answer_does_not_see_mutated_inputs(bank, capsys):
    def mutating(p):
        value = entropy_correct(p)
        p[:] = 0  # a reader's function that scribbles on its input must not corrupt grading
        return value

    assert check("toy.entropy", mutating)


def test_value_and_custom_questions(bank, capsys):
    assert check("toy.value", math.log(2))
    assert not check("toy.value", 0.69)
    assert check("toy.sampler", True)
    assert not check("toy.sampler", False)
    assert "expected True" in capsys.readouterr().out


def test_unknown_id_does_not_raise(bank, capsys):
    result = check("toy.entropyy", entropy_correct)
    assert not result
    out = capsys.readouterr().out
    assert "unknown question id" in out and "toy.entropy" in out


def test_result_is_silent_in_ipython_display(bank, capsys):
    result = check("toy.value", math.log(2))
    capsys.readouterr()
    result._ipython_display_()
    assert capsys.readouterr().out == ""
    assert "passed=True" in repr(result)


def test_log_file_records_each_check(bank, tmp_path, monkeypatch, capsys):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv(grading.LOG_ENV, str(log))
    check("toy.value", 1.0)
    check("toy.value", math.log(2))
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["passed"] for r in rows] == [False, True]


def test_book_question_banks_are_consistent():
    qs = questions()
    assert qs, "no questions registered"
    for qid, info in qs.items():
        topic = qid.split(".")[0]
        assert topic in grading.BANKS, qid
        assert isinstance(info.chapter, int) and info.prompt.strip()
        assert "\n" not in info.prompt


def test_every_reference_passes_its_own_question(capsys):
    """The references and their randomized cases agree (a broken case generator would fail)."""
    for qid, q in grading._registry().items():
        if q.grade is not None or q.kind == "value":
            continue
        assert check(qid, q.reference), capsys.readouterr().out


def test_cli_reports_unreadable_notebook(tmp_path):
    bad = tmp_path / "01_broken.ipynb"
    bad.write_text("not json")
    proc = subprocess.run([sys.executable, "-m", "helpers.grading", str(bad), "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "could not grade" in proc.stderr


def test_exception_hints(bank, capsys, monkeypatch):
    monkeypatch.setattr(bank["toy.entropy"], "errors", [("could not be broadcast", "reshape to a column")])
    check("toy.entropy", lambda p: np.ones(2) + np.ones(3))
    out = capsys.readouterr().out
    assert "ValueError" in out and "reshape to a column" in out
    check("toy.entropy", lambda p, base: 0.0)  # a parameter the task does not have
    assert "check the function's parameters" in capsys.readouterr().out


def test_mistake_hint_when_the_answer_is_right_where_the_mistake_does_not_matter(bank, capsys):
    """base-10 logs agree with the reference on a certain outcome; the hint must still apply."""
    def base10_but_right_when_certain(p):
        return 0.0 if np.max(p) == 1 else _wrong_base10(p)

    reg = bank["toy.entropy"]
    original = reg.cases
    reg.cases = lambda rng: original(rng) + [(np.array([0.0, 1.0]),)]
    check("toy.entropy", base10_but_right_when_certain)
    assert "log base 10" in capsys.readouterr().out


def test_wrong_value_message_stays_on_one_line(bank, capsys, monkeypatch):
    monkeypatch.setattr(bank["toy.entropy"], "reference", lambda p: np.outer(p, p))
    check("toy.entropy", lambda p: np.outer(p, p) + 1)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "shape" in out


def _book_questions():
    return sorted(grading._registry().values(), key=lambda q: q.id)


@pytest.mark.parametrize("q", _book_questions(), ids=lambda q: q.id)
def test_every_known_mistake_in_the_book_gets_its_hint(q):
    """Each mistake a bank models is recognised: the mistake's own function, given as the
    answer, fails with that mistake's hint."""
    for wrong, hint in q.mistakes:
        with np.errstate(all="ignore"):
            status, message = grading.evaluate(q, wrong)
        assert status == "failed" and hint in message, (q.id, getattr(wrong, "__name__", wrong), message)


@pytest.mark.parametrize("q", _book_questions(), ids=lambda q: q.id)
def test_every_question_in_the_book_says_not_attempted(q):
    def stub(*args):
        raise NotImplementedError("Exercise: complete the function")

    for answer in (None, ...):
        assert grading.grade_answer(q, answer)[0] == "not attempted"
    if q.kind == "function":
        assert grading.evaluate(q, stub)[0] == "not attempted"
