"""Task types: one class each, in a registry (render template, parse an answer, compare to gold,
agree a consensus). Adding a type touches this file and templates/pools/tasks/<name>.html.

A type reads an answer against a `TaskContext`: the pool (whose settings say how close an answer
must be: `iou_threshold_percent` for boxes, `max_error_percent` for transcripts) and the task's
media files by payload field (`media_fields`: "image" or "audio", stored in the payload by key).

Bounding boxes are drawn in steps without JavaScript (`step`): each tap or Undo posts the whole
drawing so far in hidden fields to the task's own page, which checks it again and shows it back;
nothing is stored until the final submit (`parse`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from rapidfuzz.distance import Levenshtein

from samaschool.assessments.question_types import character_error_rate, normalise_text
from samaschool.errors import DomainError
from samaschool.media import boxes as geometry

MAX_TEXT = 5000
MAX_REASON = 500


class InvalidTaskAnswer(DomainError):
    pass


@dataclass(frozen=True)
class TaskContext:
    """What an answer is read against: the task's pool and its media files by payload field."""

    pool: Any = None
    media: dict[str, Any] = field(default_factory=dict)


@dataclass
class Step:
    """A drawing step's outcome: the drawing to show again, and what went wrong (if anything)."""

    draft: Any
    error: str | None = None


class TaskType:
    name: ClassVar[str]
    label: ClassVar[Any]
    needs_labels: ClassVar[bool] = False
    payload_fields: ClassVar[tuple[str, ...]] = ()  # what an imported task must carry
    media_fields: ClassVar[dict[str, str]] = {}  # payload field -> media kind ("image", "audio")

    def parse(self, form, labels: list[str], context: TaskContext | None = None) -> Any:
        raise NotImplementedError

    def parse_gold(self, raw: Any, labels: list[str], *, media: dict | None = None) -> Any:
        """A gold answer from an import file (same shape as a worker's answer), or ValueError.
        `media` (payload field -> MediaFile), when given, lets a type check the answer against its files."""
        raise NotImplementedError

    def step(self, form, labels: list[str], context: TaskContext) -> Step | None:
        """For types answered in several posts: the next drawing step, or None when `form` is the answer."""
        return None

    def draft(self, form, labels: list[str], context: TaskContext) -> Any:
        """What a multi-step type shows (from `form`, or a fresh start when None); None for the others."""
        return None

    def matches(self, answer: Any, gold: Any, pool=None) -> bool:
        return answer == gold

    def consensus(self, answers: list[Any], pool=None) -> Any | None:
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

    def parse(self, form, labels, context=None):
        value = form.get("answer", "")
        if not value:
            raise InvalidTaskAnswer(_l("Choose one label."))
        if value not in labels:
            raise InvalidTaskAnswer(_l("That label is not one of this pool's labels."))
        return value

    def parse_gold(self, raw, labels, *, media=None):
        if raw not in labels:
            raise ValueError(f"gold label '{raw}' is not one of the pool's labels")
        return raw


@register
class Tagging(TaskType):
    name = "tagging"
    label = _l("Tagging (several labels)")
    needs_labels = True
    payload_fields = ("title",)

    def parse(self, form, labels, context=None):
        values = sorted(set(form.getlist("answer")))
        if any(v not in labels for v in values):
            raise InvalidTaskAnswer(_l("That label is not one of this pool's labels."))
        return values  # an empty list is a valid answer: "nothing applies"

    def parse_gold(self, raw, labels, *, media=None):
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
    max_error = 0.10  # when no pool says otherwise (the pool's max_error_percent)

    def parse(self, form, labels, context=None):
        text = " ".join((form.get("answer") or "").split())
        if not text:
            raise InvalidTaskAnswer(_l("Type the transcript."))
        if len(text) > MAX_TEXT:
            raise InvalidTaskAnswer(_l("That answer is too long."))
        return text

    def parse_gold(self, raw, labels, *, media=None):
        text = " ".join(str(raw).split())
        if not text:
            raise ValueError("empty gold transcript")
        return text

    def matches(self, answer, gold, pool=None):
        limit = self.max_error if pool is None else pool.max_error_percent / 100
        return character_error_rate(gold, answer) <= limit

    def key(self, answer):
        return normalise_text(answer)


