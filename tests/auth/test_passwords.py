import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from samaschool.audit import AuditEntry
from samaschool.auth.models import PasswordResetToken
from samaschool.extensions import db
from samaschool.permissions import Role
from tests.factories import PASSWORD
from tests.outbox import delivered

NEW = "lime kettle orbit parade"


def _outbox(app) -> list[Path]:
    return delivered(app)


def _link_from_last_email(app) -> str:
    text = _outbox(app)[-1].read_text()
    return re.search(r"http://localhost(/account/reset/\S+)", text).group(1)


def test_password_change_ends_other_sessions_but_keeps_this_one(app, make):
    user = make.user()
    phone, cafe = app.test_client(), app.test_client()
    for client in (phone, cafe):
        client.submit("/account/login", {"email": user.email, "password": PASSWORD})
    response = phone.submit("/account/password", {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert phone.get("/dashboard").status_code == 200
    assert cafe.get("/dashboard").status_code == 302
    fresh = app.test_client()
    assert fresh.submit("/account/login", {"email": user.email, "password": PASSWORD}).status_code == 422
    assert fresh.submit("/account/login", {"email": user.email, "password": NEW}).status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(client, auth, make):
    user = make.user()
    auth.login(user.email)
    response = client.submit(
        "/account/password", {"current_password": "not my password", "new_password": NEW, "confirm": NEW}
    )
    assert response.status_code == 422
    assert "current password is not right" in response.get_data(as_text=True)
    auth.logout()
    assert auth.login(user.email, PASSWORD).status_code == 302


def test_reset_email_link_works_once_for_one_hour(app, client, make, tmp_path):
    user = make.user(email="wanjiru@example.org")
    before = len(_outbox(app))
    response = client.submit("/account/reset", {"email": "wanjiru@example.org"})
    assert response.status_code == 302
    assert len(_outbox(app)) == before + 1
    link = _link_from_last_email(app)
    form = {"password": NEW, "confirm": NEW, "csrf_token": client.csrf_token(link)}
    assert client.post(link, data=form).status_code == 302
    # Single use: the same link is now dead, and a replayed POST changes nothing.
    assert client.get(link).status_code == 410
    replay = app.test_client()
    replayed = {**form, "password": "zebra quilt hammock", "confirm": "zebra quilt hammock"}
    replayed["csrf_token"] = replay.csrf_token("/account/login")
    assert replay.post(link, data=replayed).status_code == 410
    login = app.test_client().submit("/account/login", {"email": user.email, "password": NEW})
    assert login.status_code == 302


def test_reset_link_expires_after_an_hour(app, client, make):
    make.user(email="wanjiru@example.org")
    client.submit("/account/reset", {"email": "wanjiru@example.org"})
    link = _link_from_last_email(app)
    with app.app_context():
        token = db.session.scalar(select(PasswordResetToken))
        token.expires_at = token.created_at - timedelta(seconds=1)
        db.session.commit()
    assert client.get(link).status_code == 410


def test_reset_request_never_reveals_whether_an_email_is_registered(app, client, make):
    make.user(email="known@example.org")
    known = client.submit("/account/reset", {"email": "known@example.org"}, follow_redirects=True)
    count = len(_outbox(app))
    unknown = client.submit("/account/reset", {"email": "unknown@example.org"}, follow_redirects=True)
    assert len(_outbox(app)) == count  # nothing is sent for an unknown address
    assert known.status_code == unknown.status_code == 200

    def message(response):
        return re.search(r'class="flash[^"]*"[^>]*>([^<]*)', response.get_data(as_text=True)).group(1)

    assert message(known) == message(unknown)


def test_reset_ends_every_session(app, make):
    user = make.user(email="wanjiru@example.org")
    old = app.test_client()
    old.submit("/account/login", {"email": user.email, "password": PASSWORD})
    other = app.test_client()
    other.submit("/account/reset", {"email": user.email})
    other.submit(_link_from_last_email(app), {"password": NEW, "confirm": NEW})
    assert old.get("/dashboard").status_code == 302


def test_weak_new_password_on_reset_is_refused_and_link_still_works(app, client, make):
    make.user(email="wanjiru@example.org")
    client.submit("/account/reset", {"email": "wanjiru@example.org"})
    link = _link_from_last_email(app)
    weak = client.submit(link, {"password": "qwertyuiop", "confirm": "qwertyuiop"})
    assert weak.status_code == 422
    assert "too common" in weak.get_data(as_text=True)
    assert client.get(link).status_code == 200


def test_trainer_makes_a_reset_link_for_a_learner_without_email(app, make):
    trainer = make.user(Role.TRAINER)
    learner = make.user(email="no-email-access@example.org")
    make.teaching(trainer, learner)  # trainers make links only for the learners of their courses
    other_trainer = make.user(Role.TRAINER)
    client = app.test_client()
    client.submit("/account/login", {"email": trainer.email, "password": PASSWORD})
    response = client.submit("/account/reset-links/new", {"email": learner.email})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    link = re.search(r"http://localhost(/account/reset/[^<\s]+)", response.get_data(as_text=True)).group(1)
    # A trainer cannot reset another trainer's password.
    refused = client.submit("/account/reset-links/new", {"email": other_trainer.email})
    assert refused.status_code == 422
    # The learner uses the link.
    learner_client = app.test_client()
    assert learner_client.submit(link, {"password": NEW, "confirm": NEW}).status_code == 302
    assert learner_client.submit("/account/login", {"email": learner.email, "password": NEW}).status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.reset_link_created"))
        assert entry.actor_id == trainer.id and entry.target_id == learner.id


def test_learners_cannot_make_reset_links(client, auth, make):
    learner = make.user()
    auth.login(learner.email)
    assert client.get("/account/reset-links/new").status_code == 403
