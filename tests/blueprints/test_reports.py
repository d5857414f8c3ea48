"""Finance reports through their pages: the daily cashier report, arrears and the dashboard.

The data is inserted straight into the fee tables (fee items, bill lines, payments with
receipts and allocations), so these tests do not depend on the payment services.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

import openpyxl
import pytest

from frontdesk.extensions import db as _db
from frontdesk.models import BillLine, Payment
from frontdesk.services import DomainError
from frontdesk.services.fees import daily_report, reports, reports_xlsx
from tests import factories
from tests.factories import bill_line, fee_item
from tests.pdf_text import pdf_pages, pdf_text

DAY = date(2025, 11, 24)
AS_OF = date(2025, 11, 30)
_seq = count(1)


# data -------------------------------------------------------------------------------------------


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """A time on a day in Asia/Shanghai (UTC+8, no DST), as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC) - timedelta(hours=8)






def payment(unit, cashier, amount: str, method: str, at: datetime, *, voided: bool = False,
            line: BillLine | None = None, reason: str = "") -> Payment:
    """A payment by 张三 (paying a line whole when given; voided five minutes later)."""
    return factories.payment(
        unit, cashier, amount, at, method=method, payer="张三", content={"amount": amount},
        voided=voided, voided_at=at + timedelta(minutes=5) if voided else None,
        void_reason=reason, allocations=[(line, amount)] if line is not None else (),
        settle=False)


@pytest.fixture
def day_payments(world):
    """Payments around 2025-11-24 in 阳光花园: two cashiers, five methods, one void."""
    desk, fin = world.users["frontdesk"], world.users["finance"]
    unit = world.unit
    other_unit = factories.unit(world.building, "1", 3, "301")
    payment(unit, desk, "100.00", "cash", local(DAY, 0, 30))         # first minute-ish of the day
    payment(unit, desk, "50.50", "cash", local(DAY, 23, 59))          # last minute of the day
    payment(other_unit, desk, "210.33", "wechat", local(DAY, 10))
    payment(unit, fin, "1000.00", "alipay", local(DAY, 14))
    payment(other_unit, fin, "0.01", "card", local(DAY, 15))
    payment(unit, fin, "12.00", "transfer", local(DAY, 16))
    payment(unit, desk, "999.00", "cash", local(DAY, 11), voided=True, reason="金额录错")
    payment(unit, desk, "7.00", "cash", local(DAY - timedelta(days=1), 23, 59))   # day before
    payment(unit, desk, "8.00", "cash", local(DAY + timedelta(days=1), 0, 0))     # day after
    payment(factories.unit(factories.building(world.other_estate, "1"), "1", 1, "101"),
            factories.user("frontdesk", [world.other_estate]), "500.00", "cash",
            local(DAY, 12))                                                      # other estate
    _db.session.commit()
    return world


# daily cashier report ---------------------------------------------------------------------------


def test_daily_report_totals_by_cashier_and_method_leave_out_voided(app, day_payments):
    report = daily_report.daily_report(day_payments.estate, day=DAY)
    by_name = {c["name"]: c for c in report["cashiers"]}
    assert list(by_name) == sorted(["frontdesk测试", "finance测试"])
    desk = {m["method"]: (m["count"], m["total"]) for m in by_name["frontdesk测试"]["methods"]}
    assert desk["cash"] == (2, Decimal("150.50"))
    assert desk["wechat"] == (1, Decimal("210.33"))
    assert desk["alipay"] == (0, Decimal("0.00"))
    assert by_name["frontdesk测试"]["total"] == Decimal("360.83")
    assert by_name["finance测试"]["total"] == Decimal("1012.01")
    overall = {m["method"]: (m["count"], m["total"]) for m in report["methods"]}
    assert overall == {
        "cash": (2, Decimal("150.50")), "wechat": (1, Decimal("210.33")),
        "alipay": (1, Decimal("1000.00")), "card": (1, Decimal("0.01")),
        "transfer": (1, Decimal("12.00")),
    }
    assert (report["count"], report["total"]) == (6, Decimal("1372.84"))
    assert [(v["amount"], v["void_reason"]) for v in report["voided"]] == [
        (Decimal("999.00"), "金额录错")]
    payment_codes = {p["unit_code"] for c in report["cashiers"] for p in c["payments"]}
    assert payment_codes == {"3-2-1502", "3-1-301"}


