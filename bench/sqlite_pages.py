"""Page latency on SQLite as concurrent learners grow: where does p99 pass one second?

    .venv/bin/python bench/sqlite_pages.py

Serves a fresh SQLite database (the shipped courses imported) with gunicorn as `make run` does
(1 worker, 8 threads) and, for comparison, with 2 workers. Each simulated learner is a thread
with its own session, looping: read a random lesson (85%), open the dashboard (10%), mark a
lesson complete (5%, a write). Every level runs for BENCH_SECONDS (default 8) after a warm-up.
The client threads run on the same 2 cores as the server, as a load test here must.
"""

from __future__ import annotations

import http.cookiejar
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
LEVELS = [int(n) for n in os.environ.get("BENCH_LEVELS", "1,8,16,32,64").split(",")]
COURSE = "data-annotation-essentials"
PASSWORD = "bench-password-1234"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LESSON_RE = re.compile(rf'href="(/courses/{COURSE}/lessons/[a-z0-9-]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(instance: Path, learners: int) -> dict:
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{instance / 'bench.db'}",
        SAMASCHOOL_SECRET_KEY="bench-secret",
        SAMASCHOOL_KEYS_PATH=str(instance / "keys"),
        SAMASCHOOL_OUTBOX=str(instance / "outbox"),
        SAMASCHOOL_BACKUPS_PATH=str(instance / "backups"),
        SAMASCHOOL_BASE_URL="http://127.0.0.1",
        SAMASCHOOL_RATELIMIT_ENABLED="0",  # every simulated learner logs in from 127.0.0.1
    )
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "app"]
    for command in (["database", "upgrade"], ["courses", "import"]):
        subprocess.run(flask + command, env=env, cwd=ROOT, check=True, capture_output=True)
    os.environ.update(env)
    from werkzeug.security import generate_password_hash

    from samaschool import config, create_app
    from samaschool.auth.models import User
    from samaschool.catalog import services as catalog
    from samaschool.catalog.models import Course
    from samaschool.extensions import db

    app = create_app(config.from_env(str(instance)))
    with app.app_context():
        course = db.session.scalar(db.select(Course).where(Course.slug == COURSE))
        hashed = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
        for n in range(learners):
            user = User(email=f"learner{n}@bench.example", name=f"Learner {n}", password_hash=hashed, country="KE")
            db.session.add(user)
            db.session.flush()
            catalog.enrol(user, course)
        db.session.commit()
        db.engine.dispose()
    return env


class Learner:
    def __init__(self, base: str, n: int):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.get("/account/login")
        token = CSRF_RE.search(page).group(1)
        self.post("/account/login", {"csrf_token": token, "email": f"learner{n}@bench.example", "password": PASSWORD})
        self.lessons = sorted(set(LESSON_RE.findall(self.get(f"/courses/{COURSE}"))))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, form: dict) -> None:
        data = urllib.parse.urlencode(form).encode()
        with self.opener.open(self.base + path, data=data, timeout=60) as response:
            response.read()

    def step(self, rng: random.Random) -> None:
        roll = rng.random()
        lesson = rng.choice(self.lessons)
        if roll < 0.85:
            self.get(lesson)
        elif roll < 0.95:
            self.get("/dashboard")
        else:
            token = CSRF_RE.search(self.get(lesson)).group(1)
            self.post(f"{lesson}/complete", {"csrf_token": token})


def run_level(learners: list[Learner], seconds: float) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def loop(learner: Learner, seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                learner.step(rng)
            except Exception:
                with lock:
                    errors[0] += 1
                continue
            with lock:
                latencies.append(time.monotonic() - started)

    threads = [threading.Thread(target=loop, args=(learner, i)) for i, learner in enumerate(learners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000 if latencies else 0,
        "p99": p(0.99) if latencies else 0,
        "errors": errors[0],
    }


def serve(env: dict, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        + ["--threads", str(threads), "--log-level", "warning", "app:app"],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return server, base
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def main() -> None:
    instance = Path(tempfile.mkdtemp(prefix="samaschool-sqlite-bench-"))
    try:
        env = prepare(instance, max(LEVELS))
        for workers, threads in ((1, 8), (2, 8)):
            server, base = serve(env, workers, threads)
            try:
                learners = [Learner(base, n) for n in range(max(LEVELS))]
                run_level(learners[:4], 2)  # warm-up
                print(f"\ngunicorn {workers} worker(s) x {threads} threads")
                print("| learners | requests/s | p50 ms | p99 ms | errors |")
                print("|---:|---:|---:|---:|---:|")
                for level in LEVELS:
                    result = run_level(learners[:level], SECONDS)
                    print(
                        f"| {level} | {result['per_second']:.1f} | {result['p50']:.0f} | {result['p99']:.0f} "
                        f"| {result['errors']} |",
                        flush=True,
                    )
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
