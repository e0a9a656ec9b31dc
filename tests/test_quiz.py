"""helpers.quiz: questions are validated with clear messages and render self-contained HTML."""

from html.parser import HTMLParser

import pytest

from helpers.quiz import Quiz

NUMERIC = {"question": "Entropy of a fair coin in bits, $H(X)$?", "answer": 1.0, "tolerance": 1e-3,
           "hint": "Use p = (1/2, 1/2).", "explanation": "One bit."}
CHOICE = {"question": "Which KL is mode-seeking?", "options": [
    {"text": "reverse $KL(q\\|p)$", "correct": True, "feedback": "Yes: it avoids where p is small."},
    {"text": "forward", "feedback": "No: \"forward\" KL is mass-covering & <zero-avoiding>."}]}


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _parse(quiz):
    parser = _Collect()
    parser.feed(quiz._repr_html_())
    return parser


def test_renders_questions_answers_and_feedback_as_attributes():
    parsed = _parse(Quiz([NUMERIC, CHOICE]))
    questions = [a for t, a in parsed.tags if "mdl-q" in a.get("class", "").split()]
    assert [q["data-kind"] for q in questions] == ["numeric", "choice"]
    assert float(questions[0]["data-answer"]) == 1.0 and float(questions[0]["data-tolerance"]) == 1e-3
    options = [a for t, a in parsed.tags if t == "button" and "data-correct" in a]
    assert [o["data-correct"] for o in options] == ["true", "false"]
    # quotes and angle brackets survive the round trip through the attribute
    assert options[1]["data-feedback"] == CHOICE["options"][1]["feedback"]


def test_math_uses_the_books_inline_delimiters_and_nothing_is_loaded():
    html = Quiz([NUMERIC, CHOICE])._repr_html_()
    markup = html.split("<style>", 1)[0]
    assert r"\(H(X)\)" in markup and "$" not in markup
    parsed = _parse(Quiz([NUMERIC]))
    assert all("src" not in attrs and "href" not in attrs for _, attrs in parsed.tags)
    assert len(parsed.scripts) == 1 and "http" not in parsed.scripts[0]


def test_the_same_quiz_renders_the_same_html():
    assert Quiz([NUMERIC])._repr_html_() == Quiz([NUMERIC])._repr_html_()
    assert Quiz([NUMERIC])._repr_html_() != Quiz([CHOICE])._repr_html_()


@pytest.mark.parametrize("questions, message", [
    ([], "non-empty list"),
    ("what?", "non-empty list"),
    ([{"answer": 1, "tolerance": 0.1, "hint": "h", "explanation": "e"}], "question 1: needs a non-empty 'question'"),
    ([{**NUMERIC, "tolerance": 0}], "'tolerance' must be a positive number"),
    ([{**NUMERIC, "answer": float("nan")}], "'answer' must be a finite number"),
    ([{**NUMERIC, "answer": "1"}], "'answer' must be a finite number"),
    ([{k: v for k, v in NUMERIC.items() if k != "hint"}], "need a 'hint'"),
    ([{**NUMERIC, "tolerence": 1}], "unknown keys ['tolerence']"),
    ([NUMERIC, {**CHOICE, "options": CHOICE["options"][:1]}], "question 2: 'options' must be a list of at least two"),
    ([{**CHOICE, "options": [{"text": "a", "feedback": "f"}, {"text": "b", "feedback": "g"}]}],
     "exactly one option"),
    ([{**CHOICE, "options": [{"text": "a", "correct": True}, {"text": "b", "feedback": "g"}]}],
     "option 1 needs a 'feedback'"),
    ([{"question": "q"}], "needs 'answer' and 'tolerance'"),
    ([{**NUMERIC, "options": CHOICE["options"]}], "not both"),
])
def test_bad_questions_get_a_clear_message(questions, message):
    with pytest.raises(ValueError) as err:
        Quiz(questions)
    assert message in str(err.value)
