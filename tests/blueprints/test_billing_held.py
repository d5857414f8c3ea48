"""A flagged reading nobody has reviewed holds its bill line: shown as a problem, not posted,
billed by the next post of the period once finance has reviewed it on the meters pages."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from frontdesk.blueprints.billing import views as billing_views
from frontdesk.extensions import db as _db
from frontdesk.models import AuditEvent, BillLine, BillRun, Estate, MeterReading
from tests import factories
from tests.factories import meter, reading

D = Decimal
PERIOD = "2026-10"
POST = {"period": PERIOD, "building": "", "confirm": "y"}


def water_history(unit, number: str):
    """A water meter read 10 m³ a month from April to September."""
    m = meter(_estate_of(unit), "water", number, unit=unit)
    m.building_id = unit.building_id
    for i, period in enumerate(("2026-04", "2026-05", "2026-06", "2026-07", "2026-08",
                                "2026-09")):
        reading(m, period, 100 + 10 * (i + 1), 100 + 10 * i)
    return m


def _estate_of(unit) -> Estate:
    return _db.session.get(Estate, unit.estate_id)


def enter_flagged(finance, m, value="1060") -> MeterReading:
    """Enter October's reading through the meter page: 900 m³ above September's."""
    r = finance.post(f"/meters/{m.id}/readings", data={"period": PERIOD, "kind": "normal",
                                                       "value": value})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    _db.session.expire_all()
    got = _db.session.scalars(sa.select(MeterReading).where(
        MeterReading.meter_id == m.id, MeterReading.period == PERIOD)).one()
    assert got.flagged and got.consumption == D(900)
    return got


def lines(db, **where):
    q = sa.select(BillLine).where(BillLine.kind == "charge")
    for key, value in where.items():
        q = q.where(getattr(BillLine, key) == value)
    return db.session.scalars(q).all()


def test_a_flagged_reading_is_a_problem_and_its_line_is_held_until_reviewed(
        finance, fees, world, db):
    m = water_history(fees.unit, "W-1502")
    db.session.commit()
    flagged = enter_flagged(finance, m)

    # the preview lists the flagged reading as a problem and holds its line
    page = finance.get("/billing/preview", query_string={"period": PERIOD, "building": ""}
                       ).get_data(as_text=True)
    assert "问题：1 个" in page  # the summary at the top, not "问题 0"
    assert "暂缓过账：1 行" in page
    assert "W-1502" in page and "未经复核" in page
    assert f"/meters/{m.id}" in page
    assert "只过账无问题的账单行：2 行，共 230.33" in page  # 物业费 210.33 + 垃圾费 20.00

    # posting asks for confirmation: without it nothing is posted
    r = finance.post("/billing/post", data={"period": PERIOD, "building": ""},
                     follow_redirects=True)
    assert "未过账" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BillRun)) == 0

    # with it the clean lines post and the water line is held, and the page says so
    r = finance.post("/billing/post", data=POST, follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "生成 2 条账单" in text and "1 行（" in text and "暂缓过账" in text
    assert {ln.fee_item_id for ln in lines(db)} == {fees.area.id, fees.fixed.id}
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "post")).one()
    assert event.after["held"] == 1 and event.after["held_units"] == ["3-2-1502"]

    # finance reviews the reading from the flagged-readings page
    listing = finance.get("/meters/flagged").get_data(as_text=True)
    assert f"/meters/readings/{flagged.id}/review" in listing
    r = finance.post(f"/meters/readings/{flagged.id}/review", data={"back": "flagged"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/meters/flagged")
    db.session.expire_all()
    flagged = db.session.get(MeterReading, flagged.id)
    assert flagged.reviewed_by_id == world.users["finance"].id
    assert flagged.reviewed_at is not None
    review = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "review")).one()
    assert review.object_type == "meter_reading" and review.object_id == flagged.id
    assert review.before["reviewed_at"] is None and review.after["reviewed_at"]
    listing = finance.get("/meters/flagged").get_data(as_text=True)
    assert "复核人" in listing and "finance测试" in listing

    # a second review is refused; the next post of the period bills the held line, once
    r = finance.post(f"/meters/readings/{flagged.id}/review", data={"back": "flagged"},
                     follow_redirects=True)
    assert "已复核" in r.get_data(as_text=True)
    page = finance.get("/billing/preview", query_string={"period": PERIOD, "building": ""}
                       ).get_data(as_text=True)
    assert "暂缓过账：" not in page and "W-1502" not in page
    r = finance.post("/billing/post", data=POST)
    assert r.status_code == 302
    water = lines(db, fee_item_id=fees.water.id)
    assert len(water) == 1 and water[0].quantity == D(900) and water[0].amount > 0
    r = finance.post("/billing/post", data=POST, follow_redirects=True)
    assert "没有新的账单" in r.get_data(as_text=True)
    assert len(lines(db)) == 3


def test_only_held_lines_left_says_nothing_can_post_yet(finance, fees, db):
    m = water_history(fees.unit, "W-1502")
    db.session.commit()
    enter_flagged(finance, m)
    finance.post("/billing/post", data=POST)
    page = finance.get("/billing/preview", query_string={"period": PERIOD, "building": ""}
                       ).get_data(as_text=True)
    assert "暂无可过账的账单" in page and 'action="/billing/post"' not in page
    r = finance.post("/billing/post", data=POST, follow_redirects=True)
    assert "1 行暂缓过账" in r.get_data(as_text=True)
    assert lines(db, fee_item_id=fees.water.id) == []


def test_the_meter_page_reviews_and_reentering_asks_for_a_new_review(finance, fees, db):
    m = water_history(fees.unit, "W-1502")
    db.session.commit()
    flagged = enter_flagged(finance, m)
    page = finance.get(f"/meters/{m.id}").get_data(as_text=True)
    assert f"/meters/readings/{flagged.id}/review" in page
    r = finance.post(f"/meters/readings/{flagged.id}/review", data={"back": "meter"})
    assert r.headers["Location"].endswith(f"/meters/{m.id}")
    page = finance.get(f"/meters/{m.id}").get_data(as_text=True)
    assert "复核人：finance测试" in page
    # typed again with another value while unbilled: flagged again, reviewed no longer
    enter_flagged(finance, m, "1060")  # unchanged: the review stands
    assert db.session.get(MeterReading, flagged.id).reviewed_at is not None
    r = finance.post(f"/meters/{m.id}/readings", data={"period": PERIOD, "kind": "normal",
                                                       "value": "1070"})
    assert r.status_code == 302
    db.session.expire_all()
    again = db.session.get(MeterReading, flagged.id)
    assert again.flagged and again.reviewed_at is None and again.reviewed_by_id is None


def test_unflagged_readings_cannot_be_reviewed_and_the_desk_may_not(
        finance, desk, fees, db):
    m = water_history(fees.unit, "W-1502")
    db.session.commit()
    plain = db.session.scalars(sa.select(MeterReading).where(
        MeterReading.meter_id == m.id)).first()
    r = finance.post(f"/meters/readings/{plain.id}/review", data={"back": "flagged"},
                     follow_redirects=True)
    assert "只有异常读数需要复核" in r.get_data(as_text=True)
    flagged = enter_flagged(finance, m)
    assert desk.post(f"/meters/readings/{flagged.id}/review").status_code == 403
    db.session.expire_all()
    assert db.session.get(MeterReading, flagged.id).reviewed_at is None


def test_another_estates_flagged_reading_is_neither_listed_nor_reviewable(
        finance, fees, world, db):
    b = factories.building(world.other_estate, "9")
    unit = factories.unit(b, "1", 2, "202")
    other = water_history(unit, "W-OTHER")
    theirs = reading(other, PERIOD, 1060, 160)
    theirs.consumption, theirs.flagged = D(900), True
    mine = water_history(fees.unit, "W-1502")
    db.session.commit()
    enter_flagged(finance, mine)
    listing = finance.get("/meters/flagged").get_data(as_text=True)
    assert "W-1502" in listing and "W-OTHER" not in listing
    assert finance.post(f"/meters/readings/{theirs.id}/review",
                        data={"back": "flagged"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(MeterReading, theirs.id).reviewed_at is None
    # their flagged reading does not hold or show in our preview
    page = finance.get("/billing/preview", query_string={"period": PERIOD, "building": ""}
                       ).get_data(as_text=True)
    assert "W-OTHER" not in page and "暂缓过账：1 行" in page


def test_thousands_of_problems_are_summed_up_top_and_listed_by_page(
        finance, fees, db, monkeypatch):
    monkeypatch.setattr(billing_views, "SHOWN_PROBLEMS", 5)
    for i in range(12):
        unit = fees.unit_in(f"{i + 1}01")
        meter(fees.estate, "water", f"W-{i:03d}", unit=unit)  # no reading: a problem each
    m = water_history(fees.unit, "W-1502")
    db.session.commit()
    enter_flagged(finance, m)
    query = {"period": PERIOD, "building": ""}
    page = finance.get("/billing/preview", query_string=query).get_data(as_text=True)
    summary = page[page.index('id="summary"'):page.index('id="totals"')]
    assert "问题：13 个" in summary
    assert "读数异常未复核，暂缓过账 1" in summary and "缺少读数 12" in summary
    assert "只过账无问题的账单行" in summary
    problems = page[page.index('id="problems"'):]
    assert "第 1–5 个问题，共 13 个" in problems
    # the held line's reading comes first, where it can be acted upon
    assert problems.index("W-1502") < problems.index("W-000")
    page3 = finance.get("/billing/preview", query_string={**query, "problems_page": 3}
                        ).get_data(as_text=True)
    assert "第 11–13 个问题，共 13 个" in page3
    huge = finance.get("/billing/preview", query_string={**query, "problems_page": 10 ** 30})
    assert huge.status_code == 200