def test_daily_report_page_shows_the_day_by_cashier(finance, day_payments):
    r = finance.get("/reports/daily?day=2025-11-24")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    for text in ("frontdesk测试", "finance测试", "1,372.84", "360.83", "SJ2025-", "金额录错",
                 "作废"):
        assert text in page
    assert "999.00" in page  # listed as voided


def test_daily_report_of_a_shift_takes_only_its_payments(app, finance, day_payments):
    report = daily_report.daily_report(day_payments.estate, start=datetime(2025, 11, 24, 8, 30),
                                      end=datetime(2025, 11, 24, 17, 30))
    assert report["mode"] == "shift"
    assert (report["count"], report["total"]) == (4, Decimal("1222.34"))
    night = daily_report.daily_report(day_payments.estate, start=datetime(2025, 11, 24, 17, 0),
                                     end=datetime(2025, 11, 25, 1, 0))
    assert (night["count"], night["total"]) == (2, Decimal("58.50"))
    r = finance.get("/reports/daily?start=2025-11-24T08:30&end=2025-11-24T17:30")
    page = r.get_data(as_text=True)
    assert "2025-11-24 08:30" in page and "1,222.34" in page


def test_daily_report_pdf_reads_back_date_cashiers_totals_and_capitals(finance, day_payments):
    r = finance.get("/reports/daily.pdf?day=2025-11-24")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "daily-report-2025-11-24.pdf" in r.headers["Content-Disposition"]
    text = pdf_text(r.data, sep="")
    for expected in ("收费日报", "阳光花园", "2025-11-24", "frontdesk测试", "finance测试",
                     "现金", "微信", "支付宝", "银行卡", "转账", "150.50", "1,372.84",
                     "壹仟叁佰柒拾贰元捌角肆分", "作废", "金额录错", "999.00", "3-1-301",
                     "收款员", "财务", "finance测试"):
        assert expected in text, expected


def test_daily_report_xlsx_has_figures_as_numbers(finance, day_payments):
    r = finance.get("/reports/daily.xlsx?day=2025-11-24")
    assert r.status_code == 200
    assert r.mimetype == reports_xlsx.XLSX_MIMETYPE
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    summary = wb["汇总"]
    rows = {row[0].value: row for row in summary.iter_rows() if row and row[0].value}
    total_row = rows["合计"]
    assert isinstance(total_row[-1].value, int | float)
    assert Decimal(str(total_row[-1].value)) == Decimal("1372.84")
    assert total_row[-1].number_format == "#,##0.00"
    assert total_row[-2].value == 6
    assert Decimal(str(rows["frontdesk测试"][2].value)) == Decimal("150.50")  # 现金金额
    assert rows["合计（大写）"][1].value == "壹仟叁佰柒拾贰元捌角肆分"
    details = list(wb["收款明细"].iter_rows(min_row=2, values_only=True))
    assert len(details) == 6
    assert sum(Decimal(str(row[-1])) for row in details) == Decimal("1372.84")
    voided = list(wb["作废"].iter_rows(min_row=2, values_only=True))
    assert [(row[3], Decimal(str(row[5])), row[8]) for row in voided] == [
        ("3-2-1502", Decimal("999.00"), "金额录错")]


def test_shift_ending_before_it_starts_is_refused_with_a_message(finance, day_payments):
    r = finance.get("/reports/daily?start=2025-11-24T17:30&end=2025-11-24T08:30")
    assert r.status_code == 422
    assert "班次结束时间必须晚于开始时间" in r.get_data(as_text=True)
    assert "SJ2025-" not in r.get_data(as_text=True)
    r = finance.get("/reports/daily.pdf?start=2025-11-24T17:30&end=2025-11-24T08:30")
    assert r.status_code == 302
    follow = finance.get(r.headers["Location"])
    assert "班次结束时间必须晚于开始时间" in follow.get_data(as_text=True)
    with pytest.raises(DomainError):
        daily_report.daily_report(day_payments.estate, start=datetime(2025, 11, 24, 9),
                                 end=datetime(2025, 11, 24, 9))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("day=2025-13-45", "日期格式"),
        ("day=yesterday", "日期格式"),
        ("start=2025-11-24T08:30", "请同时填写班次的开始时间和结束时间"),
        ("start=abc&end=2025-11-24T08:30", "请按 年-月-日 时:分 填写时间"),
        ("start=2025-11-01T00:00&end=2025-12-24T00:00", "最多涵盖 31 天"),
    ],
)
def test_bad_daily_report_input_gets_a_message(finance, world, query, message):
    r = finance.get(f"/reports/daily?{query}")
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)


