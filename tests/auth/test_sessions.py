"""Sessions (ASVS 3.3): an idle timeout and an absolute lifetime, "last seen" kept by a throttled
write on GET, the page that lists them with "log out everywhere else", and the audit log of
logins, failed logins, password changes and resets."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from samaschool.audit import AuditEntry
from samaschool.auth import services
from samaschool.auth.models import User, UserSession
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.jobs import PERIODIC
from tests.factories import PASSWORD

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
NEW_PASSWORD = "purple mountain river lantern"


def _login(client, email: str, *, address: str = "198.51.100.7", agent: str = ANDROID_CHROME):
    response = client.submit(
        "/account/login",
        {"email": email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": address},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 302
    return response


def _set_session_times(app, user_id: int, *, last_seen_ago: timedelta, started_ago: timedelta | None = None):
    with app.app_context():
        now = utcnow()
        values = {"last_seen_at": now - last_seen_ago}
        if started_ago is not None:
            values["created_at"] = now - started_ago
        db.session.execute(update(UserSession).where(UserSession.user_id == user_id).values(**values))
        db.session.commit()


def _last_seen(app, user_id: int):
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == user_id))
        return row.last_seen_at, row.ip_address


def _actions(app, user_id: int) -> list[tuple[str, int | None, dict | None]]:
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.target_type == "users", AuditEntry.target_id == user_id)
            .order_by(AuditEntry.id)
        )
        return [(entry.action, entry.actor_id, entry.after) for entry in entries]


def test_the_defaults_are_a_week_idle_and_thirty_days_at_most(app):
    assert app.config["SAMASCHOOL_SESSION_IDLE_MINUTES"] == 7 * 24 * 60
    assert app.config["SAMASCHOOL_SESSION_MAX_DAYS"] == 30
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=30)


def test_a_session_left_idle_for_longer_than_the_idle_timeout_ends(app, client, make, monkeypatch):
    user = make.user()
    _login(client, user.email)
    _set_session_times(app, user.id, last_seen_ago=timedelta(days=7) - timedelta(minutes=1))
    assert client.get("/dashboard").status_code == 200
    _set_session_times(app, user.id, last_seen_ago=timedelta(days=7, minutes=1))
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]

    # Configurable: a site that sets 30 minutes logs out after 31 idle minutes.
    monkeypatch.setitem(app.config, "SAMASCHOOL_SESSION_IDLE_MINUTES", 30)
    _login(client, user.email)
    _set_session_times(app, user.id, last_seen_ago=timedelta(minutes=31))
    assert client.get("/dashboard").status_code == 302


def test_a_session_ends_after_its_absolute_lifetime_even_when_in_use(app, client, make, monkeypatch):
    user = make.user()
    _login(client, user.email)
    _set_session_times(app, user.id, last_seen_ago=timedelta(minutes=1), started_ago=timedelta(days=29, hours=23))
    assert client.get("/dashboard").status_code == 200
    _set_session_times(app, user.id, last_seen_ago=timedelta(minutes=1), started_ago=timedelta(days=30, minutes=1))
    assert client.get("/dashboard").status_code == 302

    monkeypatch.setitem(app.config, "SAMASCHOOL_SESSION_MAX_DAYS", 2)
    _login(client, user.email)
    _set_session_times(app, user.id, last_seen_ago=timedelta(minutes=1), started_ago=timedelta(days=2, minutes=1))
    assert client.get("/dashboard").status_code == 302


def test_last_seen_is_written_on_a_get_at_most_every_few_minutes(app, client, make):
    user = make.user()
    _login(client, user.email)
    _set_session_times(app, user.id, last_seen_ago=timedelta(minutes=10))
    before, _address = _last_seen(app, user.id)

    # A static file is no visit: nothing is written.
    assert client.get("/static/css/app.css").status_code == 200
    assert _last_seen(app, user.id)[0] == before

    # A page is: "last seen" and the address move on (the test client raises on any other GET write).
    assert client.get("/dashboard", environ_base={"REMOTE_ADDR": "192.0.2.44"}).status_code == 200
    seen, address = _last_seen(app, user.id)
    assert utcnow() - seen < timedelta(seconds=30) and address == "192.0.2.44"

    # Within a few minutes of the last write, pages write nothing.
    _set_session_times(app, user.id, last_seen_ago=timedelta(minutes=2))
    recent, _address = _last_seen(app, user.id)
    for _ in range(3):
        client.get("/dashboard", environ_base={"REMOTE_ADDR": "192.0.2.45"})
    assert _last_seen(app, user.id) == (recent, "192.0.2.44")


def test_the_sessions_page_lists_devices_and_logs_out_everywhere_else(app, make):
    user = make.user()
    phone, laptop = app.test_client(), app.test_client()
    _login(phone, user.email, address="198.51.100.7", agent=ANDROID_CHROME)
    _login(laptop, user.email, address="192.0.2.20", agent=WINDOWS_FIREFOX)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Chrome on Android" in page and "Firefox on Windows" in page
    assert "198.51.100.7" in page and "192.0.2.20" in page
    assert page.count("This phone or computer") == 1
    assert page.index("Firefox on Windows") < page.index("This phone or computer") < page.index("Chrome on Android")
    assert "Log out everywhere else" in page

    response = laptop.submit("/account/sessions", {})
    assert response.status_code == 302 and response.headers["Location"] == "/account/sessions"
    assert "You are logged out on 1 other phone or computer." in laptop.get("/account/sessions").get_data(as_text=True)
    assert phone.get("/dashboard").status_code == 302  # the phone is logged out
    assert laptop.get("/dashboard").status_code == 200  # this one stays in

    # Sending it again ends nothing and records nothing twice.
    again = laptop.submit("/account/sessions", {}, follow_redirects=True).get_data(as_text=True)
    assert "You are not logged in anywhere else." in again
    ended = [entry for entry in _actions(app, user.id) if entry[0] == "user.sessions_ended"]
    assert ended == [("user.sessions_ended", user.id, {"sessions": 1})]


def test_ended_sessions_are_removed_by_the_periodic_job(app, make):
    user, other = make.user(), make.user()
    _login(app.test_client(), user.email)
    _login(app.test_client(), other.email)
    _set_session_times(app, user.id, last_seen_ago=timedelta(days=8))
    with app.app_context():
        assert PERIODIC["ended sessions removed"]() == 1
        db.session.commit()
        assert db.session.scalar(select(UserSession.user_id)) == other.id
        assert services.active_session_count(db.session.get(User, other.id)) == 1


def test_logins_failures_password_changes_and_resets_are_audited(app, client, make):
    user = make.user()
    failed = client.submit(
        "/account/login", {"email": user.email, "password": "wrong guess"}, environ_base={"REMOTE_ADDR": "192.0.2.9"}
    )
    assert failed.status_code == 422
    _login(client, user.email, address="192.0.2.10")
    changed = client.submit(
        "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert changed.status_code == 302
    with app.app_context():
        token = services.create_reset_token(db.session.get(User, user.id))
        db.session.commit()
    reset = app.test_client().submit(f"/account/reset/{token}", {"password": PASSWORD, "confirm": PASSWORD})
    assert reset.status_code == 302
    assert _actions(app, user.id) == [
        ("user.login_failed", None, {"address": "192.0.2.9"}),
        ("user.login", user.id, {"address": "192.0.2.10"}),
        ("user.password_changed", user.id, None),
        ("user.password_reset", user.id, {"link_made_by": None}),
    ]


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        (ANDROID_CHROME, "Chrome on Android"),
        (WINDOWS_FIREFOX, "Firefox on Windows"),
        (
            "Opera/9.80 (Android; Opera Mini/65.0.2254/191.303; U; en) Presto/2.12.423 Version/12.16",
            "Opera Mini on Android",
        ),
        (
            "Mozilla/5.0 (Mobile; LYF/F300B/LYF-F300B-001-01-15-130718-i;Android; rv:48.0) Gecko/48.0 "
            "Firefox/48.0 KAIOS/2.5",
            "Firefox on KaiOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.1 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        ("curl/8.4.0", "Unknown browser"),
    ],
)
def test_devices_have_names_people_recognise(app, agent, name):
    from samaschool.auth.devices import device_name

    with app.test_request_context():
        assert device_name(agent) == name
