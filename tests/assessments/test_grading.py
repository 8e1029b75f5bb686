"""Every question type: checking the author's spec, reading a form, grading, edge cases."""

import random

import pytest
from werkzeug.datastructures import MultiDict

from samaschool.assessments.question_types import REGISTRY, InvalidAnswer, SpecError, character_error_rate


def build(kind, **spec):
    return REGISTRY[kind].check(spec, "q1")


def grade(kind, data, form, layout=None):
    qtype = REGISTRY[kind]
    layout = layout if layout is not None else qtype.layout(data, random.Random(1), False)
    response = qtype.parse(MultiDict(form), "q9", data, layout)
    return qtype.grade(data, response)


SINGLE = {
    "choices": [
        {"text": "Nairobi2024", "feedback": "Too easy."},
        {"text": "green mango bus window", "correct": True},
        {"text": "P@ssw0rd!"},
    ]
}


def test_single_choice():
    data = build("single_choice", **SINGLE)
    right = next(c["id"] for c in data["choices"] if c["correct"])
    wrong = next(c["id"] for c in data["choices"] if not c["correct"])
    assert grade("single_choice", data, {"q9": right}).correct
    assert grade("single_choice", data, {"q9": wrong}).fraction == 0
    assert grade("single_choice", data, {}).fraction == 0  # empty answer
    with pytest.raises(InvalidAnswer):
        grade("single_choice", data, {"q9": "not-a-choice-of-this-question"})


def test_single_choice_needs_exactly_one_right_choice():
    with pytest.raises(SpecError, match="exactly one"):
        build("single_choice", choices=[{"text": "a", "correct": True}, {"text": "b", "correct": True}])


def test_multiple_response_all_or_nothing_and_partial():
    choices = [
        {"text": "fee", "correct": True},
        {"text": "off-platform", "correct": True},
        {"text": "rate listed"},
        {"text": "clear contract"},
    ]
    strict = build("multiple_response", choices=choices)
    ids = [c["id"] for c in strict["choices"]]
    assert grade("multiple_response", strict, {"q9": ids[:2]}).correct
    assert grade("multiple_response", strict, {"q9": ids[:1]}).fraction == 0
    partial = build("multiple_response", choices=choices, scoring="partial")
    ids = [c["id"] for c in partial["choices"]]
    assert grade("multiple_response", partial, {"q9": ids[:1]}).fraction == pytest.approx(0.5)
    assert grade("multiple_response", partial, {"q9": [ids[0], ids[2]]}).fraction == 0  # one right, one wrong
    assert grade("multiple_response", partial, {"q9": ids}).fraction == 0  # ticking everything earns nothing
    assert grade("multiple_response", partial, {"q9": ids[:2]}).correct


def test_true_false():
    data = build("true_false", answer=False)
    assert grade("true_false", data, {"q9": "false"}).correct
    assert not grade("true_false", data, {"q9": "true"}).correct
    assert grade("true_false", data, {}).fraction == 0
    with pytest.raises(InvalidAnswer):
        grade("true_false", data, {"q9": "maybe"})


def test_short_answer_normalises_case_and_spacing_and_accepts_patterns():
    data = build("short_answer", answers=["pdf", ".pdf"])
    assert grade("short_answer", data, {"q9": "  PDF "}).correct
    assert grade("short_answer", data, {"q9": ".Pdf"}).correct
    assert not grade("short_answer", data, {"q9": "doc"}).correct
    assert grade("short_answer", data, {"q9": "   "}).fraction == 0  # blank counts as empty
    spaced = build("short_answer", answers=["two step verification"])
    assert grade("short_answer", spaced, {"q9": "Two   step\tverification"}).correct
    pattern = build("short_answer", answers=["2FA"], pattern=r"(2fa|two[- ]factor)")
    assert grade("short_answer", pattern, {"q9": "Two-Factor"}).correct
    strict = build("short_answer", answers=["M-Pesa"], case_sensitive=True)
    assert not grade("short_answer", strict, {"q9": "m-pesa"}).correct


