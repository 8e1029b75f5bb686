"""Rectangles on an image: the geometry that bounding-box tasks and image-region questions share.

Every box is kept in the ORIGINAL image's own pixels (`MediaFile.width` by `MediaFile.height`),
whatever size the page showed it at: a tap arrives in CSS pixels of the image as shown and is
mapped here (`scale_tap`) before anything is stored or compared.

Two sets of boxes agree (`match_boxes`) when they pair up one to one, each pair with the same
label and an intersection over union at or above the threshold, with no box left over on either
side. The pairing is a maximum bipartite matching (augmenting paths), so the answer never depends
on the order the boxes were drawn in.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from flask_babel import gettext as _

MAX_BOXES = 50
MAX_LABEL = 200
KEYS = ("label", "x", "y", "w", "h")


class BoxError(ValueError):
    """A box (or a tap) that cannot be accepted; `str(error)` is a message fit for the user."""


@dataclass(frozen=True)
class Box:
    label: str
    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        return self.w * self.h

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _box(value: Box | dict) -> Box:
    return value if isinstance(value, Box) else Box(**{key: value[key] for key in KEYS})


def iou(a: Box | dict, b: Box | dict) -> float:
    """Intersection over union of two boxes (0.0 when they do not overlap)."""
    a, b = _box(a), _box(b)
    width = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    height = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def match_boxes(answer: Iterable[Box | dict], gold: Iterable[Box | dict], threshold: float) -> bool:
    """True when every gold box has its own answer box of the same label with IoU >= `threshold`
    (a fraction, e.g. 0.5) and the answer has no extra boxes. Two empty lists agree."""
    answer, gold = [_box(b) for b in answer], [_box(b) for b in gold]
    if len(answer) != len(gold):
        return False
    fits = [
        [j for j, mine in enumerate(answer) if mine.label == wanted.label and iou(mine, wanted) >= threshold]
        for wanted in gold
    ]
    owner: dict[int, int] = {}  # answer box -> the gold box it is paired with

    def pair(i: int, seen: set[int]) -> bool:
        for j in fits[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or pair(owner[j], seen):
                owner[j] = i
                return True
        return False

    return all(pair(i, set()) for i in range(len(gold)))


def consensus(answers: Sequence[Sequence[Box | dict]], threshold: float):
    """The answer that agrees (by `match_boxes`) with the most other answers, when it and those
    that agree with it are a strict majority; None otherwise. Ties go to the earliest answer."""
    if not answers:
        return None
    best, best_count = None, -1
    for i, mine in enumerate(answers):
        count = sum(1 for j, other in enumerate(answers) if j != i and match_boxes(mine, other, threshold))
        if count > best_count:
            best, best_count = mine, count
    return best if (best_count + 1) * 2 > len(answers) else None


def _coordinate(value: Any) -> int:
    """A whole number from JSON or a form: ints, integral floats and digit strings; nothing else."""
    if isinstance(value, bool):
        raise BoxError(_("A box's position or size is not a number."))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BoxError(_("A box's position or size is not a number."))
        return round(value)
    if isinstance(value, str):
        text = value.strip()
        digits = text.removeprefix("-")
        if digits.isascii() and digits.isdigit() and len(digits) <= 9:
            return int(text)
        try:
            number = float(text) if len(text) <= 20 else math.nan
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return round(number)
    raise BoxError(_("A box's position or size is not a number."))


def scale_tap(x: Any, y: Any, shown_width: Any, image_width: int, image_height: int | None = None) -> tuple[int, int]:
    """A tap at (x, y) CSS pixels on the image shown `shown_width` CSS pixels wide, in the image's
    own pixels (rounded). Raises BoxError for a tap that is not on the image."""
    try:
        x, y, shown = _coordinate(x), _coordinate(y), _coordinate(shown_width)
    except BoxError:
        raise BoxError(_("That tap could not be read. Tap on the image.")) from None
    if shown <= 0 or image_width <= 0:
        raise BoxError(_("That tap could not be read. Tap on the image."))
    scale = image_width / shown
    px, py = round(x * scale), round(y * scale)
    outside_height = image_height is not None and py > image_height
    if x < 0 or y < 0 or px > image_width or outside_height:
        raise BoxError(_("That tap is outside the image."))
    return px, py


def box_from_corners(p1: Sequence[int], p2: Sequence[int], label: str = "") -> Box:
    """The box with `p1` and `p2` (image pixels) as opposite corners. Two taps on the same row or
    column make no box: BoxError."""
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 or y1 == y2:
        raise BoxError(_("Those two taps make a box with no area. Tap the corner diagonally opposite the first one."))
    return Box(label=label, x=min(x1, x2), y=min(y1, y2), w=abs(x2 - x1), h=abs(y2 - y1))


def parse_boxes(
    raw: Any,
    *,
    width: int | None = None,
    height: int | None = None,
    labels: Iterable[str] | None = None,
    max_boxes: int = MAX_BOXES,
    require_label: bool = True,
) -> list[Box]:
    """Boxes from a JSON list (or the same as a JSON string) of {"label", "x", "y", "w", "h"} in
    the image's own pixels; each checked: whole numbers, positive width and height, inside the
    `width` by `height` image when given, a label from `labels` when given, at most `max_boxes`.
    Raises BoxError naming the first problem (box numbers count from 1)."""
    if isinstance(raw, str):
        if len(raw) > 100_000:
            raise BoxError(_("Too many boxes."))
        try:
            raw = json.loads(raw) if raw.strip() else []
        except (ValueError, RecursionError):
            raise BoxError(_("The boxes are not a JSON list.")) from None
    if not isinstance(raw, list):
        raise BoxError(_("The boxes are not a JSON list."))
    if len(raw) > max_boxes:
        raise BoxError(_("Too many boxes: at most %(n)d.", n=max_boxes))
    allowed = None if labels is None else set(labels)
    boxes = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or set(item) - set(KEYS) or not {"x", "y", "w", "h"} <= set(item):
            raise BoxError(_("Box %(n)d must have exactly label, x, y, w and h.", n=number))
        label = item.get("label", "")
        if not isinstance(label, str) or len(label) > MAX_LABEL or (require_label and not label.strip()):
            raise BoxError(_("Box %(n)d has no label.", n=number))
        if allowed is not None and label not in allowed:
            raise BoxError(_("Box %(n)d: “%(label)s” is not one of the labels.", n=number, label=label))
        x, y, w, h = (_coordinate(item[key]) for key in ("x", "y", "w", "h"))
        if w <= 0 or h <= 0:
            raise BoxError(_("Box %(n)d has no area.", n=number))
        if x < 0 or y < 0 or (width is not None and x + w > width) or (height is not None and y + h > height):
            raise BoxError(_("Box %(n)d is outside the image.", n=number))
        boxes.append(Box(label=label, x=x, y=y, w=w, h=h))
    return boxes


def dump_boxes(boxes: Iterable[Box | dict]) -> str:
    """Boxes as compact JSON, for a hidden form field or an export."""
    return json.dumps([_box(b).as_dict() for b in boxes], separators=(",", ":"), ensure_ascii=False)
