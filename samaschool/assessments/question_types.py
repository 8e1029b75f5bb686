"""Question types: one class each, in a registry. Adding a type touches this file only
(plus its template in templates/assessments/questions/<name>.html).

Each type knows how to check an author's spec (from courses/ YAML or GIFT) into stored
`data`, how to order what a learner sees, how to read a submitted form, and how to grade.
Choice ids are derived from the content, never from position or correctness, so nothing
on a quiz page tells which choice is right.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from rapidfuzz.distance import Levenshtein

from samaschool.content.markdown import render_markdown
from samaschool.errors import DomainError
from samaschool.media import boxes

MAX_TEXT_ANSWER = 2000
NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


class InvalidAnswer(DomainError):
    """A submitted answer that cannot be read (not a number, a choice from elsewhere…)."""


class SpecError(Exception):
    """An author's question spec is wrong; `path` locates the value within the question."""

    def __init__(self, message: str, path: tuple = ()):
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Grade:
    fraction: float  # 0..1 of the question's points
    answer_key: str  # a short, comparable form of the answer, for item statistics

    @property
    def correct(self) -> bool:
        return self.fraction >= 0.999999


def content_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:10]


def normalise_text(value: str, *, case_sensitive: bool = False) -> str:
    value = " ".join(str(value).split())
    return value if case_sensitive else value.casefold()


