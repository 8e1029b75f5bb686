from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user, login_required

from samaschool import formatting
from samaschool.assessments import services
from samaschool.assessments.question_types import REGISTRY
from samaschool.assessments.statistics import quiz_statistics
from samaschool.catalog import services as catalog
from samaschool.catalog.models import Course
from samaschool.db_types import utcnow
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.forms import ActionForm
from samaschool.permissions import Role, role_required, teaches

bp = Blueprint("assessments", __name__)


def opens_text(available_at: datetime, now: datetime | None = None) -> str:
    """When the next attempt may start, in the learner's time zone and format: "at 14:05
    tomorrow" (or today, or on a later date)."""
    now = now or utcnow()
    day, today = to_user_timezone(available_at).date(), to_user_timezone(now).date()
    time = formatting.format_time(available_at, "short")
    if day == today:
        return _("You can start another attempt at %(time)s today.", time=time)
    if day == today + timedelta(days=1):
        return _("You can start another attempt at %(time)s tomorrow.", time=time)
    return _(
        "You can start another attempt on %(date)s at %(time)s.", date=formatting.format_date(available_at), time=time
    )


def _course_and_quiz(slug: str, key: str):
    course = catalog.get_course_outline(slug)
    quiz = services.get_quiz(course, key) if course else None
    if quiz is None:
        abort(404)
    return course, quiz


@bp.get("/courses/<slug>/quizzes/<key>")
@login_required
def quiz(slug: str, key: str):
    course, quiz = _course_and_quiz(slug, key)
    enrolment = catalog.find_enrolment(current_user, course)
    status = services.quiz_status(current_user, quiz)
    page = render_template(
        "assessments/quiz.html",
        course=course,
        quiz=quiz,
        status=status,
        enrolled=enrolment is not None,
        question_count=len(quiz.question_keys) or sum(rule["count"] for rule in quiz.draw_rules),
        sections=services.quiz_sections(quiz),
        opens=opens_text(status.available_at) if status.daily_limit else "",
        form=ActionForm(),
    )
    db.session.commit()  # an attempt whose time ran out was closed and graded just now
    return page


@bp.post("/courses/<slug>/quizzes/<key>/start")
@login_required
def start(slug: str, key: str):
    course, quiz = _course_and_quiz(slug, key)
    if not ActionForm().validate_on_submit():
        abort(400)
    if catalog.find_enrolment(current_user, course) is None:
        flash(_("Enrol in this course to take its quizzes."), "info")
        return redirect(url_for("catalog.course", slug=slug))
    try:
        attempt = services.start_attempt(current_user, quiz)
    except DomainError as error:
        db.session.commit()
        flash(str(error), "error")
        return redirect(url_for("assessments.quiz", slug=slug, key=key))
    db.session.commit()
    return redirect(url_for("assessments.attempt", attempt_id=attempt.id, page=attempt.last_page))


def _own_attempt(attempt_id: int):
    attempt = services.get_attempt_for(current_user, attempt_id)
    if attempt is None:
        abort(404)
    return attempt


def _page_number(attempt, raw) -> int:
    try:
        page = int(raw)
    except (TypeError, ValueError):
        page = attempt.last_page
    return min(max(1, page), services.page_count(attempt))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if services.close_if_expired(attempt, utcnow()):
        db.session.commit()
        flash(_("Time ran out. Your attempt was graded on the answers saved in time."), "info")
    if attempt.state != "in_progress":
        return redirect(url_for("assessments.review", attempt_id=attempt.id))
    page = _page_number(attempt, request.args.get("page"))
    return _attempt_page(attempt, page, errors={})


def _attempt_page(attempt, page: int, errors: dict, status: int = 200):
    course = db.session.get(Course, attempt.quiz.course_id)
    questions = services.page_questions(attempt, page)
    return (
        render_template(
            "assessments/attempt.html",
            attempt=attempt,
            quiz=attempt.quiz,
            course=course,
            page=page,
            pages=services.page_count(attempt),
            questions=questions,
            media=services.question_media([aq.question for aq in questions]),
            errors=errors,
            values=_shown_values(attempt, page),
            registry=REGISTRY,
            form=ActionForm(),
        ),
        status,
    )


