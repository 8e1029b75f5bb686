"""Moodle GIFT text <-> our question specs (the dicts of courses/README.md, "The question bank").

parse_gift() reads a whole GIFT file into specs and reports, with its line, everything it cannot
take over faithfully; to_gift() writes specs as GIFT and names each spec GIFT cannot express.

Weights (`%50%`) become the weights of our specs: on choices (single_choice, multiple_response),
on short answers and on numeric answers, graded the way Moodle grades them except that a typed
answer earns the best weight among the answers it matches (Moodle takes the first).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from samaschool.content.yamlfile import Problem

# Escaped characters become private-use placeholders while parsing, so that they never act as syntax.
_ESCAPED = {"\\": "\ue000", "~": "\ue001", "=": "\ue002", "#": "\ue003", "{": "\ue004", "}": "\ue005", ":": "\ue006"}
_NEWLINE = "\ue007"
_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
_RESTORE = str.maketrans({**{v: k for k, v in _ESCAPED.items()}, _NEWLINE: "\n"})

_FORMAT_RE = re.compile(r"\s*\[(?:markdown|plain|moodle|html)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"%\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*%")
_NUMBER_RE = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_CATEGORY = "$CATEGORY:"
_NO_GIFT_FORM = ("ordering", "transcription", "audio_transcription", "image_classification", "image_region")
_COMMON_KEYS = {"id", "type", "text", "tags", "points", "explanation"}
_TYPE_KEYS = {
    "single_choice": {"choices"},
    "multiple_response": {"choices", "scoring"},
    "true_false": {"answer", "feedback_correct", "feedback_wrong"},
    "short_answer": {"answers", "pattern", "case_sensitive"},
    "numeric": {"answer", "tolerance", "answers"},
    "matching": {"pairs"},
}


@dataclass(frozen=True)
class SkippedItem(Problem):
    """A problem that keeps a whole item out of the result (other problems name what a question lost)."""


@dataclass
class GiftQuestion:
    spec: dict
    line: int
    notes: list[Problem] = field(default_factory=list)  # what was left out of this question (also in problems)


def slugify(value: str) -> str:
    """Lower-case, every run of characters other than a-z and 0-9 turned into '-', trimmed, at most 80."""
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    return slug[:80].strip("-")


def _protect(text: str) -> str:
    def placeholder(match: re.Match) -> str:
        char = match.group(1)
        return _NEWLINE if char == "n" else _ESCAPED[char]

    return _ESCAPE_RE.sub(placeholder, text)


def _plain(text: str) -> str:
    """Protected text back to what the author meant: escapes resolved, surrounding space removed."""
    return text.translate(_RESTORE).strip()


def _unformatted(text: str) -> str:
    """Text without the [markdown], [html], [plain] or [moodle] that may open it."""
    match = _FORMAT_RE.match(text)
    return text[match.end() :] if match else text


# ---------------------------------------------------------------------------------------------------------------------
# Import


@dataclass
class _Chunk:
    """One question's text (escapes already protected) and the line where it starts."""

    text: str
    line: int

    def line_at(self, offset: int) -> int:
        return self.line + self.text.count("\n", 0, offset)


@dataclass
class _Answer:
    mark: str  # "=" or "~"
    weight: float | None
    text: str  # protected: may still hold '->'
    feedback: str
    line: int


