"""Where a worker is led: from a certificate to the pools it unlocked (exam result, certificate page,
dashboard), to the payout account where money is at stake (earnings, the first approved task, a
payment without an account); and reviewers see workers by name."""

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from samaschool.auth.models import User
from samaschool.certification.models import Certificate
from samaschool.certification.services import format_code
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools import money, review, work
from samaschool.pools.models import Assignment, Pool
from tests.pools.conftest import logged_in

PAYOUT_LINK = '<a href="/account/profile#payout">'


def _approved_task(app, pool, worker, reviewer) -> int:
    with app.app_context():
        person = db.session.get(User, worker.id)
        assignment = work.claim_next_task(person, db.session.get(Pool, pool.id))
        assert work.submit_answer(person, assignment, MultiDict({"answer": "Grocery > Beverages"}))
        review.approve(db.session.get(User, reviewer.id), assignment)
        db.session.commit()
        return assignment.id


def test_a_certificate_points_to_the_pools_it_unlocked(app, make, certified_pool):
    _course, certification, pool, worker = certified_pool
    other_course = make.course()
    other = make.pool(certification=make.certification(other_course, slug="other"), name="Other work")
    elsewhere = make.pool(certification=certification, name="Uganda only", countries=["UG"])
    free = make.pool(name="Open to all")
    client = logged_in(app, worker)
    with app.app_context():
        code = format_code(db.session.scalar(select(Certificate.code).where(Certificate.user_id == worker.id)))
    link = f'<a class="button" href="/pools/{pool.slug}">Start working: Product classification</a>'
    for page in (f"/certificates/{code}", "/dashboard"):
        html = client.get(page).get_data(as_text=True)
        assert "Paid work you can do now" in html and link in html, page
        # Not pools another certificate unlocks, nor those the worker may not enter, nor open ones.
        for name in (other.name, elsewhere.name, free.name):
            assert f"Start working: {name}" not in html, (page, name)
    # Without a certificate there is nothing unlocked to show.
    newcomer = logged_in(app, make.user())
    assert "Paid work you can do now" not in newcomer.get("/dashboard").get_data(as_text=True)
    # Someone else's certificate, seen by an admin, does not point the admin to work.
    admin = logged_in(app, make.user(Role.ADMIN))
    assert "Paid work you can do now" not in admin.get(f"/certificates/{code}").get_data(as_text=True)


def test_the_payout_account_is_asked_for_where_money_is_at_stake(app, make, certified_pool):
    _course, _certification, pool, worker = certified_pool
    make.tasks(pool, 3)
    manager = make.user(Role.ADMIN)
    client = logged_in(app, worker)
    # Before any money: the earnings page asks, the pool pages do not.
    assert "Tell us where to send your earnings" in client.get("/earnings").get_data(as_text=True)
    for page in ("/pools", f"/pools/{pool.slug}"):
        assert PAYOUT_LINK not in client.get(page).get_data(as_text=True), page

    # The first approved task: every page of paid work asks, linking to the account form.
    _approved_task(app, pool, worker, manager)
    for page in ("/pools", f"/pools/{pool.slug}", "/earnings"):
        html = client.get(page).get_data(as_text=True)
        assert "Your work was approved: you have earned money. Tell us where to send it." in html, page
        assert f"{PAYOUT_LINK}Add your payout account</a>" in html, page

    # A payment made without an account tells the worker what to do to be paid.
    with app.app_context():
        batch = money.create_batch(db.session.get(User, manager.id), "KES", 1)
        db.session.commit()
        reference = batch.lines[0].reference
    earnings = client.get("/earnings").get_data(as_text=True)
    payment = earnings.split(f"<code>{reference}</code>", 1)[1].split("</li>", 1)[0]
    assert "In a payment now" in payment and f"{PAYOUT_LINK}Add your payout account to be paid</a>" in payment

    # With an account given, nobody asks again.
    with app.app_context():
        db.session.get(User, worker.id).payout_account = "+254 700 000001"
        db.session.commit()
    for page in ("/pools", f"/pools/{pool.slug}", "/earnings"):
        assert PAYOUT_LINK not in client.get(page).get_data(as_text=True), page
    assert reference in client.get("/earnings").get_data(as_text=True)


def test_the_review_queue_names_workers(app, make, certified_pool):
    _course, _certification, pool, worker = certified_pool
    make.tasks(pool, 2)
    with app.app_context():
        person = db.session.get(User, worker.id)
        assignment = work.claim_next_task(person, db.session.get(Pool, pool.id))
        work.submit_answer(person, assignment, MultiDict({"answer": "Grocery > Beverages"}))
        db.session.commit()
        worker_id = db.session.scalar(select(Assignment.worker_id))
    reviewer = logged_in(app, make.user(Role.ADMIN))
    queue = reviewer.get("/manage/review").get_data(as_text=True)
    assert f"Amina Worker ({worker.email})" in queue
    assert f"#{worker_id} ·" not in queue
