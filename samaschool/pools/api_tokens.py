"""API tokens: random, shown once, stored only as a SHA-256 hash, read-only, and scoped.

A token reads only the pools it lists (by id: no wildcard, so a pool created later is never
added by itself) and only the workers' personal fields it lists (USER_FIELDS). Tokens made
before scopes existed read nothing until an admin grants it: nobody ever chose what they could
read (every token could read everything), and a partner who gets a clear 403 is better than
names and countries going on to a partner nobody meant to share them with.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from samaschool import audit
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.pools.models import ApiToken, Pool

PREFIX = "sst_"
# The workers' personal fields a token may be allowed to read, with their names on the screen.
USER_FIELDS = {"name": _l("Names"), "country": _l("Countries")}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _scope(pool_ids: Iterable[int], fields: Iterable[str]) -> tuple[list[int], list[str]]:
    """Only pools that exist and fields that are known, each once, in a stable order."""
    wanted = {int(pool_id) for pool_id in pool_ids}
    known = set(db.session.scalars(select(Pool.id).where(Pool.id.in_(wanted)))) if wanted else set()
    return sorted(known), [field for field in USER_FIELDS if field in set(fields)]


def create(actor, name: str, pool_ids: Iterable[int] = (), fields: Iterable[str] = ()) -> tuple[ApiToken, str]:
    secret = PREFIX + secrets.token_urlsafe(32)
    pools, user_fields = _scope(pool_ids, fields)
    token = ApiToken(
        name=name,
        prefix=secret[:10],
        token_hash=_digest(secret),
        created_by_id=actor.id,
        pool_ids=pools,
        user_fields=user_fields,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.created", token, after={"name": name, "pools": pools, "fields": user_fields})
    return token, secret


def set_scope(actor, token: ApiToken, pool_ids: Iterable[int], fields: Iterable[str]) -> bool:
    """Change what the token may read. Returns False when nothing changed (a replay)."""
    pools, user_fields = _scope(pool_ids, fields)
    before = {"pools": list(token.pool_ids or []), "fields": list(token.user_fields or [])}
    after = {"pools": pools, "fields": user_fields}
    if before == after:
        return False
    token.pool_ids, token.user_fields = pools, user_fields
    audit.record(actor, "api_token.scope_changed", token, before=before, after=after)
    return True


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


def may_read_pool(token: ApiToken, pool: Pool) -> bool:
    return pool.id in (token.pool_ids or [])


def may_read_field(token: ApiToken, field: str) -> bool:
    return field in (token.user_fields or [])
