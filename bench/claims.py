"""Claims per second with 1, 4 and 16 concurrent workers over a pool of 10,000 tasks.

    BENCH_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/claims.py

Each worker is a separate process with its own app, session and connection (as gunicorn
workers are; threads in one process would measure Python's GIL instead of the database),
looping get-a-task → submit for a fixed time. Each round starts from a
fresh pool; afterwards it checks that no task was handed to two workers and none was lost.
The database is emptied first: point it at a scratch database.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from samaschool import config, create_app
from samaschool.auth.models import User
from samaschool.certification.models import Certificate, Certification
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools import work
from samaschool.pools.models import Assignment, Pool, Task

TASKS = 10_000
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
LABEL = "Electronics > Mobile phones"


def make_app(url: str):
    instance = Path("/tmp/samaschool-bench")
    instance.mkdir(exist_ok=True)
    return create_app(config.for_tests(str(instance), url))


def setup(app, workers: int) -> tuple[int, list[int]]:
    with app.app_context():
        db.drop_all()
        db.create_all()
        certification = Certification(slug="data-annotation", name="Data Annotation Certificate", criteria={})
        db.session.add(certification)
        db.session.flush()
        pool = Pool(
            slug="bench",
            name="Bench",
            task_type="classification",
            labels=[LABEL, "Fashion > Shoes"],
            reward_minor=500,
            currency="KES",
            status="open",
            required_certifications=["data-annotation"],
        )
        db.session.add(pool)
        db.session.flush()
        db.session.execute(
            Task.__table__.insert(),
            [
                {
                    "pool_id": pool.id,
                    "external_id": f"t{i}",
                    "payload": {"title": f"Phone {i}"},
                    "is_gold": False,
                    "filled": False,
                    "created_at": utcnow(),
                }
                for i in range(TASKS)
            ],
        )
        ids = []
        for n in range(workers):
            user = User(
                email=f"w{n}@bench.example", name=f"Worker {n}", password_hash="x", role=Role.LEARNER, country="KE"
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Certificate(
                    user_id=user.id,
                    certification_id=certification.id,
                    code=f"BENCH{n:08d}",
                    holder_name=user.name,
                    expires_at=utcnow() + timedelta(days=30),
                )
            )
            ids.append(user.id)
        db.session.commit()
        return pool.id, ids


def worker(url: str, pool_id: int, user_id: int, start_at: float, stop_at: float, results) -> None:
    app = make_app(url)
    count = 0
    with app.app_context():
        while time.time() < start_at:
            time.sleep(0.001)
        try:
            while time.time() < stop_at:
                user, pool = db.session.get(User, user_id), db.session.get(Pool, pool_id)
                assignment = work.claim_next_task(user, pool)
                db.session.commit()
                work.submit_answer(user, assignment, {"answer": LABEL})
                db.session.commit()
                count += 1
        except BaseException as error:  # reported by the parent
            results.put(("error", repr(error)))
            return
    results.put(("ok", count))


def run(app, url: str, workers: int) -> dict:
    pool_id, user_ids = setup(app, workers)
    with app.app_context():
        db.engine.dispose()
    results = multiprocessing.Queue()
    start_at = time.time() + 3  # let every process import and connect first
    stop_at = start_at + SECONDS
    processes = [
        multiprocessing.Process(target=worker, args=(url, pool_id, uid, start_at, stop_at, results)) for uid in user_ids
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join()
    errors = [detail for kind, detail in outcomes if kind == "error"]
    counts = [detail for kind, detail in outcomes if kind == "ok"]
    elapsed = SECONDS
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Assignment))
        distinct = db.session.scalar(select(func.count(func.distinct(Assignment.task_id))))
        filled = db.session.scalar(select(func.count()).select_from(Task).where(Task.filled.is_(True)))
    assert not errors, errors[:3]
    assert rows == distinct == filled == sum(counts), (rows, distinct, filled, sum(counts))
    return {"workers": workers, "claims": sum(counts), "seconds": elapsed, "per_second": sum(counts) / elapsed}


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_POSTGRES_URL")
    if not url:
        sys.exit("set BENCH_DATABASE_URL to a scratch PostgreSQL database")
    app = make_app(url)
    print(f"{'workers':>8} {'claims':>8} {'seconds':>8} {'claims/s':>9}  (each claim is followed by its submit)")
    results = [run(app, url, n) for n in (1, 4, 16)]
    for r in results:
        print(f"{r['workers']:>8} {r['claims']:>8} {r['seconds']:>8.1f} {r['per_second']:>9.1f}")
    print(
        f"scaling 4/1: {results[1]['per_second'] / results[0]['per_second']:.2f}x, "
        f"16/1: {results[2]['per_second'] / results[0]['per_second']:.2f}x; no task claimed twice, none lost"
    )


if __name__ == "__main__":
    main()
