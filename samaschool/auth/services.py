"""Accounts: sign-up, sessions, passwords and reset links. No request or session access here."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import joinedload

from samaschool import audit, mail
from samaschool.auth.models import PasswordResetToken, User, UserSession
from samaschool.auth.passwords import dummy_hash, hash_password, password_problem, verify_password
from samaschool.db_types import utcnow
from samaschool.errors import EmailTaken, InvalidCredentials, InvalidToken, NotAllowed, WeakPassword
from samaschool.extensions import db
from samaschool.permissions import Role, can_make_reset_link, is_plain_learner

RESET_LINK_LIFETIME = timedelta(hours=1)
# How long a learner's dashboard shows that someone else made a reset link for her account.
RESET_LINK_NOTICE_DAYS = 14
# "Last seen" is written at most this often per session (a page's bookkeeping, not a form's).
LAST_SEEN_EVERY = timedelta(minutes=5)

# A sensible default time zone from the country; the learner can change it in the profile.
COUNTRY_TIMEZONES = {
    "KE": "Africa/Nairobi",
    "UG": "Africa/Kampala",
    "TZ": "Africa/Dar_es_Salaam",
    "RW": "Africa/Kigali",
    "IN": "Asia/Kolkata",
    "US": "America/New_York",
    "NG": "Africa/Lagos",
    "GH": "Africa/Accra",
    "ZA": "Africa/Johannesburg",
    "GB": "Europe/London",
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


@dataclass
class SignUp:
    name: str
    email: str
    password: str
    country: str
    preferred_language: str
    gender: str | None = None
    birth_year: int | None = None


def sign_up(data: SignUp, role: Role = Role.LEARNER) -> User:
    """Create an account. Raises EmailTaken or WeakPassword; writes nothing then."""
    email = normalise_email(data.email)
    if problem := password_problem(data.password, email=email, name=data.name):
        raise WeakPassword(str(problem))
    if find_user_by_email(email):
        raise EmailTaken(_("An account with this email already exists. Log in, or reset your password."))
    user = User(
        email=email,
        name=data.name.strip(),
        password_hash=hash_password(data.password),
        role=role,
        country=data.country,
        preferred_language=data.preferred_language,
        timezone=COUNTRY_TIMEZONES.get(data.country, "UTC"),
        gender=data.gender or None,
        birth_year=data.birth_year,
    )
    db.session.add(user)
    db.session.flush()  # the unique index on email is the final word on duplicates
    return user


def authenticate(email: str, password: str, *, address: str = "") -> User:
    """The user for these credentials, or InvalidCredentials (same message either way). A failed
    login to an existing account is added to the audit log with the address it came from (the
    caller commits it); a mistyped email is not: it may be someone's password."""
    user = find_user_by_email(email)
    if user is None:
        verify_password(dummy_hash(), password)
        raise InvalidCredentials(_("That email and password do not match an account."))
    if not verify_password(user.password_hash, password):
        audit.record(None, "user.login_failed", user, after={"address": address[:45]})
        raise InvalidCredentials(_("That email and password do not match an account."))
    if not user.is_active:
        audit.record(None, "user.login_failed", user, after={"address": address[:45], "deactivated": True})
        raise InvalidCredentials(_("This account has been deactivated. Contact your trainer."))
    return user


