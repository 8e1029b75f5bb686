"""Certification statistics: certificates issued per week and per month, where the certificates
stand now (valid, expiring, expired, revoked), and per certification the exam pass rate, the
median attempts to pass and the median days from enrolment to certificate.

Which certifications: every one for admins; for trainers, those whose criteria name one of
their courses, counting only learners enrolled in one of those courses. The course filter keeps
the certifications naming the course, the certification filter that one, the country filter the
learners of that country; the period applies to when certificates were issued and attempts
submitted. Only learners are counted (not trainers or admins trying an exam).

Each figure is one SQL aggregate over the whole table, so the page runs the same number of
queries however many learners, attempts and certificates there are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, case, distinct, false, func, literal, select, true, union_all

from samaschool.assessments.models import Attempt, Quiz
from samaschool.auth.models import User
from samaschool.catalog.models import Course, Enrolment
from samaschool.certification.models import Certificate, Certification
from samaschool.certification.services import involved_courses
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.reports.filters import Filters, Scope
from samaschool.reports.sql import days_between, median_by, period_start
from samaschool.reports.tables import SMALLEST_GROUP, Chart, Column, Report, Table, register, share

# Without a period, the time series show the last 12 months and the last 26 weeks.
DEFAULT_MONTHS = 12
DEFAULT_WEEKS = 26
# A period longer than this many buckets starts at the first one holding a certificate (or at the
# last bucket when none does), so that a period reaching far back does not make a table of
# thousands of empty weeks. It ends today at the latest.
MAX_BUCKETS = 120
EXPIRING_WITHIN = timedelta(days=30)


@dataclass(frozen=True)
class Named:
    """A certification as the report needs it (not its badge)."""

    id: int
    name: str
    criteria: dict
    archived: bool

    @property
    def first_course(self) -> str | None:
        """The course whose enrolment starts the clock: the first course the criteria name to
        complete, else the course of the first quiz they name."""
        courses = list(self.criteria.get("courses") or [])
        quizzes = [rule.get("course") for rule in self.criteria.get("quizzes") or []]
        return next(iter(courses + quizzes), None)

    @property
    def quizzes(self) -> list[tuple[str, str]]:
        """(course slug, quiz key) of each quiz the criteria name, once each."""
        pairs = [(rule.get("course"), rule.get("quiz")) for rule in self.criteria.get("quizzes") or []]
        return list(dict.fromkeys(pair for pair in pairs if all(pair)))


@register("certifications", _l("Certifications"))
def build(filters: Filters, scope: Scope) -> Report:
    certifications = visible(filters, scope)
    ids = [c.id for c in certifications]
    status = _status(filters, scope, ids)
    return Report(
        [
            _issued_series(filters, scope, ids, "month"),
            _issued_series(filters, scope, ids, "week"),
            _status_table(certifications, status),
            _per_certification(filters, scope, certifications, status),
        ]
    )


# Which certifications and which learners ---------------------------------------------------------


def visible(filters: Filters, scope: Scope) -> list[Named]:
    """The certifications the viewer may see and the filters keep, by name (archived ones too:
    their certificates still exist)."""
    rows = db.session.execute(
        select(Certification.id, Certification.name, Certification.criteria, Certification.archived_at).order_by(
            Certification.name, Certification.id
        )
    ).all()
    found = [Named(id, name, criteria or {}, archived_at is not None) for id, name, criteria, archived_at in rows]
    if scope.course_ids is not None:
        taught = set(db.session.scalars(select(Course.slug).where(Course.id.in_(scope.course_ids))))
        found = [c for c in found if involved_courses(c.criteria) & taught]
    if filters.course is not None:
        found = [c for c in found if filters.course.slug in involved_courses(c.criteria)]
    if filters.certification is not None:
        found = [c for c in found if c.id == filters.certification.id]
    return found


def suppression_base(*counts: int | None) -> int | None:
    """The `base` of a figure computed from these counts of people (a share: the part and the
    whole): the first that is a small group, so the figure is suppressed when any of them is (3
    of 100 certified would tell the 3), else the last."""
    for count in counts:
        if count is not None and 0 < count < SMALLEST_GROUP:
            return count
    return counts[-1]


def learners(user_id, filters: Filters, scope: Scope) -> list:
    """SQL conditions keeping `user_id` to the learners counted: learners (not trainers or
    admins), of the filtered country, and for trainers enrolled in one of the trainer's courses."""
    staff = select(User.id).where(User.role.in_([role for role in Role if role != Role.LEARNER]))
    conditions = [user_id.not_in(staff)]  # a few rows, found by the role's index
    if filters.country:
        conditions.append(user_id.in_(select(User.id).where(User.country == filters.country)))
    if scope.course_ids is not None:
        conditions.append(user_id.in_(select(Enrolment.user_id).where(Enrolment.course_id.in_(scope.course_ids))))
    return conditions