class _Unsupported(Exception):
    """The question cannot become a spec; the message says why."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _category_tags(path: str) -> list[str]:
    segments = [s.strip() for s in path.strip().split("/")]
    # Moodle exports prefix the path with a context ($course$, $system$, ...) and often "top": not topics.
    if segments and re.fullmatch(r"\$\w+\$", segments[0]):
        segments = segments[1:]
        if segments and segments[0].lower() == "top":
            segments = segments[1:]
    return [slug for slug in (slugify(s) for s in segments) if slug]


def _chunks(text: str) -> list[tuple[_Chunk, list[str]]]:
    """Split the file into questions at blank lines; comment lines dropped, $CATEGORY applied."""
    result: list[tuple[_Chunk, list[str]]] = []
    tags: list[str] = []
    lines: list[str] = []
    start = 0

    def flush() -> None:
        nonlocal lines, start
        if start and any(line.strip() for line in lines):
            result.append((_Chunk(_protect("\n".join(lines).rstrip()), start), tags))
        lines, start = [], 0

    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        stripped = raw.strip()
        if not stripped:
            flush()
        elif stripped.startswith("//"):
            if start:
                lines.append("")  # keep line numbers of what follows
        elif stripped.startswith(_CATEGORY):
            flush()
            tags = _category_tags(stripped[len(_CATEGORY) :])
        else:
            if not start:
                start = number
            lines.append(raw.rstrip())
    flush()
    return result


def _split_answers(block: str, base: int, chunk: _Chunk, qid: str) -> list[_Answer]:
    starts = [i for i, char in enumerate(block) if char in "=~"]
    lead = block[: starts[0]] if starts else block
    if lead.strip():
        raise _Unsupported(
            chunk.line_at(base), f"question '{qid}': '{_plain(lead)}' comes before the first '=' or '~' answer"
        )
    answers = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(block)
        body = block[start + 1 : end].strip()
        line = chunk.line_at(base + start)
        weight = None
        match = _WEIGHT_RE.match(body)
        if match:
            weight = float(match.group(1))
            if not -100 <= weight <= 100:
                raise _Unsupported(line, f"question '{qid}': the weight {match.group(0)} is not between -100 and 100")
            body = body[match.end() :]
        text, _, feedback = body.partition("#")
        answers.append(_Answer(block[start], weight, _unformatted(text).strip(), _plain(_unformatted(feedback)), line))
    return answers


def _left_out(answer: _Answer) -> str:
    return f"the answer '{_plain(answer.text)}' was left out"


def _numbers(value: str) -> tuple[float, float] | None:
    """'3.5:0.1' -> (3.5, 0.1); '3.5' -> (3.5, 0); '1..5' -> (3, 2); None if not numbers."""
    value = value.strip()

    def number(text: str) -> float | None:
        text = text.strip()
        if not _NUMBER_RE.fullmatch(text):
            return None
        result = float(text)
        return result if math.isfinite(result) else None

    if ".." in value:
        parts = value.split("..", 1)
        low, high = (number(part) for part in parts)
        if low is None or high is None or low > high:
            return None
        # In decimal, so that 3.141..3.142 gives 3.1415 and 0.0005 rather than their nearest binary neighbours.
        low_exact, high_exact = (Decimal(part.strip()) for part in parts)
        return float((low_exact + high_exact) / 2), float((high_exact - low_exact) / 2)
    answer_text, colon, tolerance_text = value.partition(":")
    answer = number(answer_text)
    tolerance = number(tolerance_text) if colon else 0.0
    if answer is None or tolerance is None or tolerance < 0:
        return None
    return answer, tolerance


def _numeric(block: str, base: int, chunk: _Chunk, qid: str, notes: list[tuple[int, str]]) -> dict:
    body = block[1:]
    line = chunk.line_at(base)
    feedback_lost = f"question '{qid}': feedback on a numeric answer is not supported and was left out"
    if "=" not in body and "~" not in body:
        value, _, feedback = body.partition("#")
        parsed = _numbers(_plain(value))
        if parsed is None:
            raise _Unsupported(
                line, f"question '{qid}': '{_plain(value)}' is not a number, 'n:tolerance' or 'low..high'"
            )
        if _plain(feedback):
            notes.append((line, feedback_lost))
        return {"answer": parsed[0], "tolerance": parsed[1]}
    kept: list[dict] = []
    for answer in _split_answers(body, base + 1, chunk, qid):
        parsed = _numbers(_plain(answer.text))
        if parsed is None:
            raise _Unsupported(
                answer.line, f"question '{qid}': '{_plain(answer.text)}' is not a number, 'n:tolerance' or 'low..high'"
            )
        weight = (100.0 if answer.mark == "=" else 0.0) if answer.weight is None else answer.weight
        if answer.feedback:
            notes.append((answer.line, feedback_lost))
        if weight < 0:
            notes.append((answer.line, f"question '{qid}': a negative weight is not supported; {_left_out(answer)}"))
        elif weight > 0:  # an answer worth nothing changes no grade
            kept.append({"answer": parsed[0], "tolerance": parsed[1]} | ({"weight": weight} if weight < 100 else {}))
    if not any("weight" not in answer for answer in kept):
        raise _Unsupported(line, f"question '{qid}': a numeric question needs one answer worth 100%")
    return kept[0] if len(kept) == 1 else {"answers": kept}


def _true_false(head: str, feedbacks: list[str], line: int, qid: str, notes: list[tuple[int, str]]) -> dict:
    fields: dict = {"answer": _TRUE_FALSE[head]}
    if len(feedbacks) > 2:
        notes.append(
            (line, f"question '{qid}': a true/false answer takes two feedbacks at most; the rest was left out")
        )
    for key, feedback in zip(("feedback_wrong", "feedback_correct"), feedbacks, strict=False):
        if _plain(_unformatted(feedback)):
            fields[key] = _plain(_unformatted(feedback))
    return fields


def _matching(answers: list[_Answer], line: int, qid: str) -> dict:
    pairs = []
    for answer in answers:
        left, arrow, right = answer.text.partition("->")
        if answer.mark != "=" or answer.weight is not None or not arrow:
            raise _Unsupported(
                answer.line, f"question '{qid}': every answer of a matching question must be '=left -> right'"
            )
        if not _plain(left) or not _plain(right):
            raise _Unsupported(
                answer.line,
                f"question '{qid}': a matching pair needs both sides (extra wrong answers are not supported)",
            )
        pair = {"left": _plain(left), "right": _plain(right)}
        if answer.feedback:
            pair["feedback"] = answer.feedback
        pairs.append(pair)
    if len(pairs) < 2:
        raise _Unsupported(line, f"question '{qid}': a matching question needs at least two pairs")
    if len({p["left"] for p in pairs}) != len(pairs):
        raise _Unsupported(line, f"question '{qid}': two pairs have the same left side")
    return {"pairs": pairs}


def _short_answer(answers: list[_Answer], qid: str, notes: list[tuple[int, str]]) -> dict:
    accepted: list = []
    for answer in answers:
        weight = 100.0 if answer.weight is None else answer.weight
        if answer.feedback:
            notes.append(
                (answer.line, f"question '{qid}': feedback on a short answer is not supported and was left out")
            )
        if weight < 0:
            notes.append((answer.line, f"question '{qid}': a negative weight is not supported; {_left_out(answer)}"))
        elif weight > 0 and _plain(answer.text):  # an answer worth nothing changes no grade
            text = _plain(answer.text)
            accepted.append(text if weight >= 100 else {"text": text, "weight": weight})
    if not any(isinstance(answer, str) for answer in accepted):
        raise _Unsupported(answers[0].line, f"question '{qid}': a short answer question needs an answer worth 100%")
    return {"answers": accepted}


def _close(value: float, target: float) -> bool:
    return abs(value - target) < 1e-3


def _choices(answers: list[_Answer], line: int, qid: str, notes: list[tuple[int, str]]) -> dict:
    """Moodle's multiple choice: one pick when an answer starts with '=', else as many as the learner likes."""
    weights = [(100.0 if a.mark == "=" else 0.0) if a.weight is None else a.weight for a in answers]
    choices = []
    for answer in answers:
        choice = {"text": _plain(answer.text)}
        if not choice["text"]:
            raise _Unsupported(answer.line, f"question '{qid}': a choice has no text")
        if answer.feedback:
            choice["feedback"] = answer.feedback
        choices.append(choice)
    if len({c["text"] for c in choices}) != len(choices):
        raise _Unsupported(line, f"question '{qid}': two choices have the same text")
    if len(choices) < 2:
        raise _Unsupported(line, f"question '{qid}': a choice question needs at least two choices")
    positive = [w for w in weights if w > 0]
    if not positive:
        raise _Unsupported(line, f"question '{qid}': no answer is marked right ('=' or a positive '%weight%')")
    has_equals = any(a.mark == "=" for a in answers)
    explicit = any(a.weight is not None for a in answers)
    full = sum(1 for w in weights if w >= 100)

    def marked(kind: str, right) -> dict:
        return {"type": kind, "choices": [c | {"correct": right(w)} for c, w in zip(choices, weights, strict=True)]}

    if has_equals and not (explicit and full):
        if full == 1 or len(positive) == 1:
            if not full:
                lost = "partial credit on the only right choice is not supported; it counts as right"
                notes.append((line, f"question '{qid}': {lost}"))
            return marked("single_choice", lambda w: w > 0)
        if explicit:
            raise _Unsupported(line, f"question '{qid}': a question with '=' answers needs one answer worth 100%")
        # Several '=' answers and no weights: the learner must pick all of them.
        return marked("multiple_response", lambda w: w > 0) | {"scoring": "all_or_nothing"}
    if has_equals:
        # One pick, which earns its weight: Moodle's multiple choice with partial credit.
        for answer, weight in zip(answers, weights, strict=True):
            if weight < 0:
                notes.append(
                    (
                        answer.line,
                        f"question '{qid}': a negative weight on a single choice is not supported; "
                        f"'{_plain(answer.text)}' counts as 0%",
                    )
                )
        weights = [max(0.0, w) for w in weights]
        if full == 1 and all(w in (0, 100) for w in weights):
            return marked("single_choice", lambda w: w > 0)
        return {"type": "single_choice", "choices": [c | {"weight": w} for c, w in zip(choices, weights, strict=True)]}
    # Only '~' answers: Moodle's multiple choice with several answers, whose weights add up.
    right, wrong = positive, [w for w in weights if w <= 0]
    if len(right) == 1 and _close(right[0], 100) and all(_close(w, -100) for w in wrong):
        return marked("multiple_response", lambda w: w > 0) | {"scoring": "all_or_nothing"}
    if all(_close(w, 100 / len(right)) for w in right) and all(_close(w, -100 / len(wrong)) for w in wrong):
        return marked("multiple_response", lambda w: w > 0) | {"scoring": "partial"}
    if round(sum(right) / 100, 2) != 1:
        raise _Unsupported(line, f"question '{qid}': the positive weights add up to {sum(right):g}%, not 100%")
    return {"type": "multiple_response", "choices": [c | {"weight": w} for c, w in zip(choices, weights, strict=True)]}


