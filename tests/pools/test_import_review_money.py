import csv
import io
import json
import threading
from datetime import timedelta

from sqlalchemy import func, select

from samaschool.auth.models import User
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools import money, review, work
from samaschool.pools.models import Assignment, EarningEntry, PayoutLine, Pool, Task
from tests.pools.conftest import logged_in, new_pool_form

PHONE = "Electronics > Mobile phones"


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_import_tasks_from_csv_and_jsonl_all_or_nothing(app, make, tmp_path):
    pool = make.pool()
    good = tmp_path / "tasks.csv"
    rows = [["external_id", "title", "gold_label"]] + [[f"p{i}", f"Tecno Spark {i} 64GB", ""] for i in range(1, 20)]
    rows.append(["p20", "Infinix Hot 40 128GB", PHONE])
    with good.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = _cli(app, "pools", "import-tasks", pool.slug, str(good))
    assert result.exit_code == 0 and "Imported 20 task(s)" in result.output and "1 gold" in result.output
    bad = tmp_path / "more.jsonl"
    bad.write_text(
        json.dumps({"external_id": "j1", "title": "Ok"})
        + "\n"
        + "{not json\n"
        + json.dumps({"external_id": "p3", "title": "Duplicate id"})
        + "\n"
        + json.dumps({"external_id": "j4", "title": "Bad gold", "gold": "Toys"})
        + "\n"
        + json.dumps({"external_id": "j5", "title": ""})
        + "\n"
    )
    result = _cli(app, "pools", "import-tasks", pool.slug, str(bad))
    assert result.exit_code == 1
    for line in (":2: not valid JSON", ":3: task 'p3' appears twice", ":4: gold label 'Toys'", ":5: 'title' is empty"):
        assert line in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Task)) == 20  # none of the bad file


def test_too_few_gold_tasks_get_a_warning(app, make, tmp_path):
    pool = make.pool()
    path = tmp_path / "tasks.csv"
    path.write_text("external_id,title,gold_label\n" + "".join(f"x{i},Phone {i},\n" for i in range(40)))
    result = _cli(app, "pools", "import-tasks", pool.slug, str(path))
    assert result.exit_code == 0 and "at least 5% is recommended" in result.output