@dataclass(frozen=True)
class Criteria:
    """The ids behind the slugs and keys the certifications' criteria name."""

    quizzes: list[tuple[int, int]]  # (certification id, quiz id) of every quiz the criteria name
    first_course: dict[int, int]  # certification id -> id of the first course it names


def criteria_ids(certifications: list[Named]) -> Criteria:
    slugs = {slug for c in certifications for slug in involved_courses(c.criteria)}
    rows = db.session.execute(
        select(Course.slug, Course.id, Quiz.key, Quiz.id)
        .outerjoin(Quiz, Quiz.course_id == Course.id)
        .where(Course.slug.in_(slugs))
    ).all()
    course_ids = {slug: course_id for slug, course_id, _key, _quiz_id in rows}
    quiz_ids = {(slug, key): quiz_id for slug, _course_id, key, quiz_id in rows if quiz_id is not None}
    return Criteria(
        quizzes=[(c.id, quiz_ids[pair]) for c in certifications for pair in c.quizzes if pair in quiz_ids],
        first_course={c.id: course_ids[c.first_course] for c in certifications if c.first_course in course_ids},
    )


def _pairs(rows: list[tuple[int, int]]):
    """A literal table (certification_id, quiz_id) of `rows`, to join on: no row when empty."""
    columns = ("certification_id", "quiz_id")
    if not rows:
        return select(*[literal(None, Integer).label(name) for name in columns]).where(false()).subquery()
    selects = [
        select(*[literal(value, Integer).label(name) for value, name in zip(row, columns, strict=True)]) for row in rows
    ]
    return (union_all(*selects) if len(selects) > 1 else selects[0]).subquery("certification_quizzes")


# Certificates issued over time ---------------------------------------------------------------------


def _series_range(filters: Filters, unit: str) -> tuple[date, date]:
    """The first and last bucket (as their first day) of the time series."""
    today = utcnow().date()
    end = min(filters.end, today) if filters.end else today
    last = _bucket(end, unit)
    if filters.start is not None:
        return _bucket(filters.start, unit), last
    if unit == "month":
        months = last.year * 12 + last.month - 1 - (DEFAULT_MONTHS - 1)
        return date(months // 12, months % 12 + 1, 1), last
    return last - timedelta(weeks=DEFAULT_WEEKS - 1), last


def _bucket(day: date, unit: str) -> date:
    return day.replace(day=1) if unit == "month" else day - timedelta(days=day.weekday())


def _next(day: date, unit: str) -> date:
    if unit == "week":
        return day + timedelta(weeks=1)
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _issued_series(filters: Filters, scope: Scope, ids: list[int], unit: str) -> Table:
    first, last = _series_range(filters, unit)
    period = filters if filters.start is not None else replace(filters, start=first)
    bucket = period_start(Certificate.issued_at, unit)
    counts = dict(
        db.session.execute(
            select(bucket, func.count())
            .where(
                Certificate.certification_id.in_(ids),
                *period.in_period(Certificate.issued_at),
                *learners(Certificate.user_id, filters, scope),
            )
            .group_by(bucket)
        ).all()
    )
    if _buckets_between(first, last, unit) > MAX_BUCKETS:
        earliest = min(counts, default=None)
        first = max(first, date.fromisoformat(earliest)) if earliest else last
    rows = []
    day = first
    while day <= last:
        key = day.isoformat()
        rows.append({"period": key if unit == "week" else key[:7], "issued": counts.get(key, 0)})
        day = _next(day, unit)
    if unit == "month":
        title, label = _("Certificates issued per month"), _("Month")
        default = _("Without a period, the last %(count)d months.", count=DEFAULT_MONTHS)
    else:
        title, label = _("Certificates issued per week"), _("Week starting")
        default = _("Without a period, the last %(count)d weeks (weeks start on Monday).", count=DEFAULT_WEEKS)
    return Table(
        f"issued-per-{unit}",
        title,
        [Column("period", label), Column("issued", _("Certificates issued"), "people")],
        rows,
        description=" ".join((_("Every certificate issued, including those revoked or expired since."), default)),
        chart=Chart("columns", "period", "issued"),
    )


def _buckets_between(first: date, last: date, unit: str) -> int:
    if unit == "week":
        return (last - first).days // 7 + 1
    return (last.year - first.year) * 12 + last.month - first.month + 1


# Where the certificates stand now ------------------------------------------------------------------


def _status(filters: Filters, scope: Scope, ids: list[int]) -> dict[int, dict[str, int]]:
    """Per certification, its certificates issued in the period: all, valid now, of those expiring
    within 30 days, expired and revoked."""
    now = utcnow()
    live = Certificate.revoked_at.is_(None)
    not_expired = (Certificate.expires_at.is_(None)) | (Certificate.expires_at > now)

    def number(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            Certificate.certification_id,
            func.count(),
            number(and_(live, not_expired)),
            number(and_(live, Certificate.expires_at > now, Certificate.expires_at <= now + EXPIRING_WITHIN)),
            number(and_(live, Certificate.expires_at <= now)),
            number(Certificate.revoked_at.is_not(None)),
        )
        .where(
            Certificate.certification_id.in_(ids),
            *filters.in_period(Certificate.issued_at),
            *learners(Certificate.user_id, filters, scope),
        )
        .group_by(Certificate.certification_id)
    )
    keys = ("issued", "valid", "expiring", "expired", "revoked")
    rows = db.session.execute(query).all()
    return {row[0]: dict(zip(keys, (int(value) for value in row[1:]), strict=True)) for row in rows}


