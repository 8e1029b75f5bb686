from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from samaschool.auth.models import User
from samaschool.db_types import UTCDateTime, check, one_of, utcnow
from samaschool.extensions import db

OPAQUE_ID_PREFIX = "urn:uuid:"


def new_credential_id() -> str:
    return f"{OPAQUE_ID_PREFIX}{uuid.uuid4()}"


class Certification(db.Model):
    """What a certificate certifies, and the rule that earns it."""

    __tablename__ = "certifications"
    __table_args__ = (
        one_of("source", ("folder", "admin")),
        check("validity_months_positive", "validity_months IS NULL OR validity_months >= 1"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # {"courses": [course slug, …], "quizzes": [{"course": slug, "quiz": key, "min_percent": n}, …]}
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    validity_months: Mapped[int | None]  # None: never expires
    badge_svg: Mapped[str] = mapped_column(Text, default="")
    # A PNG badge instead of the SVG (trainers may upload either); baked like the SVG one.
    badge_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(10), default="folder")  # folder | admin
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Certificate(db.Model):
    """One learner's certificate for one validity cycle. Never deleted: revoked or expired."""

    __tablename__ = "certificates"
    # Exactly once per learner, certification and cycle, whatever the timing of requests.
    __table_args__ = (UniqueConstraint("user_id", "certification_id", "cycle"), check("cycle_positive", "cycle >= 1"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id"), index=True)
    cycle: Mapped[int] = mapped_column(default=1)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # verification code, no dashes
    holder_name: Mapped[str] = mapped_column(String(120))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    credential_jwt: Mapped[str] = mapped_column(Text, default="")
    key_id: Mapped[str] = mapped_column(String(64), default="")
    # The issuer id (on SAMASCHOOL_BASE_URL) the credential was signed under: it still verifies
    # here after the site's public address changes.
    issuer_id: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The credential's `id` (and JWT `jti`), the only name the public revocation list gives it:
    # a random URN, unrelated to the verification code. Credentials signed before these ids
    # existed keep the id they were signed with, `{address}/credentials/{code}`.
    credential_id: Mapped[str] = mapped_column(String(300), unique=True, default=new_credential_id)

    certification: Mapped[Certification] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "valid"
