"""Two gunicorn instances against one database and one Redis, as in production (docs/deploy.md):
a learner may reach either on each request. Real processes and plain HTTP, no test client.

- a login made through one instance is valid on the other (sessions are database rows);
- failed logins are counted across both (Flask-Limiter's store is Redis);
- logging out through one ends the session on the other;
- a password reset asked through one is emailed by a job worker process.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests import factories
from tests.outbox import read
from tests.servers import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


class Browser:
    """A cookie jar and plain HTTP: `get` and `submit` (which first loads the form for its CSRF
    token, like a browser); redirects are not followed, so tests see them."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects)

    def request(self, url: str, data: dict | None = None) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            request = urllib.request.Request(url, data=body)  # noqa: S310 (our own http:// servers)
            with self._opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers), error.read().decode()

    def get(self, url: str) -> tuple[int, dict, str]:
        return self.request(url)

    def submit(self, url: str, data: dict, *, page: str | None = None) -> tuple[int, dict, str]:
        status, _headers, html = self.get(page or url)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {page or url} (status {status})"
        return self.request(url, {**data, "csrf_token": match.group(1)})


@pytest.fixture
def shared_env(app, database_url, redis_url, tmp_path) -> dict:
    """What every process of the site gets: one database, one Redis, one secret key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMASCHOOL_", "DATABASE_URL", "FLASK_"))}
    env.update(
        DATABASE_URL=database_url,
        SAMASCHOOL_REDIS_URL=redis_url,
        SAMASCHOOL_SECRET_KEY="two-instances-share-this-key",
        SAMASCHOOL_BASE_URL="https://learn.example.org",
        SAMASCHOOL_OUTBOX=str(tmp_path / "outbox"),
        SAMASCHOOL_KEYS_PATH=str(tmp_path / "keys"),
        SAMASCHOOL_MEDIA_PATH=str(tmp_path / "media"),
        SAMASCHOOL_MEDIA_CACHE=str(tmp_path / "media-cache"),
        SAMASCHOOL_JOBS_PATH=str(tmp_path / "jobs.sqlite3"),
        SAMASCHOOL_BACKUPS_PATH=str(tmp_path / "backups"),
        SAMASCHOOL_DB_POOL_SIZE="2",
        PYTHONUNBUFFERED="1",
    )
    return env


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as output:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603


@pytest.fixture
def instances(shared_env, tmp_path):
    """Two gunicorn instances (one worker each) on free ports: their base URLs."""
    processes, urls = [], []
    try:
        for n in (1, 2):
            port = free_port()
            command = [str(BIN / "gunicorn"), "-w", "1", "--bind", f"127.0.0.1:{port}", "app:app"]
            processes.append(_start(command, shared_env, tmp_path / f"gunicorn-{n}.log"))
            urls.append(f"http://127.0.0.1:{port}")
            wait_for_port(port, processes[-1], timeout=60)
        yield urls
    finally:
        for process in processes:
            stop(process)


def _log_in(browser: Browser, base: str, email: str, password: str = factories.PASSWORD) -> int:
    status, _headers, _body = browser.submit(f"{base}/account/login", {"email": email, "password": password})
    return status


def test_a_login_works_on_both_and_a_logout_on_one_ends_it_on_both(instances, make):
    one, two = instances
    learner = make.user()
    browser = Browser()
    assert _log_in(browser, one, learner.email) == 302
    assert browser.get(f"{two}/dashboard")[0] == 200
    status, _headers, page = browser.get(f"{two}/account/profile")
    assert status == 200 and learner.email in page

    status, _headers, _body = browser.submit(f"{one}/account/logout", {}, page=f"{one}/courses/")
    assert status == 302
    status, headers, _body = browser.get(f"{two}/dashboard")
    assert status == 302 and "/account/login" in headers["Location"]


def test_failed_logins_are_counted_across_both_instances(instances, make):
    """5 failed logins a minute per account and address from a new device (samaschool/auth/views.py):
    alternating between the instances, each sees three; together they are six, and the sixth is refused."""
    one, two = instances
    learner = make.user()
    stranger = Browser()
    answers = [_log_in(stranger, (one, two)[n % 2], learner.email, f"wrong password {n}") for n in range(7)]
    assert answers == [422] * 5 + [429, 429]
    assert _log_in(stranger, one, learner.email) == 429  # even the right password, for now


def test_a_reset_asked_through_one_instance_is_emailed_by_the_job_worker(instances, shared_env, make, tmp_path):
    _one, two = instances
    learner = make.user()
    status, _headers, _body = Browser().submit(f"{two}/account/reset", {"email": learner.email})
    assert status == 302
    outbox = Path(shared_env["SAMASCHOOL_OUTBOX"])
    assert not outbox.exists() or not list(outbox.glob("*.eml"))  # pages only queue email

    command = [str(BIN / "flask"), "--app", "app", "jobs", "worker"]
    worker = _start(command, shared_env, tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 60
        while not (outbox.exists() and list(outbox.glob("*.eml"))) and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
    finally:
        stop(worker)
    emails = sorted(outbox.glob("*.eml")) if outbox.exists() else []
    assert len(emails) == 1, (tmp_path / "worker.log").read_text()
    message = read(emails[0])
    assert f"To: {learner.email}" in message
    assert "https://learn.example.org/account/reset/" in message
