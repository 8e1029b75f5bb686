"""The filters every report takes from the URL (so a view can be bookmarked and shared), and
the scope of what the viewer may see (admins everything, trainers their own courses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Select, select
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from samaschool.catalog.models import Course
from samaschool.certification.models import Certification
from samaschool.choices import country_name
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.studio.access import taught_course_ids

# The countries Samaschool works in first; any other country a learner gave is offered after them.
MAIN_COUNTRIES = ("KE", "UG", "IN", "US")
# Dates a period may use: anything else is a typing slip (and 9999-12-31 has no next day).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class Scope:
    """What the viewer may count: `course_ids` is a subquery of course ids, or None for every
    course (admins). A trainer's figures count only learners enrolled in their courses."""

    course_ids: Select | None
    is_admin: bool

    @classmethod
    def of(cls, user) -> Scope:
        return cls(taught_course_ids(user), user.role == Role.ADMIN)


@dataclass(frozen=True)
class Filters:
    start: date | None = None  # inclusive, UTC days
    end: date | None = None  # inclusive
    course: Course | None = None
    certification: Certification | None = None
    country: str | None = None

    @property
    def start_at(self) -> datetime | None:
        return datetime.combine(self.start, time.min, tzinfo=UTC) if self.start else None

    @property
    def end_before(self) -> datetime | None:
        """The first moment after the period (the end day is included)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC) if self.end else None

    def args(self) -> dict[str, str]:
        """The filters as URL query arguments (empty ones left out)."""
        values = {
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "course": self.course.slug if self.course else "",
            "certification": self.certification.slug if self.certification else "",
            "country": self.country or "",
        }
        return {key: value for key, value in values.items() if value}

    def in_period(self, column):
        """SQL conditions keeping `column` (a UTC timestamp) inside the period."""
        conditions = []
        if self.start_at is not None:
            conditions.append(column >= self.start_at)
        if self.end_before is not None:
            conditions.append(column < self.end_before)
        return conditions


class FilterForm(FlaskForm):
    """Read from the query string (GET): no CSRF, nothing changes."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[Optional()])
    course = SelectField(_l("Course"), validate_choice=False)
    certification = SelectField(_l("Certification"), validate_choice=False)
    country = SelectField(_l("Country"), validate_choice=False)


def visible_courses(scope: Scope) -> list[Course]:
    query = select(Course).order_by(Course.title)
    if scope.course_ids is not None:
        query = query.where(Course.id.in_(scope.course_ids))
    return list(db.session.scalars(query))


def visible_certifications(scope: Scope, courses: list[Course]) -> list[Certification]:
    """Every live certification (admins); a trainer those whose criteria name one of their courses."""
    certifications = list(
        db.session.scalars(
            select(Certification).where(Certification.archived_at.is_(None)).order_by(Certification.name)
        )
    )
    if scope.course_ids is None:
        return certifications
    slugs = {course.slug for course in courses}
    return [c for c in certifications if slugs & named_courses(c)]


def named_courses(certification: Certification) -> set[str]:
    """The slugs of the courses a certification's criteria name (to complete, or whose quiz to pass)."""
    criteria = certification.criteria or {}
    return set(criteria.get("courses", [])) | {q.get("course") for q in criteria.get("quizzes", [])}


def read_filters(args, scope: Scope) -> tuple[Filters, FilterForm, list[str]]:
    """The filters in `args` (a request's query string), the form showing them, and a message for
    each value that could not be used (it is then left out, never guessed)."""
    from samaschool.auth.models import User

    form = FilterForm(formdata=args)
    courses = visible_courses(scope)
    certifications = visible_certifications(scope, courses)
    countries = list(MAIN_COUNTRIES) + sorted(
        set(db.session.scalars(select(User.country).distinct())) - set(MAIN_COUNTRIES) - {None, ""}
    )
    form.course.choices = [("", _l("Every course"))] + [(c.slug, c.title) for c in courses]
    form.certification.choices = [("", _l("Every certification"))] + [(c.slug, c.name) for c in certifications]
    form.country.choices = [("", _l("Every country"))] + [(code, country_name(code)) for code in countries]
    form.validate()
    problems = [f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items()]
    start, end = form.start.data, form.end.data
    for name in ("start", "end"):
        value = form[name].data
        if value is not None and not (EARLIEST <= value <= LATEST):
            problems.append(
                str(_l("%(field)s: give a date from 2000 to 2100; it was left out.")) % {"field": form[name].label.text}
            )
            start, end = (None, end) if name == "start" else (start, None)
    if start and end and end < start:
        problems.append(str(_l("The period ends before it starts: the dates were left out.")))
        start = end = None
    course = next((c for c in courses if c.slug == form.course.data), None)
    certification = next((c for c in certifications if c.slug == form.certification.data), None)
    country = form.country.data if form.country.data in countries else None
    for field, found in ((form.course, course), (form.certification, certification), (form.country, country)):
        if field.data and found is None:
            message = _l("%(field)s: “%(value)s” is not one you can see; it was left out.")
            problems.append(str(message) % {"field": field.label.text, "value": field.data})
            field.data = ""
    return Filters(start, end, course, certification, country), form, problems
