"""Findings of the security review, each pinned by a test that failed before its fix."""

import re
import threading

from sqlalchemy import func, select

from samaschool.assessments.question_types import REGISTRY, SpecError
from samaschool.auth.models import User
from samaschool.content.certification_files import check_badge_svg
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools import money, work
from samaschool.pools.models import Assignment, Pool
from tests.factories import PASSWORD
from tests.outbox import delivered


def test_reset_links_use_the_configured_address_not_the_host_header(app, make):
    make.user(email="victim@example.org")
    client = app.test_client()
    token = client.csrf_token("http://evil.example/account/reset")
    client.post("http://evil.example/account/reset", data={"email": "victim@example.org", "csrf_token": token})
    mail = delivered(app)[-1].read_text()
    assert "evil.example" not in mail and "http://localhost/account/reset/" in mail


def test_trainers_cannot_reset_a_pool_managers_password(app, make):
    trainer, manager = make.user(Role.TRAINER), make.user()
    with app.app_context():
        db.session.get(User, manager.id).is_pool_manager = True
        db.session.commit()
    client = app.test_client()
    client.submit("/account/login", {"email": trainer.email, "password": PASSWORD})
    response = client.submit("/account/reset-links/new", {"email": manager.email})
    assert response.status_code == 422 and "/account/reset/" not in response.get_data(as_text=True)


def test_pool_managers_cannot_approve_their_own_work(app, make):
    course = make.course()
    certification = make.certification(course)
    pool = make.pool(certification=certification)
    make.tasks(pool, 1)
    worker = make.user()
    make.certificate(worker, certification)
    with app.app_context():
        user = db.session.get(User, worker.id)
        user.is_pool_manager = True
        assignment = work.claim_next_task(user, db.session.get(Pool, pool.id))
        work.submit_answer(user, assignment, {"answer": "Electronics > Mobile phones"})
        db.session.commit()
        assignment_id = assignment.id
    client = app.test_client()
    client.submit("/account/login", {"email": worker.email, "password": PASSWORD})
    client.submit(
        "/manage/review", {"ids": [str(assignment_id)], "action": "approve", "reason": ""}, page="/manage/review"
    )
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).review_state == "pending"
        assert money.balances(worker.id) == []


def test_parallel_claims_cannot_pass_the_daily_cap(app, make):
    course = make.course()
    certification = make.certification(course)
    pool = make.pool(certification=certification, daily_cap=2, max_concurrent_claims=20)
    make.tasks(pool, 12)
    worker = make.user()
    make.certificate(worker, certification)
    barrier = threading.Barrier(8)

    def claim():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                work.claim_next_task(db.session.get(User, worker.id), db.session.get(Pool, pool.id))
                db.session.commit()
            except work.LimitReached:
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 2


def test_ensure_admin_does_not_promote_an_account_someone_registered(app, make, monkeypatch):
    squatter = make.user(email="boss@example.org", password="my own secret phrase")
    monkeypatch.setenv("SAMASCHOOL_ADMIN_EMAIL", "boss@example.org")
    monkeypatch.delenv("SAMASCHOOL_ADMIN_PASSWORD", raising=False)
    result = app.test_cli_runner().invoke(args=["users", "ensure-admin"])
    assert result.exit_code != 0 and "already exists" in result.output
    with app.app_context():
        assert db.session.get(User, squatter.id).role == Role.LEARNER


def test_a_stranger_cannot_lock_the_owner_out(app, make):
    owner = make.user()
    attacker = app.test_client()
    for _ in range(7):
        attacker.submit(
            "/account/login",
            {"email": owner.email, "password": "wrong guess here"},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )
    response = app.test_client().submit(
        "/account/login", {"email": owner.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "198.51.100.7"}
    )
    assert response.status_code == 302


def test_badges_with_animation_links_or_entities_are_refused():
    assert check_badge_svg(
        '<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="&#106;avascript:alert(1)"/></a></svg>'
    )
    assert check_badge_svg('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><svg>&a;</svg>')
    assert check_badge_svg('<svg xmlns="http://www.w3.org/2000/svg"><image href="http://tracker.example/p.png"/></svg>')
    assert check_badge_svg('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><circle r="4"/></svg>') is None


def test_catastrophic_answer_patterns_are_refused_when_authored():
    short = REGISTRY["short_answer"]
    try:
        short.check({"answers": ["5 dollars"], "pattern": r"(\w+\s?)+ dollars"}, "q")
        raise AssertionError("a nested quantifier was accepted")
    except SpecError as error:
        assert "repeats" in str(error)
    assert short.check({"answers": ["2FA"], "pattern": r"(2fa|two[- ]factor)"}, "q")["pattern"]


def test_phone_numbers_survive_the_payout_csv(app, make):
    worker = make.user()
    admin_id = make.user(Role.ADMIN).id
    with app.app_context():
        user = db.session.get(User, worker.id)
        user.payout_account = "+254 700 000001"
        admin = db.session.get(User, admin_id)
        money.add_bonus(admin, user, 5000, "KES", "seed")
        batch = money.create_batch(admin, "KES", 1000)
        db.session.commit()
        assert re.search(r",\+254 700 000001,KES,50\.00,", money.batch_csv(batch))


def test_a_new_password_retires_outstanding_reset_links(app, client, make):
    user = make.user(email="amina@example.org")
    client.submit("/account/reset", {"email": "amina@example.org"})
    mail = delivered(app)[-1].read_text()
    link = re.search(r"http://localhost(/account/reset/\S+)", mail).group(1)
    other = app.test_client()
    other.submit("/account/login", {"email": user.email, "password": PASSWORD})
    other.submit(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "lime kettle orbit parade",
            "confirm": "lime kettle orbit parade",
        },
    )
    assert client.get(link).status_code == 410