def _question(chunk: _Chunk, tags: list[str], notes: list[tuple[int, str]]) -> dict:
    source = chunk.text
    pos = len(source) - len(source.lstrip())
    title = ""
    if source.startswith("::", pos):
        end = source.find("::", pos + 2)
        if end < 0:
            raise _Unsupported(chunk.line, "the title that starts with '::' is never closed with '::'")
        title = _plain(source[pos + 2 : end])
        pos = end + 2
    qid = slugify(title) or f"gift-{chunk.line}"
    match = _FORMAT_RE.match(source, pos)
    if match:
        pos = match.end()
    opening = source.find("{", pos)
    if opening < 0:
        raise _Unsupported(
            chunk.line, f"question '{qid}' has no answer block {{...}}: description items are not supported"
        )
    closing = source.find("}", opening + 1)
    if closing < 0:
        raise _Unsupported(chunk.line_at(opening), f"question '{qid}': this '{{' is never closed with '}}'")
    rest = source[closing + 1 :]
    if "{" in rest:
        second = closing + 1 + rest.index("{")
        raise _Unsupported(chunk.line_at(second), f"question '{qid}': a question may have only one answer block")
    before, after = _plain(source[pos:opening]), _plain(rest)
    joint = "" if after[:1] in tuple(".,;:!?)") else " "  # "from {...}." reads "from _____."
    text = f"{before} _____{joint}{after}".strip() if after else before
    if not text:
        raise _Unsupported(chunk.line, f"question '{qid}' has no question text")
    spec: dict = {"id": qid, "type": "", "text": text}
    if tags:
        spec["tags"] = list(tags)

    base = opening + 1
    block = source[base:closing]
    general = block.find("####")
    if general >= 0:
        explanation = _plain(_unformatted(block[general + 4 :]))
        block = block[:general]
        if explanation:
            spec["explanation"] = explanation
    line = chunk.line_at(opening)
    stripped = block.strip()
    base += len(block) - len(block.lstrip())
    if not stripped:
        raise _Unsupported(line, f"question '{qid}': essay questions ({{}}) are not supported")
    if stripped.startswith("#"):
        spec["type"] = "numeric"
        spec.update(_numeric(stripped, base, chunk, qid, notes))
        return spec
    head, *feedbacks = stripped.split("#")
    if head.strip().upper() in _TRUE_FALSE:
        spec["type"] = "true_false"
        spec.update(_true_false(head.strip().upper(), feedbacks, line, qid, notes))
        return spec
    if "=" not in stripped and "~" not in stripped:
        raise _Unsupported(line, f"question '{qid}': the answer block {{{_plain(block)}}} fits no question type")
    answers = _split_answers(stripped, base, chunk, qid)
    if any("->" in a.text for a in answers):
        spec["type"] = "matching"
        spec.update(_matching(answers, line, qid))
    elif all(a.mark == "=" for a in answers):
        spec["type"] = "short_answer"
        spec.update(_short_answer(answers, qid, notes))
    else:
        spec.update(_choices(answers, line, qid, notes))
    return spec