def _md(value: Any, path: tuple, *, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise SpecError("text is required", path)
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise SpecError("must be text", path)
    return render_markdown(str(value))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _weight(value: Any, path: tuple, low: float, *, above: bool = False) -> float:
    """A weight in percent: from `low` (or above it, when `above`) to 100."""
    if not _number(value) or value > 100 or value < low or (above and value == low):
        span = f"above {low:g} and at most 100" if above else f"from {low:g} to 100"
        raise SpecError(f"'weight' must be a number {span} (a percent of the points)", path)
    return float(value)


def _choices(raw: Any, qid: str, *, lowest_weight: float = -100) -> list[dict]:
    """Checked choices. With weights (a percent of the points each), every choice gets a 'weight'
    (0 when left out) and 'correct' means a weight above 0; the question type refines that."""
    if not isinstance(raw, list) or len(raw) < 2:
        raise SpecError("'choices' must list at least two choices", ("choices",))
    result, seen = [], set()
    weighted = any(isinstance(choice, dict) and "weight" in choice for choice in raw)
    for index, choice in enumerate(raw):
        path = ("choices", index)
        if not isinstance(choice, dict) or "text" not in choice:
            raise SpecError("each choice needs 'text'", path)
        unknown = set(choice) - {"text", "correct", "feedback", "weight"}
        if unknown:
            raise SpecError(f"unknown key '{sorted(unknown)[0]}' in a choice", path)
        text = str(choice["text"]).strip()
        if text in seen:
            raise SpecError(f"choice '{text}' appears twice", path)
        seen.add(text)
        if weighted and "correct" in choice:
            raise SpecError("give the choices either 'correct' or 'weight', not both", (*path, "correct"))
        if not isinstance(choice.get("correct", False), bool):
            raise SpecError("'correct' must be true or false", (*path, "correct"))
        checked = {
            "id": content_id(qid, text),
            "html": _md(text, (*path, "text")),
            "correct": bool(choice.get("correct", False)),
            "feedback_html": _md(choice.get("feedback"), (*path, "feedback"), required=False),
        }
        if weighted:
            checked["weight"] = _weight(choice.get("weight", 0), (*path, "weight"), lowest_weight)
            checked["correct"] = checked["weight"] > 0
        result.append(checked)
    return result


def _clamp(fraction: float) -> float:
    return max(0.0, min(1.0, fraction))


class QuestionType:
    name: ClassVar[str]
    label: ClassVar[Any]
    spec_keys: ClassVar[set[str]] = set()

    def check(self, raw: dict, qid: str) -> dict:
        """The stored data for an author's spec, or SpecError."""
        raise NotImplementedError

    def layout(self, data: dict, rng: random.Random, shuffle: bool) -> list[str]:
        """The order of choices or items this learner sees (stored with the attempt)."""
        return []

    def parse(self, form, prefix: str, data: dict, layout: list[str]) -> dict | None:
        """The learner's answer from a submitted form; None when left empty."""
        raise NotImplementedError

    def grade(self, data: dict, response: dict | None) -> Grade:
        raise NotImplementedError

    def right_answer_text(self, data: dict) -> str:
        """Plain text of the right answer, for review when the policy allows."""
        return ""

    def form_values(self, prefix: str, response: dict | None) -> dict[str, list[str]]:
        """A saved answer as the form fields that would submit it (to show it again)."""
        if not response:
            return {}
        value = response.get("choice") or response.get("text")
        return {prefix: [value]} if value else {}


REGISTRY: dict[str, QuestionType] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    REGISTRY[cls.name] = cls()
    return cls


def parse_text(form, prefix: str) -> dict | None:
    """A typed answer (short answer, transcription): trimmed, bounded, None when empty."""
    text = (form.get(prefix) or "").strip()
    if len(text) > MAX_TEXT_ANSWER:
        raise InvalidAnswer(_l("That answer is too long."))
    return {"text": text} if text else None


def _shuffled(ids: list[str], rng: random.Random, shuffle: bool) -> list[str]:
    ids = list(ids)
    if shuffle:
        rng.shuffle(ids)
    return ids


@register
class SingleChoice(QuestionType):
    name = "single_choice"
    label = _l("Single choice")
    spec_keys: ClassVar[set[str]] = {"choices"}

    def check(self, raw, qid):
        choices = _choices(raw.get("choices"), qid, lowest_weight=0)
        if any("weight" in c for c in choices):
            # Moodle's multiple choice with one answer: the pick earns its weight.
            for choice in choices:
                choice["correct"] = choice["weight"] >= 100
            if not any(c["correct"] for c in choices):
                raise SpecError("a single_choice question with weights needs a choice with weight 100", ("choices",))
            return {"choices": choices}
        if sum(c["correct"] for c in choices) != 1:
            raise SpecError("a single_choice question needs exactly one choice marked correct: true", ("choices",))
        return {"choices": choices}

    def layout(self, data, rng, shuffle):
        return _shuffled([c["id"] for c in data["choices"]], rng, shuffle)

    def parse(self, form, prefix, data, layout):
        value = form.get(prefix)
        if not value:
            return None
        if value not in {c["id"] for c in data["choices"]}:
            raise InvalidAnswer(_l("That choice does not belong to this question."))
        return {"choice": value}

    def grade(self, data, response):
        chosen = (response or {}).get("choice", "")
        weights = {c["id"]: c["weight"] for c in data["choices"] if "weight" in c}
        if weights:
            return Grade(_clamp(weights.get(chosen, 0.0) / 100), chosen)
        right = next(c["id"] for c in data["choices"] if c["correct"])
        return Grade(1.0 if chosen == right else 0.0, chosen)


@register
class MultipleResponse(QuestionType):
    name = "multiple_response"
    label = _l("Multiple response")
    spec_keys: ClassVar[set[str]] = {"choices", "scoring"}

    def check(self, raw, qid):
        choices = _choices(raw.get("choices"), qid)
        if any("weight" in c for c in choices):
            # Moodle's multiple choice with several answers: the picks' weights add up, between 0 and 100%.
            if "scoring" in raw:
                raise SpecError("leave out 'scoring' when the choices have weights", ("scoring",))
            total = sum(c["weight"] for c in choices if c["weight"] > 0)
            if round(total / 100, 2) != 1:
                raise SpecError(f"the positive weights add up to {total:g}, not 100", ("choices",))
            return {"choices": choices, "scoring": "weights"}
        if not any(c["correct"] for c in choices):
            raise SpecError("a multiple_response question needs at least one correct choice", ("choices",))
        scoring = raw.get("scoring", "all_or_nothing")
        if scoring not in ("all_or_nothing", "partial"):
            raise SpecError("'scoring' must be all_or_nothing or partial", ("scoring",))
        return {"choices": choices, "scoring": scoring}

    layout = SingleChoice.layout

    def parse(self, form, prefix, data, layout):
        values = form.getlist(prefix)
        valid = {c["id"] for c in data["choices"]}
        if any(v not in valid for v in values):
            raise InvalidAnswer(_l("That choice does not belong to this question."))
        return {"choices": sorted(set(values))} if values else None

    def form_values(self, prefix, response):
        return {prefix: list(response["choices"])} if response else {}

    def grade(self, data, response):
        chosen = set((response or {}).get("choices", []))
        right = {c["id"] for c in data["choices"] if c["correct"]}
        wrong = {c["id"] for c in data["choices"]} - right
        key = ",".join(sorted(chosen))
        if data["scoring"] == "weights":
            total = sum(c["weight"] for c in data["choices"] if c["weight"] > 0)
            return Grade(_clamp(sum(c["weight"] for c in data["choices"] if c["id"] in chosen) / total), key)
        if data["scoring"] == "all_or_nothing":
            return Grade(1.0 if chosen == right else 0.0, key)
        # Moodle-style partial credit: right picks share the points, wrong picks take them away.
        earned = len(chosen & right) / len(right) - (len(chosen & wrong) / len(wrong) if wrong else 0)
        return Grade(max(0.0, min(1.0, earned)), key)


@register
class TrueFalse(QuestionType):
    name = "true_false"
    label = _l("True or false")
    spec_keys: ClassVar[set[str]] = {"answer", "feedback_correct", "feedback_wrong"}

    def check(self, raw, qid):
        if not isinstance(raw.get("answer"), bool):
            raise SpecError("'answer' must be true or false", ("answer",))
        return {
            "answer": raw["answer"],
            "feedback_correct_html": _md(raw.get("feedback_correct"), ("feedback_correct",), required=False),
            "feedback_wrong_html": _md(raw.get("feedback_wrong"), ("feedback_wrong",), required=False),
        }

    def parse(self, form, prefix, data, layout):
        value = form.get(prefix)
        if not value:
            return None
        if value not in ("true", "false"):
            raise InvalidAnswer(_l("Choose true or false."))
        return {"value": value == "true"}

    def form_values(self, prefix, response):
        return {prefix: ["true" if response["value"] else "false"]} if response else {}

    def grade(self, data, response):
        if not response:
            return Grade(0.0, "")
        return Grade(1.0 if response["value"] == data["answer"] else 0.0, "true" if response["value"] else "false")

    def right_answer_text(self, data):
        return str(_l("True")) if data["answer"] else str(_l("False"))


@register
class ShortAnswer(QuestionType):
    name = "short_answer"
    label = _l("Short answer")
    spec_keys: ClassVar[set[str]] = {"answers", "pattern", "case_sensitive"}

    def check(self, raw, qid):
        full, partial = self._answers(raw.get("answers"))
        pattern = raw.get("pattern")
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error as error:
                raise SpecError(f"'pattern' is not a valid regular expression: {error}", ("pattern",)) from None
            # Python's re backtracks: a repeated group that itself repeats, e.g. (\w+\s?)+, can
            # take seconds on one learner's answer and hold the whole server.
            if NESTED_QUANTIFIER.search(str(pattern)) or len(str(pattern)) > 200:
                raise SpecError("'pattern' repeats a group that repeats inside; simplify it", ("pattern",))
        data = {
            "answers": full,
            "pattern": str(pattern) if pattern is not None else None,
            "case_sensitive": bool(raw.get("case_sensitive", False)),
        }
        if partial:
            data["partial"] = partial
        return data

    @staticmethod
    def _answers(answers: Any) -> tuple[list[str], list[dict]]:
        """The full-credit answers, and the partial-credit ones as {text, weight}."""
        if not isinstance(answers, list) or not answers:
            raise SpecError("'answers' must list at least one accepted answer", ("answers",))
        full, partial = [], []
        for n, answer in enumerate(answers):
            if isinstance(answer, str | int | float):
                full.append(str(answer))
                continue
            if not isinstance(answer, dict):
                raise SpecError("'answers' must list at least one accepted answer", ("answers",))
            if unknown := set(answer) - {"text", "weight"}:
                raise SpecError(f"unknown key '{sorted(unknown)[0]}' in an answer", ("answers", n))
            text = answer.get("text")
            if not isinstance(text, str | int | float) or isinstance(text, bool) or not str(text).strip():
                raise SpecError("each answer needs 'text'", ("answers", n))
            weight = _weight(answer.get("weight", 100), ("answers", n, "weight"), 0, above=True)
            if weight >= 100:
                full.append(str(text))
            else:
                partial.append({"text": str(text), "weight": weight})
        if not full:
            raise SpecError("at least one answer must earn full marks (weight 100, or no weight)", ("answers",))
        return full, partial

    def parse(self, form, prefix, data, layout):
        return parse_text(form, prefix)

    def grade(self, data, response):
        text = (response or {}).get("text", "")
        given = normalise_text(text, case_sensitive=data["case_sensitive"])
        if not given:
            return Grade(0.0, "")
        accepted = {normalise_text(a, case_sensitive=data["case_sensitive"]) for a in data["answers"]}
        ok = given in accepted
        if not ok and data["pattern"]:
            flags = 0 if data["case_sensitive"] else re.IGNORECASE
            ok = re.fullmatch(data["pattern"], " ".join(text.split()), flags) is not None
        if ok:
            return Grade(1.0, given[:200])
        # The best partial answer that matches: its weight is the share of the points.
        weight = max(
            (
                p["weight"]
                for p in data.get("partial", [])
                if normalise_text(p["text"], case_sensitive=data["case_sensitive"]) == given
            ),
            default=0.0,
        )
        return Grade(_clamp(weight / 100), given[:200])

    def right_answer_text(self, data):
        return " / ".join(data["answers"])


# Spaces people and phones put between groups of digits: ordinary, no-break, narrow no-break, thin.
_DIGIT_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})
# A whole number in groups of three (1,350,000, 1.350.000, 1 350 000) or India's 13,50,000.
_GROUPED = re.compile(
    r"\d{1,3}(?P<sep>[ ,.])\d{3}(?:(?P=sep)\d{3})*|\d{1,2}(?P<lakh>[ ,])\d{2}(?:(?P=lakh)\d{2})*(?P=lakh)\d{3}"
)
_THOUSANDS_COMMA = re.compile(r"[1-9]\d{0,2},\d{3}")


