"""Key loans through the desk: lend, approval, return, overdue, lost, the slip and the chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.models import (
    AuditEvent,
    BillLine,
    FeeItem,
    Key,
    KeyAuthorisation,
    KeyCustody,
    KeyLoan,
    KeyLossReport,
)
from frontdesk.services import chain
from frontdesk.services.keys import queries
from tests import factories
from tests.pdf_text import printed_pages

#: the frozen clock of these tests: 2026-11-20 10:00 in Shanghai
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
OWNER = {"borrower_name": "张三", "borrower_phone": "13812345678", "borrower_id_tail": "4477"}
FRIEND = {"borrower_name": "李四", "borrower_phone": "13900002222", "borrower_id_tail": "123X"}
STRANGER = {"borrower_name": "王五", "borrower_phone": "13700003333", "borrower_id_tail": "5555"}


# --- test data: keys, custody and authorisations inserted directly --------------------------


def make_key(world, tag="K-3-2-1502-01", *, unit=True) -> Key:
    """A key in slot A-12: the unit's front door, or the plant room's."""
    return factories.key(world.estate, world.unit if unit else None, tag, slot="12")


def authorise(world, key, *, valid_until, revoked_at=None, **person) -> KeyAuthorisation:
    custody = factories.db.session.scalar(sa.select(KeyCustody).where(KeyCustody.key_id == key.id))
    if custody is None:
        custody = factories.custody(key, world.person, world.users["frontdesk"],
                                    NOW - timedelta(days=60))
    return factories.authorisation(custody, valid_until, person["borrower_name"],
                                   person["borrower_phone"], person["borrower_id_tail"],
                                   revoked_at=revoked_at)


@pytest.fixture
def clock(app):
    """Freeze the key views' clock at NOW; tests move it by setting the config again."""
    app.config["FRONTDESK_NOW"] = NOW
    return app.config


@pytest.fixture
def key(world, db, clock) -> Key:
    k = make_key(world)
    db.session.commit()
    return k


@pytest.fixture
def friend(world, db, key) -> KeyAuthorisation:
    a = authorise(world, key, valid_until=NOW + timedelta(days=90), **FRIEND)
    db.session.commit()
    return a


def lend(client, key, who=OWNER, **fields):
    data = {**who, "purpose": "忘带钥匙开门", "expected_return_at": "2026-11-20 18:00", **fields}
    return client.post(f"/keys/{key.id}/lend", data=data)


def loans(db) -> list[KeyLoan]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(KeyLoan).order_by(KeyLoan.seq)))


def table(response, table_id: str) -> str:
    """Return the HTML of one table of a page (flash messages left out)."""
    html = response.text
    return html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]


def slip_text(client, loan_id: int) -> str:
    response = client.post(f"/keys/loans/{loan_id}/slip.pdf")
    return "".join(printed_pages(response))


def assert_nothing_written(db, key):
    db.session.expire_all()
    assert loans(db) == []
    assert db.session.get(Key, key.id).status == "in_cabinet"
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.object_type == "key_loan")) == 0


# --- lending -------------------------------------------------------------------------------


def test_the_owner_borrows_the_key(desk, db, world, key):
    response = lend(desk, key)
    assert response.status_code == 302
    [loan] = loans(db)
    assert response.headers["Location"].endswith(f"/keys/loans/{loan.id}")
    assert (loan.borrower_kind, loan.borrower_name, loan.seq) == ("owner", "张三", 1)
    assert loan.lent_at == NOW and loan.lent_by_id == world.users["frontdesk"].id
    assert loan.expected_return_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert loan.prev_hash == "0" * 64 and len(loan.hash) == 64 and loan.return_hash is None
    assert db.session.get(Key, key.id).status == "on_loan"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "key_loan"))
    assert event.action == "lend" and event.after["borrower_name"] == "张三"
    page = desk.get(f"/keys/loans/{loan.id}").text
    assert "JY2026-000001" in page and "K-3-2-1502-01" in page and "return-form" in page


def test_the_lend_form_shows_who_may_borrow_without_approval(desk, manager, db, friend, key):
    page = desk.get(f"/keys/{key.id}/lend")
    assert page.status_code == 200
    may = page.text.split('id="may-borrow"', 1)[1].split("</ul>", 1)[0]
    assert "张三" in may and "李四" in may
    assert 'name="manager_password"' in page.text
    assert 'name="manager_password"' not in manager.get(f"/keys/{key.id}/lend").text
    assert 'id="lost-form"' in desk.get(f"/keys/{key.id}/lost").text


