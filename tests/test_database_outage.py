"""The database goes away and comes back: our own 503 page (JSON on the API) in the user's
language, rendered without the database, one short log line per failed request, and recovery
without a restart.

The outage is real, never a mock: on PostgreSQL the app reaches the test database through a
TCP proxy that the test closes (dropping every connection) and reopens; on SQLite the database
file is moved away and a directory put in its place, after the pool's open file handles are
closed as a server restart would close connections.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from samaschool import config, create_app
from samaschool.extensions import db
from samaschool.outage import RETRY_AFTER_SECONDS
from samaschool.permissions import Role
from tests import factories
from tests.conftest import Client


class TcpProxy:
    """127.0.0.1:<port> forwarded to the database server, until `down()` drops every connection
    and stops listening; `up()` listens on the same port again."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self.up()

    def up(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the same port again
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._start(self._accept, self._listener, self._stopping)

    def down(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            if thread.name == "proxy-accept":
                thread.join()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()
        self._threads.clear()

    def _start(self, target, *args) -> None:
        name = "proxy-accept" if target == self._accept else "proxy-pump"
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket, stopping: threading.Event) -> None:
        while not stopping.is_set():
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            self._start(self._pump, client, server)
            self._start(self._pump, server, client)

    @staticmethod
    def _pump(source: socket.socket, destination: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                destination.sendall(data)
        except OSError:
            pass
        for sock in (source, destination):  # one side hung up: end the other direction too
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class SqliteFileOutage:
    """The database file moved away, a directory in its place: nothing can open it."""

    def __init__(self, app, path: Path):
        self.app, self.path, self.away = app, path, path.with_name(path.name + ".away")

    def down(self) -> None:
        with self.app.app_context():
            db.engine.dispose()  # a server restart closes every connection; SQLite's are file handles
        self.path.rename(self.away)
        self.path.mkdir()

    def up(self) -> None:
        self.path.rmdir()
        self.away.rename(self.path)


@pytest.fixture
def site(app, database_url, tmp_path):
    """An app of its own whose database the test can take away (`site.down()`) and bring back."""
    if database_url.startswith("postgresql"):
        url = make_url(database_url)
        switch = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        site_url = url.set(host="127.0.0.1", port=switch.port).render_as_string(hide_password=False)
    else:
        path = tmp_path / "site.db"
        site_url = f"sqlite:///{path}"
    site = create_app(config.for_tests(str(tmp_path / "instance"), site_url))
    site.test_client_class = Client
    if not database_url.startswith("postgresql"):
        with site.app_context():
            db.create_all()
        switch = SqliteFileOutage(site, path)
    site.make = factories.Factories(site)
    site.down, site.up = switch.down, switch.up
    yield site
    with site.app_context():
        db.engine.dispose()
    if isinstance(switch, TcpProxy):
        switch.down()


def _login(site, user) -> Client:
    client = site.test_client()
    response = client.submit("/account/login", {"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    return client


def _outage_page(response, lang: str) -> str:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in body
    assert "Samaschool" in body and "Traceback" not in body
    assert '<nav aria-label="' not in body  # no menu: without the database the user is unknown
    return body


def test_a_visitor_gets_our_503_page_in_the_browsers_language(site):
    client = site.test_client()
    site.down()
    body = _outage_page(client.get("/courses/", headers={"Accept-Language": "en"}), "en")
    assert "Back in a moment" in body and "We cannot reach our database just now" in body
    swahili = client.get("/", headers={"Accept-Language": "sw-KE,sw;q=0.9"})
    assert "Ruka hadi maudhui" in _outage_page(swahili, "sw")  # "Skip to content"
    assert client.get("/healthz").status_code == 503


def test_a_signed_in_user_gets_the_page_in_their_own_language(site):
    learner = _login(site, site.make.user(preferred_language="sw"))
    site.down()
    # The browser asks for English; the session remembers the learner chose Swahili.
    page = learner.get("/dashboard", headers={"Accept-Language": "en"})
    assert "Ruka hadi maudhui" in _outage_page(page, "sw")
    # Error pages that would show the menu need the user, so they become the outage page too.
    expired_form = learner.post("/courses/x/enrol", data={"csrf_token": "x"}, headers={"Accept-Language": "en"})
    _outage_page(expired_form, "sw")
    _outage_page(learner.get("/no/such/page", headers={"Accept-Language": "en"}), "sw")


def test_an_admin_page_fails_the_same_way(site):
    admin = _login(site, site.make.user(Role.ADMIN))
    site.down()
    _outage_page(admin.get("/admin/users?page=2"), "en")
    _outage_page(admin.get("/manage/review"), "en")


def test_the_api_answers_json_503(site):
    admin = _login(site, site.make.user(Role.ADMIN))
    page = admin.submit("/manage/api-tokens", {"name": "Partner"}).get_data(as_text=True)
    secret = re.search(r'<code class="secret">(sst_[^<]+)</code>', page).group(1)
    spec = site.test_client().get("/api/v1/openapi.json").json
    partner = site.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert partner.get("/api/v1/users/1/certificates", headers=headers).status_code in (200, 404)
    site.down()
    response = partner.get("/api/v1/users/1/certificates", headers=headers)
    assert response.status_code == 503 and response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json["error"]["code"] == "unavailable"
    assert "503" in spec["paths"]["/users/{user_id}/certificates"]["get"]["responses"]
    codes = spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert "unavailable" in codes
    site.up()
    assert partner.get("/api/v1/users/1/certificates", headers=headers).status_code in (200, 404)


def test_each_failed_request_logs_one_short_line(site, caplog):
    learner = _login(site, site.make.user())
    site.testing = False  # as in production: an unhandled error would be logged, not raised in the test
    site.down()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert learner.get("/dashboard").status_code == 503
        assert learner.get("/no/such/page").status_code == 503
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().split(": ")[1].split(" (")[0] for r in noisy] == ["GET /dashboard", "GET /no/such/page"]
    for line in noisy:
        assert line.exc_info is None and "\n" not in line.getMessage() and len(line.getMessage()) < 400
    assert "Traceback" not in caplog.text


def test_the_site_recovers_without_a_restart(site):
    assert site.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    user = site.make.user()
    learner = _login(site, user)
    site.down()
    assert learner.get("/dashboard").status_code == 503
    site.up()
    assert learner.get("/dashboard").status_code == 200  # still signed in
    assert site.test_client().get("/healthz").status_code == 200
    # Connections that died while nobody was asking are replaced before use (pool_pre_ping).
    site.down()
    site.up()
    assert learner.get("/dashboard").status_code == 200


def test_the_outage_is_real(site):
    """The outage is not staged by the app: the same request works, fails, works."""
    client = site.test_client()
    assert client.get("/healthz").status_code == 200
    site.down()
    assert client.get("/healthz").json == {"status": "error", "database": "unreachable"}
    site.up()
    assert client.get("/healthz").status_code == 200