def start_session(user: User, user_agent: str = "", address: str = "") -> str:
    """Record a new signed-in session (audited) and return its secret token (for the cookie)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_digest(token),
            user_agent=user_agent[:200],
            created_at=now,
            last_seen_at=now,
            ip_address=address[:45],
        )
    )
    user.last_login_at = now
    user._login_id = f"{user.id}:{token}"
    audit.record(user, "user.login", user, after={"address": address[:45]})
    return token


def session_limits() -> tuple[timedelta, timedelta]:
    """How long a session lasts without a visit, and at most (SAMASCHOOL_SESSION_IDLE_MINUTES,
    SAMASCHOOL_SESSION_MAX_DAYS)."""
    config = current_app.config
    return timedelta(minutes=config["SAMASCHOOL_SESSION_IDLE_MINUTES"]), timedelta(
        days=config["SAMASCHOOL_SESSION_MAX_DAYS"]
    )


def _live(now: datetime):
    idle, lifetime = session_limits()
    return (UserSession.last_seen_at > now - idle) & (UserSession.created_at > now - lifetime)


# Every signed-in request runs it: built once, with its values as parameters (building a select
# and its cache key costs more than running it).
_SESSION_USER = (
    select(User, UserSession)
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        User.id == bindparam("user_id"),
        UserSession.token_hash == bindparam("token_hash"),
        User.is_active.is_(True),
        UserSession.last_seen_at > bindparam("seen_after"),
        UserSession.created_at > bindparam("created_after"),
    )
)


def load_session_user(login_id: str, *, now: datetime | None = None) -> User | None:
    """The active user behind a session cookie's id, or None if the session has ended: logged
    out, idle for longer than the idle timeout, or older than the absolute lifetime (as `_live`)."""
    user_id, _sep, token = login_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    now = now or utcnow()
    idle, lifetime = session_limits()
    row = db.session.execute(
        _SESSION_USER,
        {
            "user_id": int(user_id),
            "token_hash": _digest(token),
            "seen_after": now - idle,
            "created_after": now - lifetime,
        },
    ).first()
    if row is None:
        return None
    user, user_session = row
    user._login_id = login_id
    user._session = user_session
    return user


def visit_due(user_session: UserSession, *, now: datetime | None = None) -> bool:
    """Whether a visit should be written down: the last one was LAST_SEEN_EVERY ago or more."""
    return (now or utcnow()) - user_session.last_seen_at >= LAST_SEEN_EVERY


def note_visit(user_session: UserSession, address: str, *, now: datetime | None = None) -> None:
    """Write down a visit (it keeps the session from going idle) and where it came from; at most
    once every LAST_SEEN_EVERY, even when requests arrive side by side."""
    now = now or utcnow()
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == user_session.id, UserSession.last_seen_at <= now - LAST_SEEN_EVERY)
        .values(last_seen_at=now, ip_address=address[:45])
    )


def live_sessions(user: User, *, now: datetime | None = None) -> list[UserSession]:
    """The user's sessions that have not ended, the most recently used first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, _live(now or utcnow()))
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def is_session_of(user_session: UserSession, login_id: str | None) -> bool:
    return bool(login_id) and user_session.token_hash == _digest(login_id.partition(":")[2])


def end_other_sessions(user: User, *, keep_login_id: str) -> int:
    """Log the user out everywhere but in this session; audited when it ended any (a replay ends none)."""
    ended = end_all_sessions(user, keep_login_id=keep_login_id)
    if ended:
        audit.record(user, "user.sessions_ended", user, after={"sessions": ended})
    return ended


def end_expired_sessions(*, now: datetime | None = None) -> int:
    """Delete the rows of sessions that have ended by time (a periodic job; they already let nobody in)."""
    now = now or utcnow()
    idle, lifetime = session_limits()
    result = db.session.execute(
        delete(UserSession).where(or_(UserSession.last_seen_at <= now - idle, UserSession.created_at <= now - lifetime))
    )
    return result.rowcount


def end_session(login_id: str | None) -> None:
    if not login_id:
        return
    _user_id, _sep, token = login_id.partition(":")
    db.session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


def end_all_sessions(user: User, *, keep_login_id: str | None = None) -> int:
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_login_id:
        query = query.where(UserSession.token_hash != _digest(keep_login_id.partition(":")[2]))
    return db.session.execute(query).rowcount


def active_session_count(user: User) -> int:
    return db.session.scalar(select(func.count()).where(UserSession.user_id == user.id, _live(utcnow()))) or 0


def change_password(user: User, current_password: str, new_password: str, *, keep_login_id: str | None) -> None:
    """Change the password and end every other session of the user."""
    if not verify_password(user.password_hash, current_password):
        raise InvalidCredentials(_("Your current password is not right."))
    if problem := password_problem(new_password, email=user.email, name=user.name):
        raise WeakPassword(str(problem))
    user.password_hash = hash_password(new_password)
    end_all_sessions(user, keep_login_id=keep_login_id)
    _retire_reset_tokens(user)
    audit.record(user, "user.password_changed", user)


