"""The key register and key custody: keys, bulk registration, deposit, authorisations, take-back."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import (
    AuditEvent,
    Deposit,
    Key,
    KeyAuthorisation,
    KeyCustody,
    Payment,
    Receipt,
    Refund,
)
from frontdesk.models.base import utcnow
from tests import factories
from tests.conftest import count
from tests.pdf_text import printed_pages, squash


def make_key(estate, unit, tag="3-2-1502-RHM-01", **kw) -> Key:
    """A unit's key, tagged as this register numbers them, committed."""
    key = factories.key(estate, unit, tag, **kw)
    db.session.commit()
    return key


def local(dt: datetime) -> str:
    """Write a UTC time as the Asia/Shanghai local time a form takes."""
    return (dt + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def key(world):
    return make_key(world.estate, world.unit)


def deposit_form(world, **over) -> dict:
    data = {"depositor": f"person:{world.person.id}", "copies": "2", "deposit_amount": "",
            "method": "cash", "note": "", "idempotency_key": secrets.token_hex(16)}
    data.update(over)
    return data


@pytest.fixture
def custody(world, key, desk):
    """The owner's key in custody with a deposit of 200 yuan taken in cash."""
    r = desk.post(f"/keys/{key.id}/deposit", data=deposit_form(world, deposit_amount="200"))
    assert r.status_code == 302, r.text[:2000]
    return db.session.scalar(sa.select(KeyCustody).where(KeyCustody.key_id == key.id))


def authorise_form(**over) -> dict:
    data = {"name": "李四", "phone": "13900001234", "id_tail": "123x",
            "valid_until": local(utcnow() + timedelta(days=30))}
    data.update(over)
    return data


# --- the key register ------------------------------------------------------------------------


def test_front_desk_registers_a_key_of_a_unit(world, desk):
    r = desk.post("/keys/new", data={"tag": " 3-2-1502-rhm-01 ", "unit_code": "3-2-1502",
                                     "kind": "入户门", "copies": "2", "cabinet": "A",
                                     "slot": "12"})
    assert r.status_code == 302
    key = db.session.scalar(sa.select(Key))
    assert (key.tag, key.unit_id, key.kind, key.copies, key.cabinet, key.slot, key.status) == (
        "3-2-1502-RHM-01", world.unit.id, "入户门", 2, "A", "12", "in_cabinet")
    assert r.headers["Location"].endswith(f"/keys/{key.id}")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "key"))
    assert event.action == "create" and event.after["tag"] == "3-2-1502-RHM-01"
    page = desk.get(f"/keys/{key.id}").text
    assert "3-2-1502-RHM-01" in page and "在柜" in page


def test_a_key_of_a_public_area_needs_no_unit(world, desk):
    r = desk.post("/keys/new", data={"tag": "SBJ-3", "area": "3号楼设备间", "kind": "设备间",
                                     "copies": "1"})
    assert r.status_code == 302
    key = db.session.scalar(sa.select(Key))
    assert key.unit_id is None and key.area == "3号楼设备间"


def test_a_tag_that_exists_is_refused_and_nothing_is_written(world, key, desk):
    events = count(db, AuditEvent)
    r = desk.post("/keys/new", data={"tag": "3-2-1502-rhm-01", "unit_code": "3-2-1502",
                                     "kind": "信箱", "copies": "1"})
    assert r.status_code == 422
    assert "钥匙编号 3-2-1502-RHM-01 在本小区已登记" in r.text
    assert count(db, Key) == 1 and count(db, AuditEvent) == events
    assert 'value="3-2-1502-rhm-01"' in r.text  # the form keeps what was typed


@pytest.mark.parametrize("data, message", [
    ({"unit_code": "9-9-999"}, "本小区没有房号 9-9-999"),
    ({"unit_code": "", "area": ""}, "请填写钥匙所属房号，或所属公共区域"),
    ({"area": "大堂"}, "不能同时填写"),
    ({"copies": "abc"}, "份数应为 1 到 99 的整数"),
    ({"copies": "0"}, "份数应为 1 到 99 的整数"),
    ({"copies": "99999999999"}, "份数应为 1 到 99 的整数"),
    ({"tag": "<script>alert(1)</script>"}, "钥匙编号最多 32 位"),
    ({"tag": "x' OR 1=1 --"}, "钥匙编号最多 32 位"),
])
def test_bad_key_input_gets_a_clear_message_and_writes_nothing(world, desk, data, message):
    form = {"tag": "K-1", "unit_code": "3-2-1502", "kind": "入户门", "copies": "1"}
    form.update(data)
    r = desk.post("/keys/new", data=form)
    assert r.status_code == 422
    assert message in r.text
    assert "<script>alert(1)</script>" not in r.text
    assert count(db, Key) == 0


