"""Media: images and sound for lessons, questions and paid tasks, stored, checked, made small and served.

One way for every feature to take a file (`services.ingest`), check it from its bytes
(`checks.inspect`), make phone-sized copies of it (`transform`), keep them (`storage`) and serve
them from a content-hash URL (`views`). See the README's "Media" section for the formats and
limits, and docs/architecture.md for the API other features use.

Upload routes take larger requests than the app's 2 MB cap with `@upload_limit(MAX_…)`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import request

from samaschool.media.errors import MediaError

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_AUDIO_BYTES = 50 * 1024 * 1024
MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # a zip of media (task import)
MAX_IMAGE_PIXELS = 40_000_000
MAX_AUDIO_SECONDS = 10 * 60

UPLOAD_LIMIT_ATTRIBUTE = "max_content_length"

__all__ = [
    "MAX_AUDIO_BYTES",
    "MAX_AUDIO_SECONDS",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_UPLOAD_BYTES",
    "MediaError",
    "apply_upload_limit",
    "upload_limit",
]


def upload_limit(max_bytes: int) -> Callable:
    """A route decorator: this route accepts request bodies up to `max_bytes` (the app's
    MAX_CONTENT_LENGTH, 2 MB, stays for every other route). Put it below the route decorator.

    The limit must be in place before anything reads the form (the app's first before_request
    hook does, see `web.refuse_nul_bytes`), so it is kept on the view function and applied there
    by `apply_upload_limit()`; the wrapper applies it again in case the hook order changes."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            request.max_content_length = max_bytes
            return view(*args, **kwargs)

        setattr(view, UPLOAD_LIMIT_ATTRIBUTE, max_bytes)
        setattr(wrapper, UPLOAD_LIMIT_ATTRIBUTE, max_bytes)
        return wrapper

    return decorate


def apply_upload_limit() -> None:
    """Before the body is read: give the request its route's own upload limit, if it has one."""
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, UPLOAD_LIMIT_ATTRIBUTE, None)
    if limit:
        request.max_content_length = limit
