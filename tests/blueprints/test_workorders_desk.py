"""The desk's side of work orders through HTTP: intake from the unit card, the list with due
times, an order's page, dispatch with the suggestion, callback and close, the callback list,
setup; refusals write nothing, and another estate's or another team's records are 404."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, WorkOrder, WorkOrderCategory, WorkOrderStep
from frontdesk.models.workorders import Engineer, WorkOrderSettings
from frontdesk.services.workorders import crew, orders
from tests import factories
from tests.conftest import count, login

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def frozen(app):
    app.config["FRONTDESK_NOW"] = NOW
    return app.config


@pytest.fixture
def crew_a(world, db):
    """Two engineers of the 水电 team: 王 skilled in 水电, 李 not; 赵 of the 土建 team."""
    e = world.estate
    wang = factories.engineer(e, "eng_wang", team="水电组", skills=["水电"], full_name="王师傅")
    li = factories.engineer(e, "eng_li", team="水电组", skills=["门窗"], full_name="李师傅")
    zhao = factories.engineer(e, "eng_zhao", team="土建组", skills=["土建"], full_name="赵师傅")
    crew.categories(e.id)
    db.session.commit()
    return {"wang": wang, "li": li, "zhao": zhao}


def client_of(app, username):
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c


def category_id(world, name="水电"):
    return crew.categories(world.estate.id)[[c.name for c in crew.categories(
        world.estate.id)].index(name)].id


def intake_key(page_html: str) -> str:
    return re.search(r'name="intake_key" type="hidden" value="([0-9a-f]{32})"', page_html).group(1)


def report_form(world, key, **over):
    data = {"source": "来访", "reporter_name": "张三", "reporter_phone": "13812345678",
            "area": "厨房", "category_id": str(category_id(world)), "priority": "normal",
            "description": "厨房水管漏水", "appointment_at": "", "quote_amount": "",
            "intake_key": key, "building_id": ""}
    data.update(over)
    return data


def report_from_unit(desk, world, **over) -> WorkOrder:
    page = desk.get(f"/workorders/new?unit_id={world.unit.id}")
    assert page.status_code == 200
    r = desk.post(f"/workorders/new?unit_id={world.unit.id}",
                  data=report_form(world, intake_key(page.text), **over))
    assert r.status_code == 302, r.text[:3000]
    order_id = int(r.headers["Location"].rsplit("/", 1)[1])
    from frontdesk.extensions import db

    return db.session.get(WorkOrder, order_id)


# the whole path ---------------------------------------------------------------------------------


def test_the_desk_reports_dispatches_calls_back_and_closes(app, world, db, desk, crew_a):
    # the unit card has the tab and the button
    card = desk.get(f"/desk/units/{world.unit.id}")
    assert 'id="tab-orders"' in card.text
    assert f"/workorders/new?unit_id={world.unit.id}" in card.text

    # the form opened from the card names the unit and its primary resident
    page = desk.get(f"/workorders/new?unit_id={world.unit.id}")
    assert world.unit.code in page.text
    assert 'value="张三"' in page.text and "13812345678" in page.text

    order = report_from_unit(desk, world)
    assert order.state == "pending" and order.unit_id == world.unit.id
    assert order.reporter_name == "张三" and order.area == "厨房"
    assert order.response_due_at == NOW + timedelta(hours=2)
    number = orders.order_number(order)

    # the order's page: the suggestion ranks the skilled engineer first, with why
    detail = desk.get(f"/workorders/{order.id}")
    assert detail.status_code == 200 and number in detail.text
    suggestions = detail.text[detail.text.index('id="suggestions"'):]
    assert suggestions.index("王师傅") < suggestions.index("李师傅")
    assert "擅长水电" in suggestions and "0 个未完工单" in suggestions
    assert f'<option selected value="{crew_a["wang"].id}">' in detail.text

    r = desk.post(f"/workorders/{order.id}/dispatch",
                  data={"assignee_id": str(crew_a["wang"].id)})
    assert r.status_code == 302
    db.session.refresh(order)
    assert order.state == "dispatched" and order.assignee_id == crew_a["wang"].id
    assert order.team == "水电组"

    # the engineer's steps (their own pages are another area's): through the services
    wang = crew_a["wang"]
    orders.accept(wang, order, NOW + timedelta(minutes=30))
    orders.start(wang, order, NOW + timedelta(minutes=40))
    orders.complete(wang, order, "已更换阀门", NOW + timedelta(hours=3))

    # the list shows it; the callback list has it with the script and the form
    listing = desk.get("/workorders/?state=completed")
    assert number in listing.text
    waiting = desk.get("/callbacks")
    assert number in waiting.text

    r = desk.post(f"/workorders/{order.id}/callback",
                  data={"satisfaction": "5", "comment": "很满意"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/workorders/{order.id}")
    assert number not in desk.get("/callbacks").text

    r = desk.post(f"/workorders/{order.id}/close", data={})
    assert r.status_code == 302
    db.session.refresh(order)
    assert order.state == "closed" and order.satisfaction == 5

    # every step with who and when on the order's page
    detail = desk.get(f"/workorders/{order.id}").text
    steps = detail[detail.index('id="order-steps"'):]
    for label in ("报修", "派单", "接单", "开始", "完工", "已回访", "关闭"):
        assert label in steps, label
    assert "王师傅" in steps and "frontdesk测试" in steps
    assert [s.action for s in order.steps] == ["create", "dispatch", "accept", "start",
                                               "complete", "callback", "close"]


def test_a_public_area_report_from_a_call(app, world, db, desk):
    page = desk.get("/workorders/new")
    assert page.status_code == 200 and 'name="building_id"' in page.text
    r = desk.post("/workorders/new", data=report_form(
        world, intake_key(page.text), source="电话", building_id=str(world.building.id),
        area="1楼电梯厅", description="电梯按钮失灵", priority="urgent",
        category_id=str(category_id(world, "电梯"))))
    assert r.status_code == 302
    order = db.session.scalar(sa.select(WorkOrder))
    assert order.unit_id is None and order.building_id == world.building.id
    assert order.priority == "urgent" and order.response_due_at == NOW + timedelta(minutes=15)
    assert "1楼电梯厅" in desk.get(f"/workorders/{order.id}").text


# refusals ---------------------------------------------------------------------------------------


def test_closing_without_a_callback_is_refused_with_a_message(app, world, db, desk, crew_a):
    order = factories.work_order(world.estate, world.users["frontdesk"], state="completed",
                                 unit=world.unit, assignee=crew_a["wang"],
                                 completed_at=NOW - timedelta(hours=1))
    db.session.commit()
    steps, events = count(db, WorkOrderStep), count(db, AuditEvent)
    r = desk.post(f"/workorders/{order.id}/close", data={})
    assert r.status_code == 422
    assert "先回访" in r.text
    db.session.refresh(order)
    assert order.state == "completed" and order.closed_at is None
    assert (count(db, WorkOrderStep), count(db, AuditEvent)) == (steps, events)


def test_cancelling_needs_a_reason(app, world, db, desk):
    order = factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit)
    db.session.commit()
    r = desk.post(f"/workorders/{order.id}/cancel", data={"reason": "   "})
    assert r.status_code == 422 and "请填写原因" in r.text
    db.session.refresh(order)
    assert order.state == "pending" and count(db, WorkOrderStep) == 1
    r = desk.post(f"/workorders/{order.id}/cancel", data={"reason": "业主自行修好"})
    assert r.status_code == 302
    db.session.refresh(order)
    assert order.state == "cancelled" and order.reason == "业主自行修好"


@pytest.mark.parametrize("score", ["7", "0", "abc", ""])
def test_a_callback_score_outside_1_to_5_is_refused(app, world, db, desk, crew_a, score):
    order = factories.work_order(world.estate, world.users["frontdesk"], state="completed",
                                 unit=world.unit, assignee=crew_a["wang"],
                                 completed_at=NOW - timedelta(hours=1))
    db.session.commit()
    r = desk.post(f"/workorders/{order.id}/callback", data={"satisfaction": score,
                                                            "comment": "还行"})
    assert r.status_code == 422
    assert "请选择 1 至 5 分的满意度" in r.text
    assert "还行" in r.text  # what was typed stays
    db.session.refresh(order)
    assert order.state == "completed" and order.satisfaction is None


def test_an_unhappy_callback_reopens_to_the_engineer(app, world, db, desk, crew_a):
    order = factories.work_order(world.estate, world.users["frontdesk"], state="completed",
                                 unit=world.unit, assignee=crew_a["wang"],
                                 completed_at=NOW - timedelta(hours=1))
    db.session.commit()
    r = desk.post(f"/workorders/{order.id}/callback", data={"satisfaction": "2",
                                                            "comment": "还在漏水"})
    assert r.status_code == 302
    db.session.refresh(order)
    assert order.state == "dispatched" and order.assignee_id == crew_a["wang"].id


def test_an_appointment_in_the_past_is_refused_keeping_what_was_typed(app, world, db, desk):
    page = desk.get(f"/workorders/new?unit_id={world.unit.id}")
    r = desk.post(f"/workorders/new?unit_id={world.unit.id}", data=report_form(
        world, intake_key(page.text), appointment_at="2026-11-01T09:00",
        description="卫生间地漏堵塞 <b>急</b>"))
    assert r.status_code == 422
    assert "预约时间已过" in r.text
    assert 'value="2026-11-01T09:00"' in r.text
    assert "卫生间地漏堵塞 &lt;b&gt;急&lt;/b&gt;" in r.text
    assert count(db, WorkOrder) == 0


@pytest.mark.parametrize("field,value,message", [
    ("reporter_name", "", "请填写报修人"),
    ("description", "", "请描述问题"),
    ("category_id", "", "请选择类别"),
    ("category_id", "abc", "请选择类别"),
    ("reporter_phone", "", "请填写报修人的联系电话"),
    ("reporter_phone", "12345", None),
    ("quote_amount", "-5", None),
    ("priority", "whenever", "请选择紧急程度"),
    ("source", "传真", "请选择报修来源"),
])
def test_bad_intake_input_is_refused_and_writes_nothing(app, world, db, desk, field, value,
                                                        message):
    page = desk.get(f"/workorders/new?unit_id={world.unit.id}")
    r = desk.post(f"/workorders/new?unit_id={world.unit.id}",
                  data=report_form(world, intake_key(page.text), **{field: value}))
    assert r.status_code == 422
    assert 'is-invalid' in r.text or 'alert-danger' in r.text
    if message:
        assert message in r.text
    assert count(db, WorkOrder) == 0 and count(db, WorkOrderStep) == 0


def test_an_engineer_reporting_for_another_team_goes_back_to_the_list(app, world, db,
                                                                     crew_a):
    zhao = client_of(app, "eng_zhao")
    page = zhao.get("/workorders/new")
    assert page.status_code == 200
    r = zhao.post("/workorders/new", data=report_form(
        world, intake_key(page.text), source="巡查", area="5号楼 楼顶水箱",
        reporter_name="赵师傅", reporter_phone=""))
    assert r.status_code == 302 and r.headers["Location"].endswith("/workorders/")
    order = db.session.scalar(sa.select(WorkOrder))
    assert order.source == "巡查" and order.created_by_id == crew_a["zhao"].id
    assert orders.order_number(order) in zhao.get("/workorders/").text  # the flash names it


def test_a_public_place_report_needs_the_place(app, world, db, desk):
    page = desk.get("/workorders/new")
    r = desk.post("/workorders/new", data=report_form(world, intake_key(page.text), area=""))
    assert r.status_code == 422 and "公共区域位置" in r.text
    assert count(db, WorkOrder) == 0


def test_a_double_submit_of_the_intake_form_makes_one_order(app, world, db, desk):
    page = desk.get(f"/workorders/new?unit_id={world.unit.id}")
    data = report_form(world, intake_key(page.text))
    first = desk.post(f"/workorders/new?unit_id={world.unit.id}", data=data)
    second = desk.post(f"/workorders/new?unit_id={world.unit.id}", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, WorkOrder) == 1 and count(db, WorkOrderStep) == 1
    order = db.session.scalar(sa.select(WorkOrder))
    assert "已登记为 " + orders.order_number(order) in desk.get(second.headers["Location"]).text
    # a fresh form (a new key) is a new report
    page = desk.get(f"/workorders/new?unit_id={world.unit.id}")
    desk.post(f"/workorders/new?unit_id={world.unit.id}",
              data=report_form(world, intake_key(page.text)))
    assert count(db, WorkOrder) == 2


def test_the_service_returns_the_first_order_for_a_repeated_intake_key(app, world, db):
    """Two submits in flight at once: the second waits on the estate's numbering, then finds
    the first (the view's look-up before it is for the submit that comes after)."""
    data = {"source": "来访", "reporter_name": "张三", "reporter_phone": "13812345678",
            "unit_id": world.unit.id, "category_id": category_id(world),
            "description": "漏水", "intake_key": "a" * 32}
    first = orders.report(world.users["frontdesk"], world.estate, data, NOW)
    second = orders.report(world.users["frontdesk"], world.estate, data, NOW)
    assert first.id == second.id and count(db, WorkOrder) == 1


def test_a_missing_intake_key_is_refused(app, world, db, desk):
    r = desk.post(f"/workorders/new?unit_id={world.unit.id}", data=report_form(world, ""))
    assert r.status_code == 422 and "表单已过期" in r.text
    assert count(db, WorkOrder) == 0


# other estates, other teams ---------------------------------------------------------------------


def test_another_estates_unit_order_category_and_engineer_are_refused(app, world, db, desk,
                                                                      crew_a):
    other = world.other_estate
    b = factories.building(other, "9")
    their_unit = factories.unit(b, "1", 2, "201")
    their_engineer = factories.engineer(other, "their_eng", skills=["水电"])
    their_category = factories.category(other, "水电")
    their_order = factories.work_order(other, their_engineer, unit=their_unit)
    ours = factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit)
    db.session.commit()
    before = count(db, WorkOrder), count(db, WorkOrderStep), count(db, AuditEvent)

    assert desk.get(f"/workorders/new?unit_id={their_unit.id}").status_code == 404
    assert desk.get(f"/workorders/{their_order.id}").status_code == 404
    for action in ("dispatch", "cancel", "quote", "callback", "close"):
        assert desk.post(f"/workorders/{their_order.id}/{action}",
                         data={"reason": "x", "assignee_id": their_engineer.id,
                               "satisfaction": "5", "quote_amount": "10"}
                         ).status_code == 404, action
    page = desk.get("/workorders/new")
    r = desk.post("/workorders/new", data=report_form(
        world, intake_key(page.text), category_id=str(their_category.id)))
    assert r.status_code == 422 and "请选择类别" in r.text
    r = desk.post("/workorders/new", data=report_form(
        world, intake_key(page.text), building_id=str(b.id)))
    assert r.status_code == 422 and "请选择本小区的楼栋" in r.text
    r = desk.post(f"/workorders/{ours.id}/dispatch",
                  data={"assignee_id": str(their_engineer.id)})
    assert r.status_code == 422 and "请选择本小区的维修人员" in r.text
    assert (count(db, WorkOrder), count(db, WorkOrderStep), count(db, AuditEvent)) == before
    db.session.refresh(ours)
    assert ours.state == "pending" and ours.assignee_id is None


