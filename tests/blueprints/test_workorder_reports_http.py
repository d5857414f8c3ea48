"""Work-order printing and reports through HTTP: the 派工单 and its reprints, the report page,
its .xlsx read back, the managers' dashboard and its data; another estate's orders never show."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from frontdesk.models import AuditEvent
from frontdesk.services.workorders import crew, orders
from tests import factories
from tests.pdf_text import printed_pages, squash

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NOW = T0 + timedelta(hours=100)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def setting(app, world, db):
    """A chargeable repair done by 王师傅, a late order of 李师傅's, and one of another estate."""
    app.config["FRONTDESK_NOW"] = NOW
    e, desk = world.estate, world.users["frontdesk"]
    wang = factories.engineer(e, "eng_wang", team="水电组", skills=["水电"], full_name="王师傅")
    li = factories.engineer(e, "eng_li", team="土建组", skills=["土建"], full_name="李师傅")
    cats = {c.name: c for c in crew.categories(e.id)}
    done = orders.report(desk, e, {
        "source": "电话", "reporter_name": "张三", "reporter_phone": "13812345678",
        "unit_id": world.unit.id, "category_id": cats["水电"].id,
        "description": "厨房水槽下水管漏水", "chargeable": True, "quote_amount": "150.00"}, h(0))
    orders.set_quote(desk, done, {"quote_amount": "150.00", "confirmed_by": "张三"}, h(0.1))
    orders.dispatch(desk, done, wang, h(0.2))
    orders.accept(wang, done, h(0.5))
    orders.start(wang, done, h(1))
    orders.add_cost(wang, done, {"kind": "material", "name": "下水管", "quantity": "2",
                                 "unit_name": "根", "unit_price": "35.00"}, h(1.5))
    orders.add_cost(wang, done, {"kind": "labour", "name": "更换下水管", "quantity": "1",
                                 "unit_price": "50.50"}, h(1.5))
    orders.complete(wang, done, "已更换下水管，试水无渗漏", h(2))
    orders.callback(desk, done, 5, "很满意", h(24))
    late = orders.report(desk, e, {
        "source": "巡查", "reporter_name": "保安巡查", "area": "3号楼 地下车库",
        "category_id": cats["土建"].id, "description": "地面开裂"}, h(1))
    orders.dispatch(desk, late, li, h(1))
    other_desk = factories.user("frontdesk", [world.other_estate], username="other_desk")
    other = orders.report(other_desk, world.other_estate, {
        "source": "巡查", "reporter_name": "外人", "area": "别家大门",
        "category_id": crew.categories(world.other_estate.id)[0].id,
        "description": "别家的门坏了"}, h(0))
    db.session.commit()
    return {"done": done, "late": late, "other": other, "wang": wang, "li": li}


# the printed 派工单 ------------------------------------------------------------------------


def test_desk_prints_the_slip_and_a_second_print_is_marked_reprint(desk, setting, db):
    done = setting["done"]
    pages = printed_pages(desk.post(f"/workorders/{done.id}/slip.pdf"))
    text = squash("".join(pages))
    number = orders.order_number(done)
    for expected in (number, "派工单", "3-2-1502", "张三", "13812345678", "厨房水槽下水管漏水",
                     "王师傅", "2026-11-0210:00", "2026-11-0210:12", "2026-11-0210:30",
                     "2026-11-0212:00", "下水管", "70.00", "50.50", "120.50", "￥150.00",
                     "金额大写壹佰贰拾元零伍角整", "已计入本户账单", "已更换下水管",
                     "5分", "很满意", "维修人员签字", "业主（住户）签字", "第1页共1页"):
        assert expected in text, expected
    assert "补打" not in text
    again = squash("".join(printed_pages(desk.post(f"/workorders/{done.id}/slip.pdf"))))
    assert "补打（第1次补打）" in again
    db.session.refresh(done)
    assert done.print_count == 2
    prints = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "print", AuditEvent.object_type == "work_order")).all()
    assert len(prints) == 2