def parse_gift(text: str, file: str) -> tuple[list[GiftQuestion], list[Problem]]:
    """Parse a whole GIFT file.

    Every problem carries the file and the line of the question (or of the offending part). A question
    that comes back may still have lost something: its `notes` say what (they are among the problems too).
    A SkippedItem is an item that did not come back, and why.
    """
    questions: list[GiftQuestion] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for chunk, tags in _chunks(text):
        notes: list[tuple[int, str]] = []
        try:
            spec = _question(chunk, tags, notes)
        except _Unsupported as error:
            problems.append(SkippedItem(file, error.line, error.message))
            continue
        finally:
            noted = [Problem(file, line, message) for line, message in notes]
            problems.extend(noted)
        if spec["id"] in seen:
            message = f"question id '{spec['id']}' is already used on line {seen[spec['id']]}"
            problems.append(SkippedItem(file, chunk.line, message))
            continue
        seen[spec["id"]] = chunk.line
        questions.append(GiftQuestion(spec=spec, line=chunk.line, notes=noted))
    problems.sort(key=lambda p: p.line)
    return questions, problems


# ---------------------------------------------------------------------------------------------------------------------
# Export


def _escape(value) -> str:
    text = str(value).replace("\r\n", "\n").strip()
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def _part(value) -> str:
    """An answer or feedback, escaped; one that starts like a text format gets a real one first, as import drops one."""
    text = _escape(value)
    return f"[markdown]{text}" if _FORMAT_RE.match(text) else text


