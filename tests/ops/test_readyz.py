"""/readyz: ready only when the database answers, its migrations are at this code's head and
Redis answers; it recovers by itself. The outages are real: the database behind the TCP proxy
(PostgreSQL) or the moved-away file (SQLite) of tests/test_database_outage.py, Redis on a port
where nothing listens. The suite's database is stamped at the head (tests/conftest.py)."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from samaschool import config, create_app
from samaschool.extensions import db
from tests.conftest import stamp_migration_head
from tests.servers import free_port
from tests.test_database_outage import site  # noqa: F401  (the fixture: an app whose database can go away)


def _set_revision(app, revision: str | None) -> None:
    """The database as migrated to `revision`, or never migrated (None)."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
        if revision is None:
            connection.execute(text("DROP TABLE alembic_version"))
        else:
            connection.execute(text("INSERT INTO alembic_version VALUES (:revision)"), {"revision": revision})


@pytest.fixture
def stamped(site):  # noqa: F811
    with site.app_context():
        stamp_migration_head(site)
    yield site
    with site.app_context():
        stamp_migration_head(site)  # on PostgreSQL `site` is the suite's own database


def test_ready_when_the_database_answers_at_the_head_revision(stamped):
    response = stamped.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "migrations": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_not_ready_while_the_database_is_down_and_ready_again_without_a_restart(stamped):
    client = stamped.test_client()
    assert client.get("/readyz").status_code == 200
    stamped.down()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["database", "migrations"]
    assert response.json["database"] == "unreachable"
    assert client.get("/readyz").status_code == 503  # asked again, not cached
    stamped.up()
    assert client.get("/readyz").status_code == 200
    stamped.down()
    stamped.up()
    assert client.get("/readyz").json["status"] == "ok"


def test_not_ready_until_the_migrations_are_applied(stamped):
    client = stamped.test_client()
    scripts = ScriptDirectory(stamped.extensions["migrate"].directory)
    _set_revision(stamped, scripts.get_revision(scripts.get_current_head()).down_revision)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["migrations"] and response.json["migrations"] == "not at head"
    _set_revision(stamped, None)
    assert client.get("/readyz").json["migrations"] == "missing"
    with stamped.app_context():
        stamp_migration_head(stamped)  # `flask database upgrade` ran: ready, still without a restart
    assert client.get("/readyz").status_code == 200


def test_ready_when_a_newer_release_has_migrated_the_database(stamped):
    """A release runs `database upgrade` first, then replaces the instances: the old ones keep serving."""
    _set_revision(stamped, "f0f0f0f0f0f0")  # a revision this code has never heard of
    response = stamped.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "migrations": "ahead"}


@pytest.fixture
def app_with_redis(app, database_url, tmp_path):
    """Apps on the suite's database with SAMASCHOOL_REDIS_URL set to `url`."""
    made = []

    def make(url: str):
        settings = config.for_tests(str(tmp_path / "instance"), database_url)
        settings["SAMASCHOOL_REDIS_URL"] = url
        made.append(create_app(settings))
        return made[-1]

    yield make
    for each in made:
        with each.app_context():
            db.engine.dispose()


def test_redis_is_checked_when_configured(app, app_with_redis, redis_url):
    response = app_with_redis(redis_url).test_client().get("/readyz")
    assert response.status_code == 200 and response.json["redis"] == "ok"

    response = app_with_redis(f"redis://127.0.0.1:{free_port()}/0").test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {
        "status": "error",
        "database": "ok",
        "migrations": "ok",
        "redis": "unreachable",
        "failed": ["redis"],
    }
    assert "redis" not in app.test_client().get("/readyz").json  # not configured: not checked
