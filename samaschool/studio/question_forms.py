"""The studio's question and quiz forms: what a trainer types, as the specs of courses/README.md.

A question form has a part for each question type (choices, answers, pairs, items, a region…) in
rows, so it works without JavaScript: blank rows are left out, "More rows" adds some. Each
editor turns submitted fields into a spec and back, and puts the validator's problems (which
name a path in the spec) next to the fields that made them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional, Regexp

from samaschool.assessments.models import MAX_ATTEMPTS_PER_DAY, REVIEW_POLICIES
from samaschool.assessments.question_types import REGISTRY
from samaschool.studio.questions import BANK_FOLDER, QUIZ_SETTINGS, QuizChanges, QuizEntry, media_path

# One plain line on each question type, for the "New question" choice.
TYPE_DESCRIPTIONS = {
    "single_choice": _l("Learners choose the one right answer from a list."),
    "multiple_response": _l("Learners tick every right answer in a list: all or nothing, or part marks."),
    "true_false": _l("Learners say whether a statement is true or false."),
    "short_answer": _l("Learners type a word or a few words; you list the answers you accept."),
    "numeric": _l("Learners type a number; you give the answer and how far off it may be."),
    "ordering": _l("Learners put a few items in the right order."),
    "matching": _l("Learners match each item on the left with one on the right."),
    "transcription": _l("Learners type out a text; it is right when few enough characters differ."),
    "image_classification": _l("Learners look at an image and choose the one right label."),
    "audio_transcription": _l("Learners listen to a sound clip and type what is said."),
    "image_region": _l("Learners mark a region of an image, such as where a product is."),
}
CHOICE_TYPES = ("single_choice", "multiple_response", "image_classification")
IMAGE_TYPES = ("image_classification", "image_region")
MAX_ROWS = 60
MORE_ROWS = 3
ROW_FIELDS = {
    "choices": ("text", "feedback", "weight"),
    "answers": ("text", "weight"),
    "ranges": ("answer", "tolerance", "min", "max", "weight"),
    "items": ("text",),
    "pairs": ("left", "right", "feedback"),
}
SCALARS = (
    "id",
    "lesson",
    "tags",
    "points",
    "text",
    "explanation",
    "file",
    "new_file",
    "image_file",
    "image_alt",
    "audio_file",
    "audio_transcript",
    "scoring",
    "answer",
    "feedback_correct",
    "feedback_wrong",
    "pattern",
    "number",
    "tolerance",
    "reference",
    "max_error_percent",
    "region_x",
    "region_y",
    "region_w",
    "region_h",
    "min_iou_percent",
)
NEW_FILE = "__new__"
# The fields (or rows) each form shows problems next to; any other problem goes in the list on top.
COMMON_SLOTS = {"lesson", "text", "image", "audio", "tags", "points", "explanation", "file"}
TYPE_SLOTS = {
    "single_choice": {"choices"},
    "image_classification": {"choices"},
    "multiple_response": {"choices", "scoring"},
    "true_false": {"answer", "feedback_correct", "feedback_wrong"},
    "short_answer": {"answers", "pattern"},
    "numeric": {"number", "tolerance", "ranges"},
    "ordering": {"items"},
    "matching": {"pairs"},
    "transcription": {"reference", "max_error_percent"},
    "audio_transcription": {"reference", "max_error_percent"},
    "image_region": {"region", "min_iou_percent"},
}
QUIZ_SLOTS = {*QUIZ_SETTINGS, "questions", "sections", "draw"} - {"shuffle_questions", "shuffle_choices"}
_QUESTION_PREFIX = re.compile(r"^question '[^']*': ")


def row_lists(kind: str) -> tuple[str, ...]:
    """The lists of rows a question type's form has."""
    if kind in CHOICE_TYPES:
        return ("choices",)
    return {"short_answer": ("answers",), "numeric": ("ranges",), "ordering": ("items",), "matching": ("pairs",)}.get(
        kind, ()
    )


def number(text: str) -> Any:
    """A typed number as a number (45, 2.5, 2,5); anything else stays text, for the validator to name."""
    text = (text or "").strip()
    if re.fullmatch(r"[-+]?\d{1,15}", text):
        return int(text)
    candidate = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", candidate):
        value = float(candidate)
        if math.isfinite(value):
            return value
    return text


