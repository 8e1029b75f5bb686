"""Fixtures for migration tests: brand-new databases of the suite's kind, and apps bound to them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import make_url

from tests.servers import scratch_postgres_database


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A brand-new empty database of the same kind as the suite's."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with scratch_postgres_database(database_url, f"migrations_{uuid.uuid4().hex[:8]}") as scratch:
        yield scratch