def test_editing_a_key_keeps_the_tag_unique_and_is_audited(world, key, desk):
    other = make_key(world.estate, world.unit, tag="3-2-1502-XX-01", kind="信箱")
    form = {"tag": "3-2-1502-RHM-01", "unit_code": "3-2-1502", "kind": "信箱", "copies": "1"}
    r = desk.post(f"/keys/{other.id}/edit", data=form)
    assert r.status_code == 422 and "已登记" in r.text
    form["tag"] = "3-2-1502-XX-02"
    form["slot"] = "7"
    assert desk.post(f"/keys/{other.id}/edit", data=form).status_code == 302
    db.session.refresh(other)
    assert (other.tag, other.slot) == ("3-2-1502-XX-02", "7")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "key",
                                                          AuditEvent.action == "update"))
    assert event.before == {"tag": "3-2-1502-XX-01", "slot": "1"}
    assert event.after == {"tag": "3-2-1502-XX-02", "slot": "7"}


def test_key_list_filters_by_status_building_and_tag(world, desk):
    other_building = factories.building(world.estate, "5")
    u5 = factories.unit(other_building, "1", 2, "201")
    make_key(world.estate, world.unit, tag="3-2-1502-RHM-01")
    make_key(world.estate, u5, tag="5-1-201-RHM-01", status="lost")
    page = desk.get("/keys/").text
    assert "3-2-1502-RHM-01" in page and "5-1-201-RHM-01" in page
    page = desk.get("/keys/?status=lost").text
    assert "3-2-1502-RHM-01" not in page and "5-1-201-RHM-01" in page
    page = desk.get(f"/keys/?building_id={world.building.id}").text
    assert "3-2-1502-RHM-01" in page and "5-1-201-RHM-01" not in page
    page = desk.get("/keys/?q=201-rhm").text
    assert "3-2-1502-RHM-01" not in page and "5-1-201-RHM-01" in page


# --- bulk registration -----------------------------------------------------------------------


@pytest.fixture
def building_units(world):
    """Building 3 with four units: 3-2-1502 of the world and three more."""
    units = [world.unit] + [factories.unit(world.building, e, f, r)
                            for e, f, r in (("1", 2, "201"), ("1", 10, "1001"), ("2", 3, "301"))]
    db.session.commit()
    return units


def bulk_form(world, **over) -> dict:
    data = {"building_id": str(world.building.id), "kind": "入户门", "per_unit": "2",
            "pattern": "{code}-{kind_code}-{n}", "cabinet": "A3", "first_slot": "1",
            "copies": "1", "note": "开发商移交"}
    data.update(over)
    return data


def test_bulk_registration_gives_every_unit_of_a_building_its_keys(world, desk, building_units):
    r = desk.post("/keys/bulk", data=bulk_form(world))
    assert r.status_code == 302, r.text[:3000]
    keys = list(db.session.scalars(sa.select(Key).order_by(Key.id)))
    assert [(k.tag, k.slot) for k in keys] == [
        ("3-1-201-RHM-01", "1"), ("3-1-201-RHM-02", "2"),
        ("3-1-1001-RHM-01", "3"), ("3-1-1001-RHM-02", "4"),
        ("3-2-301-RHM-01", "5"), ("3-2-301-RHM-02", "6"),
        ("3-2-1502-RHM-01", "7"), ("3-2-1502-RHM-02", "8"),
    ]
    assert {(k.cabinet, k.kind, k.status, k.note) for k in keys} == {
        ("A3", "入户门", "in_cabinet", "开发商移交")}
    assert count(db, AuditEvent) == 8 + 1  # one event per key (+ the login)
    assert "已为 3号楼 登记 8 把钥匙" in desk.get(r.headers["Location"]).text


