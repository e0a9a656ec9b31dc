"""Auto-graded exercises.

In an exercise notebook the reader writes a function (or computes a value) and calls::

    from helpers.grading import check
    check("info.entropy", entropy)

``check`` runs the answer on randomized inputs against a reference implementation, so an
answer hard-coded to the worked example fails.  It prints one line, ✅ or ❌ followed by a
hint that says what is wrong, never raises into the notebook, stops a runaway answer after a
few seconds, and returns a :class:`Result` whose truth value is pass/fail.

Question banks live beside this file, one module per topic (``info``, ``softmax``,
``diffusion``); each defines a list ``QUESTIONS`` of :class:`Question`.  A bank whose
question needs its own comparison (a ``grade`` function) can build on the engine's pieces:
:func:`as_array`, :func:`matches`, :func:`diagnose` and :func:`grade_answer`; an answer that
returns several arrays, such as the gradients ``(dX, dW, db)``, is graded by :func:`grade_parts`.  Instructors grade a
whole notebook, or a class's notebooks, with ``python -m helpers.grading NOTEBOOK...``: it
runs each notebook in a separate process and grades the answers there in its own, so nothing a
notebook does to this module (or to NumPy) changes a grade.

Introduced in Chapter 1.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import signal
import threading
import time
from collections.abc import Callable
import dataclasses
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

#: Topic modules holding question banks, in book order.
BANKS = ("info", "softmax", "backprop", "attention", "losses", "contrastive", "vae", "diffusion")

#: Environment variable naming a file to which every check appends one JSON line.
LOG_ENV = "HELPERS_GRADING_LOG"


class QuestionInfo(NamedTuple):
    chapter: int  # the chapter whose exercises hold the question
    prompt: str   # one line: what the reader is asked to do


@dataclass
class Question:
    """One auto-graded question.

    ``kind="function"``: the answer is called on ``cases(rng)`` argument tuples and compared
    with ``reference`` on the same arguments.  ``kind="value"``: the answer is a value and
    is compared with ``reference()``.  ``grade`` replaces the comparison altogether (for
    answers judged statistically, such as a sampler); it returns ``(passed, message)``.
    ``mistakes`` are ``(wrong_function, hint)`` pairs: when the answer matches a known wrong
    formula on every case, the reader gets that hint.  ``errors`` are ``(text, hint)`` pairs:
    when the answer raises an exception whose message contains ``text``, the hint follows.
    """

    id: str
    chapter: int
    prompt: str
    reference: Callable[..., Any]
    kind: str = "function"
    cases: Callable[[np.random.Generator], list[tuple]] | None = None
    mistakes: list[tuple[Callable[..., Any], str]] = field(default_factory=list)
    grade: Callable[[Any], tuple[bool, str]] | None = None
    rtol: float = 1e-6
    atol: float = 1e-9
    timeout: float = 5.0
    units: bool = True  # whether a bits/nats mix-up is a likely mistake
    errors: list[tuple[str, str]] = field(default_factory=list)  # (text in the exception, hint)


class Result:
    """The outcome of one :func:`check`; ``bool(result)`` is True when the answer passed."""

    def __init__(self, question_id: str, passed: bool, message: str, status: str):
        self.question_id = question_id
        self.passed = passed
        self.message = message
        self.status = status  # "passed", "not attempted", "failed"

    def __bool__(self) -> bool:
        return self.passed

    def line(self) -> str:
        mark = "✅" if self.passed else "❌"
        message = " ".join(str(self.message).split())  # always exactly one line
        return f"{mark} {self.question_id}: {message}"

    def __repr__(self) -> str:
        return f"Result({self.question_id!r}, passed={self.passed}, message={self.message!r})"

    def _ipython_display_(self) -> None:
        # check() already printed the line; showing the result again would repeat it.
        pass


class _TimeLimit(BaseException):
    """Not an Exception: an answer's own ``except Exception`` cannot swallow the time limit."""


class _Deadline:
    """Interrupt the enclosed code after ``seconds`` (main thread, POSIX); no-op elsewhere."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.active = (
            hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        )

    def _handler(self, signum, frame):
        raise _TimeLimit()

    def __enter__(self):
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._handler)
            # fires again every 0.1 s until cleared: swallowing one alarm does not help
            signal.setitimer(signal.ITIMER_REAL, self.seconds, 0.1)
        return self

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


# --------------------------------------------------------------------------- the registry
_REGISTRY: dict[str, Question] | None = None


def _registry() -> dict[str, Question]:
    global _REGISTRY
    if _REGISTRY is None:
        reg: dict[str, Question] = {}
        for bank in BANKS:
            module = importlib.import_module(f"{__name__}.{bank}")
            for q in module.QUESTIONS:
                if q.id in reg:
                    raise RuntimeError(f"duplicate question id {q.id!r}")
                reg[q.id] = q
        _REGISTRY = reg
    return _REGISTRY


def questions() -> dict[str, QuestionInfo]:
    """All question ids, each mapped to its chapter and one-line prompt."""
    return {qid: QuestionInfo(q.chapter, q.prompt) for qid, q in _registry().items()}


# --------------------------------------------------------------------------- comparison
def as_array(x) -> np.ndarray | None:
    """An answer as a float array (torch tensors included), or None if it is not numeric."""
    try:
        if hasattr(x, "detach"):  # a torch tensor
            x = x.detach().cpu().numpy()
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr


def matches(a: np.ndarray, b: np.ndarray, q: Question) -> bool:
    """Same shape and equal within the question's tolerances."""
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=q.rtol, atol=q.atol, equal_nan=False))


