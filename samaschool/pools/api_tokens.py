"""API tokens: random, shown once, stored only as a SHA-256 hash, read-only scope."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from samaschool import audit
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.pools.models import ApiToken

PREFIX = "sst_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(actor, name: str) -> tuple[ApiToken, str]:
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=secret[:10], token_hash=_digest(secret), created_by_id=actor.id)
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.created", token, after={"name": name})
    return token, secret


def revoke(actor, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(actor, "api_token.revoked", token)


def authenticate(secret: str) -> ApiToken | None:
    if not secret.startswith(PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    return token
