"""A course's outline and lessons in the working copy: course.yml and `<module>/<lesson>.md`.

Every change here edits those files the way an author would by hand (ruamel.yaml keeps the rest
of course.yml as it was), checks the result with the folder validator's own rules, and saves
through `files.save_text` with the version the trainer's page was loaded at.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from samaschool.catalog.models import LEVELS, Course
from samaschool.content.checks import SLUG_RE, Checker
from samaschool.content.course_folder import COURSE_FILE, read_lesson, shown, split_front_matter
from samaschool.content.media_refs import MEDIA_FOLDER, CourseMedia
from samaschool.content.yamlfile import Problem
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.studio import files, yamledit
from samaschool.studio.models import CourseFile

RESERVED_SLUGS = {"questions", MEDIA_FOLDER, "exam", "_certifications"}


@dataclass
class LessonEntry:
    slug: str
    path: str
    title: str = ""
    minutes: int | None = None


@dataclass
class ModuleEntry:
    slug: str
    title: str
    summary: str
    lessons: list[LessonEntry] = field(default_factory=list)


@dataclass
class Outline:
    """What course.yml says, read leniently (the studio must open a course that does not validate yet)."""

    file: CourseFile
    data: object
    title: str = ""
    summary: str = ""
    level: str = ""
    language: str = ""
    estimated_hours: object = ""
    modules: list[ModuleEntry] = field(default_factory=list)

    @property
    def version(self) -> int:
        return self.file.version

    def module(self, slug: str) -> ModuleEntry | None:
        return next((m for m in self.modules if m.slug == slug), None)

    def lesson(self, slug: str) -> tuple[ModuleEntry, LessonEntry] | tuple[None, None]:
        for module in self.modules:
            for lesson in module.lessons:
                if lesson.slug == slug:
                    return module, lesson
        return None, None

    @property
    def lesson_slugs(self) -> list[str]:
        return [lesson.slug for module in self.modules for lesson in module.lessons]


def course_yml(title: str, summary: str, level: str, language: str, hours: int) -> str:
    data = yamledit.CommentedMap()
    data["title"] = title
    data["summary"] = summary
    data["level"] = level
    data["language"] = language
    data["estimated_hours"] = hours
    data["modules"] = yamledit.CommentedSeq()
    return yamledit.dump(data)


def outline(course: Course) -> Outline | None:
    """The course's outline from its working copy, or None when it has no course.yml."""
    row = files.get(course, COURSE_FILE)
    if row is None or row.text is None:
        return None
    try:
        data = yamledit.load(row.text)
    except yamledit.YAMLError:
        data = None
    result = Outline(file=row, data=data)
    if not isinstance(data, dict):
        return result
    result.title = str(data.get("title") or "")
    result.summary = str(data.get("summary") or "").strip()
    result.level = str(data.get("level") or "")
    result.language = str(data.get("language") or "")
    result.estimated_hours = data.get("estimated_hours", "")
    texts = {path: row for path, row in files.rows(course).items() if path.endswith(".md")}
    for raw in data.get("modules") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("slug"), str):
            continue
        module = ModuleEntry(raw["slug"], str(raw.get("title") or raw["slug"]), str(raw.get("summary") or ""))
        for slug in raw.get("lessons") or []:
            if isinstance(slug, str):
                path = f"{module.slug}/{slug}.md"
                entry = LessonEntry(slug, path)
                lesson_file = texts.get(path)
                if lesson_file is not None:
                    front = parse_lesson(lesson_file.text)
                    entry.title, entry.minutes = front.title, front.minutes
                module.lessons.append(entry)
        result.modules.append(module)
    return result


def _modules(data) -> list:
    modules = data.get("modules")
    if not isinstance(modules, list):
        modules = yamledit.CommentedSeq()
        data["modules"] = modules
    return modules


def _require(outline_: Outline | None, version: int | None) -> Outline:
    """The outline to change, when the page that asks was loaded from its current version."""
    if outline_ is None or not isinstance(outline_.data, dict):
        raise DomainError(_("This course's course.yml cannot be read: fix it in a course zip, then import it again."))
    if version != outline_.version:
        raise files.Conflict(COURSE_FILE, outline_.file)
    return outline_