def create_reset_token(user: User, *, created_by: User | None = None) -> str:
    """A single-use token valid for an hour; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_digest(token),
            expires_at=utcnow() + RESET_LINK_LIFETIME,
            created_by_id=created_by.id if created_by else None,
        )
    )
    return token


def create_reset_link_for(actor: User, target: User) -> str:
    """A trainer or admin makes a reset token for someone who cannot receive email. A trainer only
    for the learners enrolled in a course they own or co-train."""
    if not can_make_reset_link(actor, target):
        if actor.role == Role.TRAINER and actor.id != target.id and is_plain_learner(target):
            raise NotAllowed(
                _(
                    "You can make reset links only for learners enrolled in a course you own or co-train. "
                    "Ask an admin or one of this learner's trainers."
                )
            )
        raise NotAllowed(_("You cannot make a reset link for this account."))
    token = create_reset_token(target, created_by=actor)
    audit.record(actor, "user.reset_link_created", target)
    return token


def request_password_reset(email: str) -> None:
    """Someone asks for a reset link for `email`. The same work whatever the address: one row
    in the outbox, without even looking the address up (samaschool/mail.py explains why). The
    sender makes the token and the email for an active account, and drops the row otherwise."""
    mail.queue("password_reset", normalise_email(email))


@mail.composer("password_reset")
def _compose_reset_email(row: mail.OutgoingEmail) -> mail.Email | None:
    """Called by the mail sender, outside any request: a link for an active account, else None."""
    from samaschool.web import public_url

    user = find_user_by_email(row.to_address)
    if user is None or not user.is_active:
        return None
    link = public_url("auth.reset_password", token=create_reset_token(user))
    with force_locale(user.preferred_language):
        subject = _("Reset your Samaschool password")
        body = _(
            "Hello %(name)s,\n\nOpen this link within one hour to choose a new password:\n%(link)s\n\n"
            "If you did not ask for this, ignore this email; your password stays the same.",
            name=user.name,
            link=link,
        )
    return mail.Email(user.email, subject, body, stored_body=mail.redact(body, link))


def reset_links_made_for(user: User, *, since: datetime | None = None) -> list[PasswordResetToken]:
    """Reset links someone else made for `user`, newest first, each with its maker loaded: made
    after `since` (e.g. her previous login), else within the last RESET_LINK_NOTICE_DAYS."""
    since = since or utcnow() - timedelta(days=RESET_LINK_NOTICE_DAYS)
    return list(
        db.session.scalars(
            select(PasswordResetToken)
            .where(
                PasswordResetToken.user_id == user.id,
                PasswordResetToken.created_by_id.is_not(None),
                PasswordResetToken.created_at > since,
            )
            .options(joinedload(PasswordResetToken.created_by))
            .order_by(PasswordResetToken.created_at.desc(), PasswordResetToken.id.desc())
        )
    )


def find_valid_reset_token(token: str) -> PasswordResetToken | None:
    reset = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(token)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    if not reset.user.is_active:
        return None
    return reset


def reset_password(token: str, new_password: str, *, now: datetime | None = None) -> User:
    """Use a reset token once. Ends every session of the user. Raises InvalidToken, WeakPassword."""
    reset = find_valid_reset_token(token)
    if reset is None:
        raise InvalidToken(_("This reset link has expired or was already used. Ask for a new one."))
    user = reset.user
    if problem := password_problem(new_password, email=user.email, name=user.name):
        raise WeakPassword(str(problem))
    # The conditional update makes a replayed or simultaneous second use change nothing.
    now = now or utcnow()
    used = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == reset.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now, reset_at=now)  # reset_at: this link set the password (see the model)
    )
    if used.rowcount != 1:
        raise InvalidToken(_("This reset link has expired or was already used. Ask for a new one."))
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    _retire_reset_tokens(user)
    audit.record(user, "user.password_reset", user, after={"link_made_by": reset.created_by_id})
    return user


def _retire_reset_tokens(user: User) -> None:
    """A new password makes every reset link still in a mailbox (or a log) useless."""
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
