"""Self-check quizzes that grade in the browser, with no Python kernel.

A chapter ends with a short quiz: numeric questions checked against an answer with a
tolerance, and multiple-choice questions whose every option carries its own explanation. ::

    from helpers.quiz import Quiz

    Quiz([
        {"question": "Entropy of a fair coin, in bits?", "answer": 1.0, "tolerance": 1e-3,
         "hint": "H = -sum p log2 p with p = (1/2, 1/2).",
         "explanation": "Two equally likely outcomes: one bit."},
        {"question": "Which direction of KL is mode-seeking?",
         "options": [
             {"text": "reverse KL(q||p)", "correct": True, "feedback": "Yes: ..."},
             {"text": "forward KL(p||q)", "feedback": "No: forward KL is mass-covering ..."},
         ]},
    ])

Displaying a :class:`Quiz` (the last expression of a cell) renders self-contained HTML: the
questions, a small style sheet and a short script, nothing loaded from anywhere.  The static
website shows it as it is; JupyterLab runs the same script.  Math is written between dollar
signs, as in the chapters.
"""

from __future__ import annotations

import html
import json
import math
import re
import hashlib
from numbers import Real

__all__ = ["Quiz"]

_MATH = re.compile(r"\$(.+?)\$")


def _render_text(text: str) -> str:
    """Escape for HTML; $...$ becomes \\(...\\), the delimiters the book's MathJax reads."""
    parts, last = [], 0
    for match in _MATH.finditer(text):
        parts.append(html.escape(text[last:match.start()]))
        parts.append(r"\(" + html.escape(match.group(1)) + r"\)")
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)


def _fail(number: int, message: str):
    raise ValueError(f"quiz question {number}: {message}")


def _check_question(number: int, q) -> dict:
    if not isinstance(q, dict):
        _fail(number, f"expected a dict, got {type(q).__name__}")
    if not isinstance(q.get("question"), str) or not q["question"].strip():
        _fail(number, "needs a non-empty 'question' string")
    if "options" in q and "answer" in q:
        _fail(number, "give either 'answer' (numeric) or 'options' (multiple choice), not both")
    if "answer" in q:
        known = {"question", "answer", "tolerance", "hint", "explanation", "unit"}
        if set(q) - known:
            _fail(number, f"unknown keys {sorted(set(q) - known)}; numeric questions take {sorted(known)}")
        answer, tol = q["answer"], q.get("tolerance")
        if isinstance(answer, bool) or not isinstance(answer, Real) or not math.isfinite(answer):
            _fail(number, f"'answer' must be a finite number, got {answer!r}")
        if isinstance(tol, bool) or not isinstance(tol, Real) or not (tol > 0 and math.isfinite(tol)):
            _fail(number, f"'tolerance' must be a positive number, got {tol!r}")
        for key in ("hint", "explanation"):
            if not isinstance(q.get(key), str) or not q[key].strip():
                _fail(number, f"numeric questions need a '{key}' string (shown after a "
                              f"{'wrong' if key == 'hint' else 'right'} answer)")
        return {"kind": "numeric", **q}
    if "options" in q:
        options = q["options"]
        if not isinstance(options, (list, tuple)) or len(options) < 2:
            _fail(number, "'options' must be a list of at least two options")
        for k, option in enumerate(options, start=1):
            if not isinstance(option, dict) or not isinstance(option.get("text"), str):
                _fail(number, f"option {k} must be a dict with a 'text' string")
            if not isinstance(option.get("feedback"), str) or not option["feedback"].strip():
                _fail(number, f"option {k} needs a 'feedback' string explaining why it is "
                              "right or wrong")
            if set(option) - {"text", "correct", "feedback"}:
                _fail(number, f"option {k} has unknown keys {sorted(set(option) - {'text', 'correct', 'feedback'})}")
        if sum(bool(o.get("correct")) for o in options) != 1:
            _fail(number, "exactly one option must have 'correct': True")
        return {"kind": "choice", **q}
    _fail(number, "needs 'answer' and 'tolerance' (numeric) or 'options' (multiple choice)")


_STYLE = """
.mdl-quiz{border:1px solid #c9d3df;border-radius:6px;padding:.6em 1em;margin:1em 0}
.mdl-quiz .mdl-q{margin:.8em 0 1.1em}
.mdl-quiz .mdl-q-text{margin:.2em 0 .4em}
.mdl-quiz input{width:9em;padding:.2em .4em;font:inherit;border:1px solid #8a96a3;border-radius:4px}
.mdl-quiz button{font:inherit;margin:.15em .3em .15em 0;padding:.2em .7em;cursor:pointer;
  border:1px solid #8a96a3;border-radius:4px;background:#f4f6f8;color:#1d2329}
.mdl-quiz .mdl-options button{display:block;text-align:left;width:100%}
.mdl-quiz button.mdl-right{background:#dff3e4;border-color:#2e7d32}
.mdl-quiz button.mdl-wrong{background:#fbe4e4;border-color:#c62828}
.mdl-quiz .mdl-feedback{margin:.3em 0;min-height:1.2em}
.mdl-quiz .mdl-feedback.mdl-right{color:#1b5e20}
.mdl-quiz .mdl-feedback.mdl-wrong{color:#b71c1c}
"""

