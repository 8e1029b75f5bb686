"""JSON API v1 for partner platforms: bearer tokens (read-only, scoped to pools and fields),
stable error codes. Users are named by their public id (`usr_…`); row ids still work until
the next release, marked deprecated in the OpenAPI document."""

from __future__ import annotations

import re

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
from samaschool.web import BadNumber, int_arg, parse_int

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 100
PUBLIC_ID = re.compile(r"usr_[0-9a-hjkmnp-tv-z]{16}")
csrf.exempt(bp)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _token_key() -> str:
    return "api:" + (request.headers.get("Authorization", "")[-16:] or request.remote_addr or "")


def _address_key() -> str:
    return "api-unknown-token:" + (request.remote_addr or "")


def _sent_unknown_token(_response) -> bool:
    return bool(g.get("api_token_unknown"))


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
        g.api_token_unknown = True  # counts against the address (the limit below)
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
# Unknown or revoked tokens, per address: an address that keeps trying tokens (each one would
# otherwise get a fresh limit above) is answered 429 for a while, before any token is looked up.
limiter.limit("10 per minute;60 per hour", key_func=_address_key, deduct_when=_sent_unknown_token)(bp)


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


def _user_or_404(user_id: str) -> User:
    """The user a path names: by public id, or (deprecated, until the next release) by row id."""
    if PUBLIC_ID.fullmatch(user_id):
        user = db.session.scalar(select(User).where(User.public_id == user_id))
    elif user_id.isascii() and user_id.isdigit() and (row_id := parse_int(user_id)) is not None:
        user = db.session.get(User, row_id)
    else:  # neither form: as for any URL that names nothing
        raise ApiError(404, "not_found", "Name a user by their public id (usr_…).")
    if user is None or not user.is_active:
        raise ApiError(404, "user_not_found", "No active user has that id.")
    return user


def _user_ids(user: User) -> dict:
    """How answers name a user: `user`, the public id; `user_id`, the row id, until the next release."""
    return {"user": user.public_id, "user_id": user.id}


def _pool_or_404(slug: str) -> Pool:
    pool = db.session.scalar(select(Pool).where(Pool.slug == slug, Pool.status != "draft"))
    if pool is None:
        raise ApiError(404, "pool_not_found", "No pool has that slug.")
    if not api_tokens.may_read_pool(g.api_token, pool):
        raise ApiError(403, "forbidden", "This token may not read this pool; an admin can allow it.")
    return pool


@bp.get("/users/<user_id>/certificates")
def user_certificates(user_id: str):
    user = _user_or_404(user_id)
    now = utcnow()
    return jsonify(
        **_user_ids(user),
        certificates=[
            {
                "certification": c.certification.slug,
                "name": c.certification.name,
                "code": certificates.format_code(c.code),
                "status": c.status(now),
                "issued_at": c.issued_at.isoformat(),
                "expires_at": c.expires_at.isoformat() if c.expires_at else None,
                "revocation_reason": None,  # only the holder and admins see it
            }
            for c in certificates.certificates_for(user.id)
        ],
    )


@bp.get("/pools/<slug>/eligibility/<user_id>")
def pool_eligibility(slug: str, user_id: str):
    pool, user = _pool_or_404(slug), _user_or_404(user_id)
    check = eligibility.check(user, pool)
    return jsonify(
        pool=pool.slug,
        **_user_ids(user),
        eligible=check.eligible,
        reasons=[{"code": r.code, "message": r.public_message or r.message} for r in check.reasons],
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
    fields = [field for field in ("name", "country") if api_tokens.may_read_field(g.api_token, field)]
    return jsonify(
        pool=pool.slug,
        page=page,
        per_page=per_page,
        total=result.total,
        workers=[_user_ids(u) | {field: getattr(u, field) for field in fields} for u in result.items],
    )
