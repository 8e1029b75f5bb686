"""The question bank and quizzes of a course's working copy: `questions/*.yml`, `<module>/quiz.yml`
and `exam.yml` (courses/README.md), edited in the studio.

A question is checked by the folder validator's own `check_question`, a quiz by its own
`read_quiz`, so what the studio saves is what `courses validate` accepts. Saving a question
rewrites only that question's lines of its file: every other question, comment and blank line
stays byte for byte (the result is read back and compared before anything is stored). Saving a
quiz keeps the file's comments, order and layout (ruamel.yaml round trip). Views turn forms into
specs (question_forms.py) and call these functions with the acting user; nothing here reads the
request.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from flask_babel import gettext as _
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from samaschool.catalog.models import Course
from samaschool.content.checks import Checker
from samaschool.content.gift import SkippedItem, parse_gift, slugify, to_gift
from samaschool.content.media_refs import MEDIA_FOLDER, CourseMedia
from samaschool.content.quiz_files import EXAM_KEY, QUESTION_ID_RE, QuestionSpec, check_question, read_quiz
from samaschool.content.yamlfile import Located, Problem
from samaschool.errors import DomainError
from samaschool.studio import files, structure, yamledit
from samaschool.studio.models import CourseFile

BANK_FOLDER = "questions"
EXAM_PATH = "exam.yml"
QUIZ_FILE = "quiz.yml"
# Ids the studio's own addresses use (/questions/new, /questions/import).
RESERVED_IDS = {"new", "import"}
FILE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
# The order keys are written in (courses/README.md's examples).
QUESTION_KEY_ORDER = (
    "id",
    "type",
    "scoring",
    "lesson",
    "tags",
    "points",
    "text",
    "image",
    "audio",
    "choices",
    "answer",
    "tolerance",
    "answers",
    "feedback_correct",
    "feedback_wrong",
    "pattern",
    "case_sensitive",
    "items",
    "pairs",
    "reference",
    "max_error_percent",
    "region",
    "min_iou_percent",
    "explanation",
)
# What a question means when a key is left out: an edit that writes the default does not add the key.
QUESTION_DEFAULTS = {
    "points": 1,
    "scoring": "all_or_nothing",
    "case_sensitive": False,
    "tolerance": 0,
    "max_error_percent": 10,
    "min_iou_percent": 50,
    "tags": [],
}
QUIZ_SETTINGS = {  # key -> the value it has when left out (None: no default)
    "title": None,
    "pass_mark_percent": 70,
    "max_attempts": 0,
    "attempts_per_day": None,
    "retry_delay_minutes": 0,
    "time_limit_minutes": 0,
    "questions_per_page": 5,
    "shuffle_questions": False,
    "shuffle_choices": True,
    "review": "answers",
}
QUIZ_KEY_ORDER = (*QUIZ_SETTINGS, "questions", "sections", "draw")


# --- YAML: read as the validator reads it, write what it reads back the same ----------------------------------------


def plain(value: Any) -> Any:
    """ruamel.yaml's values as plain Python ones (dict, list, str, int, float, bool, None)."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(plain(value), sort_keys=True, default=str).encode()).hexdigest()[:20]


def node(value: Any) -> Any:
    """A plain value as ruamel.yaml nodes the way courses/README.md writes them: text of several
    lines as a `|` block, short lists of words in brackets (`tags: [a, b]`), the rest in blocks."""
    if isinstance(value, CommentedMap | CommentedSeq):
        return value
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = node(item)
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq(node(item) for item in value)
        words = all(isinstance(i, str | int | float) and "\n" not in str(i) for i in value)
        if value and words and sum(len(str(i)) + 2 for i in value) <= 70:
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    return value


def _rank(order: tuple[str, ...]) -> dict[str, int]:
    rank: dict[str, int] = {}
    for number, key in enumerate(order):
        rank.setdefault(key, number)
    return rank


def _ordered(spec: dict, order: tuple[str, ...]) -> dict:
    rank = _rank(order)
    return dict(sorted(spec.items(), key=lambda item: rank.get(item[0], len(order))))


def _insert(mapping: CommentedMap, key: str, value: Any, order: tuple[str, ...]) -> None:
    """Add `key` where `order` puts it among the keys the mapping has."""
    rank = _rank(order)
    mine = rank.get(key, len(order))
    position = len(mapping)
    for index, existing in enumerate(mapping):
        if rank.get(existing, len(order)) > mine:
            position = index
            break
    mapping.insert(position, key, node(value))


def update_mapping(mapping: CommentedMap, values: dict, order: tuple[str, ...]) -> CommentedMap:
    """Make `mapping` hold exactly `values`, changing only what differs (so unchanged keys keep
    their comments, quoting and layout)."""
    for key in [key for key in mapping if key not in values]:
        del mapping[key]
    for key, value in values.items():
        if key in mapping:
            if plain(mapping[key]) != plain(value):
                mapping[key] = node(value)
        else:
            _insert(mapping, key, value, order)
    return mapping


