from pathlib import Path

import pytest
import yaml

from samaschool.content.checks import Checker
from samaschool.content.gift import parse_gift, slugify, to_gift
from samaschool.content.quiz_files import check_question
from samaschool.content.yamlfile import Located, Problem

EVERYTHING = r"""// Samaschool sample: every feature GIFT import supports
$CATEGORY: $course$/top/Online Safety/Passwords

::Strongest password?::[markdown]Which is the \{hardest\} to guess\: really? {
    ~Nairobi2024#Place names are guessed first.
    =green mango bus window#Four random words.
    // a comment inside the answer block
    ~P@ss\=w0rd\~1#Symbol \#swaps are well known.
    ####Length beats cleverness.\nUse four words.
}

::Scam signs:: Which are warning signs of a job scam? {
    ~%50%A registration fee#Real employers pay you.
    ~%50%Moving to WhatsApp early
    ~%-100%The rate is listed
}

::All of them:: Which are fruit? {=Mango =Banana ~Cassava}

// no title: the id comes from the line
Free public Wi-Fi is safe for mobile money. {F#Public Wi-Fi can be watched.#Right.}

::TF plain:: The sun is a star. {TRUE}

$CATEGORY: files

::PDF ending:: What three letters end a PDF file name? {=pdf =.pdf}

::Fee:: A client pays 50 and the platform keeps 10%. How much do you get? {#45:0.5}

::Range:: Name a number from 1 to 5. {#1..5####Any of 1 to 5 is fine.}

::Match terms:: Match each term to its meaning. {
    =Sync -> The same copy everywhere
    =Share link -> The file stays in your cloud#Not a copy.
    =Attachment -> A copy sent with a message
}

::Missing word:: Moodle costs {~lots of money =nothing} to download from moodle.org.

::Plain format::[plain]Is 2 + 2 \= 4? A backslash\\n stays. {T}
"""

EXPECTED = [
    {
        "id": "strongest-password",
        "type": "single_choice",
        "tags": ["online-safety", "passwords"],
        "text": "Which is the {hardest} to guess: really?",
        "choices": [
            {"text": "Nairobi2024", "correct": False, "feedback": "Place names are guessed first."},
            {"text": "green mango bus window", "correct": True, "feedback": "Four random words."},
            {"text": "P@ss=w0rd~1", "correct": False, "feedback": "Symbol #swaps are well known."},
        ],
        "explanation": "Length beats cleverness.\nUse four words.",
    },
    {
        "id": "scam-signs",
        "type": "multiple_response",
        "tags": ["online-safety", "passwords"],
        "text": "Which are warning signs of a job scam?",
        "choices": [
            {"text": "A registration fee", "correct": True, "feedback": "Real employers pay you."},
            {"text": "Moving to WhatsApp early", "correct": True},
            {"text": "The rate is listed", "correct": False},
        ],
        "scoring": "partial",
    },
    {
        "id": "all-of-them",
        "type": "multiple_response",
        "tags": ["online-safety", "passwords"],
        "text": "Which are fruit?",
        "choices": [
            {"text": "Mango", "correct": True},
            {"text": "Banana", "correct": True},
            {"text": "Cassava", "correct": False},
        ],
        "scoring": "all_or_nothing",
    },
    {
        "id": "gift-21",
        "type": "true_false",
        "tags": ["online-safety", "passwords"],
        "text": "Free public Wi-Fi is safe for mobile money.",
        "answer": False,
        "feedback_wrong": "Public Wi-Fi can be watched.",
        "feedback_correct": "Right.",
    },
    {
        "id": "tf-plain",
        "type": "true_false",
        "tags": ["online-safety", "passwords"],
        "text": "The sun is a star.",
        "answer": True,
    },
    {
        "id": "pdf-ending",
        "type": "short_answer",
        "tags": ["files"],
        "text": "What three letters end a PDF file name?",
        "answers": ["pdf", ".pdf"],
    },
    {
        "id": "fee",
        "type": "numeric",
        "tags": ["files"],
        "text": "A client pays 50 and the platform keeps 10%. How much do you get?",
        "answer": 45.0,
        "tolerance": 0.5,
    },
    {
        "id": "range",
        "type": "numeric",
        "tags": ["files"],
        "text": "Name a number from 1 to 5.",
        "answer": 3.0,
        "tolerance": 2.0,
        "explanation": "Any of 1 to 5 is fine.",
    },
    {
        "id": "match-terms",
        "type": "matching",
        "tags": ["files"],
        "text": "Match each term to its meaning.",
        "pairs": [
            {"left": "Sync", "right": "The same copy everywhere"},
            {"left": "Share link", "right": "The file stays in your cloud", "feedback": "Not a copy."},
            {"left": "Attachment", "right": "A copy sent with a message"},
        ],
    },
    {
        "id": "missing-word",
        "type": "single_choice",
        "tags": ["files"],
        "text": "Moodle costs _____ to download from moodle.org.",
        "choices": [{"text": "lots of money", "correct": False}, {"text": "nothing", "correct": True}],
    },
    {
        "id": "plain-format",
        "type": "true_false",
        "tags": ["files"],
        "text": "Is 2 + 2 = 4? A backslash\\n stays.",
        "answer": True,
    },
]


