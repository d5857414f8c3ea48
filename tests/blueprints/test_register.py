"""The property register through its pages: forms validate, nothing is half-written."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, Building, Occupancy, Person, Unit, Vehicle
from tests.conftest import count


def unit_form(**over):
    data = {"entrance": "1", "floor": "5", "room": "502", "gross_area": "96.32",
            "inner_area": "80.10", "usage": "住宅", "status": "未交房", "handover_date": ""}
    data.update(over)
    return data


def test_create_building_and_unit(desk, db, world):
    r = desk.post("/register/buildings/new", data={"number": "12", "name": "", "usage": "住宅",
                                                   "floors": "26", "elevator": "y"})
    assert r.status_code == 302
    building = db.session.scalar(sa.select(Building).where(Building.number == "12"))
    assert building.elevator and building.floors == 26
    r = desk.post(f"/register/buildings/{building.id}/units/new", data=unit_form())
    assert r.status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "12-1-502"))
    assert unit.gross_area == Decimal("96.32") and unit.estate_id == world.estate.id
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == "unit",
                                                            AuditEvent.action == "create")).all()
    assert events[-1].after["code"] == "12-1-502"
    assert events[-1].user_name == "frontdesk"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("gross_area", "abc", "面积必须是数字"),
        ("gross_area", "-5", "面积必须大于 0"),
        ("gross_area", "0", "面积必须大于 0"),
        ("gross_area", "99999999999", "面积过大"),
        ("gross_area", "89.555", "最多保留两位小数"),
        ("floor", "five", "不是有效的整数"),
        ("floor", "99", "楼层应在"),
        ("room", "", "请填写房号"),
        ("room", "x" * 40, "16"),
        ("entrance", "2", "已存在"),
        ("handover_date", "2026-13-45", "日期格式"),
        ("inner_area", "120.00", "套内面积不能大于建筑面积"),
    ],
)
def test_bad_unit_input_gets_a_message_and_writes_nothing(desk, db, world, field, value, message):
    before = count(db, Unit)
    data = unit_form(**{field: value})
    if field == "entrance":
        data["room"] = "1502"
    r = desk.post(f"/register/buildings/{world.building.id}/units/new", data=data)
    assert r.status_code == 422
    assert message in r.text
    assert count(db, Unit) == before
    assert f'value="{value}"' in r.text or field in ("usage", "status") or value == ""


def test_blank_building_number_and_bad_floors(desk, db, world):
    before = count(db, Building)
    r = desk.post("/register/buildings/new", data={"number": "", "usage": "住宅", "floors": "x"})
    assert "请填写楼栋号" in r.text and "不是有效的整数" in r.text
    r = desk.post("/register/buildings/new", data={"number": "3", "usage": "住宅", "floors": "5"})
    assert "已有楼栋号 3" in r.text
    assert count(db, Building) == before


def test_register_a_resident_with_hostile_name_is_shown_escaped(desk, db, world):
    data = {"name": "<script>alert(1)</script>", "phone": "139 0000 2222",
            "id_type": "居民身份证", "id_number": "", "role": "tenant",
            "start_date": "2026-01-01", "emergency_contact": "' OR 1=1 --"}
    r = desk.post(f"/register/units/{world.unit.id}/residents/new", data=data)
    assert r.status_code == 302
    person = db.session.scalar(sa.select(Person).where(Person.phone == "13900002222"))
    assert person.name == "<script>alert(1)</script>"
    assert person.emergency_contact == "' OR 1=1 --"
    page = desk.get(f"/desk/units/{world.unit.id}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert count(db, Person) == 2


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"name": ""}, "请填写姓名"),
        ({"phone": "12345"}, "电话号码格式不正确"),
        ({"id_number": "110101199003074478"}, "校验位不正确"),
        ({"id_number": "12345"}, "18 位"),
        ({"id_number": "110101199003074477"}, "已登记在本小区"),
        ({"start_date": ""}, "请填写起始日期"),
        ({"start_date": "24/11/2026"}, "日期格式"),
        ({"name": "名" * 65}, "64"),
    ],
)
def test_bad_resident_input_writes_nothing(desk, db, world, over, message):
    data = {"name": "李四", "phone": "13900002222", "id_type": "居民身份证", "id_number": "",
            "role": "member", "start_date": "2026-01-01"}
    data.update(over)
    people, occupancies = count(db, Person), count(db, Occupancy)
    r = desk.post(f"/register/units/{world.unit.id}/residents/new", data=data)
    assert r.status_code == 422
    assert message in r.text
    assert (count(db, Person), count(db, Occupancy)) == (people, occupancies)


def test_end_occupancy_refuses_a_date_before_the_start(desk, db, world):
    r = desk.post(f"/register/occupancies/{world.occupancy.id}/end",
                  data={"end_date": "2020-01-01"})
    assert "结束日期不能早于开始日期" in r.text
    db.session.expire_all()
    assert db.session.get(Occupancy, world.occupancy.id).end_date is None
    r = desk.post(f"/register/occupancies/{world.occupancy.id}/end",
                  data={"end_date": "2026-11-30"})
    assert r.status_code == 302
    db.session.expire_all()
    assert str(db.session.get(Occupancy, world.occupancy.id).end_date) == "2026-11-30"


def test_add_vehicle_normalises_and_refuses_duplicates_and_bad_plates(desk, db, world):
    url = f"/register/people/{world.person.id}/vehicles"
    assert desk.post(url, data={"plate": "沪 c·12345"}).status_code == 302
    assert db.session.scalar(sa.select(Vehicle).where(Vehicle.plate == "沪C12345"))
    r = desk.post(url, data={"plate": "沪C12345"})
    assert "已登记" in r.text
    r = desk.post(url, data={"plate": "ABC"})
    assert "车牌号格式不正确" in r.text
    assert count(db, Vehicle) == 2


def test_link_person_to_unit_by_code(desk, db, world):
    other = db.session.scalar(sa.select(Unit).where(Unit.id == world.unit.id))
    r = desk.post("/register/people/new",
                  data={"name": "王五", "phone": "", "id_type": "居民身份证", "id_number": ""})
    person = db.session.scalar(sa.select(Person).where(Person.name == "王五"))
    assert r.status_code == 302
    r = desk.post(f"/register/people/{person.id}/units",
                  data={"unit_code": "9-9-999", "role": "owner", "start_date": "2026-01-01"})
    assert "没有房号 9-9-999" in r.text
    r = desk.post(f"/register/people/{person.id}/units",
                  data={"unit_code": other.code, "role": "owner", "start_date": "2026-01-01"})
    assert r.status_code == 302
    assert db.session.scalar(sa.select(Occupancy).where(Occupancy.person_id == person.id))


def test_phones_and_ids_are_masked_for_roles_that_do_not_need_them(as_role, world):
    finance = as_role("finance")
    page = finance.get(f"/register/people/{world.person.id}").text
    assert "138****5678" in page and "13812345678" not in page
    assert "110***********4477" in page and "110101199003074477" not in page
    desk = as_role("frontdesk")
    page = desk.get(f"/register/people/{world.person.id}").text
    assert "13812345678" in page and "110101199003074477" in page
    card = desk.get(f"/desk/units/{world.unit.id}").text
    assert "110***********4477" in card


def test_building_list_sums_areas_exactly(desk, world, db):
    from tests import factories

    factories.unit(world.building, "1", 3, "301", gross_area="0.10")
    factories.unit(world.building, "1", 3, "302", gross_area="0.20")
    db.session.commit()
    page = desk.get("/register/buildings").text
    assert "89.80" in page
