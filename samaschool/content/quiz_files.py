"""Reading a course's question bank (questions/*.yml) and quizzes (quiz.yml, exam.yml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samaschool.assessments.models import MAX_ATTEMPTS_PER_DAY, REVIEW_POLICIES
from samaschool.assessments.question_types import REGISTRY, SpecError
from samaschool.content import yamlfile
from samaschool.content.checks import SLUG_RE, Checker
from samaschool.content.markdown import lesson_media, render_markdown
from samaschool.content.yamlfile import Problem

QUESTION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
COMMON_QUESTION_KEYS = {"id", "type", "text", "tags", "points", "explanation", "image", "audio", "lesson"}
MEDIA_FIELDS = {"image": {"file", "alt"}, "audio": {"file", "transcript"}}
QUIZ_KEYS = {
    "title",
    "pass_mark_percent",
    "max_attempts",
    "retry_delay_minutes",
    "time_limit_minutes",
    "questions_per_page",
    "shuffle_questions",
    "shuffle_choices",
    "review",
    "questions",
    "draw",
    "attempts_per_day",
    "sections",
}
SECTION_NAME_MAX = 100
EXAM_KEY = "exam"


@dataclass
class QuestionSpec:
    key: str
    type: str
    tags: list[str]
    points: int
    text_html: str
    explanation_html: str
    data: dict[str, Any]
    spec: dict[str, Any] = field(default_factory=dict)
    file: str = ""
    line: int = 1
    lesson: str | None = None  # the slug of the lesson (in the same course) the question assesses


@dataclass
class QuizSpec:
    key: str
    module_slug: str | None
    title: str
    pass_mark_percent: int
    max_attempts: int
    retry_delay_minutes: int
    time_limit_minutes: int
    questions_per_page: int
    shuffle_questions: bool
    shuffle_choices: bool
    review_policy: str
    question_keys: list[str] = field(default_factory=list)
    draw_rules: list[dict[str, Any]] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)  # of a fixed list: {name, questions, min_correct}
    attempts_per_day: int | None = None
    file: str = ""


def _load(path: Path, shown: str, checker: Checker):
    text = yamlfile.read_text(path, shown)
    if isinstance(text, Problem):
        checker.problems.append(text)
        return None
    doc = yamlfile.parse(text, shown)
    if isinstance(doc, Problem):
        checker.problems.append(doc)
        return None
    return doc


def _question_media(raw: dict, key: str, kind, doc, path: tuple, checker: Checker, media, base) -> dict | None:
    """The question's `image` and `audio`, resolved to stored form ({"key", "alt", "width",
    "height"} / {"key", "transcript"}); None (problems recorded) when one is wrong."""
    resolved: dict[str, dict] = {}
    ok = True
    for field_name, allowed in MEDIA_FIELDS.items():
        if field_name not in raw:
            continue
        value, where = raw[field_name], (*path, field_name)
        if media is None:
            checker.at(doc, where, f"question '{key}': images and sounds can only be used in a course folder")
            ok = False
            continue
        if not isinstance(value, dict) or "file" not in value:
            extra = "'alt' text" if field_name == "image" else "its 'transcript'"
            checker.at(doc, where, f"question '{key}': '{field_name}' needs 'file' (in the media/ folder) and {extra}")
            ok = False
            continue
        checker.known_keys(doc, where, value, allowed)
        use = media.resolve(value["file"], base, doc.file, doc.line(*where, "file"), checker, field_name)
        if use is None:
            ok = False
            continue
        if field_name == "image":
            alt = value.get("alt")
            if not isinstance(alt, str) or not alt.strip():
                checker.at(
                    doc, where, f"question '{key}': the image needs 'alt' text (what a person who cannot see it needs)"
                )
                ok = False
                continue
            resolved["image"] = {"key": use.key, "alt": alt.strip(), "width": use.width, "height": use.height}
        else:
            transcript = value.get("transcript")
            if transcript is not None and not isinstance(transcript, str):
                checker.at(doc, (*where, "transcript"), f"question '{key}': 'transcript' must be text")
                ok = False
                continue
            if not (transcript or "").strip() and kind.name != "audio_transcription":
                checker.at(doc, where, f"question '{key}': the audio needs a 'transcript' (what is said in it)")
                ok = False
                continue
            resolved["audio"] = {"key": use.key, "transcript": (transcript or "").strip()}
    return resolved if ok else None


def check_question(
    raw: Any, doc, path: tuple, checker: Checker, media=None, base: Path | None = None, lessons: set[str] | None = None
):
    """Check one question mapping (from YAML or GIFT); record problems at their lines. Media
    (`image`, `audio`) are files of the course folder `media` (a CourseMedia), relative to `base`;
    `lesson` must be one of `lessons` (the course's lesson slugs) when they are given."""
    if not checker.mapping(doc, path, raw, "a question"):
        return None
    key = raw.get("id")
    if not isinstance(key, str) or not QUESTION_ID_RE.match(key):
        checker.at(doc, (*path, "id"), "each question needs an 'id' of letters, digits, '-', '_' or '.'")
        return None
    kind = REGISTRY.get(raw.get("type"))
    if kind is None:
        checker.at(doc, (*path, "type"), f"question '{key}': 'type' must be one of: {', '.join(REGISTRY)}")
        return None
    checker.known_keys(doc, path, raw, COMMON_QUESTION_KEYS | kind.spec_keys)
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        checker.at(doc, (*path, "tags"), f"question '{key}': 'tags' must be a list of words")
        tags = []
    points = checker.integer(doc, path, raw, "points", 1, 100, default=1)
    lesson = raw.get("lesson")
    if lesson is not None:
        if not isinstance(lesson, str) or not SLUG_RE.match(lesson):
            checker.at(doc, (*path, "lesson"), f"question '{key}': 'lesson' must be a lesson's slug")
            return None
        if lessons is not None and lesson not in lessons:
            checker.at(doc, (*path, "lesson"), f"question '{key}': no lesson '{lesson}' in this course")
            return None
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        checker.at(doc, path, f"question '{key}': 'text' is required")
        return None
    if any(lesson_media(str(raw.get(name) or ""))[0] for name in ("text", "explanation")):
        checker.at(doc, path, f"question '{key}': show an image with the 'image' field (its file and alt text)")
        return None
    resolved = _question_media(raw, key, kind, doc, path, checker, media, base)
    if resolved is None:
        return None
    try:
        data = kind.check({**raw, **resolved}, key)
    except SpecError as error:
        checker.at(doc, (*path, *error.path), f"question '{key}': {error}")
        return None
    for field_name, value in resolved.items():
        data.setdefault(field_name, value)
    explanation = raw.get("explanation")
    return QuestionSpec(
        key=key,
        type=kind.name,
        tags=[t.strip() for t in tags],
        points=points or 1,
        text_html=render_markdown(text),
        explanation_html=render_markdown(str(explanation)) if explanation else "",
        data=data,
        spec=dict(raw),
        file=doc.file,
        line=doc.line(*path),
        lesson=lesson,
    )


def read_question_bank(folder: Path, shown, checker: Checker, media=None, lessons=None) -> list[QuestionSpec]:
    questions: list[QuestionSpec] = []
    bank = folder / "questions"
    if not bank.is_dir():
        return questions
    seen: dict[str, str] = {}
    for path in sorted(bank.iterdir()):
        if path.name.startswith("."):
            continue
        if path.suffix not in (".yml", ".yaml"):
            checker.add(shown(path), 1, "the question bank holds only .yml files")
            continue
        doc = _load(path, shown(path), checker)
        if doc is None:
            continue
        if not isinstance(doc.data, list):
            checker.add(doc.file, 1, "a question file must be a list of questions")
            continue
        for index, raw in enumerate(doc.data):
            spec = check_question(raw, doc, (index,), checker, media, path.parent, lessons)
            if spec is None:
                continue
            if spec.key in seen:
                checker.at(doc, (index, "id"), f"question id '{spec.key}' is already used in {seen[spec.key]}")
                continue
            seen[spec.key] = f"{doc.file}:{spec.line}"
            questions.append(spec)
    return questions


def read_quiz(path: Path, shown: str, key: str, module_slug: str | None, bank: list[QuestionSpec], checker: Checker):
    doc = _load(path, shown, checker)
    if doc is None or not checker.mapping(doc, (), doc.data, "a quiz file"):
        return None
    data = doc.data
    before = len(checker.problems)
    checker.known_keys(doc, (), data, QUIZ_KEYS)
    quiz = QuizSpec(
        key=key,
        module_slug=module_slug,
        title=checker.text(doc, (), data, "title", max_length=200) or "",
        pass_mark_percent=checker.integer(doc, (), data, "pass_mark_percent", 0, 100, default=70),
        max_attempts=checker.integer(doc, (), data, "max_attempts", 0, 100, default=0),
        retry_delay_minutes=checker.integer(doc, (), data, "retry_delay_minutes", 0, 60 * 24 * 30, default=0),
        time_limit_minutes=checker.integer(doc, (), data, "time_limit_minutes", 0, 600, default=0),
        questions_per_page=checker.integer(doc, (), data, "questions_per_page", 1, 50, default=5),
        shuffle_questions=checker.choice(doc, (), data, "shuffle_questions", (True, False), default=False),
        shuffle_choices=checker.choice(doc, (), data, "shuffle_choices", (True, False), default=True),
        review_policy=checker.choice(doc, (), data, "review", REVIEW_POLICIES, default="answers"),
        attempts_per_day=checker.integer(doc, (), data, "attempts_per_day", 1, MAX_ATTEMPTS_PER_DAY, default=None),
        file=shown,
    )
    keys = {q.key for q in bank}
    fixed, draw = data.get("questions"), data.get("draw")
    if (fixed is None) == (draw is None):
        checker.at(doc, (), "a quiz needs either 'questions' (a list of ids) or 'draw' (tags and counts), not both")
    elif fixed is not None:
        if not isinstance(fixed, list) or not fixed:
            checker.at(doc, ("questions",), "'questions' must list at least one question id")
        else:
            for index, qkey in enumerate(fixed):
                if qkey not in keys:
                    checker.at(doc, ("questions", index), f"no question with id '{qkey}' in questions/")
            if len(set(map(str, fixed))) != len(fixed):
                checker.at(doc, ("questions",), "a question is listed twice")
            quiz.question_keys = [str(k) for k in fixed]
            if "sections" in data:
                quiz.sections = _check_sections(doc, data["sections"], quiz.question_keys, checker)
    else:
        quiz.draw_rules = _check_draw(doc, draw, bank, checker)
    if "sections" in data and fixed is None:
        checker.at(
            doc, ("sections",), "'sections' groups a fixed list of 'questions'; in a draw, give each entry a 'section'"
        )
    return quiz if len(checker.problems) == before else None


def _section_name(doc, path: tuple, raw: dict, key: str, seen: set[str], checker: Checker) -> str | None:
    name = raw.get(key)
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > SECTION_NAME_MAX:
        checker.at(doc, (*path, key), f"'{key}' must be a section name of 1 to {SECTION_NAME_MAX} characters")
        return None
    name = name.strip()
    if name in seen:
        checker.at(doc, (*path, key), f"section '{name}' is named twice")
        return None
    seen.add(name)
    return name


def _min_correct(doc, path: tuple, raw: dict, count: int, name: str | None, checker: Checker) -> int | None:
    """A section's `min_correct`: 1 up to the number of questions in it; only with a section."""
    if "min_correct" not in raw:
        return None
    value = raw["min_correct"]
    where = (*path, "min_correct")
    if name is None:
        checker.at(doc, where, "'min_correct' needs a 'section' (the name learners see for these questions)")
    elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
        checker.at(doc, where, "'min_correct' must be a whole number of 1 or more")
    elif value > count:
        checker.at(doc, where, f"'min_correct' is {value} but section '{name}' has only {count} questions")
    else:
        return value
    return None


def _check_sections(doc, sections, keys: list[str], checker: Checker) -> list[dict]:
    """The sections of a fixed list: each a name, some of the quiz's questions and an optional minimum."""
    if not isinstance(sections, list) or not sections:
        checker.at(doc, ("sections",), "'sections' must list at least one section (name, questions, min_correct)")
        return []
    result, names, placed = [], set(), {}
    for index, raw in enumerate(sections):
        path = ("sections", index)
        if not checker.mapping(doc, path, raw, "a section"):
            continue
        checker.known_keys(doc, path, raw, {"name", "questions", "min_correct"})
        name = _section_name(doc, path, raw, "name", names, checker)
        listed = raw.get("questions")
        if not isinstance(listed, list) or not listed:
            checker.at(doc, (*path, "questions"), "a section's 'questions' must list at least one question id")
            continue
        for number, qkey in enumerate(listed):
            where = (*path, "questions", number)
            if str(qkey) not in keys:
                checker.at(doc, where, f"'{qkey}' is not in this quiz's 'questions'")
            elif str(qkey) in placed:
                checker.at(doc, where, f"'{qkey}' is already in section '{placed[str(qkey)]}'")
            else:
                placed[str(qkey)] = name
        minimum = _min_correct(doc, path, raw, len(listed), name or "", checker)
        if name is not None:
            result.append({"name": name, "questions": [str(k) for k in listed], "min_correct": minimum})
    return result


def _check_draw(doc, draw, bank: list[QuestionSpec], checker: Checker) -> list[dict]:
    if not isinstance(draw, list) or not draw:
        checker.at(doc, ("draw",), "'draw' must list at least one rule of tags and count")
        return []
    rules, names = [], set()
    for index, rule in enumerate(draw):
        path = ("draw", index)
        if not checker.mapping(doc, path, rule, "a draw rule"):
            continue
        checker.known_keys(doc, path, rule, {"tags", "count", "section", "min_correct"})
        tags = rule.get("tags")
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
            checker.at(doc, (*path, "tags"), "'tags' must list at least one tag")
            continue
        count = checker.integer(doc, path, rule, "count", 1, 200)
        if count is None:
            continue
        available = sum(1 for q in bank if set(q.tags) & set(tags))
        if available < count:
            checker.at(doc, (*path, "count"), f"draws {count} from tags {tags} but the bank has only {available}")
            continue
        entry: dict[str, Any] = {"tags": tags, "count": count}
        name = _section_name(doc, path, rule, "section", names, checker) if "section" in rule else None
        minimum = _min_correct(doc, path, rule, count, name, checker)
        if name is not None:
            entry["section"] = name
            if minimum is not None:
                entry["min_correct"] = minimum
        rules.append(entry)
    return rules
