"""GIFT fidelity: partial credit (weights) on choices, short answers and numbers, every construct of
Moodle's "GIFT format" page, `questions import --skip-unsupported`, and grading by weight."""

import random
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from samaschool.assessments.models import Attempt, Question, Quiz
from samaschool.assessments.question_types import REGISTRY, SpecError
from samaschool.assessments.services import save_page, start_attempt, submit_attempt
from samaschool.auth.models import User
from samaschool.content.checks import Checker
from samaschool.content.gift import SkippedItem, parse_gift, to_gift
from samaschool.content.quiz_files import check_question
from samaschool.content.yamlfile import Located
from samaschool.extensions import db

# Every construct of Moodle's "GIFT format" documentation, in one bank.
MOODLE = r"""// Every construct of Moodle's GIFT format page.
$CATEGORY: $course$/top/Grant

// multiple choice, with answer feedback and general feedback
::Grants tomb::Who is buried in Grant's tomb in New York City? {
    =Grant
    ~No one#Was true for 12 years, but Grant's remains were buried in the tomb in 1897
    ~Napoleon#He was buried in France
    ####Ulysses S. Grant and his wife lie there.
}

// missing word, no title
Grant is {~buried =entombed ~living} in Grant's tomb.

// several right answers with weights, negative ones included
::Two people:: What two people are entombed in Grant's tomb? {
    ~%-100%No one
    ~%50%Grant
    ~%50%Grant's wife
    ~%-100%Grant's father
}

// partial credit on a multiple choice with one answer
::Hometown::Jesus Christ was from {
    ~Jerusalem#This was an important city, but the wrong answer.
    ~%25%Bethlehem#He was born here, but not raised here.
    ~%50%Galilee#You need to be more specific.
    =Nazareth#Yes! That's right!
}.

// true/false with feedback
::TF feedback::[plain]Grant is buried in Grant's tomb.{FALSE#No one is buried there.#Right: he lies above ground.}

::Sun:: The sun rises in the east.{T}

// short answer: several answers, partial credit
::Two plus two::[markdown]Two plus two equals {=four =4 =%50%for}.

// matching
::Capitals:: Match the following countries with their corresponding capitals. {
    =Canada -> Ottawa
    =Italy  -> Rome
    =Japan  -> Tokyo
    =India  -> New Delhi
}

$CATEGORY: $course$/top/Numbers

::Born tolerance::When was Ulysses S. Grant born?{#1822:5}

::Pi range::What is the value of pi (to 3 decimal places)? {#3.141..3.142}.

::Born partial::When was Ulysses S. Grant born? {#
    =1822:0
    =%50%1822:2
}

// essay: nobody can grade it automatically
::Biography::Write a short biography of Dag Hammarskjöld. {}

// description: nothing to answer
You can use your pencil and paper for these next math questions.

::Escapes::[html]Which is <b>right</b>\: a \= b, \~c, \#d, \{e\}?\nSecond line
of the same question. {
    =a\=b\#1#Yes\: right.
    ~\{x\}#No.
}
"""

