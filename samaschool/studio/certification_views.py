"""Studio pages for the certifications of a course: the list, a new one, and changing one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from samaschool.catalog.models import Course
from samaschool.certification import services
from samaschool.certification.models import Certification
from samaschool.content.certification_files import MAX_PNG_BADGE_BYTES
from samaschool.errors import NotAllowed
from samaschool.extensions import db
from samaschool.permissions import Role, role_required
from samaschool.studio import bp
from samaschool.studio import certifications as studio_certifications
from samaschool.studio.access import course_for_editing, courses_for
from samaschool.studio.certification_forms import CertificationForm

SECTION = "studio.certifications"


@bp.get("/<slug>/certifications")
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
def certifications(slug: str):
    course = course_for_editing(slug)
    items = [
        (certification, studio_certifications.may_edit(current_user, certification))
        for certification in studio_certifications.for_course(course)
    ]
    named = {name for certification, _editable in items for name in services.involved_courses(certification.criteria)}
    courses = list(db.session.scalars(select(Course).where(Course.slug.in_(named))))
    quizzes = {(option.course, option.key): option.title for option in studio_certifications.quiz_options(courses)}
    return render_template(
        "studio/certifications/index.html",
        course=course,
        items=items,
        titles={c.slug: c.title for c in courses},
        quizzes=quizzes,
        section=SECTION,
    )


def _certification_of(course: Course, cert_slug: str) -> Certification:
    """The live certification `cert_slug` when it names `course` (else 404) and the user may
    change it (else 403: it names a course they do not teach)."""
    certification = db.session.scalar(services.live_certifications().where(Certification.slug == cert_slug))
    if certification is None or course.slug not in services.involved_courses(certification.criteria):
        abort(404)
    if not studio_certifications.may_edit(current_user, certification):
        abort(403)
    return certification


def _fill(form: CertificationForm, course: Course, certification: Certification | None):
    """Set the form's choices (courses the user may name, their quizzes); on GET, its values.
    Returns the quiz options by value, for the labels."""
    courses = courses_for(current_user)
    form.courses.choices = [(c.slug, c.title) for c in courses]
    options = {option.value: option for option in studio_certifications.quiz_options(courses)}
    if request.method == "GET":
        criteria = certification.criteria if certification is not None else {"courses": [course.slug]}
        form.courses.data = list(criteria.get("courses") or [])
        rules = {f"{rule['course']}/{rule['quiz']}": rule["min_percent"] for rule in criteria.get("quizzes") or []}
        for value in [*options, *(value for value in rules if value not in options)]:
            form.quizzes.append_entry({"quiz": value, "min_percent": rules.get(value)})
        if certification is not None:
            form.version.data = studio_certifications.version_of(certification)
    return options


def _data(form: CertificationForm, certification: Certification | None) -> services.CertificationData:
    quizzes = []
    for entry in form.quizzes:
        course, _sep, quiz = (entry.quiz.data or "").partition("/")
        if entry.min_percent.data is not None and not entry.min_percent.errors and course and quiz:
            quizzes.append({"course": course, "quiz": quiz, "min_percent": entry.min_percent.data})
    return services.CertificationData(
        slug=(form.slug.data or "").strip() if "slug" in form else certification.slug,
        name=(form.name.data or "").strip(),
        description=(form.description.data or "").replace("\r\n", "\n").strip(),
        validity_months=form.validity_months.data,
        badge_svg=certification.badge_svg if certification is not None else "",
        badge_png=certification.badge_png if certification is not None else None,
        criteria={"courses": [slug for slug in form.courses.data or [] if slug], "quizzes": quizzes},
    )


def _show_problems(form: CertificationForm, problems: dict[str, list[str]]) -> None:
    fields = {"slug": form.slug if "slug" in form else form.name, "criteria": form.courses, "badge": form.badge}
    for key, messages in problems.items():
        fields[key].errors = [*fields[key].errors, *messages]


@bp.route("/<slug>/certifications/new", methods=["GET", "POST"])
@bp.route("/<slug>/certifications/<cert_slug>", methods=["GET", "POST"])
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
def edit_certification(slug: str, cert_slug: str | None = None):
    course = course_for_editing(slug)
    certification = _certification_of(course, cert_slug) if cert_slug is not None else None
    form = CertificationForm()
    if certification is not None:
        del form.slug
    options = _fill(form, course, certification)
    status = 200
    if form.is_submitted():
        valid = form.validate()
        data = _data(form, certification)
        try:
            upload = form.badge.data
            if upload and getattr(upload, "filename", ""):
                data.badge_svg, data.badge_png = studio_certifications.badge_from_upload(
                    upload.read(MAX_PNG_BADGE_BYTES + 1), upload.filename
                )
            if not valid:  # every problem at once: the shared and studio rules too, not only the fields'
                found = studio_certifications.problems(current_user, course, certification, data)
                raise studio_certifications.CertificationProblems(found)
            saved = studio_certifications.save(
                current_user, course, certification, data, version=form.version.data or None
            )
        except studio_certifications.Conflict as error:
            db.session.rollback()
            flash(str(error), "error")
            # Saving again from this form replaces the other save, now that the trainer has been told.
            form.version.data = studio_certifications.version_of(error.certification)
            status = 409
        except studio_certifications.CertificationProblems as error:
            db.session.rollback()
            _show_problems(form, error.problems)
        except NotAllowed:
            db.session.rollback()
            abort(403)
        else:
            db.session.commit()
            flash(_("Certification saved."), "success")
            return redirect(url_for("studio.certifications", slug=course.slug, _anchor=f"cert-{saved.slug}"))
    if form.errors:
        status = 422
    return render_template(
        "studio/certifications/form.html",
        course=course,
        certification=certification,
        form=form,
        options=options,
        section=SECTION,
    ), status
