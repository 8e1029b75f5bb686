"""Password rules and hashing. Hashing is Werkzeug's scrypt, a memory-hard KDF."""

from __future__ import annotations

from functools import cache

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10
MAX_LENGTH = 256


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from real breaches.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "", name: str = ""):
    """The reason a password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(count)d characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(count)d characters.", count=MAX_LENGTH)
    folded = password.lower()
    if folded in _common_passwords() or len(set(folded)) < 4:
        return _l("This password is too common and easy to guess. Try a few unrelated words.")
    if email and folded in {email.lower(), email.lower().split("@")[0]}:
        return _l("Do not use your email address as your password.")
    if name and folded.replace(" ", "") == name.lower().replace(" ", ""):
        return _l("Do not use your name as your password.")
    return None


def hash_password(password: str) -> str:
    # Tests use cheaper scrypt parameters; production keeps Werkzeug's defaults.
    method = current_app.config.get("SAMASCHOOL_PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    return generate_password_hash(password, method=method)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


_dummy_hashes: dict[str, str] = {}


def dummy_hash() -> str:
    """Checked when the email is unknown, so that a wrong email costs the same time as a
    wrong password and response times do not tell which emails are registered."""
    method = current_app.config.get("SAMASCHOOL_PASSWORD_HASH_METHOD", "scrypt")
    if method not in _dummy_hashes:
        _dummy_hashes[method] = hash_password("not-a-real-password-at-all")
    return _dummy_hashes[method]