def test_bulk_registration_with_a_prefix_numbers_the_keys_on(world, desk, building_units):
    r = desk.post("/keys/bulk", data=bulk_form(world, per_unit="1", pattern="kf-", first_slot=""))
    assert r.status_code == 302
    assert list(db.session.scalars(sa.select(Key.tag).order_by(Key.id))) == [
        "KF-001", "KF-002", "KF-003", "KF-004"]
    assert set(db.session.scalars(sa.select(Key.slot))) == {""}


def test_bulk_registration_is_refused_whole_when_a_tag_exists(world, desk, building_units):
    make_key(world.estate, world.unit, tag="3-2-1502-RHM-02")
    events = count(db, AuditEvent)
    r = desk.post("/keys/bulk", data=bulk_form(world))
    assert r.status_code == 422
    assert "其中 1 个钥匙编号已登记（3-2-1502-RHM-02），本批钥匙均未登记" in r.text
    assert count(db, Key) == 1 and count(db, AuditEvent) == events


@pytest.mark.parametrize("over, message", [
    ({"pattern": "{code}-{kind_code}"}, "重复生成编号"),
    ({"pattern": "{code.__class__}-{n}"}, "编号规则只能使用"),
    ({"per_unit": "11"}, "每户钥匙数应为 1 到 10 的整数"),
    ({"per_unit": "x"}, "每户钥匙数应为 1 到 10 的整数"),
    ({"first_slot": "-1"}, "起始格位号应为 1 到 100000 的整数"),
])
def test_bad_bulk_input_is_refused(world, desk, building_units, over, message):
    r = desk.post("/keys/bulk", data=bulk_form(world, **over))
    assert r.status_code == 422
    assert message in r.text
    assert count(db, Key) == 0


# --- custody ---------------------------------------------------------------------------------


def test_deposit_with_a_deposit_takes_a_payment_with_a_receipt(world, key, desk):
    form = deposit_form(world, deposit_amount="200")
    r = desk.post(f"/keys/{key.id}/deposit", data=form)
    assert r.status_code == 302
    custody = db.session.scalar(sa.select(KeyCustody))
    assert r.headers["Location"].endswith(f"/keys/custodies/{custody.id}")
    assert (custody.person_id, custody.depositor_name, custody.copies) == (
        world.person.id, "张三", 2)
    deposit = db.session.get(Deposit, custody.deposit_id)
    assert (deposit.kind, deposit.amount, deposit.unit_id) == (
        "钥匙押金", Decimal("200.00"), world.unit.id)
    payment = db.session.get(Payment, deposit.payment_id)
    assert (payment.purpose, payment.method, payment.amount) == ("deposit", "cash",
                                                                 Decimal("200.00"))
    receipt = db.session.scalar(sa.select(Receipt).where(Receipt.payment_id == payment.id))
    assert receipt.number.startswith("SJ") and receipt.amount == Decimal("200.00")
    db.session.refresh(key)
    assert (key.status, key.copies) == ("in_cabinet", 2)
    actions = set(db.session.execute(sa.select(AuditEvent.object_type, AuditEvent.action)))
    assert {("key_custody", "create"), ("key", "update"), ("payment", "create"),
            ("receipt", "issue")} <= actions
    page = desk.get(f"/keys/custodies/{custody.id}").text
    assert receipt.number in page and "200.00" in page

    # the same form posted again gives the same custody, not a second payment
    again = desk.post(f"/keys/{key.id}/deposit", data=form)
    assert again.status_code == 302
    assert count(db, KeyCustody) == 1 and count(db, Payment) == 1 and count(db, Receipt) == 1


def test_deposit_by_someone_typed_in_without_a_deposit(world, key, desk):
    r = desk.post(f"/keys/{key.id}/deposit",
                  data=deposit_form(world, depositor="typed", name="王五", phone="139 0000 5678"))
    assert r.status_code == 302
    custody = db.session.scalar(sa.select(KeyCustody))
    assert (custody.person_id, custody.depositor_name, custody.depositor_phone,
            custody.deposit_id) == (None, "王五", "13900005678", None)
    assert count(db, Payment) == 0