def test_an_authorised_person_borrows_the_key(desk, db, friend, key):
    assert lend(desk, key, FRIEND, borrower_id_tail="123x").status_code == 302
    [loan] = loans(db)
    assert loan.borrower_kind == "authorised" and loan.authorisation_id == friend.id
    assert loan.borrower_id_tail == "123X" and loan.approved_by_id is None


def test_a_stranger_is_refused_and_nothing_is_written(desk, db, friend, key):
    response = lend(desk, key, STRANGER)
    assert response.status_code == 422
    assert "既不是业主" in response.text
    assert_nothing_written(db, key)


def test_the_owners_phone_with_a_wrong_id_tail_is_a_stranger(desk, db, key):
    response = lend(desk, key, borrower_id_tail="0000")
    assert response.status_code == 422 and "既不是业主" in response.text
    assert_nothing_written(db, key)


def test_a_manager_approves_a_stranger_on_the_desk_form(desk, db, world, key):
    response = lend(desk, key, STRANGER, manager_username="manager",
                    manager_password=factories.PASSWORD, approve_reason="业主来电委托装修工人")
    assert response.status_code == 302
    [loan] = loans(db)
    assert loan.borrower_kind == "approved"
    assert loan.approved_by_id == world.users["manager"].id
    assert loan.approval_reason == "业主来电委托装修工人"
    assert loan.lent_by_id == world.users["frontdesk"].id


def test_a_manager_logged_in_approves_a_stranger_directly(manager, db, world, key):
    refused = lend(manager, key, STRANGER)
    assert refused.status_code == 422 and "请填写经理批准的理由" in refused.text
    assert_nothing_written(db, key)
    assert lend(manager, key, STRANGER, approve_reason="消防检查").status_code == 302
    [loan] = loans(db)
    assert loan.approved_by_id == world.users["manager"].id == loan.lent_by_id


@pytest.mark.parametrize(("username", "password", "message"), [
    ("manager", "wrong-password", "经理的用户名或密码不正确"),
    ("nobody", factories.PASSWORD, "经理的用户名或密码不正确"),
    ("finance", factories.PASSWORD, "无权批准本小区的钥匙借用"),
    ("frontdesk", factories.PASSWORD, "无权批准本小区的钥匙借用"),
])
def test_an_override_without_a_managers_credentials_is_refused(desk, db, key, username,
                                                              password, message):
    response = lend(desk, key, STRANGER, manager_username=username, manager_password=password,
                    approve_reason="理由")
    assert response.status_code == 422
    assert message in response.text
    assert password not in response.text or password == factories.PASSWORD
    assert_nothing_written(db, key)


def test_guessing_a_managers_password_is_stopped_after_five_tries(desk, db, key):
    for n in range(5):
        response = lend(desk, key, STRANGER, manager_username="manager",
                        manager_password=f"guess-{n}", approve_reason="理由")
        assert response.status_code == 422
    blocked = lend(desk, key, STRANGER, manager_username="manager",
                   manager_password=factories.PASSWORD, approve_reason="理由")
    assert blocked.status_code == 429 and "经理密码错误次数过多" in blocked.text
    assert_nothing_written(db, key)


def test_an_override_needs_a_reason(desk, db, key):
    response = lend(desk, key, STRANGER, manager_username="manager",
                    manager_password=factories.PASSWORD, approve_reason="  ")
    assert response.status_code == 422 and "请填写经理批准的理由" in response.text
    assert_nothing_written(db, key)


def test_an_expired_authorisation_is_refused(desk, db, world, key):
    authorise(world, key, valid_until=NOW - timedelta(days=1), **FRIEND)
    db.session.commit()
    response = lend(desk, key, FRIEND)
    assert response.status_code == 422
    assert "李四的授权已于 2026-11-19 10:00 过期" in response.text
    assert_nothing_written(db, key)


def test_a_revoked_authorisation_is_refused(desk, db, world, key):
    authorise(world, key, valid_until=NOW + timedelta(days=9),
              revoked_at=NOW - timedelta(hours=1), **FRIEND)
    db.session.commit()
    response = lend(desk, key, FRIEND)
    assert response.status_code == 422 and "李四的授权已被撤销" in response.text
    assert_nothing_written(db, key)


