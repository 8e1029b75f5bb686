"""`flask backup create PATH` and `flask backup restore PATH [--force]`: everything the site needs
to come back, in one folder.

A backup is a folder (copy it off the machine as it is, or as a tar):

    manifest.json        format, version, created at, the alembic revision, row counts per table,
                         and the sha256 and size of every other file in the folder
    database.sqlite3     SQLite: a copy made with SQLite's online backup API (consistent while in use)
    database.pgdump      PostgreSQL: `pg_dump --format=custom`, taken in the same snapshot as the counts
    media/<path>         every stored media file (variants and originals), from the filesystem or S3
    keys/<file>          the credential signing keys (without them no issued credential verifies)
    secret_key           the key that signs sessions and device cookies

The folder holds secrets (the signing keys, the secret key, every account's data): it is made
readable by its owner only; keep copies as carefully. Restore checks every checksum before it
changes anything, refuses a database that holds data unless --force, then makes the database
equal to the backup (not a merge), and puts back media, keys and the secret key. Stop the site and
its job workers while restoring.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import inspect
from sqlalchemy.engine import URL

from samaschool.database_cli import alembic_config, copy_sqlite, holds_data, sqlite_path
from samaschool.extensions import db
from samaschool.media.storage import PATH_RE, storage

FORMAT = "samaschool-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)
CHUNK = 1024 * 1024

backup_cli = AppGroup("backup", help="Back up and restore the database, media, signing keys and secret key.")


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why and what to do."""


@dataclass
class Summary:
    path: Path
    dialect: str
    revision: str | None
    tables: int
    rows: int
    media: int
    keys: int
    notes: list[str] = field(default_factory=list)


# --- the database -------------------------------------------------------------------------------


def _dialect() -> str:
    return db.engine.url.get_backend_name()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq address for pg_dump/pg_restore (postgresql://, without the password) and the
    environment that carries the password (PGPASSWORD: never on the command line, where `ps` shows it)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found: install PostgreSQL's client tools, the same major version as the "
            "server or newer (Debian: apt-get install postgresql-client), or put them on PATH."
        )
    return path


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit status {result.returncode}): {result.stderr.strip()}")


def _quote(connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def _counts_and_revision(connection) -> tuple[dict[str, int], str | None]:
    """Rows in every table (alembic_version included), and the migration revision (None for a
    database whose tables were made without migrations, as the test suite's are)."""
    names = sorted(inspect(connection).get_table_names())
    counts = {
        name: connection.exec_driver_sql(f"SELECT count(*) FROM {_quote(connection, name)}").scalar_one()  # noqa: S608
        for name in names
    }
    revision = None
    if "alembic_version" in names:
        revisions = [row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")]
        revision = ",".join(sorted(revisions)) or None
    return counts, revision


def _sqlite_counts(path: Path) -> tuple[dict[str, int], str | None]:
    """`_counts_and_revision` for a copy, through sqlite3 itself: an engine would switch it to WAL."""
    connection = sqlite3.connect(path)
    try:
        names = sorted(
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~'"
            )
        )
        counts = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}  # noqa: S608
        revision = None
        if "alembic_version" in names:
            revisions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
            revision = ",".join(sorted(revisions)) or None
        return counts, revision
    finally:
        connection.close()


def _dump_sqlite(folder: Path) -> tuple[dict[str, int], str | None]:
    live = sqlite_path()
    if live is None:
        raise BackupError("The database is SQLite in memory: there is nothing on disk to back up.")
    target = folder / SQLITE_FILE
    target.touch(mode=0o600)
    copy_sqlite(live, target)
    connection = sqlite3.connect(target)
    try:  # one self-contained file, not a WAL database that needs its -wal and -shm beside it
        connection.execute("PRAGMA journal_mode=DELETE").fetchall()
    finally:
        connection.close()
    return _sqlite_counts(target)  # the counts of the copy itself


def _dump_postgresql(folder: Path) -> tuple[dict[str, int], str | None]:
    pg_dump = _tool("pg_dump")
    address, env = _libpq(db.engine.url)
    # Count in a snapshot and let pg_dump read that same snapshot: the manifest describes the dump exactly.
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            counts, revision = _counts_and_revision(connection)
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={folder / POSTGRES_FILE}", address],
                env,
                "pg_dump",
            )
    (folder / POSTGRES_FILE).chmod(0o600)
    return counts, revision


def _restore_sqlite(folder: Path) -> None:
    live = sqlite_path()
    if live is None:
        raise BackupError("The database is SQLite in memory: there is no file to restore into.")
    db.session.remove()
    db.engine.dispose()  # no connection of ours holds the old pages
    live.parent.mkdir(parents=True, exist_ok=True)
    copy_sqlite(folder / SQLITE_FILE, live)


