"""Home page, and the health checks a load balancer asks: /healthz (liveness) and /readyz
(readiness: the database answers, its migrations are at this code's head or a newer release's,
Redis answers)."""

from __future__ import annotations

import functools
import logging
import threading

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from samaschool.catalog.services import search_courses
from samaschool.extensions import db, limiter

log = logging.getLogger(__name__)
READY_TIMEOUT_SECONDS = 2
_probe_lock = threading.Lock()

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    return render_template("home.html", courses=search_courses())


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """200 when this instance can serve: the database answers `SELECT 1` within a couple of
        seconds, its `alembic_version` is the head of this code's migrations (or a revision this code does
    not know: a newer release migrated it, and its migrations only add), and Redis (when
        SAMASCHOOL_REDIS_URL is set) answers PING; else 503 naming what failed. Every answer is
        checked afresh (never cached), on a connection of its own, so it recovers by itself."""
    checks = {"database": "ok", "migrations": "ok"}
    try:
        revisions = _database_revisions()
    except Exception as error:  # whatever the driver raises: unreachable, timed out, refused
        checks["database"], checks["migrations"] = "unreachable", "unknown"
        log.warning("readyz: database unreachable: %s", _first_line(error))
    else:
        heads, known = _migration_heads(current_app.extensions["migrate"].directory)
        if revisions is None:
            checks["migrations"] = "missing"
        elif revisions != heads and revisions <= known:
            checks["migrations"] = "not at head"  # migrations are waiting: this code needs them
            log.warning("readyz: database at %s, this code at %s", sorted(revisions), sorted(heads))
        elif revisions != heads:
            # A newer release ran `database upgrade` before replacing this instance: its migrations
            # keep the old code working (they only add), so this instance serves until it is replaced.
            checks["migrations"] = "ahead"
    if redis_url := current_app.config.get("SAMASCHOOL_REDIS_URL"):
        checks["redis"] = "ok"
        try:
            _ping_redis(redis_url)
        except Exception as error:
            checks["redis"] = "unreachable"
            log.warning("readyz: redis unreachable: %s", _first_line(error))
    failed = [name for name, state in checks.items() if state not in {"ok", "ahead"}]
    body = {"status": "error" if failed else "ok", **checks}
    if failed:
        body["failed"] = failed
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def _first_line(error: BaseException) -> str:
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:200] if lines else ''}"


def _probe_engine() -> Engine:
    """The app's database, on connections opened for each probe (never the pages' pool, so a
    full pool or a dead pooled connection says nothing wrong here) with a short connect timeout."""
    engine = current_app.extensions.get("samaschool.readyz")
    if engine is None:
        with _probe_lock:
            engine = current_app.extensions.get("samaschool.readyz")
            if engine is None:
                url = db.engine.url
                timeout_argument = {"postgresql": "connect_timeout", "sqlite": "timeout"}.get(url.get_backend_name())
                timeout = {timeout_argument: READY_TIMEOUT_SECONDS} if timeout_argument else {}
                engine = create_engine(url, poolclass=NullPool, connect_args=timeout)
                current_app.extensions["samaschool.readyz"] = engine
    return engine


def _database_revisions() -> frozenset[str] | None:
    """The revisions in `alembic_version`, or None when the table is missing."""
    with _probe_engine().connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SET LOCAL statement_timeout = {READY_TIMEOUT_SECONDS * 1000}"))
        connection.execute(text("SELECT 1"))
        if not connection.dialect.has_table(connection, "alembic_version"):
            return None
        return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


@functools.cache
def _migration_heads(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    """This code's migration heads and every revision it knows, read once per process."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(directory)
    return frozenset(scripts.get_heads()), frozenset(script.revision for script in scripts.walk_revisions())


def _ping_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(
        url, socket_timeout=READY_TIMEOUT_SECONDS, socket_connect_timeout=READY_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