GRANT, NUMBERS = ["grant"], ["numbers"]
MOODLE_SPECS = [
    {
        "id": "grants-tomb",
        "type": "single_choice",
        "tags": GRANT,
        "text": "Who is buried in Grant's tomb in New York City?",
        "choices": [
            {"text": "Grant", "correct": True},
            {
                "text": "No one",
                "correct": False,
                "feedback": "Was true for 12 years, but Grant's remains were buried in the tomb in 1897",
            },
            {"text": "Napoleon", "correct": False, "feedback": "He was buried in France"},
        ],
        "explanation": "Ulysses S. Grant and his wife lie there.",
    },
    {
        "id": "gift-13",
        "type": "single_choice",
        "tags": GRANT,
        "text": "Grant is _____ in Grant's tomb.",
        "choices": [
            {"text": "buried", "correct": False},
            {"text": "entombed", "correct": True},
            {"text": "living", "correct": False},
        ],
    },
    {
        "id": "two-people",
        "type": "multiple_response",
        "tags": GRANT,
        "text": "What two people are entombed in Grant's tomb?",
        "choices": [
            {"text": "No one", "weight": -100},
            {"text": "Grant", "weight": 50},
            {"text": "Grant's wife", "weight": 50},
            {"text": "Grant's father", "weight": -100},
        ],
    },
    {
        "id": "hometown",
        "type": "single_choice",
        "tags": GRANT,
        "text": "Jesus Christ was from _____.",
        "choices": [
            {"text": "Jerusalem", "weight": 0, "feedback": "This was an important city, but the wrong answer."},
            {"text": "Bethlehem", "weight": 25, "feedback": "He was born here, but not raised here."},
            {"text": "Galilee", "weight": 50, "feedback": "You need to be more specific."},
            {"text": "Nazareth", "weight": 100, "feedback": "Yes! That's right!"},
        ],
    },
    {
        "id": "tf-feedback",
        "type": "true_false",
        "tags": GRANT,
        "text": "Grant is buried in Grant's tomb.",
        "answer": False,
        "feedback_wrong": "No one is buried there.",
        "feedback_correct": "Right: he lies above ground.",
    },
    {"id": "sun", "type": "true_false", "tags": GRANT, "text": "The sun rises in the east.", "answer": True},
    {
        "id": "two-plus-two",
        "type": "short_answer",
        "tags": GRANT,
        "text": "Two plus two equals _____.",
        "answers": ["four", "4", {"text": "for", "weight": 50}],
    },
    {
        "id": "capitals",
        "type": "matching",
        "tags": GRANT,
        "text": "Match the following countries with their corresponding capitals.",
        "pairs": [
            {"left": "Canada", "right": "Ottawa"},
            {"left": "Italy", "right": "Rome"},
            {"left": "Japan", "right": "Tokyo"},
            {"left": "India", "right": "New Delhi"},
        ],
    },
    {
        "id": "born-tolerance",
        "type": "numeric",
        "tags": NUMBERS,
        "text": "When was Ulysses S. Grant born?",
        "answer": 1822,
        "tolerance": 5,
    },
    {
        "id": "pi-range",
        "type": "numeric",
        "tags": NUMBERS,
        "text": "What is the value of pi (to 3 decimal places)? _____.",
        "answer": 3.1415,
        "tolerance": 0.0005,
    },
    {
        "id": "born-partial",
        "type": "numeric",
        "tags": NUMBERS,
        "text": "When was Ulysses S. Grant born?",
        "answers": [{"answer": 1822, "tolerance": 0}, {"answer": 1822, "tolerance": 2, "weight": 50}],
    },
    {
        "id": "escapes",
        "type": "single_choice",
        "tags": NUMBERS,
        "text": "Which is <b>right</b>: a = b, ~c, #d, {e}?\nSecond line\nof the same question.",
        "choices": [
            {"text": "a=b#1", "correct": True, "feedback": "Yes: right."},
            {"text": "{x}", "correct": False, "feedback": "No."},
        ],
    },
]
MOODLE_LINES = [5, 13, 16, 24, 32, 34, 37, 40, 49, 51, 53, 64]
MOODLE_SKIPPED = [
    (59, "question 'biography': essay questions ({}) are not supported"),
    (62, "question 'gift-62' has no answer block {...}: description items are not supported"),
]


def _checked(specs: list[dict]):
    checker = Checker()
    doc = Located(data=specs, file="bank.gift")
    checked = [check_question(spec, doc, (n,), checker) for n, spec in enumerate(specs)]
    assert checker.problems == []
    return checked


def _grade(kind: str, data: dict, answer) -> float:
    """The fraction a learner earns for a typed answer, or the choice(s) with these texts."""
    qtype = REGISTRY[kind]
    ids = {re.sub(r"<[^>]+>", "", c["html"]).strip(): c["id"] for c in data.get("choices", [])}
    if kind == "single_choice":
        form = {"q9": ids[answer]}
    elif kind == "multiple_response":
        form = {"q9": [ids[text] for text in answer]}
    else:
        form = {"q9": answer}
    response = qtype.parse(MultiDict(form), "q9", data, [])
    return qtype.grade(data, response).fraction


# ---------------------------------------------------------------------------------------------------------------------
# Import, export, round trip


def test_every_moodle_construct_imports_with_its_weights_and_the_rest_is_named_by_line():
    questions, problems = parse_gift(MOODLE, "bank.gift")
    assert [q.spec for q in questions] == MOODLE_SPECS
    assert [q.line for q in questions] == MOODLE_LINES
    assert all(q.notes == [] for q in questions)
    assert [(p.line, p.message) for p in problems] == MOODLE_SKIPPED
    assert all(isinstance(p, SkippedItem) for p in problems)