def _feedback(value) -> str:
    return f"#{_part(value)}" if value not in (None, "") else ""


def _number(value) -> str:
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _weight(value: float) -> str:
    return f"{round(value, 5):.5f}".rstrip("0").rstrip(".")


def _weighted(mark: str, weight: float, text: str) -> str:
    return f"{mark}%{_weight(weight)}%{text}" if weight else f"{mark}{text}"


def _choice_lines(spec: dict, kind: str, lost: list[str]) -> list[str]:
    choices = spec.get("choices") or []
    texts = [f"{_part(c['text'])}{_feedback(c.get('feedback'))}" for c in choices]
    if any("weight" in c for c in choices):
        weights = [float(c.get("weight", 0)) for c in choices]
        if kind == "multiple_response":
            return [_weighted("~", w, text) for w, text in zip(weights, texts, strict=True)]
        # One pick: '=' makes it one. With no weight other than 0 and 100 written, '%100%' keeps it weighted
        # (two answers worth 100% read back as a single choice, not as pick-them-all).
        full = "=%100%" if all(w in (0, 100) for w in weights) else "="
        return [full + text if w >= 100 else _weighted("~", w, text) for w, text in zip(weights, texts, strict=True)]
    if kind == "single_choice":
        return [("=" if c.get("correct") else "~") + text for c, text in zip(choices, texts, strict=True)]
    # Moodle adds up the weights of the picks: right ones share 100%, wrong ones share -100%.
    right = [c for c in choices if c.get("correct")]
    wrong = len(choices) - len(right)
    scoring = spec.get("scoring", "all_or_nothing")
    if len(right) > 1 and scoring == "all_or_nothing":
        lost.append("all_or_nothing scoring (written with shared weights, so it reads back as partial)")
    if len(right) == 1 and scoring == "partial" and wrong < 2:
        lost.append("partial scoring with one right choice (reads back as all_or_nothing)")
    share = 100 / len(right) if right else 0
    penalty = -100 if scoring == "all_or_nothing" or not wrong else -100 / wrong
    return [
        _weighted("~", share if c.get("correct") else penalty, text) if share else "~" + text
        for c, text in zip(choices, texts, strict=True)
    ]


