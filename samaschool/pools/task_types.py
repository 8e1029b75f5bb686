"""Task types: one class each, in a registry (render template, parse an answer, compare to gold,
agree a consensus). Adding a type touches this file and templates/pools/tasks/<name>.html."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l

from samaschool.assessments.question_types import character_error_rate, normalise_text
from samaschool.errors import DomainError

MAX_TEXT = 5000


class InvalidTaskAnswer(DomainError):
    pass


class TaskType:
    name: ClassVar[str]
    label: ClassVar[Any]
    needs_labels: ClassVar[bool] = False
    payload_fields: ClassVar[tuple[str, ...]] = ()  # what an imported task must carry

    def parse(self, form, labels: list[str]) -> Any:
        raise NotImplementedError

    def parse_gold(self, raw: Any, labels: list[str]) -> Any:
        """A gold answer from an import file (same shape as a worker's answer), or ValueError."""
        raise NotImplementedError

    def matches(self, answer: Any, gold: Any) -> bool:
        return answer == gold

    def consensus(self, answers: list[Any]) -> Any | None:
        """The majority answer, or None when there is no strict majority."""
        counts = Counter(self.key(a) for a in answers)
        if not counts:
            return None
        (best, n), *rest = counts.most_common()
        if rest and rest[0][1] == n:
            return None
        return next(a for a in answers if self.key(a) == best)

    def key(self, answer: Any) -> str:
        return str(answer)


REGISTRY: dict[str, TaskType] = {}


def register(cls):
    REGISTRY[cls.name] = cls()
    return cls


@register
class Classification(TaskType):
    name = "classification"
    label = _l("Classification (one label)")
    needs_labels = True
    payload_fields = ("title",)

    def parse(self, form, labels):
        value = form.get("answer", "")
        if not value:
            raise InvalidTaskAnswer(_l("Choose one label."))
        if value not in labels:
            raise InvalidTaskAnswer(_l("That label is not one of this pool's labels."))
        return value

    def parse_gold(self, raw, labels):
        if raw not in labels:
            raise ValueError(f"gold label '{raw}' is not one of the pool's labels")
        return raw


@register
class Tagging(TaskType):
    name = "tagging"
    label = _l("Tagging (several labels)")
    needs_labels = True
    payload_fields = ("title",)

    def parse(self, form, labels):
        values = sorted(set(form.getlist("answer")))
        if any(v not in labels for v in values):
            raise InvalidTaskAnswer(_l("That label is not one of this pool's labels."))
        return values  # an empty list is a valid answer: "nothing applies"

    def parse_gold(self, raw, labels):
        values = raw if isinstance(raw, list) else [v.strip() for v in str(raw).split("|") if v.strip()]
        if any(v not in labels for v in values):
            raise ValueError("a gold tag is not one of the pool's labels")
        return sorted(set(values))

    def key(self, answer):
        return "|".join(answer)


@register
class Transcription(TaskType):
    name = "transcription"
    label = _l("Transcription")
    payload_fields = ("text",)
    max_error = 0.10

    def parse(self, form, labels):
        text = " ".join((form.get("answer") or "").split())
        if not text:
            raise InvalidTaskAnswer(_l("Type the transcript."))
        if len(text) > MAX_TEXT:
            raise InvalidTaskAnswer(_l("That answer is too long."))
        return text

    def parse_gold(self, raw, labels):
        text = " ".join(str(raw).split())
        if not text:
            raise ValueError("empty gold transcript")
        return text

    def matches(self, answer, gold):
        return character_error_rate(gold, answer) <= self.max_error

    def key(self, answer):
        return normalise_text(answer)


@register
class FreeText(Transcription):
    name = "free_text"
    label = _l("Free-text answer")
    payload_fields = ("title",)

    def matches(self, answer, gold):
        return normalise_text(answer) == normalise_text(gold)