def test_every_supported_feature_imports_exactly():
    questions, problems = parse_gift(EVERYTHING, "sample.gift")
    assert problems == []
    assert [q.spec for q in questions] == EXPECTED
    assert [q.line for q in questions] == [4, 12, 18, 21, 23, 27, 29, 31, 33, 39, 41]


def test_imported_specs_pass_the_question_bank_checks():
    questions, _ = parse_gift(EVERYTHING, "sample.gift")
    checker = Checker()
    doc = Located(data=[q.spec for q in questions], file="sample.gift")
    checked = [check_question(spec, doc, (n,), checker) for n, spec in enumerate(doc.data)]
    assert checker.problems == []
    assert all(checked)


WITH_ERRORS = """::Good one:: Pick the even number. {=2 ~3}

::Essay:: Tell us about yourself. {}

::Description:: This is only some information.

::Unclosed:: Which is right?
{=yes
~no

::Partial:: Name a primary colour. {=red =blue =%50%purple}

::Bad number:: How many? {#twelve}

::Good one:: The same title again. {T}

::Numeric partial:: What is pi? {
#=3.14:0.01
=%50%3:0.5
}

::Last:: Still read after all that. {F}
"""


def test_errors_are_reported_with_lines_and_valid_questions_survive():
    questions, problems = parse_gift(WITH_ERRORS, "bad.gift")
    assert [(q.spec["id"], q.line) for q in questions] == [
        ("good-one", 1),
        ("partial", 11),
        ("numeric-partial", 17),
        ("last", 22),
    ]
    assert questions[1].spec["answers"] == ["red", "blue", {"text": "purple", "weight": 50}]
    assert questions[2].spec["answers"] == [
        {"answer": 3.14, "tolerance": 0.01},
        {"answer": 3, "tolerance": 0.5, "weight": 50},
    ]
    assert all(p.file == "bad.gift" for p in problems)
    assert [(p.line, p.message) for p in problems] == [
        (3, "question 'essay': essay questions ({}) are not supported"),
        (5, "question 'description' has no answer block {...}: description items are not supported"),
        (8, "question 'unclosed': this '{' is never closed with '}'"),
        (13, "question 'bad-number': 'twelve' is not a number, 'n:tolerance' or 'low..high'"),
        (15, "question id 'good-one' is already used on line 1"),
    ]
    assert str(problems[0]) == "bad.gift:3: question 'essay': essay questions ({}) are not supported"


