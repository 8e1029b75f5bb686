"""When the database cannot be reached: answer 503 with a page that needs no database, in the
user's language when the session cookie says it, and log one short line instead of a traceback.

Recovery needs nothing from here: the engine's `pool_pre_ping` replaces dead connections on the
next request once the database is back.
"""

from __future__ import annotations

import contextlib
import logging

from flask import g, request, session
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from samaschool.extensions import db, login_manager

RETRY_AFTER_SECONDS = 30
LANGUAGE_KEY = "lang"
"""The session key holding the signed-in user's interface language, so that the outage page,
rendered without the database, still speaks it."""

log = logging.getLogger("samaschool.database")


def is_unavailable(error: BaseException) -> bool:
    """The database is down, unreachable, or dropped the connection (not a bug in a query)."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def is_connection_failure(error: DBAPIError) -> bool:
    """Could not connect (no statement was running), or the connection died under a statement."""
    return error.statement is None or error.connection_invalidated


def database_unavailable() -> bool:
    """True once this request has met an unreachable database: from then on, nothing reads it."""
    return bool(g.get("database_unavailable"))


def mark_unavailable() -> None:
    g.database_unavailable = True


def stop_using_the_database() -> None:
    """For the rest of the request: end the session's transaction, and make the user anonymous
    for the page so that neither the menu, the locale selector nor any context processor loads
    them from the database."""
    mark_unavailable()
    g.database_released = True
    with contextlib.suppress(Exception):  # the connection is gone; the pool replaces it later
        db.session.rollback()
    g._login_user = login_manager.anonymous_user()  # what Flask-Login's current_user reads


def released() -> bool:
    """True once `stop_using_the_database` ran: a page failing after that is not the outage's."""
    return bool(g.get("database_released"))


def remembered_language() -> str | None:
    """The signed-in user's language as the session cookie remembers it (None when logged out)."""
    return session.get(LANGUAGE_KEY) if "_user_id" in session else None


def remember_language(language: str) -> None:
    if session.get(LANGUAGE_KEY) != language:
        session[LANGUAGE_KEY] = language


def log_failure(error: DBAPIError) -> None:
    """One short line per failed request; a traceback only when it was not the connection."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    summary = f"{type(error.orig or error).__name__}: {reason[0][:200] if reason else ''}"
    message = "database unavailable, answered 503: %s %s (%s)"
    if is_connection_failure(error):
        log.error(message, request.method, request.path, summary)
    else:
        log.error(message, request.method, request.path, summary, exc_info=error)
