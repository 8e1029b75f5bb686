from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from samaschool.catalog.services import visible_courses_by_slug
from samaschool.certification import documents, keys, services
from samaschool.certification.credentials import Verification, issuer_profile, verify_jwt
from samaschool.certification.forms import VerifyForm
from samaschool.certification.models import OPAQUE_ID_PREFIX, Certificate, Certification
from samaschool.db_types import utcnow
from samaschool.extensions import csrf, db, limiter
from samaschool.formatting import format_date
from samaschool.permissions import Role
from samaschool.web import public_url

bp = Blueprint("certification", __name__)


def _own_certificate(code: str) -> Certificate:
    """The certificate behind this code if it is the user's own (admins may see any)."""
    certificate = services.get_by_code(code)
    if certificate is None or (certificate.user_id != current_user.id and current_user.role != Role.ADMIN):
        abort(404)
    return certificate


def _verify_url(certificate: Certificate) -> str:
    return public_url("certification.verify_code", code=services.format_code(certificate.code))


@bp.get("/certificates")
@login_required
def mine():
    now = utcnow()
    certificates = services.certificates_for(current_user.id)
    held = {c.certification_id for c in certificates}
    unheld = [
        certification
        for certification in db.session.scalars(services.live_certifications().order_by(Certification.name))
        if certification.id not in held
    ]
    statuses = services.criteria_statuses(current_user.id, unheld)
    return render_template(
        "certification/mine.html",
        certificates=certificates,
        notices=services.expiry_notices(current_user.id, now, certificates=certificates),
        earnable=[(certification, statuses[certification.id]) for certification in unheld],
        now=now,
        format_code=services.format_code,
    )


@bp.get("/certificates/<code>")
@login_required
def certificate(code: str):
    certificate = _own_certificate(code)
    verify_url = _verify_url(certificate)
    return render_template(
        "certification/certificate.html",
        certificate=certificate,
        status=certificate.status(utcnow()),
        code=services.format_code(certificate.code),
        verify_url=verify_url,
        qr=documents.qr_svg(verify_url),
    )


