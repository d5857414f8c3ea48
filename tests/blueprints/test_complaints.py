"""Complaints through the desk: the seven steps, approval, callbacks, work orders, the sheet."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, Complaint, ComplaintStep, WorkOrder
from tests import factories
from tests.conftest import count
from tests.pdf_text import printed_pages, squash

#: the frozen clock: 2026-11-20 10:00 in Shanghai
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
GOOD = {"name": "张三", "phone": "13812345678", "unit_code": "3-2-1502", "channel": "电话",
        "category": "噪音", "content": "楼上夜间装修噪音", "request": "要求停止夜间施工"}


@pytest.fixture
def clock(app):
    app.config["FRONTDESK_NOW"] = NOW
    return app.config


def register(client, **changes):
    return client.post("/complaints/new", data={**GOOD, **changes})


def step(client, c, action, **data):
    return client.post(f"/complaints/{c.id}/step", data={"action": action, **data})


def only_complaint(db) -> Complaint:
    return db.session.scalars(sa.select(Complaint)).one()


def test_a_complaint_through_all_seven_steps(world, db, desk, manager, clock):
    r = register(desk)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    c = only_complaint(db)
    assert (c.state, c.unit_id, c.category, c.channel) == ("registered", world.unit.id, "噪音",
                                                            "电话")
    # due by the end of the local day: 2026-11-21 00:00 Shanghai
    assert c.reply_due_at == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    page = desk.get(r.headers["Location"]).get_data(as_text=True)
    assert "TS2026-000001" in page and "楼上夜间装修噪音" in page
    assert step(desk, c, "investigate", note="夜间22点后仍在施工").status_code == 302
    r = step(desk, c, "propose", note="约谈装修户并道歉", compensation="200.00")
    assert r.status_code == 302
    assert step(manager, c, "approve", note="同意").status_code == 302
    assert step(desk, c, "agree", note="业主同意处理方案").status_code == 302
    assert step(desk, c, "carry_out", note="已约谈装修户，停止夜间施工").status_code == 302
    db.session.expire_all()
    assert c.state == "carried_out"
    assert desk.post(f"/callbacks/complaints/{c.id}",
                     data={"satisfaction": "5", "comment": "满意"}).status_code == 302
    db.session.expire_all()
    assert (c.state, c.satisfaction, c.closed_at) == ("closed", 5, NOW)
    assert c.compensation == Decimal("200.00") and c.first_reply_at == NOW
    steps = db.session.scalars(sa.select(ComplaintStep).order_by(ComplaintStep.id)).all()
    assert [s.action for s in steps] == ["register", "investigate", "propose", "approve",
                                         "agree", "carry_out", "callback"]
    who = {world.users["frontdesk"].id: "desk", world.users["manager"].id: "manager"}
    assert [who[s.user_id] for s in steps] == ["desk"] * 3 + ["manager"] + ["desk"] * 3
    assert all(s.at == NOW for s in steps)
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "complaint")))
    assert {"register", "investigate", "propose", "approve", "agree", "carry_out",
            "callback"} <= actions
    page = desk.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert "5/5" in page and "manager测试" in page


def test_a_refused_close_without_callback(world, db, desk, clock):
    c = factories.complaint(world.estate, world.users["frontdesk"], state="agreed")
    db.session.commit()
    for action in ("close", "callback"):
        r = step(desk, c, action, satisfaction="5", note="结案")
        assert r.status_code == 422
        text = r.get_data(as_text=True)
        assert ("满意的回访" if action == "callback" else "没有这个步骤") in text
    r = desk.post(f"/callbacks/complaints/{c.id}", data={"satisfaction": "5"})
    assert r.status_code == 422 and "不在等待回访" in r.get_data(as_text=True)
    db.session.expire_all()
    assert c.state == "agreed" and c.closed_at is None
    assert db.session.query(ComplaintStep).count() == 1


def test_an_unsatisfied_callback_goes_back_to_carrying_out(world, db, desk, clock):
    c = factories.complaint(world.estate, world.users["frontdesk"], state="carried_out")
    db.session.commit()
    r = desk.post(f"/callbacks/complaints/{c.id}", data={"satisfaction": "2"})
    assert r.status_code == 422 and "不满意" in r.get_data(as_text=True)
    assert desk.post(f"/callbacks/complaints/{c.id}",
                     data={"satisfaction": "2", "comment": "噪音仍在"}).status_code == 302
    db.session.expire_all()
    assert (c.state, c.satisfaction, c.closed_at) == ("agreed", 2, None)
    # carried out again, then a satisfied callback closes it
    assert step(desk, c, "carry_out", note="再次约谈").status_code == 302
    assert step(desk, c, "callback", satisfaction="4").status_code == 302
    db.session.expire_all()
    assert c.state == "closed"
    scores = db.session.scalars(sa.select(ComplaintStep.score).where(
        ComplaintStep.score.is_not(None)).order_by(ComplaintStep.id)).all()
    assert scores == [2, 4]


def test_a_callback_is_recorded_once(world, db, desk, clock):
    c = factories.complaint(world.estate, world.users["frontdesk"], state="carried_out")
    db.session.commit()
    assert desk.post(f"/callbacks/complaints/{c.id}", data={"satisfaction": "4"}).status_code == 302
    events = db.session.query(AuditEvent).count()
    r = desk.post(f"/callbacks/complaints/{c.id}", data={"satisfaction": "1", "comment": "x"})
    assert r.status_code == 422 and "已经记录" in r.get_data(as_text=True)
    db.session.expire_all()
    assert (c.state, c.satisfaction) == ("closed", 4)
    assert db.session.query(AuditEvent).count() == events


def test_approval_by_someone_who_is_not_a_manager_is_refused(world, db, desk, manager, clock):
    c = factories.complaint(world.estate, world.users["frontdesk"], state="proposed",
                            proposal="赔偿", compensation=Decimal("500.00"))
    db.session.commit()
    for action in ("approve", "send_back"):
        r = step(desk, c, action, note="自己批准")
        assert r.status_code == 422
        assert "只有经理" in r.get_data(as_text=True)
    db.session.expire_all()
    assert c.state == "proposed" and c.approved_by_id is None
    assert db.session.query(ComplaintStep).count() == 1
    page = desk.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert "等待经理审批" in page
    # a manager sends it back with a reason; a blank reason is refused
    assert step(manager, c, "send_back", note="").status_code == 422
    assert step(manager, c, "send_back", note="补偿过高，请重拟").status_code == 302
    db.session.expire_all()
    assert c.state == "investigated"


def test_a_work_order_opened_while_carrying_out(world, db, desk, clock):
    c = factories.complaint(world.estate, world.users["frontdesk"], state="agreed",
                            unit=world.unit)
    db.session.commit()
    page = desk.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert "open-order" in page
    r = desk.post(f"/complaints/{c.id}/orders", data={
        "category_id": "水电", "description": "更换楼道灯", "priority": "normal"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    order = db.session.scalars(sa.select(WorkOrder)).one()
    assert (order.origin, order.origin_id, order.source, order.unit_id) == (
        "complaint", c.id, "投诉", world.unit.id)
    page = desk.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert "GD2026-000001" in page and "待派单" in page
    # not carried out while its order is open, even with a note
    r = step(desk, c, "carry_out", note="已派单")
    assert r.status_code == 422 and "未完成" in r.get_data(as_text=True)
    order.state, order.completed_at = "completed", NOW
    db.session.commit()
    assert step(desk, c, "carry_out").status_code == 302
    db.session.expire_all()
    assert c.state == "carried_out"
    assert "1 个已完成" in desk.get(f"/complaints/{c.id}").get_data(as_text=True)


def test_carrying_out_without_orders_needs_what_was_done(world, db, desk, clock):
    c = factories.complaint(world.estate, world.users["frontdesk"], state="agreed")
    db.session.commit()
    r = step(desk, c, "carry_out", note="  ")
    assert r.status_code == 422 and "写下" in r.get_data(as_text=True)
    db.session.expire_all()
    assert c.state == "agreed"


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "投诉人"),
    ({"phone": ""}, "电话"),
    ({"phone": "abc123"}, "电话"),
    ({"content": "   "}, "投诉"),
    ({"content": "x" * 2001}, "2000"),
    ({"category": "不存在"}, ""),
    ({"channel": "传真"}, ""),
    ({"unit_code": "9-9-9999"}, "9-9-9999"),
])
def test_bad_registrations_write_nothing(world, db, desk, clock, changes, message):
    r = register(desk, **changes)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert count(db, Complaint) == 0


def test_markup_and_sql_are_kept_as_text(world, db, desk, clock):
    nasty = "<script>alert(1)</script>' OR '1'='1' --"
    assert register(desk, content=nasty, name="<b>王</b>").status_code == 302
    c = only_complaint(db)
    assert c.content == nasty
    page = desk.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("amount, message", [
    ("100000.01", "100,000"), ("99999999999999999999", "补偿"), ("abc", "补偿"),
    ("-5", "负"), ("1.005", "两位小数"), ("1e309", "补偿"), ("nan", "补偿"),
])
def test_a_bad_compensation_is_refused(world, db, desk, clock, amount, message):
    c = factories.complaint(world.estate, world.users["frontdesk"], state="investigated")
    db.session.commit()
    r = step(desk, c, "propose", note="赔偿", compensation=amount)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    db.session.expire_all()
    assert c.state == "investigated" and c.compensation is None
    assert db.session.query(ComplaintStep).count() == 1


def test_a_bad_satisfaction_is_refused(world, db, desk, clock):
    c = factories.complaint(world.estate, world.users["frontdesk"], state="carried_out")
    db.session.commit()
    for value in ("0", "6", "abc", "", "3.5"):
        assert step(desk, c, "callback", satisfaction=value).status_code == 422
    db.session.expire_all()
    assert c.state == "carried_out"


def test_another_estates_complaints_are_404(world, db, desk, manager, clock):
    stranger = factories.user("frontdesk", [world.other_estate], username="b_desk")
    theirs = factories.complaint(world.other_estate, stranger, state="proposed")
    db.session.commit()
    assert desk.get(f"/complaints/{theirs.id}").status_code == 404
    assert manager.post(f"/complaints/{theirs.id}/step",
                        data={"action": "approve"}).status_code == 404
    assert desk.post(f"/complaints/{theirs.id}/sheet.pdf").status_code == 404
    assert desk.post(f"/callbacks/complaints/{theirs.id}",
                     data={"satisfaction": "5"}).status_code == 404
    assert "外人" not in desk.get("/complaints/?state=all").get_data(as_text=True)
    db.session.expire_all()
    assert theirs.state == "proposed"


def test_overdue_complaints_on_the_desk_home_and_the_managers_page(world, db, desk, manager,
                                                                   clock):
    late = factories.complaint(world.estate, world.users["frontdesk"],
                               registered_at=NOW - timedelta(days=1),
                               reply_due_at=NOW - timedelta(hours=10), content="迟迟未答复")
    factories.complaint(world.estate, world.users["frontdesk"], content="今天刚登记")
    db.session.commit()
    for client, url in ((desk, "/desk"), (manager, "/callbacks/satisfaction")):
        page = client.get(url).get_data(as_text=True)
        assert "overdue-complaints" in page, url
        # the panel of overdue complaints (the desk's duty panel lists every one waiting)
        panel = page.split('id="overdue-complaints"', 1)[1].split("</div>", 1)[0]
        assert "TS2026-000001" in panel and "TS2026-000002" not in panel, url
    # a page of search results shows the results first: the reminders stay on the desk home
    results = desk.get("/desk", query_string={"q": "无此住户"})
    assert results.status_code == 200 and "overdue-complaints" not in results.text
    # replied: no longer overdue
    assert step(desk, late, "investigate", note="已回复").status_code == 302
    page = desk.get("/desk").get_data(as_text=True)
    assert "TS2026-000001" in page  # replied late and still open: still shown
    listing = desk.get("/complaints/?state=overdue").get_data(as_text=True)
    assert "TS2026-000001" in listing and "TS2026-000002" not in listing


def test_the_printed_complaint_sheet(world, db, desk, manager, clock):
    assert register(desk).status_code == 302
    c = only_complaint(db)
    step(desk, c, "investigate", note="夜间施工属实")
    step(desk, c, "propose", note="约谈装修户", compensation="88.50")
    step(manager, c, "approve")
    pages = printed_pages(desk.post(f"/complaints/{c.id}/sheet.pdf"))
    text = squash("".join(pages))
    for expected in ("投诉处理单", "TS2026-000001", "张三", "3-2-1502", "噪音", "楼上夜间装修噪音",
                     "夜间施工属实", "约谈装修户", "88.50", "审批同意", "manager测试",
                     "frontdesk测试", "2026-11-2010:00", "投诉人", "经办人", "审批人",
                     "第1页共1页"):
        assert squash(expected) in text, expected
    again = squash("".join(printed_pages(desk.post(f"/complaints/{c.id}/sheet.pdf"))))
    assert "补打" in again


def test_the_register_by_category_and_month_and_its_xlsx(world, db, desk, clock):
    fd = world.users["frontdesk"]
    factories.complaint(world.estate, fd, category="噪音", state="closed", satisfaction=5)
    factories.complaint(world.estate, fd, category="噪音", state="closed", satisfaction=2)
    factories.complaint(world.estate, fd, category="收费", compensation=Decimal("50.00"))
    factories.complaint(world.estate, fd, category="收费",
                        registered_at=datetime(2026, 10, 5, 2, 0, tzinfo=UTC))
    db.session.commit()
    page = desk.get("/complaints/register?period=2026-11")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "TS2026-000003" in text and "TS2026-000004" not in text
    r = desk.get("/complaints/register.xlsx?period=2026-11")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(r.data))
    summary = {row[0]: row for row in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert summary["噪音"][1:4] == (2, 2, 0) and summary["噪音"][5:7] == (2, 0.5)
    assert summary["收费"][1] == 1 and summary["收费"][4] == 50
    assert summary["合计"][1] == 3
    rows = list(book["明细"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["TS2026-000001", "TS2026-000002", "TS2026-000003"]
    assert desk.get("/complaints/register?period=2026-13").status_code == 422


def test_the_unit_card_shows_complaints_and_visits(world, db, desk, clock):
    factories.complaint(world.estate, world.users["frontdesk"], unit=world.unit,
                        content="电梯噪音大")
    factories.visit(world.estate, world.users["frontdesk"], NOW, unit=world.unit,
                    name="来访李四")
    db.session.commit()
    page = desk.get(f"/desk/units/{world.unit.id}").get_data(as_text=True)
    assert "电梯噪音大" in page and "来访李四" in page
    assert f"/complaints/new?unit_id={world.unit.id}" in page
    assert f"/visitors/new?unit_id={world.unit.id}" in page
    form = desk.get(f"/complaints/new?unit_id={world.unit.id}").get_data(as_text=True)
    assert 'value="3-2-1502"' in form and 'value="张三"' in form


def test_a_manager_edits_the_categories(world, db, desk, manager, clock):
    assert manager.post("/complaints/categories", data={"name": "停车"}).status_code == 302
    assert register(desk, category="停车").status_code == 302
    assert manager.post("/complaints/categories", data={"name": "停车"}).status_code == 422
    assert manager.post("/complaints/categories",
                        data={"name": "停车", "retire": "1"}).status_code == 302
    assert register(desk, category="停车").status_code == 422
    assert desk.get("/complaints/categories").status_code == 403