class UnwritableFile(DomainError):
    """A file the studio cannot change without risking what else it holds."""


# --- A YAML list, edited one item at a time -------------------------------------------------------------------------


def _gap_line(line: str, dash: int) -> bool:
    """A blank line, or a comment at the list's own indentation: between items, not in one."""
    stripped = line.strip()
    return not stripped or (stripped.startswith("#") and len(line) - len(line.lstrip(" ")) <= dash)


@dataclass
class ListFile:
    """A file holding one YAML list (a question file), with where each item's lines are."""

    text: str
    seq: CommentedSeq | None
    offset: int
    lines: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    dash: int = 0
    spliceable: bool = False

    @classmethod
    def parse(cls, text: str) -> ListFile:
        text = text if text.endswith("\n") or not text else text + "\n"
        try:
            seq = yamledit.load(text) if text.strip() else CommentedSeq()
        except yamledit.YAMLError as error:
            raise UnwritableFile(_("This file is not valid YAML: %(error)s", error=str(error).split("\n")[0])) from None
        if not isinstance(seq, list):
            raise UnwritableFile(_("This file must be a list of questions."))
        result = cls(text=text, seq=seq, offset=yamledit.list_offset(text), lines=text.splitlines(keepends=True))
        result.spliceable = bool(seq) and not seq.fa.flow_style()
        dashes = set()
        for index in range(len(seq)):
            line_number, column = seq.lc.item(index)
            line = result.lines[line_number] if line_number < len(result.lines) else ""
            before = line[:column]
            if before.strip() != "-":
                result.spliceable = False
                break
            dashes.add(before.index("-"))
            result.starts.append(line_number)
        if result.spliceable and len(dashes) == 1:
            result.dash = dashes.pop()
        else:
            result.spliceable = False
        return result

    def _span(self, index: int) -> tuple[int, int, int]:
        """(first line, end of the item's own lines, end of the gap after it)."""
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.lines)
        body = end
        while body > start + 1 and _gap_line(self.lines[body - 1], self.dash):
            body -= 1
        return start, body, end

    def item_text(self, item: Any) -> str:
        text = yamledit.dump(CommentedSeq([node(item)]), self.offset)
        lines = text.splitlines(keepends=True)
        first = next(line for line in lines if line.strip())
        shift = self.dash - (len(first) - len(first.lstrip(" ")))
        shifted = []
        for line in lines:
            if not line.strip():
                shifted.append("\n")
            elif shift >= 0:
                shifted.append(" " * shift + line)
            elif line.startswith(" " * -shift):
                shifted.append(line[-shift:])
            elif line.lstrip().startswith("#"):  # a comment ruamel keeps at its own column
                shifted.append(line)
            else:
                raise UnwritableFile(_("This file's layout cannot be kept."))
        while shifted and _gap_line(shifted[-1], self.dash):  # comments ruamel carried over from the next item
            shifted.pop()
        return "".join(shifted)

    def _separator(self) -> str:
        """A blank line between items when the file puts them there."""
        gaps = [self.lines[self._span(i)[1] : self._span(i)[2]] for i in range(len(self.starts) - 1)]
        return "\n" if gaps and all(any(not line.strip() for line in gap) for gap in gaps) else ""

    def _result(self, spliced: str | None, expected: list) -> str:
        """The new text, read back as the validator reads it: the splice if it reads back as
        `expected`, else the whole list written again, else UnwritableFile."""
        candidates = [spliced] if spliced is not None else []
        candidates.append(yamledit.dump(self.seq if self.seq else node(expected), self.offset))
        for text in candidates:
            try:
                if yamledit.read_yaml(text) == expected:
                    return text
            except yaml.YAMLError:
                pass
        raise UnwritableFile(_("The change could not be written faithfully; nothing was saved."))

    def _expected(self) -> list:
        try:
            return list(yamledit.read_yaml(self.text) or [])
        except yaml.YAMLError as error:
            raise UnwritableFile(_("This file is not valid YAML: %(error)s", error=str(error).split("\n")[0])) from None

    def replace(self, index: int, item: CommentedMap, meant: dict | None = None) -> str:
        """The text with item `index` replaced by `item`, which must read back as `meant` (default: itself)."""
        expected = self._expected()
        expected[index] = plain(item if meant is None else meant)
        self.seq[index] = item
        spliced = None
        if self.spliceable:
            start, body, _end = self._span(index)
            spliced = "".join(self.lines[:start]) + self.item_text(item) + "".join(self.lines[body:])
        return self._result(spliced, expected)

    def append(self, item: CommentedMap) -> str:
        """The text with `item` added at the end."""
        expected = [*self._expected(), plain(item)]
        self.seq.append(item)
        spliced = None
        if self.spliceable:
            spliced = self.text + self._separator() + self.item_text(item)
        elif not self.text.strip() or self.text.strip() == "[]":
            spliced = self.item_text(item)
        return self._result(spliced, expected)

    def remove(self, index: int) -> str:
        """The text without item `index` (comments after it stay)."""
        expected = self._expected()
        del expected[index]
        del self.seq[index]
        spliced = None
        if self.spliceable:
            start, body, end = self._span(index)
            gap = self.lines[body:end]
            kept = gap if any(line.strip() for line in gap) else []  # comments stay; blank lines go with it
            spliced = "".join(self.lines[:start] + kept + self.lines[end:])
            if index == len(self.starts) - 1:
                spliced = spliced.rstrip("\n") + "\n"
        return self._result(spliced, expected)