def _shown(value: Any) -> str:
    """A spec value as a form field shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _field(form, name: str) -> str:
    return (form.get(name) or "").replace("\r\n", "\n")


def blank_row(name: str) -> dict:
    row = dict.fromkeys(ROW_FIELDS[name], "")
    if name == "choices":
        row["correct"] = False
    return row


def _blank(row: dict) -> bool:
    return not any(str(value).strip() for key, value in row.items() if key != "correct") and not row.get("correct")


@dataclass
class QuestionEditor:
    """A question form's values (`values` by field name, `rows` by list), and its problems."""

    kind: str
    values: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, list[dict]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    spec_rows: dict[str, list[int]] = field(default_factory=dict)  # spec list index -> form row
    is_new: bool = True  # a new question's form has an id field; an existing one's does not

    @property
    def type(self):
        return REGISTRY[self.kind]

    @property
    def description(self):
        return TYPE_DESCRIPTIONS.get(self.kind, "")

    @property
    def lists(self) -> tuple[str, ...]:
        return row_lists(self.kind)

    # -- From a saved question, and from a submitted form ---------------------------------------------------------

    @classmethod
    def new(cls, kind: str, file: str) -> QuestionEditor:
        editor = cls(kind, values=dict.fromkeys(SCALARS, ""))
        editor.values["file"] = file
        if kind == "multiple_response":
            editor.values["scoring"] = "all_or_nothing"
        editor.rows = {name: [] for name in editor.lists}
        editor.pad(minimum=4 if kind in CHOICE_TYPES or kind == "ordering" else 3)
        return editor

    @classmethod
    def from_spec(cls, spec: dict, path: str) -> QuestionEditor:
        kind = spec.get("type")
        editor = cls(kind, values=dict.fromkeys(SCALARS, ""), is_new=False)
        values = editor.values
        for name in ("id", "lesson", "text", "explanation", "pattern", "feedback_correct", "feedback_wrong"):
            values[name] = _shown(spec.get(name))
        values["points"] = _shown(spec.get("points"))
        values["tags"] = ", ".join(map(str, spec["tags"])) if isinstance(spec.get("tags"), list) else ""
        values["file"] = path
        values["scoring"] = _shown(spec.get("scoring", "all_or_nothing" if kind == "multiple_response" else ""))
        values["case_sensitive"] = bool(spec.get("case_sensitive"))
        image, audio = spec.get("image"), spec.get("audio")
        if isinstance(image, dict):
            values["image_file"] = media_path(image.get("file")) or _shown(image.get("file"))
            values["image_alt"] = _shown(image.get("alt"))
        if isinstance(audio, dict):
            values["audio_file"] = media_path(audio.get("file")) or _shown(audio.get("file"))
            values["audio_transcript"] = _shown(audio.get("transcript"))
        values["reference"] = _shown(spec.get("reference"))
        if kind == "audio_transcription" and not values["reference"]:
            values["reference"], values["audio_transcript"] = values["audio_transcript"], ""
        values["max_error_percent"] = _shown(spec.get("max_error_percent"))
        values["min_iou_percent"] = _shown(spec.get("min_iou_percent"))
        region = spec.get("region") if isinstance(spec.get("region"), dict) else {}
        for side in ("x", "y", "w", "h"):
            values[f"region_{side}"] = _shown(region.get(side))
        if kind == "true_false":
            values["answer"] = _shown(spec.get("answer")) if isinstance(spec.get("answer"), bool) else ""
        if kind == "numeric":
            values["number"], values["tolerance"] = _shown(spec.get("answer")), _shown(spec.get("tolerance"))
        editor.rows = {name: [] for name in editor.lists}
        choices = spec.get("choices") if kind in CHOICE_TYPES and isinstance(spec.get("choices"), list) else []
        for choice in choices:
            if isinstance(choice, dict):
                editor.rows.setdefault("choices", []).append(
                    {
                        "text": _shown(choice.get("text")),
                        "feedback": _shown(choice.get("feedback")),
                        "weight": _shown(choice.get("weight")),
                        "correct": choice.get("correct") is True,
                    }
                )
        answers = spec.get("answers") if isinstance(spec.get("answers"), list) else []
        for answer in answers:
            if kind == "numeric" and isinstance(answer, dict):
                editor.rows["ranges"].append({name: _shown(answer.get(name)) for name in ROW_FIELDS["ranges"]})
            elif kind == "short_answer":
                if isinstance(answer, dict):
                    row = {"text": _shown(answer.get("text")), "weight": _shown(answer.get("weight"))}
                else:
                    row = {"text": _shown(answer), "weight": ""}
                editor.rows["answers"].append(row)
        items = spec.get("items") if kind == "ordering" and isinstance(spec.get("items"), list) else []
        for item in items:
            editor.rows["items"].append({"text": _shown(item)})
        pairs = spec.get("pairs") if kind == "matching" and isinstance(spec.get("pairs"), list) else []
        for pair in pairs:
            if isinstance(pair, dict):
                editor.rows["pairs"].append({name: _shown(pair.get(name)) for name in ROW_FIELDS["pairs"]})
        editor.pad(minimum=0, extra=2)
        return editor

    @classmethod
    def from_form(cls, form, kind: str, *, new: bool) -> QuestionEditor:
        editor = cls(kind, values={name: _field(form, name) for name in SCALARS}, is_new=new)
        editor.values["case_sensitive"] = bool(form.get("case_sensitive"))
        editor.rows = {}
        for name in editor.lists:
            prefix = "choice" if name == "choices" else name[:-1]
            numbers = sorted(
                {int(m.group(1)) for key in form if (m := re.match(rf"^{prefix}-(\d{{1,2}})-", key))}
                & set(range(MAX_ROWS))
            )
            rows = []
            for n in numbers:
                row = {part: _field(form, f"{prefix}-{n}-{part}") for part in ROW_FIELDS[name]}
                if name == "choices":
                    if kind == "multiple_response":
                        row["correct"] = bool(form.get(f"choice-{n}-correct"))
                    else:
                        row["correct"] = form.get("correct") == str(n)
                rows.append(row)
            editor.rows[name] = rows
        return editor

    def pad(self, *, minimum: int = 0, extra: int = 0) -> None:
        """Blank rows to type into: `extra` more, and at least `minimum` in all."""
        for name in self.lists:
            rows = self.rows.setdefault(name, [])
            wanted = min(MAX_ROWS, max(minimum, len(rows) + extra))
            while len(rows) < wanted:
                rows.append(blank_row(name))

    def move_up(self, name: str, index: int) -> None:
        rows = self.rows.get(name) or []
        if 0 < index < len(rows):
            rows[index - 1], rows[index] = rows[index], rows[index - 1]

    # -- To a spec ---------------------------------------------------------------------------------------------------

    def _rows(self, name: str) -> list[tuple[int, dict]]:
        return [(n, row) for n, row in enumerate(self.rows.get(name) or []) if not _blank(row)]

    def spec(self, key: str | None = None) -> dict:
        """The question as courses/README.md writes it (blank fields left out)."""
        values, kind = self.values, self.kind
        spec: dict[str, Any] = {"id": key if key is not None else values["id"].strip(), "type": kind}
        if values["lesson"].strip():
            spec["lesson"] = values["lesson"].strip()
        tags = [tag.strip() for tag in values["tags"].replace("\n", ",").split(",") if tag.strip()]
        if tags:
            spec["tags"] = tags
        if values["points"].strip():
            spec["points"] = number(values["points"])
        spec["text"] = values["text"].strip()
        if values["image_file"].strip() or values["image_alt"].strip():
            spec["image"] = {"file": self._ref(values["image_file"]), "alt": values["image_alt"].strip()}
        if values["audio_file"].strip() or values["audio_transcript"].strip():
            spec["audio"] = {"file": self._ref(values["audio_file"])}
            if values["audio_transcript"].strip() and kind != "audio_transcription":
                spec["audio"]["transcript"] = values["audio_transcript"].strip()
        self.spec_rows = {}
        if kind in CHOICE_TYPES:
            if kind == "multiple_response" and values["scoring"] not in ("", "all_or_nothing"):
                spec["scoring"] = values["scoring"]
            spec["choices"] = [self._choice(row) for row in self._indexed("choices")]
        elif kind == "true_false":
            if values["answer"] in ("true", "false"):
                spec["answer"] = values["answer"] == "true"
            for name in ("feedback_correct", "feedback_wrong"):
                if values[name].strip():
                    spec[name] = values[name].strip()
        elif kind == "short_answer":
            answers = []
            for row in self._indexed("answers", spec_name="answers"):
                text = row["text"].strip()
                answers.append({"text": text, "weight": number(row["weight"])} if row["weight"].strip() else text)
            spec["answers"] = answers
            if values["pattern"].strip():
                spec["pattern"] = values["pattern"].strip()
            if values["case_sensitive"]:
                spec["case_sensitive"] = True
        elif kind == "numeric":
            if values["number"].strip() or values["tolerance"].strip():
                spec["answer"] = number(values["number"])
                if values["tolerance"].strip():
                    spec["tolerance"] = number(values["tolerance"])
            ranges = []
            for row in self._indexed("ranges", spec_name="answers"):
                entry: dict[str, Any] = {}
                if row["min"].strip() or row["max"].strip():
                    entry = {"min": number(row["min"]), "max": number(row["max"])}
                else:
                    entry = {"answer": number(row["answer"])}
                    if row["tolerance"].strip():
                        entry["tolerance"] = number(row["tolerance"])
                if row["weight"].strip():
                    entry["weight"] = number(row["weight"])
                ranges.append(entry)
            if ranges:
                spec["answers"] = ranges
        elif kind == "ordering":
            spec["items"] = [row["text"].strip() for row in self._indexed("items")]
        elif kind == "matching":
            pairs = []
            for row in self._indexed("pairs"):
                pair = {"left": row["left"].strip(), "right": row["right"].strip()}
                if row["feedback"].strip():
                    pair["feedback"] = row["feedback"].strip()
                pairs.append(pair)
            spec["pairs"] = pairs
        elif kind in ("transcription", "audio_transcription"):
            if values["reference"].strip():
                spec["reference"] = values["reference"].strip()
            if values["max_error_percent"].strip():
                spec["max_error_percent"] = number(values["max_error_percent"])
        elif kind == "image_region":
            sides = {side: values[f"region_{side}"].strip() for side in ("x", "y", "w", "h")}
            if any(sides.values()):
                spec["region"] = {side: number(value) for side, value in sides.items()}
            if values["min_iou_percent"].strip():
                spec["min_iou_percent"] = number(values["min_iou_percent"])
        if values["explanation"].strip():
            spec["explanation"] = values["explanation"].strip()
        return spec

    def _indexed(self, name: str, spec_name: str | None = None) -> list[dict]:
        rows = self._rows(name)
        self.spec_rows[spec_name or name] = [n for n, _row in rows]
        return [row for _n, row in rows]

    @staticmethod
    def _ref(path: str) -> str:
        path = path.strip()
        return f"../{path}" if path.startswith("media/") else path

    @staticmethod
    def _choice(row: dict) -> dict:
        choice: dict[str, Any] = {"text": row["text"].strip()}
        if row.get("correct"):
            choice["correct"] = True
        if row["feedback"].strip():
            choice["feedback"] = row["feedback"].strip()
        if row["weight"].strip():
            choice["weight"] = number(row["weight"])
        return choice

    @property
    def target(self) -> tuple[str, bool]:
        """The file the question goes in, and whether it is a new one."""
        if self.values["file"] == NEW_FILE:
            name = self.values["new_file"].strip().removesuffix(".yml").removesuffix(".yaml")
            return f"{BANK_FOLDER}/{name}.yml", True
        return self.values["file"], False

    # -- Problems next to the fields --------------------------------------------------------------------------------

    def slot(self, path: tuple) -> str | None:
        """The form field (or row) a problem at `path` in the spec belongs to."""
        if not path:
            return None
        head = path[0]
        if head == "answers":
            head = "ranges" if self.kind == "numeric" else "answers"
            spec_name = "answers"
        else:
            spec_name = head
        if head in ROW_FIELDS:
            if len(path) > 1 and isinstance(path[1], int):
                rows = self.spec_rows.get(spec_name, [])
                return f"{head}-{rows[path[1]]}" if path[1] < len(rows) else head
            return head
        if head == "region":
            return "region"
        if head == "answer" and self.kind == "numeric":
            return "number"
        if head in ("image", "audio", "file", "new_file") or head in self.values:
            return "file" if head == "new_file" else head
        return None

    def shown(self, slot: str) -> bool:
        """Whether this form shows problems next to `slot`."""
        base = slot.split("-")[0] if re.fullmatch(r"[a-z_]+-\d+", slot) else slot
        return base in COMMON_SLOTS | TYPE_SLOTS.get(self.kind, set()) | ({"id"} if self.is_new else set())

    def add_problems(self, problems: list[tuple[tuple, str]]) -> None:
        for path, message in problems:
            message = _QUESTION_PREFIX.sub("", str(message))
            slot = self.slot(path)
            if slot is None or not self.shown(slot):
                self.general.append(message)
            elif message not in self.errors.setdefault(slot, []):
                self.errors[slot].append(message)

    def error(self, slot: str, message: str) -> None:
        self.errors.setdefault(slot, []).append(message)