def _save_outline(course: Course, outline_: Outline, version: int, actor) -> None:
    text = yamledit.dump(outline_.data, yamledit.list_offset(outline_.file.text))
    files.save_text(course, COURSE_FILE, text, actor, expected_version=version)


def check_slug(slug: str, taken: set[str], what: str) -> str | None:
    """Why `slug` cannot be used, or None."""
    if not SLUG_RE.match(slug or ""):
        return _("Use lower-case letters, digits and hyphens, starting with a letter (at most 60).")
    if slug in taken:
        return _("This course already has a %(what)s with this short name.", what=what)
    if slug in RESERVED_SLUGS:
        return _("This short name is reserved: choose another.")
    return None


def update_details(course: Course, version: int, actor, **details) -> None:
    current = _require(outline(course), version)
    for key in ("title", "summary", "level", "language", "estimated_hours"):
        current.data[key] = details[key]
    _save_outline(course, current, version, actor)


def add_module(course: Course, version: int, actor, *, slug: str, title: str, summary: str) -> None:
    current = _require(outline(course), version)
    problem = check_slug(slug, {m.slug for m in current.modules}, _("module"))
    if problem:
        raise DomainError(problem)
    entry = yamledit.CommentedMap()
    entry["slug"] = slug
    entry["title"] = title
    if summary:
        entry["summary"] = summary
    entry["lessons"] = yamledit.CommentedSeq()
    _modules(current.data).append(entry)
    _save_outline(course, current, version, actor)


def _module_raw(current: Outline, slug: str):
    for raw in _modules(current.data):
        if isinstance(raw, dict) and raw.get("slug") == slug:
            return raw
    raise DomainError(_("This module is no longer in the course."))


def update_module(course: Course, version: int, actor, slug: str, *, title: str, summary: str) -> None:
    current = _require(outline(course), version)
    raw = _module_raw(current, slug)
    raw["title"] = title
    if summary:
        raw["summary"] = summary
    elif "summary" in raw:
        del raw["summary"]
    _save_outline(course, current, version, actor)


def _move(items: list, index: int, direction: str) -> bool:
    target = index - 1 if direction == "up" else index + 1
    if index < 0 or not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    return True


def move_module(course: Course, version: int, actor, slug: str, direction: str) -> bool:
    current = _require(outline(course), version)
    modules = _modules(current.data)
    raw = _module_raw(current, slug)
    if not _move(modules, modules.index(raw), direction):
        return False
    _save_outline(course, current, version, actor)
    return True


def archive_module(course: Course, version: int, actor, slug: str) -> int:
    """Take a module and its lessons out of the course. Published lessons are archived (never
    deleted) when the course is next published, so learners' progress stays."""
    current = _require(outline(course), version)
    modules = _modules(current.data)
    modules.remove(_module_raw(current, slug))
    _save_outline(course, current, version, actor)
    return files.remove(course, [path for path in files.rows(course) if path.startswith(slug + "/")])


def add_lesson(course: Course, version: int, actor, module_slug: str, *, slug: str, title: str, minutes: int) -> str:
    """A new, empty lesson at the end of the module; returns its file's path."""
    current = _require(outline(course), version)
    raw = _module_raw(current, module_slug)
    problem = check_slug(slug, set(current.lesson_slugs), _("lesson"))
    if problem:
        raise DomainError(problem)
    lessons = raw.get("lessons")
    if not isinstance(lessons, list):
        lessons = yamledit.CommentedSeq()
        raw["lessons"] = lessons
    lessons.append(slug)
    _save_outline(course, current, version, actor)
    path = f"{module_slug}/{slug}.md"
    files.save_text(course, path, lesson_text(title, minutes, ""), actor, expected_version=None)
    return path


def move_lesson(course: Course, version: int, actor, slug: str, direction: str) -> bool:
    current = _require(outline(course), version)
    module, _lesson = current.lesson(slug)
    if module is None:
        raise DomainError(_("This lesson is no longer in the course."))
    lessons = _module_raw(current, module.slug)["lessons"]
    if not _move(lessons, list(lessons).index(slug), direction):
        return False
    _save_outline(course, current, version, actor)
    return True


def archive_lesson(course: Course, version: int, actor, slug: str) -> None:
    current = _require(outline(course), version)
    module, lesson = current.lesson(slug)
    if module is None:
        raise DomainError(_("This lesson is no longer in the course."))
    _module_raw(current, module.slug)["lessons"].remove(slug)
    _save_outline(course, current, version, actor)
    files.remove(course, [lesson.path])