def test_an_engineer_of_another_team_gets_404(app, world, db, crew_a):
    order = factories.work_order(world.estate, world.users["frontdesk"], state="dispatched",
                                 unit=world.unit, assignee=crew_a["wang"], team="水电组")
    db.session.commit()
    li, zhao = client_of(app, "eng_li"), client_of(app, "eng_zhao")
    assert li.get(f"/workorders/{order.id}").status_code == 200  # same team
    assert zhao.get(f"/workorders/{order.id}").status_code == 404
    assert zhao.post(f"/workorders/{order.id}/dispatch",
                     data={"assignee_id": str(crew_a["zhao"].id)}).status_code == 404
    number = orders.order_number(order)
    assert number in li.get("/workorders/").text
    assert number not in zhao.get("/workorders/").text


def test_a_team_lead_dispatches_but_a_plain_engineer_sees_no_desk_actions(app, world, db,
                                                                          crew_a):
    order = factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit,
                                 team="水电组")
    db.session.commit()
    plain = client_of(app, "eng_li").get(f"/workorders/{order.id}").text
    assert 'id="dispatch-form"' not in plain and 'id="cancel-form"' not in plain
    profile = db.session.scalar(sa.select(Engineer).where(Engineer.user_id == crew_a["wang"].id))
    profile.is_lead = True
    db.session.commit()
    lead = client_of(app, "eng_wang")
    assert 'id="dispatch-form"' in lead.get(f"/workorders/{order.id}").text
    r = lead.post(f"/workorders/{order.id}/dispatch", data={"assignee_id": crew_a["li"].id})
    assert r.status_code == 302
    db.session.refresh(order)
    assert order.assignee_id == crew_a["li"].id