@pytest.mark.parametrize(
    ("gift", "line", "message"),
    [
        ("\n::Open title Pick {T}", 2, "the title that starts with '::' is never closed with '::'"),
        ("::q:: Pick. {~a ~b}", 1, "no answer is marked right"),
        ("::q:: Pick. {maybe}", 1, "fits no question type"),
        ("::q:: Pick.\n{oops =a ~b}", 2, "'oops' comes before the first '=' or '~' answer"),
        ("::q:: Pick. {=a ~a}", 1, "two choices have the same text"),
        ("::q:: Pick. {~%150%a ~b}", 1, "the weight %150% is not between -100 and 100"),
        ("::q:: Match. {=a -> 1 ~b}", 1, "every answer of a matching question must be '=left -> right'"),
        ("::q:: Match. {=a -> 1}", 1, "a matching question needs at least two pairs"),
        ("::q:: Match. {=a -> 1 = -> 2}", 1, "a matching pair needs both sides"),
        ("::q:: Two {=a ~b} blocks\n{T}", 2, "a question may have only one answer block"),
        ("::q:: {T}", 1, "question 'q' has no question text"),
        ("::q:: Range. {#5..1}", 1, "'5..1' is not a number"),
        ("::q:: Tolerance. {#5:-1}", 1, "'5:-1' is not a number"),
        ("::q:: Not finite. {#nan}", 1, "'nan' is not a number"),
        ("::q:: Only partial. {#=%50%3}", 1, "a numeric question needs one answer worth 100%"),
        ("::q:: Only partial. {=%50%pdf}", 1, "a short answer question needs an answer worth 100%"),
    ],
)
def test_questions_that_cannot_be_imported(gift, line, message):
    questions, problems = parse_gift(gift, "q.gift")
    assert questions == []
    assert len(problems) >= 1
    assert problems[0].line == line
    assert message in problems[0].message


@pytest.mark.parametrize(
    ("gift", "fields", "message"),
    [
        ("::q:: Pi? {#3.14:0.01#Well done}", {"answer": 3.14}, "feedback on a numeric answer is not supported"),
        ("::q:: Pi? {#=3.14 ~3#Too round}", {"answer": 3.14}, "feedback on a numeric answer is not supported"),
        ("::q:: Pi? {#=3.14 =%-50%3}", {"answer": 3.14}, "a negative weight is not supported; the answer '3'"),
        ("::q:: Ext? {=pdf =%-50%doc}", {"answers": ["pdf"]}, "a negative weight is not supported; the answer 'doc'"),
        ("::q:: Pick. {=a ~%-50%b ~c}", {"type": "single_choice"}, "a negative weight on a single choice"),
        ("::q:: Ext? {=pdf#Yes}", {"answers": ["pdf"]}, "feedback on a short answer is not supported"),
        ("::q:: Sure? {T#a#b#c}", {"feedback_wrong": "a"}, "a true/false answer takes two feedbacks at most"),
        ("::q:: Pick. {=%50%a ~b}", {"type": "single_choice"}, "partial credit on the only right choice"),
    ],
)
def test_partly_supported_questions_are_kept_and_what_is_lost_is_reported(gift, fields, message):
    questions, problems = parse_gift(gift, "q.gift")
    assert len(questions) == 1
    assert fields.items() <= questions[0].spec.items()
    assert [p.line for p in problems] == [1]
    assert message in problems[0].message


def test_categories_titles_and_untitled_ids():
    gift = "$CATEGORY: a/B c//d\n::Q1:: x {T}\n\n$CATEGORY:\n\nno title {F}\n\n::!!!:: odd title {T}\n"
    questions, problems = parse_gift(gift, "c.gift")
    assert problems == []
    assert [(q.spec["id"], q.spec.get("tags")) for q in questions] == [
        ("q1", ["a", "b-c", "d"]),
        ("gift-6", None),
        ("gift-8", None),
    ]
    assert slugify("  Hello, World! " + "x" * 100) == ("hello-world-" + "x" * 100)[:80]
    assert slugify("Ça va?") == "a-va"


def test_only_comments_and_blank_lines_give_nothing():
    assert parse_gift("// one\n\n   \n// two\n", "e.gift") == ([], [])
    assert parse_gift("", "e.gift") == ([], [])


def test_windows_line_endings():
    questions, problems = parse_gift("::a:: One {T}\r\n\r\n::b:: Two {F}\r\n", "w.gift")
    assert problems == []
    assert [(q.spec["id"], q.line) for q in questions] == [("a", 1), ("b", 3)]