_SCRIPT = r"""
(function () {
  var root = document.getElementById("%(id)s");
  if (!root || root.dataset.ready) { return; }
  root.dataset.ready = "1";
  function typeset(el) {
    if (window.MathJax && typeof window.MathJax.typesetPromise === "function") {
      window.MathJax.typesetPromise([el]).catch(function () {});
    }
  }
  function say(box, ok, text) {
    box.className = "mdl-feedback " + (ok ? "mdl-right" : "mdl-wrong");
    box.textContent = text;
    typeset(box);
  }
  function parse(text) {
    var s = text.trim().replace(/\u2212/g, "-").replace(/,/g, "");
    var m = s.match(/^([-+]?[0-9.]+(?:e[-+]?\d+)?)\s*\/\s*([-+]?[0-9.]+(?:e[-+]?\d+)?)$/i);
    if (m) { return parseFloat(m[1]) / parseFloat(m[2]); }
    return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s) ? parseFloat(s) : NaN;
  }
  root.querySelectorAll(".mdl-q").forEach(function (q) {
    var box = q.querySelector(".mdl-feedback");
    if (q.dataset.kind === "numeric") {
      var input = q.querySelector("input"), button = q.querySelector("button");
      var check = function () {
        var x = parse(input.value);
        if (!isFinite(x)) { say(box, false, "Type a number, e.g. 0.25 or 1/4."); return; }
        var ok = Math.abs(x - parseFloat(q.dataset.answer)) <= parseFloat(q.dataset.tolerance);
        say(box, ok, ok ? "Correct. " + q.dataset.explanation : "Not quite. " + q.dataset.hint);
      };
      button.addEventListener("click", check);
      input.addEventListener("keydown", function (e) { if (e.key === "Enter") { check(); } });
    } else {
      q.querySelectorAll(".mdl-options button").forEach(function (b) {
        b.addEventListener("click", function () {
          var ok = b.dataset.correct === "true";
          q.querySelectorAll(".mdl-options button").forEach(function (o) { o.className = ""; });
          b.className = ok ? "mdl-right" : "mdl-wrong";
          say(box, ok, (ok ? "Correct. " : "Not quite. ") + b.dataset.feedback);
        });
      });
    }
  });
})();
"""


class Quiz:
    """A self-check quiz; display it to render the questions (see the module docstring)."""

    def __init__(self, questions, title: str = "Self-check quiz"):
        if not isinstance(questions, (list, tuple)) or not questions:
            raise ValueError("a quiz needs a non-empty list of questions")
        self.questions = [_check_question(i, q) for i, q in enumerate(questions, start=1)]
        self.title = title

    def __len__(self) -> int:
        return len(self.questions)

    def _question_html(self, number: int, q: dict) -> str:
        text = f'<p class="mdl-q-text"><strong>{number}.</strong> {_render_text(q["question"])}</p>'
        feedback = '<p class="mdl-feedback" role="status" aria-live="polite"></p>'
        if q["kind"] == "numeric":
            attrs = " ".join(f'data-{k}="{html.escape(str(v), quote=True)}"' for k, v in (
                ("kind", "numeric"), ("answer", repr(float(q["answer"]))),
                ("tolerance", repr(float(q["tolerance"]))),
                ("hint", q["hint"]), ("explanation", q["explanation"])))
            unit = f' {_render_text(q["unit"])}' if q.get("unit") else ""
            return (f'<div class="mdl-q" {attrs}>{text}<input type="text" inputmode="decimal" '
                    f'aria-label="your answer to question {number}">{unit} '
                    f'<button type="button">Check</button>{feedback}</div>')
        buttons = "".join(
            f'<button type="button" data-correct="{str(bool(o.get("correct"))).lower()}" '
            f'data-feedback="{html.escape(o["feedback"], quote=True)}">{_render_text(o["text"])}</button>'
            for o in q["options"])
        return (f'<div class="mdl-q" data-kind="choice">{text}<div class="mdl-options">{buttons}'
                f'</div>{feedback}</div>')

    def _repr_html_(self) -> str:
        digest = hashlib.sha1(json.dumps(self.questions, sort_keys=True).encode()).hexdigest()
        ident = "mdl-quiz-" + digest[:10]  # the same quiz renders the same page
        body = "".join(self._question_html(i, q) for i, q in enumerate(self.questions, start=1))
        return (f'<div class="mdl-quiz mathjax_process" id="{ident}">'
                f'<p><strong>{html.escape(self.title)}</strong>: answer, then press Check or '
                f'pick an option; nothing is recorded.</p>{body}</div>'
                f'<style>{_STYLE}</style><script>{_SCRIPT % {"id": ident}}</script>')