def test_numeric_tolerance_boundaries_and_bad_numbers():
    data = build("numeric", answer=45, tolerance=0.5)
    assert grade("numeric", data, {"q9": "45"}).correct
    assert grade("numeric", data, {"q9": "45.5"}).correct  # on the boundary
    assert grade("numeric", data, {"q9": "44,5"}).correct  # decimal comma
    assert not grade("numeric", data, {"q9": "45.51"}).correct
    assert grade("numeric", data, {"q9": ""}).fraction == 0
    for bad in ("forty-five", "nan", "inf", "1e999"):
        with pytest.raises(InvalidAnswer, match="Enter a number"):
            grade("numeric", data, {"q9": bad})
    exact = build("numeric", answer=0.3)
    assert grade("numeric", exact, {"q9": "0.3"}).correct


def test_ordering_gives_credit_per_item_in_place():
    data = build("ordering", items=["Greet", "Show you understood", "Example", "Price"])
    ids = [i["id"] for i in data["items"]]
    layout = REGISTRY["ordering"].layout(data, random.Random(3), True)
    assert layout != ids and sorted(layout) == sorted(ids)  # never shown already solved
    right = {f"q9-{item}": str(n) for n, item in enumerate(ids, start=1)}
    assert grade("ordering", data, right).correct
    swapped = {**right, f"q9-{ids[0]}": "2", f"q9-{ids[1]}": "1"}
    assert grade("ordering", data, swapped).fraction == pytest.approx(0.5)
    with pytest.raises(InvalidAnswer, match="different position"):
        grade("ordering", data, {**right, f"q9-{ids[0]}": "3"})
    with pytest.raises(InvalidAnswer):
        grade("ordering", data, {f"q9-{ids[0]}": "9"})
    for odd in ("²", "٣", "9" * 5000, "-1"):  # digits Python's isdigit() accepts but int() may not
        with pytest.raises(InvalidAnswer, match="Choose a position"):
            grade("ordering", data, {**right, f"q9-{ids[0]}": odd})


def test_matching():
    data = build(
        "matching",
        pairs=[{"left": "Gold task", "right": "Known answer"}, {"left": "Label", "right": "Your answer"}],
    )
    pairs = data["pairs"]
    right = {f"q9-{p['id']}": p["right_id"] for p in pairs}
    assert grade("matching", data, right).correct
    crossed = {f"q9-{pairs[0]['id']}": pairs[1]["right_id"], f"q9-{pairs[1]['id']}": pairs[0]["right_id"]}
    assert grade("matching", data, crossed).fraction == 0
    half = {f"q9-{pairs[0]['id']}": pairs[0]["right_id"]}
    assert grade("matching", data, half).fraction == pytest.approx(0.5)
    with pytest.raises(InvalidAnswer):
        grade("matching", data, {f"q9-{pairs[0]['id']}": "forged"})


def test_transcription_uses_character_error_rate_with_a_threshold():
    data = build("transcription", reference="The delivery is on Tuesday at 3 o'clock.", max_error_percent=10)
    assert grade("transcription", data, {"q9": "The delivery is on Tuesday at 3 o'clock."}).correct
    assert grade("transcription", data, {"q9": "The  delivery is on\nTuesday at 3 o'clock."}).correct  # spacing
    assert grade("transcription", data, {"q9": "The delivery is on tuesday at 3 oclock"}).correct  # 3 edits / 40
    assert not grade("transcription", data, {"q9": "so um the delivery is on Tuesday at three"}).correct
    assert grade("transcription", data, {"q9": ""}).fraction == 0
    assert character_error_rate("abcd", "abcd") == 0
    assert character_error_rate("abcd", "abce") == pytest.approx(0.25)
    exact = build("transcription", reference="[inaudible]", max_error_percent=0)
    assert not grade("transcription", exact, {"q9": "[inaudible"}).correct


def test_choice_ids_do_not_depend_on_position_or_correctness():
    first = build("single_choice", **SINGLE)
    reordered = build(
        "single_choice",
        choices=[
            SINGLE["choices"][1] | {"correct": False},
            SINGLE["choices"][0] | {"correct": True},
            SINGLE["choices"][2],
        ],
    )
    ids = {c["html"]: c["id"] for c in first["choices"]}
    assert all(ids[c["html"]] == c["id"] for c in reordered["choices"])