# --- Quizzes --------------------------------------------------------------------------------------------------------

NUMBER_SETTINGS = (
    "pass_mark_percent",
    "max_attempts",
    "attempts_per_day",
    "retry_delay_minutes",
    "time_limit_minutes",
    "questions_per_page",
)
SECTION_PARTS = ("name", "min_correct")
DRAW_PARTS = ("tags", "count", "section", "min_correct")
SETTING_LIMITS = {
    "pass_mark_percent": (0, 100),
    "max_attempts": (0, 100),
    "attempts_per_day": (1, MAX_ATTEMPTS_PER_DAY),
    "retry_delay_minutes": (0, 60 * 24 * 30),
    "time_limit_minutes": (0, 600),
    "questions_per_page": (1, 50),
}


@dataclass
class QuizEditor:
    values: dict[str, Any] = field(default_factory=dict)
    chosen: list[str] = field(default_factory=list)
    section_of: dict[str, str] = field(default_factory=dict)  # question id -> section row number ("" none)
    sections: list[dict] = field(default_factory=list)  # rows: {"name", "min_correct"}
    draw: list[dict] = field(default_factory=list)  # rows: {"tags", "count", "section", "min_correct"}
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    spec_rows: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def from_entry(cls, entry: QuizEntry, default_title: str) -> QuizEditor:
        data = entry.data or {}
        editor = cls()
        for key, default in QUIZ_SETTINGS.items():
            value = data.get(key, default)
            editor.values[key] = value if isinstance(value, bool) else _shown(value)
        if not entry.exists or entry.unreadable:
            editor.values["title"] = default_title
        editor.values["mode"] = "draw" if "draw" in data else "questions"
        editor.chosen = entry.fixed if isinstance(data.get("questions"), list) else []
        sections = data.get("sections") if isinstance(data.get("sections"), list) else []
        for n, section in enumerate(s for s in sections if isinstance(s, dict)):
            editor.sections.append({part: _shown(section.get(part)) for part in SECTION_PARTS})
            members = section.get("questions") if isinstance(section.get("questions"), list) else []
            for key in members:
                editor.section_of[str(key)] = str(n)
        for rule in entry.draw:
            tags = rule.get("tags")
            editor.draw.append(
                {
                    "tags": ", ".join(map(str, tags)) if isinstance(tags, list) else _shown(tags),
                    "count": _shown(rule.get("count")),
                    "section": _shown(rule.get("section")),
                    "min_correct": _shown(rule.get("min_correct")),
                }
            )
        editor.pad(2)
        return editor

    @classmethod
    def from_form(cls, form) -> QuizEditor:
        editor = cls()
        for key, default in QUIZ_SETTINGS.items():
            if isinstance(default, bool):
                editor.values[key] = bool(form.get(key))
            else:
                editor.values[key] = (form.get(key) or "").strip()
        editor.values["mode"] = "draw" if form.get("mode") == "draw" else "questions"
        editor.chosen = [key for key in form.getlist("questions") if key]
        for key in editor.chosen:
            editor.section_of[key] = form.get(f"section-of-{key}") or ""
        for name, parts in (("sections", SECTION_PARTS), ("draw", DRAW_PARTS)):
            prefix = "section" if name == "sections" else "draw"
            numbers = sorted(
                {int(m.group(1)) for key in form if (m := re.match(rf"^{prefix}-(\d{{1,2}})-", key))}
                & set(range(MAX_ROWS))
            )
            getattr(editor, name).extend(
                {part: (form.get(f"{prefix}-{n}-{part}") or "").strip() for part in parts} for n in numbers
            )
        return editor

    def pad(self, extra: int) -> None:
        for rows, parts in ((self.sections, SECTION_PARTS), (self.draw, DRAW_PARTS)):
            wanted = min(MAX_ROWS, len(rows) + extra)
            while len(rows) < wanted:
                rows.append(dict.fromkeys(parts, ""))

    def changes(self, bank_order: list[str]) -> QuizChanges:
        settings: dict[str, Any] = {}
        for key, default in QUIZ_SETTINGS.items():
            value = self.values.get(key)
            if isinstance(default, bool):
                settings[key] = bool(value)
            elif key in NUMBER_SETTINGS:
                settings[key] = number(value) if str(value).strip() else None
            else:
                settings[key] = str(value).strip() or None
        rank = {key: n for n, key in enumerate(bank_order)}
        chosen = sorted(dict.fromkeys(self.chosen), key=lambda key: rank.get(key, len(rank)))
        changes = QuizChanges(settings=settings, mode=self.values["mode"], questions=chosen)
        self.spec_rows = {"sections": [], "draw": []}
        for n, row in enumerate(self.sections):
            members = [key for key in chosen if self.section_of.get(key) == str(n)]
            members += [key for key, where in self.section_of.items() if where == str(n) and key not in chosen]
            if not any(row.values()) and not members:
                continue
            section: dict[str, Any] = {"name": row["name"], "questions": members}
            if row["min_correct"]:
                section["min_correct"] = number(row["min_correct"])
            changes.sections.append(section)
            self.spec_rows["sections"].append(n)
        for n, row in enumerate(self.draw):
            if not any(row.values()):
                continue
            rule: dict[str, Any] = {
                "tags": [tag.strip() for tag in row["tags"].split(",") if tag.strip()],
                "count": number(row["count"]) if row["count"] else None,
            }
            if rule["count"] is None:
                del rule["count"]
            if row["section"]:
                rule["section"] = row["section"]
            if row["min_correct"]:
                rule["min_correct"] = number(row["min_correct"])
            changes.draw.append(rule)
            self.spec_rows["draw"].append(n)
        return changes

    def add_problems(self, problems: list[tuple[tuple, str]]) -> None:
        for path, message in problems:
            slot = None
            if path and path[0] in QUIZ_SETTINGS:
                slot = "review" if path[0] == "review" else path[0]
            elif path and path[0] in ("sections", "draw"):
                rows = self.spec_rows.get(path[0], [])
                if len(path) > 1 and isinstance(path[1], int) and path[1] < len(rows):
                    slot = f"{path[0]}-{rows[path[1]]}"
                else:
                    slot = path[0]
            elif path and path[0] == "questions":
                slot = "questions"
            if slot is None or slot.split("-")[0] not in QUIZ_SLOTS:
                self.general.append(message)
            else:
                self.errors.setdefault(slot, []).append(message)


class GiftImportForm(FlaskForm):
    gift = FileField(_l("GIFT file (.gift or .txt)"))
    name = StringField(
        _l("Save the questions as questions/….yml"),
        validators=[
            Optional(),
            Length(max=60),
            Regexp(r"^[a-z0-9][a-z0-9_-]*$", message=_l("Use lower-case letters, digits, '-' or '_'.")),
        ],
        description=_l("A new file of the bank. Leave empty to name it after the uploaded file."),
    )
    lesson = SelectField(_l("Lesson the questions assess"), validate_choice=False)
    skip_unsupported = BooleanField(_l("Import the questions that can be imported, and list what was skipped"))


REVIEW_NAMES = {
    "score": _l("The score only"),
    "correctness": _l("The score, and which answers were right"),
    "answers": _l("The score, which answers were right, and the right answers"),
    "after_pass": _l("The score until the learner passes; after a pass, everything"),
}
assert set(REVIEW_NAMES) == set(REVIEW_POLICIES)
