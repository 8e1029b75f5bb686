"""The payout account: changed only with the password, audited, told to the learner, held after a
reset through a link someone else made; payout batches pay the account they were made with."""

import re
import time
from datetime import timedelta

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from samaschool.audit import AuditEntry
from samaschool.auth.models import PasswordResetToken, PayoutAccountChange, User
from samaschool.extensions import db
from samaschool.mail import OutgoingEmail
from samaschool.permissions import Role
from samaschool.pools import money
from tests.factories import PASSWORD
from tests.outbox import delivered, last_email, read

OLD = "+254 700 000001"
NEW = "+254 711 999999"
TRAINERS_PASSWORD = "trainer chose this one"


def logged_in(app, user, password=PASSWORD):
    client = app.test_client()
    assert client.submit("/account/login", {"email": user.email, "password": password}).status_code == 302
    return client


def _learner(app, make, account=OLD, **fields):
    learner = make.user(name="Amina Wanjiru", **fields)
    with app.app_context():
        db.session.get(User, learner.id).payout_account = account
        db.session.commit()
    return learner


def _account(app, user) -> str | None:
    with app.app_context():
        return db.session.get(User, user.id).payout_account


def _actions(app, user) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.target_type == "users", AuditEntry.target_id == user.id)
                .order_by(AuditEntry.id)
            )
        )


def _change(client, account, password):
    return client.submit(
        "/account/payout-account",
        {"payout-payout_account": account, "payout-current_password": password},
        page="/account/profile",
    )


def test_a_stolen_session_cannot_change_the_payout_account_without_the_password(app, make):
    learner = _learner(app, make)
    thief = logged_in(app, learner)  # a session left open in a cybercafé
    # The profile form no longer carries the payout account at all.
    thief.submit(
        "/account/profile",
        {"name": "Amina Wanjiru", "country": "KE", "preferred_language": "en", "timezone": "Africa/Nairobi"}
        | {"payout_account": NEW},
    )
    assert _account(app, learner) == OLD
    for password in ("", "a guess at it"):
        refused = _change(thief, NEW, password)
        assert refused.status_code == 422
        page = refused.get_data(as_text=True)
        assert f'value="{NEW}"' in page  # the typed account stays in the form
        assert 'id="payout-current_password-error"' in page
    assert _account(app, learner) == OLD
    assert "user.payout_account_changed" not in _actions(app, learner)


def test_a_change_with_the_password_is_audited_emailed_and_shown_on_the_dashboard(app, make):
    learner = _learner(app, make)
    client = logged_in(app, learner)
    before = len(delivered(app))
    response = _change(client, NEW, PASSWORD)
    assert response.status_code == 302
    assert _account(app, learner) == NEW
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.payout_account_changed"))
        assert entry.actor_id == learner.id and entry.target_id == learner.id
        assert entry.before == {"payout_account": OLD}
        assert entry.after["payout_account"] == NEW
    emails = delivered(app)
    assert len(emails) == before + 1
    text = read(emails[-1])
    assert f"To: {learner.email}" in text and "…9999" in text and "…0001" in text and NEW not in text
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Your payout account was changed on" in dashboard and "…9999" in dashboard
    # The same form again (a double tap, a replay) changes nothing twice.
    assert _change(client, NEW, PASSWORD).status_code == 302
    assert _actions(app, learner).count("user.payout_account_changed") == 1
    assert len(delivered(app)) == before + 1


def test_a_payout_batch_pays_the_account_it_was_made_with(app, make):
    learner = _learner(app, make)
    admin = make.user(Role.ADMIN)
    with app.app_context():
        money.add_bonus(db.session.get(User, admin.id), db.session.get(User, learner.id), 5000, "KES", "seed")
        first = money.create_batch(db.session.get(User, admin.id), "KES", 1000).id
        db.session.commit()
    # After the batch is made the learner (or whoever has her password) changes the account.
    assert _change(logged_in(app, learner), NEW, PASSWORD).status_code == 302
    admin_client = logged_in(app, admin)
    exported = admin_client.get(f"/manage/payouts/{first}.csv").get_data(as_text=True)
    assert f"Amina Wanjiru,{OLD},KES,50.00," in exported and NEW not in exported
    page = admin_client.get(f"/manage/payouts/{first}").get_data(as_text=True)
    assert OLD in page and NEW not in page
    # Money earned later goes to the new account.
    with app.app_context():
        money.add_bonus(db.session.get(User, admin.id), db.session.get(User, learner.id), 2000, "KES", "more")
        second = money.create_batch(db.session.get(User, admin.id), "KES", 1000).id
        db.session.commit()
    assert f"{NEW},KES,20.00," in admin_client.get(f"/manage/payouts/{second}.csv").get_data(as_text=True)