def parse_number(text: str) -> float | None:
    """A number as people type it, or None.

    - "." or "," may be the decimal sign: 2.5 and 2,5 are both two and a half.
    - Digits may be grouped in thousands with ",", "." or spaces: 2,000 / 1,350,000 / 2 000 /
      1.350.000, and in India's lakhs and crores: 13,50,000.
    - A single comma followed by exactly three digits groups thousands: 2,000 is two thousand,
      not two (unless the number before it is 0: 0,500 is a half). Any other single comma is a
      decimal comma: 2,5 and 2,50.
    - A single "." is always the decimal point (2.500 is 2.5); with both signs, the last one is
      the decimal sign (1,350.50 and 1.350,50).
    """
    cleaned = " ".join(text.translate(_DIGIT_SPACES).split()).replace("\u2212", "-")
    sign = ""
    if cleaned[:1] in ("-", "+"):
        sign, cleaned = cleaned[0], cleaned[1:].lstrip()
    if "," not in cleaned and " " not in cleaned and cleaned.count(".") <= 1:
        try:  # plain: 45, 2.5, .5, 1e3
            value = float(sign + cleaned)
        except ValueError:
            return None
        return value if math.isfinite(value) else None
    if "," in cleaned and "." in cleaned:
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
    elif cleaned.count(",") == 1 and not _THOUSANDS_COMMA.fullmatch(cleaned.replace(" ", "")):
        decimal = ","  # a decimal comma, as many phones type it
    elif cleaned.count(".") == 1:
        decimal = "."  # 2 000.5
    else:
        decimal = None  # only groups: 2,000 / 1,350,000 / 2 000 / 1.350.000
    whole, _, fraction = cleaned.rpartition(decimal) if decimal else (cleaned, "", "")
    if whole and not whole.isdigit():
        if _GROUPED.fullmatch(whole) is None:
            return None
        whole = re.sub(r"[ ,.]", "", whole)
    digits = whole + fraction
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    value = float(f"{sign}{whole or 0}.{fraction or 0}")
    return value if math.isfinite(value) else None


