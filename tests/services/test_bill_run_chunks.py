"""Bill runs computed and posted a chunk of buildings at a time: the same lines, totals, prepaid
use and refusals as one pass over the estate, and a post that commits all or nothing."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from frontdesk.extensions import db as _db
from frontdesk.models import AuditEvent, BillLine, BillRun, Estate, Job, PrepaidEntry, Unit
from frontdesk.services import DomainError
from frontdesk.services.fees import billing, billrun
from tests import factories
from tests.conftest import count
from tests.factories import meter, reading

D = Decimal
PERIOD = "2026-11"
TODAY = date(2026, 11, 30)

#: what each unit owes for November, worked out by hand: WY 2.35 元/m², LJ 20.00, DF 0.60 元 up
#: to 200 kWh then 0.90, GT the building's loss × 1.00 by area, SF annual water tiers
EXPECTED = {
    "2-1-101": {"WY": "235.00", "LJ": "20.00", "DF": "60.00", "GT": "100.00", "SF": "155.00"},
    "2-1-102": {"WY": "117.50", "LJ": "20.00", "DF": "60.00", "GT": "50.00"},
    "3-1-201": {"WY": "141.00", "LJ": "20.00", "DF": "165.00"},  # 200 × 0.60 + 50 × 0.90
    "3-2-1502": {"WY": "210.33", "LJ": "20.00", "DF": "60.00"},  # 89.50 × 2.35 = 210.325
    "10-1-101": {"WY": "282.00", "LJ": "20.00"},
}
TOTAL = D("1735.83")
#: buildings in the order a run takes them (by sort key, not by when they were added)
ORDER = ["2", "3", "10"]


@pytest.fixture(autouse=True)
def _chinese(app):
    with force_locale("zh_CN"):
        yield


@pytest.fixture
def estate(fees, db):
    """Three buildings added out of order: "3" (the world's), "10", then "2"."""
    e, unit = fees.estate, factories.unit
    b3 = fees.building
    b10 = factories.building(e, "10")
    b2 = factories.building(e, "2")
    units = {u.code: u for u in (
        fees.unit,
        unit(b3, "1", 2, "201", "60.00", status="已入住", handover_date=date(2024, 5, 1)),
        unit(b10, "1", 1, "101", "120.00", status="已入住", handover_date=date(2024, 5, 1)),
        unit(b2, "1", 1, "101", "100.00", status="已入住", handover_date=date(2024, 5, 1)),
        unit(b2, "1", 1, "102", "50.00", status="已入住", handover_date=date(2024, 5, 1)),
    )}
    for code, used in (("2-1-101", 100), ("2-1-102", 100), ("3-1-201", 250),
                       ("3-2-1502", 100)):
        m = meter(e, "electricity", f"E-{code}", unit=units[code])
        reading(m, PERIOD, 1000 + used, 1000)
    water = meter(e, "water", "W-2-1-101", unit=units["2-1-101"])
    reading(water, "2026-05", "1170", "1000")  # 170 m³ used earlier this year
    reading(water, PERIOD, "1195", "1170")  # 25 more: 10 × 5.00 + 15 × 7.00
    shared = meter(e, "electricity", "GT-2", building=b2, shared=True, item=fees.shared)
    reading(shared, PERIOD, "10350", "10000", approved=True)  # 350 less 200 below: 150 lost
    db.session.commit()
    e.units = units
    e.buildings_by_number = {"2": b2, "3": b3, "10": b10}
    return e


@pytest.fixture
def chunks(monkeypatch):
    """Set how many units a chunk holds, and read the streamed queries a row at a time."""
    monkeypatch.setattr(billrun, "STREAM_ROWS", 1)

    def set_size(units: int) -> None:
        monkeypatch.setattr(billrun, "CHUNK_UNITS", units)

    return set_size


def posted(db) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for code, item, amount in db.session.execute(
            sa.select(Unit.code, BillLine.fee_item_id, BillLine.amount)
            .join(Unit, Unit.id == BillLine.unit_id)):
        out.setdefault(code, {})[_codes(db)[item]] = str(amount)
    return out


def _codes(db) -> dict[int, str]:
    from frontdesk.models import FeeItem

    return dict(db.session.execute(sa.select(FeeItem.id, FeeItem.code)).all())


@pytest.mark.parametrize("size", [1, 3, 2000])
def test_a_run_in_chunks_bills_every_building_as_worked_out_by_hand(estate, chunks, db, size):
    chunks(size)
    calls = []
    run = billing.post_bill_run(None, estate, PERIOD, today=TODAY,
                                progress=lambda done, total: calls.append((done, total)))
    assert posted(db) == EXPECTED
    assert run.lines == 17 and run.total == TOTAL
    assert calls == [(1, 3), (2, 3), (3, 3)]
    # written in the run's order: building by sort key, then fee item, then unit
    numbers = [code.split("-")[0] for code in db.session.scalars(
        sa.select(Unit.code).join(BillLine, BillLine.unit_id == Unit.id).order_by(BillLine.id))]
    assert sorted(set(numbers), key=numbers.index) == ORDER
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "post")).one()
    assert event.after["lines"] == 17 and event.after["total"] == "1735.83"
    assert event.after["by_item"] == {"DF": "345.00", "GT": "150.00", "LJ": "100.00",
                                      "SF": "155.00", "WY": "985.83"}