ROUND_TRIP = [
    {
        "id": "sc-specials",
        "type": "single_choice",
        "tags": ["safety", "passwords"],
        "text": "Which is *best*?\n\nMind the {braces}, a = b, ~tilde, #hash, time 10:30 and a \\ backslash.",
        "choices": [
            {"text": "P@ss=w0rd~#1", "correct": False, "feedback": "Known trick: {swap} letters."},
            {"text": "green mango bus window", "correct": True, "feedback": "Long.\nEasy to remember."},
            {"text": "T", "correct": False},
        ],
        "explanation": "Length beats cleverness: use **four** words.",
    },
    {
        "id": "mr-partial",
        "type": "multiple_response",
        "tags": ["safety", "passwords"],
        "text": "Choose all that apply.",
        "choices": [
            {"text": "a", "correct": True, "feedback": "yes"},
            {"text": "b", "correct": True},
            {"text": "c", "correct": True},
            {"text": "d", "correct": False, "feedback": "no"},
        ],
        "scoring": "partial",
    },
    {
        "id": "mr-one-right",
        "type": "multiple_response",
        "tags": ["scams"],
        "text": "Choose all that apply.",
        "choices": [{"text": "only this", "correct": True}, {"text": "not this", "correct": False}],
        "scoring": "all_or_nothing",
    },
    {
        "id": "tf-both",
        "type": "true_false",
        "text": "Public Wi-Fi is safe.",
        "answer": False,
        "feedback_correct": "Right.",
        "feedback_wrong": "It can be watched.",
    },
    {"id": "tf-right-only", "type": "true_false", "text": "Yes?", "answer": True, "feedback_correct": "Good."},
    {"id": "tf-wrong-only", "type": "true_false", "text": "No?", "answer": False, "feedback_wrong": "Think again."},
    {"id": "tf-bare", "type": "true_false", "text": "Bare.", "answer": True, "explanation": "Because."},
    {
        "id": "sa",
        "type": "short_answer",
        "tags": ["files"],
        "text": "Extension of a PDF?",
        "answers": ["pdf", ".pdf", "a=b#c"],
    },
    {"id": "num-int", "type": "numeric", "text": "50 minus 10%?", "answer": 45, "tolerance": 0},
    {"id": "num-float", "type": "numeric", "text": "Small.", "answer": -0.00012, "tolerance": 1e-05},
    {"id": "num-big", "type": "numeric", "text": "Big.", "answer": 1.5e20, "tolerance": 2.25},
    {
        "id": "match",
        "type": "matching",
        "text": "Match each term to its meaning.",
        "pairs": [
            {"left": "Gold task", "right": "A task whose answer is known -> used to check", "feedback": "Yes."},
            {"left": "Guideline", "right": "The written rules: how to label"},
        ],
        "explanation": "Terms.",
    },
    {
        "id": "missing-word",
        "type": "single_choice",
        "text": "Moodle costs _____ to download.",
        "choices": [{"text": "nothing", "correct": True}, {"text": "a lot", "correct": False}],
    },
]


def test_export_round_trip_gives_back_equal_specs():
    text, messages = to_gift(ROUND_TRIP)
    assert messages == []
    questions, problems = parse_gift(text, "x.gift")
    assert problems == []
    assert [q.spec for q in questions] == ROUND_TRIP


def test_export_text_is_moodle_gift():
    text, _ = to_gift(ROUND_TRIP)
    blocks = text.split("\n\n")
    assert blocks[0] == "$CATEGORY: safety/passwords"
    assert "~%33.33333%a#yes" in text
    assert "~%-100%d#no" in text
    assert "~%100%only this" in text
    assert "::tf-both::[markdown]Public Wi-Fi is safe. {F#It can be watched.#Right.}" in text
    assert "{T##Good.}" in text
    assert "{F#Think again.}" in text
    assert "{T####Because.}" in text
    assert "{=pdf =.pdf =a\\=b\\#c}" in text
    assert "{#45:0}" in text
    assert "Mind the \\{braces\\}, a \\= b, \\~tilde, \\#hash, time 10\\:30 and a \\\\ backslash." in text
    assert "=Gold task -> A task whose answer is known -> used to check#Yes." in text
    # tags go back to none: the category is reset rather than inherited
    assert "$CATEGORY:\n" in text
    assert text.endswith("}\n")


def test_export_skips_ordering_and_transcription_with_a_message():
    specs = [
        {"id": "order-it", "type": "ordering", "text": "Order.", "items": ["a", "b"]},
        {"id": "tf", "type": "true_false", "text": "Kept.", "answer": True},
        {"id": "say-it", "type": "transcription", "text": "Write.", "reference": "Hello."},
        {"id": "what", "type": "essay", "text": "Write."},
    ]
    text, messages = to_gift(specs)
    assert messages == [
        "skipped 'order-it': ordering questions have no GIFT form",
        "skipped 'say-it': transcription questions have no GIFT form",
        "skipped 'what': unknown question type 'essay'",
    ]
    assert text == "::tf::[markdown]Kept. {T}\n"
    assert to_gift([]) == ("", [])