def test_an_authorisation_of_an_ended_custody_does_not_count(desk, db, world, friend, key):
    custody = db.session.get(KeyCustody, friend.custody_id)
    custody.ended_at = NOW - timedelta(days=1)
    db.session.commit()
    assert lend(desk, key, FRIEND).status_code == 422
    assert_nothing_written(db, key)


def test_a_pickup_for_someone_else_records_both_people(desk, db, key):
    response = lend(desk, key, proxy_name="赵六", proxy_phone="13600004444",
                    proxy_id_tail="8888")
    assert response.status_code == 302
    [loan] = loans(db)
    assert (loan.borrower_name, loan.proxy_name, loan.proxy_phone, loan.proxy_id_tail) == (
        "张三", "赵六", "13600004444", "8888")
    assert loan.content["proxy_name"] == "赵六"


def test_a_pickup_without_the_pickers_id_tail_is_refused(desk, db, key):
    response = lend(desk, key, proxy_name="赵六", proxy_phone="13600004444")
    assert response.status_code == 422 and "证件号码后四位" in response.text
    assert_nothing_written(db, key)


def test_the_unit_card_offers_lend_and_return(desk, db, world, key, clock):
    second = make_key(world, "K-3-2-1502-02")
    db.session.commit()
    card = desk.get(f"/desk/units/{world.unit.id}").text
    actions = card.split('id="unit-lend-actions"', 1)[1].split("</div>", 1)[0]
    assert f"/keys/{key.id}/lend" in actions and f"/keys/{second.id}/lend" in actions
    assert lend(desk, key, proxy_name="赵六", proxy_phone="13600004444",
                proxy_id_tail="8888").status_code == 302
    [loan] = loans(db)
    card = desk.get(f"/desk/units/{world.unit.id}")
    open_loans = table(card, "unit-open-loans")
    assert "JY2026-000001" in open_loans and "张三" in open_loans and "赵六" in open_loans
    assert f"/keys/loans/{loan.id}#return-form" in open_loans
    actions = card.text.split('id="unit-lend-actions"', 1)[1].split("</div>", 1)[0]
    assert f"/keys/{key.id}/lend" not in actions and f"/keys/{second.id}/lend" in actions


# --- bad input -----------------------------------------------------------------------------


def test_lending_a_key_already_out_is_refused(desk, db, key):
    assert lend(desk, key).status_code == 302
    response = lend(desk, key)
    assert response.status_code == 422 and "该钥匙已借出" in response.text
    assert len(loans(db)) == 1


def test_the_database_refuses_a_second_open_loan_of_a_key(desk, db, key):
    """The partial unique index holds even when the key's status says it is in the cabinet."""
    assert lend(desk, key).status_code == 302
    db.session.execute(sa.text("UPDATE key SET status = 'in_cabinet' WHERE id = :id"),
                       {"id": key.id})
    db.session.commit()
    response = lend(desk, key)
    assert response.status_code == 422 and "该钥匙已借出" in response.text
    assert len(loans(db)) == 1
    assert db.session.get(Key, key.id).status == "in_cabinet"  # the refused loan wrote nothing


@pytest.mark.parametrize(("fields", "message"), [
    ({"expected_return_at": "2026-11-20 09:00"}, "预计归还时间必须晚于现在"),
    ({"expected_return_at": "2026-12-21 10:00"}, "最多借出 30 天"),
    ({"expected_return_at": "20.11.2026 18:00"}, "请按 年-月-日 时:分 填写时间"),
    ({"expected_return_at": ""}, "请填写预计归还时间"),
    ({"borrower_id_tail": "477"}, "证件号码后四位"),
    ({"borrower_id_tail": "44777"}, "证件号码后四位"),
    ({"borrower_id_tail": "44a7"}, "证件号码后四位"),
    ({"borrower_phone": "12345"}, "电话号码格式不正确"),
    ({"purpose": "   "}, "请填写借用事由"),
    # the key has an owner to pick: neither a pick nor a typed name asks for the borrower
    ({"borrower_name": ""}, "请选择借用人"),
])
def test_bad_input_is_refused_and_nothing_is_written(desk, db, key, fields, message):
    response = lend(desk, key, **fields)
    assert response.status_code == 422
    assert message in response.text, response.text
    assert_nothing_written(db, key)


