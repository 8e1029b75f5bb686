"""Reading the `courses/` folder format (see courses/README.md) into checked specs."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from samaschool.catalog.models import LEVELS
from samaschool.content import yamlfile
from samaschool.content.checks import SLUG_RE, Checker
from samaschool.content.markdown import lesson_media
from samaschool.content.media_refs import MEDIA_FOLDER, CourseMedia, MediaUse
from samaschool.content.yamlfile import Located, Problem

COURSE_FILE = "course.yml"
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
# Files and folders in a course folder that are not modules (quizzes build on these).
COURSE_EXTRAS = {COURSE_FILE, "questions", "exam.yml", "README.md", MEDIA_FOLDER}
MODULE_EXTRAS = {"quiz.yml"}


@dataclass
class LessonSpec:
    slug: str
    title: str
    minutes: int
    body: str
    file: str
    media: dict[str, MediaUse] = field(default_factory=dict)  # path as written in the lesson -> file


@dataclass
class ModuleSpec:
    slug: str
    title: str
    summary: str
    lessons: list[LessonSpec] = field(default_factory=list)
    folder: Path | None = None


@dataclass
class CourseSpec:
    slug: str
    title: str
    summary: str
    level: str
    language: str
    estimated_hours: int
    folder: Path
    modules: list[ModuleSpec] = field(default_factory=list)
    questions: list = field(default_factory=list)  # QuestionSpec
    quizzes: list = field(default_factory=list)  # QuizSpec
    media: list[MediaUse] = field(default_factory=list)  # the media/ files its lessons and questions use

    @property
    def lessons(self) -> list[LessonSpec]:
        return [lesson for module in self.modules for lesson in module.lessons]


def shown(path: Path) -> str:
    """A path as a person would type it: relative to the working folder when possible."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def course_folders(root: Path) -> list[Path]:
    """A course folder itself, or every course folder directly under a folder of courses
    (folders starting with '_' hold other content, such as _certifications)."""
    if (root / COURSE_FILE).is_file():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


@dataclass
class Content:
    courses: list[CourseSpec]
    # None when `root` has no _certifications folder (one course's folder, say): the folder
    # then says nothing about certifications, and importing it leaves them as they are.
    certifications: list | None
    problems: list[Problem]


def read_content(root: Path) -> Content:
    """Every course and certification under `root`, checked together."""
    from samaschool.content.certification_files import FOLDER, read_certifications

    courses, problems = read_courses(root)
    checker = Checker()
    certifications = None
    if (root / FOLDER).is_dir():
        certifications = read_certifications(root, courses, shown, checker)
    return Content(courses, certifications, problems + checker.problems)


def read_courses(root: Path) -> tuple[list[CourseSpec], list[Problem]]:
    checker = Checker()
    if not root.is_dir():
        checker.add(shown(root), 1, "no such folder")
        return [], checker.problems
    specs = []
    for folder in course_folders(root):
        spec = read_course(folder, checker)
        if spec is not None:
            specs.append(spec)
    if not specs and not checker.problems:
        checker.add(shown(root), 1, f"no course folders (a folder with a {COURSE_FILE}) found")
    return specs, checker.problems