def test_a_paused_orders_slip_says_its_clock_is_stopped(desk, setting, db):
    late, li = setting["late"], setting["li"]
    orders.accept(li, late, h(2))
    orders.start(li, late, h(3))
    orders.pause(li, late, "等配件到货", h(13))  # reported at h(1): 36 h of running time left
    db.session.commit()
    text = squash("".join(printed_pages(desk.post(f"/workorders/{late.id}/slip.pdf"))))
    assert "完工时限暂停中，剩余1天12小时" in text
    assert "暂停原因等配件到货" in text and "暂停合计3天15小时" in text  # h(13) to h(100)
    assert "3号楼地下车库" in text and "保安巡查" in text and "李师傅" in text


def test_the_assigned_engineer_prints_it_and_another_team_gets_404(app, setting, db):
    from tests.conftest import login

    wang, li = app.test_client(), app.test_client()
    assert login(wang, "eng_wang").status_code == 302
    assert login(li, "eng_li").status_code == 302
    done = setting["done"]
    assert wang.post(f"/workorders/{done.id}/slip.pdf").status_code == 200
    assert li.post(f"/workorders/{done.id}/slip.pdf").status_code == 404
    db.session.refresh(done)
    assert done.print_count == 1


def test_another_estates_order_and_a_missing_one_give_404(desk, manager, setting, db):
    other = setting["other"]
    assert desk.post(f"/workorders/{other.id}/slip.pdf").status_code == 404
    assert manager.post(f"/workorders/{other.id}/slip.pdf").status_code == 404
    assert desk.post("/workorders/999999/slip.pdf").status_code == 404
    assert desk.post("/workorders/99999999999999999999/slip.pdf").status_code == 404
    db.session.refresh(other)
    assert other.print_count == 0


def test_finance_may_not_print_a_slip(finance, setting):
    assert finance.post(f"/workorders/{setting['done'].id}/slip.pdf").status_code == 403


# the report page and its export --------------------------------------------------------------


def test_manager_reads_the_report_of_the_last_30_days(manager, setting):
    page = manager.get("/workorders/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="2026-10-08"' in html and 'value="2026-11-06"' in html
    assert "王师傅" in html and "李师傅" in html and "水电" in html
    assert orders.order_number(setting["late"]) in html  # dispatched, never accepted: late
    assert orders.order_number(setting["done"]) not in html.split("<h2", 3)[-1]
    assert "外人" not in html and "别家" not in html


def test_the_range_picks_the_orders_reported_in_it(manager, setting):
    html = manager.get("/workorders/reports?start=2026-10-01&end=2026-10-31").get_data(
        as_text=True)
    assert orders.order_number(setting["late"]) not in html


@pytest.mark.parametrize(("query", "message"), [
    ("start=2026-11-30&end=2026-11-01", "不能早于"),
    ("start=2026-11-01&end=abc", "年-月-日"),
    ("start=2026-11-01&end=", "最后一天"),
    ("start=1800-01-01&end=2026-11-01", "超出范围"),
    ("start=2020-01-01&end=2026-11-01", "两年"),
    ("start=<script>&end=2026-11-01", "年-月-日"),
])
def test_a_bad_range_gets_a_clear_message(manager, setting, query, message):
    for url in ("/workorders/reports", "/workorders/reports.xlsx", "/workorders/dashboard"):
        response = manager.get(f"{url}?{query}")
        assert response.status_code == 422, url
        html = response.get_data(as_text=True)
        assert message in html, (url, html[-3000:])
        assert "<script>" not in html
    data = manager.get(f"/workorders/dashboard/data?{query}")
    assert data.status_code == 422 and message in data.get_json()["error"]


def test_the_export_reads_back_with_the_figures_of_the_page(manager, setting):
    response = manager.get("/workorders/reports.xlsx?start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["汇总", "按类别", "按维修人员", "超时工单"]
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True) if r and r[0]}
    assert summary["报修日期"] == "2026-11-01 至 2026-11-30"
    assert (summary["期末未完成"], summary["报修"], summary["完工"]) == (1, 2, 1)
    assert (summary["响应超时"], summary["完工超时"]) == (1, 1)
    assert summary["平均响应（小时）"] == 0.5  # the accepted one: 30 minutes
    assert summary["平均完工（小时）"] == 2.0
    assert (summary["回访"], summary["平均满意度"]) == (1, 5.0)
    by_category = {r[0]: r for r in book["按类别"].iter_rows(min_row=2, values_only=True)}
    assert by_category["水电"][1:4] == (0, 1, 1)
    assert by_category["土建"][1:6] == (1, 1, 0, 1, 1)
    assert by_category["合计"][2] == 2
    engineers = {r[0]: r for r in book["按维修人员"].iter_rows(min_row=2, values_only=True)}
    assert engineers["王师傅"][9] == 5.0 and engineers["李师傅"][1] == 1
    late = list(book["超时工单"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in late] == [orders.order_number(setting["late"])]
    assert late[0][2] == "3号楼 地下车库" and late[0][5] == "李师傅" and late[0][6] == "已派单"
    everything = "".join(str(c) for ws in book for row in ws.iter_rows(values_only=True)
                         for c in row if c is not None)
    assert "别家" not in everything and "外人" not in everything


def test_the_other_estates_manager_sees_only_theirs(app, world, setting, db):
    from tests.conftest import login

    factories.user("manager", [world.other_estate], username="other_manager")
    db.session.commit()
    client = app.test_client()
    assert login(client, "other_manager").status_code == 302
    data = client.get("/workorders/dashboard/data?start=2026-11-01&end=2026-11-30").get_json()
    assert data["totals"]["reported"] == 1 and data["totals"]["open"] == 1
    names = {r["name"] for r in data["engineers"]}
    assert "王师傅" not in names and "李师傅" not in names
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        "/workorders/reports.xlsx?start=2026-11-01&end=2026-11-30").data))
    assert "王师傅" not in [r[0] for r in book["按维修人员"].iter_rows(values_only=True)]


