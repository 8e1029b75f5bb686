"""The one kind of write a page (GET) may make: bookkeeping that the user never asked for and
would not miss if it were lost — where a learner left off, when an API token was last used,
when a session was last seen (which keeps it from timing out).

Such writes are throttled by their callers (skip when nothing changed or it is recent) and run
after the page is rendered, in a transaction of their own: the page's read transaction ends
first, so on SQLite the write starts with BEGIN IMMEDIATE and waits its turn like any other
writer (upgrading the page's deferred read transaction would fail whenever another request had
written since the page began). If the write still fails on a lock, it is dropped: the page has
been served.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import g
from sqlalchemy.exc import OperationalError

from samaschool.extensions import db

log = logging.getLogger(__name__)


@contextmanager
def bookkeeping() -> Iterator[None]:
    """End the page's read transaction, run the writes inside in a new one, then commit; on a
    lock conflict, roll back and carry on."""
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False  # keep what the page loaded
    try:
        session.commit()  # nothing written yet: this only ends the read transaction
        g._bookkeeping = True  # read by the engine hooks in samaschool/__init__.py
        yield
        session.commit()
    except OperationalError as error:
        session.rollback()
        log.info("bookkeeping write skipped: %s", error.orig)
    finally:
        g._bookkeeping = False
        session.expire_on_commit = expire_on_commit
