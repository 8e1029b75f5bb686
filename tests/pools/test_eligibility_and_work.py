import re
import threading
from datetime import timedelta

from sqlalchemy import func, select

from samaschool.auth.models import User
from samaschool.certification.models import Certificate
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.pools import eligibility, quality, work
from samaschool.pools.models import Assignment, Pool, Suspension, Task
from tests.pools.conftest import logged_in

PHONE = "Electronics > Mobile phones"


def _check(app, user, pool):
    with app.app_context():
        return eligibility.check(db.session.get(User, user.id), db.session.get(Pool, pool.id))


def test_each_reason_a_worker_is_locked_out(app, make, certified_pool):
    course, _certification, pool, worker = certified_pool
    assert _check(app, worker, pool).eligible
    newcomer = make.user()
    [reason] = _check(app, newcomer, pool).reasons
    assert reason.code == "certification_missing" and reason.course_slug == course.slug
    assert reason.message == "Earn the Data Annotation Certificate. You have completed 0 of 3 modules."
    with app.app_context():
        db.session.get(Pool, pool.id).countries = ["UG"]
        db.session.get(Pool, pool.id).min_skill_percent = 80
        db.session.commit()
    codes = {r.code for r in _check(app, worker, pool).reasons}
    assert codes == {"country", "skill"}  # worker is in Kenya, with no gold answers yet
    with app.app_context():
        pool_row = db.session.get(Pool, pool.id)
        pool_row.countries, pool_row.min_skill_percent, pool_row.status = [], None, "paused"
        db.session.commit()
    assert {r.code for r in _check(app, worker, pool).reasons} == {"not_open"}


def test_expiry_or_revocation_locks_the_pool_at_once_and_blocks_submitting(app, make, certified_pool):
    _course, _certification, pool, worker = certified_pool
    make.tasks(pool, 3)
    client = logged_in(app, worker)
    response = client.submit(f"/pools/{pool.slug}/claim", page=f"/pools/{pool.slug}")
    assignment_id = int(re.search(r"/work/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == worker.id))
        certificate.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert {r.code for r in _check(app, worker, pool).reasons} == {"certification_expired"}
    submitted = client.submit(f"/work/{assignment_id}", {"answer": PHONE}, page=f"/pools/{pool.slug}")
    assert submitted.status_code == 302
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).state == "claimed"  # not accepted
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == worker.id))
        certificate.expires_at, certificate.revoked_at, certificate.revocation_reason = None, utcnow(), "shared account"
        db.session.commit()
    [reason] = _check(app, worker, pool).reasons
    assert reason.code == "certification_revoked" and "shared account" in reason.message


def test_pool_list_shows_locked_pools_with_the_way_to_unlock_them(app, make, certified_pool):
    course, _certification, _pool, worker = certified_pool
    newcomer = make.user()
    page = logged_in(app, newcomer).get("/pools").get_data(as_text=True)
    assert "Locked." in page and "You have completed 0 of 3 modules." in page
    assert f'href="/courses/{course.slug}"' in page
    page = logged_in(app, worker).get("/pools").get_data(as_text=True)
    assert "Start working" in page


def test_claim_submit_and_never_the_same_task_twice(app, make, certified_pool):
    _course, _certification, pool, worker = certified_pool
    make.tasks(pool, 2)
    client = logged_in(app, worker)
    seen = set()
    for _ in range(2):
        response = client.submit(f"/pools/{pool.slug}/claim", page=f"/pools/{pool.slug}")
        assignment_id = int(re.search(r"/work/(\d+)", response.headers["Location"]).group(1))
        page = client.get(f"/work/{assignment_id}").get_data(as_text=True)
        assert "Phone model" in page and "gold" not in page.lower()
        bad = client.submit(f"/work/{assignment_id}", {"answer": "Not a label"})
        assert bad.status_code == 422 and "not one of this pool" in bad.get_data(as_text=True)
        token = client.csrf_token(f"/work/{assignment_id}")
        for _replay in range(2):  # a double click
            client.post(f"/work/{assignment_id}", data={"csrf_token": token, "answer": PHONE})
        with app.app_context():
            assignment = db.session.get(Assignment, assignment_id)
            assert assignment.state == "submitted" and assignment.answer == PHONE
            seen.add(assignment.task_id)
    assert len(seen) == 2
    empty = client.submit(f"/pools/{pool.slug}/claim", page=f"/pools/{pool.slug}", follow_redirects=True)
    assert "No tasks are waiting for you" in empty.get_data(as_text=True)


