"""Column types shared by every feature."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC, always hands back an aware datetime (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def render_migration_type(type_: str, obj, _autogen_context):
    """Alembic autogenerate: write our column types as plain SQLAlchemy types in migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """A CHECK that an enum-like string column holds one of `values` (named `ck_<table>_<column>_valid`).

    The allowed values ride along in `info`, so tests can fill any revision's tables with rows
    that a later constraint accepts."""
    allowed = tuple(values)
    listed = ", ".join("'" + value.replace("'", "''") + "'" for value in allowed)
    return CheckConstraint(
        f"{column} IN ({listed})", name=f"{column}_valid", info={"column": column, "allowed": allowed}
    )


def check(name: str, condition: str) -> CheckConstraint:
    """A range or consistency rule the database itself enforces (named `ck_<table>_<name>`)."""
    return CheckConstraint(condition, name=name)