def _trainer_takes_over(app, make, learner, trainer):
    """What the security review did: a trainer makes a reset link, sets the learner's password with
    it and logs in as her. Returns the trainer's client, logged in as the learner."""
    if trainer.role == Role.TRAINER:
        make.teaching(trainer, learner)  # a trainer makes links for the learners of their courses only
    trainer_client = logged_in(app, trainer)
    page = trainer_client.submit("/account/reset-links/new", {"email": learner.email}).get_data(as_text=True)
    link = re.search(r"http://localhost(/account/reset/[^<\s]+)", page).group(1)
    takeover = app.test_client()
    assert takeover.submit(link, {"password": TRAINERS_PASSWORD, "confirm": TRAINERS_PASSWORD}).status_code == 302
    response = takeover.submit(
        "/account/login?next=/pools", {"email": learner.email, "password": TRAINERS_PASSWORD}, page="/account/login"
    )
    assert response.status_code == 302
    return takeover, response


def test_a_trainers_reset_link_cannot_be_used_to_redirect_a_learners_earnings(app, make):
    learner = _learner(app, make)
    trainer = make.user(Role.TRAINER, name="Tom Trainer")
    admin = make.user(Role.ADMIN, name="Ada Admin")
    with app.app_context():
        money.add_bonus(db.session.get(User, admin.id), db.session.get(User, learner.id), 5000, "KES", "earned")
        db.session.commit()
    takeover, login = _trainer_takes_over(app, make, learner, trainer)

    # The reset's use is audited with the trainer as the one who made the link.
    with app.app_context():
        reset = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_reset"))
        assert reset.target_id == learner.id and reset.after["link_made_by"] == trainer.id
    # The login says who made a reset link and when: it goes to the dashboard, whatever `next` says.
    assert login.headers["Location"] == "/dashboard"
    dashboard = takeover.get("/dashboard").get_data(as_text=True)
    assert "Tom Trainer made a password reset link for your account on" in dashboard

    # With the password the trainer set, the change of account is accepted, but held.
    response = _change(takeover, NEW, TRAINERS_PASSWORD)
    assert response.status_code == 302
    assert "waits until an admin confirms it" in takeover.get("/account/profile").get_data(as_text=True)
    assert _account(app, learner) == OLD
    with app.app_context():
        change = db.session.scalar(select(PayoutAccountChange))
        assert (change.state, change.old_account, change.new_account) == ("held", OLD, NEW)
        held = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.payout_account_held"))
        assert held.before == {"payout_account": OLD} and held.after["payout_account"] == NEW
        assert held.after["link_made_by_id"] == trainer.id
        change_id = change.id
    # A batch made meanwhile pays the account the learner gave.
    admin_client = logged_in(app, admin)
    with app.app_context():
        batch = money.create_batch(db.session.get(User, admin.id), "KES", 1000).id
        db.session.commit()
    assert f",{OLD},KES,50.00," in admin_client.get(f"/manage/payouts/{batch}.csv").get_data(as_text=True)

    # The learner's own email hears of it, with a link to decide; the outbox keeps no such link.
    email = last_email(app)
    assert f"To: {learner.email}" in email and "Tom Trainer" not in email
    assert re.search(r"http://localhost/account/payout-account/confirm/\S+", email)
    with app.app_context():
        stored = db.session.scalar(select(OutgoingEmail).where(OutgoingEmail.kind == "payout_account_held"))
        assert stored.status == "sent" and "/confirm/" not in stored.body and "[link]" in stored.body

    # Neither the trainer nor the learner's account can confirm it as an admin would.
    trainer_client = logged_in(app, trainer)
    for client in (trainer_client, takeover):
        forbidden = client.submit(
            f"/admin/payout-account-changes/{change_id}",
            {"decision": "confirm", "payout-reason": ""},
            page="/account/profile",
        )
        assert forbidden.status_code == 403
    assert _account(app, learner) == OLD

    # An admin sees it waiting, and refuses it.
    waiting = admin_client.get("/admin/payout-account-changes").get_data(as_text=True)
    assert "Amina Wanjiru" in waiting and NEW in waiting and "Tom Trainer" in waiting
    user_page = admin_client.get(f"/admin/users/{learner.id}").get_data(as_text=True)
    assert "Tom Trainer" in user_page and NEW in user_page
    refused = admin_client.submit(
        f"/admin/payout-account-changes/{change_id}",
        {"decision": "reject", "payout-reason": "the learner did not ask for it"},
        page=f"/admin/users/{learner.id}",
    )
    assert refused.status_code == 302
    assert _account(app, learner) == OLD
    with app.app_context():
        assert db.session.get(PayoutAccountChange, change_id).state == "rejected"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.payout_account_rejected"))
        assert entry.actor_id == admin.id and entry.reason == "the learner did not ask for it"
    assert "was refused" in takeover.get("/dashboard").get_data(as_text=True)
    # The emailed link is dead once the change is decided.
    link = re.search(r"http://localhost(/account/payout-account/confirm/\S+)", email).group(1)
    assert app.test_client().get(link).status_code == 410
    assert "user.reset_link_created" in _actions(app, learner)


