"""Fixtures for migration tests: brand-new databases of the suite's kind, and apps bound to them."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A brand-new empty database of the same kind as the suite's."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            _drop(admin, name)
        finally:
            admin.dispose()


def _drop(admin, name: str) -> None:
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
