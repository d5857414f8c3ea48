"""Move-in, move-out and transfer through the desk's pages."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.models import (
    AuditEvent,
    BillLine,
    Deposit,
    Key,
    KeyAuthorisation,
    KeyCustody,
    MeterReading,
    MoveinCase,
    MoveinDefect,
    MoveinStep,
    MoveOut,
    Occupancy,
    Payment,
    Person,
    PrepaidEntry,
    Receipt,
    Unit,
    WorkOrder,
)
from frontdesk.services.fees import billing, readings
from frontdesk.services.workorders import orders
from tests import factories
from tests.conftest import count, pay
from tests.pdf_text import pdf_text, squash

#: the desk acts on 15 October 2026, 10:00 in Shanghai
NOW = datetime(2026, 10, 15, 2, 0, tzinfo=UTC)
OWNER = {"name": "李业主", "phone": "13900001234", "id_type": "居民身份证",
         "id_number": "110101198001010010", "role": "owner", "is_primary": "y",
         "plate": "沪C12345"}


@pytest.fixture
def frozen(app):
    app.config["FRONTDESK_NOW"] = NOW
    yield NOW
    app.config.pop("FRONTDESK_NOW", None)


@pytest.fixture
def new_unit(fees, db, frozen):
    """A unit not handed over yet, 100 m², with a water meter and no readings."""
    unit = factories.unit(fees.building, "1", 5, "501", "100.00", status="未交房")
    factories.meter(fees.estate, "water", "W-501", unit=unit)
    db.session.commit()
    return unit


def start_case(desk, unit) -> int:
    r = desk.post(f"/movein/units/{unit.id}/start")
    assert r.status_code == 302, r.text[:500]
    return int(re.search(r"/movein/cases/(\d+)$", r.headers["Location"]).group(1))


def post(client, url, data, status=302):
    r = client.post(url, data=data)
    assert r.status_code == status, shown_errors(r)
    return r


def shown_errors(response) -> list[str]:
    """The messages a page shows (alerts and field errors), to say why a post failed."""
    return re.findall(r'class="(?:alert[^"]*|invalid-feedback[^"]*|text-danger[^"]*)"[^>]*>(.*?)<',
                      response.get_data(as_text=True), re.S) or [response.status]


def meter_of(db, unit):
    from frontdesk.models import Meter

    return db.session.scalar(sa.select(Meter).where(Meter.unit_id == unit.id))


def do_all_steps(desk, db, unit, case_id, *, defect=True, key_kept=1):
    """Go through the seven steps of a move-in as the desk would."""
    base = f"/movein/cases/{case_id}"
    post(desk, f"{base}/verify", {"identity_checked": "y", "contract_no": "HT-2026-0501",
                                  "contract_date": "2026-09-01"})
    post(desk, f"{base}/residents", OWNER)
    post(desk, f"{base}/residents/done", {})
    post(desk, f"{base}/agreements", {"service_agreement_date": "2026-10-15",
                                      "rules_date": "2026-10-15"})
    meter = meter_of(db, unit)
    post(desk, f"{base}/readings", {f"reading-{meter.id}": "100"})
    inspection = {"c-0-0": "defect", "n-0-0": "墙面裂缝"} if defect else {}
    post(desk, f"{base}/inspection", inspection)
    post(desk, f"{base}/keys", {
        "rows-0-kind": "入户门", "rows-0-handed": "2", "rows-0-kept": str(key_kept),
        "rows-1-kind": "信箱", "rows-1-handed": "1", "rows-1-kept": "0",
        "cabinet": "A2", "slot": "15", "people-0-name": "王五", "people-0-phone": "13900005555",
        "people-0-id_tail": "1234", "people-0-valid_until": "2027-10-15"})
    post(desk, f"{base}/fees", {"months": "12", "prepaid": "2820.00", "deposit": "2000.00",
                                "method": "wechat", "payer": "李业主",
                                "idempotency_key": secrets.token_hex(16)})


def test_a_whole_move_in_feeds_the_first_bill_run(desk, engineer, db, new_unit, fees, world):
    unit = new_unit
    case_id = start_case(desk, unit)
    assert desk.get(f"/movein/cases/{case_id}").status_code == 200
    do_all_steps(desk, db, unit, case_id)
    post(desk, f"/movein/cases/{case_id}/complete",
         {"handover_date": "2026-10-15", "start_date": "2026-10-15"})

    db.session.expire_all()
    unit = db.session.get(Unit, unit.id)
    assert unit.status == "已入住"
    assert unit.handover_date == date(2026, 10, 15)
    case = db.session.get(MoveinCase, case_id)
    assert case.state == "completed" and case.start_date == date(2026, 10, 15)
    assert {s.state for s in case.steps} == {"done"}
    assert all(s.done_by_id == world.users["frontdesk"].id for s in case.steps)
    owner = db.session.scalar(sa.select(Person).where(Person.name == "李业主"))
    occupancy = db.session.scalar(sa.select(Occupancy).where(Occupancy.unit_id == unit.id))
    assert occupancy.person_id == owner.id and occupancy.start_date == date(2026, 10, 15)

    # the handover reading is the meter's first: no consumption in October
    meter = meter_of(db, unit)
    first = db.session.scalar(sa.select(MeterReading).where(MeterReading.meter_id == meter.id))
    assert (first.period, first.value, first.previous_value) == ("2026-10", Decimal("100"), None)

    # one payment, one receipt: prepaid management fee and decoration deposit
    payment = db.session.scalar(sa.select(Payment).where(Payment.unit_id == unit.id))
    assert payment.amount == Decimal("4820.00")
    receipts = db.session.scalars(sa.select(Receipt).where(Receipt.unit_id == unit.id)).all()
    assert len(receipts) == 1
    lines = {ln["item"]: ln["amount"] for ln in receipts[0].content["lines"]}
    assert lines == {"预交物业费（12个月）": "2820.00", "装修押金": "2000.00"}
    deposit = db.session.scalar(sa.select(Deposit).where(Deposit.unit_id == unit.id))
    assert deposit.amount == Decimal("2000.00") and deposit.payment_id == payment.id

    # the key left with the desk is in custody with the authorised list
    key = db.session.scalar(sa.select(Key).where(Key.unit_id == unit.id))
    assert (key.kind, key.copies, key.status, key.cabinet) == ("入户门", 1, "in_cabinet", "A2")
    held = db.session.scalar(sa.select(KeyCustody).where(KeyCustody.key_id == key.id))
    assert held.person_id == owner.id and held.ended_at is None
    assert [a.name for a in held.authorisations] == ["王五"]

    # November's reading: the first bill charges from the handover reading
    readings.record_reading(world.users["finance"], meter, "2026-11", "130",
                            today=date(2026, 11, 30))
    run = billing.post_bill_run(None, fees.estate, "2026-11", today=date(2026, 11, 30))
    water = db.session.scalar(sa.select(BillLine).where(
        BillLine.unit_id == unit.id, BillLine.fee_item_id == fees.water.id,
        BillLine.bill_run_id == run.id))
    assert water.quantity == Decimal("30")
    assert "(130 − 100)" in water.explanation
    # the prepaid management fee pays the coming bills
    assert count(db, PrepaidEntry, PrepaidEntry.unit_id == unit.id,
                 PrepaidEntry.kind == "applied") >= 1


def test_a_defect_becomes_a_work_order_engineering_fixes_and_the_resident_accepts(
        desk, db, new_unit, world, frozen):
    case_id = start_case(desk, new_unit)
    do_all_steps(desk, db, new_unit, case_id)
    defect = db.session.scalar(sa.select(MoveinDefect))
    order = db.session.get(WorkOrder, defect.work_order_id)
    assert (order.source, order.origin, order.origin_id, order.unit_id) == (
        "验房", "movein", defect.id, new_unit.id)
    assert "墙面裂缝" in order.description and order.state == "pending"
    page = desk.get(f"/movein/cases/{case_id}").get_data(as_text=True)
    assert "墙面裂缝" in page and f"/workorders/{order.id}" in page

    # accepting before the fix is refused
    r = post(desk, f"/movein/cases/{case_id}/defects/accept",
             {"defect_id": defect.id, "accepted_by_name": "李业主"}, 422)
    assert "not completed" in r.text or "尚未完工" in r.text or "完工" in r.text

    fixer = factories.engineer(world.estate, "fixer")
    db.session.commit()
    desk_user = world.users["frontdesk"]
    orders.dispatch(desk_user, order, fixer, NOW)
    orders.accept(fixer, order, NOW)
    orders.start(fixer, order, NOW)
    orders.complete(fixer, order, "已修补", NOW)

    post(desk, f"/movein/cases/{case_id}/defects/accept",
         {"defect_id": defect.id, "accepted_by_name": "李业主", "accept_note": "满意"})
    db.session.expire_all()
    defect = db.session.get(MoveinDefect, defect.id)
    assert defect.accepted_by_name == "李业主" and defect.accepted_at is not None
    # a defect found later opens its own order
    post(desk, f"/movein/cases/{case_id}/defects",
         {"room": "厨房", "item": "水电", "note": "水龙头漏水"})
    assert count(db, WorkOrder, WorkOrder.origin == "movein") == 2


def test_the_printed_registration_form_and_handover_sheet(desk, db, new_unit, frozen):
    case_id = start_case(desk, new_unit)
    do_all_steps(desk, db, new_unit, case_id)
    post(desk, f"/movein/cases/{case_id}/complete",
         {"handover_date": "2026-10-15", "start_date": "2026-10-15"})
    form = desk.get(f"/movein/cases/{case_id}/registration.pdf")
    assert form.status_code == 200 and form.mimetype == "application/pdf"
    text = squash(pdf_text(form))
    for expected in ("入住登记表", "入住信息", "HT-2026-0501", "李业主", "沪C12345", "2026-10-15"):
        assert expected in text, expected
    sheet = squash(pdf_text(desk.get(f"/movein/cases/{case_id}/handover.pdf")))
    for expected in ("交房验收单", "W-501", "100m³", "墙面裂缝", "入户门", "王五", "2,820.00",
                     "2,000.00", "业主签字", "经办人", "第1页共"):
        assert expected in sheet, expected


def test_completing_with_a_pending_step_is_refused(desk, db, new_unit, frozen):
    case_id = start_case(desk, new_unit)
    r = post(desk, f"/movein/cases/{case_id}/complete",
             {"handover_date": "2026-10-15", "start_date": "2026-10-15"}, 422)
    assert "pending" in r.text or "尚未办理" in r.text or "待办" in r.text
    db.session.expire_all()
    assert db.session.get(Unit, new_unit.id).status == "未交房"
    assert db.session.get(MoveinCase, case_id).state == "open"


def skip_all(desk, case_id, steps=("verify", "residents", "agreements", "readings",
                                   "inspection", "keys", "fees")):
    for step in steps:
        post(desk, f"/movein/cases/{case_id}/skip", {"step": step, "reason": "测试跳过"})


def test_a_start_date_before_the_handover_is_refused(desk, db, fees, frozen):
    unit = factories.unit(fees.building, "1", 6, "601", "90.00", status="已交房",
                          handover_date=date(2026, 10, 1))
    db.session.commit()
    case_id = start_case(desk, unit)
    skip_all(desk, case_id)
    r = post(desk, f"/movein/cases/{case_id}/complete", {"start_date": "2026-09-20"}, 422)
    assert "2026-10-01" in r.text
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).status == "已交房"
    post(desk, f"/movein/cases/{case_id}/complete", {"start_date": "2026-10-02"})
    assert db.session.get(Unit, unit.id).status == "已入住"


def test_a_handover_reading_below_the_meters_reading_is_refused(desk, db, new_unit, frozen):
    meter = meter_of(db, new_unit)
    factories.reading(meter, "2026-09", "500")
    db.session.commit()
    case_id = start_case(desk, new_unit)
    r = post(desk, f"/movein/cases/{case_id}/readings", {f"reading-{meter.id}": "400"}, 422)
    assert "500" in r.text
    assert count(db, MeterReading, MeterReading.meter_id == meter.id) == 1
    for bad in ("", "abc", "-5", "1e309", "<b>1</b>", "9" * 50):
        post(desk, f"/movein/cases/{case_id}/readings", {f"reading-{meter.id}": bad}, 422)
    assert count(db, MeterReading, MeterReading.meter_id == meter.id) == 1
    assert db.session.scalar(sa.select(MoveinStep.state).where(
        MoveinStep.case_id == case_id, MoveinStep.step == "readings")) == "pending"


def test_one_open_case_per_unit_paused_and_resumed(desk, db, new_unit, frozen):
    case_id = start_case(desk, new_unit)
    assert start_case(desk, new_unit) == case_id
    assert count(db, MoveinCase, MoveinCase.unit_id == new_unit.id) == 1
    post(desk, f"/movein/cases/{case_id}/pause", {"pause-reason": "业主下次带合同来"})
    r = post(desk, f"/movein/cases/{case_id}/verify", {
        "identity_checked": "y", "contract_no": "HT-1", "contract_date": "2026-09-01"}, 422)
    assert "paused" in r.text or "暂停" in r.text
    post(desk, f"/movein/cases/{case_id}/resume", {})
    post(desk, f"/movein/cases/{case_id}/verify", {
        "identity_checked": "y", "contract_no": "HT-1", "contract_date": "2026-09-01"})
    assert count(db, AuditEvent, AuditEvent.object_type == "movein_case",
                 AuditEvent.action.in_(("pause", "resume"))) == 2


@pytest.mark.parametrize("data", [
    {"identity_checked": "y", "contract_no": "", "contract_date": "2026-09-01"},
    {"identity_checked": "y", "contract_no": "X" * 65, "contract_date": "2026-09-01"},
    {"identity_checked": "y", "contract_no": "HT", "contract_date": "2026-13-45"},
    {"identity_checked": "y", "contract_no": "HT", "contract_date": "2027-01-01"},
    {"contract_no": "HT", "contract_date": "2026-09-01"},
])
def test_bad_documents_are_refused_and_nothing_is_written(desk, db, new_unit, frozen, data):
    case_id = start_case(desk, new_unit)
    post(desk, f"/movein/cases/{case_id}/verify", data, 422)
    assert db.session.scalar(sa.select(MoveinStep.state).where(
        MoveinStep.case_id == case_id, MoveinStep.step == "verify")) == "pending"


def test_markup_is_shown_as_text(desk, db, new_unit, frozen):
    case_id = start_case(desk, new_unit)
    post(desk, f"/movein/cases/{case_id}/verify", {
        "identity_checked": "y", "contract_no": "<script>x</script>",
        "contract_date": "2026-09-01"})
    page = desk.get(f"/movein/cases/{case_id}").get_data(as_text=True)
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page


def test_another_estates_case_is_404_and_nothing_written(desk, db, world, frozen):
    other = factories.building(world.other_estate, "9")
    unit = factories.unit(other, "1", 1, "101")
    stranger = factories.user("frontdesk", [world.other_estate], username="b_desk")
    case = MoveinCase(estate_id=world.other_estate.id, unit_id=unit.id, opened_by_id=stranger.id)
    db.session.add(case)
    db.session.commit()
    for url in (f"/movein/cases/{case.id}", f"/movein/cases/{case.id}/handover.pdf"):
        assert desk.get(url).status_code == 404
    r = desk.post(f"/movein/cases/{case.id}/skip", data={"step": "verify", "reason": "x"})
    assert r.status_code == 404
    assert desk.post(f"/movein/units/{unit.id}/start").status_code == 404
    assert count(db, MoveinStep) == 0
    assert count(db, MoveinCase) == 1


# move-out and transfer ----------------------------------------------------------------------------


def owed_unit(db, fees, world):
    """The world's unit, owing a bill of 210.33."""
    factories.bill_line(world.unit, fees.area, "2026-09", "210.33", due=date(2026, 9, 15),
                        **factories.area_charge("210.33"))
    db.session.commit()
    return world.unit