def test_an_admin_confirms_a_held_change_but_not_one_behind_their_own_link(app, make):
    learner = _learner(app, make)
    link_maker = make.user(Role.ADMIN, name="Link Admin")
    other_admin = make.user(Role.ADMIN, name="Other Admin")
    takeover, _login = _trainer_takes_over(app, make, learner, link_maker)
    _change(takeover, NEW, TRAINERS_PASSWORD)
    with app.app_context():
        change_id = db.session.scalar(select(PayoutAccountChange.id))
    own = logged_in(app, link_maker).submit(
        f"/admin/payout-account-changes/{change_id}",
        {"decision": "confirm", "payout-reason": ""},
        page=f"/admin/users/{learner.id}",
    )
    assert own.status_code == 422 and "another admin must decide" in own.get_data(as_text=True)
    assert _account(app, learner) == OLD
    client = logged_in(app, other_admin)
    form = {"decision": "confirm", "payout-reason": "she phoned to confirm"}
    assert client.submit(f"/admin/payout-account-changes/{change_id}", form, page="/admin/users").status_code == 302
    assert _account(app, learner) == NEW
    # Confirming again (a replayed form) changes nothing twice.
    assert client.submit(f"/admin/payout-account-changes/{change_id}", form, page="/admin/users").status_code == 302
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.payout_account_confirmed"))
        assert [(e.actor_id, e.before, e.after["payout_account"]) for e in entries] == [
            (other_admin.id, {"payout_account": OLD}, NEW)
        ]
    assert "…9999" in last_email(app)  # the learner is told the account changed


def test_the_learner_confirms_through_her_own_email_once(app, make):
    learner = _learner(app, make)
    takeover, _login = _trainer_takes_over(app, make, learner, make.user(Role.TRAINER))
    _change(takeover, NEW, TRAINERS_PASSWORD)
    email = last_email(app)
    link = re.search(r"http://localhost(/account/payout-account/confirm/\S+)", email).group(1)
    reader = app.test_client()  # her own phone, not logged in: her password is not hers any more
    page = reader.get(link)
    assert page.status_code == 200 and "…9999" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    form = {"decision": "confirm", "csrf_token": reader.csrf_token(link)}
    assert reader.post(link, data=form).status_code == 302
    assert _account(app, learner) == NEW
    with app.app_context():
        change = db.session.scalar(select(PayoutAccountChange))
        assert (change.state, change.decided_by_id) == ("confirmed", learner.id)
    # Single use: the link is dead, and a replayed POST changes nothing.
    assert reader.get(link).status_code == 410
    assert reader.post(link, data={**form, "decision": "keep"}).status_code == 410
    assert _account(app, learner) == NEW


def test_a_confirmation_link_that_is_altered_or_too_old_does_nothing(app, make):
    learner = _learner(app, make)
    takeover, _login = _trainer_takes_over(app, make, learner, make.user(Role.TRAINER))
    _change(takeover, NEW, TRAINERS_PASSWORD)
    with app.app_context():
        change = db.session.scalar(select(PayoutAccountChange))
        ids = [change.id, change.user_id]

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 8 * 24 * 3600

    old = URLSafeTimedSerializer(app.secret_key, salt="payout-account-change", signer=EightDaysAgo).dumps(ids)
    forged = URLSafeTimedSerializer("not the key", salt="payout-account-change").dumps(ids)
    client = app.test_client()
    for token in (old, forged, old[:-2] + "xy"):
        assert client.get(f"/account/payout-account/confirm/{token}").status_code == 410
        form = {"decision": "confirm", "csrf_token": client.csrf_token("/account/login")}
        assert client.post(f"/account/payout-account/confirm/{token}", data=form).status_code == 410
    assert _account(app, learner) == OLD


def test_the_hold_ends_72_hours_after_the_reset(app, make):
    learner = _learner(app, make)
    takeover, _login = _trainer_takes_over(app, make, learner, make.user(Role.TRAINER))
    with app.app_context():
        reset = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.reset_at.is_not(None)))
        reset.reset_at -= timedelta(hours=72, minutes=1)
        db.session.commit()
    assert _change(takeover, NEW, TRAINERS_PASSWORD).status_code == 302
    assert _account(app, learner) == NEW
    with app.app_context():
        assert db.session.scalar(select(PayoutAccountChange.state)) == "applied"


