"""Certifications in the trainer studio, and their place in course exports.

A trainer may define a certification whose criteria name only courses they own or co-train
(admins: any course). Certifications are saved directly, not kept in a course's draft: they
decide who is awarded what, and they name several courses' quizzes. A save carries the version
the form was loaded at (the certification's `updated_at`), so a stale form or a replayed POST
is a conflict rather than an overwrite. The rules shared with the admin form live in
`certification.services` (`certification_problems`, `save_certification`).

A course export carries, in the `_certifications/` folder format (content/certification_files.py),
every live certification whose criteria name that course alone; import upserts them by slug
without archiving any other certification.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from samaschool.assessments.models import Quiz
from samaschool.catalog.models import Course
from samaschool.certification import services
from samaschool.certification.documents import DEFAULT_BADGE_SVG, PNG_SIGNATURE
from samaschool.certification.models import Certification
from samaschool.certification.services import CertificationData, involved_courses
from samaschool.content.certification_files import FOLDER, CertificationSpec
from samaschool.content.quiz_files import EXAM_KEY
from samaschool.errors import DomainError, NotAllowed
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.studio.access import taught_course_ids
from samaschool.studio.models import CourseFile

RESERVED_SLUGS = {"new"}  # /studio/<course>/certifications/new is the form for a new one


class Conflict(DomainError):
    """The certification was saved by someone else after the form was loaded: nothing changed."""

    def __init__(self, certification: Certification):
        self.certification = certification
        super().__init__(
            _(
                "Someone saved this certification after you opened it. Nothing was overwritten: your changes "
                "are below. Compare them with the saved certification (open it again in another tab) and save "
                "again to replace it."
            )
        )


class CertificationProblems(DomainError):
    """What is wrong with the form, by field ("slug", "criteria", "badge")."""

    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        super().__init__(_("Nothing was saved: fix the problems marked below."))


def version_of(certification: Certification) -> str:
    """What a form carries to say which version of the certification it was loaded from."""
    return certification.updated_at.isoformat()


def for_course(course: Course) -> list[Certification]:
    """The live certifications whose criteria name `course`, by name."""
    return [
        certification
        for certification in db.session.scalars(services.live_certifications().order_by(Certification.name))
        if course.slug in involved_courses(certification.criteria)
    ]


def editable_slugs(user, slugs: set[str]) -> set[str]:
    """Which of the course `slugs` `user` may name in a certification: admins any (even one
    not made yet), trainers the existing courses they own or co-train, learners none."""
    if not getattr(user, "is_authenticated", False) or user.role not in (Role.ADMIN, Role.TRAINER):
        return set()
    if user.role == Role.ADMIN:
        return set(slugs)
    if not slugs:
        return set()
    query = select(Course.slug).where(Course.slug.in_(slugs), Course.id.in_(taught_course_ids(user)))
    return set(db.session.scalars(query))


def may_edit(user, certification: Certification) -> bool:
    """Whether `user` may change `certification`: every course its criteria name is theirs."""
    named = involved_courses(certification.criteria)
    return bool(named) and editable_slugs(user, named) == named


@dataclass(frozen=True)
class QuizOption:
    course: str  # the course's slug
    course_title: str
    key: str
    title: str

    @property
    def value(self) -> str:
        return f"{self.course}/{self.key}"


def _working_copy_quizzes(course_ids: list[int]) -> dict[tuple[int, str], str]:
    """(course id, quiz key) -> title of the quizzes in the courses' working copies: `exam.yml`
    and each `<module>/quiz.yml` (the module's slug is the quiz's key), published or not yet."""
    found = {}
    query = select(CourseFile.course_id, CourseFile.path, CourseFile.text).where(
        CourseFile.course_id.in_(course_ids),
        or_(CourseFile.path == f"{EXAM_KEY}.yml", CourseFile.path.like("%/quiz.yml")),
    )
    for course_id, path, text in db.session.execute(query):
        parts = path.split("/")
        if len(parts) > 2:
            continue
        key = EXAM_KEY if len(parts) == 1 else parts[0]
        try:
            data = yaml.safe_load(text or "")
        except yaml.YAMLError:
            data = None
        title = data.get("title") if isinstance(data, dict) else None
        found[(course_id, key)] = title.strip() if isinstance(title, str) and title.strip() else key
    return found


def quiz_options(courses: list[Course]) -> list[QuizOption]:
    """Every quiz of `courses` a criterion may name: the published ones and those in the
    courses' drafts, by course and then title (the exam last)."""
    by_id = {course.id: course for course in courses}
    if not by_id:
        return []
    titles = {
        (course_id, key): title
        for course_id, key, title in db.session.execute(
            select(Quiz.course_id, Quiz.key, Quiz.title).where(Quiz.course_id.in_(by_id), Quiz.archived_at.is_(None))
        )
    }
    titles.update(_working_copy_quizzes(list(by_id)))
    options = [
        QuizOption(by_id[course_id].slug, by_id[course_id].title, key, title)
        for (course_id, key), title in titles.items()
    ]
    return sorted(options, key=lambda o: (o.course_title, o.course, o.key == EXAM_KEY, o.title, o.key))