def test_html_in_the_purpose_is_shown_as_text(desk, db, key):
    assert lend(desk, key, purpose="<script>alert(1)</script>").status_code == 302
    [loan] = loans(db)
    page = desk.get(f"/keys/loans/{loan.id}").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_another_estates_key_and_loan_are_not_found(desk, db, world, clock):
    other_building = factories.building(world.other_estate, "9")
    other_unit = factories.unit(other_building, "1", 1, "101")
    other_key = Key(estate_id=world.other_estate.id, tag="X-1", unit_id=other_unit.id,
                    kind="入户门", status="in_cabinet")
    db.session.add(other_key)
    db.session.commit()
    assert lend(desk, other_key).status_code == 404
    assert desk.get(f"/keys/{other_key.id}/lost").status_code == 404


# --- returning -----------------------------------------------------------------------------


def test_the_key_comes_back(desk, db, world, key, clock):
    assert lend(desk, key).status_code == 302
    [loan] = loans(db)
    clock["FRONTDESK_NOW"] = NOW + timedelta(hours=2)
    response = desk.post(f"/keys/loans/{loan.id}/return",
                         data={"returned_at": "2026-11-20 11:30", "condition": "完好"})
    assert response.status_code == 302
    [loan] = loans(db)
    assert loan.returned_at == datetime(2026, 11, 20, 3, 30, tzinfo=UTC)
    assert loan.return_condition == "完好"
    assert loan.returned_to_id == world.users["frontdesk"].id
    assert loan.return_hash == chain.last_link("key_loans", loan.estate_id).hash
    assert db.session.get(Key, key.id).status == "in_cabinet"
    assert db.session.scalar(sa.select(AuditEvent.id).where(
        AuditEvent.object_type == "key_loan", AuditEvent.action == "return"))
    again = desk.post(f"/keys/loans/{loan.id}/return",
                      data={"returned_at": "2026-11-20 11:30", "condition": "完好"})
    assert again.status_code == 422 and "已归还" in again.text
    assert lend(desk, key).status_code == 302  # in the cabinet again: it can be lent again


def test_a_damaged_key_needs_a_note(desk, db, key, clock):
    assert lend(desk, key).status_code == 302
    [loan] = loans(db)
    url = f"/keys/loans/{loan.id}/return"
    refused = desk.post(url, data={"returned_at": "2026-11-20 10:00", "condition": "损坏"})
    assert refused.status_code == 422 and "请说明损坏情况" in refused.text
    assert desk.post(url, data={"returned_at": "2026-11-20 10:00", "condition": "损坏",
                                "note": "齿口弯曲"}).status_code == 302
    assert loans(db)[0].return_condition == "损坏：齿口弯曲"


@pytest.mark.parametrize(("returned_at", "message"), [
    ("2026-11-20 09:59", "归还时间不能早于借出时间"),
    ("2026-11-20 12:01", "归还时间不能晚于现在"),
    ("2026-11-20", "请按 年-月-日 时:分 填写时间"),
])
def test_a_bad_return_time_is_refused(desk, db, key, clock, returned_at, message):
    assert lend(desk, key).status_code == 302
    [loan] = loans(db)
    clock["FRONTDESK_NOW"] = NOW + timedelta(hours=2)
    response = desk.post(f"/keys/loans/{loan.id}/return",
                         data={"returned_at": returned_at, "condition": "完好"})
    assert response.status_code == 422 and message in response.text
    [loan] = loans(db)
    assert loan.returned_at is None and loan.return_hash is None
    assert db.session.get(Key, key.id).status == "on_loan"


# --- overdue -------------------------------------------------------------------------------


