"""Nothing a worker sees tells them which task was gold.

The attack: a worker watches their pages after each answer; whatever moves right after one
answer (the "(N answered)" counter, the accuracy, a suspension, losing a skill-gated pool, an
automatic approval) gives that answer away as gold. Two workers with the same history answer
side by side, one a gold task and the other not, in turn; every page either of them can see
must stay byte for byte the same as the other's (once their own ids and the clock are blanked).
"""

from __future__ import annotations

import json
import re

import pytest

from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools.models import Pool, Task
from tests.factories import PASSWORD
from tests.pools.conftest import logged_in

PHONE, WRONG = "Electronics > Mobile phones", "Fashion > Shoes"
BATCH = 10  # quality.BATCH_SIZE, written out: the attack is the same against code without batches


def _add_tasks(app, pool, count: int, gold: set[int]) -> None:
    """`count` tasks that look exactly alike; those at the positions in `gold` are gold."""
    with app.app_context():
        start = db.session.query(Task).filter_by(pool_id=pool.id).count()
        for i in range(count):
            db.session.add(
                Task(
                    pool_id=pool.id,
                    external_id=f"t{start + i}",
                    payload={"title": "Tecno Spark 20 Pro 256GB"},
                    gold_answer=PHONE if i in gold else None,
                    is_gold=i in gold,
                )
            )
        db.session.commit()


TIMES = [
    re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC"),  # "paused until …"
    re.compile(r"\d{1,2}/\d{1,2}/\d{2,4},?\s\d{1,2}:\d{2}(\s?[AP]M)?"),  # short date and time
    re.compile(r"\d{1,2}:\d{2}(\s?[AP]M)?"),  # "answer by …"
]


def _blank(text: str) -> str:
    """What differs between two people for reasons other than gold: CSRF tokens, their task's
    id, their certificate's code, the minute on the clock."""
    text = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', text)
    text = re.sub(r"/work/\d+", "/work/N", text)
    text = re.sub(r"/certificates/[0-9A-Z-]+", "/certificates/CODE", text)
    for pattern in TIMES:
        text = pattern.sub("TIME", text)
    return text


def _api(app, secret: str, pool, user) -> str:
    answer = app.test_client().get(
        f"/api/v1/pools/{pool.slug}/eligibility/{user.id}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status_code == 200, answer.json
    body = {key: value for key, value in answer.json.items() if key not in ("user", "user_id")}
    return _blank(json.dumps(body, sort_keys=True))


def _claim(client, pool) -> str:
    response = client.submit(f"/pools/{pool.slug}/claim", page=f"/pools/{pool.slug}")
    assert "/work/" in response.headers["Location"], response.headers["Location"]
    return response.headers["Location"]


@pytest.fixture
def twins(app, make):
    """Two workers with the same name and the same history in an auto-approving, skill-gated
    pool: ten answers each, the tenth gold and right (an accuracy of 100% on one check)."""
    course = make.course(modules=1, lessons_per_module=1)
    certification = make.certification(course)
    pool = make.pool(
        certification=certification,
        review_mode="auto_gold",
        auto_approve_accuracy=80,
        quality_min_gold=1,
        quality_threshold_percent=70,
        suspension_days=7,
    )
    workers = [make.user(name="Twin Worker") for _ in range(2)]
    for worker in workers:
        make.certificate(worker, certification)
    clients = [logged_in(app, worker) for worker in workers]
    _add_tasks(app, pool, 2 * BATCH, gold={2 * BATCH - 2, 2 * BATCH - 1})  # the last of each twin's ten
    for _round in range(BATCH):
        urls = [_claim(client, pool) for client in clients]  # the first twin always claims first
        for client, url in zip(clients, urls, strict=True):
            client.submit(url, {"answer": PHONE})
    with app.app_context():
        db.session.get(Pool, pool.id).min_skill_percent = 60  # both qualify: 100% on one check
        db.session.commit()
    admin = make.user(Role.ADMIN)
    admin_client = app.test_client()
    admin_client.submit("/account/login", {"email": admin.email, "password": PASSWORD})
    page = admin_client.submit("/manage/api-tokens", {"name": "Partner", "pools": [pool.id]}).get_data(as_text=True)
    secret = re.search(r'<code class="secret">(sst_[^<]+)</code>', page).group(1)
    return pool, workers, clients, secret


def test_no_page_changes_when_one_answer_is_gold(app, twins):
    pool, workers, clients, secret = twins
    # Each round the twins answer one task each, both wrongly; in turn the first's or the
    # second's is gold. Until a batch is complete neither may see anything the other does not.
    _add_tasks(app, pool, 2 * BATCH, gold={2 * i + i % 2 for i in range(BATCH)})
    pages = ["/pools/" + pool.slug, "/pools", "/earnings", "/dashboard"]
    for round_number in range(1, BATCH + 1):
        urls = [_claim(client, pool) for client in clients]
        first, second = (
            _blank(client.get(url).get_data(as_text=True)) for client, url in zip(clients, urls, strict=True)
        )
        assert first == second, f"round {round_number}: the task pages differ"
        for client, url in zip(clients, urls, strict=True):
            assert client.submit(url, {"answer": WRONG}).status_code == 302
        for path in pages:
            first, second = (_blank(client.get(path).get_data(as_text=True)) for client in clients)
            assert first == second, f"round {round_number}: {path} differs between a gold and a plain answer"
        first, second = (_api(app, secret, pool, worker) for worker in workers)
        assert first == second, f"round {round_number}: the API's eligibility differs"
        paused = "You are paused in this pool" in clients[0].get("/pools/" + pool.slug).get_data(as_text=True)
        # Five wrong checks of six: both are paused, together, once the batch is complete.
        assert paused is (round_number == BATCH), f"round {round_number}"


def test_the_pool_page_says_how_often_accuracy_is_updated(app, make, certified_pool):
    """Whatever the manager wrote (here: nothing about it), the instructions say it."""
    _course, _certification, pool, worker = certified_pool
    page = logged_in(app, worker).get(f"/pools/{pool.slug}").get_data(as_text=True)
    instructions = page[page.index('id="instructions"') :]
    assert f"is updated once every {BATCH} answers you submit in this pool, never after a single task" in instructions