def test_export_writes_the_weights_and_import_of_the_export_gives_the_same_bank():
    questions, _ = parse_gift(MOODLE, "bank.gift")
    text, messages = to_gift([q.spec for q in questions])
    assert messages == []
    for written in (
        "~%-100%No one",
        "~%50%Grant's wife",
        "~%25%Bethlehem#He was born here, but not raised here.",
        "=Nazareth#Yes! That's right!",
        "{=four =4 =%50%for}",
        "{#=1822:0 =%50%1822:2}",
        "{#3.1415:0.0005}",
        "{F#No one is buried there.#Right\\: he lies above ground.}",
        "$CATEGORY: numbers",
    ):
        assert written in text
    again, problems = parse_gift(text, "export.gift")
    assert problems == []
    assert [q.spec for q in again] == MOODLE_SPECS
    assert to_gift([q.spec for q in again]) == (text, [])


def test_imported_weights_pass_the_question_bank_checks():
    checked = _checked([q.spec for q in parse_gift(MOODLE, "bank.gift")[0]])
    by_key = {spec.key: spec for spec in checked}
    assert by_key["two-people"].data["scoring"] == "weights"
    assert [c["weight"] for c in by_key["hometown"].data["choices"]] == [0, 25, 50, 100]
    assert by_key["two-plus-two"].data["partial"] == [{"text": "for", "weight": 50}]
    assert by_key["born-partial"].data["answers"][1] == {"answer": 1822, "tolerance": 2, "weight": 50}


@pytest.mark.parametrize(
    ("gift", "spec"),
    [
        # Shared weights are our own partial scoring: right picks share 100%, wrong ones share -100%.
        (
            "::q:: Pick. {~%50%a ~%50%b ~%-50%c ~%-50%d}",
            {"type": "multiple_response", "scoring": "partial"},
        ),
        # One right choice at 100% and -100% on every wrong one: nothing but the right pick earns.
        ("::q:: Pick. {~%100%a ~%-100%b ~%-100%c}", {"type": "multiple_response", "scoring": "all_or_nothing"}),
        # A wrong choice that costs nothing is a weight, not our partial scoring.
        (
            "::q:: Pick. {~%50%a ~%50%b ~c}",
            {
                "type": "multiple_response",
                "choices": [{"text": "a", "weight": 50}, {"text": "b", "weight": 50}, {"text": "c", "weight": 0}],
            },
        ),
        (
            "::q:: Pick. {=a ~%50%b ~c}",
            {
                "type": "single_choice",
                "choices": [{"text": "a", "weight": 100}, {"text": "b", "weight": 50}, {"text": "c", "weight": 0}],
            },
        ),
        # Two numbers worth full marks, and one worth nothing (it changes no grade, so it is dropped).
        (
            "::q:: Pi? {#=3.14 =3.1416:0.0001 ~3}",
            {"answers": [{"answer": 3.14, "tolerance": 0}, {"answer": 3.1416, "tolerance": 0.0001}]},
        ),
        ("::q:: Pi? {#=%100%3.14:0.01}", {"answer": 3.14, "tolerance": 0.01}),
        ("::q:: Ext? {=%100%pdf =%33.33333%doc =%0%txt}", {"answers": ["pdf", {"text": "doc", "weight": 33.33333}]}),
        # Text formats may open answers, feedback and general feedback too.
        (
            "::q:: Pick. {=[html]<b>a</b>#[plain]Yes ~[markdown]b ####[html]<i>Why</i>}",
            {
                "choices": [
                    {"text": "<b>a</b>", "correct": True, "feedback": "Yes"},
                    {"text": "b", "correct": False},
                ],
                "explanation": "<i>Why</i>",
            },
        ),
    ],
)
def test_weights_become_the_closest_spec(gift, spec):
    questions, problems = parse_gift(gift, "q.gift")
    assert problems == []
    assert spec.items() <= questions[0].spec.items()
    text, messages = to_gift([questions[0].spec])
    assert messages == []
    assert parse_gift(text, "x.gift")[0][0].spec == questions[0].spec
    _checked([questions[0].spec])