# the list ---------------------------------------------------------------------------------------


def test_the_list_shows_due_times_breaches_and_pauses(app, world, db, desk, crew_a):
    reporter = world.users["frontdesk"]
    late = factories.work_order(world.estate, reporter, unit=world.unit,
                                created_at=NOW - timedelta(hours=3), description="迟了")
    fresh = factories.work_order(world.estate, reporter, unit=world.unit,
                                 created_at=NOW - timedelta(minutes=10), description="刚报")
    working = factories.work_order(world.estate, reporter, unit=world.unit, state="in_progress",
                                   assignee=crew_a["wang"], description="在修")
    paused = factories.work_order(world.estate, reporter, unit=world.unit, state="paused",
                                  assignee=crew_a["wang"], paused_since=NOW,
                                  paused_remaining_seconds=5 * 3600 + 30 * 60,
                                  description="等配件")
    db.session.commit()
    page = desk.get("/workorders/").text
    rows = {o.id: page[page.index(f'data-order="{o.id}"'):].split("</tr>")[0]
            for o in (late, fresh, working, paused)}
    assert "table-danger" in page[:page.index(f'data-order="{late.id}"')].rsplit("<tr", 1)[1]
    assert "已逾期" in rows[late.id] and "响应截止 11-02 09:00" in rows[late.id]
    assert "已逾期" not in rows[fresh.id] and "响应截止 11-02 11:50" in rows[fresh.id]
    assert "完工截止 11-04 10:00" in rows[working.id]
    assert "暂停" in rows[paused.id] and "剩 5小时30分钟" in rows[paused.id]

    overdue = desk.get("/workorders/?overdue=1").text
    assert "迟了" in overdue and "刚报" not in overdue and "在修" not in overdue
    assert "等配件" in desk.get("/workorders/?state=paused").text
    assert "刚报" not in desk.get("/workorders/?state=paused").text
    assert "刚报" in desk.get(f"/workorders/?q={world.unit.code}").text