def test_task_upload_in_the_ui_reports_rows(app, make):
    pool = make.pool()
    manager = make.user(Role.ADMIN)
    client = logged_in(app, manager)
    token = client.csrf_token(f"/manage/pools/{pool.id}/tasks")
    data = {"csrf_token": token, "file": (io.BytesIO(b"external_id,title\na1,\n"), "tasks.csv")}
    response = client.post(f"/manage/pools/{pool.id}/tasks", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "tasks.csv:2: &#39;title&#39; is empty" in response.get_data(as_text=True)


def _submitted(app, make, certified_pool, count=1):
    _course, _certification, pool, worker = certified_pool
    make.tasks(pool, count)
    ids = []
    with app.app_context():
        user = db.session.get(User, worker.id)
        for _ in range(count):
            assignment = work.claim_next_task(user, db.session.get(Pool, pool.id))
            work.submit_answer(user, assignment, {"answer": PHONE})
            db.session.commit()
            ids.append(assignment.id)
    return ids


def test_review_approve_reject_override_and_the_ledger(app, make, certified_pool):
    _course, _certification, _pool, worker = certified_pool
    first, second = _submitted(app, make, certified_pool, 2)
    admin = make.user(Role.ADMIN)
    client = logged_in(app, admin)
    queue = client.get("/manage/review").get_data(as_text=True)
    assert "Phone model 1" in queue and "Phone model 2" in queue
    no_reason = client.submit(
        "/manage/review",
        {"ids": [str(first)], "action": "reject", "reason": ""},
        page="/manage/review",
        follow_redirects=True,
    )
    assert "Give the worker a reason." in no_reason.get_data(as_text=True)
    client.submit(
        "/manage/review", {"ids": [str(first), str(second)], "action": "approve", "reason": ""}, page="/manage/review"
    )
    client.submit(
        "/manage/review", {"ids": [str(second)], "action": "approve", "reason": ""}, page="/manage/review"
    )  # again
    with app.app_context():
        assert [b.earned for b in money.balances(worker.id)] == [1000]
        assert db.session.scalar(select(func.count()).select_from(EarningEntry)) == 2
        admin_user = db.session.get(User, admin.id)
        review.reject(admin_user, db.session.get(Assignment, second), "label does not fit: it is a case")
        db.session.commit()
        assert [b.earned for b in money.balances(worker.id)] == [500]
        kinds = sorted(db.session.scalars(select(EarningEntry.kind)))
        assert kinds == ["approval", "approval", "reversal"]
    earnings = logged_in(app, worker).get("/earnings").get_data(as_text=True)
    assert "Rejected: label does not fit: it is a case" in earnings and "Ksh5.00" in earnings  # en_KE
    with app.app_context():
        assignment = db.session.get(Assignment, second)
        review.approve(db.session.get(User, admin.id), assignment, reason="override after appeal")
        db.session.commit()
        assert [b.earned for b in money.balances(worker.id)] == [1000]
        assignment = db.session.get(Assignment, second)
        review.reject(db.session.get(User, admin.id), assignment, "changed mind")
        assignment.reviewed_at = utcnow() - timedelta(days=31)
        db.session.commit()
        try:
            review.approve(db.session.get(User, admin.id), db.session.get(Assignment, second))
            raise AssertionError("a rejection older than 30 days was overridden")
        except review.ReviewError:
            db.session.rollback()


def test_auto_approval_from_the_commands_never_from_opening_the_queue(app, make, certified_pool):
    _course, _certification, pool, worker = certified_pool
    with app.app_context():
        row = db.session.get(Pool, pool.id)
        row.review_mode, row.auto_approve_days = "auto_days", 2
        db.session.commit()
    [assignment_id] = _submitted(app, make, certified_pool)
    assert "Approved 0 submission(s)" in _cli(app, "pools", "auto-approve").output
    with app.app_context():
        db.session.get(Assignment, assignment_id).submitted_at -= timedelta(days=3)
        db.session.commit()
    logged_in(app, make.user(Role.ADMIN)).get("/manage/review")  # a page only reads
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).review_state == "pending"
    assert "1 auto-approved submissions" in _cli(app, "jobs", "run", "--once").output
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).review_state == "approved"
        assert [b.earned for b in money.balances(worker.id)] == [500]


def test_bonuses_and_several_currencies_coexist(app, make, certified_pool):
    _course, _certification, _pool, worker = certified_pool
    with app.app_context():
        admin = db.session.get(User, make.user(Role.ADMIN).id)
        money.add_bonus(admin, db.session.get(User, worker.id), 250, "USD", "top accuracy this week")
        money.add_bonus(admin, db.session.get(User, worker.id), 1000, "KES", "welcome")
        db.session.commit()
        assert [(b.currency, b.earned) for b in money.balances(worker.id)] == [("KES", 1000), ("USD", 250)]
    assert money.to_minor("12.5", "KES") == 1250 and money.to_minor("1500", "UGX") == 1500


def test_payout_batch_includes_each_entry_once_even_when_created_twice_at_once(app, make, certified_pool):
    _course, _certification, _pool, worker = certified_pool
    admin = make.user(Role.ADMIN)
    with app.app_context():
        money.add_bonus(db.session.get(User, admin.id), db.session.get(User, worker.id), 20000, "KES", "seed")
        db.session.get(User, worker.id).payout_account = "+254700000001"
        db.session.commit()
    barrier, batches = threading.Barrier(2), []

    def create():
        with app.app_context():
            barrier.wait(timeout=10)
            batch = money.create_batch(db.session.get(User, admin.id), "KES", 10000)
            db.session.commit()
            batches.append(batch.id if batch else None)
            db.session.remove()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with app.app_context():
        lines = db.session.scalars(select(PayoutLine)).all()
        assert len(lines) == 1 and lines[0].amount_minor == 20000
        assert [b.in_payout for b in money.balances(worker.id)] == [20000]
    batch_id = next(b for b in batches if b)
    client = logged_in(app, admin)
    exported = client.get(f"/manage/payouts/{batch_id}.csv").get_data(as_text=True)
    assert "name,account,currency,amount,reference" in exported and "+254700000001,KES,200.00,SS-" in exported
    with app.app_context():
        line = db.session.scalar(select(PayoutLine))
        money.mark_line(db.session.get(User, admin.id), line, "paid")
        assert not money.mark_line(db.session.get(User, admin.id), line, "failed")  # once only
        db.session.commit()
        assert [(b.paid, b.unpaid) for b in money.balances(worker.id)] == [(20000, 0)]


