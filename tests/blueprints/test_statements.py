"""Printed payment notices (缴费通知单) and statements (对账单), through the HTTP routes."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import (
    BillLine,
    Job,
    PrepaidEntry,
)
from frontdesk.pdf.notice import payment_notice
from frontdesk.services import DomainError
from frontdesk.services.fees import late_fees, payments, statements
from frontdesk.services.periods import estate_today
from tests import factories
from tests.conftest import building_notices
from tests.factories import bill_line, fee_item, payment
from tests.pdf_text import pdf_pages, printed_pages, squash

SHANGHAI = ZoneInfo("Asia/Shanghai")
PM_EXPLANATION = "89.50 m² × 2.3500 元/m²·月 × 1 月 = 210.33"
WATER_EXPLANATION = "25.00 m³ 阶梯：25.00 × 5.0000 = 125.00"


# --- data straight into the tables (billing and payments services are not used) --------------




def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment given in the estate's local time (Asia/Shanghai)."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)






def prepaid(unit, amount: str, kind: str, created_at: datetime | None = None,
            line: BillLine | None = None) -> PrepaidEntry:
    entry = PrepaidEntry(estate_id=unit.estate_id, unit_id=unit.id, amount=Decimal(amount),
                         kind=kind, bill_line_id=line.id if line else None,
                         created_at=created_at or datetime.now(UTC))
    db.session.add(entry)
    db.session.flush()
    return entry


def this_month() -> tuple[str, date]:
    today = datetime.now(SHANGHAI).date()
    return today.strftime("%Y-%m"), today


# --- payment notices -------------------------------------------------------------------------


@pytest.fixture
def dues(world):
    """Unit 3-2-1502 owes an old 物业费, this month's 物业费 and part of this month's water."""
    world.estate.phone = "021-66668888"
    period, today = this_month()
    pm = fee_item(world.estate, "PM", "物业费", late_daily_rate=Decimal("0.0005"),
                  late_cap_ratio=Decimal("0.1"))
    water = fee_item(world.estate, "WATER", "水费", method="metered", meter_kind="water",
                     late_daily_rate=Decimal("0.0005"))
    due = today + timedelta(days=10)
    unit = world.unit
    old = bill_line(unit, pm, "2024-01", "210.33", "89.50 m² × 2.3500 元/m²·月 × 1 月 = 210.33",
                    date(2024, 1, 15))
    bill_line(unit, pm, "2023-12", "210.33", "旧账已缴清", date(2023, 12, 15), settled="210.33")
    bill_line(unit, water, "2024-01", "88.00", "滞纳金已减免的一行", date(2024, 1, 15),
              settled="88.00", waived=True)
    current = bill_line(unit, pm, period, "210.33", PM_EXPLANATION, due)
    bill_line(unit, water, period, "125.00", WATER_EXPLANATION, due, settled="25.00")
    later = (today.replace(day=1) + timedelta(days=40)).strftime("%Y-%m")
    bill_line(unit, pm, later, "210.33", "下月账单不应出现", due + timedelta(days=31))
    prepaid(unit, "80.00", "payment")
    prepaid(unit, "-30.00", "applied")
    db.session.commit()
    return {"period": period, "due": due, "pm": pm, "water": water, "old": old,
            "current": current}


def test_unit_notice_lists_open_lines_with_late_fees_and_the_total_in_capitals(world, desk,
                                                                               dues):
    response = desk.get(f"/statements/units/{world.unit.id}/notice.pdf",
                        query_string={"period": dues["period"]})
    pages = printed_pages(response)
    assert len(pages) == 1
    text = squash(pages[0])
    assert "缴费通知单" in text and "阳光花园" in text and "021-66668888" in text
    assert "3-2-1502" in text and "张三" in text
    assert "物业费" in text and "水费" in text
    assert squash(PM_EXPLANATION) in text and squash(WATER_EXPLANATION) in text
    # 210.33 (2024-01, late fee capped at 10 % = 21.03) + 210.33 + (125.00 − 25.00)
    assert "520.66" in text and "21.03" in text
    # prepaid 80.00 − 30.00 = 50.00 is used: 520.66 + 21.03 − 50.00 = 491.69
    assert "¥50.00" in text and "¥491.69" in text
    assert "肆佰玖拾壹元陆角玖分" in text
    assert dues["due"].isoformat() in text
    assert "2023-12" not in text and "旧账已缴清" not in text
    assert "下月账单不应出现" not in text


def test_notice_data_gives_each_line_its_late_fee_unless_waived(world, dues):
    dues["current"].late_fee_waived = True
    dues["old"].late_fee_waived = False
    db.session.commit()
    data = statements.unit_notice(world.unit, dues["period"], today=date(2030, 1, 1))
    (notice,) = data["units"]
    fees = {(ln["period"], ln["item"]): ln["late_fee"] for ln in notice["lines"]}
    assert fees[("2024-01", "物业费")] == Decimal("21.03")
    assert fees[(dues["period"], "物业费")] == Decimal("0.00")  # waived
    assert fees[(dues["period"], "水费")] > 0  # no cap: 100.00 × 0.0005 × days
    assert notice["prepaid"] == Decimal("50.00")
    assert notice["amount_due"] == (notice["total_outstanding"] + notice["total_late_fee"]
                                    - Decimal("50.00"))
    assert notice["overdue"] is True


def test_unit_with_nothing_due_gets_a_message_and_no_pdf(world, desk):
    period, _ = this_month()
    response = desk.get(f"/statements/units/{world.unit.id}/notice.pdf",
                        query_string={"period": period})
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert f"3-2-1502 截至 {period} 没有未缴费用" in response.get_data(as_text=True)


@pytest.mark.parametrize(("period", "message"), [
    ("2026-13", "请填写 2000-01 至 2100-12 之间的月份"),
    ("1999-01", "请填写 2000-01 至 2100-12 之间的月份"),
    ("2026/11", "例如 2026-11"),
    ("abc", "例如 2026-11"),
    ("", "例如 2026-11"),
    ("<script>x</script>", "例如 2026-11"),
    ("9" * 500, "例如 2026-11"),
])
def test_bad_period_gets_a_message_on_the_form(world, desk, period, message):
    response = desk.get(f"/statements/units/{world.unit.id}/notice.pdf",
                        query_string={"period": period})
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert message in body
    assert "<script>x</script>" not in body


def test_building_notices_have_one_page_per_unit_with_dues(world, desk, dues):
    period = dues["period"]
    building = world.building
    owing = factories.unit(building, "1", 1, "101")
    paid_up = factories.unit(building, "1", 1, "102")
    factories.unit(building, "1", 1, "103")  # no bills at all
    other_building = factories.building(world.estate, "5")
    elsewhere = factories.unit(other_building, "1", 2, "201")
    due = dues["due"]
    bill_line(owing, dues["pm"], period, "150.00", "60.00 m² × 2.5000 元/m²·月 × 1 月 = 150.00",
              due)
    bill_line(paid_up, dues["pm"], period, "150.00", "已缴清", due, settled="150.00")
    bill_line(elsewhere, dues["pm"], period, "99.00", "别的楼", due)
    db.session.commit()

    response = building_notices(desk, building.id, period)
    pages = [squash(p) for p in printed_pages(response)]
    assert len(pages) == 2
    assert "3-1-101" in pages[0] and "150.00" in pages[0] and "壹佰伍拾元整" in pages[0]
    assert "3-2-1502" in pages[1] and "¥491.69" in pages[1]
    everything = "".join(pages)
    assert "3-1-102" not in everything and "3-1-103" not in everything
    assert "5-1-201" not in everything


def test_building_with_nothing_due_gets_a_message(world, desk):
    response = building_notices(desk, world.building.id, "2026-11")
    assert response.mimetype == "text/html"
    assert "没有未缴费用的房屋" in response.get_data(as_text=True)


def _notice_queries(building, period) -> tuple[int, dict]:
    db.session.expire_all()
    seen = []

    def count(*args, **kwargs):
        seen.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        data = statements.building_notices(building, period)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen), data


def test_building_notices_take_a_fixed_number_of_queries(world, desk, dues):
    def add_units(first: int, n: int):
        for k in range(first, first + n):
            u = factories.unit(world.building, "9", 1, f"{k:03d}")
            bill_line(u, dues["pm"], dues["period"], "10.00", "x", dues["due"])
            # an old arrear paid in part: a late fee posted on it, the rest running up another
            old = bill_line(u, dues["pm"], "2024-01", "210.33", "y", date(2024, 1, 15))
            bill_line(u, dues["pm"], "2024-01", "5.00", "z", date(2025, 1, 1), kind="late_fee",
                      settled="5.00").corrects_id = old.id
        db.session.commit()

    add_units(0, 10)
    few, data = _notice_queries(world.building, dues["period"])
    assert len(data["units"]) == 11
    add_units(10, 30)
    many, data = _notice_queries(world.building, dues["period"])
    assert len(data["units"]) == 41
    assert many == few <= 7  # building, units, estate, lines, posted late fees, prepaid, owners


# --- late fees after a part payment: the payments rule -----------------------------------------


@pytest.fixture
def part_paid(world, desk):
    """Unit 3-2-1502 owes 210.33 due 40 days ago (10 days' grace, 0.05 % a day, cap 10 %).

    The front desk takes 10.00 for it today: the 30 days' late fee (3.15) is posted and paid,
    and 6.85 goes to the line, which then owes 203.48.
    """
    today = estate_today(world.estate)
    pm = fee_item(world.estate, "PM", "物业费", late_grace_days=10,
                  late_daily_rate=Decimal("0.0005"), late_cap_ratio=Decimal("0.1"))
    due = today - timedelta(days=40)
    line = bill_line(world.unit, pm, due.strftime("%Y-%m"), "210.33", PM_EXPLANATION, due)
    db.session.commit()
    response = desk.post(f"/payments/units/{world.unit.id}/new", data={
        "amount": "10.00", "method": "cash", "purpose": "bills", "payer": "张三",
        "idempotency_key": secrets.token_hex(16), "line_ids": [str(line.id)]})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    db.session.expire_all()
    fee = db.session.scalar(sa.select(BillLine).where(BillLine.kind == "late_fee"))
    assert (fee.corrects_id, fee.amount, fee.settled, fee.due_date) == (
        line.id, Decimal("3.15"), Decimal("3.15"), today)
    assert db.session.get(BillLine, line.id).settled == Decimal("6.85")
    return {"today": today, "line": line, "item": pm}


def notice_row(notice: dict, period: str, item: str = "物业费") -> dict:
    (row,) = [ln for ln in notice["lines"] if ln["period"] == period and ln["item"] == item]
    return row


def test_notice_after_a_part_payment_runs_the_late_fee_from_the_payment_day(world, part_paid):
    today, line = part_paid["today"], part_paid["line"]
    later = today + timedelta(days=30)
    (notice,) = statements.unit_notice(world.unit, later.strftime("%Y-%m"),
                                       today=later)["units"]
    row = notice_row(notice, line.period)
    assert row["outstanding"] == Decimal("203.48")
    # 203.48 × 0.05 % × 30 days since the payment = 3.05, not 60 days from the due date (6.10)
    assert (row["late_fee"], row["late_days"]) == (Decimal("3.05"), 30)
    assert notice["total_late_fee"] == Decimal("3.05")
    assert [ln for ln in notice["lines"] if "滞纳金" in ln["item"]] == []  # 3.15 is paid
    # the same as the payment page would charge that day
    (ol,) = late_fees.open_lines(world.unit, later)
    assert (ol.outstanding, ol.late_fee, ol.late.days) == (
        row["outstanding"], row["late_fee"], row["late_days"])


def test_notice_on_the_payment_day_charges_no_late_fee_again(world, desk, part_paid):
    (notice,) = statements.unit_notice(world.unit, part_paid["today"].strftime("%Y-%m"),
                                       today=part_paid["today"])["units"]
    assert notice["total_late_fee"] == Decimal("0.00")
    assert notice["amount_due"] == Decimal("203.48")
    response = desk.get(f"/statements/units/{world.unit.id}/notice.pdf",
                        query_string={"period": part_paid["today"].strftime("%Y-%m")})
    text = squash(printed_pages(response)[0])
    assert "¥203.48" in text and "206.63" not in text  # not 203.48 + the 3.15 paid today


def test_late_fees_charged_and_shown_stay_under_the_lines_cap(world, desk, part_paid):
    today, line = part_paid["today"], part_paid["line"]
    cap = Decimal("21.03")  # 10 % of 210.33
    far = today + timedelta(days=3000)
    (notice,) = statements.unit_notice(world.unit, far.strftime("%Y-%m"), today=far)["units"]
    # the rest would run up 10 % of 203.48 = 20.35, but 3.15 of the cap is used already
    assert notice_row(notice, line.period)["late_fee"] == cap - Decimal("3.15")
    (ol,) = late_fees.open_lines(world.unit, far)
    assert ol.late_fee == cap - Decimal("3.15")

    # a second part payment on that day posts the rest of the cap; nothing more runs up after
    payments.take_payment(world.users["frontdesk"], world.unit, amount="20.00", method="cash",
                          idempotency_key="second-part", line_ids=[line.id], today=far)
    charged = db.session.scalar(sa.select(sa.func.sum(BillLine.amount))
                                .where(BillLine.kind == "late_fee"))
    assert charged == cap
    for day in (far, far + timedelta(days=1), far + timedelta(days=5000)):
        (notice,) = statements.unit_notice(world.unit, day.strftime("%Y-%m"),
                                           today=day)["units"]
        assert notice["total_late_fee"] == Decimal("0.00")
        assert [ol.late_fee for ol in late_fees.open_lines(world.unit, day)] == [Decimal("0.00")]


def test_building_notice_agrees_with_the_unit_notice_after_a_part_payment(world, part_paid):
    later = part_paid["today"] + timedelta(days=45)
    period = later.strftime("%Y-%m")
    neighbour = factories.unit(world.building, "1", 1, "101")
    bill_line(neighbour, part_paid["item"], part_paid["line"].period, "150.00", "邻居",
              part_paid["line"].due_date)
    db.session.commit()
    (alone,) = statements.unit_notice(world.unit, period, today=later)["units"]
    by_unit = {n["unit_id"]: n for n in statements.building_notices(
        world.building, period, today=later)["units"]}
    assert by_unit[world.unit.id] == alone
    assert alone["total_late_fee"] == Decimal("4.58")  # 203.48 × 0.05 % × 45
    # the neighbour paid nothing: 60 days after the grace period, 150.00 × 0.05 % × 75 = 5.63
    assert by_unit[neighbour.id]["total_late_fee"] == Decimal("5.63")
    expected = {ol.line.id: ol.late_fee for ol in late_fees.open_lines(world.unit, later)}
    assert sum(expected.values()) == alone["total_late_fee"]


def test_statement_accrues_the_late_fee_from_the_last_one_posted(world, part_paid):
    today = part_paid["today"]
    later = today + timedelta(days=30)
    data = statements.unit_statement(world.unit, today - timedelta(days=60), later, today=later)
    assert data["accrued_as_of"] == later
    assert data["accrued_late_fee"] == Decimal("3.05")
    assert data["accrued_late_fee"] == sum(
        (ol.late_fee for ol in late_fees.open_lines(world.unit, later)), Decimal("0.00"))


# --- statements -------------------------------------------------------------------------------


@pytest.fixture
def ledger(world):
    """A quarter of one unit's account, with movements before and after it."""
    unit, cashier = world.unit, world.users["frontdesk"]
    pm = fee_item(world.estate, "PM", "物业费")
    dec = bill_line(unit, pm, "2025-12", "210.33", "十二月物业费", date(2025, 12, 15),
                    created_at=local(2025, 12, 1))
    payment(unit, cashier, "100.00", local(2025, 12, 20), number="SJ2025-000009",
            allocations=[(dec, "100.00")])
    prepaid(unit, "20.00", "payment", local(2025, 12, 20))
    # 00:30 on 1 January in Shanghai is still 31 December in UTC: it belongs to the range
    jan = bill_line(unit, pm, "2026-01", "210.33", "一月物业费", date(2026, 1, 15),
                    created_at=local(2026, 1, 1, 0, 30))
    payment(unit, cashier, "300.00", local(2026, 1, 20), number="SJ2026-000001",
            method="wechat", allocations=[(dec, "110.33"), (jan, "189.67")])
    fee = bill_line(unit, pm, "2026-01", "5.20", "滞纳金 210.33 × 0.05% × 49 天", date(2026, 2, 10),
                    kind="late_fee", created_at=local(2026, 2, 10))
    bill_line(unit, pm, "2026-01", "-10.00", "冲红 一月物业费", date(2026, 2, 15), kind="credit",
              created_at=local(2026, 2, 15), reason="面积更正")
    payment(unit, cashier, "50.00", local(2026, 3, 1), number="SJ2026-000002",
            allocations=[(fee, "5.20")], voided=True)
    prepaid(unit, "-15.00", "applied", local(2026, 3, 5), line=jan)
    jan.settled += Decimal("15.00")
    # after the range
    bill_line(unit, pm, "2026-04", "210.33", "四月物业费", date(2026, 4, 15),
              created_at=local(2026, 4, 1))
    prepaid(unit, "7.00", "payment", local(2026, 4, 2))
    db.session.commit()
    return unit


def test_statement_data_runs_the_balance_from_the_opening_balance(world, ledger):
    data = statements.unit_statement(ledger, date(2026, 1, 1), date(2026, 3, 31))
    assert data["opening_balance"] == Decimal("110.33")  # 210.33 − 100.00
    kinds = [(r["date"], r["kind"], r["reference"], r["charge"], r["credit"], r["balance"])
             for r in data["rows"]]
    assert kinds == [
        (date(2026, 1, 1), "账单", "", Decimal("210.33"), None, Decimal("320.66")),
        (date(2026, 1, 20), "收款", "SJ2026-000001", None, Decimal("300.00"), Decimal("20.66")),
        (date(2026, 2, 10), "滞纳金", "", Decimal("5.20"), None, Decimal("25.86")),
        (date(2026, 2, 15), "冲红", "", Decimal("-10.00"), None, Decimal("15.86")),
        (date(2026, 3, 1), "收款（作废）", "SJ2026-000002", None, None, Decimal("15.86")),
        (date(2026, 3, 5), "预存款抵扣", "", None, Decimal("15.00"), Decimal("0.86")),
    ]
    assert data["total_charges"] == Decimal("205.53")
    assert data["total_credits"] == Decimal("315.00")
    assert data["closing_balance"] == Decimal("0.86")
    assert data["prepaid_opening"] == Decimal("20.00")
    assert data["prepaid_closing"] == Decimal("5.00")
    assert data["unit"]["owner"] == "张三"


def test_statement_pdf_shows_balances_payments_and_receipt_numbers(world, desk, ledger):
    response = desk.get(f"/statements/units/{ledger.id}/statement.pdf",
                        query_string={"start": "2026-01-01", "end": "2026-03-31"})
    pages = printed_pages(response)
    text = squash("".join(pages))
    assert "对账单" in text and "3-2-1502" in text and "2026-01-01至2026-03-31" in text
    assert "期初余额" in text and "110.33" in text
    assert "一月物业费" in text and "滞纳金" in text and "冲红" in text and "面积更正" in text
    assert "SJ2026-000001" in text and "SJ2026-000002" in text and "作废" in text
    assert "SJ2025-000009" not in text and "四月物业费" not in text
    assert "205.53" in text and "315.00" in text and "0.86" in text
    assert "尚欠捌角陆分" in text
    assert "业主签字" in text


@pytest.mark.parametrize(("start", "end", "message"), [
    ("2026-03-31", "2026-01-01", "结束日期早于开始日期"),
    ("2020-01-01", "2023-01-01", "对账单最长覆盖三年"),
    ("2026-02-30", "2026-03-01", "2026-11-24"),
    ("", "2026-03-01", "请填写开始日期"),
])
def test_bad_statement_range_gets_a_message_and_no_pdf(world, desk, start, end, message):
    response = desk.get(f"/statements/units/{world.unit.id}/statement.pdf",
                        query_string={"start": start, "end": end})
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_three_years_less_a_day_is_allowed():
    statements.check_range(date(2023, 1, 1), date(2025, 12, 31))
    with pytest.raises(DomainError):
        statements.check_range(date(2023, 1, 1), date(2026, 1, 1))
    with pytest.raises(DomainError):
        statements.check_range(date(2024, 2, 29), date(2027, 3, 1))


# --- pages and scoping -----------------------------------------------------------------------


def test_print_pages_offer_the_current_month_and_year(world, desk):
    period, today = this_month()
    body = desk.get(f"/statements/units/{world.unit.id}").get_data(as_text=True)
    assert f'value="{period}"' in body and f'value="{today.year}-01-01"' in body
    assert "打印缴费通知单" in body and "打印对账单" in body
    body = desk.get(f"/statements/buildings/{world.building.id}").get_data(as_text=True)
    assert f'value="{period}"' in body


def test_another_estates_unit_and_building_give_404(world, desk):
    other_building = factories.building(world.other_estate, "9")
    other_unit = factories.unit(other_building, "1", 1, "101")
    db.session.commit()
    urls = [
        f"/statements/units/{other_unit.id}",
        f"/statements/units/{other_unit.id}/notice.pdf?period=2026-11",
        f"/statements/units/{other_unit.id}/statement.pdf?start=2026-01-01&end=2026-02-01",
        f"/statements/buildings/{other_building.id}",
    ]
    for url in urls:
        assert desk.get(url).status_code == 404, url
    assert desk.post(f"/statements/buildings/{other_building.id}/notices",
                     data={"period": "2026-11"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_engineering_may_not_print_notices(world, as_role):
    response = as_role("engineering").get(
        f"/statements/units/{world.unit.id}/notice.pdf?period=2026-11")
    assert response.status_code == 403


def test_notice_pdf_prints_markup_as_text_and_wraps_long_figures():
    tiers = " + ".join(["100.00 × 0.5880"] * 12)
    long_text = f"（1,268 − 1,032）kWh 阶梯：{tiers} = 1,234,567.89"
    line = {"item": "电费<b>", "period": "2026-11", "explanation": long_text,
            "amount": Decimal("1234567.89"), "paid": Decimal("0.00"),
            "outstanding": Decimal("1234567.89"), "late_fee": Decimal("0.00")}
    unit = {"code": "3-2-1502", "building": "3号楼", "gross_area": None,
            "owner": "<script>alert(1)</script>", "lines": [line],
            "total_amount": Decimal("1234567.89"), "total_paid": Decimal("0.00"),
            "total_outstanding": Decimal("1234567.89"), "total_late_fee": Decimal("0.00"),
            "prepaid": Decimal("0.00"), "prepaid_used": Decimal("0.00"),
            "amount_due": Decimal("1234567.89"), "due_date": None, "overdue": True}
    pdf = payment_notice({"estate": {"name": "阳光花园"}, "payment_methods": ["现金"],
                          "period": "2026-11", "notice_date": date(2026, 11, 24),
                          "units": [unit]})
    text = squash(pdf_pages(pdf)[0])
    assert "<script>alert(1)</script>" in text and "电费<b>" in text
    assert "1,234,567.89" in text and "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分" in text
    assert "往期欠费" in text