def test_overdue_loans_are_listed_with_how_late_they_are(desk, manager, db, world, key, clock):
    second = make_key(world, "K-3-2-1502-02")
    db.session.commit()
    assert lend(desk, key).status_code == 302  # back by 2026-11-20 18:00
    assert lend(desk, second, expected_return_at="2026-11-23 18:00").status_code == 302
    clock["FRONTDESK_NOW"] = datetime(2026, 11, 22, 13, 30, tzinfo=UTC)  # 11-22 21:30 local

    [late] = queries.overdue_loans(world.estate.id, clock["FRONTDESK_NOW"])
    assert (late.key.tag, late.days, late.hours, late.where) == ("K-3-2-1502-01", 2, 3, "3-2-1502")
    overdue = table(desk.get("/keys/loans/overdue"), "overdue-loans")
    assert "K-3-2-1502-01" in overdue and "2 天 3 小时" in overdue
    assert "K-3-2-1502-02" not in overdue
    for client in (desk, manager):  # the desk screen of the front desk and of the manager
        page = client.get("/desk").text
        assert "overdue-panel" in page and "2 天 3 小时" in page and "JY2026-000001" in page
    # a page of search results shows the results first: the reminders stay on the desk home
    results = desk.get("/desk", query_string={"q": "无此住户"})
    assert results.status_code == 200 and "overdue-panel" not in results.text
    open_page = table(desk.get("/keys/loans"), "open-loans")
    assert "K-3-2-1502-01" in open_page and "K-3-2-1502-02" in open_page


def test_the_desk_screen_shows_no_panel_when_nothing_is_overdue(desk, db, key, clock):
    assert lend(desk, key).status_code == 302
    assert "overdue-panel" not in desk.get("/desk").text


def test_finance_sees_no_overdue_panel(as_role, desk, db, key, clock):
    assert lend(desk, key).status_code == 302
    clock["FRONTDESK_NOW"] = NOW + timedelta(days=3)
    assert "overdue-panel" not in as_role("finance").get("/desk").text


# --- lost keys -----------------------------------------------------------------------------


