from sqlalchemy import select

from samaschool.audit import AuditEntry
from samaschool.auth.models import User
from samaschool.extensions import db
from samaschool.permissions import Role
from tests.factories import PASSWORD


def _admin_client(app, make):
    admin = make.user(Role.ADMIN, name="Ada Admin")
    client = app.test_client()
    client.submit("/account/login", {"email": admin.email, "password": PASSWORD})
    return admin, client


def test_admin_lists_and_searches_users(app, make):
    _admin, client = _admin_client(app, make)
    make.user(name="Grace Akinyi", email="grace@example.org")
    make.user(Role.TRAINER, name="Tom Trainer", email="tom@example.org")
    page = client.get("/admin/users?q=akinyi").get_data(as_text=True)
    assert "Grace Akinyi" in page and "Tom Trainer" not in page
    page = client.get("/admin/users?role=trainer").get_data(as_text=True)
    assert "Tom Trainer" in page and "Grace Akinyi" not in page
    page = client.get("/admin/users?q=GRACE@").get_data(as_text=True)
    assert "Grace Akinyi" in page


def test_admin_changes_a_role_and_it_is_audited(app, make):
    admin, client = _admin_client(app, make)
    learner = make.user()
    response = client.submit(
        f"/admin/users/{learner.id}/role",
        {"role": "trainer", "reason": "runs the Gulu cohort"},
        page=f"/admin/users/{learner.id}",
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, learner.id).role == Role.TRAINER
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.role_changed"))
        assert entry.actor_id == admin.id and entry.target_id == learner.id
        assert entry.before == {"role": "learner"} and entry.after == {"role": "trainer"}
        assert entry.reason == "runs the Gulu cohort"
        assert entry.created_at is not None
    history = client.get(f"/admin/users/{learner.id}").get_data(as_text=True)
    assert "Role changed · User #" in history and "runs the Gulu cohort" in history


def test_deactivating_ends_the_users_sessions(app, make):
    _admin, admin_client = _admin_client(app, make)
    learner = make.user()
    learner_client = app.test_client()
    learner_client.submit("/account/login", {"email": learner.email, "password": PASSWORD})
    assert learner_client.get("/dashboard").status_code == 200
    response = admin_client.submit(
        f"/admin/users/{learner.id}/active",
        {"activate": "0", "activation-reason": "shared account"},
        page=f"/admin/users/{learner.id}",
    )
    assert response.status_code == 302
    assert learner_client.get("/dashboard").status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.deactivated"))
        assert entry.before == {"is_active": True} and entry.after == {"is_active": False}


def test_deactivation_needs_a_reason_and_keeps_the_form(app, make):
    _admin, client = _admin_client(app, make)
    learner = make.user()
    response = client.submit(
        f"/admin/users/{learner.id}/active",
        {"activate": "0", "activation-reason": ""},
        page=f"/admin/users/{learner.id}",
    )
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, learner.id).is_active


def test_the_last_admin_cannot_demote_themself(app, make):
    admin, client = _admin_client(app, make)
    response = client.submit(
        f"/admin/users/{admin.id}/role", {"role": "learner", "reason": ""}, page=f"/admin/users/{admin.id}"
    )
    assert response.status_code == 422
    assert "last active admin" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin.id).role == Role.ADMIN


def test_replayed_role_change_records_one_audit_entry(app, make):
    _admin, client = _admin_client(app, make)
    learner = make.user()
    token = client.csrf_token(f"/admin/users/{learner.id}")
    for _ in range(2):
        client.post(f"/admin/users/{learner.id}/role", data={"role": "trainer", "reason": "", "csrf_token": token})
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.role_changed")).all()
        assert len(entries) == 1


def test_admin_pages_are_for_admins_only(app, client, auth, make):
    assert client.get("/admin/users").status_code == 302  # anonymous: to login
    for role in (Role.LEARNER, Role.TRAINER):
        user = make.user(role)
        c = app.test_client()
        c.submit("/account/login", {"email": user.email, "password": PASSWORD})
        assert c.get("/admin/users").status_code == 403
        assert c.get("/admin/audit").status_code == 403
        assert c.post(f"/admin/users/{user.id}/role", data={"role": "admin"}).status_code in (400, 403)
        with app.app_context():
            assert db.session.get(User, user.id).role == role


def test_audit_log_page_lists_changes(app, make):
    _admin, client = _admin_client(app, make)
    learner = make.user()
    client.submit(
        f"/admin/users/{learner.id}/role",
        {"role": "trainer", "reason": "cohort lead"},
        page=f"/admin/users/{learner.id}",
    )
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Role changed · User #" in page and "cohort lead" in page and "Ada Admin" in page


def test_ensure_admin_creates_once_and_prints_the_password_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["users", "ensure-admin"])
    assert first.exit_code == 0 and "password:" in first.output
    second = runner.invoke(args=["users", "ensure-admin"])
    assert second.exit_code == 0 and "password:" not in second.output
    with app.app_context():
        admins = db.session.scalars(select(User).where(User.role == Role.ADMIN)).all()
        assert len(admins) == 1


def test_ensure_admin_takes_email_and_password_from_the_environment(app, monkeypatch):
    monkeypatch.setenv("SAMASCHOOL_ADMIN_EMAIL", "boss@example.org")
    monkeypatch.setenv("SAMASCHOOL_ADMIN_PASSWORD", "orange tractor sunset")
    result = app.test_cli_runner().invoke(args=["users", "ensure-admin"])
    assert result.exit_code == 0 and "orange tractor sunset" not in result.output
    login = app.test_client().submit(
        "/account/login", {"email": "boss@example.org", "password": "orange tractor sunset"}
    )
    assert login.status_code == 302


def test_admin_grants_the_pool_manager_permission(app, make):
    _admin, client = _admin_client(app, make)
    trainer = make.user(Role.TRAINER)
    manager_client = app.test_client()
    manager_client.submit("/account/login", {"email": trainer.email, "password": PASSWORD})
    assert manager_client.get("/manage/pools").status_code == 403
    client.submit(f"/admin/users/{trainer.id}/pool-manager", {"allowed": "1"}, page=f"/admin/users/{trainer.id}")
    assert manager_client.get("/manage/pools").status_code == 200
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.pool_manager_changed"))
        assert entry.after == {"is_pool_manager": True}