def test_expired_leases_return_the_task_to_the_pool(app, make, certified_pool):
    _course, certification, pool, worker = certified_pool
    other = make.user()
    make.certificate(other, certification)
    [task_id] = make.tasks(pool, 1)
    with app.app_context():
        first = work.claim_next_task(db.session.get(User, worker.id), db.session.get(Pool, pool.id))
        db.session.commit()
        assert first.task_id == task_id
        try:
            work.claim_next_task(db.session.get(User, other.id), db.session.get(Pool, pool.id))
            raise AssertionError("the task slot was handed out twice")
        except work.NoTaskLeft:
            db.session.rollback()
        later = utcnow() + timedelta(minutes=31)
        second = work.claim_next_task(db.session.get(User, other.id), db.session.get(Pool, pool.id), now=later)
        db.session.commit()
        assert second.task_id == task_id
        stale = db.session.get(Assignment, first.id)
        try:
            work.submit_answer(db.session.get(User, worker.id), stale, {"answer": PHONE}, now=later)
            raise AssertionError("an expired lease was accepted")
        except work.LeaseExpired:
            db.session.commit()
        assert db.session.get(Assignment, first.id).state == "expired"


def test_parallel_claims_never_share_a_slot_and_lose_no_task(app, make, certified_pool):
    _course, certification, pool, _worker = certified_pool
    make.tasks(pool, 6)
    workers = [make.user() for _ in range(6)]
    for w in workers:
        make.certificate(w, certification)
    barrier, claimed, errors = threading.Barrier(len(workers)), [], []

    def claim(user_id):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                assignment = work.claim_next_task(db.session.get(User, user_id), db.session.get(Pool, pool.id))
                db.session.commit()
                claimed.append(assignment.task_id)
            except Exception as error:  # recorded for the assertion below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claim, args=(w.id,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(claimed) == 6 and len(set(claimed)) == 6


def test_gold_accuracy_suspends_and_reinstates(app, make, certified_pool):
    _course, _certification, pool, worker = certified_pool
    with app.app_context():
        row = db.session.get(Pool, pool.id)
        row.quality_min_gold, row.quality_threshold_percent, row.suspension_days = 2, 70, 3
        db.session.commit()
    make.tasks(pool, quality.BATCH_SIZE + 2, gold_every=1)  # all gold
    with app.app_context():
        user = db.session.get(User, worker.id)
        for answered in range(1, quality.BATCH_SIZE + 1):
            assignment = work.claim_next_task(user, db.session.get(Pool, pool.id))
            work.submit_answer(user, assignment, {"answer": "Fashion > Shoes"})  # wrong
            db.session.commit()
            # Only once a batch of answers is in, never on one gold answer (quality.py).
            assert (db.session.scalar(select(Suspension)) is not None) is (answered == quality.BATCH_SIZE)
        suspension = db.session.scalar(select(Suspension))
        assert suspension is not None and "below this pool's 70%" in suspension.reason
    [reason] = _check(app, worker, pool).reasons
    assert reason.code == "suspended"
    page = logged_in(app, worker).get(f"/pools/{pool.slug}").get_data(as_text=True)
    assert "You are paused in this pool until" in page
    with app.app_context():
        in_four_days = utcnow() + timedelta(days=4)
        assert eligibility.check(db.session.get(User, worker.id), db.session.get(Pool, pool.id), in_four_days).eligible


def test_overlap_gives_each_task_to_several_workers_and_a_majority_answer(app, make, certified_pool):
    _course, certification, pool, _worker = certified_pool
    with app.app_context():
        db.session.get(Pool, pool.id).overlap = 3
        db.session.commit()
    [task_id] = make.tasks(pool, 1)
    answers = [PHONE, PHONE, "Fashion > Shoes"]
    for answer in answers:
        user = make.user()
        make.certificate(user, certification)
        with app.app_context():
            u = db.session.get(User, user.id)
            assignment = work.claim_next_task(u, db.session.get(Pool, pool.id))
            work.submit_answer(u, assignment, {"answer": answer})
            db.session.commit()
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task.filled and task.consensus_answer == PHONE
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 3
