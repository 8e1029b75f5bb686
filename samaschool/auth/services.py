"""Accounts: sign-up, sessions, passwords and reset links. No request or session access here."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from samaschool import audit
from samaschool.auth.models import PasswordResetToken, User, UserSession
from samaschool.auth.passwords import dummy_hash, hash_password, password_problem, verify_password
from samaschool.db_types import utcnow
from samaschool.errors import EmailTaken, InvalidCredentials, InvalidToken, NotAllowed, WeakPassword
from samaschool.extensions import db
from samaschool.permissions import Role, can_make_reset_link

RESET_LINK_LIFETIME = timedelta(hours=1)

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


def authenticate(email: str, password: str) -> User:
    """The user for these credentials, or InvalidCredentials (same message either way)."""
    user = find_user_by_email(email)
    if user is None:
        verify_password(dummy_hash(), password)
        raise InvalidCredentials(_("That email and password do not match an account."))
    if not verify_password(user.password_hash, password):
        raise InvalidCredentials(_("That email and password do not match an account."))
    if not user.is_active:
        raise InvalidCredentials(_("This account has been deactivated. Contact your trainer."))
    return user


def start_session(user: User, user_agent: str = "") -> str:
    """Record a new signed-in session and return its secret token (for the cookie)."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token), user_agent=user_agent[:200]))
    user.last_login_at = utcnow()
    user._login_id = f"{user.id}:{token}"
    return token


def load_session_user(login_id: str) -> User | None:
    """The active user behind a session cookie's id, or None if the session has ended."""
    user_id, _sep, token = login_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.id == int(user_id), UserSession.token_hash == _digest(token), User.is_active.is_(True))
    )
    if user is not None:
        user._login_id = login_id
    return user


def end_session(login_id: str | None) -> None:
    if not login_id:
        return
    _user_id, _sep, token = login_id.partition(":")
    db.session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


def end_all_sessions(user: User, *, keep_login_id: str | None = None) -> None:
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_login_id:
        query = query.where(UserSession.token_hash != _digest(keep_login_id.partition(":")[2]))
    db.session.execute(query)


def active_session_count(user: User) -> int:
    return db.session.scalar(select(func.count()).where(UserSession.user_id == user.id)) or 0


def change_password(user: User, current_password: str, new_password: str, *, keep_login_id: str | None) -> None:
    """Change the password and end every other session of the user."""
    if not verify_password(user.password_hash, current_password):
        raise InvalidCredentials(_("Your current password is not right."))
    if problem := password_problem(new_password, email=user.email, name=user.name):
        raise WeakPassword(str(problem))
    user.password_hash = hash_password(new_password)
    end_all_sessions(user, keep_login_id=keep_login_id)
    _retire_reset_tokens(user)


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
    """A trainer or admin makes a reset token for someone who cannot receive email."""
    if not can_make_reset_link(actor, target):
        raise NotAllowed(_("You cannot make a reset link for this account."))
    token = create_reset_token(target, created_by=actor)
    audit.record(actor, "user.reset_link_created", target)
    return token


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
    used = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == reset.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now or utcnow())
    )
    if used.rowcount != 1:
        raise InvalidToken(_("This reset link has expired or was already used. Ask for a new one."))
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    _retire_reset_tokens(user)
    return user


def _retire_reset_tokens(user: User) -> None:
    """A new password makes every reset link still in a mailbox (or a log) useless."""
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