def start_move_out(desk, unit, kind="moveout", **owner) -> int:
    r = post(desk, f"/movein/units/{unit.id}/move-out", {"kind": kind, **owner})
    return int(re.search(r"/movein/move-outs/(\d+)$", r.headers["Location"]).group(1))


def test_a_move_out_is_blocked_by_arrears_then_completed_after_payment(desk, db, fees, world,
                                                                         frozen):
    unit = owed_unit(db, fees, world)
    move_id = start_move_out(desk, unit)
    page = desk.get(f"/movein/move-outs/{move_id}").get_data(as_text=True)
    assert "210.33" in page
    r = post(desk, f"/movein/move-outs/{move_id}/complete", {"end_date": "2026-10-14"}, 422)
    assert "210.33" in r.text
    db.session.expire_all()
    assert db.session.get(Occupancy, world.occupancy.id).end_date is None
    assert pay(desk, unit, "300.00").status_code == 302
    post(desk, f"/movein/move-outs/{move_id}/complete",
         {"end_date": "2026-10-14", "return_keys": "y"})
    db.session.expire_all()
    assert db.session.get(Occupancy, world.occupancy.id).end_date == date(2026, 10, 14)
    assert db.session.get(Unit, unit.id).status == "空置"
    assert db.session.get(MoveOut, move_id).state == "completed"
    # the history stays
    assert count(db, Occupancy, Occupancy.unit_id == unit.id) == 1