@register
class FreeText(Transcription):
    name = "free_text"
    label = _l("Free-text answer")
    payload_fields = ("title",)

    def matches(self, answer, gold, pool=None):
        return normalise_text(answer) == normalise_text(gold)


# Media task types ------------------------------------------------------------------------------


@register
class ImageClassification(Classification):
    name = "image_classification"
    label = _l("Image classification (one label)")
    payload_fields = ("image",)
    media_fields: ClassVar[dict[str, str]] = {"image": "image"}


@register
class ImageTagging(Tagging):
    name = "image_tagging"
    label = _l("Image tagging (several labels)")
    payload_fields = ("image",)
    media_fields: ClassVar[dict[str, str]] = {"image": "image"}


@register
class AudioTranscription(Transcription):
    """Graded by character error rate against gold, within the pool's `max_error_percent`.
    Consensus: the transcript the others differ least from, by the sum of character edits
    between it and each of them (a character error rate before dividing by a length, so that no
    one transcript's length decides); when two different transcripts tie for it (always so
    with two answers that differ) there is none."""

    name = "audio_transcription"
    label = _l("Audio transcription")
    payload_fields = ("audio",)
    media_fields: ClassVar[dict[str, str]] = {"audio": "audio"}

    def consensus(self, answers, pool=None):
        if not answers:
            return None
        texts = [" ".join(str(a).split()) for a in answers]
        totals = [
            sum(Levenshtein.distance(mine, other) for j, other in enumerate(texts) if j != i)
            for i, mine in enumerate(texts)
        ]
        lowest = min(totals)
        best = [answers[i] for i, total in enumerate(totals) if total == lowest]
        return best[0] if len({self.key(a) for a in best}) == 1 else None


AI_CHOICES = ("a", "b", "both_bad")


@register
class AIComparison(TaskType):
    """A prompt and two AI responses: which is better (or both bad), and why. Gold and consensus
    look at the choice only; the reason is for the reviewer."""

    name = "ai_comparison"
    label = _l("Compare two AI answers")
    payload_fields = ("prompt", "response_a", "response_b")

    def parse(self, form, labels, context=None):
        choice = form.get("choice", "")
        if choice not in AI_CHOICES:
            raise InvalidTaskAnswer(_l("Choose which answer is better, or that both are bad."))
        reason = (form.get("reason") or "").strip()
        if not reason:
            raise InvalidTaskAnswer(_l("Say briefly why."))
        if len(reason) > MAX_REASON:
            raise InvalidTaskAnswer(_l("Keep the reason to 500 characters or fewer."))
        return {"choice": choice, "reason": reason}

    def parse_gold(self, raw, labels, *, media=None):
        if isinstance(raw, str) and raw.strip().startswith("{"):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise ValueError("gold is not valid JSON") from None
        value = raw.get("choice") if isinstance(raw, dict) else raw
        choice = str(value or "").strip().lower().replace(" ", "_")
        if choice not in AI_CHOICES:
            raise ValueError(f"gold choice '{value}' must be one of: {', '.join(AI_CHOICES)}")
        return {"choice": choice}

    def matches(self, answer, gold, pool=None):
        return answer.get("choice") == gold.get("choice")

    def key(self, answer):
        return answer.get("choice", "")

    def consensus(self, answers, pool=None):
        agreed = super().consensus(answers, pool)
        return None if agreed is None else {"choice": agreed["choice"]}