def _empty_postgresql() -> None:
    """Drop every table, view, sequence and type in the current schema, so that the restored
    database is the backup and nothing else (pg_restore --clean alone drops only what the dump has)."""
    with db.engine.begin() as connection:
        relations = connection.exec_driver_sql(
            "SELECT c.relkind, quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') "
            "ORDER BY c.relkind"
        ).all()
        kinds = {"r": "TABLE", "p": "TABLE", "f": "FOREIGN TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW"}
        kinds["S"] = "SEQUENCE"
        for kind, name in relations:
            connection.exec_driver_sql(f"DROP {kinds[kind]} IF EXISTS {name} CASCADE")
        types = connection.exec_driver_sql(
            "SELECT quote_ident(t.typname) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd')"
        ).scalars()
        for name in list(types):
            connection.exec_driver_sql(f"DROP TYPE IF EXISTS {name} CASCADE")


def _restore_postgresql(folder: Path) -> None:
    pg_restore = _tool("pg_restore")
    address, env = _libpq(db.engine.url)
    db.session.remove()
    db.engine.dispose()
    _empty_postgresql()
    db.engine.dispose()
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={address}",
            str(folder / POSTGRES_FILE),
        ],
        env,
        "pg_restore (the database is now empty: fix the cause and restore again)",
    )


# --- files ----------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_private(target: Path, data: bytes) -> None:
    """Write a file only its owner may read, making missing folders the same way."""
    missing = []
    folder = target.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _keys_dir() -> Path:
    from samaschool.certification.keys import keys_dir

    return keys_dir()