@dataclass
class LessonText:
    title: str = ""
    minutes: int | None = None
    body: str = ""


def parse_lesson(text: str) -> LessonText:
    """A lesson file's title, minutes and body, leniently (for filling the editor)."""
    parts = split_front_matter(text or "")
    if parts is None:
        return LessonText(body=text or "")
    front, body, _line = parts
    try:
        data = yamledit.load(front) or {}
    except yamledit.YAMLError:
        data = {}
    minutes = data.get("minutes") if isinstance(data, dict) else None
    title = data.get("title") if isinstance(data, dict) else ""
    return LessonText(str(title or ""), minutes if isinstance(minutes, int) else None, body.lstrip("\n"))


def lesson_text(title: str, minutes: int, body: str) -> str:
    front = yamledit.CommentedMap()
    front["title"] = title
    front["minutes"] = minutes
    body = body.replace("\r\n", "\n").strip("\n")
    return f"---\n{yamledit.dump(front)}---\n{body}\n" if body else f"---\n{yamledit.dump(front)}---\n"


def check_lesson(course: Course, path: str, text: str) -> list[Problem]:
    """The folder validator's problems with one lesson file as it would be saved: front matter,
    text, and every image and sound it names (alt text, transcript, files in media/)."""
    return lesson_preview(course, path, text)[1]


def lesson_preview(course: Course, path: str, text: str) -> tuple[str | None, list[Problem]]:
    """The HTML learners would see for a lesson file's `text` (the importer's own rendering and
    sanitiser), or None and the problems that stop it from being published."""
    from samaschool.content.importer import render_lesson
    from samaschool.content.markdown import render_markdown
    from samaschool.media import services as media_services

    # The lesson and the course's media/ files (only those it names are read by the check).
    wanted = {path} | {p for p in files.rows(course) if files.is_media_path(p)}
    with tempfile.TemporaryDirectory(prefix="studio-") as tmp:
        folder = files.materialize(course, Path(tmp), only=wanted)
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        checker = Checker()
        spec = read_lesson(target, checker, CourseMedia(folder))
        problems = relative_problems(checker.problems, folder)
        if spec is None or problems:
            return None, problems
        if not spec.media:  # as the importer does
            return render_markdown(spec.body), []
        media = media_services.by_keys(use.key for use in spec.media.values())
        return render_lesson(spec, media, course.language), []


def relative_problems(problems: list[Problem], folder: Path) -> list[Problem]:
    """Problems found in a temporary copy, named by their path in the course folder."""
    prefix = shown(folder).rstrip("/") + "/"
    absolute = str(folder.resolve()).rstrip("/") + "/"
    result = []
    for problem in problems:
        name = problem.file
        for start in (prefix, absolute):
            if name.startswith(start):
                name = name[len(start) :]
        result.append(Problem(name, problem.line, problem.message))
    return result


def save_lesson(course: Course, path: str, version: int, actor, *, title: str, minutes: int, body: str) -> None:
    """Check and save a lesson; raises StudioProblems (nothing saved) or Conflict."""
    text = lesson_text(title, minutes, body)
    problems = check_lesson(course, path, text)
    if problems:
        raise files.StudioProblems(problems)
    files.save_text(course, path, text, actor, expected_version=version)


def new_course(slug: str, actor, *, title: str, summary: str, level: str, language: str, hours: int) -> Course:
    """A course only its staff can see, with a course.yml and no modules yet. Its creator owns it."""
    from sqlalchemy import select

    from samaschool.studio.models import CourseStaff

    if db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        raise DomainError(_("A course with this short name exists already: choose another."))
    if level not in LEVELS:
        raise DomainError(_("Choose a level."))
    course = Course(
        slug=slug,
        title=title,
        summary=summary,
        level=level,
        language=language,
        estimated_hours=hours,
        is_published=False,
    )
    db.session.add(course)
    db.session.flush()
    text = course_yml(title, summary, level, language, hours)
    files.save_text(course, COURSE_FILE, text, actor, expected_version=None)
    if actor.role != "admin":
        db.session.add(CourseStaff(course_id=course.id, user_id=actor.id, role="owner"))
    db.session.flush()
    return course