def test_daily_report_of_an_empty_day_says_so(finance, world):
    r = finance.get("/reports/daily?day=2020-01-01")
    assert "该期间无收款" in r.get_data(as_text=True)
    r = finance.get("/reports/daily.pdf?day=2020-01-01")
    text = pdf_pages(r.data)[0]
    assert "本期间无收款" in text and "零元整" in text


# arrears ----------------------------------------------------------------------------------------


@pytest.fixture
def owed(world):
    """Open lines of 3-2-1502 aged exactly at the bucket boundaries on 2025-11-30, and more."""
    item = fee_item(world.estate)
    water = fee_item(world.estate, "SF", "水费")
    unit = world.unit
    for i, (days, amount) in enumerate([(0, "1.00"), (30, "2.00"), (31, "4.00"), (90, "8.00"),
                                        (91, "16.00"), (365, "32.00"), (366, "64.00")]):
        bill_line(unit, item, f"20{10 + i}-01", amount, due=AS_OF - timedelta(days=days))
    bill_line(unit, item, "2025-12", "500.00", due=AS_OF + timedelta(days=1))   # not yet due
    bill_line(unit, water, "2025-10", "100.00", due=AS_OF - timedelta(days=45),
              settled="100.00")                                                # paid
    bill_line(unit, water, "2025-09", "100.00", due=AS_OF - timedelta(days=75),
              settled="60.00")                                                 # part paid
    bill_line(unit, water, "2025-08", "-30.00", due=AS_OF - timedelta(days=100),
              kind="credit")                                                   # a credit note
    # 3-1-301: a tenant as primary contact and two owners
    tenant_unit = factories.unit(world.building, "1", 3, "301")
    factories.occupancy(tenant_unit, factories.person(world.estate, "租客王"), role="tenant",
                        is_primary=True)
    factories.occupancy(tenant_unit, factories.person(world.estate, "业主甲"))
    factories.occupancy(tenant_unit, factories.person(world.estate, "业主乙"))
    factories.occupancy(tenant_unit, factories.person(world.estate, "前业主"),
                        start=date(2020, 1, 1), end_date=date(2023, 12, 31))
    bill_line(tenant_unit, item, "2025-10", "300.00", due=AS_OF - timedelta(days=10))
    # building 10 sorts after building 3; a unit with only a tenant
    b10 = factories.building(world.estate, "10")
    u10 = factories.unit(b10, "1", 2, "201")
    factories.occupancy(u10, factories.person(world.estate, "李四"), role="tenant",
                        is_primary=True)
    bill_line(u10, item, "2025-01", "1000.00", due=AS_OF - timedelta(days=400))
    # another estate's arrears never show
    other_b = factories.building(world.other_estate, "3")
    other_item = fee_item(world.other_estate)
    bill_line(factories.unit(other_b, "2", 15, "1502"), other_item, "2025-10", "777.00",
              due=AS_OF - timedelta(days=10))
    _db.session.commit()
    return world


def test_arrears_buckets_split_exactly_at_30_90_and_365_days(app, owed):
    report = reports.arrears(owed.estate, AS_OF)
    assert [b["label"] for b in report["buildings"]] == ["3号楼", "10号楼"]
    units = {u["code"]: u for b in report["buildings"] for u in b["units"]}
    assert set(units) == {"3-2-1502", "3-1-301", "10-1-201"}
    main = units["3-2-1502"]
    # 0–30: days 0 and 30; 31–90: days 31, 90 and the 40.00 left of day 75; 91–365: 91, 365;
    # >365: 366. The line not yet due, the paid line and the credit are not arrears.
    assert main["buckets"] == [Decimal("3.00"), Decimal("52.00"), Decimal("48.00"),
                               Decimal("64.00")]
    assert main["total"] == Decimal("167.00")
    assert main["owner"] == "张三"
    assert units["3-1-301"]["owner"] == "业主甲、业主乙"
    assert units["10-1-201"]["owner"] == "李四"
    assert units["10-1-201"]["buckets"][3] == Decimal("1000.00")
    b3 = report["buildings"][0]
    assert [u["code"] for u in b3["units"]] == ["3-1-301", "3-2-1502"]
    assert b3["buckets"] == [Decimal("303.00"), Decimal("52.00"), Decimal("48.00"),
                             Decimal("64.00")]
    assert (b3["total"], b3["unit_count"]) == (Decimal("467.00"), 2)
    assert (report["total"], report["unit_count"]) == (Decimal("1467.00"), 3)


