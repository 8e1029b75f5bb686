"""Cross-cutting web plumbing: security headers, hashed static URLs, sessions, safe redirects,
and the checks every request's input passes (numbers that fit the database, no NUL bytes)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, has_request_context, request, url_for
from flask.globals import _cv_request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1
"""The largest id every database column holds (PostgreSQL's INTEGER; SQLite's reaches 2**63 - 1)."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'none'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


PUBLIC_ENDPOINTS = frozenset({"static", "media.file"})
"""Responses anyone may fetch and any cache may keep: never with a cookie."""


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is Secure whenever the request came over HTTPS, and
    never set on a response that shared caches may keep."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config["SESSION_COOKIE_SECURE"]:
            return True
        try:
            return request.is_secure
        except RuntimeError:
            return False

    def save_session(self, app: Flask, session, response) -> None:
        """Static files and other public responses (the stylesheet is cached for a year) carry no
        cookie at all: a proxy or cybercafé cache would hand a learner's session to the next
        person who fetched the file."""
        # ("public" in the raw header first: parsing it on every response costs more than the check)
        public = "public" in response.headers.get("Cache-Control", "").lower() and response.cache_control.public
        if request.endpoint in PUBLIC_ENDPOINTS or public:
            response.headers.remove("Set-Cookie")
            return
        super().save_session(app, session, response)


class IdConverter(IntegerConverter):
    """`<int:…>` in every route (registered as the app's "int"): a number an id column can hold,
    else the route does not match and the answer is a 404, never an overflow in the database."""

    def __init__(
        self, map, fixed_digits: int = 0, min: int | None = 0, max: int | None = DB_INT_MAX, signed: bool = False
    ):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_int(text: str | None, *, minimum: int = 1, maximum: int = DB_INT_MAX) -> int | None:
    """The whole number `text` spells in ASCII digits (an optional minus sign, spaces around),
    if it lies in [minimum, maximum]; else None. Never raises, whatever the text."""
    text = (text or "").strip()
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 30:
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


class BadNumber(BadRequest):
    """A query or form value that should be a whole number in a range, and is not."""

    def __init__(self, name: str, minimum: int, maximum: int):
        super().__init__()
        self.field, self.minimum, self.maximum = name, minimum, maximum

    @property
    def message(self) -> str:
        return _(
            "'%(name)s' must be a whole number from %(minimum)d to %(maximum)d.",
            name=self.field,
            minimum=self.minimum,
            maximum=self.maximum,
        )


def int_arg(
    name: str, default: int, *, minimum: int = 1, maximum: int = DB_INT_MAX, values: MultiDict | None = None
) -> int:
    """The one way to read a number from the query string (or `values`, e.g. request.form): `default`
    when absent or empty, else a number in range, or a 400 (BadNumber) instead of an overflow."""
    raw = (request.args if values is None else values).get(name)
    if raw is None or not raw.strip():
        return default
    value = parse_int(raw, minimum=minimum, maximum=maximum)
    if value is None:
        raise BadNumber(name, minimum, maximum)
    return value


def int_list(name: str, *, values: MultiDict | None = None, maximum: int = DB_INT_MAX) -> list[int]:
    """Every value of a repeated field (e.g. checked `ids`) as ids, or a 400 (BadNumber)."""
    result = []
    for raw in (request.args if values is None else values).getlist(name):
        value = parse_int(raw, maximum=maximum)
        if value is None:
            raise BadNumber(name, 1, maximum)
        result.append(value)
    return result


def page_arg() -> int:
    """`?page=` for list pages: from 1 to the largest id, so that the offset always fits."""
    return int_arg("page", 1)


def refuse_nul_bytes() -> None:
    """A before_request check for every route: no text we take may hold a NUL byte (PostgreSQL
    refuses them in any query), so a path, query or form value with one is a 400 in the route's
    format. Reading the form here also turns a body over MAX_CONTENT_LENGTH into a 413, so a route's
    own upload limit (samaschool.media.upload_limit) is applied first."""
    from samaschool.media import apply_upload_limit

    apply_upload_limit()
    fields = [*request.args.items(multi=True)]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        fields += request.form.items(multi=True)
    if "\x00" in request.path or any("\x00" in key or "\x00" in value for key, value in fields):
        abort(400)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
"""Set on every response, unless the view set its own (the media player's, the API's)."""

HSTS = ("Strict-Transport-Security", "max-age=31536000")


def set_security_headers(response):
    headers = response.headers
    # One pass over the response's headers, instead of one per header (this runs on every request).
    present = {name.lower() for name, _value in headers.items()}
    wanted = [*SECURITY_HEADERS, HSTS] if request.is_secure else SECURITY_HEADERS
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    # Signed-in pages are personal: never keep them in a shared cache.
    if request.endpoint != "static" and "cache-control" not in present:
        headers["Cache-Control"] = "private, no-cache"
        if "vary" in present:
            response.vary.add("Cookie")
        else:
            headers["Vary"] = "Cookie"
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


URL_CACHE_SIZE = 4096


def cached_url_for(endpoint: str, **values) -> str:
    """`url_for` for templates: a page builds the same links on every request (the nav, a course's
    lessons), and building one costs more than looking it up. Only a request's relative URLs are
    kept, per app and per request root (`SCRIPT_NAME`, host): nothing here depends on the user,
    and the app has no `url_defaults`. Anything else (external URLs, no request, values that
    cannot be a key) is built by Flask as usual; a failed build is never kept."""
    request_context = _cv_request.get(None)
    adapter = request_context.url_adapter if request_context is not None else None
    if adapter is None or endpoint[:1] == "." or any(name[:1] == "_" and name != "_anchor" for name in values):
        return url_for(endpoint, **values)
    try:
        key = (adapter.script_name, adapter.server_name, endpoint, *((k, type(v), v) for k, v in values.items()))
        urls = request_context.app.extensions.setdefault("samaschool.urls", {})
        return urls[key]
    except TypeError:  # a value that cannot be a key (a list)
        return url_for(endpoint, **values)
    except KeyError:
        pass
    url = url_for(endpoint, **values)
    if len(urls) >= URL_CACHE_SIZE:
        urls.clear()
    urls[key] = url
    return url


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
    request's Host header, which an attacker controls (reset links sent by email, QR codes).
    Also outside a request (the mail sender, jobs): the path is then built from the URL map."""
    base = current_app.config["SAMASCHOOL_BASE_URL"].rstrip("/")
    if not has_request_context():
        return base + current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return base + url_for(endpoint, **values)