def diagnose(got_list, want_list, q: Question, args_list) -> str:
    """Explain why the answer differs from the reference: first the commonest mistakes."""
    gots = [as_array(g) for g in got_list]
    wants = [np.asarray(w, dtype=float) for w in want_list]
    if any(g is None for g in gots):
        bad = next(g for g, a in zip(got_list, gots) if a is None)
        return f"expected a number or an array of numbers, got {type(bad).__name__}"
    for g, w in zip(gots, wants):
        if g.shape != w.shape:
            want_shape = "a scalar" if w.shape == () else f"shape {w.shape}"
            got_shape = "a scalar" if g.shape == () else f"shape {g.shape}"
            return f"wrong shape: expected {want_shape}, got {got_shape}"
    if any(np.isnan(g).any() for g in gots):
        return "the answer contains NaN (a log of 0, or 0/0?)"
    if any(np.isinf(g).any() and not np.isinf(w).any() for g, w in zip(gots, wants)):
        return "the answer contains inf where the reference is finite (an overflow, or a log of 0?)"
    # A known mistake explains the answer when it reproduces every wrong result (the answer
    # may still be right where the mistake makes no difference, e.g. at t = 0).
    wrong_cases = [i for i, (g, w) in enumerate(zip(gots, wants)) if not matches(g, w, q)]
    for wrong, hint in (q.mistakes if wrong_cases else []):
        try:
            alts = [np.asarray(wrong(*args_list[i]), dtype=float) for i in wrong_cases]
        except Exception:  # a mistake model that does not apply to these inputs
            continue
        if all(matches(gots[i], a, q) for i, a in zip(wrong_cases, alts)):
            return hint
    nonzero = [(g, w) for g, w in zip(gots, wants) if np.any(np.abs(w) > 1e-8)]
    if nonzero:
        if all(np.allclose(g, -w, rtol=q.rtol, atol=q.atol) for g, w in nonzero):
            return "wrong sign: the answer is the negative of the expected value"
        if q.units:
            if all(np.allclose(g, w / math.log(2), rtol=q.rtol, atol=q.atol) for g, w in nonzero):
                return "the answer is in bits, but nats (natural log) were expected"
            if all(np.allclose(g, w * math.log(2), rtol=q.rtol, atol=q.atol) for g, w in nonzero):
                return "the answer is in nats, but bits (log base 2) were expected"
    for g, w, args in zip(gots, wants, args_list):
        if not np.allclose(g, w, rtol=q.rtol, atol=q.atol):
            return f"wrong value on a test input: expected {_short(w)}, got {_short(g)}"
    return "wrong value"


def _short(x: np.ndarray) -> str:
    """A short one-line preview of an array: its first values, and its shape if not 1-D."""
    x = np.asarray(x)
    text = np.array2string(x.ravel(), precision=4, threshold=6, separator=", ").replace("\n", "")
    text = " ".join(text.split())
    if len(text) > 60:
        text = text[:57] + "..."
    return text if x.ndim <= 1 else f"{text} (shape {x.shape})"


