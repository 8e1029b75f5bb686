"""Migration 5a9402eeb828 fills its new columns from what the rows already hold: users get
random public ids, certificates keep the credential id they were signed with, existing API
tokens read nothing until an admin grants it, and workers keep the accuracy they were shown."""

from __future__ import annotations

import base64
import json
import re

import pytest
from alembic import command
from sqlalchemy import text

from samaschool import config, create_app
from samaschool.database_cli import alembic_config
from samaschool.extensions import db
from samaschool.migration_safety import DataLossRefused
from tests.migrations.fill import allowed_values, fill

BEFORE, REVISION = "a30c0589810b", "5a9402eeb828"


def _part(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_the_new_columns_are_filled_from_the_rows(empty_database, tmp_path):
    app = create_app(config.for_tests(str(tmp_path / "instance"), empty_database))
    signed_id = "https://old.example/credentials/7KQM2XRT9HBCW"
    token = f"{_part({'alg': 'EdDSA'})}.{_part({'iss': 'https://old.example/issuer', 'jti': signed_id})}.c2ln"
    with app.app_context():
        command.upgrade(alembic_config(), BEFORE)
        with db.engine.begin() as connection:
            fill(connection, allowed_values(db.metadata))
            connection.execute(text("UPDATE certificates SET credential_jwt = :token WHERE id = 1"), {"token": token})
            # Worker 1 answered a gold task rightly in pool 1; worker 2 a plain task in pool 2.
            connection.execute(
                text(
                    "UPDATE assignments SET state = 'submitted', is_gold = :gold, gold_correct = :gold WHERE id = :id"
                ),
                [{"gold": True, "id": 1}, {"gold": False, "id": 2}],
            )
        command.upgrade(alembic_config(), REVISION)
        with db.engine.connect() as connection:
            public_ids = connection.execute(text("SELECT public_id FROM users")).scalars().all()
            credential_ids = dict(connection.execute(text("SELECT id, credential_id FROM certificates")).all())
            scopes = connection.execute(text("SELECT pool_ids, user_fields FROM api_tokens")).all()
            snapshots = connection.execute(
                text("SELECT worker_id, pool_id, answered, correct, answers_seen FROM pool_skill_snapshots ORDER BY 1")
            ).all()
        with pytest.raises(DataLossRefused, match=r"users\.public_id"):
            command.downgrade(alembic_config(), BEFORE)
        db.engine.dispose()
    assert len(set(public_ids)) == 3 and all(re.fullmatch(r"usr_[0-9a-hjkmnp-tv-z]{16}", i) for i in public_ids)
    assert credential_ids[1] == signed_id  # the id it was signed with: it keeps verifying
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", credential_ids[i]) for i in (2, 3))  # never signed
    assert [tuple(json.loads(v) if isinstance(v, str) else v for v in row) for row in scopes] == [([], [])] * 3
    assert [tuple(row) for row in snapshots] == [(1, 1, 1, 1, 1), (2, 2, 0, 0, 1)]