def test_a_failed_payout_line_releases_its_entries(app, make, certified_pool):
    _course, _certification, _pool, worker = certified_pool
    with app.app_context():
        admin = db.session.get(User, make.user(Role.ADMIN).id)
        money.add_bonus(admin, db.session.get(User, worker.id), 5000, "KES", "seed")
        batch = money.create_batch(admin, "KES", 1000)
        money.mark_line(admin, batch.lines[0], "failed", "wrong number")
        db.session.commit()
        assert [(b.unpaid, b.in_payout) for b in money.balances(worker.id)] == [(5000, 0)]
        assert money.create_batch(admin, "KES", 1000) is not None


def test_csv_export_neutralises_spreadsheet_formulas(app, make, certified_pool):
    _course, _certification, _pool, worker = certified_pool
    admin_id = make.user(Role.ADMIN).id  # before the block: on SQLite an open session holds the write lock
    with app.app_context():
        user = db.session.get(User, worker.id)
        user.name = '=HYPERLINK("http://evil")'
        admin = db.session.get(User, admin_id)
        money.add_bonus(admin, user, 5000, "KES", "seed")
        batch = money.create_batch(admin, "KES", 1000)
        db.session.commit()
        assert "'=HYPERLINK" in money.batch_csv(batch)


def test_pool_pages_are_for_managers(app, make):
    learner, manager = make.user(), make.user()
    with app.app_context():
        db.session.get(User, manager.id).is_pool_manager = True
        db.session.commit()
    assert logged_in(app, learner).get("/manage/pools").status_code == 403
    client = logged_in(app, manager)
    assert client.get("/manage/pools").status_code == 200
    assert client.get("/manage/payouts").status_code == 403  # money stays with admins
    form = new_pool_form(
        name="Image tags",
        slug="image-tags",
        description="Tag photos.",
        instructions="Tag what you see.",
        task_type="tagging",
        labels="person\nperson",
        reward="2.5",
    )
    bad = client.submit("/manage/pools/new", form)
    assert (
        bad.status_code == 422
        and "listed twice" in bad.get_data(as_text=True)
        and 'value="Image tags"' in bad.get_data(as_text=True)
    )
    good = client.submit("/manage/pools/new", {**form, "labels": "person\nvehicle\nanimal"})
    assert good.status_code == 302
    with app.app_context():
        pool = db.session.scalar(select(Pool).where(Pool.slug == "image-tags"))
        assert pool.reward_minor == 250 and pool.labels == ["person", "vehicle", "animal"]


def test_admin_adds_a_bonus_and_reinstates_a_suspended_worker(app, make, certified_pool):
    _course, _certification, pool, worker = certified_pool
    admin = make.user(Role.ADMIN)
    client = logged_in(app, admin)
    bad = client.submit(
        "/manage/bonuses",
        {"bonus-email": worker.email, "bonus-amount": "12.345", "bonus-currency": "KES", "bonus-reason": "great week"},
        page="/manage/payouts",
    )
    assert bad.status_code == 422 and 'value="great week"' in bad.get_data(as_text=True)
    client.submit(
        "/manage/bonuses",
        {"bonus-email": worker.email, "bonus-amount": "50", "bonus-currency": "KES", "bonus-reason": "great week"},
        page="/manage/payouts",
    )
    with app.app_context():
        assert [b.earned for b in money.balances(worker.id)] == [5000]
        from samaschool.pools.models import Suspension

        suspension = Suspension(
            pool_id=pool.id, worker_id=worker.id, ends_at=utcnow() + timedelta(days=7), reason="low accuracy"
        )
        db.session.add(suspension)
        db.session.commit()
        suspension_id = suspension.id
    assert "low accuracy" in client.get(f"/manage/pools/{pool.id}/tasks").get_data(as_text=True)
    client.submit(f"/manage/suspensions/{suspension_id}/lift", page=f"/manage/pools/{pool.id}/tasks")
    page = logged_in(app, worker).get(f"/pools/{pool.slug}").get_data(as_text=True)
    assert "Get a task" in page
