"""Device cookies (the pattern OWASP calls device cookies): how the login limits tell the phones
and computers an owner has used from a stranger's.

A browser that logs in to an account, or sets its password, keeps a long-lived signed cookie that
names the account. The per-account limit on failed logins applies only to browsers without one: a
stranger who floods an account with wrong passwords pauses it on new devices for up to an hour,
never on the owner's own phone. A browser with the cookie has a limit of its own instead (per
browser and account), so guessing stays bounded there too. On a new device the owner gets in at
once by resetting the password, which marks that browser as well.

Each entry names the account by id and by a digest of its password hash, keyed with SECRET_KEY:
a new password retires every device cookie made under the old one, including any that someone
who once knew it collected. A cookie made for account A says nothing about account B. One cookie
holds up to MAX_ACCOUNTS accounts, for phones a family shares.

Also here: a browser's short name ("Chrome on Android") for the sessions page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "device"
LIFETIME = timedelta(days=365)
MAX_ACCOUNTS = 5


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="samaschool.device-cookie")


def _account_key(user) -> str:
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else secret.encode()
    return hmac.new(secret, f"{user.id}:{user.password_hash}".encode(), hashlib.sha256).hexdigest()[:32]


def _entries(cookie: str | None) -> list[dict]:
    if not cookie:
        return []
    try:
        data = _serializer().loads(cookie, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:  # forged, altered or expired (SignatureExpired is a BadSignature)
        return []
    if not isinstance(data, list):
        return []
    return [
        entry
        for entry in data[:MAX_ACCOUNTS]
        if isinstance(entry, dict)
        and isinstance(entry.get("u"), int)
        and isinstance(entry.get("n"), str)
        and isinstance(entry.get("k"), str)
    ]


def remember(cookie: str | None, user) -> str:
    """The cookie's new value once `user` has logged in (or set a password) in this browser: a
    fresh entry for the account first, the other accounts' entries after it."""
    entry = {"u": user.id, "n": secrets.token_urlsafe(16), "k": _account_key(user)}
    others = [other for other in _entries(cookie) if other["u"] != user.id]
    return _serializer().dumps([entry, *others][:MAX_ACCOUNTS])


def trusted(cookie: str | None, user) -> str | None:
    """This browser's id for `user`'s account if it has logged in to it under the current
    password, else None."""
    key = _account_key(user)
    for entry in _entries(cookie):
        if entry["u"] == user.id and hmac.compare_digest(entry["k"], key):
            return entry["n"]
    return None


# Checked in order: an Android phone's browser also says "Linux", Opera and Edge also say "Chrome".
_SYSTEMS = (
    ("KAIOS", "KaiOS"),
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "Mac"),
    ("Linux", "Linux"),
)
_BROWSERS = (
    ("Opera Mini", "Opera Mini"),
    ("OPR/", "Opera"),
    ("Edg", "Edge"),
    ("SamsungBrowser", "Samsung Internet"),
    ("UCBrowser", "UC Browser"),
    ("FxiOS", "Firefox"),
    ("Firefox", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)


def device_name(user_agent: str) -> str:
    """What a person would call the browser: "Chrome on Android", "Firefox on Windows"."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown browser")
