"""The eligibility rule's two forms agree: `check` (one worker, with reasons) and
`eligible_users` (the database's list), for workers in every state the rule knows and pools
set up in every way it reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from samaschool.auth.models import User
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools import eligibility, quality
from samaschool.pools.models import Assignment, Pool, Suspension

NOW = utcnow()
FUTURE, PAST = NOW + timedelta(days=30), NOW - timedelta(days=1)


@pytest.fixture
def world(app, make):
    """Pool P needs certification A, is open to KE and UG and asks for 80% on 5 gold answers."""
    course = make.course(modules=1, lessons_per_module=1)
    cert_a, cert_b = make.certification(course, slug="cert-a"), make.certification(course, slug="cert-b")
    pool = make.pool(certification=cert_a, countries=["KE", "UG"], min_skill_percent=80, quality_min_gold=5)
    other_pool = make.pool()
    gold = make.tasks(pool, 60, gold_every=1)
    users: dict[str, int] = {}
    rows, flags = [], {}

    def user(name, role=Role.LEARNER, *, a="valid", country="KE", gold_answers=(True,) * 5, **account):
        made = make.user(role, name=name, country=country)
        users[name] = made.id
        flags[made.id] = account  # is_active, is_pool_manager
        if a == "valid":
            make.certificate(made, cert_a)
        elif a == "expired":
            make.certificate(made, cert_a, expires_at=PAST)
        elif a == "revoked":
            make.certificate(made, cert_a, revoked_at=PAST, revocation_reason="shared account")
        for i, correct in enumerate(gold_answers):  # the first is the newest
            rows.append(
                Assignment(
                    task_id=gold[i],
                    pool_id=pool.id,
                    worker_id=made.id,
                    state="submitted",
                    lease_expires_at=NOW,
                    submitted_at=NOW - timedelta(minutes=i + 1),
                    is_gold=True,
                    gold_correct=correct,
                )
            )
        return made

    user("certified")
    user("no certificate", a=None)
    user("expired", a="expired")
    user("revoked", a="revoked")
    renewed_then_revoked = user("renewed, then the renewal revoked")
    make.certificate(renewed_then_revoked, cert_a, cycle=2, revoked_at=PAST, revocation_reason="cheating")
    revoked_then_renewed = user("revoked, then renewed", a="revoked")
    make.certificate(revoked_then_renewed, cert_a, cycle=2)
    expired_then_renewed = user("expired, then renewed", a="expired")
    make.certificate(expired_then_renewed, cert_a, cycle=2)
    never_expires = user("a certificate that never expires", a=None)
    make.certificate(never_expires, cert_a, expires_at=None)
    both = user("both certifications")
    make.certificate(both, cert_b)
    only_b = user("the other certification only", a=None)
    make.certificate(only_b, cert_b)
    user("deactivated", is_active=False)
    user("in Uganda", country="UG")
    user("in Tanzania", country="TZ")
    user("trainer", Role.TRAINER)
    user("admin", Role.ADMIN)
    user("pool manager", is_pool_manager=True)
    user("four gold answers", gold_answers=(True,) * 4)
    user("60% accuracy", gold_answers=(True, False, True, False, True))
    user("exactly 80%", gold_answers=(True, True, False, True, True))
    user("latest 50 right, older wrong", gold_answers=(True,) * 50 + (False,) * 10)
    user("latest 50 at 78%, 82% over all", gold_answers=(True,) * 39 + (False,) * 11 + (True,) * 10)
    user("no gold answers", gold_answers=())
    for name, pool_id, ends_at, lifted_at in [
        ("suspended", pool.id, FUTURE, None),
        ("suspension lifted", pool.id, FUTURE, PAST),
        ("suspension over", pool.id, PAST, None),
        ("suspended in another pool", other_pool.id, FUTURE, None),
    ]:
        worker = user(name)
        rows.append(
            Suspension(
                pool_id=pool_id, worker_id=worker.id, ends_at=ends_at, lifted_at=lifted_at, reason="low accuracy"
            )
        )
    unsubmitted = user("gold answers not submitted", gold_answers=())
    for i in range(5):
        rows.append(
            Assignment(
                task_id=gold[i],
                pool_id=pool.id,
                worker_id=unsubmitted.id,
                state="claimed",
                lease_expires_at=FUTURE,
                is_gold=True,
                gold_correct=True,
            )
        )
    with app.app_context():
        db.session.add_all(rows)
        for user_id, values in flags.items():
            for key, value in values.items():
                setattr(db.session.get(User, user_id), key, value)
        # The skill rule reads the accuracy each worker is shown: a snapshot of the answers above.
        for user_id in users.values():
            quality.take_snapshot(user_id, pool.id, NOW)
        db.session.commit()
    return pool.id, users


def _both_forms(pool: Pool) -> tuple[set[int], set[int]]:
    by_check = {user.id for user in db.session.scalars(select(User)) if eligibility.check(user, pool, NOW).eligible}
    by_query = {user.id for user in db.session.scalars(eligibility.eligible_users(pool, NOW))}
    assert by_check == {user.id for user in db.session.scalars(select(User)) if eligibility.can_work(user, pool, NOW)}
    return by_check, by_query


SETTINGS = {
    "as set up": {},
    "paused": {"status": "paused"},
    "closed": {"status": "closed"},
    "two certifications": {"required_certifications": ["cert-a", "cert-b"]},
    "a certification nobody offers": {"required_certifications": ["cert-a", "no-such-certification"]},
    "no certification": {"required_certifications": []},
    "any country": {"countries": []},
    "Tanzania only": {"countries": ["TZ"]},
    "no skill asked": {"min_skill_percent": None},
    "skill of 100% on one answer": {"min_skill_percent": 100, "quality_min_gold": 1},
    "skill of 60% on five answers": {"min_skill_percent": 60},
    "no minimum of either kind": {"min_skill_percent": 0, "quality_min_gold": 0},
    "everything open": {"required_certifications": [], "countries": [], "min_skill_percent": None},
}


@pytest.mark.parametrize("setting", SETTINGS)
def test_the_check_and_the_query_agree(app, world, setting):
    pool_id, users = world
    names = {user_id: name for name, user_id in users.items()}
    with app.app_context():
        pool = db.session.get(Pool, pool_id)
        for key, value in SETTINGS[setting].items():
            setattr(pool, key, value)
        by_check, by_query = _both_forms(pool)
        db.session.rollback()
    assert sorted(names.get(i, i) for i in by_check) == sorted(names.get(i, i) for i in by_query)


def test_who_is_eligible_as_set_up(app, world):
    """The agreement is about the right answer: name the eligible workers outright."""
    pool_id, users = world
    with app.app_context():
        by_check, _by_query = _both_forms(db.session.get(Pool, pool_id))
    assert {name for name, user_id in users.items() if user_id in by_check} == {
        "certified",
        "revoked, then renewed",
        "expired, then renewed",
        "a certificate that never expires",
        "both certifications",
        "in Uganda",
        "trainer",  # the rule asks nothing of the role
        "admin",
        "pool manager",
        "exactly 80%",
        "latest 50 right, older wrong",
        "suspension lifted",
        "suspension over",
        "suspended in another pool",
    }


def test_the_reasons_name_each_state(app, world):
    pool_id, users = world
    with app.app_context():
        pool = db.session.get(Pool, pool_id)
        checks = eligibility.check_pools(db.session.get(User, users["renewed, then the renewal revoked"]), [pool], NOW)
        [reason] = checks[pool.id].reasons
        assert reason.code == "certification_revoked" and "cheating" in reason.message
        codes = {
            name: {r.code for r in eligibility.check(db.session.get(User, users[name]), pool, NOW).reasons}
            for name in ("expired", "no certificate", "deactivated", "in Tanzania", "suspended", "60% accuracy")
        }
    assert codes == {
        "expired": {"certification_expired"},
        "no certificate": {"certification_missing"},
        "deactivated": {"account_inactive"},
        "in Tanzania": {"country"},
        "suspended": {"suspended"},
        "60% accuracy": {"skill"},
    }