def test_export_names_what_gift_cannot_keep():
    specs = [
        {
            "id": "aon",
            "type": "multiple_response",
            "text": "All?",
            "scoring": "all_or_nothing",
            "points": 3,
            "choices": [{"text": "a", "correct": True}, {"text": "b", "correct": True}, {"text": "c"}],
        },
        {
            "id": "Upper_ID",
            "type": "matching",
            "text": "Match.",
            "tags": ["Data Annotation"],
            "pairs": [{"left": "a", "right": "1"}, {"left": "b", "right": "2", "but not change": None}],
        },
        {"id": "sa", "type": "short_answer", "text": "Ext?", "answers": ["pdf"], "pattern": "^pdf$"},
    ]
    text, messages = to_gift(specs)
    assert messages == [
        "'aon' (multiple_response): GIFT cannot keep all_or_nothing scoring (written with shared weights, "
        "so it reads back as partial), 'points'",
        "'Upper_ID' (matching): GIFT cannot keep 'but not change', the id (reads back as 'upper-id'), "
        "the tags (read back as ['data-annotation'])",
        "'sa' (short_answer): GIFT cannot keep 'pattern'",
    ]
    questions, problems = parse_gift(text, "x.gift")
    assert problems == []
    assert questions[0].spec["scoring"] == "partial"
    assert "~%50%a" in text
    assert [q.spec["id"] for q in questions] == ["aon", "upper-id", "sa"]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (
            {"id": "m", "type": "matching", "text": "M.", "pairs": [{"left": "a->b", "right": "1"}]},
            "a matching left side holds '->'",
        ),
        (
            {"id": "c", "type": "single_choice", "text": "C.", "choices": [{"text": "a -> b", "correct": True}]},
            "an answer holds '->'",
        ),
        ({"id": "s", "type": "short_answer", "text": "S.", "answers": ["%50% off"]}, "starts with '%number%'"),
    ],
)
def test_export_skips_what_would_read_back_wrong(spec, reason):
    text, messages = to_gift([spec])
    assert text == ""
    assert len(messages) == 1
    assert messages[0].startswith(f"skipped '{spec['id']}': ")
    assert reason in messages[0]


def _normalised(spec: dict) -> dict:
    """A YAML spec as GIFT gives it back: defaults spelled out, surrounding space gone, no points."""
    spec = {key: value for key, value in spec.items() if key != "points"}
    for key in ("text", "explanation", "feedback_correct", "feedback_wrong"):
        if key in spec:
            spec[key] = str(spec[key]).strip()
    if "choices" in spec:
        spec["choices"] = [
            {"text": str(c["text"]).strip(), "correct": bool(c.get("correct", False))}
            | ({"feedback": str(c["feedback"]).strip()} if c.get("feedback") else {})
            for c in spec["choices"]
        ]
    if spec["type"] == "multiple_response":
        spec.setdefault("scoring", "all_or_nothing")
    if spec["type"] == "numeric":
        spec.setdefault("tolerance", 0)
    if "answers" in spec:
        spec["answers"] = [str(a) for a in spec["answers"]]
    return spec


def test_the_course_question_banks_round_trip():
    files = sorted(Path(__file__).resolve().parents[2].glob("courses/*/questions/*.yml"))
    assert files, "the shipped courses have question banks"
    compared = 0
    for file in files:
        for spec in yaml.safe_load(file.read_text()):
            spec.pop("lesson", None)  # the course's own lesson: GIFT has no place for it (export says so)
            text, messages = to_gift([spec])
            if messages:
                no_form = ("ordering", "transcription", "audio_transcription", "image_classification", "image_region")
                assert spec["type"] in no_form or "GIFT cannot keep" in messages[0]
                continue
            questions, problems = parse_gift(text, file.name)
            assert problems == [], (file, spec["id"])
            assert [q.spec for q in questions] == [_normalised(spec)], (file, spec["id"])
            compared += 1
    assert compared > 0


def test_problem_type_is_the_shared_one():
    _, problems = parse_gift("::x:: {}", "p.gift")
    assert isinstance(problems[0], Problem)