def _download(body, mimetype: str, filename: str):
    return (
        body,
        200,
        {
            "Content-Type": mimetype,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/certificates/<code>/certificate.pdf")
@login_required
def pdf(code: str):
    certificate = _own_certificate(code)
    facts = documents.CertificateFacts(
        holder_name=certificate.holder_name,
        certification_name=certificate.certification.name,
        description=certificate.certification.description,
        issued_on=format_date(certificate.issued_at, "long"),
        expires_on=format_date(certificate.expires_at, "long") if certificate.expires_at else None,
        verification_code=services.format_code(certificate.code),
        verify_url=_verify_url(certificate),
        issuer_name=issuer_profile()["name"],
    )
    return _download(documents.certificate_pdf(facts), "application/pdf", f"certificate-{certificate.code}.pdf")


@bp.get("/certificates/<code>/credential.jwt")
@login_required
def credential_jwt(code: str):
    certificate = _own_certificate(code)
    return _download(certificate.credential_jwt, "application/jwt", f"credential-{certificate.code}.jwt")


@bp.get("/certificates/<code>/badge.svg")
@login_required
def baked_badge(code: str):
    certificate = _own_certificate(code)
    badge = certificate.certification.badge_svg or documents.DEFAULT_BADGE_SVG
    baked = documents.bake_svg(badge, certificate.credential_jwt)
    return _download(baked, "image/svg+xml", f"badge-{certificate.code}.svg")


@bp.get("/certificates/<code>/badge.png")
@login_required
def baked_badge_png(code: str):
    """The PNG badge with the credential baked in (Open Badges 3.0: an `openbadgecredential`
    iTXt chunk), for certifications whose badge is a PNG."""
    certificate = _own_certificate(code)
    badge = certificate.certification.badge_png
    if not badge:
        abort(404)
    baked = documents.bake_png(badge, certificate.credential_jwt)
    return _download(baked, "image/png", f"badge-{certificate.code}.png")


@bp.get("/certifications/<slug>")
def certification(slug: str):
    certification = db.session.scalar(services.live_certifications().where(Certification.slug == slug))
    if certification is None:
        abort(404)
    criteria = certification.criteria or {}
    slugs = [*criteria.get("courses", []), *(rule.get("course") for rule in criteria.get("quizzes", []))]
    return render_template(
        "certification/certification.html",
        certification=certification,
        courses=visible_courses_by_slug(slug for slug in slugs if isinstance(slug, str)),
    )


@bp.get("/certifications/<slug>/badge.svg")
def badge(slug: str):
    certification = db.session.scalar(select(Certification).where(Certification.slug == slug))
    if certification is not None and certification.badge_png:
        # Credentials name the badge image by its address: those issued while it was an SVG still find it.
        return redirect(url_for("certification.badge_png", slug=slug))
    if certification is None or not certification.badge_svg:
        abort(404)
    # A badge is data, never a document: no scripts even if one slipped past the checks.
    return (
        certification.badge_svg,
        200,
        {
            "Content-Type": "image/svg+xml",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            "Cache-Control": "public, max-age=3600",
        },
    )


@bp.get("/certifications/<slug>/badge.png")
def badge_png(slug: str):
    certification = db.session.scalar(select(Certification).where(Certification.slug == slug))
    if certification is not None and not certification.badge_png and certification.badge_svg:
        return redirect(url_for("certification.badge", slug=slug))  # as above, the other way round
    if certification is None or not certification.badge_png:
        abort(404)
    return (
        certification.badge_png,
        200,
        {
            "Content-Type": "image/png",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "public, max-age=3600",
        },
    )


def _may_read_reason(certificate: Certificate) -> bool:
    """A revocation's reason is for the holder and admins; anyone else learns only the date."""
    return current_user.is_authenticated and (current_user.id == certificate.user_id or current_user.role == Role.ADMIN)


def _status_answer(certificate: Certificate | None, code: str) -> dict:
    if certificate is None:
        return {"status": "unknown", "code": code}
    now = utcnow()
    answer = {
        "status": certificate.status(now),
        "code": services.format_code(certificate.code),
        "certification": certificate.certification.name,
        "holder": certificate.holder_name,
        "issued": certificate.issued_at.date().isoformat(),
        "expires": certificate.expires_at.date().isoformat() if certificate.expires_at else None,
        "credential": certificate.credential_id,
    }
    if certificate.revoked_at is not None:
        answer["revoked"] = certificate.revoked_at.date().isoformat()
        if _may_read_reason(certificate):
            answer["revocation_reason"] = certificate.revocation_reason
    return answer


@bp.get("/verify/<code>")
@limiter.limit("120 per minute")
def verify_code(code: str):
    certificate = services.get_by_code(code)
    answer = _status_answer(certificate, code)
    if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
        return jsonify(answer), 200 if certificate else 404
    # No form on this page (it links to the form): a form would start a session, with a cookie,
    # for every anonymous verifier.
    return render_template("certification/verify_code.html", answer=answer), 200 if certificate else 404


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def verify():
    if request.method == "GET" and (typed := request.args.get("code", "").strip()):
        return redirect(url_for("certification.verify_code", code=typed))
    form = VerifyForm()
    result: Verification | None = None
    if form.validate_on_submit():
        token = (form.credential.data or "").strip()
        if form.badge.data:
            token = documents.extract_credential(form.badge.data.read()) or ""
            if not token:
                form.badge.errors.append(_("No Open Badges credential was found in that file."))
        if token:
            result = verify_jwt(token, now=utcnow(), lookup=services.get_by_credential_id)
        elif not form.badge.errors:
            form.credential.errors.append(_("Paste a credential or choose a badge file."))
    status = 422 if form.errors else 200
    return render_template("certification/verify.html", form=form, result=result), status


@bp.post("/verify.json")
@csrf.exempt  # a read-only check for machines: it changes nothing, so there is nothing to forge
@limiter.limit("60 per minute")
def verify_json():
    token = ""
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the parser goes: not a credential either
            body = None
        if body is not None and not isinstance(body, dict):
            return jsonify(valid=False, error="bad_request", message='Send a JSON object: {"credential": "..."}.'), 400
        credential = (body or {}).get("credential", "")
        token = credential if isinstance(credential, str) else ""
    elif "badge" in request.files:
        token = documents.extract_credential(request.files["badge"].read()) or ""
    else:
        token = request.form.get("credential", "")
    if not token.strip():
        return jsonify(
            valid=False, error="no_credential", message="Send a VC-JWT as 'credential' or a baked badge."
        ), 400
    result = verify_jwt(token, now=utcnow(), lookup=services.get_by_credential_id)
    return jsonify(
        valid=result.ok,
        checks=[{"check": c.name, "passed": c.ok, "detail": c.detail} for c in result.checks],
        code=result.code,
    )


@bp.get("/.well-known/jwks.json")
def jwks():
    return jsonify(keys.jwks()), 200, {"Cache-Control": "public, max-age=300"}


@bp.get("/issuer")
def issuer():
    return jsonify({"@context": ["https://www.w3.org/ns/credentials/v2"], **issuer_profile()})


@bp.get("/credentials/revocations")
def revocations():
    """The 1EdTech revocation list named by every credential's credentialStatus: the opaque ids
    of revoked credentials, in an order that says nothing about when they were issued, and no
    reasons. Credentials signed before ids were opaque are named after their verification code,
    which would lead to the holder's name: they are left out, and their revocation shows where
    their own id leads (/credentials/<code>) and on every verification."""
    revoked = db.session.scalars(
        select(Certificate.credential_id)
        .where(Certificate.revoked_at.is_not(None), Certificate.credential_id.startswith(OPAQUE_ID_PREFIX))
        .order_by(Certificate.credential_id)
    )
    return jsonify(
        {
            "id": public_url("certification.revocations"),
            "issuer": issuer_profile()["id"],
            "revokedCredentials": [{"id": credential_id} for credential_id in revoked],
        }
    )


@bp.get("/credentials/<code>")
def credential(code: str):
    return verify_code(code)


NOTICE_PAGES = {"learning.dashboard", "assessments.review", "catalog.course"}


@bp.app_context_processor
def certificate_notices():
    """On the dashboard, a quiz result and a course page: certificates just earned and expiry
    warnings. A context processor, because learning and assessments cannot import certification."""
    if request.endpoint not in NOTICE_PAGES or not current_user.is_authenticated:
        return {}
    now = utcnow()
    held = services.certificates_for(current_user.id)
    notices = [
        (c, c.status(now), services.format_code(c.code))
        for c in services.expiry_notices(current_user.id, now, certificates=held)
    ]
    recent = [
        (c, services.format_code(c.code))
        for c in held
        if c.revoked_at is None and now - c.issued_at < timedelta(hours=1)
    ]
    # All of them too, for the pools they unlock (pools.services.unlocked_pools): not loaded twice.
    return {"certificate_notices": notices, "new_certificates": recent, "held_certificates": held}
