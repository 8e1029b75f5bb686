"""Real servers for the tests that need them, started on free loopback ports.

- `redis_url`: TEST_REDIS_URL when set (CI starts Debian's redis-server), else a throwaway
  `redis-server` started here for the run. Each pytest-xdist worker gets its own Redis database
  number, so workers never see each other's keys; the database is emptied before every test.
- `s3_endpoint`: moto's standalone S3-compatible server (an emulator, not AWS), installed by
  requirements-dev.txt.
- `free_port()` and `wait_for_port()` for tests that start servers of their own (gunicorn).
- `scratch_postgres_database(url, name)`: a new database beside `url`'s on the same server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


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


@contextmanager
def scratch_postgres_database(url: str, name: str) -> Iterator[str]:
    """A new database called `name` on `url`'s server (one left by an interrupted run is dropped
    first); yields its URL and drops it after."""
    base = make_url(url)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists:
            drop_database(admin, name)
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            drop_database(admin, name)
    finally:
        admin.dispose()


def drop_database(admin, name: str) -> None:
    """Drop the database, ending its sessions. An autovacuum worker may have just connected to the
    freshly filled database: it runs as the server's superuser, whose sessions our role may not
    end (InsufficientPrivilege), so wait for it to finish and try again."""
    for attempt in range(50):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            return
        except DBAPIError as error:
            if attempt == 49 or type(error.orig).__name__ not in {"InsufficientPrivilege", "ObjectInUse"}:
                raise
            time.sleep(0.2)
