"""JSON API v1 for partner platforms: bearer tokens (read-only), stable error codes."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import and_, exists, or_, select

from samaschool.api.openapi import document
from samaschool.auth.models import User
from samaschool.certification import services as certificates
from samaschool.certification.models import Certificate, Certification
from samaschool.db_types import utcnow
from samaschool.extensions import csrf, db, limiter
from samaschool.pools import api_tokens, eligibility
from samaschool.pools.models import Pool, Suspension

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _token_key() -> str:
    return "api:" + (request.headers.get("Authorization", "")[-16:] or request.remote_addr or "")


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return jsonify(error={"code": error.code, "message": error.message}), error.status


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret:
        raise ApiError(401, "unauthorized", "Send an API token as 'Authorization: Bearer <token>'.")
    token = api_tokens.authenticate(secret.strip())
    if token is None:
        raise ApiError(401, "unauthorized", "That API token is unknown or revoked.")
    g.api_token = token
    return None


@bp.after_request
def _touch_token(response):
    token = g.get("api_token")
    if token is not None and (token.last_used_at is None or (utcnow() - token.last_used_at).total_seconds() > 60):
        token.last_used_at = utcnow()
        db.session.commit()
    return response


limiter.limit("120 per minute", key_func=_token_key)(bp)


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise ApiError(404, "user_not_found", "No active user has that id.")
    return user


def _pool_or_404(slug: str) -> Pool:
    pool = db.session.scalar(select(Pool).where(Pool.slug == slug, Pool.status != "draft"))
    if pool is None:
        raise ApiError(404, "pool_not_found", "No pool has that slug.")
    return pool


@bp.get("/users/<int:user_id>/certificates")
def user_certificates(user_id: int):
    user = _user_or_404(user_id)
    now = utcnow()
    return jsonify(
        user_id=user.id,
        certificates=[
            {
                "certification": c.certification.slug,
                "name": c.certification.name,
                "code": certificates.format_code(c.code),
                "status": c.status(now),
                "issued_at": c.issued_at.isoformat(),
                "expires_at": c.expires_at.isoformat() if c.expires_at else None,
                "revocation_reason": c.revocation_reason,
            }
            for c in certificates.certificates_for(user.id)
        ],
    )


@bp.get("/pools/<slug>/eligibility/<int:user_id>")
def pool_eligibility(slug: str, user_id: int):
    pool, user = _pool_or_404(slug), _user_or_404(user_id)
    check = eligibility.check(user, pool)
    return jsonify(
        pool=pool.slug,
        user_id=user.id,
        eligible=check.eligible,
        reasons=[{"code": r.code, "message": r.message} for r in check.reasons],
    )


@bp.get("/pools/<slug>/eligible-workers")
def eligible_workers(slug: str):
    """Workers who may work in the pool now, paged. The database narrows the list (certificates,
    country, suspensions); the one eligibility function has the final word on each row."""
    pool = _pool_or_404(slug)
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(100, max(1, int(request.args.get("per_page", 50))))
    except ValueError:
        raise ApiError(400, "bad_request", "page and per_page are whole numbers.") from None
    now = utcnow()
    query = select(User).where(User.is_active.is_(True)).order_by(User.id)
    for slug_required in pool.required_certifications:
        query = query.where(
            exists().where(
                Certificate.user_id == User.id,
                Certificate.certification_id
                == select(Certification.id).where(Certification.slug == slug_required).scalar_subquery(),
                Certificate.revoked_at.is_(None),
                or_(Certificate.expires_at.is_(None), Certificate.expires_at > now),
            )
        )
    if pool.countries:
        query = query.where(User.country.in_(pool.countries))
    query = query.where(
        ~exists().where(
            and_(
                Suspension.worker_id == User.id,
                Suspension.pool_id == pool.id,
                Suspension.lifted_at.is_(None),
                Suspension.ends_at > now,
            )
        )
    )
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    workers = [u for u in result.items if eligibility.check(u, pool, now).eligible] if pool.status == "open" else []
    return jsonify(
        pool=pool.slug,
        page=page,
        per_page=per_page,
        total=result.total if pool.status == "open" else 0,
        workers=[{"user_id": u.id, "name": u.name, "country": u.country} for u in workers],
    )