def _status_table(certifications: list[Named], status: dict[int, dict[str, int]]) -> Table:
    keys = ("issued", "valid", "expiring", "expired", "revoked")
    rows = []
    for certification in certifications:
        counts = status.get(certification.id)
        if counts is None and certification.archived:
            continue
        rows.append({"certification": certification.name, **(counts or dict.fromkeys(keys, 0))})
    if len(rows) > 1:
        total = {key: sum(status.get(c.id, {}).get(key, 0) for c in certifications) for key in keys}
        rows.append({"certification": _("All certifications"), **total})
    return Table(
        "status",
        _("Certificates now"),
        [
            Column("certification", _("Certification")),
            Column("valid", _("Valid"), "people"),
            Column("expiring", _("Of which expire within 30 days"), "people"),
            Column("expired", _("Expired"), "people"),
            Column("revoked", _("Revoked"), "people"),
            Column("issued", _("All certificates"), "people"),
        ],
        rows,
        description=_(
            "Where the certificates issued in the period stand today (all certificates when no period "
            "is given). A renewed certification counts each certificate."
        ),
        empty=_("No certification to show for these filters."),
    )


# Per certification ---------------------------------------------------------------------------------


def _per_certification(
    filters: Filters, scope: Scope, certifications: list[Named], status: dict[int, dict[str, int]]
) -> Table:
    ids = criteria_ids(certifications)
    quizzes = _pairs(ids.quizzes)
    attempts = _exam_attempts(filters, scope, quizzes)
    passes = _attempts_to_pass(filters, scope, quizzes)
    days = _days_to_certificate(filters, scope, ids.first_course)
    rows = []
    for certification in certifications:
        issued = status.get(certification.id, {}).get("issued", 0)
        sat, submitted, passed = attempts.get(certification.id, (0, 0, 0))
        passers, median_attempts = passes.get(certification.id, (0, None))
        with_enrolment, median_days = days.get(certification.id, (0, None))
        if certification.archived and not (issued or submitted):
            continue
        rows.append(
            {
                "certification": certification.name,
                "issued": issued,
                "sat": sat,
                "pass_rate": share(passed, submitted),
                "pass_rate_base": suppression_base(passers, sat),
                "passers": passers,
                "median_attempts": median_attempts,
                "with_enrolment": with_enrolment,
                "median_days": median_days,
            }
        )
    return Table(
        "per-certification",
        _("Per certification"),
        [
            Column("certification", _("Certification")),
            Column("issued", _("Certificates issued"), "people"),
            Column("sat", _("Learners who sat its exams"), "people"),
            Column("pass_rate", _("Exam pass rate"), "percent", base="pass_rate_base"),
            Column("passers", _("Learners who passed"), "people"),
            Column("median_attempts", _("Median attempts to pass"), "number", base="passers"),
            Column("median_days", _("Median days from enrolment to certificate"), "days", base="with_enrolment"),
        ],
        rows,
        description=_(
            "Exam pass rate: of the attempts submitted at the quizzes the certification's criteria name, "
            "the share that passed. Attempts to pass: for each learner and quiz passed, the number of the "
            "attempt that first passed it. Days to certificate: from the learner's enrolment in the first "
            "course the certification names to the certificate's issue (certificates of learners never "
            "enrolled in that course are left out)."
        ),
        chart=Chart("bars", "certification", "issued"),
        empty=_("No certification to show for these filters."),
    )