def test_the_list_pages_and_takes_bad_filters(app, world, db, desk):
    for n in range(30):
        factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit,
                             description=f"第{n:02d}单", created_at=NOW - timedelta(minutes=n))
    db.session.commit()
    first = desk.get("/workorders/").text
    assert "第00单" in first and "第29单" not in first
    assert "第29单" in desk.get("/workorders/?page=2").text
    for query in ("state=nonsense", "category_id=abc", "priority=x", "page=99999999999",
                  "q=" + "x" * 200):
        assert desk.get(f"/workorders/?{query}").status_code in (200, 422), query


def queries_for(db, client, url) -> int:
    """Count the statements a page sends to the database."""
    statements = []

    def count_it(*_args):
        statements.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count_it)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count_it)
    return len(statements)


def test_the_list_loads_in_a_fixed_number_of_queries(app, world, db, desk, crew_a):
    factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit,
                         assignee=crew_a["wang"], state="dispatched")
    db.session.commit()
    few = queries_for(db, desk, "/workorders/")
    for _ in range(10):
        factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit,
                             assignee=crew_a["li"], state="dispatched")
    db.session.commit()
    assert queries_for(db, desk, "/workorders/") == few
    assert queries_for(db, desk, f"/desk/units/{world.unit.id}") == queries_for(
        db, desk, f"/desk/units/{world.unit.id}")


