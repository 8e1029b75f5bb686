"""Fixtures for the job queue: the app's queue emptied around each test, and real worker
processes (`flask --app app jobs worker`) on the suite's database, stopped afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.servers import stop

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], object], timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


@pytest.fixture
def worker_env(app, database_url, tmp_path) -> dict[str, str]:
    """The environment of a worker process that shares the suite's database and queue file and
    writes the emails it sends (no SMTP server) to a folder of this test's own."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SAMASCHOOL_SECRET_KEY": "test-secret-key",
        "SAMASCHOOL_BASE_URL": "http://localhost",
        "SAMASCHOOL_JOBS_PATH": app.config["SAMASCHOOL_JOBS_PATH"],
        "SAMASCHOOL_REDIS_URL": "",
        "SAMASCHOOL_OUTBOX": str(tmp_path / "outbox"),
        "SAMASCHOOL_KEYS_PATH": str(tmp_path / "keys"),
        "SAMASCHOOL_SMTP_HOST": "",
        "SAMASCHOOL_SMTP_STARTTLS": "0",
    }


@pytest.fixture
def start_worker(tmp_path):
    """`start_worker(env, *options)` starts `flask --app app jobs worker`; all are stopped at the end."""
    processes: list[subprocess.Popen] = []

    def start(env: dict[str, str], *options: str) -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(processes) + 1}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(  # noqa: S603 (our own venv's flask, fixed arguments)
            [sys.executable, "-m", "flask", "--app", "app", "jobs", "worker", *options],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        process.log_file = log
        processes.append(process)
        return process

    yield start
    for process in processes:
        stop(process)
        process.log_file.close()


def worker_log(process: subprocess.Popen) -> str:
    process.log_file.flush()
    return Path(process.log_file.name).read_text(errors="replace")
