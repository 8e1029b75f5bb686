"""Guards that migrations call so that schema changes never lose rows without being told to.

A downgrade that drops a table or a column deletes what it holds. Every downgrade names what it
drops with `refuse_data_loss(...)` first (a test reads each migration to make sure it does);
when any of it holds data the downgrade stops, unless it was run with `-x force=yes`
(`flask --app app database downgrade REVISION --force` passes that for you).

This module is imported by migration scripts, so it stays small and stable: no models.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from alembic import context, op


class DataLossRefused(RuntimeError):
    pass


def force_given() -> bool:
    return context.get_x_argument(as_dictionary=True).get("force", "").lower() in {"1", "yes", "true"}


def _quote(bind, name: str) -> str:
    return bind.dialect.identifier_preparer.quote(name)


def refuse_data_loss(
    tables: Iterable[str] = (),
    columns: dict[str, Iterable[str]] | None = None,
    derived: dict[str, Iterable[str]] | None = None,
) -> None:
    """Stop the migration when a table it drops has rows, or a column it drops holds values.

    `derived` names dropped columns whose values the upgrade rebuilds from other data: they are
    listed so that every drop is accounted for, and not checked.
    """
    if force_given():
        return
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    holding: list[str] = []
    for table in tables:
        sql = f"SELECT 1 FROM {_quote(bind, table)} LIMIT 1"  # noqa: S608 (quoted identifier from the schema)
        if table in existing and bind.exec_driver_sql(sql).first():
            holding.append(table)
    for table, names in (columns or {}).items():
        if table not in existing:
            continue
        for column in names:
            query = f"SELECT 1 FROM {_quote(bind, table)} WHERE {_quote(bind, column)} IS NOT NULL LIMIT 1"  # noqa: S608
            if bind.exec_driver_sql(query).first():
                holding.append(f"{table}.{column}")
    if holding:
        raise DataLossRefused(
            "This downgrade would delete the data in "
            + ", ".join(holding)
            + ". Nothing was changed. Back up the database first; to go ahead anyway run "
            "`flask --app app database downgrade REVISION --force` (or `flask db downgrade -x force=yes`)."
        )