@register
class Numeric(QuestionType):
    name = "numeric"
    label = _l("Number")
    spec_keys: ClassVar[set[str]] = {"answer", "tolerance", "answers"}

    def check(self, raw, qid):
        if "answers" in raw:
            if "answer" in raw or "tolerance" in raw:
                raise SpecError("give either 'answer' (and 'tolerance') or 'answers', not both", ("answers",))
            answers = [self._answer(item, ("answers", n)) for n, item in enumerate(self._list(raw["answers"]))]
            full = [a for a in answers if a["weight"] >= 100]
            if not full:
                raise SpecError("at least one answer must earn full marks (weight 100, or no weight)", ("answers",))
            return {"answer": full[0]["answer"], "tolerance": full[0]["tolerance"], "answers": answers}
        answer, tolerance = raw.get("answer"), raw.get("tolerance", 0)
        if isinstance(answer, bool) or not isinstance(answer, int | float):
            raise SpecError("'answer' must be a number", ("answer",))
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
            raise SpecError("'tolerance' must be a number of 0 or more", ("tolerance",))
        return {"answer": float(answer), "tolerance": float(tolerance)}

    @staticmethod
    def _list(value: Any) -> list:
        if not isinstance(value, list) or not value:
            raise SpecError("'answers' must list at least one answer", ("answers",))
        return value

    @staticmethod
    def _answer(item: Any, path: tuple) -> dict:
        """One of several answers: {answer, tolerance} or {min, max}, with a weight (default 100)."""
        if not isinstance(item, dict):
            raise SpecError("each answer needs 'answer' (and 'tolerance') or 'min' and 'max'", path)
        if unknown := set(item) - {"answer", "tolerance", "min", "max", "weight"}:
            raise SpecError(f"unknown key '{sorted(unknown)[0]}' in an answer", path)
        weight = _weight(item.get("weight", 100), (*path, "weight"), 0, above=True)
        if "min" in item or "max" in item:
            low, high = item.get("min"), item.get("max")
            if "answer" in item or "tolerance" in item or not _number(low) or not _number(high) or low > high:
                raise SpecError("a range needs numbers 'min' and 'max' (min at most max), without 'answer'", path)
            return {"answer": (low + high) / 2, "tolerance": (high - low) / 2, "weight": weight}
        answer, tolerance = item.get("answer"), item.get("tolerance", 0)
        if not _number(answer):
            raise SpecError("'answer' must be a number", (*path, "answer"))
        if not _number(tolerance) or tolerance < 0:
            raise SpecError("'tolerance' must be a number of 0 or more", (*path, "tolerance"))
        return {"answer": float(answer), "tolerance": float(tolerance), "weight": weight}

    def parse(self, form, prefix, data, layout):
        text = (form.get(prefix) or "").strip()
        if not text:
            return None
        value = parse_number(text)
        if value is None:
            raise InvalidAnswer(_l("Enter a number, like 45 or 2.5."))
        return {"value": value}

    def form_values(self, prefix, response):
        # 15 significant digits: 1350000 shows as typed, not as 1.35e+06.
        return {prefix: [f"{response['value']:.15g}"]} if response else {}

    def grade(self, data, response):
        if not response:
            return Grade(0.0, "")
        value = response["value"]
        answers = data.get("answers") or [{"answer": data["answer"], "tolerance": data["tolerance"], "weight": 100.0}]
        # The best answer the value falls within: its weight is the share of the points.
        weight = max(
            (
                a["weight"]
                for a in answers
                if abs(value - a["answer"]) <= a["tolerance"] + 1e-9 * max(1.0, abs(a["answer"]))
            ),
            default=0.0,
        )
        return Grade(_clamp(weight / 100), f"{value:g}")

    def right_answer_text(self, data):
        answers = [a for a in data.get("answers", []) if a["weight"] >= 100] or [data]
        return " / ".join(
            f"{a['answer']:g} ± {a['tolerance']:g}" if a["tolerance"] else f"{a['answer']:g}" for a in answers
        )