def test_a_reset_from_the_learners_own_email_does_not_hold_her_change(app, make):
    learner = _learner(app, make)
    client = app.test_client()
    client.submit("/account/reset", {"email": learner.email})
    link = re.search(r"http://localhost(/account/reset/\S+)", last_email(app)).group(1)
    client.submit(link, {"password": TRAINERS_PASSWORD, "confirm": TRAINERS_PASSWORD})
    assert _change(logged_in(app, learner, TRAINERS_PASSWORD), NEW, TRAINERS_PASSWORD).status_code == 302
    assert _account(app, learner) == NEW


def test_the_learner_is_told_at_her_next_login_who_made_a_reset_link(app, make):
    learner = make.user()
    trainer = make.user(Role.TRAINER, name="Tom Trainer")
    make.teaching(trainer, learner)
    logged_in(app, trainer).submit("/account/reset-links/new", {"email": learner.email})
    # She did not use the link (or did not ask for it): she still logs in with her own password.
    client = app.test_client()
    response = client.submit("/account/login?next=/pools", {"email": learner.email, "password": PASSWORD})
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Tom Trainer made a password reset link for your account on" in page
    # Told once at login; the dashboard keeps the notice for a while.
    client.submit("/account/logout", page="/dashboard")
    again = client.submit("/account/login?next=/pools", {"email": learner.email, "password": PASSWORD})
    assert again.headers["Location"] == "/pools"
    assert "Tom Trainer made a password reset link" in client.get("/dashboard").get_data(as_text=True)


def test_a_newer_change_replaces_a_waiting_one(app, make):
    learner = _learner(app, make)
    takeover, _login = _trainer_takes_over(app, make, learner, make.user(Role.TRAINER))
    _change(takeover, NEW, TRAINERS_PASSWORD)
    _change(takeover, "+254 722 333333", TRAINERS_PASSWORD)
    _change(takeover, "+254 722 333333", TRAINERS_PASSWORD)  # replayed: no third change
    with app.app_context():
        states = db.session.execute(
            select(PayoutAccountChange.new_account, PayoutAccountChange.state).order_by(PayoutAccountChange.id)
        ).all()
        assert [tuple(s) for s in states] == [(NEW, "superseded"), ("+254 722 333333", "held")]
        assert db.session.scalar(select(func.count()).select_from(OutgoingEmail)) >= 2
    assert _account(app, learner) == OLD


def _held_change(app, learner, maker, account):
    """A held change as the profile form makes one after a reset through `maker`'s link."""
    from samaschool.auth import services
    from samaschool.db_types import utcnow

    with app.app_context():
        user, made_by = db.session.get(User, learner.id), db.session.get(User, maker.id)
        services.create_reset_token(user, created_by=made_by)
        db.session.flush()
        reset = db.session.scalar(select(PasswordResetToken).order_by(PasswordResetToken.id.desc()).limit(1))
        reset.used_at = reset.reset_at = utcnow()
        db.session.add(
            PayoutAccountChange(user_id=user.id, old_account=OLD, new_account=account, state="held", reset_token=reset)
        )
        db.session.commit()


def test_the_new_pages_label_every_control(app, make):
    from tests.test_accessibility import audit

    learner = _learner(app, make)
    admin = make.user(Role.ADMIN)
    takeover, _login = _trainer_takes_over(app, make, learner, make.user(Role.TRAINER))
    _change(takeover, NEW, TRAINERS_PASSWORD)
    link = re.search(r"http://localhost(/account/payout-account/confirm/\S+)", last_email(app)).group(1)
    audit(takeover, "/account/profile")
    audit(takeover, "/dashboard")
    audit(app.test_client(), link)
    admin_client = logged_in(app, admin)
    audit(admin_client, f"/admin/users/{learner.id}")
    audit(admin_client, "/admin/payout-account-changes")


def test_the_dashboard_and_the_waiting_list_have_fixed_query_budgets(app, make, count_queries):
    from tests.test_query_budgets import assert_fixed_budget, grower

    learner = _learner(app, make)
    admin = make.user(Role.ADMIN)
    trainers = []

    def notice(i):
        trainers.append(make.user(Role.TRAINER, name=f"Trainer {i}"))
        _held_change(app, learner, trainers[-1], f"+254 733 {i:06d}")

    grow, _made = grower(notice)
    page = assert_fixed_budget(logged_in(app, learner), count_queries, "/dashboard", grow)
    assert "Trainer 19 made a password reset link" in page.get_data(as_text=True)

    def waiting(i):
        _held_change(app, make.user(name=f"Waiting {i}"), trainers[i % len(trainers)], f"+254 744 {i:06d}")

    grow, _made = grower(waiting)
    page = assert_fixed_budget(logged_in(app, admin), count_queries, "/admin/payout-account-changes", grow)
    assert "Waiting 19" in page.get_data(as_text=True)
