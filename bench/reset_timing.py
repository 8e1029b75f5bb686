"""Does `POST /account/reset` take longer for a registered email than for an unknown one?

    .venv/bin/python bench/reset_timing.py
    BENCH_APP_ROOT=/tmp/before .venv/bin/python bench/reset_timing.py   # another checkout, to compare

Serves a fresh SQLite database with gunicorn as `make run` does (1 worker, 8 threads), with the
periodic jobs loop beside it (it sends the queued mail) unless BENCH_SENDER=0. One client with
its own session asks for reset links over one keep-alive HTTP connection: BENCH_SAMPLES
(default 400) requests for registered addresses and as many for unknown ones, in random order,
after a warm-up. Each POST is timed from sending the request to reading the whole answer.

Reported: the median and the 10th/90th percentiles of each kind, and how well the best single
time threshold tells the kinds apart: chosen on the first half of the samples and scored on the
second half (50% is a coin toss), and, for comparison, the best threshold in hindsight over all.
Rate limits are off (SAMASCHOOL_RATELIMIT_ENABLED=0): the point is the timing, not the limit.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_ROOT = Path(os.environ.get("BENCH_APP_ROOT", ROOT)).resolve()
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "400"))
WARM_UP = 40
KNOWN_USERS = 50
SENDER = os.environ.get("BENCH_SENDER", "1") != "0"
PASSWORD = "bench-password-1234"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """One browser: a keep-alive connection and the session cookie, no redirects followed."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def csrf(self, path: str) -> str:
        return CSRF_RE.search(self.request("GET", path)[1]).group(1)

    def timed_reset(self, email: str) -> float:
        form = {"csrf_token": self.csrf("/account/reset"), "email": email}
        started = time.perf_counter()
        status, _body = self.request("POST", "/account/reset", form)
        elapsed = time.perf_counter() - started
        assert status == 302, status
        self.request("GET", "/account/login")  # read the flash, as a browser would
        return elapsed


def serve(instance: Path) -> tuple[list[subprocess.Popen], int, dict]:
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{instance / 'bench.db'}",
        SAMASCHOOL_SECRET_KEY="bench-secret",
        SAMASCHOOL_KEYS_PATH=str(instance / "keys"),
        SAMASCHOOL_OUTBOX=str(instance / "outbox"),
        SAMASCHOOL_BACKUPS_PATH=str(instance / "backups"),
        SAMASCHOOL_BASE_URL="http://127.0.0.1",
        SAMASCHOOL_RATELIMIT_ENABLED="0",
    )
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "app"]
    subprocess.run(flask + ["database", "upgrade"], env=env, cwd=APP_ROOT, check=True, capture_output=True)
    port = _free_port()
    processes = [
        subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8"]
            + ["--log-level", "warning", "app:app"],
            env=env,
            cwd=APP_ROOT,
        )
    ]
    if SENDER:
        processes.append(
            subprocess.Popen(
                flask + ["jobs", "run", "--every", "60"],
                env=env,
                cwd=APP_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return processes, port, env
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def accuracy(known: list[float], unknown: list[float], threshold: float) -> float:
    """Share classified right by 'slower than threshold means registered' (or the reverse, if better)."""
    right = sum(t > threshold for t in known) + sum(t <= threshold for t in unknown)
    share = right / (len(known) + len(unknown))
    return max(share, 1 - share)


def best_threshold(known: list[float], unknown: list[float]) -> tuple[float, float]:
    candidates = sorted(set(known) | set(unknown))
    return max(((accuracy(known, unknown, t), t) for t in candidates), default=(0.5, 0.0))


def main() -> None:
    instance = Path(tempfile.mkdtemp(prefix="samaschool-reset-bench-"))
    processes, port, _env = serve(instance)
    try:
        setup = Client(port)
        for n in range(KNOWN_USERS):
            form = {
                "csrf_token": setup.csrf("/account/signup"),
                "name": f"Learner {n}",
                "email": f"learner{n}@bench.example",
                "password": PASSWORD,
                "country": "KE",
                "preferred_language": "en",
            }
            assert setup.request("POST", "/account/signup", form)[0] == 302
            setup.request("POST", "/account/logout", {"csrf_token": setup.csrf("/courses/")})
        rng = random.Random(9)
        client = Client(port)
        kinds = ["known", "unknown"] * WARM_UP + rng.sample(["known", "unknown"] * SAMPLES, 2 * SAMPLES)
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for i, kind in enumerate(kinds):
            if kind == "known":
                email = f"learner{rng.randrange(KNOWN_USERS)}@bench.example"
            else:
                email = f"nobody{i}-{rng.randrange(10**6)}@bench.example"
            elapsed = client.timed_reset(email)
            if i >= 2 * WARM_UP:
                times[kind].append(elapsed * 1000)
        known, unknown = times["known"], times["unknown"]
        half = len(known) // 2, len(unknown) // 2
        _train_accuracy, threshold = best_threshold(known[: half[0]], unknown[: half[1]])
        held_out = accuracy(known[half[0] :], unknown[half[1] :], threshold)
        hindsight, _t = best_threshold(known, unknown)
        for _ in range(100 if SENDER else 0):  # the sender runs every 5 s: wait for it, to show it works
            if list((instance / "outbox").glob("*.eml")):
                break
            time.sleep(0.2)
        sent = len(list((instance / "outbox").glob("*.eml")))

        def row(name: str, values: list[float]) -> str:
            low, *_middle, high = statistics.quantiles(values, n=10)
            return f"| {name} | {len(values)} | {statistics.median(values):.2f} | {low:.2f} | {high:.2f} |"

        print(f"\napp: {APP_ROOT}  mail sender running: {SENDER}  emails delivered by the end: {sent}")
        print("| email | requests | median ms | p10 ms | p90 ms |")
        print("|---|---:|---:|---:|---:|")
        print(row("registered", known))
        print(row("unknown", unknown))
        print(
            f"\nthreshold {threshold:.2f} ms chosen on the first half: {held_out:.1%} right on the second half; "
            f"best threshold in hindsight: {hindsight:.1%}"
        )
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