def _key_files(folder: Path) -> list[Path]:
    """The signing keys (`<kid>.pem`) and the name of the current one (`current`); not the lock file."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.is_file() and not path.name.startswith("."))


def _secret_key_file() -> Path:
    configured = current_app.config.get("SAMASCHOOL_SECRET_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "secret_key"


# --- create ---------------------------------------------------------------------------------------


def create_backup(target: Path) -> Summary:
    """Write a backup folder at `target` (which must not exist, or be an empty folder). It is made
    beside the target under a temporary name and renamed when complete: a folder at `target` is
    always a whole backup."""
    target = Path(target)
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise BackupError(f"{target} already exists: choose a new path (backups are never overwritten).")
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))  # mode 0700
    try:
        summary = _write_backup(folder)
        if target.exists():
            target.rmdir()
        os.replace(folder, target)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    summary.path = target
    return summary


def _write_backup(folder: Path) -> Summary:
    dialect = _dialect()
    if dialect == "sqlite":
        counts, revision = _dump_sqlite(folder)
    elif dialect == "postgresql":
        counts, revision = _dump_postgresql(folder)
    else:
        raise BackupError(f"Backups are for SQLite and PostgreSQL, not {dialect}.")

    store = storage()
    media = 0
    for path in sorted(store.paths()):
        _write_private(folder / "media" / path, store.read(path))
        media += 1
    keys = _key_files(_keys_dir())
    for key in keys:
        _write_private(folder / "keys" / key.name, key.read_bytes())
    _write_private(folder / SECRET_KEY_FILE, current_app.config["SECRET_KEY"].encode())
    from_environment = os.environ.get("SAMASCHOOL_SECRET_KEY") == current_app.config["SECRET_KEY"]

    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            files[path.relative_to(folder).as_posix()] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "database": {"dialect": dialect, "file": SQLITE_FILE if dialect == "sqlite" else POSTGRES_FILE},
        "alembic_revision": revision,
        "row_counts": counts,
        "media_storage": current_app.config.get("SAMASCHOOL_MEDIA_STORAGE") or "filesystem",
        "secret_key_source": "SAMASCHOOL_SECRET_KEY" if from_environment else "file",
        "files": files,
    }
    _write_private(folder / MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    return Summary(folder, dialect, revision, len(counts), sum(counts.values()), media, len(keys))


# --- restore --------------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict:
    """The manifest of the backup at `source`, after checking every file against it."""
    source = Path(source)
    manifest_path = source / MANIFEST
    if not source.is_dir() or not manifest_path.is_file():
        raise BackupError(f"There is no backup at {source}: a backup is a folder with a {MANIFEST}.")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (ValueError, OSError) as error:
        raise BackupError(f"{manifest_path} cannot be read ({error}): the backup is damaged.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path} is not a Samaschool backup manifest.")
    if manifest.get("version") != VERSION:
        raise BackupError(f"This backup is format version {manifest.get('version')}; this code reads {VERSION}.")
    files = manifest.get("files")
    database = manifest.get("database")
    if not isinstance(files, dict) or not isinstance(database, dict) or database.get("file") not in files:
        raise BackupError(f"{manifest_path} does not list the database file: the backup is damaged.")
    damaged = []
    for name, expected in sorted(files.items()):
        path = source / name
        if not _safe_name(name) or not isinstance(expected, dict):
            damaged.append(f"{name} (not a name a backup holds)")
        elif not path.is_file():
            damaged.append(f"{name} (missing)")
        elif path.stat().st_size != expected.get("bytes") or _sha256(path) != expected.get("sha256"):
            damaged.append(f"{name} (its checksum differs)")
    if damaged:
        shown = ", ".join(damaged[:10]) + (f" and {len(damaged) - 10} more" if len(damaged) > 10 else "")
        raise BackupError(f"The backup at {source} is damaged: {shown}. Nothing was restored.")
    return manifest


def _safe_name(name: str) -> bool:
    if name in {MANIFEST, SQLITE_FILE, POSTGRES_FILE, SECRET_KEY_FILE}:
        return True
    if name.startswith("media/"):
        return bool(PATH_RE.fullmatch(name.removeprefix("media/")))
    if name.startswith("keys/"):
        key = name.removeprefix("keys/")
        return bool(key) and "/" not in key and not key.startswith(".") and key not in {"..", "."}
    return False


def restore_backup(source: Path, *, force: bool = False) -> Summary:
    source = Path(source)
    manifest = read_manifest(source)
    dialect = _dialect()
    if manifest["database"].get("dialect") != dialect:
        raise BackupError(
            f"This backup holds a {manifest['database'].get('dialect')} database and this site uses "
            f"{dialect}: restore it into a site configured the same way. Nothing was restored."
        )
    if not force and holds_data():
        raise BackupError(
            "The database holds data: restoring would replace all of it. Nothing was restored. "
            "Make a backup of it first, then run again with --force to replace it with the backup."
        )
    if dialect == "postgresql":
        _tool("pg_restore")

    notes: list[str] = []
    if dialect == "sqlite":
        _restore_sqlite(source)
    else:
        _restore_postgresql(source)
    db.engine.dispose()
    with db.engine.connect() as connection:
        counts, revision = _counts_and_revision(connection)
    if counts != manifest.get("row_counts"):
        raise BackupError("The restored database does not hold the rows the manifest counts: restore again.")
    notes.extend(_revision_notes(revision))

    names = manifest["files"]
    store = storage()
    media = 0
    for name in names:
        if name.startswith("media/"):
            path = name.removeprefix("media/")
            data = (source / name).read_bytes()
            if not (store.exists(path) and store.size(path) == len(data)):  # content-addressed paths
                store.put(path, data)
            media += 1

    keys_dir = _keys_dir()
    key_names = [name.removeprefix("keys/") for name in names if name.startswith("keys/")]
    for key in key_names:
        _write_private(keys_dir / key, (source / "keys" / key).read_bytes())
    kept = [path.name for path in _key_files(keys_dir) if path.name not in key_names]
    if kept:
        notes.append(f"Kept {len(kept)} signing key file(s) that are not in the backup: {', '.join(kept)}.")

    notes.append(_restore_secret_key((source / SECRET_KEY_FILE).read_text()))
    return Summary(source, dialect, revision, len(counts), sum(counts.values()), media, len(key_names), notes)


def _revision_notes(revision: str | None) -> list[str]:
    if revision is None:
        return ["The backup's database has no migration revision (its tables were not made by migrations)."]
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    if set(revision.split(",")) != heads:
        return [f"The backup's database is at revision {revision}: run `flask database upgrade` before starting."]
    return []


def _restore_secret_key(secret: str) -> str:
    from_environment = os.environ.get("SAMASCHOOL_SECRET_KEY")
    if from_environment is not None:
        if from_environment == secret:
            return "The secret key is SAMASCHOOL_SECRET_KEY, and the same as the backup's."
        return (
            "SAMASCHOOL_SECRET_KEY differs from the backup's secret key: set it to the content of "
            "the backup's secret_key file to keep existing logins and devices."
        )
    target = _secret_key_file()
    _write_private(target, secret.encode())
    return f"Restored the secret key to {target} (restart the site to use it)."


# --- the commands ---------------------------------------------------------------------------------


@backup_cli.command("create")
@click.argument("path", type=click.Path(path_type=Path))
def create_command(path: Path) -> None:
    """Back up the database, media, signing keys and secret key into the new folder PATH."""
    try:
        summary = create_backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Backed up to {summary.path}: the {summary.dialect} database ({summary.rows} rows in {summary.tables} "
        f"tables, revision {summary.revision or 'none'}), {summary.media} media files, {summary.keys} signing key "
        "files and the secret key. The folder holds secrets: keep it (and its copies) private."
    )


@backup_cli.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data (its data is lost).")
def restore_command(path: Path, force: bool) -> None:
    """Restore the backup folder PATH: database, media, signing keys and secret key."""
    try:
        summary = restore_backup(path, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Restored from {summary.path}: the {summary.dialect} database ({summary.rows} rows in {summary.tables} "
        f"tables, revision {summary.revision or 'none'}), {summary.media} media files and {summary.keys} "
        "signing key files."
    )
    for note in summary.notes:
        click.echo(note)