def test_final_readings_are_recorded_for_this_months_bill_run(desk, db, fees, world, frozen):
    meter = factories.meter(fees.estate, "water", "W-1502", unit=world.unit)
    factories.reading(meter, "2026-09", "200")
    db.session.commit()
    move_id = start_move_out(desk, world.unit)
    r = post(desk, f"/movein/move-outs/{move_id}/readings",
             {"readings-submit": "1", f"reading-{meter.id}": "150"}, 422)
    assert "200" in r.text
    post(desk, f"/movein/move-outs/{move_id}/readings", {f"reading-{meter.id}": "260"})
    reading = db.session.scalar(sa.select(MeterReading).where(
        MeterReading.meter_id == meter.id, MeterReading.period == "2026-10"))
    assert reading.value == Decimal("260") and reading.consumption == Decimal("60")


def test_a_manager_overrides_fees_owed_with_a_reason(desk, manager, db, fees, world, frozen):
    unit = owed_unit(db, fees, world)
    move_id = start_move_out(desk, unit)
    assert desk.post(f"/movein/move-outs/{move_id}/override",
                     data={"reason": "x"}).status_code == 403
    post(manager, f"/movein/move-outs/{move_id}/override", {"reason": ""}, 422)
    post(manager, f"/movein/move-outs/{move_id}/override", {"reason": "开发商承担欠费"})
    post(desk, f"/movein/move-outs/{move_id}/complete", {"end_date": "2026-10-14"})
    move = db.session.get(MoveOut, move_id)
    assert move.state == "completed" and move.override_reason == "开发商承担欠费"
    assert move.owed_at_completion == Decimal("210.33")