def test_text_that_starts_like_a_format_survives_the_round_trip():
    specs = [
        {
            "id": "formats",
            "type": "single_choice",
            "text": "Pick.",
            "choices": [
                {"text": "[plain] a", "correct": True, "feedback": "[html]yes"},
                {"text": "b", "correct": False},
            ],
            "explanation": "[html] is a tag",
        },
        {"id": "tf", "type": "true_false", "text": "T?", "answer": True, "feedback_wrong": "[moodle]x"},
        {"id": "sa", "type": "short_answer", "text": "S?", "answers": ["[html]a", {"text": "[plain]b", "weight": 50}]},
        {
            "id": "m",
            "type": "matching",
            "text": "M?",
            "pairs": [{"left": "[html]a", "right": "1"}, {"left": "b", "right": "2"}],
        },
    ]
    text, messages = to_gift(specs)
    assert messages == []
    assert "=[markdown][plain] a#[markdown][html]yes" in text
    questions, problems = parse_gift(text, "x.gift")
    assert problems == []
    assert [q.spec for q in questions] == specs


@pytest.mark.parametrize(
    ("gift", "message"),
    [
        ("::q:: Pick. {~%50%a ~%30%b ~c}", "the positive weights add up to 80%, not 100%"),
        ("::q:: Pick. {=%50%a =%50%b ~c}", "a question with '=' answers needs one answer worth 100%"),
        ("::q:: Pi? {#=%50%3.14 =%25%3}", "a numeric question needs one answer worth 100%"),
        ("::q:: Ext? {=%50%pdf =%50%doc}", "a short answer question needs an answer worth 100%"),
    ],
)
def test_weights_nobody_could_earn_in_full_are_refused(gift, message):
    questions, problems = parse_gift(gift, "q.gift")
    assert questions == []
    assert [(type(p), p.line) for p in problems] == [(SkippedItem, 1)]
    assert message in problems[0].message


def test_what_a_question_loses_is_noted_on_the_question():
    gift = "::q:: From? {\n=Nazareth#Yes!\n=%75%Nazereth#Misspelled.\n}\n"
    questions, problems = parse_gift(gift, "q.gift")
    assert questions[0].spec["answers"] == ["Nazareth", {"text": "Nazereth", "weight": 75}]
    assert [(p.line, p.message) for p in questions[0].notes] == [
        (2, "question 'q': feedback on a short answer is not supported and was left out"),
        (3, "question 'q': feedback on a short answer is not supported and was left out"),
    ]
    assert problems == questions[0].notes
    assert not any(isinstance(p, SkippedItem) for p in problems)


@pytest.mark.parametrize(
    ("spec", "same_spec"),
    [
        (
            {
                "id": "one-right-partial",
                "type": "multiple_response",
                "text": "Pick.",
                "scoring": "partial",
                "choices": [{"text": "a", "correct": True}, {"text": "b"}, {"text": "c"}],
            },
            True,  # one right, two wrong: written as 100 / -50 / -50, which reads back as partial
        ),
        (
            {
                "id": "weights-as-partial",
                "type": "multiple_response",
                "text": "Pick.",
                "choices": [{"text": "a", "weight": 50}, {"text": "b", "weight": 50}, {"text": "c", "weight": -100}],
            },
            False,  # reads back as partial scoring
        ),
        (
            {
                "id": "ranges",
                "type": "numeric",
                "text": "Born?",
                "answers": [{"answer": 1822}, {"min": 1820, "max": 1824, "weight": 50}],
            },
            False,  # reads back as answer and tolerance
        ),
    ],
)
def test_yaml_specs_export_to_gift_that_grades_the_same(spec, same_spec):
    text, messages = to_gift([spec])
    assert messages == []
    questions, problems = parse_gift(text, "x.gift")
    assert problems == []
    back = questions[0].spec
    if same_spec:
        assert back == spec | {
            "choices": [{"text": "a", "correct": True}] + [{"text": t, "correct": False} for t in "bc"]
        }
    before, after = _checked([spec, back])
    qtype = REGISTRY[spec["type"]]
    forms = [{"q9": "1822"}, {"q9": "1821"}, {"q9": "1830"}]
    if "choices" in spec:
        ids = [c["id"] for c in before.data["choices"]]
        forms = [{"q9": list(picks)} for picks in ([ids[0]], ids[:2], ids, [ids[0], ids[2]], [ids[1]])]
    for form in forms:
        assert qtype.grade(before.data, qtype.parse(MultiDict(form), "q9", before.data, [])) == qtype.grade(
            after.data, qtype.parse(MultiDict(form), "q9", after.data, [])
        )


# ---------------------------------------------------------------------------------------------------------------------
# Grading by weight, and the YAML form