def read_course(folder: Path, checker: Checker) -> CourseSpec | None:
    course_file = folder / COURSE_FILE
    file = shown(course_file)
    if not course_file.is_file():
        checker.add(shown(folder), 1, f"course folder has no {COURSE_FILE}")
        return None
    if not SLUG_RE.match(folder.name):
        checker.add(
            file, 1, f"folder name '{folder.name}' is not a valid course slug (lower-case letters, digits, hyphens)"
        )
    text = yamlfile.read_text(course_file, file)
    if isinstance(text, Problem):
        checker.problems.append(text)
        return None
    doc = yamlfile.parse(text, file)
    if isinstance(doc, Problem):
        checker.problems.append(doc)
        return None
    data = doc.data
    if not checker.mapping(doc, (), data, "course.yml"):
        return None
    before = len(checker.problems)
    checker.known_keys(doc, (), data, {"title", "summary", "level", "language", "estimated_hours", "modules"})
    spec = CourseSpec(
        slug=folder.name,
        title=checker.text(doc, (), data, "title", max_length=200) or "",
        summary=checker.text(doc, (), data, "summary", max_length=2000) or "",
        level=checker.choice(doc, (), data, "level", LEVELS) or "",
        language=data.get("language", ""),
        estimated_hours=checker.integer(doc, (), data, "estimated_hours", 1, 200) or 0,
        folder=folder,
    )
    if not isinstance(spec.language, str) or not LANGUAGE_RE.match(spec.language):
        checker.at(doc, ("language",), "'language' must be a language code such as en, sw or hi")
    modules = data.get("modules")
    if not isinstance(modules, list) or not modules:
        checker.at(doc, ("modules",), "'modules' must be a list with at least one module")
        modules = []
    seen_modules: set[str] = set()
    seen_lessons: dict[str, str] = {}
    media = CourseMedia(folder)
    for index, raw in enumerate(modules):
        module = _read_module(doc, index, raw, folder, checker, seen_modules, seen_lessons, media)
        if module is not None:
            spec.modules.append(module)
    _check_unlisted(folder, seen_modules, checker)
    _read_assessments(spec, checker, media, set(seen_lessons))
    spec.media = media.used
    return spec if len(checker.problems) == before else None


def _read_assessments(
    spec: CourseSpec, checker: Checker, media: CourseMedia | None = None, lessons: set[str] | None = None
) -> None:
    """The question bank and quizzes; a question's `lesson` must be one of `lessons` (the slugs
    course.yml lists, whether or not each lesson file read cleanly)."""
    from samaschool.content.quiz_files import EXAM_KEY, read_question_bank, read_quiz

    spec.questions = read_question_bank(spec.folder, shown, checker, media, lessons)
    quiz_files = [(m.folder / "quiz.yml", m.slug, m.slug) for m in spec.modules]
    quiz_files.append((spec.folder / "exam.yml", EXAM_KEY, None))
    for path, key, module_slug in quiz_files:
        if path.is_file():
            quiz = read_quiz(path, shown(path), key, module_slug, spec.questions, checker)
            if quiz is not None:
                spec.quizzes.append(quiz)


def _read_module(doc: Located, index: int, raw, folder: Path, checker: Checker, seen_modules, seen_lessons, media=None):
    path = ("modules", index)
    if not checker.mapping(doc, path, raw, "a module"):
        return None
    checker.known_keys(doc, path, raw, {"slug", "title", "summary", "lessons"})
    slug = checker.slug(doc, path + ("slug",), raw.get("slug"), "module slug")
    title = checker.text(doc, path, raw, "title", max_length=200)
    summary = checker.text(doc, path, raw, "summary", required=False, max_length=2000) or ""
    if slug is None or title is None:
        return None
    if slug in seen_modules:
        checker.at(doc, path + ("slug",), f"module slug '{slug}' is used twice")
        return None
    seen_modules.add(slug)
    module = ModuleSpec(slug=slug, title=title, summary=summary, folder=folder / slug)
    if not module.folder.is_dir():
        checker.at(doc, path + ("slug",), f"module folder '{slug}/' does not exist")
        return None
    lessons = raw.get("lessons")
    if not isinstance(lessons, list) or not lessons:
        checker.at(doc, path + ("lessons",), "'lessons' must be a list with at least one lesson slug")
        return None
    for lesson_index, lesson_slug in enumerate(lessons):
        lesson_path = path + ("lessons", lesson_index)
        if checker.slug(doc, lesson_path, lesson_slug, "lesson slug") is None:
            continue
        if lesson_slug in seen_lessons:
            checker.at(
                doc, lesson_path, f"lesson slug '{lesson_slug}' is already used in module '{seen_lessons[lesson_slug]}'"
            )
            continue
        seen_lessons[lesson_slug] = slug
        lesson_file = module.folder / f"{lesson_slug}.md"
        if not lesson_file.is_file():
            checker.at(doc, lesson_path, f"lesson file '{slug}/{lesson_slug}.md' does not exist")
            continue
        lesson = read_lesson(lesson_file, checker, media)
        if lesson is not None:
            module.lessons.append(lesson)
    listed = {f"{name}.md" for name in lessons if isinstance(name, str)}
    for extra in sorted(module.folder.iterdir()):
        if extra.name.startswith(".") or extra.name in MODULE_EXTRAS:
            continue
        if extra.suffix == ".md" and extra.name not in listed:
            checker.add(shown(extra), 1, f"lesson file is not listed in {COURSE_FILE} under module '{slug}'")
        elif extra.suffix != ".md":
            checker.add(shown(extra), 1, "unexpected file in a module folder (only lesson .md files and quiz.yml)")
    return module