def test_a_transfer_starts_the_new_owners_move_in(desk, db, fees, world, frozen):
    unit = world.unit
    same = {"name": world.person.name, "phone": world.person.phone, "id_type": "居民身份证",
            "id_number": world.person.id_number}
    r = post(desk, f"/movein/units/{unit.id}/move-out", {"kind": "transfer", **same}, 422)
    assert world.person.name in r.text
    assert count(db, MoveOut) == 0
    move_id = start_move_out(desk, unit, "transfer", name="赵新", phone="13700001111",
                             id_type="居民身份证", id_number="110101198001010010")
    r = post(desk, f"/movein/move-outs/{move_id}/complete", {"end_date": "2026-10-14"})
    case_id = int(re.search(r"/movein/cases/(\d+)$", r.headers["Location"]).group(1))
    db.session.expire_all()
    case = db.session.get(MoveinCase, case_id)
    assert case.kind == "transfer" and case.person.name == "赵新"
    assert case.move_out_id == move_id and case.unit_id == unit.id
    assert db.session.get(Occupancy, world.occupancy.id).end_date == date(2026, 10, 14)
    # the new owner registers through the new case; the old owner stays in the history
    post(desk, f"/movein/cases/{case_id}/residents",
         {"name": "赵新", "phone": "13700001111", "id_type": "居民身份证",
          "id_number": "110101198001010010", "role": "owner", "is_primary": "y"})
    assert count(db, Person, Person.name == "赵新") == 1
    assert count(db, Occupancy, Occupancy.unit_id == unit.id) == 2


