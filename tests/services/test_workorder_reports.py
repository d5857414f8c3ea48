"""The work-order report, with every figure worked out by hand from a small month of orders.

Normal priority everywhere: respond within 2 h, complete within 48 h of running time.
T0 is Monday 2 November 2026, 10:00 in Shanghai; the report is read at T0 + 100 h.

* O1 水电, A: accepted after 30 min, paused 72 h, completed at T0 + 84 h — late by the wall
  clock, 12 h of running time: NOT a breach. Callback 4 (A).
* O2 水电, reported T0 + 1 h, A: accepted at + 4 h (response late), completed at + 51 h (late),
  callback 2 reopens it (A's); sent to B, who accepts at T0 + 61 h and completes at + 70 h;
  callback 5 (B's). Response time 60 h, completion time 69 h; current engineer B.
* O3 土建, reported T0 + 2 h, sent to B, never accepted: open, both due times past now.
* O4 土建, reported T0 + 99 h, waiting for dispatch, due in 2 h: open, on time.
* O5 水电, reported T0, cancelled an hour later.
* O7 水电, reported in October, A, in progress: open at the end, not reported in the range.
* An order of another estate, open and late: never counted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from frontdesk.services import DomainError
from frontdesk.services.workorders import crew, orders, reports
from tests import factories

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=100)
H = 3600


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _report(desk, estate, category, at, **data):
    values = {"source": "电话", "reporter_name": "张三", "reporter_phone": "13812345678",
              "area": "3号楼 电梯厅", "category_id": category.id, "description": "报修"}
    values.update(data)
    return orders.report(desk, estate, values, at)


@pytest.fixture
def month(world, db):
    e, desk = world.estate, world.users["frontdesk"]
    a = factories.engineer(e, "eng_a", team="水电组", skills=["水电"], full_name="A王师傅")
    b = factories.engineer(e, "eng_b", team="土建组", skills=["土建"], full_name="B李师傅")
    cats = {c.name: c for c in crew.categories(e.id)}
    water, build = cats["水电"], cats["土建"]

    o1 = _report(desk, e, water, h(0))
    orders.dispatch(desk, o1, a, h(1 / 6))
    orders.accept(a, o1, h(0.5))
    orders.start(a, o1, h(1))
    orders.pause(a, o1, "等业主在家", h(2))
    orders.resume(a, o1, h(74))
    orders.complete(a, o1, "已修好", h(84))
    orders.callback(desk, o1, 4, "", h(90))

    o2 = _report(desk, e, water, h(1))
    orders.dispatch(desk, o2, a, h(1))
    orders.accept(a, o2, h(4))
    orders.start(a, o2, h(5))
    orders.complete(a, o2, "已修好", h(51))
    orders.callback(desk, o2, 2, "还在漏", h(60))
    orders.dispatch(desk, o2, b, h(60.5))
    orders.accept(b, o2, h(61))
    orders.start(b, o2, h(62))
    orders.complete(b, o2, "换了整根管", h(70))
    orders.callback(desk, o2, 5, "", h(80))

    o3 = _report(desk, e, build, h(2))
    orders.dispatch(desk, o3, b, h(2))
    _report(desk, e, build, h(99))
    o5 = _report(desk, e, water, h(0))
    orders.cancel(desk, o5, "业主自行修好", h(1))

    october = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)
    o7 = _report(desk, e, water, october)
    orders.dispatch(desk, o7, a, october)
    orders.accept(a, o7, october + timedelta(minutes=20))
    orders.start(a, o7, october + timedelta(hours=1))

    other_desk = factories.user("frontdesk", [world.other_estate], username="other_desk")
    other_cat = crew.categories(world.other_estate.id)[0]
    _report(other_desk, world.other_estate, other_cat, h(0))
    db.session.commit()
    return {"a": a, "b": b}


def _rows(rows):
    return {r.name: r for r in rows}


def test_figures_by_category(world, month):
    data = reports.report(world.estate, date(2026, 11, 1), date(2026, 11, 30), NOW)
    assert data["as_of"] == NOW
    cats = _rows(data["categories"])
    water, build = cats["水电"], cats["土建"]
    assert (water.open, water.reported, water.completed) == (1, 3, 2)
    assert (build.open, build.reported, build.completed) == (2, 2, 0)
    # O1's pause leaves it on time; O2 late twice; O3 open past both due times
    assert (water.response_breaches, water.completion_breaches) == (1, 1)
    assert (build.response_breaches, build.completion_breaches) == (1, 1)
    assert water.avg_response_seconds == (30 * 60 + 60 * H) // 2
    assert water.avg_completion_seconds == (12 * H + 69 * H) // 2
    assert build.avg_response_seconds is None and build.avg_completion_seconds is None
    assert (water.callbacks, water.score_total, water.unsatisfied) == (3, 11, 1)
    assert water.satisfaction == Decimal("3.7")
    assert build.callbacks == 0 and build.satisfaction is None
    assert cats["电梯"].empty  # an active category with nothing is still listed
    t = data["totals"]
    assert (t.open, t.reported, t.completed, t.response_breaches, t.completion_breaches,
            t.callbacks) == (3, 5, 2, 2, 2, 3)


def test_figures_by_engineer(world, month):
    data = reports.report(world.estate, date(2026, 11, 1), date(2026, 11, 30), NOW)
    engineers = _rows(data["engineers"])
    a, b = engineers["A王师傅"], engineers["B李师傅"]
    unassigned = data["engineers"][-1]
    assert unassigned.key is None and unassigned.name is None
    # open at the end: O7 is A's, O3 B's, O4 nobody's
    assert (a.open, b.open, unassigned.open) == (1, 1, 1)
    # reported in the range, by the engineer now: O1 A; O2 and O3 B; O4 and O5 nobody
    assert (a.reported, b.reported, unassigned.reported) == (1, 2, 2)
    assert a.avg_response_seconds == 30 * 60 and a.avg_completion_seconds == 12 * H
    assert b.avg_response_seconds == 60 * H and b.avg_completion_seconds == 69 * H
    assert (a.response_breaches, a.completion_breaches) == (0, 0)
    assert (b.response_breaches, b.completion_breaches) == (2, 2)
    # callbacks by the engineer then: O1's 4 and O2's first 2 are A's, O2's 5 is B's
    assert (a.callbacks, a.satisfaction, a.unsatisfied) == (2, Decimal("3.0"), 1)
    assert (b.callbacks, b.satisfaction, b.unsatisfied) == (1, Decimal("5.0"), 0)
    late = {orders.order_number(item["order"]): (item["response"], item["completion"])
            for item in data["breached"]}
    assert sorted(late.values()) == [(True, True), (True, True)]


def test_a_pause_past_the_due_time_is_a_breach_and_one_before_it_is_not(world, db, month):
    desk, a = world.users["frontdesk"], month["a"]
    water = {c.name: c for c in crew.categories(world.estate.id)}["水电"]
    early = _report(desk, world.estate, water, h(50))
    orders.dispatch(desk, early, a, h(50))
    orders.accept(a, early, h(51))
    orders.start(a, early, h(51))
    orders.pause(a, early, "等配件", h(52))  # 46 h of running time left: not late at NOW
    late = _report(desk, world.estate, water, h(0))
    orders.dispatch(desk, late, a, h(0))
    orders.accept(a, late, h(1))
    orders.start(a, late, h(1))
    orders.pause(a, late, "等配件", h(60))  # paused 12 h after it was due
    db.session.commit()
    assert reports.completion_breached(early, NOW) is False
    assert reports.completion_breached(late, NOW) is True
    data = reports.report(world.estate, date(2026, 11, 1), date(2026, 11, 30), NOW)
    assert _rows(data["categories"])["水电"].completion_breaches == 2


def test_a_range_reads_only_its_days_and_the_state_at_its_end(world, month):
    # 2 November only (local): O1, O2, O3, O5 reported; O4 came on the 6th
    data = reports.report(world.estate, date(2026, 11, 2), date(2026, 11, 2), NOW)
    assert data["totals"].reported == 4
    # at the end of the 2nd (16:00 UTC): O1 paused, O2 in progress, O3 dispatched, O7 open
    assert data["as_of"] == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    assert data["totals"].open == 4
    assert data["totals"].callbacks == 0
    # October: only O7, open at the end of the month
    data = reports.report(world.estate, date(2026, 10, 1), date(2026, 10, 31), NOW)
    assert (data["totals"].reported, data["totals"].open) == (1, 1)


def test_the_other_estate_is_never_counted(world, month):
    data = reports.report(world.other_estate, date(2026, 11, 1), date(2026, 11, 30), NOW)
    assert (data["totals"].reported, data["totals"].open) == (1, 1)
    assert data["totals"].response_breaches == 1
    ours = reports.report(world.estate, date(2026, 11, 1), date(2026, 11, 30), NOW)
    assert ours["totals"].reported == 5


@pytest.mark.parametrize(("start", "end", "field"), [
    (date(2026, 11, 30), date(2026, 11, 1), "end"),
    (None, date(2026, 11, 1), "start"),
    (date(2026, 11, 1), None, "end"),
    (date(2020, 1, 1), date(2026, 11, 1), "end"),
])
def test_a_bad_range_is_refused(world, start, end, field):
    with pytest.raises(DomainError) as e:
        reports.report(world.estate, start, end, NOW)
    assert e.value.field == field
