"""Data migrations fill new columns from what the rows already hold."""

from __future__ import annotations

import base64
import json

from alembic import command
from sqlalchemy import text

from samaschool import config, create_app
from samaschool.database_cli import alembic_config
from samaschool.extensions import db
from tests.migrations.fill import allowed_values, fill


def _part(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_certificates_learn_the_issuer_they_were_signed_under(empty_database, tmp_path):
    app = create_app(config.for_tests(str(tmp_path / "instance"), empty_database))
    token = f"{_part({'alg': 'EdDSA'})}.{_part({'iss': 'https://old.example/issuer', 'jti': 'x'})}.c2ln"
    with app.app_context():
        command.upgrade(alembic_config(), "c64ade33d3e0")
        with db.engine.begin() as connection:
            fill(connection, allowed_values(db.metadata))
            connection.execute(text("UPDATE certificates SET credential_jwt = :token WHERE id = 1"), {"token": token})
        command.upgrade(alembic_config(), "7539897e818b")
        with db.engine.connect() as connection:
            issuers = dict(connection.execute(text("SELECT id, issuer_id FROM certificates")).all())
        db.engine.dispose()
    assert issuers == {1: "https://old.example/issuer", 2: "", 3: ""}  # unreadable tokens are left blank


def test_payout_lines_keep_the_name_and_account_their_worker_has_at_the_upgrade(empty_database, tmp_path):
    app = create_app(config.for_tests(str(tmp_path / "instance"), empty_database))
    with app.app_context():
        command.upgrade(alembic_config(), "1466e5ec928b")
        with db.engine.begin() as connection:
            fill(connection, allowed_values(db.metadata))
            connection.execute(text("UPDATE users SET name = 'Amina', payout_account = '+254700000001' WHERE id = 1"))
            connection.execute(text("UPDATE users SET payout_account = NULL WHERE id = 2"))
        command.upgrade(alembic_config(), "a30c0589810b")
        with db.engine.connect() as connection:
            lines = connection.execute(
                text("SELECT worker_id, payee_name, payout_account FROM payout_lines ORDER BY worker_id")
            ).all()
        db.engine.dispose()
    assert [tuple(line) for line in lines] == [
        (1, "Amina", "+254700000001"),
        (2, "name-1", None),
        (3, "name-2", "payout_account-2"),
    ]


def test_enrolments_learn_when_their_course_was_completed(empty_database, tmp_path):
    """Row i of every table points at row i of its parents: enrolment i is user i in course i, whose
    one lesson is lesson i and one quiz is quiz i (attempted by user i)."""
    app = create_app(config.for_tests(str(tmp_path / "instance"), empty_database))
    with app.app_context():
        command.upgrade(alembic_config(), "c12a0e12a001")
        with db.engine.begin() as connection:
            fill(connection, allowed_values(db.metadata))
            for table in ("modules", "lessons", "quizzes"):
                connection.execute(text(f"UPDATE {table} SET archived_at = NULL"))  # noqa: S608
            connection.execute(text("UPDATE quizzes SET archived_at = CURRENT_TIMESTAMP WHERE id = 3"))
            connection.execute(text("UPDATE attempts SET passed = (id <> 2)"))
        command.upgrade(alembic_config(), "d13a0e13a001")
        with db.engine.connect() as connection:
            rows = dict(connection.execute(text("SELECT id, completed_at FROM enrolments")).all())
            lesson = connection.execute(text("SELECT completed_at FROM lesson_progress WHERE id = 1")).scalar()
            passed = connection.execute(text("SELECT submitted_at FROM attempts WHERE id = 1")).scalar()
        db.engine.dispose()
    assert rows[2] is None  # its quiz was never passed
    assert rows[1] is not None and str(rows[1])[:10] == str(max(lesson, passed))[:10]  # the later of the two
    assert rows[3] is not None  # an archived quiz does not count