@register
class Ordering(QuestionType):
    name = "ordering"
    label = _l("Put in order")
    spec_keys: ClassVar[set[str]] = {"items"}

    def check(self, raw, qid):
        items = raw.get("items")
        if not isinstance(items, list) or len(items) < 2 or len({str(i) for i in items}) != len(items):
            raise SpecError("'items' must list at least two different items, in the right order", ("items",))
        return {"items": [{"id": content_id(qid, str(i)), "html": _md(i, ("items", n))} for n, i in enumerate(items)]}

    def layout(self, data, rng, shuffle):
        ids = [i["id"] for i in data["items"]]
        shuffled = list(ids)
        # Always shuffled (the given order is the answer), and never shown already solved.
        for _ in range(10):
            rng.shuffle(shuffled)
            if shuffled != ids:
                break
        return shuffled

    def parse(self, form, prefix, data, layout):
        positions = {}
        for item in data["items"]:
            raw = form.get(f"{prefix}-{item['id']}", "")
            if raw == "":
                continue
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 4 or not 1 <= int(raw) <= len(data["items"]):
                raise InvalidAnswer(_l("Choose a position for each item."))
            positions[item["id"]] = int(raw)
        if not positions:
            return None
        if len(set(positions.values())) != len(positions):
            raise InvalidAnswer(_l("Give each item a different position."))
        return {"positions": positions}

    def form_values(self, prefix, response):
        return {f"{prefix}-{item}": [str(pos)] for item, pos in (response or {}).get("positions", {}).items()}

    def grade(self, data, response):
        positions = (response or {}).get("positions", {})
        right = sum(1 for n, item in enumerate(data["items"], start=1) if positions.get(item["id"]) == n)
        order = sorted(positions, key=positions.get)
        return Grade(right / len(data["items"]), ",".join(order))

    def right_answer_text(self, data):
        return " → ".join(re.sub(r"<[^>]+>", "", i["html"]).strip() for i in data["items"])