def test_grading_by_weight():
    checked = {spec.key: spec.data for spec in _checked([q.spec for q in parse_gift(MOODLE, "b.gift")[0]])}
    assert _grade("short_answer", checked["two-plus-two"], "  FOUR ") == 1
    assert _grade("short_answer", checked["two-plus-two"], "for") == 0.5
    assert _grade("short_answer", checked["two-plus-two"], "five") == 0
    assert _grade("numeric", checked["born-partial"], "1822") == 1
    assert _grade("numeric", checked["born-partial"], "1820") == 0.5  # on the edge of the 50% answer
    assert _grade("numeric", checked["born-partial"], "1819") == 0
    assert _grade("single_choice", checked["hometown"], "Galilee") == 0.5
    assert _grade("single_choice", checked["hometown"], "Nazareth") == 1
    assert _grade("single_choice", checked["hometown"], "Jerusalem") == 0
    tomb = checked["two-people"]
    assert _grade("multiple_response", tomb, ["Grant", "Grant's wife"]) == 1
    assert _grade("multiple_response", tomb, ["Grant"]) == 0.5
    assert _grade("multiple_response", tomb, ["Grant", "No one"]) == 0  # never below nothing
    assert _grade("multiple_response", tomb, ["Grant", "Grant's wife", "No one"]) == 0


def test_the_best_matching_answer_counts_whatever_the_order():
    data = REGISTRY["numeric"].check(
        {
            "answers": [
                {"min": 40, "max": 50, "weight": 10},
                {"answer": 45, "tolerance": 1, "weight": 50},
                {"answer": 45},
            ]
        },
        "q",
    )
    assert [_grade("numeric", data, v) for v in ("45", "45.5", "49", "51")] == [1, 0.5, 0.1, 0]
    data = REGISTRY["short_answer"].check({"answers": [{"text": "pdf", "weight": 20}, "PDF"]}, "q")
    assert _grade("short_answer", data, "pdf") == 1  # matched as 20% and as 100%: the 100% counts


def test_weights_sharing_100_give_full_marks_for_every_right_pick():
    thirds = [{"text": t, "weight": 33.33} for t in "abc"] + [{"text": "d", "weight": -100}]
    data = REGISTRY["multiple_response"].check({"choices": thirds}, "q")
    ids = [c["id"] for c in data["choices"]]
    grade = REGISTRY["multiple_response"].grade(data, {"choices": ids[:3]})
    assert grade.correct and grade.fraction == 1


def test_questions_without_weights_keep_their_data_and_grades():
    """Stored data from before weights existed, and specs without weights, are graded as they always were."""
    assert REGISTRY["numeric"].check({"answer": 45, "tolerance": 0.5}, "q") == {"answer": 45.0, "tolerance": 0.5}
    assert REGISTRY["short_answer"].check({"answers": ["pdf", 7]}, "q") == {
        "answers": ["pdf", "7"],
        "pattern": None,
        "case_sensitive": False,
    }
    single = REGISTRY["single_choice"].check({"choices": [{"text": "a", "correct": True}, {"text": "b"}]}, "q")
    assert all(set(c) == {"id", "html", "correct", "feedback_html"} for c in single["choices"])
    assert _grade("numeric", {"answer": 45.0, "tolerance": 0.5}, "45.5") == 1
    assert _grade("short_answer", {"answers": ["pdf"], "pattern": None, "case_sensitive": False}, "PDF") == 1
    assert REGISTRY["numeric"].right_answer_text({"answer": 45.0, "tolerance": 0.5}) == "45 ± 0.5"


def test_right_answer_text_names_the_full_mark_answers():
    numeric = REGISTRY["numeric"].check(
        {"answers": [{"answer": 1822, "tolerance": 2, "weight": 50}, {"answer": 1822}]}, "q"
    )
    assert REGISTRY["numeric"].right_answer_text(numeric) == "1822"
    short = REGISTRY["short_answer"].check({"answers": ["four", {"text": "for", "weight": 50}, "4"]}, "q")
    assert REGISTRY["short_answer"].right_answer_text(short) == "four / 4"