def _exam_attempts(filters: Filters, scope: Scope, quizzes) -> dict[int, tuple[int, int, int]]:
    """Per certification: learners who submitted an attempt, attempts submitted, attempts passed."""
    query = (
        select(
            quizzes.c.certification_id,
            func.count(distinct(Attempt.user_id)),
            func.count(),
            func.coalesce(func.sum(case((Attempt.passed.is_(True), 1), else_=0)), 0),
        )
        .join(Attempt, Attempt.quiz_id == quizzes.c.quiz_id)
        .where(
            Attempt.state == "submitted",
            *filters.in_period(Attempt.submitted_at),
            *learners(Attempt.user_id, filters, scope),
        )
        .group_by(quizzes.c.certification_id)
    )
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in db.session.execute(query)}


def _attempts_to_pass(filters: Filters, scope: Scope, quizzes) -> dict[int, tuple[int, float | None]]:
    """Per certification: learners whose first pass of one of its quizzes fell in the period, and
    the median number of that first passing attempt (per learner and quiz)."""
    first_passed_at = func.min(Attempt.submitted_at)
    firsts = (
        select(
            quizzes.c.certification_id,
            Attempt.user_id,
            func.min(Attempt.number).label("value"),
        )
        .join(Attempt, Attempt.quiz_id == quizzes.c.quiz_id)
        .where(
            Attempt.state == "submitted",
            Attempt.passed.is_(True),
            *learners(Attempt.user_id, filters, scope),
        )
        .group_by(quizzes.c.certification_id, Attempt.user_id, Attempt.quiz_id)
        .having(and_(true(), *filters.in_period(first_passed_at)))
        .cte("first_passes")
    )
    medians = median_by(select(firsts), ["certification_id"]).subquery()
    inner = firsts
    people = (
        select(inner.c.certification_id, func.count(distinct(inner.c.user_id)).label("people"))
        .group_by(inner.c.certification_id)
        .subquery()
    )
    query = select(people.c.certification_id, people.c.people, medians.c.median).outerjoin(
        medians, medians.c.certification_id == people.c.certification_id
    )
    return {row[0]: (int(row[1]), row[2]) for row in db.session.execute(query)}


def _days_to_certificate(filters: Filters, scope: Scope, first_course: dict[int, int]) -> dict[int, tuple]:
    """Per certification: certificates issued in the period to learners enrolled in its first
    named course, and the median days from that enrolment to the certificate."""
    course_id = case(first_course, value=Certificate.certification_id) if first_course else literal(None, Integer)
    values = (
        select(Certificate.certification_id, days_between(Certificate.issued_at, Enrolment.enrolled_at).label("value"))
        .join(Enrolment, and_(Enrolment.user_id == Certificate.user_id, Enrolment.course_id == course_id))
        .where(*filters.in_period(Certificate.issued_at), *learners(Certificate.user_id, filters, scope))
        .cte("days_to_certificate")
    )
    medians = median_by(select(values), ["certification_id"]).subquery()
    counted = (
        select(values.c.certification_id, func.count().label("certificates"))
        .group_by(values.c.certification_id)
        .subquery()
    )
    query = select(counted.c.certification_id, counted.c.certificates, medians.c.median).outerjoin(
        medians, medians.c.certification_id == counted.c.certification_id
    )
    return {row[0]: (int(row[1]), row[2]) for row in db.session.execute(query)}