def badge_from_upload(data: bytes, filename: str) -> tuple[str, bytes | None]:
    """(badge_svg, badge_png) of an uploaded badge, told apart by its bytes; the file's name only
    chooses which check explains a refusal. The checks themselves run when it is saved."""
    if data.startswith(PNG_SIGNATURE) or filename.lower().endswith(".png"):
        return "", data
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        raise CertificationProblems({"badge": [_("the badge must be an SVG or PNG image")]}) from None
    if not text.lstrip().startswith("<"):
        raise CertificationProblems({"badge": [_("the badge must be an SVG or PNG image")]})
    return text, None


def problems(
    actor, course: Course, certification: Certification | None, data: CertificationData
) -> dict[str, list[str]]:
    """What is wrong with `data` as a certification defined in the studio of `course`, by field
    ("slug", "criteria", "badge"): the rules shared with the admin form, and the studio's own.
    A trainer may name only courses they own or co-train, and the criteria must name `course`."""
    found = services.certification_problems(data, certification)

    def add(field: str, message: str) -> None:
        found.setdefault(field, []).append(message)

    if certification is None and data.slug in RESERVED_SLUGS:
        add("slug", _("This short name is reserved; choose another."))
    named = involved_courses(data.criteria)
    if not named:
        return found
    if refused := sorted(named - editable_slugs(actor, named)):
        add("criteria", _("You can only name courses you teach; not %(courses)s.", courses=", ".join(refused)))
    elif course.slug not in named:
        add("criteria", _("The criteria must name this course: completing it or passing one of its quizzes."))
    courses = list(db.session.scalars(select(Course).where(Course.slug.in_(named))))
    known = {(option.course, option.key) for option in quiz_options(courses)}
    for rule in data.criteria.get("quizzes") or []:
        if (rule["course"], rule["quiz"]) not in known:
            add("criteria", _("There is no quiz %(quiz)s in %(course)s.", quiz=rule["quiz"], course=rule["course"]))
        if not 0 <= rule["min_percent"] <= 100:
            add("criteria", _("A minimum score is a percentage from 0 to 100."))
    return found


def save(
    actor, course: Course, certification: Certification | None, data: CertificationData, *, version: str | None
) -> Certification:
    """Create (`certification` None) or change a certification from the studio of `course`.

    Raises Conflict when it was saved since the form loaded `version`, NotAllowed when the actor
    may not change it, CertificationProblems when the input is wrong. Flushes; the caller commits."""
    if certification is not None:
        db.session.refresh(certification, with_for_update=True)  # the latest version, held until commit
        if version != version_of(certification):
            raise Conflict(certification)
        if not may_edit(actor, certification):
            raise NotAllowed(_("Only the trainers of every course this certification names can change it."))
        data.slug = certification.slug  # the short name is part of addresses and credentials
    if found := problems(actor, course, certification, data):
        raise CertificationProblems(found)
    try:
        with db.session.begin_nested():
            return services.save_certification(actor, certification, data)
    except IntegrityError:  # the same short name, created by someone else a moment ago
        raise CertificationProblems({"slug": [_("Another certification already uses this short name.")]}) from None


# --- exports and imports -----------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style with list items indented under their key, as courses/README.md shows."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _course_quiz_keys(course: Course) -> set[str]:
    """The keys of the course's quizzes as its export holds them: its working copy's, or the
    published ones for a course that has none."""
    keys = {key for _course_id, key in _working_copy_quizzes([course.id])}
    if keys or db.session.scalar(select(CourseFile.id).where(CourseFile.course_id == course.id).limit(1)):
        return keys
    return set(db.session.scalars(select(Quiz.key).where(Quiz.course_id == course.id, Quiz.archived_at.is_(None))))