@pytest.mark.parametrize(
    ("kind", "spec", "message"),
    [
        ("single_choice", {"choices": [{"text": "a", "weight": 50}, {"text": "b"}]}, "needs a choice with weight 100"),
        ("single_choice", {"choices": [{"text": "a", "weight": 100}, {"text": "b", "weight": -5}]}, "from 0 to 100"),
        (
            "single_choice",
            {"choices": [{"text": "a", "weight": 100}, {"text": "b", "correct": False}]},
            "either 'correct' or 'weight'",
        ),
        ("multiple_response", {"choices": [{"text": "a", "weight": 50}, {"text": "b", "weight": 40}]}, "add up to 90"),
        ("multiple_response", {"choices": [{"text": "a", "weight": 101}, {"text": "b"}]}, "from -100 to 100"),
        ("multiple_response", {"choices": [{"text": "a", "weight": "half"}, {"text": "b"}]}, "must be a number"),
        (
            "multiple_response",
            {"scoring": "partial", "choices": [{"text": "a", "weight": 100}, {"text": "b"}]},
            "leave out 'scoring'",
        ),
        ("short_answer", {"answers": [{"text": "pdf", "weight": 50}]}, "at least one answer must earn full marks"),
        ("short_answer", {"answers": ["pdf", {"text": "doc", "weight": 0}]}, "above 0 and at most 100"),
        ("short_answer", {"answers": ["pdf", {"weight": 50}]}, "each answer needs 'text'"),
        ("short_answer", {"answers": ["pdf", {"text": "doc", "score": 50}]}, "unknown key 'score'"),
        ("numeric", {"answers": [{"answer": 3, "weight": 50}]}, "at least one answer must earn full marks"),
        ("numeric", {"answer": 3, "answers": [{"answer": 3}]}, "not both"),
        ("numeric", {"answers": []}, "at least one answer"),
        ("numeric", {"answers": [{"answer": 3}, {"min": 5, "max": 1, "weight": 10}]}, "min at most max"),
        ("numeric", {"answers": [{"answer": 3}, {"min": 1, "max": 5, "answer": 3}]}, "without 'answer'"),
        ("numeric", {"answers": [{"answer": 3, "tolerance": -1}]}, "'tolerance' must be a number of 0 or more"),
        ("numeric", {"answers": [{"answer": float("inf")}]}, "'answer' must be a number"),
        ("numeric", {"answers": [3]}, "each answer needs"),
    ],
)
def test_bad_weights_in_yaml_are_refused(kind, spec, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        REGISTRY[kind].check(spec, "q")


def test_the_weighted_examples_in_the_courses_readme_are_valid_and_grade_by_weight():
    readme = (Path(__file__).resolve().parents[2] / "courses" / "README.md").read_text()
    section = readme.split("### Partial credit: `weight`", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    specs = yaml.safe_load(block)
    checked = {spec.key: spec.data for spec in _checked(specs)}
    assert set(checked) == {"cv-backup", "scam-signs-weighted", "short-pdf-weighted", "num-fee-weighted"}
    assert _grade("single_choice", checked["cv-backup"], "Only in your cloud drive") == 0.5
    assert _grade("short_answer", checked["short-pdf-weighted"], "Portable Document Format") == 0.5
    assert [_grade("numeric", checked["num-fee-weighted"], v) for v in ("45", "46", "41", "39")] == [1, 0.5, 0.1, 0]
    text, messages = to_gift(specs)
    assert messages == []
    assert len(parse_gift(text, "readme.gift")[0]) == 4


# ---------------------------------------------------------------------------------------------------------------------
# The command line, against the database


def _import(app, path: Path, course, *flags: str):
    return app.test_cli_runner().invoke(args=["questions", "import", str(path), "--course", course.slug, *flags])


def test_skip_unsupported_imports_the_rest_and_lists_what_it_skipped_by_line(app, make, tmp_path):
    course = make.course()
    path = tmp_path / "moodle.gift"
    path.write_text(MOODLE + "\n::Misspelt:: From? {=Nazareth =%75%Nazereth#Misspelled.}\n")
    result = _import(app, path, course, "--skip-unsupported")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{path}:59: skipped: question 'biography': essay questions ({{}}) are not supported",
        f"{path}:62: skipped: question 'gift-62' has no answer block {{...}}: description items are not supported",
        f"{path}:70: question 'misspelt': feedback on a short answer is not supported and was left out",
        f"Imported 13 question(s) into {course.slug}: 13 new, 0 updated. "
        "Skipped 2 item(s); 1 imported question(s) lost something, as listed above.",
    ]
    with app.app_context():
        stored = {q.key: q for q in db.session.scalars(select(Question).where(Question.course_id == course.id))}
        assert set(stored) == {spec["id"] for spec in MOODLE_SPECS} | {"misspelt"}
        assert stored["misspelt"].data["partial"] == [{"text": "Nazereth", "weight": 75}]
        assert stored["two-people"].data["scoring"] == "weights"


def test_skip_unsupported_also_skips_what_the_bank_checks_refuse(app, make, tmp_path):
    course = make.course()
    make.quiz(course)  # questions q1..q3 from courses/
    path = tmp_path / "clash.gift"
    path.write_text("::q1:: Overwrite me? {T}\n\n::fine:: Kept. {F}\n")
    result = _import(app, path, course, "--skip-unsupported")
    assert result.exit_code == 0, result.output
    assert f"{path}:1: skipped: question id 'q1' is already used by a question from courses/" in result.output
    assert "Imported 1 question(s)" in result.output and "Skipped 1 item(s)" in result.output
    with app.app_context():
        assert db.session.scalar(select(Question).where(Question.key == "fine")).source == "gift"


def test_without_skip_unsupported_nothing_is_written_and_every_problem_has_its_line(app, make, tmp_path):
    course = make.course()
    path = tmp_path / "moodle.gift"
    path.write_text(MOODLE + "\n::Misspelt:: From? {=Nazareth =%75%Nazereth#Misspelled.}\n")
    result = _import(app, path, course)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:59: question 'biography': essay questions ({{}}) are not supported",
        f"{path}:62: question 'gift-62' has no answer block {{...}}: description items are not supported",
        f"{path}:70: question 'misspelt': feedback on a short answer is not supported and was left out",
        "3 problem(s) found; nothing was imported.",
    ]
    with app.app_context():
        assert db.session.scalar(select(Question)) is None


