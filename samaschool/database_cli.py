"""`flask database upgrade|downgrade|backup`: schema changes that keep the data safe.

`make run` calls `database upgrade` on every start. Before it applies a pending migration to a
SQLite database that holds data it copies the database with SQLite's online backup API into
`instance/backups/`, so a migration that goes wrong costs nothing. Full backups (database, media,
signing keys, secret key, on SQLite and PostgreSQL) are `flask backup create` (samaschool/backup.py);
`database backup` is the same, into `instance/backups/`.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import inspect

from samaschool.extensions import db

database_cli = AppGroup("database", help="Upgrade, downgrade and back up the database without losing data.")


def alembic_config(x_arg: list[str] | None = None) -> Config:
    return current_app.extensions["migrate"].migrate.get_config(x_arg=x_arg)


def _script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def pending_revisions() -> list[str]:
    """The revisions `upgrade` would apply, oldest first."""
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    scripts = _script_directory()
    pending = []
    for head in scripts.get_heads():
        for revision in scripts.iterate_revisions(head, current[0] if current else None):
            pending.append(revision.revision)
    return list(reversed(pending))


def holds_data() -> bool:
    with db.engine.connect() as connection:
        names = [name for name in inspect(connection).get_table_names() if name != "alembic_version"]
        for name in names:
            quoted = connection.dialect.identifier_preparer.quote(name)
            if connection.exec_driver_sql(f"SELECT 1 FROM {quoted} LIMIT 1").first():  # noqa: S608 (quoted name)
                return True
    return False


def sqlite_path() -> Path | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def backup_sqlite(target_dir: Path, label: str) -> Path:
    """Copy the live SQLite database with the online backup API (consistent even while in use)."""
    source_path = sqlite_path()
    if source_path is None:
        raise click.ClickException("Backups here are for SQLite; on PostgreSQL use pg_dump.")
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = target_dir / f"{source_path.stem}-{stamp}-{label}.db"
    counter = 1
    while target.exists():
        target = target_dir / f"{source_path.stem}-{stamp}-{label}-{counter}.db"
        counter += 1
    copy_sqlite(source_path, target)
    return target


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database file with the online backup API: consistent even while it is in use,
    and page by page, so the target ends up exactly the source (whatever it held before)."""
    source_connection = sqlite3.connect(source)
    target_connection = sqlite3.connect(target)
    try:
        with target_connection:
            source_connection.backup(target_connection)
    finally:
        target_connection.close()
        source_connection.close()


def _backups_dir() -> Path:
    return Path(current_app.config["SAMASCHOOL_BACKUPS_PATH"])


@database_cli.command("upgrade")
def upgrade_command() -> None:
    """Apply pending migrations; on SQLite with data, back the database up first."""
    pending = pending_revisions()
    if not pending:
        click.echo("The database is up to date.")
        return
    if sqlite_path() is not None and holds_data():
        target = backup_sqlite(_backups_dir(), f"before-{pending[-1]}")
        click.echo(f"Backed up the database to {target} before upgrading.")
    command.upgrade(alembic_config(), "head")
    click.echo(f"Applied {len(pending)} migration(s): {', '.join(pending)}.")


@database_cli.command("downgrade")
@click.argument("revision")
@click.option("--force", is_flag=True, help="Go ahead even though tables or columns that hold data are dropped.")
def downgrade_command(revision: str, force: bool) -> None:
    """Go back to REVISION (e.g. -1). Refuses while what it drops holds data, unless --force."""
    if sqlite_path() is not None and holds_data():
        target = backup_sqlite(_backups_dir(), "before-downgrade")
        click.echo(f"Backed up the database to {target} before downgrading.")
    try:
        command.downgrade(alembic_config(["force=yes"] if force else None), revision)
    except (CommandError, RuntimeError) as error:  # DataLossRefused, a failed foreign-key check
        raise click.ClickException(str(error)) from None


@database_cli.command("backup")
@click.pass_context
def backup_command(context: click.Context) -> None:
    """`flask backup create` into SAMASCHOOL_BACKUPS_PATH/samaschool-<time> (kept for existing scripts)."""
    from samaschool.backup import create_command

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    context.invoke(create_command, path=_backups_dir() / f"samaschool-{stamp}")
