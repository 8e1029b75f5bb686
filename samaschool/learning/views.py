from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from samaschool.auth import payout_accounts
from samaschool.auth import services as auth
from samaschool.bookkeeping import bookkeeping
from samaschool.catalog import services as catalog
from samaschool.extensions import db
from samaschool.forms import ActionForm
from samaschool.learning import services

bp = Blueprint("learning", __name__)


@bp.get("/dashboard")
@login_required
def dashboard():
    return render_template(
        "learning/dashboard.html",
        items=services.dashboard(current_user),
        # Notices about the account: who made a reset link for it, and payout-account changes.
        reset_links=auth.reset_links_made_for(current_user),
        payout_changes=payout_accounts.notices_for(current_user),
        mask=payout_accounts.mask,
    )


def _course_and_lesson(slug: str, lesson_slug: str, course=None):
    """The visible course (`course`, if already loaded), its lessons in reading order, and the
    lesson's place; or 404."""
    course = course or catalog.get_course_outline(slug)
    if course is None:
        abort(404)
    lessons = catalog.ordered_lessons(course)
    index = next((i for i, item in enumerate(lessons) if item.slug == lesson_slug), None)
    if index is None:
        abort(404)
    return course, lessons, index


@bp.get("/courses/<slug>/lessons/<lesson_slug>")
@login_required
def lesson(slug: str, lesson_slug: str):
    course, enrolment, outline = services.course_place(slug, current_user)
    if course is None:
        abort(404)
    course, lessons, index = _course_and_lesson(slug, lesson_slug, course)
    current = lessons[index]
    if enrolment is None:
        flash(_("Enrol in this course to read its lessons and keep your progress."), "info")
        return redirect(url_for("catalog.course", slug=slug))
    # Rendered before the commit, so the loaded course is not expired and reloaded.
    page = render_template(
        "learning/lesson.html",
        course=course,
        lesson=current,
        module=next(m for m in course.modules if m.id == current.module_id),
        previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None,
        position=index + 1,
        total=len(lessons),
        is_complete=current.id in outline.completed,
        progress=outline.progress,
        module_quiz=outline.quizzes_by_module.get(current.module_id),
        last_in_module=index + 1 == len(lessons) or lessons[index + 1].module_id != current.module_id,
        form=ActionForm(),
    )
    if services.visit_due(enrolment, current):  # else no bookkeeping transaction at all
        with bookkeeping():
            services.record_visit(enrolment, current)
    return page


@bp.post("/courses/<slug>/lessons/<lesson_slug>/complete")
@login_required
def complete(slug: str, lesson_slug: str):
    course, lessons, index = _course_and_lesson(slug, lesson_slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    enrolment = catalog.find_enrolment(current_user, course)
    if enrolment is None:
        flash(_("Enrol in this course to keep your progress."), "info")
        return redirect(url_for("catalog.course", slug=slug))
    services.mark_complete(current_user, lessons[index])
    db.session.commit()
    last_in_module = index + 1 == len(lessons) or lessons[index + 1].module_id != lessons[index].module_id
    quiz = services.module_quiz(course, lessons[index].module_id) if last_in_module else None
    if quiz is not None:
        flash(_("Lesson complete. Check what you learned in this module's quiz."), "success")
        return redirect(url_for("assessments.quiz", slug=slug, key=quiz.key))
    if index + 1 < len(lessons):
        flash(_("Lesson complete. On to the next one."), "success")
        return redirect(url_for("learning.lesson", slug=slug, lesson_slug=lessons[index + 1].slug))
    flash(_("Lesson complete. You have reached the end of the course."), "success")
    return redirect(url_for("catalog.course", slug=slug))