def test_the_preview_in_chunks_has_the_same_lines_and_totals(estate, chunks, db):
    chunks(1)
    preview = billing.preview_bill_run(estate, PERIOD, today=TODAY)
    codes = _codes(db)
    by_unit: dict[str, dict[str, str]] = {}
    for ln in preview.lines:
        by_unit.setdefault(ln.unit_code, {})[codes[ln.fee_item_id]] = str(ln.amount)
    assert by_unit == EXPECTED
    b = estate.buildings_by_number
    assert preview.by_building[b["2"].id].amount == D("817.50")
    assert preview.by_building[b["10"].id].amount == D("302.00")
    assert preview.total.amount == TOTAL and count(db, BillLine) == 0


def test_prepaid_balances_in_different_chunks_pay_their_own_lines_oldest_due_first(
        estate, chunks, db):
    chunks(1)
    units = estate.units
    for code, amount in (("2-1-102", "100.00"), ("10-1-101", "500.00")):
        db.session.add(PrepaidEntry(estate_id=estate.id, unit_id=units[code].id,
                                    amount=D(amount), kind="payment"))
    db.session.commit()
    billing.post_bill_run(None, estate, PERIOD, today=TODAY)
    codes = _codes(db)
    applied = [(e.unit_id, codes[line.fee_item_id], e.amount, line.settled)
               for e, line in db.session.execute(
                   sa.select(PrepaidEntry, BillLine)
                   .join(BillLine, BillLine.id == PrepaidEntry.bill_line_id)
                   .where(PrepaidEntry.kind == "applied").order_by(PrepaidEntry.id))]
    # GT, LJ and WY are due on the 15th (in that order of posting), DF on the 20th
    u2, u10 = units["2-1-102"].id, units["10-1-101"].id
    assert applied == [(u2, "GT", D("-50.00"), D("50.00")), (u2, "LJ", D("-20.00"), D("20.00")),
                       (u2, "WY", D("-30.00"), D("30.00")),
                       (u10, "LJ", D("-20.00"), D("20.00")),
                       (u10, "WY", D("-282.00"), D("282.00"))]
    assert db.session.scalar(sa.select(sa.func.sum(BillLine.settled))) == D("402.00")
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "post")).one()
    assert event.after["prepaid_applied"] == "402.00"


