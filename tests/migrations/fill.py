"""Fill whatever schema a database has now with representative rows, without knowing it.

Migration tests upgrade databases that already hold data; this makes that data for every
revision, past and future, from the reflected schema alone: every table gets ROWS rows, every
column a value of its type (nullable ones too), every foreign key points at a real parent row.
Columns that the current models restrict with `one_of` CHECK constraints get an allowed value,
so a later migration that adds the constraint meets data it must accept.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import JSON, MetaData, Table, insert, inspect, select, text, types
from sqlalchemy.engine import Connection

ROWS = 3
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def allowed_values(metadata: MetaData) -> dict[tuple[str, str], tuple]:
    """(table, column) → values its CHECK constraint allows, from the models' `one_of` constraints."""
    hints: dict[tuple[str, str], tuple] = {}
    for table in metadata.tables.values():
        for constraint in table.constraints:
            allowed = getattr(constraint, "info", {}).get("allowed")
            if allowed:
                hints[(table.name, constraint.info["column"])] = tuple(allowed)
    return hints


def _value(table: Table, column, index: int, hints: dict):
    hint = hints.get((table.name, column.name))
    if hint:
        return hint[0]  # the first allowed value satisfies every rule that pairs it with others
    kind = column.type
    if isinstance(kind, types.Boolean):
        return index % 2 == 1
    if isinstance(kind, types.Integer):
        return index + 1
    if isinstance(kind, types.Numeric):
        return Decimal(index + 1)
    if isinstance(kind, types.DateTime):
        return dt.datetime(2026, 1, 1 + index, 12, 0)
    if isinstance(kind, types.Date):
        return dt.date(2026, 1, 1 + index)
    if isinstance(kind, types.LargeBinary):
        return b"\x00data"
    if isinstance(kind, JSON):
        return {"sample": index}
    if isinstance(kind, types.String):
        length = getattr(kind, "length", None) or 60
        return f"{column.name[: max(1, length - 4)]}-{index}"[:length]
    raise AssertionError(f"fill.py does not know how to fill {table.name}.{column.name} ({kind!r})")


def fill(connection: Connection, hints: dict) -> dict[str, int]:
    """Insert ROWS rows into every table (parents first); returns the row count of every table."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    tables = [table for table in metadata.sorted_tables if table.name != "alembic_version"]
    ids: dict[tuple[str, str], list] = {}
    for table in tables:
        foreign = {fk.parent.name: fk for fk in table.foreign_keys}
        rows = []
        for index in range(ROWS):
            row = {}
            for column in table.columns:
                fk = foreign.get(column.name)
                if fk is not None:
                    target = fk.column.table.name
                    if target == table.name:  # a row pointing at another row of its own table
                        row[column.name] = None if column.nullable else index + 1
                    else:
                        row[column.name] = ids[(target, fk.column.name)][index]
                else:
                    row[column.name] = _value(table, column, index, hints)
            rows.append(row)
        connection.execute(insert(table), rows)
        for column in table.columns:
            ids[(table.name, column.name)] = [row[column.name] for row in rows]
    return counts(connection)


def counts(connection: Connection) -> dict[str, int]:
    names = [name for name in inspect(connection).get_table_names() if name != "alembic_version"]
    return {
        name: connection.execute(select(text("count(*)")).select_from(text(f'"{name}"'))).scalar() for name in names
    }