def test_arrears_one_day_later_moves_lines_to_the_next_bucket(app, owed):
    report = reports.arrears(owed.estate, AS_OF + timedelta(days=1))
    main = next(u for u in report["buildings"][0]["units"] if u["code"] == "3-2-1502")
    # day 0→1 and the not-yet-due line (now day 0) stay in 0–30; 30→31; 90→91; 365→366
    assert main["buckets"] == [Decimal("501.00"), Decimal("46.00"), Decimal("24.00"),
                               Decimal("96.00")]


def test_arrears_page_pdf_and_xlsx(finance, owed):
    r = finance.get("/reports/arrears?as_of=2025-11-30")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    for text in ("3号楼", "10号楼", "3-2-1502", "业主甲、业主乙", "1,467.00", "365天以上"):
        assert text in page
    assert "777.00" not in page

    r = finance.get("/reports/arrears.pdf?as_of=2025-11-30")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data, sep="")
    for expected in ("欠费明细", "阳光花园", "2025-11-30", "3号楼", "10号楼", "3-2-1502",
                     "张三", "业主甲、业主乙", "0–30天", "365天以上", "167.00", "467.00",
                     "1,467.00", "壹仟肆佰陆拾柒元整", "小计"):
        assert expected in text, expected

    r = finance.get("/reports/arrears.xlsx?as_of=2025-11-30")
    assert r.mimetype == reports_xlsx.XLSX_MIMETYPE
    ws = openpyxl.load_workbook(io.BytesIO(r.data))["欠费明细"]
    rows = list(ws.iter_rows(min_row=3))
    by_code = {row[1].value: row for row in rows}
    main = by_code["3-2-1502"]
    assert main[2].value == "张三"
    assert [Decimal(str(c.value)) for c in main[3:]] == [
        Decimal("3.00"), Decimal("52.00"), Decimal("48.00"), Decimal("64.00"),
        Decimal("167.00")]
    assert all(isinstance(c.value, int | float) and c.number_format == "#,##0.00"
               for c in main[3:])
    assert rows[-1][0].value == "合计"
    assert Decimal(str(rows[-1][-1].value)) == Decimal("1467.00")


def test_arrears_as_of_a_future_date_is_refused(finance, world):
    r = finance.get("/reports/arrears?as_of=2100-01-01")
    assert "日期不能晚于今天" in r.get_data(as_text=True)
    r = finance.get("/reports/arrears?as_of=30-11-2025")
    assert "日期格式" in r.get_data(as_text=True)


def test_arrears_default_to_today(finance, world):
    r = finance.get("/reports/arrears")
    assert r.status_code == 200
    assert reports.estate_today(world.estate).isoformat() in r.get_data(as_text=True)


# dashboard --------------------------------------------------------------------------------------


@pytest.fixture
def billed(world):
    """Period 2025-11: building 3 billed 1,000.00 net of a credit, 750.00 of it settled."""
    item = fee_item(world.estate)
    water = fee_item(world.estate, "SF", "水费")
    late = fee_item(world.estate, "ZNJ", "滞纳金")
    unit = world.unit
    other = factories.unit(world.building, "1", 3, "301")
    due = date(2025, 11, 15)
    charge = bill_line(unit, item, "2025-11", "800.00", due=due, settled="600.00")
    payment(unit, world.users["frontdesk"], "600.00", "cash", local(date(2025, 11, 10), 9),
            line=charge)
    adjustment = bill_line(other, water, "2025-11", "300.00", due=due, settled="150.00",
                           kind="adjustment")
    payment(other, world.users["frontdesk"], "150.00", "wechat", local(date(2025, 11, 11), 9),
            line=adjustment)
    bill_line(unit, water, "2025-11", "-100.00", due=due, kind="credit")
    bill_line(unit, late, "2025-11", "20.00", due=due, kind="late_fee", settled="20.00")
    bill_line(unit, item, "2025-10", "800.00", due=date(2025, 10, 15))   # another period
    factories.building(world.estate, "5")                                # nothing billed
    other_b = factories.building(world.other_estate, "3")
    bill_line(factories.unit(other_b, "2", 15, "1502"), fee_item(world.other_estate), "2025-11",
              "900.00", due=due)
    _db.session.commit()
    return world