def _numeric_answer(answer: dict) -> str:
    weight = float(answer.get("weight", 100))
    if "min" in answer:
        value = f"{_number(answer.get('min', 0))}..{_number(answer.get('max', 0))}"
    else:
        value = f"{_number(answer.get('answer', 0))}:{_number(answer.get('tolerance', 0))}"
    return _weighted("=", weight, value) if weight < 100 else f"={value}"


def _answer_block(spec: dict, kind: str) -> tuple[list[str], list[str]]:
    """Answer lines for the block, and what GIFT could not keep."""
    lost: list[str] = []
    if kind in ("single_choice", "multiple_response"):
        return _choice_lines(spec, kind, lost), lost
    if kind == "true_false":
        wrong, right = spec.get("feedback_wrong"), spec.get("feedback_correct")
        feedback = ""
        if right not in (None, ""):
            feedback = f"#{_part(wrong or '')}#{_part(right)}"
        elif wrong not in (None, ""):
            feedback = f"#{_part(wrong)}"
        return [("T" if spec.get("answer") else "F") + feedback], lost
    if kind == "short_answer":
        for key in ("pattern", "case_sensitive"):
            if spec.get(key):
                lost.append(f"'{key}'")
        answers = []
        for answer in spec.get("answers") or []:
            if isinstance(answer, dict):
                weight = float(answer.get("weight", 100))
                text = _part(answer.get("text", ""))
                answers.append(_weighted("=", weight, text) if weight < 100 else f"={text}")
            else:
                answers.append(f"={_part(answer)}")
        return [" ".join(answers)], lost
    if kind == "numeric":
        if isinstance(spec.get("answers"), list):
            return ["#" + " ".join(_numeric_answer(a) for a in spec["answers"] if isinstance(a, dict))], lost
        return [f"#{_number(spec.get('answer', 0))}:{_number(spec.get('tolerance', 0))}"], lost
    # matching
    lines = []
    for pair in spec.get("pairs") or []:
        left, right = _part(pair["left"]), _escape(pair["right"])
        lines.append(f"={left} -> {right}{_feedback(pair.get('feedback'))}")
    return lines, lost