def test_an_orders_page_loads_in_a_fixed_number_of_queries(app, world, db, desk, crew_a):
    order = report_from_unit(desk, world)
    assert desk.post(f"/workorders/{order.id}/dispatch",
                     data={"assignee_id": str(crew_a["wang"].id)}).status_code == 302
    few = queries_for(db, desk, f"/workorders/{order.id}")
    for n in range(6):  # more engineers, their orders, and more steps of this one
        eng = factories.engineer(world.estate, f"more_{n}", team="水电组", skills=["水电"])
        factories.work_order(world.estate, eng, unit=world.unit, assignee=eng,
                             state="completed", completed_at=NOW - timedelta(hours=n + 1))
        db.session.commit()
        assert desk.post(f"/workorders/{order.id}/dispatch",
                         data={"assignee_id": str(eng.id)}).status_code == 302
    # users' roles load in batches: what varies is which of them are already loaded
    assert queries_for(db, desk, f"/workorders/{order.id}") <= few


def test_names_with_markup_are_shown_escaped(app, world, db, desk, crew_a):
    evil = "<script>alert(1)</script>'; DROP TABLE work_order; --"
    order = factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit,
                                 reporter_name=evil[:64], description=evil, area=evil[:100],
                                 state="completed", assignee=crew_a["wang"],
                                 completed_at=NOW)
    db.session.commit()
    for url in (f"/workorders/{order.id}", "/workorders/", "/callbacks",
                f"/desk/units/{world.unit.id}"):
        text = desk.get(url).text
        assert "<script>alert(1)</script>" not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, url
    assert count(db, WorkOrder) == 1