def certification_files(certification: Certification) -> dict[str, bytes]:
    """`_certifications/<slug>.yml` and its badge, in the folder format (the same bytes every time)."""
    slug = certification.slug
    document: dict = {"name": certification.name.strip(), "description": certification.description.strip()}
    if certification.validity_months:
        document["validity_months"] = certification.validity_months
    result = {}
    if certification.badge_png:
        document["badge"] = f"{slug}.png"
        result[f"{FOLDER}/{slug}.png"] = bytes(certification.badge_png)
    else:
        # The folder format needs a badge: one without its own gets the one its certificates
        # are baked with. As a text file: what reading it back gives (line ends read as \n).
        document["badge"] = f"{slug}.svg"
        svg = certification.badge_svg or DEFAULT_BADGE_SVG
        result[f"{FOLDER}/{slug}.svg"] = svg.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    criteria = certification.criteria or {}
    document["criteria"] = {}
    if criteria.get("courses"):
        document["criteria"]["courses"] = list(criteria["courses"])
    if criteria.get("quizzes"):
        document["criteria"]["quizzes"] = [
            {"course": rule["course"], "quiz": rule["quiz"], "min_percent": rule["min_percent"]}
            for rule in criteria["quizzes"]
        ]
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    result[f"{FOLDER}/{slug}.yml"] = text.encode("utf-8")
    return result


def export_certifications(course: Course) -> tuple[dict[str, bytes], list[str]]:
    """The files (path in the zip -> bytes) of every live certification whose criteria name
    `course` alone, and a sentence for each one that names it but was left out, and why."""
    exported: dict[str, bytes] = {}
    left_out: list[str] = []
    quiz_keys = _course_quiz_keys(course)
    certifications = db.session.scalars(services.live_certifications().order_by(Certification.slug))
    for certification in certifications:
        named = involved_courses(certification.criteria)
        if course.slug not in named:
            continue
        if others := sorted(named - {course.slug}):
            left_out.append(
                _("%(slug)s: its criteria also name %(courses)s", slug=certification.slug, courses=", ".join(others))
            )
            continue
        rules = certification.criteria.get("quizzes") or []
        if missing := [rule["quiz"] for rule in rules if rule["quiz"] not in quiz_keys]:
            left_out.append(
                _(
                    "%(slug)s: its criteria name the quiz %(quiz)s, which this course does not have",
                    slug=certification.slug,
                    quiz=missing[0],
                )
            )
            continue
        exported.update(certification_files(certification))
    return exported, left_out


def _unchanged(certification: Certification, data: CertificationData) -> bool:
    return (
        certification.archived_at is None
        and certification.name == data.name
        and certification.description == data.description
        and certification.validity_months == data.validity_months
        and (certification.badge_svg or "") == data.badge_svg
        and (bytes(certification.badge_png) if certification.badge_png else None) == data.badge_png
        and certification.criteria == data.criteria
    )


def import_certification_specs(specs: list[CertificationSpec], actor) -> list[str]:
    """Create or update the certifications read from a `_certifications/` folder, by slug.

    Unlike `courses import`, nothing else is archived. Only those the actor may edit are
    written: every course the file names, and every course the certification already names,
    must be theirs; the others are skipped. Returns a sentence for each. Flushes."""
    messages = []
    for spec in specs:
        existing = db.session.scalar(select(Certification).where(Certification.slug == spec.slug))
        named = involved_courses(spec.criteria) | (involved_courses(existing.criteria) if existing else set())
        if refused := sorted(named - editable_slugs(actor, named)):
            messages.append(
                _(
                    "Certification %(slug)s was not imported: it names %(courses)s, which you do not teach.",
                    slug=spec.slug,
                    courses=", ".join(refused),
                )
            )
            continue
        data = CertificationData(
            slug=spec.slug,
            name=spec.name,
            description=spec.description,
            validity_months=spec.validity_months,
            badge_svg="" if spec.badge_png else spec.badge_svg,
            criteria=spec.criteria,
            badge_png=spec.badge_png or None,
        )
        if existing is not None and _unchanged(existing, data):
            messages.append(_("Certification %(slug)s is unchanged.", slug=spec.slug))
            continue
        certification = services.save_certification(actor, existing, data)
        certification.archived_at = None
        messages.append(
            _("Certification %(slug)s updated.", slug=spec.slug)
            if existing is not None
            else _("Certification %(slug)s created.", slug=spec.slug)
        )
    db.session.flush()
    return messages
