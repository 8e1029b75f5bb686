"""Admin pages for certificates and certifications (registered on the admin blueprint's URL space)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from samaschool.assessments.models import Quiz
from samaschool.catalog.models import Course
from samaschool.certification import services
from samaschool.certification.forms import CertificateFilterForm, CertificationForm, RevokeForm
from samaschool.certification.models import Certificate, Certification
from samaschool.db_types import utcnow
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.forms import ActionForm
from samaschool.permissions import Role, role_required
from samaschool.web import page_arg

bp = Blueprint("certification_admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def _admins_only():
    return None


def _date(text: str | None) -> datetime | None:
    try:
        return datetime.strptime((text or "").strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


@bp.get("/certificates")
def certificates():
    form = CertificateFilterForm(request.args, meta={"csrf": False})
    certifications = list(db.session.scalars(select(Certification).order_by(Certification.name)))
    form.certification.choices = [("", _("All certifications"))] + [(c.slug, c.name) for c in certifications]
    query = (
        select(Certificate)
        .join(Certification)
        .options(selectinload(Certificate.user))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    if form.certification.data:
        query = query.where(Certification.slug == form.certification.data)
    now = utcnow()
    status = form.status.data
    if status == "revoked":
        query = query.where(Certificate.revoked_at.is_not(None))
    elif status == "expired":
        query = query.where(Certificate.revoked_at.is_(None), Certificate.expires_at <= now)
    elif status == "valid":
        query = query.where(
            Certificate.revoked_at.is_(None), or_(Certificate.expires_at.is_(None), Certificate.expires_at > now)
        )
    if issued_from := _date(form.issued_from.data):
        query = query.where(Certificate.issued_at >= issued_from)
    elif form.issued_from.data:
        form.issued_from.errors = [_("Use the form YYYY-MM-DD.")]
    if issued_to := _date(form.issued_to.data):
        query = query.where(Certificate.issued_at < issued_to + timedelta(days=1))
    elif form.issued_to.data:
        form.issued_to.errors = [_("Use the form YYYY-MM-DD.")]
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    return render_template(
        "certification/admin_certificates.html",
        form=form,
        page=page,
        now=now,
        format_code=services.format_code,
        revoke_form=RevokeForm(),
        action_form=ActionForm(),
    )


def _certificate_or_404(certificate_id: int) -> Certificate:
    certificate = db.get_or_404(Certificate, certificate_id)
    return certificate


@bp.post("/certificates/<int:certificate_id>/revoke")
def revoke(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Give a reason to revoke a certificate."), "error")
    else:
        try:
            services.revoke(current_user, certificate, form.reason.data)
        except DomainError as error:
            flash(str(error), "info")
        else:
            db.session.commit()
            flash(_("Certificate revoked. The learner sees the reason."), "success")
    return redirect(request.referrer if _same_site(request.referrer) else url_for(".certificates"))


@bp.post("/certificates/<int:certificate_id>/reissue")
def reissue(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.reissue_credential(current_user, certificate)
    db.session.commit()
    flash(_("The credential was signed again with the current key."), "success")
    return redirect(request.referrer if _same_site(request.referrer) else url_for(".certificates"))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


@bp.get("/certifications")
def certifications():
    items = list(
        db.session.scalars(select(Certification).order_by(Certification.archived_at.is_not(None), Certification.name))
    )
    return render_template("certification/admin_certifications.html", items=items)


def _fill_choices(form: CertificationForm) -> None:
    form.courses.choices = [(c.slug, c.title) for c in db.session.scalars(select(Course).order_by(Course.title))]
    rows = db.session.execute(
        select(Course.slug, Course.title, Quiz.key, Quiz.title).join(Quiz, Quiz.course_id == Course.id)
    )
    form.quiz.choices = [("", _("None"))] + [(f"{cs}/{qk}", f"{ct}: {qt}") for cs, ct, qk, qt in rows]


@bp.route("/certifications/new", methods=["GET", "POST"])
@bp.route("/certifications/<int:certification_id>/edit", methods=["GET", "POST"])
def edit_certification(certification_id: int | None = None):
    certification = db.session.get(Certification, certification_id) if certification_id else None
    if certification_id and certification is None:
        abort(404)
    form = CertificationForm(obj=certification)
    _fill_choices(form)
    if request.method == "GET" and certification is not None:
        form.courses.data = certification.criteria.get("courses", [])
        quizzes = certification.criteria.get("quizzes", [])
        if quizzes:
            form.quiz.data = f"{quizzes[0]['course']}/{quizzes[0]['quiz']}"
            form.min_percent.data = quizzes[0]["min_percent"]
    if form.validate_on_submit():
        data = _certification_data(form, certification)
        _validate_certification(form, certification, data)
        if not form.errors:
            services.save_certification(current_user, certification, data)
            db.session.commit()
            flash(_("Certification saved."), "success")
            return redirect(url_for(".certifications"))
    status = 422 if form.errors else 200
    return render_template(
        "certification/admin_certification_form.html", form=form, certification=certification
    ), status


def _certification_data(form: CertificationForm, certification: Certification | None) -> services.CertificationData:
    quiz_rules = []
    if form.quiz.data and "/" in form.quiz.data:
        course, quiz = form.quiz.data.split("/", 1)
        quiz_rules.append({"course": course, "quiz": quiz, "min_percent": form.min_percent.data or 0})
    return services.CertificationData(
        slug=form.slug.data,
        name=form.name.data,
        description=form.description.data,
        validity_months=form.validity_months.data,
        badge_svg=form.badge_svg.data or "",
        criteria={"courses": list(form.courses.data or []), "quizzes": quiz_rules},
        # This form edits SVG code only: without any, a PNG badge uploaded in the studio stays.
        badge_png=certification.badge_png if certification is not None and not form.badge_svg.data else None,
    )


def _validate_certification(
    form: CertificationForm, certification: Certification | None, data: services.CertificationData
) -> None:
    problems = services.certification_problems(data, certification)
    form.slug.errors.extend(problems.get("slug", []))
    form.courses.errors.extend(problems.get("criteria", []))
    form.badge_svg.errors.extend(problems.get("badge", []))
    if form.quiz.data and form.min_percent.data is None:
        form.min_percent.errors.append(_("Give the minimum score for the quiz."))
    valid_courses = {value for value, _label in form.courses.choices}
    if any(c not in valid_courses for c in form.courses.data or []):
        form.courses.errors.append(_("Choose courses from the list."))
    if form.quiz.data and form.quiz.data not in {value for value, _label in form.quiz.choices}:
        form.quiz.errors.append(_("Choose a quiz from the list."))
