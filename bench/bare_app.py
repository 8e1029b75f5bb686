"""The framework's own ceiling for bench/pages.py: a bare Flask route that returns a fixed 2 KB page.

    gunicorn --workers 2 bench.bare_app:app

No database, no templates, no session, no extensions: what every Samaschool page costs at least
when served by the same gunicorn settings on the same machine.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)

PAGE = (
    "<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>Bare</title></head><body>\n"
    + "<p>Samaschool bare route: a fixed page of two kilobytes, the same on every request.</p>\n" * 24
    + "</body></html>\n"
)[:2048]


@app.get("/")
def bare():
    return PAGE, 200, {"Content-Type": "text/html; charset=utf-8"}
