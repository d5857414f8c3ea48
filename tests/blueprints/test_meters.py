"""Meters and readings through their pages: the grid, rollover and replacement, flags, shared
meters' approval and loss, import; bad input gets a message and writes nothing."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, Meter, MeterReading
from frontdesk.services import DomainError
from frontdesk.services.demo.meters import load_demo_meters
from frontdesk.services.fees import meters, readings
from tests import factories
from tests.conftest import count


def make_meter(unit, kind="water", **kw) -> Meter:
    """A unit's meter in the unit's building, numbered after the unit (W3-2-1502)."""
    return factories.meter(unit.building.estate, kind, f"{kind[0].upper()}{unit.code}",
                           unit=unit, building=unit.building, **kw)


def reading_of(db, meter, period) -> MeterReading | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(MeterReading).where(MeterReading.meter_id == meter.id,
                                                           MeterReading.period == period))


def next_month() -> str:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return meters.previous_period(f"{today.year:04d}-{today.month:02d}", -1)


def record(client, meter, **data):
    form = {"period": "2026-10", "kind": "normal", "value": "", "old_final": "",
            "new_start": ""}
    form.update(data)
    return client.post(f"/meters/{meter.id}/readings", data=form)


@pytest.fixture
def block(db, world):
    """Building 3 with three units, each with a water meter read in 2026-09."""
    units = [world.unit, factories.unit(world.building, "2", 16, "1602", "120.00"),
             factories.unit(world.building, "1", 3, "301", "60.50")]
    water = [make_meter(u) for u in units]
    for meter, value in zip(water, ("100", "2000.5", "37"), strict=True):
        factories.reading(meter, "2026-08", Decimal(value) - 10)
        factories.reading(meter, "2026-09", value, Decimal(value) - 10)
    db.session.commit()
    return units, water


# the grid --------------------------------------------------------------------------------------


def test_grid_shows_last_readings_and_saves_the_typed_ones(finance, db, world, block):
    units, water = block
    r = finance.get(f"/meters/buildings/{world.building.id}/grid?kind=water&period=2026-10")
    assert r.status_code == 200
    assert "3-2-1502" in r.text and "2,000.5" in r.text and "2026-09" in r.text
    before = count(db, MeterReading)
    r = finance.post(f"/meters/buildings/{world.building.id}/grid", data={
        "kind": "water", "period": "2026-10", f"reading-{water[0].id}": "112",
        f"reading-{water[1].id}": " 2,010.75 ", f"reading-{water[2].id}": ""})
    assert r.status_code == 302, r.text[:3000]
    assert count(db, MeterReading) == before + 2
    first, second = reading_of(db, water[0], "2026-10"), reading_of(db, water[1], "2026-10")
    assert (first.previous_value, first.value, first.consumption) == (
        Decimal("100"), Decimal("112"), Decimal("12"))
    assert second.consumption == Decimal("10.25") and not second.flagged
    assert reading_of(db, water[2], "2026-10") is None  # blank cells are skipped
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "grid_entry")).one()
    assert event.after["readings"] == 2 and event.user_name == "finance"
    page = finance.get(r.headers["Location"])
    assert 'value="112"' in page.text


def test_grid_with_one_bad_cell_saves_nothing_and_keeps_what_was_typed(finance, db, world,
                                                                        block):
    _units, water = block
    before = count(db, MeterReading)
    r = finance.post(f"/meters/buildings/{world.building.id}/grid", data={
        "kind": "water", "period": "2026-10", f"reading-{water[0].id}": "112",
        f"reading-{water[1].id}": "12o4", f"reading-{water[2].id}": "30"})
    assert r.status_code == 422
    assert count(db, MeterReading) == before
    assert "读数必须是数字" in r.text
    assert "低于上次读数" in r.text  # 30 < 37: every bad cell is reported at once
    assert 'value="12o4"' in r.text and 'value="112"' in r.text
    assert r.text.count("is-invalid") == 2


def test_grid_refuses_a_future_period(finance, db, world, block):
    _units, water = block
    before = count(db, MeterReading)
    r = finance.post(f"/meters/buildings/{world.building.id}/grid", data={
        "kind": "water", "period": next_month(), f"reading-{water[0].id}": "150"})
    assert r.status_code == 422
    assert "尚未到来" in r.text
    assert count(db, MeterReading) == before


# one meter: below the last, rollover, replacement, flags ----------------------------------------


def test_reading_below_the_last_one_is_refused(finance, db, world, block):
    _units, water = block
    before = count(db, MeterReading)
    r = record(finance, water[0], value="99")
    assert r.status_code == 422
    assert "低于上次读数" in r.text and 'value="99"' in r.text
    assert count(db, MeterReading) == before


def test_rollover_is_accepted_with_the_consumption_across_the_dial_maximum(finance, db, world):
    meter = make_meter(world.unit, "electricity", max_value=Decimal("99999"),
                       multiplier=Decimal("2"))
    factories.reading(meter, "2026-08", "99000")
    factories.reading(meter, "2026-09", "99990", "99000")
    db.session.commit()
    r = record(finance, meter, kind="rollover", value="15")
    assert r.status_code == 302, r.text[:3000]
    reading = reading_of(db, meter, "2026-10")
    # the dial turned 99,990 → 99,999 → 0 → 15: 25 units, × 2
    assert reading.kind == "rollover" and reading.consumption == Decimal("50")
    assert reading.previous_value == Decimal("99990")
    assert "翻表" in finance.get(f"/meters/{meter.id}").text


def test_rollover_above_the_last_reading_is_refused(finance, db, world, block):
    _units, water = block
    r = record(finance, water[0], kind="rollover", value="150")
    assert r.status_code == 422
    assert reading_of(db, water[0], "2026-10") is None


def test_meter_replacement_is_accepted(finance, db, world, block):
    _units, water = block
    r = record(finance, water[0], kind="replacement", value="12")
    assert r.status_code == 422 and "旧表" in r.text  # the old meter's final is required
    r = record(finance, water[0], kind="replacement", old_final="140", new_start="2",
               value="12")
    assert r.status_code == 302, r.text[:3000]
    reading = reading_of(db, water[0], "2026-10")
    # (140 − 100) on the old meter + (12 − 2) on the new one
    assert reading.kind == "replacement" and reading.consumption == Decimal("50")
    assert reading.old_final_value == Decimal("140") and reading.previous_value == Decimal("2")


def test_three_times_the_average_is_flagged_not_refused(finance, db, world):
    meter = make_meter(world.unit)
    factories.reading(meter, "2026-01", "500")
    value = 500
    for month in range(2, 8):
        factories.reading(meter, f"2026-{month:02d}", value + 10, value)
        value += 10
    db.session.commit()
    r = record(finance, meter, period="2026-08", value=str(value + 31))
    assert r.status_code == 302
    reading = reading_of(db, meter, "2026-08")
    assert reading.consumption == Decimal("31") and reading.flagged
    assert "3 倍" in finance.get(r.headers["Location"]).text  # the flash says why
    flagged = finance.get("/meters/flagged")
    assert meter.number in flagged.text and "2026-08" in flagged.text
    r = record(finance, meter, period="2026-09", value=str(value + 31 + 29))
    assert not reading_of(db, meter, "2026-09").flagged  # 29 < 3 × the average


def test_future_period_is_refused_on_the_meter_page(finance, db, world, block):
    _units, water = block
    before = count(db, MeterReading)
    r = record(finance, water[0], period=next_month(), value="150")
    assert r.status_code == 422 and "尚未到来" in r.text
    assert count(db, MeterReading) == before


@pytest.mark.parametrize(("value", "message"), [
    ("abc", "读数必须是数字"),
    ("-5", "读数不能为负数"),
    ("1e9", "超过表盘最大值"),
    ("99999999999999999999999", "超过表盘最大值"),
    ("12.345", "最多保留两位小数"),
    ("", "读数不能为空"),
    ("<script>1</script>", "读数必须是数字"),
])
def test_letters_negative_and_absurd_readings_are_refused(finance, db, world, block, value,
                                                          message):
    _units, water = block
    before = count(db, MeterReading)
    r = record(finance, water[0], value=value)
    assert r.status_code == 422
    assert message in r.text, r.text[:3000]
    assert "<script>1</script>" not in r.text
    assert count(db, MeterReading) == before


def test_bad_period_is_refused(finance, db, world, block):
    _units, water = block
    before = count(db, MeterReading)
    r = record(finance, water[0], period="2026-13", value="150")
    assert r.status_code == 422 and "年-月" in r.text
    assert count(db, MeterReading) == before


def test_reentering_replaces_until_the_period_is_billed(finance, db, world, block):
    _units, water = block
    assert record(finance, water[0], value="150").status_code == 302
    assert record(finance, water[0], value="130").status_code == 302
    reading = reading_of(db, water[0], "2026-10")
    assert reading.value == Decimal("130") and reading.consumption == Decimal("30")
    assert count(db, MeterReading) == 7  # one reading per meter and period
    item = factories.fee_item(world.estate, "SF", "水费", method="metered", meter_kind="water")
    factories.bill_line(world.unit, item, "2026-10", "150.00", "", date(2026, 11, 15))
    db.session.commit()
    r = record(finance, water[0], value="140")
    assert r.status_code == 422 and "已出账" in r.text
    assert reading_of(db, water[0], "2026-10").value == Decimal("130")


def test_later_reading_blocks_an_earlier_period(finance, db, world, block):
    _units, water = block
    r = record(finance, water[0], period="2026-07", value="80")
    assert r.status_code == 422 and "2026-08" in r.text


# meters ----------------------------------------------------------------------------------------


def test_add_a_units_meter_and_bad_input(finance, db, world):
    form = {"kind": "water", "number": "SB-001", "unit_code": "3-2-1502", "multiplier": "1",
            "max_value": "99999"}
    r = finance.post("/meters/new", data=form)
    assert r.status_code == 302
    meter = db.session.scalar(sa.select(Meter).where(Meter.number == "SB-001"))
    assert meter.unit_id == world.unit.id and meter.building_id == world.building.id
    before = count(db, Meter)
    for over, message in [({"number": "SB-001", "kind": "gas"}, "已被使用"),
                          ({"number": "SB-002"}, "已有同类"),
                          ({"number": "SB-003", "unit_code": "9-9-999"}, "没有房号"),
                          ({"number": "SB-004", "kind": "gas", "multiplier": "0"}, "大于 0"),
                          ({"number": "SB-005", "kind": "gas", "max_value": "x"}, "必须是数字")]:
        r = finance.post("/meters/new", data={**form, **over})
        assert r.status_code == 422 and message in r.text, (over, r.text[:3000])
    assert count(db, Meter) == before


# shared meters ---------------------------------------------------------------------------------


def test_shared_reading_is_approved_and_the_loss_is_shown(finance, as_role, db, world):
    other_unit = factories.unit(world.building, "2", 16, "1602", "120.00")
    item = factories.fee_item(world.estate, "GTDF", "公摊电费", method="apportioned",
                              meter_kind="electricity")
    for unit, used in ((world.unit, 100), (other_unit, 150)):
        sub = make_meter(unit, "electricity")
        factories.reading(sub, "2026-09", "1000")
        factories.reading(sub, "2026-10", 1000 + used, "1000")
    db.session.commit()
    r = finance.post("/meters/shared/new", data={
        "kind": "electricity", "number": "GT-3", "building_id": str(world.building.id),
        "apportion_basis": "area", "fee_item_id": str(item.id), "multiplier": "1",
        "max_value": "999999"})
    assert r.status_code == 302, r.text[:3000]
    shared = db.session.scalar(sa.select(Meter).where(Meter.number == "GT-3"))
    assert shared.shared and shared.fee_item_id == item.id
    assert record(finance, shared, period="2026-09", value="5000").status_code == 302
    assert record(finance, shared, period="2026-10", value="5400").status_code == 302
    reading = reading_of(db, shared, "2026-10")
    assert meters.shared_loss(shared, "2026-10") is None  # not approved yet
    page = finance.get("/meters/shared")
    assert "待审核" in page.text

    engineer = as_role("engineering")
    assert engineer.post(f"/meters/readings/{reading.id}/approve").status_code == 403
    r = finance.post(f"/meters/readings/{reading.id}/approve", data={"back": "shared"})
    assert r.status_code == 302
    reading = reading_of(db, shared, "2026-10")
    assert reading.approved_at is not None
    assert reading.approved_by_id == world.users["finance"].id
    assert meters.shared_loss(shared, "2026-10") == (Decimal("400"), Decimal("250"),
                                                     Decimal("150"))
    page = finance.get("/meters/shared")
    table = re.search(rf'id="shared-{shared.id}".*?</table>', page.text, re.S).group(0)
    row = re.search(r"<tr>\s*<td>2026-10</td>.*?</tr>", table, re.S).group(0)
    assert "400" in row and "250" in row and ">150<" in row and "已审核" in row
    # approving twice changes nothing and says so
    r = finance.post(f"/meters/readings/{reading.id}/approve", data={"back": "shared"})
    assert "已审核过" in finance.get(r.headers["Location"]).text
    # a manager approves from the approvals page
    assert as_role("manager").get("/meters/approvals").status_code == 200


# import ----------------------------------------------------------------------------------------


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def upload(client, data: bytes, filename: str):
    return client.post("/meters/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_import_with_a_bad_row_lists_it_and_writes_nothing(finance, db, world, block):
    _units, water = block
    before = count(db, MeterReading)
    data = csv_bytes([["表号", "期间", "读数"],
                      [water[0].number, "2026-10", "112"],
                      ["NO-SUCH", "2026-10", "5"],
                      [water[1].number, "2026-10", "abc"],
                      [water[2].number, "2026-10", "30"]])
    r = upload(finance, data, "readings.csv")
    assert r.status_code == 422
    errors = re.search(r'id="import-errors".*?</table>', r.text, re.S).group(0)
    rows = re.findall(r"<tr><td class=\"text-end\">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>",
                      errors)
    assert [(row, column) for row, column, _ in rows] == [("3", "表号"), ("4", "读数"),
                                                          ("5", "读数")]
    assert "NO-SUCH" in rows[0][2] and "数字" in rows[1][2] and "低于上次读数" in rows[2][2]
    assert count(db, MeterReading) == before


def test_import_of_a_clean_workbook_after_preview_and_confirm(finance, db, world, block):
    _units, water = block
    r = finance.get(f"/meters/buildings/{world.building.id}/sheet.xlsx?kind=water&period=2026-10")
    assert r.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(r.data))
    sheet = workbook.active
    assert [c.value for c in sheet[1]][:2] == ["表号", "期间"]
    typed = {water[0].number: "105", water[1].number: "2001", water[2].number: "40"}
    rows = list(sheet.iter_rows(min_row=2))
    assert [row[0].value for row in rows] == [water[2].number, water[0].number, water[1].number]
    for row in rows:
        row[-1].value = typed[row[0].value]
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = count(db, MeterReading)
    r = upload(finance, buffer.getvalue(), "抄表.xlsx")
    assert r.status_code == 200, r.text[:3000]
    assert count(db, MeterReading) == before  # nothing until confirmed
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', r.text).group(1)
    r = finance.post("/meters/import/confirm", data={"token": token})
    assert r.status_code == 302
    assert count(db, MeterReading) == before + 3
    assert reading_of(db, water[2], "2026-10").consumption == Decimal("3")
    r = finance.post("/meters/import/confirm", data={"token": token})
    assert count(db, MeterReading) == before + 3  # a second confirm imports nothing


# other estates ---------------------------------------------------------------------------------


def test_another_estates_meters_readings_and_buildings_give_404(finance, db, world):
    building = factories.building(world.other_estate, "7")
    unit = factories.unit(building, "1", 3, "301")
    meter = make_meter(unit)
    reading = factories.reading(meter, "2026-09", "10")
    db.session.commit()
    assert finance.get(f"/meters/{meter.id}").status_code == 404
    assert record(finance, meter, value="20").status_code == 404
    assert finance.get(f"/meters/buildings/{building.id}/grid").status_code == 404
    assert finance.post(f"/meters/readings/{reading.id}/approve").status_code == 404
    r = finance.post(f"/meters/buildings/{world.building.id}/grid", data={
        "kind": "water", "period": "2026-10", f"reading-{meter.id}": "20"})
    assert r.status_code == 422
    assert reading_of(db, meter, "2026-10") is None


# services --------------------------------------------------------------------------------------


def test_record_reading_takes_today_so_the_current_month_can_be_frozen(app, db, world, block):
    _units, water = block
    actor = world.users["finance"]
    with app.test_request_context(), pytest.raises(DomainError) as e:
        readings.record_reading(actor, water[0], "2026-10", "120", today=date(2026, 9, 30))
    assert e.value.field == "period"
    reading = readings.record_reading(actor, water[0], "2026-10", "120", today=date(2026, 10, 1))
    assert reading.consumption == Decimal("20")


def test_demo_meters_give_every_unit_two_meters_and_each_building_a_loss(app, db, world):
    factories.unit(world.building, "2", 16, "1602", "120.00")
    other = factories.building(world.estate, "5")
    factories.unit(other, "1", 2, "201", "75.00")
    db.session.commit()
    counts = load_demo_meters(world.users["admin"], world.estate)
    assert counts["unit_meters"] == 6 and counts["shared_meters"] == 2
    for shared in db.session.scalars(sa.select(Meter).where(Meter.shared.is_(True))):
        assert shared.apportion_basis == "area" and shared.kind == "electricity"
        for period in ("2026-09", "2026-10"):
            used, subs, loss = meters.shared_loss(shared, period)
            assert subs > 0 and loss > 0 and used == subs + loss
    with app.test_request_context(), pytest.raises(DomainError):
        load_demo_meters(world.users["admin"], world.estate)


def test_every_meter_page_renders_with_demo_data(finance, as_role, db, world):
    load_demo_meters(world.users["admin"], world.estate)
    unit_meter = db.session.scalar(sa.select(Meter).where(Meter.unit_id == world.unit.id,
                                                          Meter.kind == "electricity"))
    shared = db.session.scalar(sa.select(Meter).where(Meter.shared.is_(True)))
    unit_meter.readings[-1].flagged = True
    db.session.commit()
    b = world.building.id
    for url in ("/meters/", f"/meters/buildings/{b}", f"/meters/buildings/{b}?kind=gas",
                f"/meters/buildings/{b}/grid?kind=electricity&period=2026-10",
                f"/meters/{unit_meter.id}", f"/meters/{shared.id}", "/meters/shared",
                "/meters/flagged", "/meters/import", "/meters/new", "/meters/shared/new"):
        r = finance.get(url)
        assert r.status_code == 200, url
    assert "3-2-1502" in finance.get("/meters/flagged").text
    assert as_role("manager").get("/meters/approvals").status_code == 200
    assert as_role("engineering").get("/meters/shared/new").status_code == 403


@pytest.mark.postgres
def test_the_same_grid_saved_by_two_users_at_once_keeps_one_reading_per_meter(app, db, world,
                                                                               block):
    import threading

    from frontdesk.models import Building, User

    _units, water = block
    ids = {"building": world.building.id, "user": world.users["finance"].id,
           "meters": [m.id for m in water]}
    barrier = threading.Barrier(2)
    outcomes = []

    def save(value):
        with app.app_context(), app.test_request_context():
            building = db.session.get(Building, ids["building"])
            actor = db.session.get(User, ids["user"])
            barrier.wait()
            try:
                readings.save_grid(actor, building, "water", "2026-10",
                                 {i: value for i in ids["meters"]})
                outcomes.append("saved")
            except DomainError as e:
                outcomes.append(str(e))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(v,)) for v in ("2100", "2200")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert "saved" in outcomes, outcomes
    db.session.expire_all()
    for meter_id in ids["meters"]:
        n = db.session.scalar(sa.select(sa.func.count()).select_from(MeterReading).where(
            MeterReading.meter_id == meter_id, MeterReading.period == "2026-10"))
        assert n == 1