def test_dashboard_data_gives_exact_collection_rate_and_arrears(finance, billed):
    r = finance.get("/reports/dashboard/data?period=2025-11&as_of=2025-11-30")
    assert r.status_code == 200
    data = r.get_json()
    assert data["period"] == "2025-11" and data["as_of"] == "2025-11-30"
    assert [b["key"] for b in data["buckets"]] == ["0-30", "31-90", "91-365", "365+"]
    assert data["buckets"][0]["label"] == "0–30天"
    by_label = {b["label"]: b for b in data["buildings"]}
    assert set(by_label) == {"3号楼", "5号楼"}
    b3 = by_label["3号楼"]
    assert (b3["billed"], b3["paid"], b3["rate"], b3["rate_percent"]) == (
        "1000.00", "750.00", "0.7500", "75.00%")
    # open on 2025-11-30: 200.00 + 150.00 due 11-15 (15 days), 800.00 due 10-15 (46 days)
    assert b3["arrears"] == {"0-30": "350.00", "31-90": "800.00", "91-365": "0.00",
                             "365+": "0.00"}
    assert b3["arrears_total"] == "1150.00"
    assert by_label["5号楼"]["rate"] is None and by_label["5号楼"]["billed"] == "0.00"
    assert data["totals"]["rate"] == "0.7500"
    assert data["labels"]["rate"] == "收缴率"


def test_collection_rate_is_rounded_half_up_to_four_places():
    assert reports.collection_rate(Decimal("2.00"), Decimal("3.00")) == Decimal("0.6667")
    assert reports.collection_rate(Decimal("1.00"), Decimal("8.00")) == Decimal("0.1250")
    assert reports.collection_rate(Decimal("0.00"), Decimal("0.00")) is None


def test_dashboard_page_uses_the_vendored_chart_library(finance, billed):
    r = finance.get("/reports/dashboard?period=2025-11")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js"></script>' in page
    assert '<script src="/static/js/dashboard.js"></script>' in page
    assert 'data-source="/reports/dashboard/data?period=2025-11"' in page
    assert "<script>" not in page and "style=" not in page          # CSP: nothing inline
    assert "cdn" not in page.lower() and 'src="http' not in page
    assert "75.00%" in page and "1,000.00" in page                   # the table of figures
    script = finance.get("/static/vendor/chartjs/chart.umd.min.js")
    assert script.status_code == 200 and b"Chart.js v4" in script.data
    script.close()
    js = finance.get("/static/js/dashboard.js")
    assert js.status_code == 200
    js.close()


def test_front_desk_may_not_see_the_dashboard(desk, world):
    assert desk.get("/reports/dashboard").status_code == 403
    assert desk.get("/reports/dashboard/data?period=2025-11").status_code == 403
    assert desk.get("/reports/arrears").status_code == 403
    assert desk.get("/reports/daily").status_code == 403


def test_manager_sees_the_dashboard(manager, world):
    assert manager.get("/reports/dashboard").status_code == 200


@pytest.mark.parametrize("period", ["2025-1a", "abcd-ef", "2025-13", "2025/11", "<script>"])
def test_letters_in_the_period_get_a_message(finance, world, period):
    r = finance.get("/reports/dashboard", query_string={"period": period})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "账期格式应为 年-月" in page
    assert "finance-dashboard" not in page and "<script>" not in page
    r = finance.get("/reports/dashboard/data", query_string={"period": period})
    assert r.status_code == 400
    assert "账期格式应为 年-月" in r.get_json()["error"]


def test_dashboard_data_refuses_a_bad_as_of_date(finance, world):
    r = finance.get("/reports/dashboard/data?period=2025-11&as_of=tomorrow")
    assert r.status_code == 400 and "日期格式" in r.get_json()["error"]
