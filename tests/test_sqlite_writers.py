"""SQLite: two requests that write at once both succeed; neither fails with "database is locked".

SQLite cannot turn a transaction that has read into a writer once another connection has
committed since: it reports "database is locked" at once, without waiting. A savepoint (taken
around a payment's receipt number, say) may be what starts a transaction, and it then reads
before it writes; such a transaction therefore starts as the writer (BEGIN IMMEDIATE) and
waits its turn. Pages that only read never wait for a writer.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Estate


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking")


def _estate_names() -> set[str]:
    return set(db.session.scalars(sa.select(Estate.name)))


def test_a_post_that_reads_then_writes_waits_for_another_writer(app, sqlite_only):
    read_done, other_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first():
        with app.test_request_context("/", method="POST"):
            try:
                with db.session.begin_nested():  # as a payment takes its receipt number
                    db.session.scalar(sa.select(sa.func.count(Estate.id)))  # it reads first
                    read_done.set()
                    other_done.wait(0.5)  # the other request tries to write meanwhile
                    db.session.add(Estate(name="甲小区"))
                db.session.commit()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
            finally:
                db.session.remove()

    def second():
        read_done.wait(5)
        with app.test_request_context("/", method="POST"):
            try:
                db.session.add(Estate(name="乙小区"))
                db.session.commit()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
            finally:
                other_done.set()
                db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors, errors
    assert time.monotonic() - start < 10
    assert {"甲小区", "乙小区"} <= _estate_names()


def test_a_page_that_only_reads_does_not_wait_for_a_writer(app, sqlite_only):
    db.session.add(Estate(name="丙小区"))
    db.session.commit()
    db.session.remove()
    holding, release = threading.Event(), threading.Event()

    def writer():
        with app.test_request_context("/", method="POST"):
            db.session.add(Estate(name="丁小区"))
            db.session.flush()  # holds the write lock until the commit
            holding.set()
            release.wait(10)
            db.session.commit()
            db.session.remove()

    t = threading.Thread(target=writer)
    t.start()
    try:
        assert holding.wait(5)
        with app.test_request_context("/", method="GET"):
            start = time.monotonic()
            names = _estate_names()
            assert time.monotonic() - start < 1
            assert "丙小区" in names and "丁小区" not in names
            db.session.remove()
    finally:
        release.set()
        t.join(10)
