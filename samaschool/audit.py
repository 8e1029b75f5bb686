"""The audit log: who changed what, when, why, and what it was before and after."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from samaschool.auth.models import User
from samaschool.db_types import UTCDateTime, utcnow
from samaschool.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor = db.relationship("User", foreign_keys=[actor_id], lazy="joined")


def record(
    actor,
    action: str,
    target,
    *,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Add an entry to the current transaction; it commits (or not) with the change itself."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__tablename__,
        target_id=target.id,
        before=before,
        after=after,
        reason=reason,
    )
    db.session.add(entry)
    return entry


def entries_query(
    action: str | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    *,
    actor: str = "",
    start: date | None = None,
    end: date | None = None,
):
    """Entries, newest first. `actor`: part of the name or email of who acted (any case);
    `start` and `end`: UTC days, both included."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    if actor := actor.strip().lower():
        escaped = actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        actors = select(User.id).where(
            # Emails are stored in lower case (auth.services.normalise_email).
            or_(User.email.like(pattern, escape="\\"), func.lower(User.name).like(pattern, escape="\\"))
        )
        query = query.where(AuditEntry.actor_id.in_(actors))
    if start is not None:
        query = query.where(AuditEntry.created_at >= datetime.combine(start, time.min, tzinfo=UTC))
    if end is not None and end < date.max:
        query = query.where(AuditEntry.created_at < datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC))
    return query