# the quote --------------------------------------------------------------------------------------


def test_the_desk_records_the_quote_and_the_residents_confirmation(app, world, db, desk):
    order = factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit)
    db.session.commit()
    events = count(db, AuditEvent)
    r = desk.post(f"/workorders/{order.id}/quote", data={"quote_amount": "abc"})
    assert r.status_code == 422 and "请填写金额（元）" in r.text
    assert count(db, AuditEvent) == events
    r = desk.post(f"/workorders/{order.id}/quote",
                  data={"quote_amount": "120.00", "confirmed_by": "张三"})
    assert r.status_code == 302
    db.session.refresh(order)
    assert order.chargeable and str(order.quote_amount) == "120.00"
    assert order.quote_confirmed_by == "张三" and order.quote_confirmed_at == NOW
    assert "张三 于" in desk.get(f"/workorders/{order.id}").text


# setup ------------------------------------------------------------------------------------------


def test_the_manager_sets_categories_levels_and_the_crew(app, world, db, manager, crew_a):
    assert manager.get("/workorders/setup").status_code == 200
    r = manager.post("/workorders/setup/categories",
                     data={"new-name": "空调", "new-team": "水电组"})
    assert r.status_code == 302
    aircon = db.session.scalar(sa.select(WorkOrderCategory).where(
        WorkOrderCategory.estate_id == world.estate.id, WorkOrderCategory.name == "空调"))
    assert aircon.team == "水电组"
    # a clash is refused beside the name
    r = manager.post("/workorders/setup/categories", data={"new-name": "水电"})
    assert r.status_code == 422 and "已有同名类别" in r.text
    # rename and retire
    r = manager.post(f"/workorders/setup/categories/{aircon.id}",
                     data={f"c{aircon.id}-name": "空调维修", f"c{aircon.id}-team": ""})
    assert r.status_code == 302
    db.session.refresh(aircon)
    assert aircon.name == "空调维修" and not aircon.active
    # service levels
    r = manager.post("/workorders/setup/settings", data={
        "urgent_response_minutes": "10", "urgent_completion_minutes": "120",
        "normal_response_minutes": "60", "normal_completion_minutes": "1440",
        "working_hours": "y", "day_start": "08:00", "day_end": "18:00"})
    assert r.status_code == 302
    row = db.session.get(WorkOrderSettings, world.estate.id)
    assert (row.urgent_response_minutes, row.working_hours, row.day_start_minute) == (
        10, True, 480)
    r = manager.post("/workorders/setup/settings", data={
        "urgent_response_minutes": "999", "urgent_completion_minutes": "120",
        "normal_response_minutes": "60", "normal_completion_minutes": "1440",
        "day_start": "08:00", "day_end": "18:00"})
    assert r.status_code == 422 and 'value="999"' in r.text
    db.session.refresh(row)
    assert row.urgent_response_minutes == 10
    # an engineer's team, skills, duty and lead
    li = crew_a["li"]
    assert manager.get(f"/workorders/setup/crew/{li.id}").status_code == 200
    r = manager.post(f"/workorders/setup/crew/{li.id}",
                     data={"team": "土建组", "skills": ["土建", "门窗"], "is_lead": "y"})
    assert r.status_code == 302
    profile = db.session.scalar(sa.select(Engineer).where(Engineer.user_id == li.id))
    db.session.refresh(profile)
    assert (profile.team, profile.skills, profile.on_duty, profile.is_lead) == (
        "土建组", ["土建", "门窗"], False, True)
    r = manager.post(f"/workorders/setup/crew/{li.id}", data={"skills": ["不存在"]})
    assert r.status_code == 422
    # not an engineer, or another estate's: 404
    assert manager.get(f"/workorders/setup/crew/{world.users['frontdesk'].id}"
                       ).status_code == 404
    their = factories.engineer(world.other_estate, "their_eng2")
    their_cat = factories.category(world.other_estate, "绿化")
    db.session.commit()
    assert manager.get(f"/workorders/setup/crew/{their.id}").status_code == 404
    assert manager.post(f"/workorders/setup/categories/{their_cat.id}",
                        data={f"c{their_cat.id}-name": "x"}).status_code == 404


