from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from samaschool.catalog import services
from samaschool.catalog.forms import CatalogFilterForm
from samaschool.choices import language_name
from samaschool.extensions import db
from samaschool.forms import ActionForm
from samaschool.learning.services import course_place, next_lesson_to_read, outline_for
from samaschool.permissions import teaches

bp = Blueprint("catalog", __name__, url_prefix="/courses")


@bp.get("/")
def index():
    form = CatalogFilterForm(request.args, meta={"csrf": False})
    level = form.level.data if form.level.data in dict(form.level.choices) else ""
    language, q = form.language.data or "", form.q.data or ""
    courses = services.search_courses(level=level, language=language, q=q)
    # Unfiltered, the cards are every visible course: their languages are the filter's, no second query.
    filtered = level or language or q.strip()
    codes = services.catalog_languages() if filtered else {card.language for card in courses}
    languages = sorted((language_name(code), code) for code in codes)
    form.language.choices = [("", _("Any language"))] + [(code, name) for name, code in languages]
    return render_template("catalog/index.html", form=form, courses=courses)


def _outline_or_404(slug: str):
    course = services.get_course_outline(slug)
    if course is None:
        abort(404)
    return course


@bp.get("/<slug>")
def course(slug: str):
    if current_user.is_authenticated:
        course, enrolment, outline = course_place(slug, current_user)
        if course is None:
            abort(404)
        lessons = outline.lessons
    else:
        course, enrolment = _outline_or_404(slug), None
        lessons = services.ordered_lessons(course)
        outline = outline_for(current_user, course, lessons, enrolled=False)
    return render_template(
        "catalog/course.html",
        course=course,
        enrolment=enrolment,
        outline=outline,
        completed=outline.completed,
        progress=outline.progress,
        next_lesson=next_lesson_to_read(lessons, outline.completed, enrolment.last_lesson_id) if enrolment else None,
        # Each lesson row's time, translated once per distinct value rather than once per row.
        minutes_labels={minutes: _("%(minutes)d min", minutes=minutes) for minutes in {x.minutes for x in lessons}},
        form=ActionForm(),
        watches=teaches(current_user, course.id),  # links to the quiz statistics
    )


@bp.post("/<slug>/enrol")
@login_required
def enrol(slug: str):
    course = services.get_course_outline(slug)
    if course is None:
        abort(404)
    ActionForm().validate_on_submit() or abort(400)
    _enrolment, created = services.enrol(current_user, course)
    db.session.commit()
    if created:
        flash(_("You are enrolled in %(title)s. Start with the first lesson.", title=course.title), "success")
    else:
        flash(_("You are already enrolled in %(title)s.", title=course.title), "info")
    lessons = services.ordered_lessons(course)
    if created and lessons:
        return redirect(url_for("learning.lesson", slug=course.slug, lesson_slug=lessons[0].slug))
    return redirect(url_for("catalog.course", slug=course.slug))
