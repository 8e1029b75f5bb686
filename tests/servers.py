"""Real servers for the tests that need them, started on free loopback ports.

- `redis_url`: TEST_REDIS_URL when set (CI starts Debian's redis-server), else a throwaway
  `redis-server` started here for the run. Each pytest-xdist worker gets its own Redis database
  number, so workers never see each other's keys; the database is emptied before every test.
- `s3_endpoint`: moto's standalone S3-compatible server (an emulator, not AWS), installed by
  requirements-dev.txt.
- `free_port()` and `wait_for_port()` for tests that start servers of their own (gunicorn).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {timeout:g} s")


def _worker_number() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0) if worker.startswith("gw") else 0


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def _redis_server(tmp_path_factory):
    """The base URL of a Redis server for this run (without a database number)."""
    if url := os.environ.get("TEST_REDIS_URL", "").strip():
        yield url.rstrip("/").rsplit("/", 1)[0] if url.count("/") > 2 else url.rstrip("/")
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "These tests need Redis: set TEST_REDIS_URL, or install Debian's redis-server "
            "(apt-get install redis-server) so the suite can start a throwaway one."
        )
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(  # noqa: S603 (a fixed binary and arguments)
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture
def redis_url(_redis_server) -> str:
    """A Redis database of this worker's own, emptied before the test."""
    import redis

    url = f"{_redis_server}/{1 + _worker_number() % 15}"
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """moto's S3-compatible server on a free port: an emulator of S3 that runs on this machine."""
    port = free_port()
    server = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(  # noqa: S603 (our own venv's moto_server)
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
    )
    try:
        wait_for_port(port, process, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)
