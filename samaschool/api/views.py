"""JSON API v1 for partner platforms: bearer tokens (read-only), stable error codes."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from samaschool import outage
from samaschool.api.openapi import document
from samaschool.auth.models import User
from samaschool.bookkeeping import bookkeeping
from samaschool.certification import services as certificates
from samaschool.db_types import utcnow
from samaschool.extensions import csrf, db, limiter
from samaschool.pools import api_tokens, eligibility
from samaschool.pools.models import Pool
from samaschool.web import BadNumber, int_arg

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 100
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
    if token is None or outage.database_unavailable():  # the 503 answer reads nothing more
        return response
    if token.last_used_at is None or (utcnow() - token.last_used_at).total_seconds() > 60:
        with bookkeeping():
            token.last_used_at = utcnow()
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
    """Workers who may work in the pool now, paged: the eligibility rule's query form, which a
    test keeps in agreement with the per-worker check."""
    pool = _pool_or_404(slug)
    try:
        page = int_arg("page", 1)
        per_page = int_arg("per_page", 50, maximum=MAX_PER_PAGE)
    except BadNumber as error:  # the bounds the OpenAPI document gives
        raise ApiError(400, "bad_request", error.message) from None
    result = db.paginate(eligibility.eligible_users(pool, utcnow()), page=page, per_page=per_page, error_out=False)
    return jsonify(
        pool=pool.slug,
        page=page,
        per_page=per_page,
        total=result.total,
        workers=[{"user_id": u.id, "name": u.name, "country": u.country} for u in result.items],
    )