def new_list_text(items: list[dict]) -> str:
    """A new question file holding `items`, laid out like the README's examples."""
    text = "".join(ListFile(text="", seq=None, offset=2).item_text(item) for item in items)
    if yamledit.read_yaml(text) != [plain(item) for item in items]:
        raise UnwritableFile(_("The change could not be written faithfully; nothing was saved."))
    return text


def item_yaml(spec: dict) -> str:
    """One question as the YAML of a question file (to show it)."""
    try:
        return new_list_text([spec])
    except (UnwritableFile, yaml.YAMLError):
        return json.dumps(spec, ensure_ascii=False, indent=2, default=str)


# --- The bank -------------------------------------------------------------------------------------------------------


def is_bank_path(path: str) -> bool:
    return path.startswith(BANK_FOLDER + "/") and path.count("/") == 1 and path.endswith((".yml", ".yaml"))


def media_path(ref: Any) -> str | None:
    """The course path ("media/x.png") that a question's `file:` names, or None."""
    if not isinstance(ref, str) or not ref.strip():
        return None
    ref = ref.strip()
    for candidate in (posixpath.normpath(posixpath.join(BANK_FOLDER, ref)), posixpath.normpath(ref)):
        if candidate.startswith(MEDIA_FOLDER + "/"):
            return candidate
    return None


@dataclass
class BankItem:
    key: str
    type: str
    tags: list[str]
    lesson: str | None
    path: str
    index: int
    spec: dict

    @property
    def digest(self) -> str:
        return fingerprint(self.spec)


@dataclass
class BankFile:
    path: str
    version: int
    count: int = 0


