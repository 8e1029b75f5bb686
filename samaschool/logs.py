"""Log lines, and the request id that ties them to one request.

`init_app(app)` (called once by `create_app`) sends every log line of the process to standard
error, as text or, with SAMASCHOOL_LOG_FORMAT=json, as one JSON object per line for a log
collector: `time` (UTC), `level`, `logger`, `message`, and during a request `request_id`,
`method`, `path` (and `status` once the response is made); `exc_info` when there is a traceback.

Every request has an id: the `X-Request-ID` header nginx sends (`proxy_set_header X-Request-ID
$request_id`, see deploy/nginx.conf) when it looks like one, else a new random one. It is kept
on `g.request_id`, sent back in the `X-Request-ID` response header, added to every log line
written during the request, printed in gunicorn's access log (deploy/gunicorn.conf.py) and shown
on error pages ("Reference: …") so that a learner can quote it and an operator find the lines.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

HEADER = "X-Request-ID"
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,127}")
"""What an incoming id may look like (nginx's $request_id is 32 hex digits; a UUID fits too):
anything else, a log-injection attempt or an id too long to be useful, is replaced."""

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def request_id() -> str | None:
    """This request's id (made on first use), or None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "").strip()
        g.request_id = incoming if REQUEST_ID_RE.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


class RequestFilter(logging.Filter):
    """Adds the request's id, method and path (and its status, once known) to each log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = request_id()
            record.method = request.method
            record.path = request.path
            if (status := g.get("response_status")) is not None:
                record.status = status
        return True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (gunicorn and pytest may replace it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    return logging.Formatter(TEXT_FORMAT, defaults={"request_id": "-"})


def configure(log_format: str) -> logging.Handler:
    """The process's one log handler, on the root logger: made on the first call, its format
    replaced on later ones (the tests make many apps in one process)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        handler.addFilter(RequestFilter())
        root.addHandler(handler)
    handler.setFormatter(formatter(log_format))
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return handler


def _send_request_id(response):
    response.headers[HEADER] = request_id()
    g.response_status = response.status_code
    return response


def init_app(app: Flask) -> None:
    log_format = app.config.get("SAMASCHOOL_LOG_FORMAT", "text")
    if log_format not in ("text", "json"):
        raise ValueError(f"SAMASCHOOL_LOG_FORMAT must be text or json, not {log_format!r}")
    configure(log_format)
    app.after_request(_send_request_id)
    app.jinja_env.globals["request_id"] = request_id