def test_the_desk_cannot_open_the_setup(app, world, desk):
    assert desk.get("/workorders/setup").status_code == 403


def test_the_navigation_shows_the_entries_each_role_may_open(app, world, desk, manager,
                                                             engineer):
    nav = desk.get("/workorders/").text
    assert "/workorders/new" in nav and "/callbacks" in nav
    assert "/workorders/setup" not in nav
    assert "/workorders/setup" in manager.get("/workorders/").text
    eng = engineer.get("/workorders/").text
    assert "/callbacks" not in eng and "/workorders/setup" not in eng


def _png(colour=(200, 40, 40)) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, format="PNG")
    return buf.getvalue()


def test_the_report_takes_photos_all_or_nothing(app, world, db, desk):
    import io
    from pathlib import Path

    from frontdesk.models import WorkOrderPhoto

    def send(files):
        page = desk.get(f"/workorders/new?unit_id={world.unit.id}")
        data = report_form(world, intake_key(page.text))
        data["photos"] = [(io.BytesIO(content), name) for name, content in files]
        return desk.post(f"/workorders/new?unit_id={world.unit.id}", data=data,
                         content_type="multipart/form-data")

    stored = Path(app.instance_path) / "uploads" / str(world.estate.id)
    # a renamed executable among good photos: nothing is written, not even the good ones
    r = send([("漏水.png", _png()), ("setup.jpg", b"MZ\x90\x00" + b"\x00" * 500)])
    assert r.status_code == 422 and "setup.jpg" in r.text
    assert count(db, WorkOrder) == 0 and count(db, WorkOrderPhoto) == 0
    assert not stored.exists() or not any(stored.iterdir())
    # six photos: one too many
    r = send([(f"{i}.png", _png((i * 30, 0, 0))) for i in range(6)])
    assert r.status_code == 422 and count(db, WorkOrder) == 0
    # two good photos: the order and both photos, kept as JPEG
    r = send([("漏水.png", _png()), ("阀门.png", _png((0, 90, 200)))])
    assert r.status_code == 302, r.text[:2000]
    order = db.session.scalar(sa.select(WorkOrder))
    photos = db.session.scalars(sa.select(WorkOrderPhoto)).all()
    assert [p.order_id for p in photos] == [order.id, order.id]
    assert {p.stage for p in photos} == {"report"}
    assert all((stored / p.stored_name).read_bytes()[:3] == b"\xff\xd8\xff" for p in photos)
    page = desk.get(f"/workorders/{order.id}").text
    assert f"/workorders/photos/{photos[0].id}" in page


