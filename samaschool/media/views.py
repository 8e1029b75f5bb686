"""Serving media from content-hash URLs: /media/<key>/<variant>.<ext>.

Public, like a CDN: anyone with the URL (it names the sha256 of the file) may fetch it. The bytes
behind a URL never change, so it is cached for a year by browsers and shared caches, and
carries no cookie (samaschool.web.SessionInterface). A long sound the job worker has not made
small yet answers 503 with Retry-After and no-store (a 404 could be cached), one that failed 404.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort
from flask_babel import gettext as _

from samaschool.media import services
from samaschool.media.storage import storage

bp = Blueprint("media", __name__)

KEY_RE = re.compile(r"[0-9a-f]{64}")
CACHE_CONTROL = "public, max-age=31536000, immutable"
RETRY_AFTER_SECONDS = 30  # a ten-minute sound takes about ten seconds once the worker takes it


@bp.get("/media/<key>/<variant>.<ext>")
def file(key: str, variant: str, ext: str):
    if not KEY_RE.fullmatch(key):
        abort(404)
    media = services.get(key)
    if media is not None and media.state == "waiting":  # the job worker is making it: soon
        response = Response(_("This file is being prepared. Try again in a minute."), 503, mimetype="text/plain")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response.headers["Cache-Control"] = "no-store"
        return response
    if media is None or not media.has_variant(variant):
        abort(404)
    record = media.variant(variant)
    if not record["path"].endswith("." + ext):
        abort(404)
    store = storage()
    if not store.exists(record["path"]):
        abort(404)
    response = store.response(record["path"], record["type"])
    if "Location" not in response.headers:  # a redirect to a signed URL is cached only while the URL lives
        response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.pop("Expires", None)
    return response