def _describe_exception(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _exception_hint(q: Question, exc: Exception) -> str:
    text = str(exc)
    for needle, hint in q.errors:
        if needle in text:
            return hint
    if isinstance(exc, TypeError) and ("positional argument" in text or "unexpected keyword" in text):
        return "check the function's parameters against the task: they must be exactly the ones it names"
    return ""


# --------------------------------------------------------------------------- grading
#: The seed of the randomized inputs on which function answers are checked.
CASE_SEED = 20261123

def grade_answer(q: Question, answer) -> tuple[str, str]:
    """Return (status, message) for an answer; status is passed / not attempted / failed."""
    if answer is None or answer is Ellipsis:
        return "not attempted", "not attempted yet: replace the placeholder with your answer"
    if q.grade is not None:
        with _Deadline(q.timeout):
            passed, message = q.grade(answer)
        return ("passed" if passed else "failed"), message
    if q.kind == "value":
        got_list, want_list, args_list = [answer], [q.reference()], [()]
    else:
        if not callable(answer):
            return "failed", f"expected a function, got {type(answer).__name__}; pass the function itself, without calling it"
        rng = np.random.default_rng(CASE_SEED)
        args_list = q.cases(rng)
        want_list = [q.reference(*args) for args in args_list]
        got_list = []
        with _Deadline(q.timeout):
            for args in args_list:
                got_list.append(answer(*_copy_args(args)))
    gots = [as_array(g) for g in got_list]
    if all(g is not None for g in gots) and all(
        matches(g, np.asarray(w, dtype=float), q) for g, w in zip(gots, want_list)
    ):
        n = len(args_list)
        return "passed", "correct" if q.kind == "value" else f"correct on {n} randomized test input{'s' * (n > 1)}"
    return "failed", diagnose(got_list, want_list, q, args_list)


def _copy_args(args: tuple) -> tuple:
    """Fresh copies of the array and tensor arguments, so an answer cannot change the cases."""
    return tuple(a.clone() if hasattr(a, "clone") else np.array(a, copy=True) if isinstance(a, np.ndarray)
                 else a for a in args)


def grade_parts(q: Question, names: tuple[str, ...], shape_hints: dict[str, str] | None = None) -> None:
    """Give ``q``, whose answer returns several arrays such as ``(dX, dW, db)``, a grade
    that checks the tuple and each part's shape (naming the part, with ``shape_hints[name]``
    if given), then compares all parts with the engine, its hints included, as one flat
    array."""
    shape_hints = shape_hints or {}
    def flat(f):
        def parts_as_array(*args):
            return np.concatenate([as_array(x).ravel() for x in f(*args)])
        return parts_as_array

    plain = dataclasses.replace(q, grade=None, reference=flat(q.reference),
                                mistakes=[(flat(wrong), hint) for wrong, hint in q.mistakes])
    listing = ", ".join(names)

    def grade(answer):
        if not callable(answer):
            return False, (f"expected a function, got {type(answer).__name__}; pass the function "
                           f"itself, without calling it")
        for args in q.cases(np.random.default_rng(CASE_SEED)):
            got = answer(*_copy_args(args))
            if not isinstance(got, (tuple, list)) or len(got) != len(names):
                return False, f"return a tuple ({listing}), got {type(got).__name__}"
            for name, g, w in zip(names, got, q.reference(*args)):
                g = as_array(g)
                if g is None:
                    return False, f"{name} must be an array of numbers"
                want = np.shape(as_array(w))
                if g.shape != want:
                    hint = shape_hints.get(name, "")
                    if len(want) == 2 and g.shape == want[::-1]:
                        hint = hint or f"{name} is transposed"
                    return False, f"wrong shape of {name}: expected {want}, got {g.shape}" + (f"; {hint}" if hint else "")
        status, message = grade_answer(plain, flat(lambda *args: answer(*_copy_args(args))))
        if status == "failed" and message.startswith("wrong value"):
            message = _wrong_part(q, names, answer) or message
        return status == "passed", message

    q.grade = grade


def _wrong_part(q: Question, names: tuple[str, ...], answer) -> str:
    """Name the first part of a tuple answer that differs from the reference, with its values."""
    for args in q.cases(np.random.default_rng(CASE_SEED)):
        for name, g, w in zip(names, answer(*_copy_args(args)), q.reference(*args)):
            g, w = as_array(g), np.asarray(as_array(w), dtype=float)
            if not matches(g, w, q):
                return f"wrong value of {name} on a test input: expected {_short(w)}, got {_short(g)}"
    return ""


def evaluate(q: Question, answer) -> tuple[str, str]:
    """Grade ``answer`` to ``q`` and return (status, message); never raises for the answer's
    sake (its exceptions, endless loops and deep recursion become messages).  The batch
    grader calls this with answers that run in another process."""
    try:
        return grade_answer(q, answer)
    except NotImplementedError:
        return "not attempted", "not attempted yet: the function still raises NotImplementedError"
    except _TimeLimit:
        return "failed", f"took too long (stopped after {q.timeout:g} s): is there an endless loop?"
    except RecursionError:
        return "failed", "raised RecursionError: does the function call itself without end?"
    except Exception as exc:  # the reader's code failed: report it, do not raise
        message = f"your code raised {_describe_exception(exc)}"
        hint = _exception_hint(q, exc)
        return "failed", f"{message} — {hint}" if hint else message
    except KeyboardInterrupt:
        return "failed", "interrupted"


def check(question_id: str, answer) -> Result:
    """Grade ``answer`` to question ``question_id``, print one line, and return a Result.

    ``answer`` is the reader's function (not its output) for function questions, or a value
    for value questions.  Never raises: every problem becomes a ❌ line with a hint.
    """
    reg = _registry()
    if question_id not in reg:
        near = [k for k in reg if k.split(".")[0] == str(question_id).split(".")[0]]
        hint = f"; known ids here: {', '.join(near)}" if near else ""
        result = Result(str(question_id), False, f"unknown question id{hint}", "failed")
    else:
        q = reg[question_id]
        start = time.perf_counter()
        status, message = evaluate(q, answer)
        elapsed = time.perf_counter() - start
        result = Result(question_id, status == "passed", message, status)
        result.elapsed = elapsed
    print(result.line())
    _log(result)
    return result


def _log(result: Result) -> None:
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"id": result.question_id, "passed": result.passed,
                                 "status": result.status, "message": result.message}) + "\n")
    except OSError:
        pass


__all__ = ["check", "questions", "Question", "QuestionInfo", "Result",
           "as_array", "matches", "diagnose", "grade_answer", "grade_parts", "evaluate"]