@dataclass
class BoxDraft:
    """A bounding-box answer being drawn: boxes so far and a first corner waiting for its
    opposite (image pixels), the label chosen for the next box, and "nothing to box"."""

    boxes: list[geometry.Box] = field(default_factory=list)
    corner: tuple[int, int] | None = None
    label: str | None = None
    nothing: bool = False

    @property
    def boxes_json(self) -> str:
        return geometry.dump_boxes(self.boxes)

    @property
    def corner_text(self) -> str:
        return "" if self.corner is None else f"{self.corner[0]},{self.corner[1]}"


@register
class BoundingBoxes(TaskType):
    """Boxes around things in an image, each with a label of the pool. Without JavaScript the
    worker taps two opposite corners on the image (an image button, so each tap posts its
    position) and the page keeps the drawing in hidden fields; static/js/boxes.js lets a worker
    drag instead. The answer is a list of {"label", "x", "y", "w", "h"} in the image's own pixels.

    An image with nothing to box is answered by ticking "nothing to box" (an empty list), never
    by submitting no boxes by mistake. Gold and consensus match boxes one to one at the pool's
    IoU threshold (`samaschool.media.boxes`)."""

    name = "bounding_boxes"
    label = _l("Bounding boxes")
    needs_labels = True
    payload_fields = ("image",)
    media_fields: ClassVar[dict[str, str]] = {"image": "image"}
    # CSS pixels: a 320 px phone has 296 inside the page's margins, so nothing scrolls or shrinks
    # the image (a tap's position is read against this width). Review cards have less room.
    max_shown_width = 288
    review_width = 240

    @staticmethod
    def threshold(pool) -> float:
        return (pool.iou_threshold_percent if pool is not None else 50) / 100

    def shown_size(self, image, max_width: int | None = None) -> tuple[int, int]:
        """The size (CSS pixels) the page shows `image` at: never more than it has, never shrunk by CSS."""
        full_width = image.display_width or image.width
        full_height = image.display_height or image.height
        width = max(1, min(full_width, max_width or self.max_shown_width))
        return width, max(1, round(full_height * width / full_width))

    @staticmethod
    def _image(context: TaskContext):
        image = context.media.get("image")
        if image is None or not image.width or not image.height:
            raise InvalidTaskAnswer(_l("This task's image is missing. Skip it and tell the pool manager."))
        return image

    def read_draft(self, form, labels, image) -> BoxDraft:
        """The drawing carried in the form's hidden fields, checked as strictly as any input."""
        chosen = form.get("box_label")
        draft = BoxDraft(label=chosen if chosen in labels else None, nothing=form.get("nothing") == "1")
        try:
            draft.boxes = geometry.parse_boxes(
                form.get("boxes", ""), width=image.width, height=image.height, labels=labels
            )
        except geometry.BoxError:
            raise InvalidTaskAnswer(_l("The boxes on this page could not be read. Please start again.")) from None
        corner = (form.get("corner") or "").strip()
        if corner:
            parts = corner.split(",")
            if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) <= 6 for p in parts):
                raise InvalidTaskAnswer(_l("The boxes on this page could not be read. Please start again."))
            x, y = int(parts[0]), int(parts[1])
            if x > image.width or y > image.height:
                raise InvalidTaskAnswer(_l("The boxes on this page could not be read. Please start again."))
            draft.corner = (x, y)
        return draft

    def draft(self, form, labels, context):
        fresh = BoxDraft(label=labels[0] if labels else None)
        if form is None or context.media.get("image") is None:
            return fresh
        try:
            return self.read_draft(form, labels, self._image(context))
        except InvalidTaskAnswer:
            return fresh

    def step(self, form, labels, context):
        tapped = "tap.x" in form or "tap.y" in form
        if not tapped and form.get("step") not in ("undo", "add_box"):
            return None
        image = self._image(context)
        try:
            draft = self.read_draft(form, labels, image)
        except InvalidTaskAnswer as error:
            return Step(BoxDraft(label=labels[0] if labels else None), str(error))
        keyboard = tapped and form.get("tap.x") == "0" and form.get("tap.y") == "0"
        typed = any((form.get(f"box_{name}") or "").strip() for name in ("left", "top", "right", "bottom"))
        # (0, 0) is what a browser sends when the image button is pressed with the keyboard, or
        # when Enter in a number field submits the form through it: not a tap.
        if (form.get("step") == "add_box" and not tapped) or (keyboard and typed):
            return self._typed_box(form, draft, image)
        if keyboard:
            return Step(draft, _("To mark a box with the keyboard, type its sides in numbers below the image."))
        if not tapped:  # Undo: the pending corner first, else the last box
            if draft.corner is not None:
                draft.corner = None
            elif draft.boxes:
                draft.boxes.pop()
            return Step(draft)
        if draft.label is None:
            return Step(draft, _("Choose the label of the box first, then tap."))
        shown_width = form.get("tap_shown_width")
        try:
            point = geometry.scale_tap(form.get("tap.x"), form.get("tap.y"), shown_width, image.width, image.height)
        except geometry.BoxError as error:
            return Step(draft, str(error))
        if draft.corner is None:
            draft.corner = point
            return Step(draft)
        if len(draft.boxes) >= geometry.MAX_BOXES:
            return Step(draft, _("That is the most boxes one answer can have (%(n)d).", n=geometry.MAX_BOXES))
        try:
            box = geometry.box_from_corners(draft.corner, point, draft.label)
        except geometry.BoxError as error:
            return Step(draft, str(error))  # the first corner stays
        draft.boxes.append(box)
        draft.corner = None
        return Step(draft)

    def _typed_box(self, form, draft: BoxDraft, image) -> Step:
        """A box typed as four sides in percent of the image: the way to draw without a pointer."""
        if draft.label is None:
            return Step(draft, _("Choose the label of the box first, then tap."))
        sides = []
        for name in ("left", "top", "right", "bottom"):
            raw = (form.get(f"box_{name}") or "").strip().replace(",", ".")
            try:
                value = float(raw)
            except ValueError:
                value = -1.0
            if not 0 <= value <= 100:
                return Step(draft, _("Give all four sides of the box as numbers from 0 to 100."))
            sides.append(value)
        left, top, right, bottom = sides
        if right <= left or bottom <= top:
            return Step(draft, _("The right side must be further right than the left, and the bottom below the top."))
        if len(draft.boxes) >= geometry.MAX_BOXES:
            return Step(draft, _("That is the most boxes one answer can have (%(n)d).", n=geometry.MAX_BOXES))
        corners = (
            (round(left * image.width / 100), round(top * image.height / 100)),
            (round(right * image.width / 100), round(bottom * image.height / 100)),
        )
        try:
            draft.boxes.append(geometry.box_from_corners(*corners, draft.label))
        except geometry.BoxError as error:
            return Step(draft, str(error))
        draft.corner = None
        return Step(draft)

    def parse(self, form, labels, context=None):
        draft = self.read_draft(form, labels, self._image(context or TaskContext()))
        if draft.corner is not None:
            raise InvalidTaskAnswer(_l("You tapped one corner of a box: tap the opposite corner, or Undo."))
        if draft.boxes and draft.nothing:
            raise InvalidTaskAnswer(
                _l("You ticked “There is nothing to box” but drew boxes: untick it, or undo the boxes.")
            )
        if not draft.boxes and not draft.nothing:
            raise InvalidTaskAnswer(_l("Draw a box around each thing, or tick “There is nothing to box”."))
        return [box.as_dict() for box in draft.boxes]

    def parse_gold(self, raw, labels, *, media=None):
        image = (media or {}).get("image")
        try:
            found = geometry.parse_boxes(
                raw,
                width=image.width if image is not None else None,
                height=image.height if image is not None else None,
                labels=labels,
            )
        except geometry.BoxError as error:
            raise ValueError(f"gold boxes: {error}") from None
        return [box.as_dict() for box in found]

    def matches(self, answer, gold, pool=None):
        return geometry.match_boxes(answer, gold, self.threshold(pool))

    def consensus(self, answers, pool=None):
        return geometry.consensus(answers, self.threshold(pool))