def _check_unlisted(folder: Path, modules: set[str], checker: Checker) -> None:
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in COURSE_EXTRAS or entry.name in modules:
            continue
        what = "folder is not a module listed in" if entry.is_dir() else "unexpected file; not part of the format of"
        checker.add(shown(entry), 1, f"{what} {COURSE_FILE}")


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, line where the body starts), or None without front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "".join(lines[1:number]), "".join(lines[number + 1 :]), number + 2
    return None


def read_lesson(path: Path, checker: Checker, media: CourseMedia | None = None) -> LessonSpec | None:
    file = shown(path)
    text = yamlfile.read_text(path, file)
    if isinstance(text, Problem):
        checker.problems.append(text)
        return None
    parts = split_front_matter(text)
    if parts is None:
        checker.add(file, 1, "a lesson must start with front matter between two '---' lines (title, minutes)")
        return None
    front, body, body_line = parts
    doc = yamlfile.parse(front, file, line_offset=1)
    if isinstance(doc, Problem):
        checker.problems.append(doc)
        return None
    if not checker.mapping(doc, (), doc.data, "front matter"):
        return None
    before = len(checker.problems)
    checker.known_keys(doc, (), doc.data, {"title", "minutes"})
    title = checker.text(doc, (), doc.data, "title", max_length=200)
    minutes = checker.integer(doc, (), doc.data, "minutes", 1, 120)
    if not body.strip():
        checker.add(file, body_line, "the lesson has no text after its front matter")
    uses = _lesson_media(body, body_line, path, file, media, checker)
    if len(checker.problems) != before:
        return None
    return LessonSpec(slug=path.stem, title=title, minutes=minutes, body=body.strip() + "\n", file=file, media=uses)


def _lesson_media(body: str, body_line: int, path: Path, file: str, media, checker: Checker) -> dict[str, MediaUse]:
    """Check the images (alt text) and audio blocks (transcript) of a lesson and their files."""
    images, blocks = lesson_media(body)
    uses: dict[str, MediaUse] = {}

    def use(src: str, line: int, kind: str) -> None:
        if media is None:
            checker.add(file, line, "images and sounds can only be used in a lesson of a course folder")
            return
        found = media.resolve(src, path.parent, file, line, checker, kind)
        if found is not None:
            uses[src] = found

    for block in blocks:
        line = body_line + block.line - 1
        if not block.closed:
            checker.add(file, line, "the audio block is not closed: end it with a line of ```")
        if not block.src:
            checker.add(file, line, "name the sound file after 'audio', e.g. ```audio ../media/greeting.ogg")
            continue
        if not block.transcript:
            checker.add(
                file,
                line,
                f"the audio '{block.src}' needs a transcript: write what is said inside the block, "
                "below the ```audio line",
            )
        use(block.src, line, "audio")
    lines, start = body.splitlines(), 0
    for image in images:
        index = next((i for i in range(start, len(lines)) if f"]({image.src}" in lines[i]), None)
        if index is None:
            index = next((i for i, text in enumerate(lines) if image.src and image.src in text), start)
        start = index
        line = body_line + index
        if not image.alt.strip():
            checker.add(
                file,
                line,
                f"the image '{image.src}' needs alt text (what a person who cannot see it needs to know): "
                f"![a short description]({image.src})",
            )
        use(image.src, line, "image")
    return uses
