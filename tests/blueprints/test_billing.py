"""Bill runs through their pages and the CLI: preview, post once, correct, refuse bad input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, BillLine, BillRun, Job
from tests import factories
from tests.conftest import count
from tests.factories import meter

D = Decimal
PERIOD = "2026-10"


def test_finance_previews_totals_problems_and_explanations(finance, fees, db):
    meter(fees.estate, "water", "W-1502", unit=fees.unit)  # no reading: a problem
    db.session.commit()
    r = finance.get("/billing/preview", query_string={"period": PERIOD, "building": ""})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "3号楼" in page and "物业费" in page and "230.33" in page
    assert "89.50 m² × 2.3500 元/m²·月 × 1 月 = 210.33" in page
    assert "W-1502" in page  # the missing reading is listed
    assert count(db, BillLine) == 0


def test_an_exact_half_fen_of_a_prorated_month_is_billed_up(finance, fees, db):
    # 63.90 m² × 2.35 元 from the 21st of a 30-day month: 10/30 of 150.165 = 50.055 → 50.06
    unit = factories.unit(fees.building, "1", 3, "301", "63.90", status="已入住",
                          handover_date=date(2026, 11, 21))
    db.session.commit()
    r = finance.get("/billing/preview", query_string={"period": "2026-11",
                                                      "building": fees.building.id})
    assert "63.90 m² × 2.3500 元/m²·月 × 10/30 月 = 50.06" in r.get_data(as_text=True)
    finance.post("/billing/post", data={"period": "2026-11", "building": "", "confirm": "y"})
    line = db.session.scalars(sa.select(BillLine).where(
        BillLine.unit_id == unit.id, BillLine.fee_item_id == fees.area.id)).one()
    assert line.amount == D("50.06")


def test_preview_of_one_building(finance, fees, db):
    other = factories.building(fees.estate, "5")
    factories.unit(other, "1", 2, "201", "50.00", status="已入住",
                   handover_date=fees.unit.handover_date)
    db.session.commit()
    r = finance.get("/billing/preview", query_string={"period": PERIOD, "building": other.id})
    page = r.get_data(as_text=True)
    assert "5-1-201" in page and "3-2-1502" not in page


def test_post_bills_once_and_a_second_post_says_nothing_new(finance, fees, db):
    r = finance.post("/billing/post", data={"period": PERIOD, "building": "", "confirm": "y"})
    assert r.status_code == 302
    run = db.session.scalars(sa.select(BillRun)).one()
    job = db.session.scalars(sa.select(Job)).one()
    assert r.headers["Location"].endswith(
        f"/billing/preview?period={PERIOD}&building=&job={job.id}")
    assert run.lines == 2 and run.total == D("230.33")
    assert (job.status, job.bill_run_id, job.started_by.username) == ("done", run.id, "finance")
    started = finance.get(r.headers["Location"]).get_data(as_text=True)
    assert "生成 2 条账单" in started and f'href="/billing/runs/{run.id}"' in started
    page = finance.get(f"/billing/runs/{run.id}").get_data(as_text=True)
    assert "230.33" in page and "3-2-1502" in page
    again = finance.post("/billing/post", data={"period": PERIOD, "building": "", "confirm": "y"},
                         follow_redirects=True)
    assert "没有新的账单" in again.get_data(as_text=True)
    assert count(db, BillLine) == 2 and count(db, BillRun) == 1
    listing = finance.get("/billing/").get_data(as_text=True)
    assert PERIOD in listing and "全小区" in listing


def test_front_desk_may_not_run_bills(desk, fees, db):
    assert desk.get("/billing/preview", query_string={"period": PERIOD}).status_code == 403
    assert desk.post("/billing/post", data={"period": PERIOD}).status_code == 403
    assert count(db, BillLine) == 0


@pytest.mark.parametrize(("period", "message"), [
    ("2099-01", "未来"), ("2026-13", "年-月"), ("", "年-月"), ("<script>", "年-月")])
def test_bad_periods_get_a_message(finance, fees, db, period, message):
    r = finance.get("/billing/preview", query_string={"period": period, "building": ""})
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert "<script>" not in r.get_data(as_text=True)
    r = finance.post("/billing/post", data={"period": period, "building": "", "confirm": "y"},
                     follow_redirects=True)
    assert count(db, BillLine) == 0 and count(db, BillRun) == 0


def test_another_estates_building_is_refused(finance, fees, world, db):
    stranger = factories.building(world.other_estate, "9")
    db.session.commit()
    r = finance.get("/billing/preview", query_string={"period": PERIOD,
                                                      "building": stranger.id})
    assert r.status_code == 422
    r = finance.post("/billing/post", data={"period": PERIOD, "building": stranger.id,
                                               "confirm": "y"})
    assert count(db, BillLine) == 0


def test_credit_note_and_adjustment_through_the_unit_page(finance, fees, db):
    finance.post("/billing/post", data={"period": PERIOD, "building": "", "confirm": "y"})
    line = db.session.scalars(sa.select(BillLine).where(
        BillLine.fee_item_id == fees.area.id)).one()
    page = finance.get(f"/billing/units/{fees.unit.id}").get_data(as_text=True)
    assert "210.33" in page and f"/billing/lines/{line.id}/credit" in page
    r = finance.post(f"/billing/lines/{line.id}/credit", data={"reason": ""})
    assert r.status_code == 422 and "请说明原因" in r.get_data(as_text=True)
    r = finance.post(f"/billing/lines/{line.id}/credit", data={"reason": "面积登记错误"})
    assert r.status_code == 302
    credit = db.session.scalars(sa.select(BillLine).where(BillLine.kind == "credit")).one()
    assert credit.amount == D("-210.33") and credit.corrects_id == line.id
    r = finance.post(f"/billing/lines/{line.id}/credit", data={"reason": "again"})
    assert r.status_code == 422 and count(db, BillLine, BillLine.kind == "credit") == 1
    r = finance.post(f"/billing/units/{fees.unit.id}/adjust", data={
        "fee_item": fees.water.id, "period": PERIOD, "amount": "abc", "reason": "x"})
    assert r.status_code == 422 and "金额" in r.get_data(as_text=True)
    r = finance.post(f"/billing/units/{fees.unit.id}/adjust", data={
        "fee_item": fees.water.id, "period": PERIOD, "amount": "-12.50",
        "reason": "<b>估抄</b>"})
    assert r.status_code == 302
    page = finance.get(f"/billing/units/{fees.unit.id}").get_data(as_text=True)
    assert "-12.50" in page and "&lt;b&gt;估抄&lt;/b&gt;" in page
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.user_name == "finance")))
    assert {"post", "credit", "adjust"} <= actions


def test_front_desk_sees_bills_but_cannot_correct_them(desk, finance, fees, db):
    finance.post("/billing/post", data={"period": PERIOD, "building": "", "confirm": "y"})
    line = db.session.scalars(sa.select(BillLine)).first()
    page = desk.get(f"/billing/units/{fees.unit.id}").get_data(as_text=True)
    assert "210.33" in page and "/credit" not in page
    assert desk.post(f"/billing/lines/{line.id}/credit",
                     data={"reason": "x"}).status_code == 403
    assert count(db, BillLine, BillLine.kind == "credit") == 0


def test_cli_previews_then_posts(runner, fees, db):
    args = ["bill-run", "--estate", str(fees.estate.id), "--period", PERIOD]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "2 new lines" in result.output and "230.33" in result.output
    assert count(db, BillLine) == 0
    result = runner.invoke(args=[*args, "--post"])
    assert result.exit_code == 0, result.output
    assert "Posted bill run" in result.output
    assert count(db, BillLine) == 2
    result = runner.invoke(args=[*args, "--post", "--building", str(fees.building.id)])
    assert result.exit_code == 0 and "没有新的账单" in result.output
    assert count(db, BillLine) == 2


def test_cli_refuses_a_future_period(runner, fees, db):
    result = runner.invoke(args=["bill-run", "--estate", str(fees.estate.id),
                                 "--period", "2099-01", "--post"])
    assert result.exit_code != 0 and "未来" in result.output
    assert count(db, BillRun) == 0
