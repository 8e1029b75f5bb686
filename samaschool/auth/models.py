from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from samaschool.db_types import UTCDateTime, one_of, utcnow
from samaschool.extensions import db
from samaschool.permissions import Role

PUBLIC_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def new_public_id() -> str:
    """A user's id outside the site (the API): random, so it neither counts users nor can be guessed."""
    return "usr_" + "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(16))  # 80 bits


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (one_of("role", [role.value for role in Role]),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True, default=new_public_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(120))
    # The name printed on certificates, if the learner wants it different from `name`.
    certificate_name: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=Role.LEARNER,
        index=True,
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    preferred_language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Optional, used only for anonymous impact statistics.
    gender: Mapped[str | None] = mapped_column(String(20))
    # Where payouts go: a mobile-money number or bank account, as the worker gives it.
    payout_account: Mapped[str | None] = mapped_column(String(100))
    # A permission, not a role: this user may create pools and review their work.
    is_pool_manager: Mapped[bool] = mapped_column(default=False, server_default=false())
    birth_year: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login: set to "<user id>:<session token>" by the session loader / login.
    _login_id = None
    # The UserSession row the session loader found for this request.
    _session = None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self._login_id

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(db.Model):
    """One signed-in browser. Logging out deletes the row, so a replayed cookie is dead.

    A session ends after SAMASCHOOL_SESSION_IDLE_MINUTES without a visit (`last_seen_at`, kept
    at most every few minutes) and SAMASCHOOL_SESSION_MAX_DAYS after the login (`created_at`)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The address of the login, then of the latest visit ("" for sessions older than this column).
    ip_address: Mapped[str] = mapped_column(String(45), default="", server_default="")

    user: Mapped[User] = relationship()


class PasswordResetToken(db.Model):
    __tablename__ = "password_reset_tokens"
    __table_args__ = (Index("ix_password_reset_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a trainer or admin made the link for a learner without email access.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When this link set a new password (`used_at` is also set when a newer password retires it).
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


PAYOUT_CHANGE_STATES = ("applied", "held", "confirmed", "rejected", "superseded")


class PayoutAccountChange(db.Model):
    """Every change of a payout account, the learner's dashboard notice of it, and the hold.

    A change made within 72 hours of a password reset through a link someone else made is
    `held`: the account stays as it was until an admin confirms it, or the learner does through
    the link emailed to her (then `confirmed`; or `rejected`; or `superseded` by a newer change).
    Any other change is `applied` at once."""

    __tablename__ = "payout_account_changes"
    __table_args__ = (
        one_of("state", PAYOUT_CHANGE_STATES),
        Index("ix_payout_account_changes_user_id_created_at", "user_id", "created_at"),
        Index("ix_payout_account_changes_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    old_account: Mapped[str | None] = mapped_column(String(100))
    new_account: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(10), default="applied")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The reset (through a link someone else made) that put the change on hold.
    reset_token_id: Mapped[int | None] = mapped_column(ForeignKey("password_reset_tokens.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The admin who confirmed or rejected it, or the learner herself through her email.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    reset_token: Mapped[PasswordResetToken | None] = relationship()