def test_cli_export_then_import_round_trips_the_bank(app, make, tmp_path):
    first, second = make.course(), make.course()
    path = tmp_path / "moodle.gift"
    path.write_text(MOODLE)
    assert _import(app, path, first, "--skip-unsupported").exit_code == 0
    exported = app.test_cli_runner().invoke(args=["questions", "export", "--course", first.slug])
    assert exported.exit_code == 0 and exported.stderr == ""
    path.write_text(exported.stdout)
    result = _import(app, path, second)
    assert result.exit_code == 0, result.output
    with app.app_context():

        def bank(course):
            rows = db.session.scalars(select(Question).where(Question.course_id == course.id))
            return {q.key: (q.type, q.tags, q.spec, q.data) for q in rows}

        assert bank(second) == bank(first)
        assert len(bank(second)) == len(MOODLE_SPECS)


def test_learners_earn_the_weight_of_their_answer(app, make, tmp_path):
    course = make.course()
    path = tmp_path / "moodle.gift"
    path.write_text(MOODLE)
    assert _import(app, path, course, "--skip-unsupported").exit_code == 0
    keys = ["two-plus-two", "born-partial", "hometown", "two-people"]
    quiz = make.quiz(course, questions=[{"id": key, "type": "true_false"} for key in keys], questions_per_page=10)
    user = make.user()
    with app.app_context():
        learner, quiz = db.session.get(User, user.id), db.session.get(Quiz, quiz.id)
        attempt = start_attempt(learner, quiz, rng=random.Random(7))
        db.session.flush()
        by_key = {aq.question.key: aq for aq in attempt.questions}
        ids = {
            key: {re.sub(r"<[^>]+>", "", c["html"]).strip(): c["id"] for c in by_key[key].question.data["choices"]}
            for key in ("hometown", "two-people")
        }
        form = MultiDict(
            [
                (f"q{by_key['two-plus-two'].id}", "For"),  # the 50% short answer
                (f"q{by_key['born-partial'].id}", "1821"),  # inside the 50% range only
                (f"q{by_key['hometown'].id}", ids["hometown"]["Bethlehem"]),  # 25%
                (f"q{by_key['two-people'].id}", ids["two-people"]["Grant's wife"]),  # 50%
            ]
        )
        assert save_page(attempt, form, 1) == {}
        assert submit_attempt(attempt)
        db.session.commit()
        attempt = db.session.get(Attempt, attempt.id)
        scores = {aq.question.key: (aq.score, aq.points, aq.is_correct) for aq in attempt.questions}
        assert scores == {
            "two-plus-two": (0.5, 1, False),
            "born-partial": (0.5, 1, False),
            "hometown": (0.25, 1, False),
            "two-people": (0.5, 1, False),
        }
        assert attempt.score_percent == 43.75
