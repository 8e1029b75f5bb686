"""Fixtures: `app`, `client`, `auth`, factories (tests/factories.py) and `count_queries`.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
Tables are created once per run and emptied after every test, so each test starts clean.
Under pytest-xdist (`pytest -n 2`) every worker has a database of its own: a SQLite file in its
own temporary folder, or a PostgreSQL database made beside TEST_DATABASE_URL's and dropped after.
With SAMASCHOOL_TESTS_DATABASE_ONLY=1 only the tests that use a database are collected: the
second, PostgreSQL, run of `make test` skips what the SQLite run already proved.
No app context is held open around requests: each request gets its own, as in production.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from samaschool import config, create_app, jobs
from samaschool.extensions import db, limiter
from tests import factories
from tests.servers import scratch_postgres_database

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


DATABASE_FIXTURES = {"database_url", "_session_app", "app"}


def pytest_collection_modifyitems(config, items) -> None:
    if os.environ.get("SAMASCHOOL_TESTS_DATABASE_ONLY") != "1":
        return
    keep = [item for item in items if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))]
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or make_url(url).get_backend_name() != "postgresql":
        yield url
        return
    # This worker's own database beside the one named, so workers never empty each other's tables.
    with scratch_postgres_database(url, f"{make_url(url).database}_{worker}") as own:
        yield own


@pytest.fixture(scope="session")
def _session_app(database_url, tmp_path_factory):
    app = create_app(config.for_tests(str(tmp_path_factory.mktemp("instance")), database_url))
    app.test_client_class = Client
    with app.app_context():
        db.drop_all()
        db.create_all()
        stamp_migration_head(app)
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def stamp_migration_head(app) -> None:
    """create_all made the schema of the migrations' head (tests/migrations/test_schema.py): record
    that, as `flask db stamp head` would, so the suite's database is ready like a migrated one (/readyz)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(app.extensions["migrate"].directory).get_current_head()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        connection.execute(text("INSERT INTO alembic_version VALUES (:head)"), {"head": head})


def _empty_all_tables() -> None:
    tables = db.metadata.sorted_tables
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


@pytest.fixture
def app(_session_app):
    yield _session_app
    with _session_app.app_context():
        db.session.remove()
        _empty_all_tables()
    limiter.reset()


class Client(FlaskClient):
    """The Flask test client plus `submit`, which posts a form the way a browser does:
    it first loads the page (default: the same URL) to pick up the CSRF token."""

    def csrf_token(self, page: str) -> str:
        response = self.get(page)
        match = CSRF_RE.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {page} (status {response.status_code})"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        form = dict(data or {})
        form.setdefault("csrf_token", self.csrf_token(page or url))
        return self.post(url, data=form, **kwargs)


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


class AuthActions:
    def __init__(self, client: Client):
        self._client = client

    def login(self, email: str, password: str = factories.PASSWORD, **kwargs):
        return self._client.submit("/account/login", {"email": email, "password": password}, **kwargs)

    def logout(self):
        return self._client.submit("/account/logout", page="/courses/")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make(app):
    """Factories bound to the app: `make.user(...)`, `make.course(...)`…"""
    return factories.Factories(app)


@pytest.fixture
def queue(app):
    """The suite app's own job queue (SqliteHuey in its instance folder; samaschool/jobs.py), empty."""
    huey = jobs.huey_for(app)
    huey.storage.flush_all()
    yield huey
    huey.storage.flush_all()


@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries: ...` then `len(queries)` is the SQL statements run."""

    @contextmanager
    def counter():
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_args):
            if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
                statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counter


from tests.servers import _redis_server, redis_url, s3_endpoint  # noqa: E402, F401  (fixtures for every test)
