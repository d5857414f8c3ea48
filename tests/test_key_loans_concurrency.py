"""Key loans under concurrent requests on PostgreSQL: one open loan per key, a chain that holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db as _db
from frontdesk.models import Key, KeyLoan, User
from frontdesk.services import DomainError, chain
from frontdesk.services.keys import loans
from tests import factories
from tests.concurrency import run_together

pytestmark = pytest.mark.postgres

THREADS = 20
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _lend(actor_id: int, key_id: int, n: int):
    def attempt(barrier):
        actor = _db.session.get(User, actor_id)
        key = _db.session.get(Key, key_id)
        _db.session.commit()  # the objects are loaded; no transaction is held at the barrier
        barrier.wait(timeout=30)
        try:
            loan = loans.lend_key(
                actor, key, borrower_name="张三", borrower_phone="13812345678",
                borrower_id_tail="4477", purpose=f"第 {n} 次尝试", now=NOW,
                expected_return_at=NOW + timedelta(hours=8))
        except DomainError as e:
            return ("refused", str(e))
        return ("lent", loan.id)
    return attempt


def test_twenty_threads_lending_one_key_give_one_loan_and_nineteen_refusals(app, db, world):
    key = factories.key(world.estate, world.unit, "K-3-2-1502-01")
    db.session.commit()
    actor_id, key_id = world.users["frontdesk"].id, key.id
    results = run_together([_lend(actor_id, key_id, n) for n in range(THREADS)], app)
    lent = [r for r in results if r[0] == "lent"]
    refused = [r for r in results if r[0] == "refused"]
    assert len(lent) == 1 and len(refused) == THREADS - 1, results
    assert {message for _, message in refused} == {"该钥匙已借出。"}
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(KeyLoan.id))) == 1
    assert db.session.get(Key, key_id).status == "on_loan"
    assert chain.verify("key_loans").ok


def test_twenty_keys_lent_at_once_are_chained_one_after_another(app, db, world):
    keys = [factories.key(world.estate, world.unit, f"K-3-2-1502-{n:02d}") for n in range(THREADS)]
    db.session.commit()
    actor_id = world.users["frontdesk"].id
    results = run_together([_lend(actor_id, k.id, n) for n, k in enumerate(keys)], app)
    assert all(r[0] == "lent" for r in results), results
    db.session.expire_all()
    loans = db.session.scalars(sa.select(KeyLoan).order_by(KeyLoan.seq)).all()
    assert [loan.seq for loan in loans] == list(range(1, THREADS + 1))
    assert len({loan.key_id for loan in loans}) == THREADS
    report = chain.verify("key_loans")
    assert report.ok and report.records["key_loans"] == THREADS