def _shown_values(attempt, page: int) -> dict[int, dict[str, list[str]]]:
    """What each field shows: what was just typed (after an error), else what was saved."""
    values = {}
    for aq in services.page_questions(attempt, page):
        prefix = f"q{aq.id}"
        if request.method == "POST":
            values[aq.id] = {k: request.form.getlist(k) for k in request.form if k.split("-")[0] == prefix}
        else:
            values[aq.id] = REGISTRY[aq.question.type].form_values(prefix, aq.response)
    return values


@bp.post("/attempts/<int:attempt_id>")
@login_required
def save(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    page = _page_number(attempt, request.form.get("page"))
    action = request.form.get("action", "save")
    try:
        errors = services.save_page(attempt, request.form, page)
    except services.AttemptClosed as error:
        db.session.commit()
        flash(str(error), "info")
        return redirect(url_for("assessments.review", attempt_id=attempt.id))
    if errors:
        db.session.rollback()
        attempt = _own_attempt(attempt_id)
        return _attempt_page(attempt, page, errors, 422)
    if action == "finish":
        services.submit_attempt(attempt)
        db.session.commit()
        return redirect(url_for("assessments.review", attempt_id=attempt_id))
    if action == "review":  # Enter on the last page: saved, then the check before submitting
        db.session.commit()
        return redirect(url_for("assessments.confirm", attempt_id=attempt_id))
    target = {"next": page + 1, "previous": page - 1}.get(action, page)
    target = min(max(1, target), services.page_count(attempt))
    attempt.last_page = target
    # Everything the response needs is taken before the commit, which expires the loaded rows:
    # after it, the attempt and the user (for the language of the message) would be read again.
    saved = _("Your answers are saved.") if action == "save" else None
    location = url_for("assessments.attempt", attempt_id=attempt_id, page=target)
    db.session.commit()
    if saved:
        flash(saved, "success")
    return redirect(location)


@bp.get("/attempts/<int:attempt_id>/submit")
@login_required
def confirm(attempt_id: int):
    """The step before submitting: which questions are still unanswered, and the submit button."""
    attempt = _own_attempt(attempt_id)
    if attempt.state != "in_progress" or services.is_past_deadline(attempt, utcnow()):
        return redirect(url_for("assessments.attempt", attempt_id=attempt.id))
    course = db.session.get(Course, attempt.quiz.course_id)
    return render_template(
        "assessments/confirm.html",
        attempt=attempt,
        quiz=attempt.quiz,
        course=course,
        pages=services.page_count(attempt),
        unanswered=services.unanswered(attempt),
        form=ActionForm(),
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.submit_attempt(attempt)  # a replay changes nothing: the attempt is already submitted
    db.session.commit()
    return redirect(url_for("assessments.review", attempt_id=attempt_id))


@bp.get("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if attempt.state == "in_progress":
        return redirect(url_for("assessments.attempt", attempt_id=attempt.id))
    status = services.quiz_status(current_user, attempt.quiz)
    course = db.session.get(Course, attempt.quiz.course_id)
    return render_template(
        "assessments/review.html",
        attempt=attempt,
        quiz=attempt.quiz,
        course=course,
        status=status,
        next_step=services.next_step_after(attempt.quiz, course) if attempt.passed else None,
        level=services.review_level(attempt, status),
        opens=opens_text(status.available_at) if status.daily_limit else "",
        failed_sections=services.failed_sections(attempt),
        lessons=services.lessons_assessed(course, [aq.question for aq in attempt.questions]),
        media=services.question_media([aq.question for aq in attempt.questions]),
        registry=REGISTRY,
        form=ActionForm(),
    )


@bp.get("/courses/<slug>/quizzes/<key>/statistics")
@role_required(Role.TRAINER, Role.ADMIN)
def statistics(slug: str, key: str):
    course, quiz = _course_and_quiz(slug, key)
    if not teaches(current_user, course.id):  # a trainer watches only the courses they own or co-train
        abort(403)
    return render_template("assessments/statistics.html", course=course, quiz=quiz, stats=quiz_statistics(quiz))
