"""The duty log through HTTP: a day of two shifts, calls, the handover, the lock and the chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from frontdesk.models import (
    ChainEntry,
    DutyEntry,
    DutyHandoverItem,
    DutyShift,
    DutyShiftStaff,
    LoginFailureCount,
    WorkOrder,
)
from frontdesk.services.fees import payments as fee_payments
from frontdesk.services.fees import receipts
from frontdesk.services.keys import loans
from frontdesk.services.workorders import crew
from tests import factories
from tests.conftest import count, login, pay, statements
from tests.pdf_text import printed_pages, squash

#: 2026-12-01 in Shanghai: 白班 08:30–17:30 is 00:30–09:30 UTC, 晚班 17:00–01:00 is 09:00–17:00
MORNING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 local
HANDOVER = datetime(2026, 12, 1, 9, 20, tzinfo=UTC)  # 17:20 local
EVENING = datetime(2026, 12, 1, 9, 40, tzinfo=UTC)  # 17:40 local


@pytest.fixture
def clock(app):
    app.config["FRONTDESK_NOW"] = MORNING
    yield app.config
    app.config.pop("FRONTDESK_NOW", None)


@pytest.fixture
def night(app, world, db):
    """The incoming member of the desk, on the 晚班."""
    user = factories.user("frontdesk", [world.estate], username="night", full_name="夜班乙")
    db.session.commit()
    return user


def entry_form(**kw) -> dict:
    data = {"kind": "巡查", "at": "2026-12-01 09:40", "content": "巡查3号楼大堂，消防通道畅通。",
            "handling": "", "caller_name": "", "caller_phone": "", "call_result": "",
            "unit_code": "", "person": "", "work_order_no": "", "key_loan_no": "",
            "priority": "normal", "category_id": "", "area": ""}
    data.update(kw)
    return data


def handover_form(**kw) -> dict:
    data = {"items": [], "notes": "", "handover_note": "", "cash_counted": "0",
            "cash_note": "", "incoming_username": "night", "incoming_password": factories.PASSWORD}
    data.update(kw)
    return data


def the_shift(db, name: str) -> DutyShift:
    return db.session.scalar(sa.select(DutyShift).where(DutyShift.name == name))


def category_id(world) -> str:
    return str(next(c.id for c in crew.categories(world.estate.id) if c.name == "水电"))


@pytest.fixture
def day(app, db, world, desk, night, clock, monkeypatch):
    """A 白班 with a patrol, a call that opened a work order, a key out and cash taken."""
    assert desk.get("/duty/").status_code == 302
    assert desk.post("/duty/entries/new", data=entry_form()).status_code == 302
    call = entry_form(kind="来电", at="2026-12-01 09:55", caller_name="张三",
                      caller_phone="13812345678", content="厨房水管漏水，请派人维修。",
                      call_result="已登记，工程部上门", unit_code=world.unit.code,
                      person="张三", open_work_order="y", category_id=category_id(world))
    response = desk.post("/duty/entries/new", data=call)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    key = factories.key(world.estate, world.unit)
    db.session.commit()
    loan = loans.lend_key(world.users["frontdesk"], key, borrower_name="张三",
                          borrower_phone="13812345678", borrower_id_tail="4477", purpose="装修",
                          expected_return_at=MORNING + timedelta(hours=10), now=MORNING)
    # payments and receipts are stamped with the real clock: stop it inside the frozen shift
    for module in (fee_payments, receipts):
        monkeypatch.setattr(module, "utcnow", lambda: MORNING + timedelta(minutes=30))
    assert pay(desk, world.unit, "120.00", method="cash", purpose="prepaid").status_code == 302
    assert pay(desk, world.unit, "80.00", method="wechat", purpose="prepaid").status_code == 302
    clock["FRONTDESK_NOW"] = HANDOVER
    return {"shift": the_shift(db, "白班"), "loan": loan,
            "order": db.session.scalar(sa.select(WorkOrder))}


def hand_over(desk, day, **kw):
    return desk.post(f"/duty/shifts/{day['shift'].id}/handover", data=handover_form(**kw))


# the day of two shifts --------------------------------------------------------------------------


def test_the_first_login_of_a_shift_opens_it_and_later_staff_join(app, db, world, desk, night,
                                                                  clock):
    response = desk.get("/desk")
    assert response.status_code == 200
    assert "duty-panel" in response.get_data(as_text=True)
    shift = the_shift(db, "白班")
    assert shift.day.isoformat() == "2026-12-01" and shift.state == "open"
    assert shift.opened_by_id == world.users["frontdesk"].id
    c = app.test_client()
    login(c, "night")
    assert c.get("/duty/").headers["Location"].endswith(f"/duty/shifts/{shift.id}")
    assert count(db, DutyShiftStaff, DutyShiftStaff.shift_id == shift.id) == 2
    assert count(db, DutyShift) == 1


def test_search_pages_join_the_shift_once_and_again_when_it_has_ended(db, world, desk, clock):
    """The first page of results joins the 白班; later ones skip it (three statements each)
    until the 白班 ends; the next page of results then joins the 晚班."""
    assert desk.get("/desk", query_string={"q": "无此住户"}).status_code == 200
    day_shift = the_shift(db, "白班")
    assert count(db, DutyShiftStaff, DutyShiftStaff.shift_id == day_shift.id) == 1
    with statements(db) as again:
        assert desk.get("/desk", query_string={"q": "无此住户"}).status_code == 200
    assert not [s for s in again if "duty_shift" in s], again
    clock["FRONTDESK_NOW"] = EVENING  # 17:40: the 白班 ended at 17:30
    assert desk.get("/desk", query_string={"q": "无此住户"}).status_code == 200
    night_shift = the_shift(db, "晚班")
    assert night_shift is not None
    assert count(db, DutyShiftStaff, DutyShiftStaff.shift_id == night_shift.id,
                 DutyShiftStaff.user_id == world.users["frontdesk"].id) == 1


def test_a_call_opens_a_work_order_in_the_same_step(db, world, desk, day):
    order = day["order"]
    call = db.session.scalar(sa.select(DutyEntry).where(DutyEntry.kind == "来电"))
    assert order.source == "电话" and order.reporter_name == "张三"
    assert order.unit_id == world.unit.id and order.origin == "duty_entry"
    assert order.origin_id == call.id and call.work_order_id == order.id
    assert call.person_id == world.person.id and call.shift_id == day["shift"].id
    page = desk.get(f"/duty/shifts/{day['shift'].id}").get_data(as_text=True)
    assert "厨房水管漏水" in page and "GD2026-000001" in page and "已登记，工程部上门" in page


def test_a_call_whose_work_order_is_refused_writes_neither(db, world, desk, day):
    call = entry_form(kind="来电", at="2026-12-01 10:05", caller_name="李四",
                      caller_phone="13900001111", content="楼道灯不亮", open_work_order="y",
                      category_id="")
    response = desk.post("/duty/entries/new", data=call)
    assert response.status_code == 422
    assert count(db, DutyEntry) == 2 and count(db, WorkOrder) == 1


def test_the_handover_shows_pending_items_and_the_shifts_takings(desk, day):
    page = desk.get(f"/duty/shifts/{day['shift'].id}/handover").get_data(as_text=True)
    assert f"key_loan:{day['loan'].id}" in page and f"work_order:{day['order'].id}" in page
    assert "120.00" in page and "80.00" in page and "200.00" in page
    assert 'data-expected="120.00"' in page


def test_a_wrong_password_or_the_outgoing_person_is_refused_and_counted(db, desk, day):
    wrong = hand_over(desk, day, incoming_password="not-the-password",
                      items=[f"key_loan:{day['loan'].id}"], cash_counted="110.00")
    assert wrong.status_code == 422
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    themself = hand_over(desk, day, incoming_username="frontdesk")
    assert themself.status_code == 422
    assert "不能确认自己的交班" in themself.get_data(as_text=True)
    engineer = hand_over(desk, day, incoming_username="engineering")
    assert engineer.status_code == 422
    assert "不是本小区的前台人员" in engineer.get_data(as_text=True)
    db.session.expire_all()
    assert day["shift"].state == "open" and day["shift"].locked_at is None
    assert count(db, DutyHandoverItem) == 0 and count(db, ChainEntry,
                                                       ChainEntry.chain == "duty_shifts") == 0
    assert db.session.scalar(sa.select(sa.func.sum(LoginFailureCount.count))) >= 2


def test_the_handover_locks_the_shift_with_items_and_cash_over_or_short(db, world, desk, night,
                                                                        day, clock, app):
    response = hand_over(desk, day, items=[f"key_loan:{day['loan'].id}",
                                           f"work_order:{day['order'].id}"],
                         notes="3号楼电梯异响，已报维保\n明早催收 5 号楼水费",
                         cash_counted="110.00", cash_note="少10元待查")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    shift = day["shift"]
    assert shift.state == "locked" and shift.received_by_id == night.id
    assert shift.handed_over_by_id == world.users["frontdesk"].id
    assert str(shift.cash_expected) == "120.00" and str(shift.cash_counted) == "110.00"
    texts = [i.text for i in shift.items]
    assert len(texts) == 4 and "3号楼电梯异响，已报维保" in texts
    page = desk.get(f"/duty/shifts/{shift.id}").get_data(as_text=True)
    assert "短款" in page or "Short" in page
    # the 晚班 opens with what was handed over at its head
    clock["FRONTDESK_NOW"] = EVENING
    c = app.test_client()
    login(c, "night")
    evening = c.get("/duty/")
    assert evening.status_code == 302
    page = c.get(evening.headers["Location"]).get_data(as_text=True)
    assert "handed-over" in page and "3号楼电梯异响，已报维保" in page
    assert "晚班" in page
    assert "3号楼电梯异响" in c.get("/desk").get_data(as_text=True)
    # a second handover of the same shift is refused
    again = hand_over(desk, day, incoming_username="night")
    assert again.status_code == 422 and count(db, DutyHandoverItem) == 4


def test_a_locked_shift_takes_addenda_only(db, desk, night, day):
    assert hand_over(desk, day, cash_counted="120").status_code == 302
    entry = db.session.scalar(sa.select(DutyEntry).where(DutyEntry.kind == "巡查"))
    edit = desk.post(f"/duty/entries/{entry.id}/edit",
                     data=entry_form(content="改写过的内容"))
    assert edit.status_code == 422 and "锁定" in edit.get_data(as_text=True)
    dated = desk.post("/duty/entries/new", data=entry_form(at="2026-12-01 16:00",
                                                          content="补登的记录"))
    assert dated.status_code == 422 and "锁定" in dated.get_data(as_text=True)
    db.session.expire_all()
    assert entry.content == "巡查3号楼大堂，消防通道畅通。" and count(db, DutyEntry) == 2
    added = desk.post(f"/duty/entries/{entry.id}/addendum",
                      data={"content": "补充：2号消防栓压力偏低，已报工程部。"})
    assert added.status_code == 302
    addendum = db.session.scalar(sa.select(DutyEntry).where(DutyEntry.addendum_of_id == entry.id))
    assert addendum.after_handover and addendum.shift_id == entry.shift_id
    page = desk.get(f"/duty/shifts/{entry.shift_id}").get_data(as_text=True)
    assert "2号消防栓压力偏低" in page


def test_verify_chains_names_a_tampered_locked_shift(db, runner, desk, night, day):
    assert hand_over(desk, day, cash_counted="120").status_code == 302
    entry = db.session.scalar(sa.select(DutyEntry).where(DutyEntry.kind == "巡查"))
    assert desk.post(f"/duty/entries/{entry.id}/addendum",
                     data={"content": "交班后补记"}).status_code == 302
    ok = runner.invoke(args=["verify-chains"])
    assert ok.exit_code == 0, ok.output
    assert "OK: 1 duty shifts" in ok.output
    db.session.execute(sa.update(DutyEntry).where(DutyEntry.id == entry.id)
                       .values(content="被人改过"))
    db.session.commit()
    bad = runner.invoke(args=["verify-chains"])
    assert bad.exit_code == 1
    assert "ALTERED: duty shift 2026-12-01 白班" in bad.output, bad.output


def test_verify_names_a_shift_whose_cash_was_changed(db, runner, desk, night, day):
    assert hand_over(desk, day, cash_counted="100").status_code == 302
    db.session.execute(sa.update(DutyShift).values(cash_counted=120))
    db.session.commit()
    assert "ALTERED: duty shift 2026-12-01 白班" in runner.invoke(args=["verify-chains"]).output


def test_both_printed_documents_read_back(db, world, desk, night, day):
    assert hand_over(desk, day, items=[f"key_loan:{day['loan'].id}"], notes="电梯异响",
                     cash_counted="130.00").status_code == 302
    log = "".join(squash(p) for p in printed_pages(desk.get("/duty/log.pdf?day=2026-12-01")))
    for text in ("值班记录", "2026-12-01", "白班", "巡查3号楼大堂", "厨房水管漏水", "GD2026-000001",
                 "借出钥匙", "电梯异响", "交班人", "接班人", "值班主管", "夜班乙", "长款¥10.00"):
        assert squash(text) in log, text
    slip = "".join(squash(p) for p in printed_pages(
        desk.get(f"/duty/shifts/{day['shift'].id}/slip.pdf")))
    for text in ("交班收款单", "收款汇总", "收据明细", "现金", "微信", "120.00", "80.00",
                 "应有现金", "¥120.00", "实点现金", "¥130.00", "长款¥10.00", "交班人（收款员）"):
        assert squash(text) in slip, text


# finding entries, shift times ------------------------------------------------------------------


def test_entries_are_found_by_date_kind_unit_and_text(desk, day):
    def found(**q):
        return desk.get("/duty/entries", query_string=q).get_data(as_text=True)

    assert "厨房水管漏水" in found(kind="来电") and "消防通道" not in found(kind="来电")
    assert "厨房水管漏水" in found(unit_code="3-2") and "消防通道" not in found(unit_code="3-2")
    assert "消防通道" in found(q="消防") and "厨房水管漏水" not in found(q="消防")
    assert "消防通道" in found(start="2026-12-01", end="2026-12-01")
    assert "消防通道" not in found(start="2026-12-02")
    bad = desk.get("/duty/entries", query_string={"start": "2026-13-45"})
    assert bad.status_code == 422


def test_a_manager_sets_the_shift_times_and_the_desk_may_not(db, world, manager, desk, clock):
    assert desk.get("/duty/settings").status_code == 403
    page = manager.get("/duty/settings").get_data(as_text=True)
    assert "白班" in page and "晚班" in page
    response = manager.post("/duty/settings", data={"name": "中班", "start": "12:00",
                                                     "end": "20:00", "sort_order": "1",
                                                     "active": "y"})
    assert response.status_code == 302
    bad = manager.post("/duty/settings", data={"name": "夜班", "start": "25:00", "end": "08:00"})
    assert bad.status_code == 422 and "08:30" in bad.get_data(as_text=True)
    same = manager.post("/duty/settings", data={"name": "夜班", "start": "08:00", "end": "08:00"})
    assert same.status_code == 422


def test_a_shift_that_crosses_midnight_takes_entries_after_midnight(db, desk, clock):
    clock["FRONTDESK_NOW"] = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # 12-02 00:30 local
    response = desk.post("/duty/entries/new", data=entry_form(at="2026-12-02 00:20",
                                                             content="夜间巡查"))
    assert response.status_code == 302
    shift = db.session.scalar(sa.select(DutyShift))
    assert shift.name == "晚班" and shift.day.isoformat() == "2026-12-01"


# bad input and other estates -------------------------------------------------------------------


@pytest.mark.parametrize("changes", [
    {"content": ""}, {"content": "x" * 4001}, {"kind": "吵架"}, {"at": "2026-13-01 09:00"},
    {"at": "2026-12-01 12:00"},  # in the future (it is 10:00)
    {"unit_code": "99-9-9999"}, {"work_order_no": "GD2026-999999"},
    {"key_loan_no": "' OR '1'='1' --"}, {"kind": "来电", "caller_name": ""},
    {"kind": "来电", "caller_name": "张三", "caller_phone": "12abc"},
])
def test_bad_entries_get_a_message_and_write_nothing(db, desk, clock, changes):
    response = desk.post("/duty/entries/new", data=entry_form(**changes))
    assert response.status_code == 422
    assert count(db, DutyEntry) == 0


def test_markup_in_an_entry_is_kept_as_text(db, desk, clock):
    text = "<script>alert(1)</script> '; DROP TABLE duty_entry; --"
    assert desk.post("/duty/entries/new", data=entry_form(content=text)).status_code == 302
    shift = db.session.scalar(sa.select(DutyShift))
    page = desk.get(f"/duty/shifts/{shift.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert db.session.scalar(sa.select(DutyEntry.content)) == text


@pytest.mark.parametrize("changes", [{"cash_counted": ""}, {"cash_counted": "-5"},
                                     {"cash_counted": "abc"}, {"cash_counted": "1.005"},
                                     {"items": ["work_order:999999"]},
                                     {"notes": "x" * 501}, {"incoming_password": ""}])
def test_a_bad_handover_writes_nothing(db, desk, night, day, changes):
    response = hand_over(desk, day, **changes)
    assert response.status_code == 422
    db.session.expire_all()
    assert day["shift"].state == "open" and count(db, DutyHandoverItem) == 0


def test_another_estates_shifts_and_entries_are_404(app, db, world, desk, clock):
    other_desk = factories.user("frontdesk", [world.other_estate], username="other_desk")
    db.session.commit()
    c = app.test_client()
    login(c, "other_desk")
    assert c.post("/duty/entries/new", data=entry_form()).status_code == 302
    shift = db.session.scalar(sa.select(DutyShift))
    entry = db.session.scalar(sa.select(DutyEntry))
    assert shift.estate_id == world.other_estate.id and other_desk.id
    for url in (f"/duty/shifts/{shift.id}", f"/duty/shifts/{shift.id}/slip.pdf",
                f"/duty/shifts/{shift.id}/handover", f"/duty/entries/{entry.id}/edit",
                f"/duty/entries/{entry.id}/addendum"):
        assert desk.get(url).status_code == 404, url
    assert desk.post(f"/duty/entries/{entry.id}/addendum",
                     data={"content": "x"}).status_code == 404
    assert "消防通道" not in desk.get("/duty/entries").get_data(as_text=True)
    assert count(db, DutyEntry) == 1


# calls that register complaints -----------------------------------------------------------------


def test_a_call_registers_a_complaint_in_the_same_step(db, world, desk, day):
    from frontdesk.models import Complaint

    call = entry_form(kind="来电", at="2026-12-01 10:15", caller_name="王五",
                      caller_phone="13700002222", content="楼上装修噪音太大，晚上十点还在施工。",
                      unit_code=world.unit.code, open_complaint="y",
                      complaint_category="噪音", complaint_request="请物业制止夜间施工")
    response = desk.post("/duty/entries/new", data=call)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    complaint = db.session.scalar(sa.select(Complaint))
    entry = db.session.scalar(sa.select(DutyEntry).where(DutyEntry.caller_name == "王五"))
    assert entry.complaint_id == complaint.id
    assert (complaint.name, complaint.phone, complaint.channel) == ("王五", "13700002222", "电话")
    assert complaint.unit_id == world.unit.id and complaint.category == "噪音"
    assert complaint.request == "请物业制止夜间施工"
    page = desk.get(f"/duty/shifts/{day['shift'].id}").get_data(as_text=True)
    from frontdesk.services.complaints.complaints import complaint_number

    assert complaint_number(complaint) in page
    # the handover offers it as a complaint waiting
    handover_page = desk.get(f"/duty/shifts/{day['shift'].id}/handover").get_data(as_text=True)
    assert f"complaint:{complaint.id}" in handover_page


def test_a_call_whose_complaint_is_refused_writes_neither(db, world, desk, day):
    from frontdesk.models import Complaint

    entries_before = count(db, DutyEntry)
    call = entry_form(kind="来电", at="2026-12-01 10:15", caller_name="王五",
                      caller_phone="13700002222", content="噪音", open_complaint="y",
                      complaint_category="")
    response = desk.post("/duty/entries/new", data=call)
    assert response.status_code == 422 and "请选择类别" in response.get_data(as_text=True)
    # a patrol registers no complaint
    patrol = entry_form(open_complaint="y", complaint_category="噪音")
    response = desk.post("/duty/entries/new", data=patrol)
    assert response.status_code == 422
    assert count(db, DutyEntry) == entries_before and count(db, Complaint) == 0