@register
class Matching(QuestionType):
    name = "matching"
    label = _l("Matching")
    spec_keys: ClassVar[set[str]] = {"pairs"}

    def check(self, raw, qid):
        pairs = raw.get("pairs")
        if not isinstance(pairs, list) or len(pairs) < 2:
            raise SpecError("'pairs' must list at least two pairs", ("pairs",))
        result, rights = [], set()
        for n, pair in enumerate(pairs):
            if not isinstance(pair, dict) or "left" not in pair or "right" not in pair:
                raise SpecError("each pair needs 'left' and 'right'", ("pairs", n))
            if unknown := set(pair) - {"left", "right", "feedback"}:
                raise SpecError(
                    f"unknown key '{sorted(unknown)[0]}' in a pair (quote text that has a comma)", ("pairs", n)
                )
            right_id = content_id(qid, "right", str(pair["right"]))
            rights.add(right_id)
            result.append(
                {
                    "id": content_id(qid, "left", str(pair["left"])),
                    "left_html": _md(pair["left"], ("pairs", n, "left")),
                    "right_id": right_id,
                    "right_text": str(pair["right"]),
                }
            )
        if len({p["id"] for p in result}) != len(result):
            raise SpecError("two pairs have the same left side", ("pairs",))
        return {"pairs": result}

    def layout(self, data, rng, shuffle):
        rights = sorted({p["right_id"] for p in data["pairs"]})
        rng.shuffle(rights)
        return rights

    def parse(self, form, prefix, data, layout):
        valid = {p["right_id"] for p in data["pairs"]}
        matches = {}
        for pair in data["pairs"]:
            value = form.get(f"{prefix}-{pair['id']}", "")
            if not value:
                continue
            if value not in valid:
                raise InvalidAnswer(_l("That choice does not belong to this question."))
            matches[pair["id"]] = value
        return {"matches": matches} if matches else None

    def form_values(self, prefix, response):
        return {f"{prefix}-{left}": [right] for left, right in (response or {}).get("matches", {}).items()}

    def grade(self, data, response):
        matches = (response or {}).get("matches", {})
        right = sum(1 for p in data["pairs"] if matches.get(p["id"]) == p["right_id"])
        key = ",".join(f"{k}:{v}" for k, v in sorted(matches.items()))
        return Grade(right / len(data["pairs"]), key)

    def right_answer_text(self, data):
        return "; ".join(f"{re.sub(r'<[^>]+>', '', p['left_html']).strip()} → {p['right_text']}" for p in data["pairs"])


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance over the reference's length, after folding runs of white space."""
    reference, hypothesis = " ".join(reference.split()), " ".join(hypothesis.split())
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return Levenshtein.distance(reference, hypothesis) / len(reference)


@register
class Transcription(QuestionType):
    name = "transcription"
    label = _l("Transcription")
    spec_keys: ClassVar[set[str]] = {"reference", "max_error_percent"}

    def check(self, raw, qid):
        reference = raw.get("reference")
        if not isinstance(reference, str) or not reference.strip():
            raise SpecError("'reference' (the right transcript) is required", ("reference",))
        limit = raw.get("max_error_percent", 10)
        if isinstance(limit, bool) or not isinstance(limit, int | float) or not 0 <= limit <= 100:
            raise SpecError("'max_error_percent' must be a number from 0 to 100", ("max_error_percent",))
        return {"reference": reference.strip(), "max_error_percent": float(limit)}

    def parse(self, form, prefix, data, layout):
        return parse_text(form, prefix)

    def grade(self, data, response):
        text = (response or {}).get("text", "")
        if not text:
            return Grade(0.0, "")
        cer = character_error_rate(data["reference"], text)
        return Grade(1.0 if cer * 100 <= data["max_error_percent"] + 1e-9 else 0.0, " ".join(text.split())[:200])

    def right_answer_text(self, data):
        return data["reference"]


# Media questions. A course folder's `image`/`audio` field is resolved by the content reader
# (samaschool/content/quiz_files.py) into data["image"] = {"key", "alt", "width", "height"} and
# data["audio"] = {"key", "transcript"}: the key is the media file's content hash (see
# samaschool/media). Pages look the MediaFile up by its key.


def _image(raw: dict, *, required: bool) -> dict | None:
    """The checked image of a question (resolved from the course folder), or SpecError."""
    image = raw.get("image")
    if image is None:
        if required:
            raise SpecError("this question type needs an 'image' (with 'file' and 'alt')", ("image",))
        return None
    if not isinstance(image, dict) or not isinstance(image.get("key"), str):
        raise SpecError("'image' must give a 'file' from the course's media/ folder and its 'alt' text", ("image",))
    alt = image.get("alt")
    if not isinstance(alt, str) or not alt.strip():
        raise SpecError("the image needs 'alt' text: what a person who cannot see it needs to know", ("image",))
    for side in ("width", "height"):
        if not isinstance(image.get(side), int) or isinstance(image.get(side), bool) or image[side] < 1:
            raise SpecError("'image' must be an image file", ("image",))
    return {"key": image["key"], "alt": alt.strip(), "width": image["width"], "height": image["height"]}


