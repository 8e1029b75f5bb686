"""Fixtures: `app`, `client`, `auth`, factories (tests/factories.py) and `count_queries`.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
Tables are created once per run and emptied after every test, so each test starts clean.
No app context is held open around requests: each request gets its own, as in production.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from samaschool import config, create_app
from samaschool.extensions import db, limiter
from tests import factories

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _session_app(database_url, tmp_path_factory):
    app = create_app(config.for_tests(str(tmp_path_factory.mktemp("instance")), database_url))
    app.test_client_class = Client
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


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