def test_a_chargeable_repair_is_billed_on_completion_and_paid_at_the_desk(app, world, db, desk,
                                                                           engineer):
    """Quote confirmed at the desk, costs and completion on the engineer's phone, the line on
    the unit's bill paid at the desk with a receipt that names it."""
    from frontdesk.models import BillLine, Receipt
    from frontdesk.services.workorders import crew
    from tests.conftest import pay, receipt_id
    from tests.pdf_text import pdf_text

    me = world.users["engineering"]
    crew.profile(world.estate.id, me)
    db.session.commit()
    order = report_from_unit(desk, world, chargeable="y", quote_amount="150.00")
    r = desk.post(f"/workorders/{order.id}/dispatch", data={"assignee_id": str(me.id)})
    assert r.status_code == 302, r.text[:2000]
    base = f"/workorders/my/{order.id}"
    for step in ("accept", "start"):
        assert engineer.post(f"{base}/{step}").status_code == 302
    for cost in ({"kind": "material", "name": "角阀", "quantity": "2", "unit_name": "个",
                  "unit_price": "35.50"},
                 {"kind": "labour", "name": "上门维修", "quantity": "1", "unit_name": "次",
                  "unit_price": "50"}):
        assert engineer.post(f"{base}/costs", data=cost).status_code == 302
    # not yet confirmed by the resident: completing is refused, nothing billed
    r = engineer.post(f"{base}/complete", data={"note": "更换角阀"})
    assert r.status_code == 422 and "尚未确认" in r.text
    assert count(db, BillLine) == 0
    r = desk.post(f"/workorders/{order.id}/quote",
                  data={"quote_amount": "150.00", "confirmed_by": "张三"})
    assert r.status_code == 302
    assert engineer.post(f"{base}/complete", data={"note": "更换角阀"}).status_code == 302
    db.session.expire_all()
    line = db.session.scalar(sa.select(BillLine))
    assert line.unit_id == world.unit.id and line.amount == Decimal("121.00")
    assert "有偿维修" in line.explanation
    # the desk sees it owed on the unit card and takes it like any other line
    assert "121.00" in desk.get(f"/desk/units/{world.unit.id}").text
    rid = receipt_id(pay(desk, world.unit, "121.00", lines=[line.id]))
    db.session.expire_all()
    assert db.session.get(BillLine, line.id).settled == Decimal("121.00")
    text = pdf_text(desk.post(f"/payments/receipts/{rid}/print").data)
    assert "有偿服务" in text and "121.00" in text
    assert db.session.get(Receipt, rid) is not None