@pytest.mark.parametrize("over, message", [
    ({"depositor": "typed", "name": "", "phone": "13900005678"}, "请输入托管人姓名"),
    ({"depositor": "typed", "name": "王五", "phone": "12345"}, "Invalid phone"),
    ({"deposit_amount": "-5"}, "The amount must be more than 0"),
    ({"deposit_amount": "abc"}, "Enter the amount"),
    ({"copies": "100"}, "份数应为 1 到 99 的整数"),
])
def test_bad_deposit_input_writes_nothing(world, key, desk, over, message):
    r = desk.post(f"/keys/{key.id}/deposit", data=deposit_form(world, **over))
    assert r.status_code == 422
    page = r.text
    assert message in page or _zh(message) in page
    assert count(db, KeyCustody) == 0 and count(db, Payment) == 0


def _zh(message: str) -> str:
    """The Chinese of the few fees messages the parametrised cases quote in English."""
    return {"Invalid phone": "电话号码", "The amount must be more than 0": "金额必须大于 0",
            "Enter the amount": "请按元填写金额"}.get(message, message)


def test_a_key_in_custody_or_lost_cannot_be_deposited(world, key, desk, custody):
    r = desk.post(f"/keys/{key.id}/deposit", data=deposit_form(world))
    assert r.status_code == 422 and "已在托管中" in r.text
    lost = make_key(world.estate, world.unit, tag="3-2-1502-XX-01", status="lost")
    r = desk.post(f"/keys/{lost.id}/deposit", data=deposit_form(world))
    assert r.status_code == 422 and "已报遗失" in r.text
    assert count(db, KeyCustody) == 1


def test_manager_cannot_take_a_key_deposit(world, key, manager):
    r = manager.post(f"/keys/{key.id}/deposit", data=deposit_form(world, deposit_amount="100"))
    assert r.status_code == 422 and "只有收费人员可以收取押金" in r.text
    assert count(db, KeyCustody) == 0


# --- authorisations --------------------------------------------------------------------------


def test_the_owner_authorises_a_person(world, custody, desk):
    valid_until = (utcnow() + timedelta(days=30)).replace(second=0, microsecond=0)
    r = desk.post(f"/keys/custodies/{custody.id}/authorisations",
                  data=authorise_form(valid_until=local(valid_until)))
    assert r.status_code == 302
    a = db.session.scalar(sa.select(KeyAuthorisation))
    assert (a.custody_id, a.name, a.phone, a.id_tail) == (custody.id, "李四", "13900001234",
                                                          "123X")
    assert a.valid_until == valid_until  # typed in Shanghai time, stored in UTC
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.object_type == "key_authorisation"))
    assert event.action == "create" and event.after["name"] == "李四"
    page = desk.get(f"/keys/custodies/{custody.id}").text
    assert "李四" in page and "13900001234" in page  # whole for the desk (person.phone_full)


@pytest.mark.parametrize("over, message", [
    ({"id_tail": "123"}, "请输入证件号码后四位"),
    ({"id_tail": "12345"}, "请输入证件号码后四位"),
    ({"id_tail": "12a4"}, "请输入证件号码后四位"),
    ({"id_tail": "X123"}, "请输入证件号码后四位"),
    ({"valid_until": "2020-01-01 10:00"}, "授权有效期必须晚于当前时间"),
    ({"valid_until": "2030-02-30 10:00"}, "请按 年-月-日 时:分 填写时间"),
    ({"valid_until": "明天"}, "请按 年-月-日 时:分 填写时间"),
    ({"phone": "123"}, "电话号码"),
    ({"name": ""}, "请输入授权人姓名"),
])
def test_a_bad_authorisation_is_refused_and_nothing_written(world, custody, desk, over,
                                                            message):
    r = desk.post(f"/keys/custodies/{custody.id}/authorisations", data=authorise_form(**over))
    assert r.status_code == 422
    assert message in r.text
    assert count(db, KeyAuthorisation) == 0


def test_the_same_person_is_not_authorised_twice(world, custody, desk):
    url = f"/keys/custodies/{custody.id}/authorisations"
    assert desk.post(url, data=authorise_form()).status_code == 302
    r = desk.post(url, data=authorise_form(name="李四 (again)"))
    assert r.status_code == 422 and "李四 已是这把钥匙的授权人" in r.text
    assert count(db, KeyAuthorisation) == 1