@dataclass
class Bank:
    files: list[BankFile] = field(default_factory=list)
    items: list[BankItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # files or items the studio cannot read

    def find(self, key: str) -> BankItem | None:
        return next((item for item in self.items if item.key == key), None)

    @property
    def tags(self) -> list[str]:
        return sorted({tag for item in self.items for tag in item.tags})

    @property
    def paths(self) -> list[str]:
        return [bank_file.path for bank_file in self.files]


def read_bank(course: Course, rows: dict[str, CourseFile] | None = None) -> Bank:
    """Every question of the working copy's `questions/*.yml`, in bank order (files by name, then
    as listed), read leniently: the studio must open a bank that does not validate yet."""
    rows = files.rows(course) if rows is None else rows
    bank = Bank()
    for path in sorted(p for p in rows if is_bank_path(p)):
        row = rows[path]
        if row.text is None:
            continue
        bank.files.append(BankFile(path, row.version))
        try:
            data = yamledit.read_yaml(row.text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            bank.problems.append(Problem(path, mark.line + 1 if mark else 1, _("not valid YAML")))
            continue
        if data is None:
            continue
        if not isinstance(data, list):
            bank.problems.append(Problem(path, 1, _("a question file must be a list of questions")))
            continue
        for index, raw in enumerate(data):
            if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
                bank.problems.append(Problem(path, 1, _("question %(number)d has no id", number=index + 1)))
                continue
            tags = raw.get("tags") if isinstance(raw.get("tags"), list) else []
            bank.items.append(
                BankItem(
                    key=raw["id"],
                    type=str(raw.get("type") or ""),
                    tags=[str(tag).strip() for tag in tags if isinstance(tag, str) and tag.strip()],
                    lesson=raw.get("lesson") if isinstance(raw.get("lesson"), str) else None,
                    path=path,
                    index=index,
                    spec=plain(raw),
                )
            )
            bank.files[-1].count += 1
    return bank


# --- Quizzes --------------------------------------------------------------------------------------------------------


@dataclass
class QuizEntry:
    """A module's quiz file or the exam: as the working copy holds it, or not yet there."""

    key: str  # the module's slug, or "exam"
    path: str
    module: structure.ModuleEntry | None
    version: int | None = None
    data: dict | None = None  # as the validator reads it; None when missing or unreadable
    unreadable: bool = False

    @property
    def exists(self) -> bool:
        return self.version is not None

    @property
    def title(self) -> str:
        title = (self.data or {}).get("title")
        return str(title) if title else ""

    @property
    def fixed(self) -> list[str]:
        """The question ids the quiz names: its `questions` and its sections' questions."""
        data = self.data or {}
        listed = data.get("questions")
        keys = [str(k) for k in listed] if isinstance(listed, list) else []
        sections = data.get("sections")
        for section in sections if isinstance(sections, list) else []:
            if isinstance(section, dict) and isinstance(section.get("questions"), list):
                keys += [str(k) for k in section["questions"] if str(k) not in keys]
        return keys

    @property
    def draw(self) -> list[dict]:
        draw = (self.data or {}).get("draw")
        return [rule for rule in draw if isinstance(rule, dict)] if isinstance(draw, list) else []

    def draws(self, item: BankItem) -> bool:
        """Whether a draw rule of this quiz may pick `item`."""
        return any(
            isinstance(rule.get("tags"), list) and set(map(str, rule["tags"])) & set(item.tags) for rule in self.draw
        )


def _entry(key: str, path: str, module, rows: dict[str, CourseFile]) -> QuizEntry:
    entry = QuizEntry(key=key, path=path, module=module)
    row = rows.get(path)
    if row is not None and row.text is not None:
        entry.version = row.version
        try:
            data = yamledit.read_yaml(row.text)
        except yaml.YAMLError:
            data = None
        entry.data = data if isinstance(data, dict) else None
        entry.unreadable = entry.data is None
    return entry


def quiz_entries(course: Course, outline: structure.Outline | None, rows: dict[str, CourseFile] | None = None):
    """The quiz of every module course.yml lists (there or not), then the exam."""
    rows = files.rows(course) if rows is None else rows
    modules = outline.modules if outline is not None else []
    entries = [_entry(m.slug, f"{m.slug}/{QUIZ_FILE}", m, rows) for m in modules]
    entries.append(_entry(EXAM_KEY, EXAM_PATH, None, rows))
    return entries


def find_quiz(course: Course, outline, key: str, rows=None) -> QuizEntry | None:
    return next((entry for entry in quiz_entries(course, outline, rows) if entry.key == key), None)


def _quiz_files(rows: dict[str, CourseFile]) -> list[QuizEntry]:
    """Every quiz file of the working copy, whether course.yml lists its module or not."""
    paths = [p for p in rows if p == EXAM_PATH or (p.count("/") == 1 and p.endswith("/" + QUIZ_FILE))]
    return [_entry(p.split("/")[0] if "/" in p else EXAM_KEY, p, None, rows) for p in sorted(paths)]


def usage(bank: Bank, quizzes: list[QuizEntry]) -> dict[str, dict[str, list[QuizEntry]]]:
    """For each question id: the quizzes that name it ("fixed") and those that may draw it ("drawn")."""
    result = {item.key: {"fixed": [], "drawn": []} for item in bank.items}
    for quiz in quizzes:
        for key in quiz.fixed:
            if key in result:
                result[key]["fixed"].append(quiz)
        for item in bank.items:
            if quiz.draws(item):
                result[item.key]["drawn"].append(quiz)
    return result


# --- Checking a question --------------------------------------------------------------------------------------------


class QuestionProblems(DomainError):
    """What the validator found in a question: each a path within the question ((), ("choices", 2,
    "text"), ("image",)…) and a message."""

    def __init__(self, problems: list[tuple[tuple, str]]):
        self.problems = problems
        super().__init__(_("Nothing was saved: fix the problems marked below."))


class _PathChecker(Checker):
    """A Checker that also remembers the path within the document of every problem."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[tuple | None, int, str]] = []
        self._path: tuple | None = None

    def at(self, doc, path, message) -> None:
        self._path = tuple(path)
        try:
            super().at(doc, path, message)
        finally:
            self._path = None

    def add(self, file, line, message) -> None:
        super().add(file, line, message)
        self.found.append((self._path, line, message))


_PREFIX_RE = re.compile(r"^question '[^']*': ")
_MEDIA_LINES = {2: ("image",), 3: ("audio",)}


def lesson_slugs(outline: structure.Outline | None) -> set[str] | None:
    return set(outline.lesson_slugs) if outline is not None else None


def check_spec(course: Course, spec: dict, file: str, lessons: set[str] | None) -> tuple[QuestionSpec | None, list]:
    """Check one question with the folder validator's `check_question`, its image and sound read
    from the working copy. Returns the checked question (None on problems) and the problems as
    (path within the question, message)."""
    wanted = []
    for name in ("image", "audio"):
        if isinstance(spec.get(name), dict) and media_path(spec[name].get("file")):
            wanted.append(media_path(spec[name]["file"]))
    with tempfile.TemporaryDirectory(prefix="studio-") as tmp:
        folder = files.materialize(course, Path(tmp), only=wanted)
        (folder / BANK_FOLDER).mkdir(exist_ok=True)
        doc = Located(data=[spec], file=file, lines={(0, "image", "file"): 2, (0, "audio", "file"): 3})
        checker = _PathChecker()
        result = check_question(spec, doc, (0,), checker, CourseMedia(folder), folder / BANK_FOLDER, lessons)
    problems = []
    for path, line, message in checker.found:
        where = path[1:] if path else _MEDIA_LINES.get(line, ())
        problems.append((where, _PREFIX_RE.sub("", message)))
    return (result if not problems else None), problems


def _own_problems(bank: Bank, spec: dict, *, new: bool, target: str, new_file: bool, rows) -> list:
    """The studio's own rules before the validator's: a usable id, a file, a lesson, some text."""
    problems = []
    key = spec.get("id")
    if new:
        if not isinstance(key, str) or not QUESTION_ID_RE.match(key):
            problems.append(
                (("id",), _("Use letters, digits, '-', '_' or '.' (at most 80), starting with a letter or a digit."))
            )
        elif key in RESERVED_IDS:
            problems.append((("id",), _("This id is used by the studio's own pages: choose another.")))
        elif bank.find(key) is not None:
            taken = bank.find(key).path
            problems.append((("id",), _("Another question already has this id (in %(path)s).", path=taken)))
    if new_file:
        stem = target[len(BANK_FOLDER) + 1 :].removesuffix(".yml")
        if not FILE_NAME_RE.match(stem):
            problems.append((("file",), _("Name the new file with lower-case letters, digits, '-' or '_'.")))
        elif target in rows:
            message = _("%(path)s already exists: choose it in the list, or another name.", path=target)
            problems.append((("file",), message))
    elif target not in rows or not is_bank_path(target):
        problems.append((("file",), _("Choose a file of the question bank, or name a new one.")))
    if not spec.get("lesson"):
        problems.append((("lesson",), _("Choose the lesson whose content this question assesses.")))
    if not isinstance(spec.get("text"), str) or not spec["text"].strip():
        problems.append((("text",), _("Write the question.")))
    return problems


def validate(course: Course, spec: dict, *, new: bool, target: str, new_file: bool = False, bank=None, rows=None):
    """Every problem of a question about to be saved in `target` (or previewed), or the checked
    question. Raises QuestionProblems."""
    rows = files.rows(course) if rows is None else rows
    bank = read_bank(course, rows) if bank is None else bank
    problems = _own_problems(bank, spec, new=new, target=target, new_file=new_file, rows=rows)
    # The validator stops at a missing id or text: check the rest with stand-ins, so that every
    # problem is shown at once (the studio's own messages above cover those two).
    stand_in = dict(spec)
    if any(path == ("id",) for path, _message in problems):
        stand_in["id"] = "new-question"
    if any(path == ("text",) for path, _message in problems):
        stand_in["text"] = "?"
    outline = structure.outline(course)
    checked, found = check_spec(course, stand_in, target, lesson_slugs(outline))
    problems += found
    if problems:
        raise QuestionProblems(problems)
    return checked


def preview(course: Course, spec: dict, file: str) -> QuestionSpec:
    """The question as learners would get it (raises QuestionProblems when it would not validate)."""
    outline = structure.outline(course)
    checked, problems = check_spec(course, spec, file, lesson_slugs(outline))
    if problems:
        raise QuestionProblems(problems)
    return checked


# --- Saving and removing questions ----------------------------------------------------------------------------------


@dataclass
class Saved:
    key: str
    path: str
    changed: bool


def _with_defaults_kept(new: dict, old: dict) -> dict:
    """`new`, keeping what `old` wrote explicitly and `new` leaves to its default, and media
    paths written another equivalent way: an edit that changes nothing changes no line."""
    result = dict(new)
    for key, default in QUESTION_DEFAULTS.items():
        if key not in result and key in old and old[key] == default:
            result[key] = old[key]
    for name in ("image", "audio"):
        if isinstance(result.get(name), dict) and isinstance(old.get(name), dict):
            mine, theirs = result[name].get("file"), old[name].get("file")
            if mine != theirs and media_path(mine) is not None and media_path(mine) == media_path(theirs):
                result[name] = {**result[name], "file": theirs}
    return _ordered(_same_as_written(result, old), tuple(old) + QUESTION_KEY_ORDER)


def _same_as_written(new: Any, old: Any) -> Any:
    """`new`, with each text that differs from `old` only by the space around it (a form trims
    what it sends back; a `|` block ends with a line break) written as `old` has it."""
    if isinstance(new, str) and isinstance(old, str) and new != old and new.strip() == old.strip():
        return old
    if isinstance(new, dict) and isinstance(old, dict):
        return {key: _same_as_written(value, old.get(key)) for key, value in new.items()}
    if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        return [_same_as_written(a, b) for a, b in zip(new, old, strict=True)]
    return new


def _stale(row: CourseFile, item: BankItem, version: int | None, digest: str | None) -> bool:
    """Whether the form was loaded from an older version AND this question changed since (other
    questions of the same file may change meanwhile: they are left as they are)."""
    return version != row.version and digest != item.digest


def save_question(
    course: Course,
    actor,
    spec: dict,
    *,
    target: str,
    new_file: bool = False,
    original: str | None = None,
    version: int | None = None,
    digest: str | None = None,
) -> Saved:
    """Check and save one question: a new one (`original` None) at the end of `target`, or the
    question `original` in place (or moved to `target`). `version` and `digest` are the file's
    version and the question's fingerprint when the form was loaded: when both moved on, raise
    Conflict. Raises QuestionProblems. Flushes; the caller commits."""
    rows = files.rows(course)
    bank = read_bank(course, rows)
    key = spec.get("id")
    current = bank.find(original if original is not None else key)
    if original is None and current is not None and current.spec == plain(spec):
        return Saved(key, current.path, False)  # the same form sent twice: it is there already
    if original is not None:
        if current is None:
            raise files.Conflict(target, None)
        spec = _with_defaults_kept(spec, current.spec)
        if current.spec == plain(spec) and current.path == target:
            return Saved(key, current.path, False)
        if _stale(rows[current.path], current, version, digest):
            raise files.Conflict(current.path, rows[current.path])
    validate(course, spec, new=original is None, target=target, new_file=new_file, bank=bank, rows=rows)
    ordered = spec if original is not None else _ordered(spec, QUESTION_KEY_ORDER)
    if original is not None and current.path == target:
        row = rows[target]
        listed = ListFile.parse(row.text)
        item = listed.seq[current.index]
        if not isinstance(item, CommentedMap):
            item = CommentedMap()
        text = listed.replace(current.index, update_mapping(item, ordered, QUESTION_KEY_ORDER), ordered)
        files.save_text(course, target, text, actor, expected_version=row.version)
        return Saved(key, target, True)
    if original is not None:  # moved to another file: out of this one, into that one
        _remove_from(course, actor, rows[current.path], current)
    _append_to(course, actor, target, rows.get(target), node(ordered))
    return Saved(key, target, True)


def _append_to(course: Course, actor, path: str, row: CourseFile | None, item: CommentedMap) -> None:
    if row is None:
        files.save_text(course, path, new_list_text([item]), actor, expected_version=None)
    else:
        files.save_text(course, path, ListFile.parse(row.text).append(item), actor, expected_version=row.version)


def _remove_from(course: Course, actor, row: CourseFile, item: BankItem) -> None:
    listed = ListFile.parse(row.text)
    if len(listed.seq) == 1:
        # An empty question file does not validate: the file goes with its last question.
        files.remove(course, [row.path])
        return
    files.save_text(course, row.path, listed.remove(item.index), actor, expected_version=row.version)


def quizzes_naming(course: Course, key: str, rows=None) -> list[QuizEntry]:
    rows = files.rows(course) if rows is None else rows
    return [quiz for quiz in _quiz_files(rows) if key in quiz.fixed]


def remove_question(course: Course, actor, key: str, *, version: int | None, digest: str | None) -> bool:
    """Take a question out of the bank. Refused while a quiz names it; Conflict when it changed
    since the page was loaded. Returns False when it was not there (already removed)."""
    rows = files.rows(course)
    current = read_bank(course, rows).find(key)
    if current is None:
        return False
    naming = quizzes_naming(course, key, rows)
    if naming:
        raise DomainError(
            _(
                "%(key)s is in %(quizzes)s: take it out of the quiz first, then remove it.",
                key=key,
                quizzes=", ".join(quiz.path for quiz in naming),
            )
        )
    row = rows[current.path]
    if version is not None and _stale(row, current, version, digest):
        raise files.Conflict(current.path, row)
    _remove_from(course, actor, row, current)
    return True


# --- GIFT -----------------------------------------------------------------------------------------------------------


@dataclass
class GiftReport:
    problems: list[Problem] = field(default_factory=list)  # each stops the import
    skipped: list[Problem] = field(default_factory=list)  # items left out (with "skip" chosen)
    notes: list[Problem] = field(default_factory=list)  # what imported questions lost
    imported: int = 0
    path: str = ""
    already: bool = False  # the same questions were imported before (the same form sent twice)


class GiftRefused(DomainError):
    def __init__(self, report: GiftReport):
        self.report = report
        super().__init__(_("Nothing was imported: fix the problems listed below."))


def free_bank_path(course: Course, name: str, rows=None) -> str:
    """questions/<name>.yml, or <name>-2.yml… when that is taken."""
    rows = files.rows(course) if rows is None else rows
    stem = (slugify(name) or "gift")[:50]
    number = 1
    while True:
        path = f"{BANK_FOLDER}/{stem}{'' if number == 1 else f'-{number}'}.yml"
        if path not in rows:
            return path
        number += 1


def import_gift(
    course: Course, actor, text: str, filename: str, *, path: str, lesson: str | None, skip_unsupported: bool
) -> GiftReport:
    """Add the questions of a GIFT file to the bank as a new file `path`, checked like
    `flask questions import`: nothing is written on any problem, or with `skip_unsupported` the
    questions that can be imported are and what was left out is listed. Ids the bank already has
    always stop the import. Raises GiftRefused (with the report)."""
    rows = files.rows(course)
    bank = read_bank(course, rows)
    lessons = lesson_slugs(structure.outline(course))
    parsed, problems = parse_gift(text, filename)
    report = GiftReport(path=path)
    for problem in problems:
        (report.skipped if isinstance(problem, SkippedItem) else report.notes).append(problem)
    specs, clashes = [], []
    for question in parsed:
        spec = dict(question.spec)
        if lesson:
            spec["lesson"] = lesson
        clash = bank.find(str(spec.get("id")))
        clashes.append(clash if clash is not None and clash.spec == plain(spec) else None)
        if spec.get("id") in RESERVED_IDS:
            message = _("question id '%(key)s' is used by the studio's own pages", key=spec["id"])
            report.problems.append(Problem(filename, question.line, message))
            continue
        if clash is not None:
            report.problems.append(
                Problem(
                    filename,
                    question.line,
                    _("question id '%(key)s' is already in the bank (%(path)s)", key=spec["id"], path=clash.path),
                )
            )
            continue
        checker = Checker()
        doc = Located(data=[spec], file=filename, lines={(0,): question.line})
        if check_question(spec, doc, (0,), checker, None, None, lessons) is None:
            rejected = [Problem(filename, question.line, p.message) for p in checker.problems]
            (report.skipped if skip_unsupported else report.problems).extend(rejected)
            continue
        specs.append(_ordered(spec, QUESTION_KEY_ORDER))
    if parsed and all(clashes) and len({clash.path for clash in clashes}) == 1:
        return GiftReport(path=clashes[0].path, already=True)  # this very import was made already
    if not skip_unsupported:
        report.problems = sorted([*report.problems, *report.skipped, *report.notes], key=lambda p: p.line)
        report.skipped, report.notes = [], []
    if path in rows:
        report.problems.insert(0, Problem(path, 1, _("%(path)s already exists: choose another name.", path=path)))
    if not specs and not report.problems:
        report.problems.append(Problem(filename, 1, _("The file holds no question that can be imported.")))
    if report.problems:
        raise GiftRefused(report)
    files.save_text(course, path, new_list_text(specs), actor, expected_version=None)
    report.imported = len(specs)
    return report


def gift_messages(bank: Bank) -> list[str]:
    """What a GIFT export of the bank leaves out (questions GIFT has no form for, and parts of others)."""
    return to_gift([item.spec for item in bank.items])[1]


def export_gift(course: Course, bank: Bank | None = None) -> tuple[str, list[str]]:
    """The working copy's bank as GIFT, and what GIFT could not hold (also written at the top of
    the file as GIFT comments, which an import ignores)."""
    bank = read_bank(course) if bank is None else bank
    text, messages = to_gift([item.spec for item in bank.items])
    header = [f"// {course.title}: {BANK_FOLDER}/ of the draft, exported from Samaschool"]
    header += [f"// {message}" for message in messages]
    return "\n".join(header) + "\n\n" + text, messages


# --- Quizzes: checking and saving -----------------------------------------------------------------------------------


class QuizProblems(DomainError):
    def __init__(self, problems: list[tuple[tuple, str]]):
        self.problems = problems
        super().__init__(_("Nothing was saved: fix the problems marked below."))


@dataclass
class QuizChanges:
    """A quiz form's content: `settings` by key (None: left out, so the default applies), and
    either `questions` (chosen ids, in bank order) with `sections`, or `draw` rules."""

    settings: dict[str, Any]
    mode: str  # "questions" or "draw"
    questions: list[str] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    draw: list[dict] = field(default_factory=list)


def _set_list(mapping: CommentedMap, key: str, values: list, order) -> None:
    existing = mapping.get(key)
    if isinstance(existing, CommentedSeq) and all(not isinstance(v, dict | list) for v in values):
        if plain(existing) != values:
            del existing[:]
            existing.extend(values)
    elif key in mapping:
        if plain(existing) != values:
            mapping[key] = node(values)
    else:
        _insert(mapping, key, values, order)


def _set_rules(mapping: CommentedMap, key: str, rules: list[dict], order) -> None:
    """A list of mappings (draw rules, sections), each existing one changed in place."""
    existing = mapping.get(key)
    if not isinstance(existing, CommentedSeq):
        if key in mapping:
            mapping[key] = node(rules)
        else:
            _insert(mapping, key, rules, order)
        return
    for index, rule in enumerate(rules):
        if index < len(existing) and isinstance(existing[index], CommentedMap):
            target = existing[index]
            for name, value in rule.items():
                if isinstance(value, list) and isinstance(target.get(name), CommentedSeq):
                    _set_list(target, name, value, tuple(rule))
            update_mapping(target, rule, tuple(rule))
        elif index < len(existing):
            existing[index] = node(rule)
        else:
            existing.append(node(rule))
    del existing[len(rules) :]


def _apply(data: CommentedMap, changes: QuizChanges) -> CommentedMap:
    new = not data  # a new file states every setting; an existing one gains only what differs from the default
    for key, default in QUIZ_SETTINGS.items():
        value = changes.settings.get(key)
        if value is None:
            data.pop(key, None)
        elif key in data:
            if plain(data[key]) != value:
                data[key] = node(value)
        elif value != default or new:
            _insert(data, key, value, QUIZ_KEY_ORDER)
    if changes.mode == "draw":
        data.pop("questions", None)
        data.pop("sections", None)
        _set_rules(data, "draw", changes.draw, QUIZ_KEY_ORDER)
    else:
        data.pop("draw", None)
        listed = [str(k) for k in plain(data.get("questions")) or []] if isinstance(data.get("questions"), list) else []
        chosen = list(dict.fromkeys(changes.questions))
        ordered = [k for k in listed if k in chosen] + [k for k in chosen if k not in listed]
        _set_list(data, "questions", ordered, QUIZ_KEY_ORDER)
        if changes.sections:
            _set_rules(data, "sections", changes.sections, QUIZ_KEY_ORDER)
        else:
            data.pop("sections", None)
    return data


def _light_bank(bank: Bank) -> list[QuestionSpec]:
    """What `read_quiz` needs of the bank (ids and tags), from the working copy."""
    seen, result = set(), []
    for item in bank.items:
        if QUESTION_ID_RE.match(item.key) and item.key not in seen:
            seen.add(item.key)
            result.append(QuestionSpec(item.key, item.type, item.tags, 1, "", "", {}))
    return result


def quiz_text(course: Course, entry: QuizEntry, changes: QuizChanges, rows=None) -> str:
    """The quiz file's new text: the current file with the form's changes (comments and layout kept)."""
    rows = files.rows(course) if rows is None else rows
    row = rows.get(entry.path)
    data = None
    if row is not None and row.text:
        try:
            data = yamledit.load(row.text)
        except yamledit.YAMLError:
            data = None
    if not isinstance(data, CommentedMap):
        data = CommentedMap()
    offset = yamledit.list_offset(row.text) if row is not None and row.text else 2
    return yamledit.dump(_apply(data, changes), offset)


def check_quiz(course: Course, entry: QuizEntry, text: str, bank: Bank) -> list[tuple[tuple, str]]:
    """The quiz file `text`, checked by the validator's `read_quiz`: its problems, by path."""
    with tempfile.TemporaryDirectory(prefix="studio-") as tmp:
        path = Path(tmp) / "quiz.yml"
        path.write_text(text, encoding="utf-8")
        checker = _PathChecker()
        module = entry.key if entry.key != EXAM_KEY else None
        read_quiz(path, entry.path, entry.key, module, _light_bank(bank), checker)
    problems = [(where or (), message) for where, _line, message in checker.found]
    recorded = {message for _where, message in problems}
    problems += [((), p.message) for p in checker.problems if p.message not in recorded]
    return problems


def save_quiz(course: Course, actor, entry: QuizEntry, changes: QuizChanges, *, version: int | None) -> bool:
    """Check and save a quiz file (creating it when missing). Returns whether anything changed.
    Raises QuizProblems, or Conflict when the file changed since `version` was loaded."""
    rows = files.rows(course)
    row = rows.get(entry.path)
    text = quiz_text(course, entry, changes, rows)
    if row is not None and row.text == text:
        return False  # already so (the same form sent twice, or nothing changed)
    problems = check_quiz(course, entry, text, read_bank(course, rows))
    if problems:
        raise QuizProblems(problems)
    if row is None:
        if version is not None:
            raise files.Conflict(entry.path, None)
        files.save_text(course, entry.path, text, actor, expected_version=None)
    else:
        if version != row.version:
            raise files.Conflict(entry.path, row)
        files.save_text(course, entry.path, text, actor, expected_version=row.version)
    return True


def course_lessons(outline: structure.Outline | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The lessons course.yml lists, by module: [(module title, [(slug, title)])]."""
    if outline is None:
        return []
    return [(m.title, [(lesson.slug, lesson.title or lesson.slug) for lesson in m.lessons]) for m in outline.modules]


__all__ = [
    "Bank",
    "BankItem",
    "GiftRefused",
    "GiftReport",
    "QuestionProblems",
    "QuizChanges",
    "QuizEntry",
    "QuizProblems",
    "Saved",
    "UnwritableFile",
    "export_gift",
    "find_quiz",
    "import_gift",
    "preview",
    "quiz_entries",
    "read_bank",
    "remove_question",
    "save_question",
    "save_quiz",
    "usage",
    "validate",
]