@register
class ImageClassification(SingleChoice):
    """An image and one label to choose for it: a single choice whose subject is the image."""

    name = "image_classification"
    label = _l("Image classification")
    spec_keys: ClassVar[set[str]] = {"choices"}

    def check(self, raw, qid):
        image = _image(raw, required=True)
        data = super().check(raw, qid)
        data["image"] = image
        return data


@register
class AudioTranscription(Transcription):
    """A clip to write down, graded by character error rate like `transcription`. The clip's
    transcript is the answer (`reference`), so the page never shows it before grading."""

    name = "audio_transcription"
    label = _l("Audio transcription")
    spec_keys: ClassVar[set[str]] = {"reference", "max_error_percent"}

    def check(self, raw, qid):
        audio = raw.get("audio")
        if not isinstance(audio, dict) or not isinstance(audio.get("key"), str):
            raise SpecError(
                "this question type needs an 'audio' with a 'file' from the course's media/ folder", ("audio",)
            )
        spoken = audio.get("transcript")
        if "reference" not in raw and isinstance(spoken, str) and spoken.strip():
            raw = {**raw, "reference": spoken}
        elif (
            isinstance(spoken, str)
            and spoken.strip()
            and " ".join(spoken.split()) != " ".join(str(raw.get("reference", "")).split())
        ):
            raise SpecError("give the right transcript once: as 'reference' or as the audio's 'transcript'", ("audio",))
        data = super().check(raw, qid)
        data["audio"] = {"key": audio["key"]}  # no transcript here: it is the answer
        return data


def region_iou(a: list[int], b: list[int]) -> float:
    """Intersection over union of two regions given as [left, top, right, bottom]."""
    return boxes.iou(*(boxes.Box("", r[0], r[1], r[2] - r[0], r[3] - r[1]) for r in (a, b)))


def _whole(value: str, low: int, high: int) -> int:
    """A whole number from a form field, within [low, high]; InvalidAnswer otherwise."""
    text = str(value).strip()
    if text.startswith("-") and text[1:].isdigit():
        number = -int(text[1:])
    elif text.isascii() and text.isdigit() and len(text) <= 6:
        number = int(text)
    else:
        raise InvalidAnswer(_l("That region could not be read. Clear it and tap again."))
    if not low <= number <= high:
        raise InvalidAnswer(_l("That region could not be read. Clear it and tap again."))
    return number