def test_a_line_refused_in_a_later_chunk_leaves_nothing_posted(estate, chunks, db):
    """The post is one transaction: the chunks written before the refusal go too."""
    chunks(1)
    unit = estate.units["10-1-101"]
    area_item = next(i for i, c in _codes(db).items() if c == "WY")

    def progress(done, total):
        if done == 1:  # building "2" is written; another line of 10-1-101 appears meanwhile
            _db.session.add(BillLine(estate_id=estate.id, unit_id=unit.id,
                                     fee_item_id=area_item, period=PERIOD, kind="charge",
                                     amount=D("1.00"), explanation="x",
                                     due_date=date(2026, 11, 15)))
            _db.session.flush()

    with pytest.raises(DomainError) as e:
        billing.post_bill_run(None, estate, PERIOD, today=TODAY, progress=progress)
    assert "同时" in str(e.value) or "same time" in str(e.value)
    assert count(db, BillLine) == 0 and count(db, BillRun) == 0
    assert count(db, AuditEvent, AuditEvent.action == "post") == 0


def test_a_post_keeps_the_counts_but_not_the_lines(estate, chunks, db, monkeypatch):
    chunks(1)
    monkeypatch.setattr(billing, "POST_KEEPS", 1)
    e = estate
    nowhere = factories.unit(e.buildings_by_number["10"], "1", 2, "201", None,
                             status="已入住", handover_date=date(2024, 5, 1))
    meter(e, "water", "W-10-1-201", unit=nowhere)  # and no reading
    db.session.commit()
    run = billing.post_bill_run(None, e, PERIOD, today=TODAY)
    left = run.preview
    assert left.lines == [] and left.total.lines == run.lines == 18  # LJ for 10-1-201
    assert len(left.problems) == 1 and left.problem_total == 2
    assert left.problem_counts() == {"missing_reading": 1, "no_area": 1}
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "post")).one()
    assert event.after["problems"] == 2


def test_finance_posts_a_run_in_chunks_through_the_page(estate, chunks, finance, db):
    chunks(1)
    r = finance.post("/billing/post", data={"period": PERIOD, "building": "", "confirm": "y"})
    assert r.status_code == 302
    run = db.session.scalars(sa.select(BillRun)).one()
    job = db.session.scalars(sa.select(Job)).one()
    assert (job.status, job.bill_run_id) == ("done", run.id)
    started = finance.get(r.headers["Location"]).get_data(as_text=True)
    assert f'href="/billing/runs/{run.id}"' in started
    page = finance.get(f"/billing/runs/{run.id}").get_data(as_text=True)
    assert "1,735.83" in page or "1735.83" in page
    assert posted(db) == EXPECTED
    again = finance.post("/billing/post", data={"period": PERIOD, "building": "",
                                                "confirm": "y"}, follow_redirects=True)
    assert "没有新的账单" in again.get_data(as_text=True)
    assert count(db, BillLine) == 17


@pytest.mark.postgres
def test_a_run_posted_meanwhile_is_refused_in_a_later_chunk(app, estate, chunks, db):
    """Another run posts building 10 and commits while this one is at building 2: this one
    meets its lines at building 10, two chunks later, and posts nothing."""
    chunks(1)
    estate_id, b10_id = estate.id, estate.buildings_by_number["10"].id
    outcome = []

    def other_run():
        with app.app_context(), force_locale("zh_CN"):
            from frontdesk.models import Building

            try:
                other = _db.session.get(Estate, estate_id)
                run = billing.post_bill_run(None, other, PERIOD, _db.session.get(Building, b10_id),
                                            today=TODAY)
                outcome.append(run.lines)
            finally:
                _db.session.remove()

    def progress(done, total):
        if done == 1:
            t = threading.Thread(target=other_run)
            t.start()
            t.join(60)

    with pytest.raises(DomainError):
        billing.post_bill_run(None, estate, PERIOD, today=TODAY, progress=progress)
    assert outcome == [2]
    db.session.expire_all()
    assert posted(db) == {"10-1-101": EXPECTED["10-1-101"]}
    assert count(db, BillRun) == 1
