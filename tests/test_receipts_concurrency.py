"""Receipts under concurrent payments on PostgreSQL: consecutive numbers, one payment per form."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.models import Allocation, BillLine, Payment, Receipt
from frontdesk.services.chain import verify
from frontdesk.services.periods import estate_today
from tests import factories
from tests.concurrency import run_together
from tests.conftest import login

pytestmark = pytest.mark.postgres

THREADS = 20
AREA_CHARGE = "89.50 m² × 2.3500 元/m²·月 × 1 月 = 210.33"


@pytest.fixture
def units(world, db):
    """Twenty units of building 3, each with one open bill."""
    item = factories.fee_item(world.estate)
    due = estate_today(world.estate) - timedelta(days=5)
    result = [world.unit] + [factories.unit(world.building, "1", 2 + n // 4, f"{n:02d}01")
                             for n in range(THREADS - 1)]
    for unit in result:
        factories.bill_line(unit, item, due=due, explanation=AREA_CHARGE)
    db.session.commit()
    return result


def _logged_in_clients(app, n: int):
    clients = []
    for _ in range(n):
        client = app.test_client()
        assert login(client, "frontdesk").status_code == 302
        clients.append(client)
    return clients


def _run_together(targets) -> list:
    """Run each callable in its own thread, all released at once."""

    def at_barrier(target):
        def run(barrier):
            barrier.wait(timeout=30)
            return target()
        return run

    return run_together([at_barrier(t) for t in targets])


def _post_payment(client, unit_id: int, key: str, amount: str = "210.33"):
    # each request runs in this thread's own app context, with its own db.session
    def post():
        response = client.post(f"/payments/units/{unit_id}/new", data={
            "amount": amount, "method": "cash", "purpose": "bills", "payer": "业主",
            "idempotency_key": key})
        return response.status_code, response.headers.get("Location", "")
    return post


def test_twenty_concurrent_payments_get_consecutive_receipt_numbers(app, db, world, units):
    clients = _logged_in_clients(app, THREADS)
    results = _run_together([_post_payment(c, u.id, f"key-{u.id}")
                             for c, u in zip(clients, units, strict=True)])
    assert all(status == 302 for status, _ in results), results
    db.session.expire_all()
    receipts = db.session.scalars(sa.select(Receipt).order_by(Receipt.seq)).all()
    year = estate_today(world.estate).year
    assert [r.seq for r in receipts] == list(range(1, THREADS + 1))
    assert [r.number for r in receipts] == [f"SJ{year}-{n:06d}" for n in range(1, THREADS + 1)]
    assert len({r.unit_id for r in receipts}) == THREADS
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == THREADS
    assert all(line.settled == line.amount for line in db.session.scalars(sa.select(BillLine)))
    report = verify("receipts")  # the chain holds although the payments ran at once
    assert report.ok and report.records["receipts"] == THREADS


def test_the_same_form_posted_by_two_threads_records_one_payment(app, db, world, units):
    clients = _logged_in_clients(app, 2)
    unit = units[0]
    results = _run_together([_post_payment(c, unit.id, "same-form-key", "500.00")
                             for c in clients])
    assert [status for status, _ in results] == [302, 302], results
    locations = {re.sub(r"^https?://[^/]+", "", loc) for _, loc in results}
    assert len(locations) == 1  # both get the one receipt
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Receipt.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Allocation.id))) == 1
    line = db.session.scalar(sa.select(BillLine).where(BillLine.unit_id == unit.id))
    assert line.settled == Decimal("210.33")


def test_concurrent_voids_of_one_receipt_reverse_it_once(app, db, world, units):
    from frontdesk.services.fees import bill_queries

    desk = _logged_in_clients(app, 1)[0]
    status, location = _post_payment(desk, units[0].id, "to-void")()
    assert status == 302
    receipt_id = int(location.rsplit("/", 1)[1])
    finance = []
    for _ in range(2):
        client = app.test_client()
        assert login(client, "finance").status_code == 302
        finance.append(client)

    def void(client):
        return lambda: client.post(f"/payments/receipts/{receipt_id}/void",
                                   data={"reason": "收错户"}).status_code

    results = _run_together([void(c) for c in finance])
    assert sorted(results) == [302, 422]
    db.session.expire_all()
    line = db.session.scalar(sa.select(BillLine).where(BillLine.unit_id == units[0].id))
    assert line.settled == Decimal("0.00")
    assert bill_queries.prepaid_balance(units[0].id) == 0


def test_two_estates_with_one_prefix_take_payments_side_by_side(app, db, world, units):
    """Both estates print SJ…-000001 onwards; neither waits for nor collides with the other."""
    other = world.other_estate
    assert other.receipt_prefix == world.estate.receipt_prefix == "SJ"
    item = factories.fee_item(other)
    building = factories.building(other, "1")
    half = THREADS // 2
    theirs = [factories.unit(building, "1", 1 + n, f"{n + 1:02d}01") for n in range(half)]
    for unit in theirs:
        factories.bill_line(unit, item, due=estate_today(other) - timedelta(days=5),
                            explanation=AREA_CHARGE)
    factories.user("frontdesk", [other], username="desk_b")
    db.session.commit()
    ours = units[:half]
    clients = _logged_in_clients(app, half)
    for _ in range(half):
        client = app.test_client()
        assert login(client, "desk_b").status_code == 302
        clients.append(client)
    targets = [_post_payment(c, u.id, f"key-{u.id}")
               for c, u in zip(clients, ours + theirs, strict=True)]
    results = _run_together(targets)
    assert all(status == 302 for status, _ in results), results
    db.session.expire_all()
    year = estate_today(world.estate).year
    expected = [f"SJ{year}-{n:06d}" for n in range(1, half + 1)]
    for estate in (world.estate, other):
        receipts = db.session.scalars(sa.select(Receipt).where(Receipt.estate_id == estate.id)
                                      .order_by(Receipt.seq)).all()
        assert [r.number for r in receipts] == expected, estate.name
    report = verify("receipts")
    assert report.ok and report.records["receipts"] == 2 * half
