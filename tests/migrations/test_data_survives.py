"""Every migration upgrades a database that already holds rows, and loses none of them.

These tests walk the revision graph, so every future migration is covered without a new test:
for each revision, the database is brought to its predecessor, filled with rows in every table
(tests/migrations/fill.py), then upgraded; every table must keep every row.
"""

from __future__ import annotations

import ast
import re
import shutil

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from samaschool import config, create_app
from samaschool.database_cli import alembic_config
from samaschool.extensions import db
from tests.migrations.fill import MIGRATIONS, allowed_values, counts, fill


def _scripts() -> ScriptDirectory:
    from alembic.config import Config

    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


REVISIONS = [script for script in _scripts().walk_revisions() if script.down_revision]


def _app(url: str, tmp_path):
    return create_app(config.for_tests(str(tmp_path / "instance"), url))


@pytest.mark.parametrize("revision", [script.revision for script in REVISIONS])
def test_upgrade_keeps_every_row(revision, empty_database, tmp_path):
    script = _scripts().get_revision(revision)
    app = _app(empty_database, tmp_path)
    with app.app_context():
        command.upgrade(alembic_config(), script.down_revision)
        with db.engine.begin() as connection:
            before = fill(connection, allowed_values(db.metadata))
        command.upgrade(alembic_config(), revision)
        with db.engine.connect() as connection:
            after = counts(connection)
        db.engine.dispose()
    assert all(count > 0 for count in before.values())
    assert {name: after.get(name) for name in before} == before


def test_a_table_rebuild_keeps_its_childrens_rows(empty_database, tmp_path):
    """SQLite alters a table by copying it, dropping the old one and renaming the copy: with
    foreign keys on, the drop cascades into the children. A rebuild of `attempts` must keep
    every `attempt_questions` row (it once took 5,680 rows to 0 and reported success)."""
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    head = _scripts().get_current_head()
    (migrations / "versions" / "rebuild_attempts.py").write_text(
        f'''from alembic import op

revision = "rebuild0attempts"
down_revision = "{head}"


def upgrade():
    # On SQLite adding a constraint rebuilds the table; PostgreSQL alters it in place.
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.create_check_constraint("rebuild_test", "id > 0")


def downgrade():
    pass
'''
    )
    app = _app(empty_database, tmp_path)
    with app.app_context():
        cfg = app.extensions["migrate"].migrate.get_config(directory=str(migrations))
        command.upgrade(cfg, head)
        with db.engine.begin() as connection:
            before = fill(connection, allowed_values(db.metadata))
        command.upgrade(cfg, "rebuild0attempts")
        with db.engine.connect() as connection:
            after = counts(connection)
        db.engine.dispose()
    assert before["attempt_questions"] > 0
    assert after == before


def _dropped_in_downgrade(source: str) -> tuple[set[str], set[tuple[str, str]], ast.Call | None]:
    tree = ast.parse(source)
    downgrade = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "downgrade")
    tables: set[str] = set()
    columns: set[tuple[str, str]] = set()
    guard = None
    for node in ast.walk(downgrade):
        if isinstance(node, ast.With):
            call = node.items[0].context_expr
            if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "batch_alter_table":
                table = call.args[0].value
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and getattr(inner.func, "attr", "") == "drop_column":
                        columns.add((table, inner.args[0].value))
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name == "drop_table":
                tables.add(node.args[0].value)
            elif name == "drop_column" and isinstance(node.func, ast.Attribute) and node.func.value.id == "op":
                columns.add((node.args[0].value, node.args[1].value))
            elif name == "refuse_data_loss":
                guard = node
    return tables, columns, guard


@pytest.mark.parametrize("path", sorted((MIGRATIONS / "versions").glob("*.py")), ids=lambda path: path.stem)
def test_every_downgrade_names_what_it_drops(path):
    tables, columns, guard = _dropped_in_downgrade(path.read_text())
    if not tables and not columns:
        return
    assert guard is not None, f"{path.name}: downgrade drops data but does not call refuse_data_loss"
    named = {keyword.arg: ast.literal_eval(keyword.value) for keyword in guard.keywords}
    assert tables <= set(named.get("tables", ()))
    guarded_columns = {
        (table, column)
        for kind in ("columns", "derived")
        for table, names in named.get(kind, {}).items()
        for column in names
    }
    assert columns <= guarded_columns


def test_a_downgrade_that_would_drop_rows_refuses_unless_forced(empty_database, tmp_path):
    app = _app(empty_database, tmp_path)
    runner = app.test_cli_runner()
    pools_revision = next(script for script in REVISIONS if "task_pools" in script.path)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        with db.engine.begin() as connection:
            before = fill(connection, allowed_values(db.metadata))
    result = runner.invoke(args=["database", "downgrade", pools_revision.down_revision])
    assert result.exit_code != 0
    assert "would delete the data in" in result.output and "--force" in result.output
    # The newest migration that drops filled tables or columns refuses first, naming them.
    named = re.search(r"would delete the data in (.+?)\. Nothing was changed", result.output).group(1).split(", ")
    assert named and all(name.split(".")[0] in before for name in named)
    with app.app_context(), db.engine.connect() as connection:
        assert counts(connection) == before

    result = runner.invoke(args=["database", "downgrade", pools_revision.down_revision, "--force"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.connect() as connection:
            after = counts(connection)
        db.engine.dispose()
    assert "pools" not in after and after["users"] == before["users"]


def test_upgrade_backs_up_a_sqlite_database_that_holds_data(tmp_path):
    """Runs on SQLite whatever the suite's database: the backup is SQLite's."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    app = _app(url, tmp_path)
    runner = app.test_cli_runner()
    previous = REVISIONS[0].down_revision  # the head's predecessor
    with app.app_context():
        command.upgrade(alembic_config(), previous)
        with db.engine.begin() as connection:
            before = fill(connection, allowed_values(db.metadata))

    result = runner.invoke(args=["database", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Backed up the database to" in result.output
    backups = list((tmp_path / "instance" / "backups").glob("live-*.db"))
    assert len(backups) == 1 and str(backups[0]) in result.output
    backup_app = _app(f"sqlite:///{backups[0]}", tmp_path / "b")
    with backup_app.app_context():
        with db.engine.connect() as connection:
            assert counts(connection) == before  # the copy is the database as it was before
        db.engine.dispose()

    result = runner.invoke(args=["database", "upgrade"])  # nothing pending: no second copy
    assert result.exit_code == 0 and "up to date" in result.output
    assert len(list((tmp_path / "instance" / "backups").glob("*.db"))) == 1
    with app.app_context():
        db.engine.dispose()