def test_revoking_an_authorisation(world, custody, desk):
    desk.post(f"/keys/custodies/{custody.id}/authorisations", data=authorise_form())
    a = db.session.scalar(sa.select(KeyAuthorisation))
    r = desk.post(f"/keys/authorisations/{a.id}/revoke")
    assert r.status_code == 302
    db.session.refresh(a)
    assert a.revoked_at is not None
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "revoke"))
    assert event.object_id == a.id and event.before == {"revoked_at": None}
    r = desk.post(f"/keys/authorisations/{a.id}/revoke", follow_redirects=True)
    assert "此授权已撤销" in r.text
    assert count(db, AuditEvent.__table__) and db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.action == "revoke")) == 1


# --- take back -------------------------------------------------------------------------------


def test_the_owner_takes_the_key_back_and_the_deposit_refund_is_requested(world, key, custody,
                                                                          desk, manager):
    r = desk.post(f"/keys/custodies/{custody.id}/take-back", data={"refund_method": ""})
    assert r.status_code == 302
    db.session.refresh(custody)
    db.session.refresh(key)
    assert custody.ended_at is not None and key.status == "returned"
    refund = db.session.scalar(sa.select(Refund))
    assert (refund.source, refund.deposit_id, refund.amount, refund.method, refund.state) == (
        "deposit", custody.deposit_id, Decimal("200.00"), "cash", "pending")
    page = desk.get(r.headers["Location"]).text
    assert "已归还业主" in page and "押金退款（200.00 元）待经理审批" in page
    assert {("key_custody", "end"), ("key", "update"), ("refund", "request")} <= set(
        db.session.execute(sa.select(AuditEvent.object_type, AuditEvent.action)))

    # a manager approves the refund on the refunds page; the deposit is no longer held
    assert manager.post(f"/payments/refunds/{refund.id}/decide",
                        data={"approve": "1"}).status_code == 302
    assert db.session.get(Deposit, custody.deposit_id).refunded == Decimal("200.00")

    again = desk.post(f"/keys/custodies/{custody.id}/take-back", data={})
    assert again.status_code == 422 and "这把钥匙已被取回" in again.text
    assert count(db, Refund) == 1


def test_a_key_on_loan_cannot_be_taken_back(world, key, custody, desk):
    key.status = "on_loan"
    db.session.commit()
    r = desk.post(f"/keys/custodies/{custody.id}/take-back", data={})
    assert r.status_code == 422 and "已借出，归还后才能取回" in r.text
    db.session.refresh(custody)
    assert custody.ended_at is None and count(db, Refund) == 0


def test_a_key_taken_back_can_be_deposited_again(world, key, desk):
    desk.post(f"/keys/{key.id}/deposit", data=deposit_form(world))
    custody = db.session.scalar(sa.select(KeyCustody))
    assert desk.post(f"/keys/custodies/{custody.id}/take-back", data={}).status_code == 302
    assert count(db, Refund) == 0  # no deposit, nothing to refund
    assert desk.post(f"/keys/{key.id}/deposit", data=deposit_form(world)).status_code == 302
    assert count(db, KeyCustody) == 2
    db.session.refresh(key)
    assert key.status == "in_cabinet"


# --- pages and the printed receipt -----------------------------------------------------------


def test_the_custody_receipt_prints_key_unit_depositor_and_authorised(world, key, custody,
                                                                      desk):
    desk.post(f"/keys/custodies/{custody.id}/authorisations", data=authorise_form())
    desk.post(f"/keys/custodies/{custody.id}/authorisations",
              data=authorise_form(name="赵六", phone="13700007777", id_tail="0001"))
    r = desk.get(f"/keys/custodies/{custody.id}/receipt.pdf")
    flat = squash("".join(printed_pages(r)))
    for expected in ("钥匙托管凭证", "阳光花园", "3-2-1502-RHM-01", "3-2-1502", "入户门", "张三",
                     "李四", "赵六", "139****1234", "123X", "200.00", "贰佰元整", "业主签字",
                     "经办人", "凭本人身份证件或授权信息"):
        assert expected in flat, expected
    receipt = db.session.scalar(sa.select(Receipt))
    assert receipt.number in flat
    assert "13900001234" not in flat  # phones printed masked


def test_the_key_page_shows_its_whole_history(world, key, custody, desk):
    desk.post(f"/keys/custodies/{custody.id}/authorisations", data=authorise_form())
    page = desk.get(f"/keys/{key.id}").text
    for expected in ("3-2-1502-RHM-01", "张三", "李四", "200.00", "托管中", "没有借用记录",
                     "没有遗失报告"):
        assert expected in page, expected
    assert page.count("<tr>") >= 4  # custody, and the audit events of key, custody, authorisation