@register
class ImageRegion(QuestionType):
    """Mark a region of an image: graded by how much it overlaps the right region (intersection
    over union, IoU), which must reach `min_iou_percent` (default 50).

    Works without JavaScript: the image is an <input type="image">, so a tap submits the
    attempt's form with the tap's position in CSS pixels of the image as shown; the page states
    the width it showed the image at, and the tap is mapped to the image's own pixels. The first
    tap saves one corner, the second the opposite corner; "Clear" starts again. Learners who
    cannot tap may type the region's four sides in percent instead. Regions are stored in the
    original image's pixels as [left, top, right, bottom].
    """

    name = "image_region"
    label = _l("Image region")
    spec_keys: ClassVar[set[str]] = {"region", "min_iou_percent"}

    def check(self, raw, qid):
        image = _image(raw, required=True)
        region = raw.get("region")
        keys = ("x", "y", "w", "h")
        if not isinstance(region, dict) or set(region) != set(keys) or not all(_number(region[k]) for k in keys):
            raise SpecError(
                "'region' must give x, y, w and h: the right region's left, top, width and height in the "
                "image's own pixels",
                ("region",),
            )
        left, top = round(region["x"]), round(region["y"])
        right, bottom = left + round(region["w"]), top + round(region["h"])
        if region["w"] < 1 or region["h"] < 1:
            raise SpecError("'region' must have a width and a height of at least 1 pixel", ("region",))
        if left < 0 or top < 0 or right > image["width"] or bottom > image["height"]:
            raise SpecError(
                f"'region' must lie inside the image ({image['width']} × {image['height']} pixels)", ("region",)
            )
        limit = raw.get("min_iou_percent", 50)
        if not _number(limit) or not 1 <= limit <= 100:
            raise SpecError("'min_iou_percent' must be a number from 1 to 100", ("min_iou_percent",))
        return {"image": image, "region": [left, top, right, bottom], "min_iou_percent": float(limit)}

    def _point(self, form, name: str, data: dict) -> list[int] | None:
        raw = (form.get(name) or "").strip()
        if not raw:
            return None
        parts = raw.split(",")
        if len(parts) != 2:
            raise InvalidAnswer(_l("That region could not be read. Clear it and tap again."))
        image = data["image"]
        return [_whole(parts[0], 0, image["width"]), _whole(parts[1], 0, image["height"])]

    def _tap(self, form, prefix: str, data: dict) -> list[int] | None:
        """The tap on the image, in the image's own pixels; None when the image was not tapped."""
        x, y = form.get(f"{prefix}-tap.x"), form.get(f"{prefix}-tap.y")
        if x is None and y is None:
            return None
        image = data["image"]
        try:
            point = boxes.scale_tap(x, y, form.get(f"{prefix}-tap_shown_width"), image["width"], image["height"])
        except boxes.BoxError as error:
            raise InvalidAnswer(str(error)) from None
        return list(point)

    SIDES = ("left", "top", "right", "bottom")

    def _typed(self, form, prefix: str, data: dict) -> dict | None:
        """The region typed as four numbers, in percent of the image's width and height (for
        learners who cannot tap: a keyboard or a screen reader); None when all are left empty."""
        typed = [(form.get(f"{prefix}-{side}") or "").strip() for side in self.SIDES]
        if not any(typed):
            return None
        values = [parse_number(value) for value in typed]
        if any(value is None or not 0 <= value <= 100 for value in values):
            raise InvalidAnswer(_l("Give all four sides of the region as numbers from 0 to 100."))
        width, height = data["image"]["width"], data["image"]["height"]
        left, top, right, bottom = (
            round(value * size / 100) for value, size in zip(values, (width, height, width, height), strict=True)
        )
        if left >= right or top >= bottom:
            raise InvalidAnswer(_l("The right side must be further right than the left, and the bottom below the top."))
        return {"box": [left, top, right, bottom]}

    def parse(self, form, prefix, data, layout):
        if form.get(f"{prefix}-clear"):
            return None
        tapped = form.get(f"{prefix}-tap.x") is not None or form.get(f"{prefix}-tap.y") is not None
        typed = None if tapped else self._typed(form, prefix, data)
        if typed is not None:
            return typed
        box = (form.get(f"{prefix}-box") or "").strip()
        current = None
        if box:
            parts = box.split(",")
            if len(parts) != 4:
                raise InvalidAnswer(_l("That region could not be read. Clear it and tap again."))
            image = data["image"]
            limits = (image["width"], image["height"]) * 2
            values = [_whole(part, 0, limit) for part, limit in zip(parts, limits, strict=True)]
            if values[0] >= values[2] or values[1] >= values[3]:
                raise InvalidAnswer(_l("That region could not be read. Clear it and tap again."))
            current = {"box": values}
        corner = self._point(form, f"{prefix}-corner", data)
        if corner is not None and current is None:
            current = {"corner": corner}
        tap = self._tap(form, prefix, data)
        if tap is None:
            return current
        if current is None or "box" in current:
            return {"corner": tap}  # a first corner (a tap after a finished region starts a new one)
        try:
            box = boxes.box_from_corners(current["corner"], tap)
        except boxes.BoxError as error:
            raise InvalidAnswer(str(error)) from None  # the first corner stays (the form still holds it)
        return {"box": [box.x, box.y, box.x + box.w, box.y + box.h]}

    def form_values(self, prefix, response):
        if not response:
            return {}
        if "box" in response:
            return {f"{prefix}-box": [",".join(map(str, response["box"]))]}
        return {f"{prefix}-corner": [",".join(map(str, response["corner"]))]}

    def grade(self, data, response):
        box = (response or {}).get("box")
        if not box:
            return Grade(0.0, "")
        overlap = region_iou(box, data["region"])
        passed = overlap * 100 >= data["min_iou_percent"] - 1e-9
        return Grade(1.0 if passed else 0.0, f"IoU {overlap:.1f}")

    def right_answer_text(self, data):
        left, top, right, bottom = data["region"]
        width, height = data["image"]["width"], data["image"]["height"]
        return str(
            _l(
                "The region from %(left)d%% to %(right)d%% across and %(top)d%% to %(bottom)d%% down the image",
                left=round(100 * left / width),
                right=round(100 * right / width),
                top=round(100 * top / height),
                bottom=round(100 * bottom / height),
            )
        )
