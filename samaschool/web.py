"""Cross-cutting web plumbing: security headers, hashed static URLs, sessions, safe redirects."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'none'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config["SESSION_COOKIE_SECURE"]:
            return True
        try:
            return request.is_secure
        except RuntimeError:
            return False


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # Signed-in pages are personal: never keep them in a shared cache.
    if request.endpoint != "static" and "Cache-Control" not in headers:
        headers["Cache-Control"] = "private, no-cache"
        response.vary.add("Cookie")
    return response


def buffer_static_file(response):
    """Read a (small) static file into the response and close it, so that compression,
    which replaces the body, does not leave the file open."""
    if request.endpoint == "static" and response.direct_passthrough and response.status_code == 200:
        body = response.response
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        response.direct_passthrough = False
        response.set_data(data)
    return response


@cache
def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """A static URL that changes with the file's content, so it can be cached for a year."""
    path = Path(current_app.static_folder) / filename
    return url_for("static", filename=filename, v=_file_digest(str(path)))


def safe_next_url(target: str | None) -> str | None:
    """Only same-site relative paths: never redirect a learner to another host after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def public_url(endpoint: str, **values) -> str:
    """An absolute URL on the configured public address (SAMASCHOOL_BASE_URL), never on the
    request's Host header, which an attacker controls (reset links sent by email, QR codes)."""
    return current_app.config["SAMASCHOOL_BASE_URL"].rstrip("/") + url_for(endpoint, **values)
