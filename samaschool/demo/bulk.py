"""Writing many rows fast: straight through the database driver, inside a SQLAlchemy transaction.

SQLite gets `executemany` on the sqlite3 cursor, PostgreSQL `COPY … FROM STDIN` through psycopg.
Rows are tuples already in the stored form (see `Batch.time`, and JSON as text), so no per-value
conversion runs; ids are given, not read back: each batch reserves the next ids of every table it
writes while it holds the tables' write lock (SQLite's BEGIN IMMEDIATE; on PostgreSQL a SHARE ROW
EXCLUSIVE lock, which lets pages read but makes other writers wait), and moves PostgreSQL's id
sequences past them before it commits.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Table, func, select, text

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


def check_columns(table: Table, columns: tuple[str, ...]) -> None:
    """Refuse to write a table whose required columns the generator does not fill (a column added
    later without a server default): better a clear error than rows the app cannot read."""
    missing = [
        column.name
        for column in table.columns
        if column.name not in columns
        and not column.nullable
        and column.server_default is None
        and not (column.primary_key and column.autoincrement)
    ]
    if missing:
        raise RuntimeError(f"the demo generator does not fill {table.name}.{', '.join(missing)}: add them")


class Batch:
    """One transaction's rows, keyed by table, written in the order the tables were registered."""

    def __init__(self, connection: Connection, tables: dict[str, tuple[Table, tuple[str, ...]]]):
        self.connection = connection
        self.postgresql = connection.dialect.name == "postgresql"
        self.tables = tables
        self.rows: dict[str, list[tuple]] = {name: [] for name in tables}
        self.next_id: dict[str, int] = {}
        if self.postgresql:
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))
        for name, (table, _columns) in tables.items():
            self.next_id[name] = (connection.scalar(select(func.max(table.c.id))) or 0) + 1

    def time(self, seconds: float):
        """A moment (seconds since the epoch, UTC) as the driver takes it for a UTCDateTime column."""
        moment = datetime.fromtimestamp(seconds, UTC)
        return moment if self.postgresql else moment.strftime(SQLITE_TIME)

    def new_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)

    def write(self) -> dict[str, int]:
        """Insert every row (parents before children: foreign keys are checked at once) and, on
        PostgreSQL, move each id sequence past the ids used. Returns rows written per table."""
        raw = self.connection.connection.driver_connection
        written = {}
        for name, (_table, columns) in self.tables.items():
            rows = self.rows[name]
            written[name] = len(rows)
            if not rows:
                continue
            listed = ", ".join(columns)
            if self.postgresql:
                with raw.cursor() as cursor, cursor.copy(f'COPY "{name}" ({listed}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor = raw.cursor()
                try:
                    cursor.executemany(f'INSERT INTO "{name}" ({listed}) VALUES ({marks})', rows)  # noqa: S608
                finally:
                    cursor.close()
            rows.clear()
        if self.postgresql:
            for name in (name for name, count in written.items() if count):
                self.connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 (our table names)
                        f'GREATEST((SELECT max(id) FROM "{name}"), 1))'
                    )
                )
        return written