# the campaign, the setup, the desk ---------------------------------------------------------------


def test_progress_counts_the_campaign_and_exports(desk, db, new_unit, fees, frozen):
    case_id = start_case(desk, new_unit)
    post(desk, f"/movein/cases/{case_id}/inspection", {"c-0-0": "defect", "n-0-0": "地面空鼓"})
    page = desk.get(f"/movein/progress?building_id={fees.building.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert new_unit.code in text and "地面空鼓" not in text
    from frontdesk.services.movein.queries import progress

    report = progress(fees.estate, fees.building)
    assert report.total.in_progress == 1 and report.total.open_defects == 1
    assert report.total.handed_over >= 1  # the world's unit, handed over in 2024
    xlsx = desk.get(f"/movein/progress.xlsx?building_id={fees.building.id}")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert wb["入住进度"]["D2"].value == 1
    assert new_unit.code in [c.value for c in wb["房屋"]["A"]]


def test_finance_edits_the_checklist(finance, desk, db, world, frozen):
    r = post(finance, "/movein/setup", {"checklist": "客厅：墙面\n厨房 墙面", "prepaid_months": "6",
                                        "decoration_deposit": "3000"}, 422)
    assert "2" in r.text
    post(finance, "/movein/setup", {"checklist": "客厅：墙面、地面\n厨房：橱柜",
                                    "prepaid_months": "6", "decoration_deposit": "3000"})
    assert desk.get("/movein/setup").status_code == 403
    unit = factories.unit(world.building, "1", 2, "201")
    db.session.commit()
    case_id = start_case(desk, unit)
    page = desk.get(f"/movein/cases/{case_id}/inspection").get_data(as_text=True)
    assert "橱柜" in page and "阳台" not in page


def test_the_unit_card_shows_the_move_in(desk, db, new_unit, frozen):
    card = desk.get(f"/desk/units/{new_unit.id}").get_data(as_text=True)
    assert 'id="movein-block"' in card and f"/movein/units/{new_unit.id}" in card
    case_id = start_case(desk, new_unit)
    card = desk.get(f"/desk/units/{new_unit.id}").get_data(as_text=True)
    assert f"/movein/cases/{case_id}" in card


def test_the_first_fees_form_posted_twice_takes_one_payment(desk, db, new_unit, frozen):
    case_id = start_case(desk, new_unit)
    page = desk.get(f"/movein/cases/{case_id}/fees").get_data(as_text=True)
    assert "2,820.00" in page  # 100 m² × 2.35 × 12
    six = desk.get(f"/movein/cases/{case_id}/fees?months=6").get_data(as_text=True)
    assert "1,410.00" in six and 'value="1410.00"' in six
    data = {"months": "12", "prepaid": "2820.00", "deposit": "2000.00", "method": "cash",
            "idempotency_key": "same-key-1"}
    post(desk, f"/movein/cases/{case_id}/fees", data)
    desk.post(f"/movein/cases/{case_id}/fees", data=data)
    assert count(db, Payment, Payment.unit_id == new_unit.id) == 1
    for bad in ({**data, "prepaid": "-1", "idempotency_key": "k2"},
                {**data, "prepaid": "", "deposit": "", "idempotency_key": "k3"},
                {**data, "months": "99", "idempotency_key": "k4"}):
        assert desk.post(f"/movein/cases/{case_id}/fees", data=bad).status_code == 422
    assert count(db, Payment, Payment.unit_id == new_unit.id) == 1


def test_keys_left_without_an_owner_are_refused(desk, db, new_unit, frozen):
    case_id = start_case(desk, new_unit)
    r = post(desk, f"/movein/cases/{case_id}/keys",
             {"rows-0-kind": "入户门", "rows-0-handed": "1", "rows-0-kept": "1"}, 422)
    assert count(db, Key) == 0 and count(db, KeyAuthorisation) == 0
    assert "登记住户" in r.text


def test_an_owner_already_in_the_register_completes_the_residents_step(desk, db, fees, frozen):
    unit = factories.unit(fees.building, "1", 7, "701", "90.00", status="未交房")
    owner = factories.person(fees.estate, "导入业主", "13600001111", "110101198505050024")
    factories.occupancy(unit, owner, start=date(2026, 10, 1), is_primary=True)
    db.session.commit()
    case_id = start_case(desk, unit)
    post(desk, f"/movein/cases/{case_id}/residents/done", {})
    case = db.session.get(MoveinCase, case_id)
    assert case.person_id == owner.id
    assert "导入业主" in desk.get(f"/movein/cases/{case_id}").get_data(as_text=True)


def test_a_meter_added_at_handover_is_read_under_the_number_it_is_stored_as(desk, db, new_unit,
                                                                           frozen):
    """A number typed in full-width characters is stored normalised (Ｅ－５０１ → E-501); its
    reading goes to that meter. A number without a reading adds the meter and records nothing
    else."""
    from frontdesk.models import Meter

    case_id = start_case(desk, new_unit)
    post(desk, f"/movein/cases/{case_id}/readings",
         {"number-electricity": "Ｅ－５０１", "new-electricity": "88"})
    meter = db.session.scalar(sa.select(Meter).where(Meter.kind == "electricity"))
    assert meter.number == "E-501" and meter.unit_id == new_unit.id
    assert db.session.scalar(sa.select(MeterReading.value).where(
        MeterReading.meter_id == meter.id)) == Decimal("88")
