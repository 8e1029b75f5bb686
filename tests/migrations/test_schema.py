"""Migrations: one head, upgrade from an empty database works, models and migrations agree."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import CheckConstraint, inspect

from samaschool import config, create_app
from samaschool.db_types import render_migration_type
from samaschool.extensions import db
from tests.migrations.fill import MIGRATIONS


def test_there_is_one_head():
    scripts = ScriptDirectory.from_config(_alembic_config())
    assert len(scripts.get_heads()) == 1


def _alembic_config() -> Config:
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def test_upgrade_from_empty_matches_the_models(empty_database, tmp_path):
    app = create_app(config.for_tests(str(tmp_path), empty_database))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "courses", "lessons", "enrolments", "lesson_progress", "audit_entries"} <= tables
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_item": render_migration_type}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        # Autogenerate does not compare CHECK constraints: every one of the models' must exist.
        inspector = inspect(db.engine)
        for table in db.metadata.sorted_tables:
            wanted = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
            found = {c["name"] for c in inspector.get_check_constraints(table.name)}
            assert wanted <= found, f"{table.name}: missing CHECK constraints {wanted - found}"
        db.engine.dispose()