def _typed_answers(spec: dict, kind: str) -> list[str]:
    """The text of every choice and short answer: what GIFT writes right after '=' or '~'."""
    texts = [str(c.get("text", "")) for c in spec.get("choices") or [] if isinstance(c, dict)]
    if kind == "short_answer":
        for answer in spec.get("answers") or []:
            texts.append(str(answer.get("text", "")) if isinstance(answer, dict) else str(answer))
    return texts


def _unwritable(spec: dict, kind: str) -> str | None:
    """Why GIFT cannot write this spec at all, or None."""
    if kind in _NO_GIFT_FORM:
        return f"{kind} questions have no GIFT form"
    if kind not in _TYPE_KEYS:
        return f"unknown question type '{kind}'"
    if any("->" in str(pair.get("left", "")) for pair in spec.get("pairs") or []):
        return "a matching left side holds '->', which GIFT cannot write"
    answers = _typed_answers(spec, kind)
    if any("->" in answer for answer in answers):
        return "an answer holds '->', which would read back as a matching pair"
    if any(_WEIGHT_RE.match(answer.strip()) for answer in answers):
        return "an answer starts with '%number%', which would read back as a weight"
    return None


def _unknown_keys(spec: dict, kind: str) -> list[str]:
    unknown = sorted(set(spec) - _COMMON_KEYS - _TYPE_KEYS[kind])
    for choice in spec.get("choices") or []:
        unknown += sorted(set(choice) - {"text", "correct", "feedback", "weight"})
    for pair in spec.get("pairs") or []:
        unknown += sorted(set(pair) - {"left", "right", "feedback"})
    for answer in spec.get("answers") or []:
        allowed = {"text", "weight"} if kind == "short_answer" else {"answer", "tolerance", "min", "max", "weight"}
        unknown += sorted(set(answer) - allowed) if isinstance(answer, dict) else []
    return [f"'{key}'" for key in dict.fromkeys(str(key) for key in unknown)]


def to_gift(specs: list[dict]) -> tuple[str, list[str]]:
    """GIFT text for our specs, and one message per spec that GIFT cannot express (skipped, named by id and type).

    A spec GIFT can write only in part is written, and its message names what is lost.
    """
    parts: list[str] = []
    messages: list[str] = []
    category: list[str] = []
    for spec in specs:
        qid, kind = spec.get("id"), spec.get("type")
        reason = _unwritable(spec, kind)
        if reason:
            messages.append(f"skipped '{qid}': {reason}")
            continue
        lines, lost = _answer_block(spec, kind)
        lost += _unknown_keys(spec, kind)
        if spec.get("points") not in (None, 1):
            lost.append("'points'")
        if slugify(str(qid)) != qid:
            lost.append(f"the id (reads back as '{slugify(str(qid))}')")
        tags = [str(tag) for tag in spec.get("tags") or []]
        if _category_tags("/".join(tags)) != tags:
            lost.append(f"the tags (read back as {_category_tags('/'.join(tags))})")
        if lost:
            messages.append(f"'{qid}' ({kind}): GIFT cannot keep {', '.join(lost)}")
        if tags != category:
            parts.append(f"{_CATEGORY} {'/'.join(tags)}".rstrip())
            category = tags
        if spec.get("explanation") not in (None, ""):
            lines.append(f"####{_part(spec['explanation'])}")
        head = f"::{_escape(qid)}::[markdown]{_escape(spec.get('text', ''))}"
        if kind in ("single_choice", "multiple_response", "matching"):
            parts.append(head + " {\n" + "\n".join("\t" + line for line in lines) + "\n}")
        else:
            parts.append(head + " {" + "".join(lines) + "}")
    return "\n\n".join(parts) + ("\n" if parts else ""), messages