# the dashboard ---------------------------------------------------------------------------


def test_manager_sees_the_dashboard_and_its_data(manager, setting):
    page = manager.get("/workorders/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "chart-open" in html and "workorder_dashboard.js" in html and "<script>" not in html
    data = manager.get("/workorders/dashboard/data?start=2026-11-01&end=2026-11-30").get_json()
    cats = {r["name"]: r for r in data["categories"]}
    assert cats["土建"]["open"] == 1 and cats["土建"]["response_breaches"] == 1
    assert cats["水电"]["satisfaction"] == 5.0 and cats["水电"]["avg_completion_hours"] == 2.0
    engineers = {r["name"]: r for r in data["engineers"]}
    assert engineers["王师傅"]["callbacks"] == 1 and engineers["李师傅"]["open"] == 1
    assert set(data["labels"]) >= {"open", "response", "completion", "satisfaction"}


@pytest.mark.parametrize("url", ["/workorders/reports", "/workorders/reports.xlsx",
                                 "/workorders/dashboard", "/workorders/dashboard/data"])
def test_only_managers_see_reports(desk, engineer, finance, setting, url):
    for client in (desk, engineer, finance):
        assert client.get(url).status_code == 403


def test_the_navigation_offers_the_reports_to_managers_only(manager, desk, setting):
    nav = manager.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/workorders/dashboard"' in nav and 'href="/workorders/reports"' in nav
    assert "工单报表" in nav
    assert "/workorders/dashboard" not in desk.get("/", follow_redirects=True).get_data(
        as_text=True)


def test_a_long_list_of_late_orders_is_cut_on_the_page_not_in_the_export(manager, setting,
                                                                          monkeypatch):
    from frontdesk.blueprints.workorders import reports as views

    monkeypatch.setattr(views, "LATE_SHOWN", 0)
    html = manager.get("/workorders/reports").get_data(as_text=True)
    assert "仅显示前 0 张超时工单（共 1 张）" in html
    assert orders.order_number(setting["late"]) not in html
    book = openpyxl.load_workbook(io.BytesIO(manager.get("/workorders/reports.xlsx").data))
    assert len(list(book["超时工单"].iter_rows(min_row=2))) == 1


def test_the_order_page_prints_its_slip_with_a_post(world, db, desk, setting):
    page = desk.get(f"/workorders/{setting['done'].id}").get_data(as_text=True)
    assert f'action="/workorders/{setting["done"].id}/slip.pdf"' in page and "打印派工单" in page
    assert desk.get(f"/workorders/{setting['done'].id}/slip.pdf").status_code == 405