def test_the_unit_card_shows_the_units_keys(world, key, custody, desk):
    desk.post(f"/keys/custodies/{custody.id}/authorisations", data=authorise_form())
    page = desk.get(f"/desk/units/{world.unit.id}").text
    assert 'id="tab-keys"' in page
    assert "3-2-1502-RHM-01" in page and "李四" in page


def test_the_unit_card_has_no_keys_tab_for_finance(world, key, as_role):
    page = as_role("finance").get(f"/desk/units/{world.unit.id}").text
    assert 'id="tab-keys"' not in page


# --- guards ----------------------------------------------------------------------------------


def test_another_estates_keys_custodies_and_authorisations_give_404(world, desk):
    other = world.other_estate
    building = factories.building(other, "7")
    unit = factories.unit(building, "1", 3, "301")
    key = make_key(other, unit, tag="7-1-301-RHM-01")
    custody = KeyCustody(estate_id=other.id, key_id=key.id, depositor_name="外人", copies=1)
    db.session.add(custody)
    db.session.flush()
    a = KeyAuthorisation(estate_id=other.id, custody_id=custody.id, name="外人2",
                         phone="13900001111", id_tail="1234",
                         valid_until=datetime(2099, 1, 1, tzinfo=UTC))
    db.session.add(a)
    db.session.commit()
    for method, url in (("GET", f"/keys/{key.id}"), ("GET", f"/keys/{key.id}/edit"),
                        ("POST", f"/keys/{key.id}/deposit"),
                        ("GET", f"/keys/custodies/{custody.id}"),
                        ("GET", f"/keys/custodies/{custody.id}/receipt.pdf"),
                        ("POST", f"/keys/custodies/{custody.id}/authorisations"),
                        ("POST", f"/keys/custodies/{custody.id}/take-back"),
                        ("POST", f"/keys/authorisations/{a.id}/revoke")):
        assert desk.open(url, method=method).status_code == 404, url
    assert "7-1-301-RHM-01" not in desk.get("/keys/").text
    r = desk.post("/keys/bulk", data={"building_id": str(building.id), "kind": "入户门",
                                      "per_unit": "1", "copies": "1"})
    assert r.status_code == 422 and count(db, Key) == 1  # not a building of ours to choose
    assert "请选择本小区的楼栋" in r.text


def test_engineering_gets_403(world, key, as_role):
    client = as_role("engineering")
    for method, url in (("GET", "/keys/"), ("GET", "/keys/new"), ("GET", f"/keys/{key.id}"),
                        ("POST", f"/keys/{key.id}/deposit"), ("GET", "/keys/bulk")):
        assert client.open(url, method=method).status_code == 403, url


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.postgres
def test_the_same_deposit_form_posted_twice_at_once_takes_one_deposit(app, world, key):
    from tests.test_receipts_concurrency import _logged_in_clients, _run_together

    form = deposit_form(world, deposit_amount="200")
    url = f"/keys/{key.id}/deposit"  # read here: the threads have no app context to load it

    def post(client):
        return lambda: (lambda r: (r.status_code, r.headers.get("Location", "")))(
            client.post(url, data=form))

    results = _run_together([post(c) for c in _logged_in_clients(app, 2)])
    assert [status for status, _ in results] == [302, 302], results
    assert len({loc for _, loc in results}) == 1  # both get the one custody
    db.session.expire_all()
    assert count(db, KeyCustody) == 1 and count(db, Payment) == 1 and count(db, Receipt) == 1


@pytest.mark.postgres
def test_ten_desks_depositing_one_key_at_once_give_one_custody(app, world, key):
    from tests.test_receipts_concurrency import _logged_in_clients, _run_together

    url = f"/keys/{key.id}/deposit"
    forms = [deposit_form(world, deposit_amount="100") for _ in range(10)]

    def post(client, form):
        return lambda: client.post(url, data=form).status_code

    results = _run_together([post(c, f) for c, f in zip(_logged_in_clients(app, 10), forms,
                                                         strict=True)])
    assert sorted(results) == [302] + [422] * 9, results
    db.session.expire_all()
    assert count(db, KeyCustody) == 1 and count(db, Payment) == 1 and count(db, Deposit) == 1