def test_a_lost_key_is_reported_charged_and_cannot_be_lent(desk, db, world, key, clock):
    assert lend(desk, key).status_code == 302
    [loan] = loans(db)
    clock["FRONTDESK_NOW"] = NOW + timedelta(hours=5)
    response = desk.post(f"/keys/{key.id}/lost", data={
        "circumstances": "借用人在小区外遗失", "charge_amount": "80"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Key, key.id).status == "lost"
    report = db.session.scalar(sa.select(KeyLossReport))
    assert report.loan_id == loan.id and report.circumstances == "借用人在小区外遗失"
    [loan] = loans(db)
    assert loan.returned_at == NOW + timedelta(hours=5) and loan.return_condition == "遗失"
    item = db.session.scalar(sa.select(FeeItem).where(FeeItem.code == "YSBP"))
    assert (item.name, item.method, item.active) == ("钥匙补配费", "fixed", False)
    line = db.session.get(BillLine, report.bill_line_id)
    assert (line.unit_id, line.fee_item_id, line.period, line.kind, line.amount) == (
        world.unit.id, item.id, "2026-11", "adjustment", Decimal("80.00"))
    assert "K-3-2-1502-01" in line.reason
    refused = lend(desk, key)
    assert refused.status_code == 422 and "该钥匙已报失" in refused.text
    assert len(loans(db)) == 1
    assert chain.verify().ok


def test_a_key_in_the_cabinet_is_reported_lost_without_a_charge(desk, db, key):
    assert desk.post(f"/keys/{key.id}/lost",
                     data={"circumstances": "盘点时未找到"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Key, key.id).status == "lost"
    assert db.session.scalar(sa.select(KeyLossReport)).bill_line_id is None
    assert db.session.scalar(sa.select(sa.func.count(BillLine.id))) == 0
    again = desk.post(f"/keys/{key.id}/lost", data={"circumstances": "再报一次"})
    assert again.status_code == 422 and "已报失" in again.text


@pytest.mark.parametrize(("fields", "message"), [
    ({"circumstances": "", "charge_amount": "80"}, "请说明钥匙是如何遗失的"),
    ({"circumstances": "丢了", "charge_amount": "-5"}, "金额必须大于 0"),
    ({"circumstances": "丢了", "charge_amount": "abc"}, "请按元填写金额"),
    ({"circumstances": "丢了", "charge_amount": "20000"}, "补配费不能超过 10,000 元"),
])
def test_a_bad_loss_report_writes_nothing(desk, db, key, fields, message):
    response = desk.post(f"/keys/{key.id}/lost", data=fields)
    assert response.status_code == 422 and message in response.text
    db.session.expire_all()
    assert db.session.get(Key, key.id).status == "in_cabinet"
    assert db.session.scalar(sa.select(sa.func.count(KeyLossReport.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(FeeItem.id))) == 0


def test_a_public_area_key_cannot_be_charged_to_a_unit(desk, db, world, clock):
    area_key = make_key(world, "G-3-01", unit=False)
    db.session.commit()
    response = desk.post(f"/keys/{area_key.id}/lost",
                         data={"circumstances": "丢失", "charge_amount": "50"})
    assert response.status_code == 422 and "公共区域" in response.text
    assert db.session.get(Key, area_key.id).status == "in_cabinet"


# --- the slip ------------------------------------------------------------------------------


def test_the_loan_slip_is_read_back_and_reprints_are_marked(desk, db, key, clock):
    assert lend(desk, key, proxy_name="赵六", proxy_phone="13600004444",
                proxy_id_tail="8888").status_code == 302
    [loan] = loans(db)
    text = slip_text(desk, loan.id)
    for expected in ("钥匙借用单", "JY2026-000001", "K-3-2-1502-01", "3-2-1502", "张三",
                     "138****5678", "4477", "赵六", "136****4444", "忘带钥匙开门",
                     "2026-11-20 10:00", "2026-11-20 18:00", "借用人", "经办人", "归还确认"):
        assert expected in text, expected
    # the phones are masked as on the custody voucher
    assert "13812345678" not in text and "13600004444" not in text
    assert "补打" not in text
    clock["FRONTDESK_NOW"] = NOW + timedelta(hours=3)
    desk.post(f"/keys/loans/{loan.id}/return",
              data={"returned_at": "2026-11-20 12:45", "condition": "完好"})
    again = slip_text(desk, loan.id)
    assert "补打" in again and "2026-11-20 12:45" in again and "完好" in again
    assert loans(db)[0].print_count == 2


def test_an_approved_loan_slip_names_the_manager(desk, db, key):
    lend(desk, key, STRANGER, manager_username="manager", manager_password=factories.PASSWORD,
         approve_reason="物业检修")
    [loan] = loans(db)
    text = slip_text(desk, loan.id)
    assert "王五" in text and "批准" in text and "物业检修" in text and "managerTEST" not in text


# --- the chain -----------------------------------------------------------------------------


def test_verify_receipts_names_an_altered_loan(desk, db, world, runner, key, clock):
    second = make_key(world, "K-3-2-1502-02")
    db.session.commit()
    assert lend(desk, key).status_code == 302
    assert lend(desk, second).status_code == 302
    first, other = loans(db)
    desk.post(f"/keys/loans/{first.id}/return",
              data={"returned_at": "2026-11-20 10:00", "condition": "完好"})
    ok = runner.invoke(args=["verify-receipts"])
    assert ok.exit_code == 0 and "OK: 2 key loans" in ok.output and "receipts" in ok.output
    assert other.prev_hash == first.hash

    db.session.execute(sa.text("UPDATE key_loan SET borrower_name = '李四' WHERE id = :id"),
                       {"id": first.id})
    db.session.commit()
    result = runner.invoke(args=["verify-receipts"])
    assert result.exit_code == 1
    assert "ALTERED: key loan JY2026-000001" in result.output
    assert "JY2026-000002" not in result.output


def test_verify_sees_an_altered_return(desk, db, key, clock):
    assert lend(desk, key).status_code == 302
    [loan] = loans(db)
    desk.post(f"/keys/loans/{loan.id}/return",
              data={"returned_at": "2026-11-20 10:00", "condition": "完好"})
    assert chain.verify().ok
    db.session.execute(sa.text("UPDATE key_loan SET return_condition = '损坏' WHERE id = :id"),
                       {"id": loan.id})
    db.session.commit()
    [problem] = chain.verify().problems
    assert problem.record_id == loan.id and "return" in problem.message


def test_verify_sees_a_deleted_loan(desk, db, world, key, clock):
    tags = ["K-3-2-1502-02", "K-3-2-1502-03"]
    others = [make_key(world, t) for t in tags]
    db.session.commit()
    for k in (key, *others):
        assert lend(desk, k).status_code == 302
    ids = [loan.id for loan in loans(db)]
    db.session.execute(sa.text("DELETE FROM key_loan WHERE id = :id"), {"id": ids[1]})
    db.session.commit()
    [problem] = chain.verify().problems
    assert problem.label == "JY2026-000002" and "deleted" in problem.message
