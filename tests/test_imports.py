"""Import of buildings, units and people from CSV and .xlsx, and export of the register to .xlsx."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, Building, Occupancy, Person, Unit
from tests import factories
from tests.conftest import login

UNIT_HEADER = ["楼栋号", "单元", "楼层", "房号", "建筑面积", "套内面积", "用途", "状态"]
PEOPLE_HEADER = ["姓名", "手机", "证件类型", "证件号码", "房号", "身份", "起始日期",
                 "主要联系人(是/否)", "紧急联系人", "紧急联系电话"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], title: str = "Sheet1") -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.title = title
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, kind: str, data: bytes, filename: str):
    return client.post("/register/import",
                       data={"kind": kind, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def token_of(response) -> str:
    match = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', response.text)
    assert match, response.text[:2000]
    return match.group(1)


def confirm(client, token: str):
    return client.post("/register/import/confirm", data={"token": token})


def import_file(client, kind: str, data: bytes, filename: str):
    """Upload a file, check the preview is clean, confirm it, and return the confirm response."""
    r = upload(client, kind, data, filename)
    assert r.status_code == 200, error_rows(r)
    return confirm(client, token_of(r))


def error_rows(response) -> list[tuple[int, str, str]]:
    """Return the (row, column, reason) rows of the preview's error table."""
    table = re.search(r'<table[^>]*id="import-errors">(.*?)</table>', response.text, re.S)
    if not table:
        return []
    return [(int(n), html.unescape(col), html.unescape(reason)) for n, col, reason in re.findall(
        r'<tr><td class="text-end">(\d+)</td><td>(.*?)</td><td>(.*?)</td></tr>', table.group(1))]


def count(db, model, estate_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)
                             .where(model.estate_id == estate_id))


def import_events(db) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "import")))


# units -----------------------------------------------------------------------------------------


def test_units_import_from_utf8_csv(desk, world, db):
    data = csv_bytes([UNIT_HEADER, ["3", "1", "1", "101", "89.50", "72.30", "住宅", "已交房"],
                      ["3", "1", "1", "102", "", "", "", ""]])
    r = upload(desk, "unit", data, "units.csv")
    assert r.status_code == 200
    assert "3-1-101" not in r.text and "101" in r.text
    assert count(db, Unit, world.estate.id) == 1  # nothing written before the confirm
    r = confirm(desk, token_of(r))
    assert r.status_code == 302 and r.headers["Location"].endswith("/register/import?job=1")
    page = desk.get(r.headers["Location"]).text
    assert "units.csv" in page and 'href="/register/buildings"' in page
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "3-1-101"))
    assert (unit.floor, unit.gross_area, unit.inner_area, unit.status) == (
        1, Decimal("89.50"), Decimal("72.30"), "已交房")
    blank = db.session.scalar(sa.select(Unit).where(Unit.code == "3-1-102"))
    assert (blank.gross_area, blank.usage, blank.status) == (None, "住宅", "未交房")
    [event] = import_events(db)
    assert (event.object_type, event.estate_id, event.after) == (
        "unit", world.estate.id, {"rows": 2, "file": "units.csv"})
    assert "已从 units.csv 导入 2 户房屋" in page


def test_units_import_from_gbk_csv(desk, world, db):
    data = csv_bytes([UNIT_HEADER, ["3", "东", "2", "201", "120.5", "", "商业", "已入住"]],
                     encoding="gbk")
    assert confirm(desk, token_of(upload(desk, "unit", data, "房屋.csv"))).status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "3-东-201"))
    assert (unit.entrance, unit.usage, unit.status, unit.gross_area) == (
        "东", "商业", "已入住", Decimal("120.50"))


def test_units_import_from_xlsx(desk, world, db):
    data = xlsx_bytes([UNIT_HEADER, [3, 1, 5, 501, 89.5, 72.25, "住宅", "空置"],
                       [3, 1, 5, "0502", None, None, None, None]])
    assert import_file(desk, "unit", data, "units.xlsx").status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "3-1-501"))
    assert (unit.floor, unit.gross_area, unit.inner_area, unit.status) == (
        5, Decimal("89.50"), Decimal("72.25"), "空置")
    assert db.session.scalar(sa.select(Unit.id).where(Unit.code == "3-1-0502"))


def test_preview_lists_every_bad_row_and_writes_nothing(desk, world, db):
    rows = [
        ["3", "1", "1", "101", "89.50", "", "", ""],     # 2: good
        ["3", "1", "1", "102", "八十", "", "", ""],       # 3: letters in an area
        ["3", "1", "1", "103", "-5", "", "", ""],        # 4: negative area
        ["3", "1", "1", "104", "0", "", "", ""],         # 5: zero area
        ["3", "1", "1", "101", "60", "", "", ""],        # 6: same code as row 2
        ["3", "2", "15", "1502", "60", "", "", ""],      # 7: code already in the database
        ["3", "1", "1", "", "60", "", "", ""],           # 8: blank room
        ["3", "123456789", "1", "105", "60", "", "", ""],  # 9: entrance too long
        ["3", "1", "三", "106", "60", "", "", ""],        # 10: letters in the floor
        ["9", "1", "1", "107", "60", "", "", ""],        # 11: no such building
    ]
    units_before, events_before = count(db, Unit, world.estate.id), len(import_events(db))
    r = upload(desk, "unit", csv_bytes([UNIT_HEADER, *rows]), "bad.csv")
    assert r.status_code == 422
    errors = error_rows(r)
    expected = [
        (3, "建筑面积", "面积必须是数字"),
        (4, "建筑面积", "面积必须大于 0"),
        (5, "建筑面积", "面积必须大于 0"),
        (6, "房号", "房号 3-1-101 与文件第 2 行重复"),
        (7, "房号", "房号 3-2-1502 在本小区已存在"),
        (8, "房号", "房号不能为空"),
        (9, "单元", "单元不能超过 8 个字符"),
        (10, "楼层", "楼层必须是整数"),
        (11, "楼栋号", "本小区没有楼栋号 9"),
    ]
    for row, column, fragment in expected:
        assert any(e[0] == row and e[1] == column and fragment in e[2] for e in errors), (
            row, column, fragment, errors)
    assert {e[0] for e in errors} == {3, 4, 5, 6, 7, 8, 9, 10, 11}
    assert "9 行共有 9 处问题" in r.text and "尚未导入任何数据" in r.text
    assert 'name="token"' not in r.text
    assert count(db, Unit, world.estate.id) == units_before
    assert len(import_events(db)) == events_before


def test_wrong_header_is_refused(desk, world, db):
    data = csv_bytes([["楼栋", "单元", "楼层", "房间"], ["3", "1", "1", "101"]])
    r = upload(desk, "unit", data, "units.csv")
    assert r.status_code == 422
    errors = error_rows(r)
    unknown = ("无法识别的列。此类文件的列为："
               "楼栋号、单元、楼层、房号、建筑面积、套内面积、用途、状态。")
    assert (1, "楼栋", unknown) in errors
    assert (1, "房间", unknown) in errors
    assert (1, "房号", "表头缺少该列。") in errors
    assert count(db, Unit, world.estate.id) == 1


def test_english_column_keys_are_accepted(desk, world, db):
    data = csv_bytes([["building", "entrance", "floor", "room", "gross_area"],
                      ["3", "1", "2", "201", "88"]])
    assert import_file(desk, "unit", data, "units.csv").status_code == 302
    assert db.session.scalar(sa.select(Unit.gross_area).where(Unit.code == "3-1-201")) == 88


NOT_CSV_OR_XLSX = "只能导入 CSV（.csv）或 Excel（.xlsx）文件"


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"", "units.csv", "文件是空的。"),
    (b"\r\n \r\n", "units.csv", "文件是空的。"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", NOT_CSV_OR_XLSX),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "units.xls", NOT_CSV_OR_XLSX),
    (b"\x00\x01\x02binary", "units.csv", NOT_CSV_OR_XLSX),
    (b"PK\x03\x04 not really a workbook", "units.xlsx", "不是有效的 Excel 工作簿"),
    (b"\xc8\xfd,\xff\x20\r\n", "units.csv", "无法识别文件的字符编码"),
    ("楼栋号,单元,楼层,房号\r\n".encode(), "units.csv", "文件只有表头，没有数据行。"),
])
def test_unreadable_files_are_refused(desk, world, db, data, filename, message):
    r = upload(desk, "unit", data, filename)
    assert r.status_code == 422
    assert message in html.unescape(r.text)
    assert count(db, Unit, world.estate.id) == 1


def test_more_rows_than_the_configured_cap_are_refused(app, desk, world, db):
    app.config["IMPORT_MAX_ROWS"] = 5
    rows = [["3", "1", "1", str(100 + i), "50"] for i in range(6)]
    r = upload(desk, "unit", csv_bytes([UNIT_HEADER[:5], *rows]), "units.csv")
    assert r.status_code == 422
    assert "文件超过 5 行" in r.text
    assert count(db, Unit, world.estate.id) == 1


def test_ten_thousand_unit_rows_import(desk, world, db):
    factories.building(world.estate, "9", floors=200)
    db.session.commit()
    rows = [["9", str(entrance), str(floor), f"{floor:03d}{room:02d}", "89.50", "70"]
            for floor in range(1, 201) for entrance in range(1, 6) for room in range(1, 11)]
    assert len(rows) == 10_000
    r = upload(desk, "unit", csv_bytes([UNIT_HEADER[:6], *rows]), "big.csv")
    assert r.status_code == 200
    assert "全部 10000 行均无误" in r.text
    assert confirm(desk, token_of(r)).status_code == 302
    building = db.session.scalar(sa.select(Building).where(Building.number == "9"))
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))
                             .where(Unit.building_id == building.id)) == 10_000
    assert import_events(db)[0].after == {"rows": 10_000, "file": "big.csv"}


# buildings -------------------------------------------------------------------------------------


def test_buildings_import(desk, world, db):
    data = csv_bytes([["楼栋号", "名称", "用途", "楼层数", "电梯(是/否)"],
                      ["5", "五号楼", "住宅", "33", "是"], ["B1", "", "车库", "1", ""]])
    assert import_file(desk, "building", data, "buildings.csv").status_code == 302
    five = db.session.scalar(sa.select(Building).where(Building.number == "5"))
    assert (five.name, five.floors, five.elevator, five.sort_key) == (
        "五号楼", 33, True, "00000005")
    garage = db.session.scalar(sa.select(Building).where(Building.number == "B1"))
    assert (garage.usage, garage.elevator) == ("车库", False)


def test_bad_building_rows_are_listed(desk, world, db):
    data = csv_bytes([["楼栋号", "名称", "用途", "楼层数", "电梯(是/否)"],
                      ["3", "", "", "10", ""], ["6-1", "", "", "10", ""],
                      ["7", "", "别墅", "0", "也许"], ["8", "", "", "十", ""]])
    r = upload(desk, "building", data, "buildings.csv")
    assert r.status_code == 422
    errors = error_rows(r)
    assert (2, "楼栋号", "本小区已有楼栋号 3。") in errors
    assert (3, "楼栋号", "楼栋号不能包含“-”，它用于分隔房号的各部分。") in errors
    assert (4, "用途", "用途必须是以下之一：住宅、商业、办公、车库。") in errors
    assert (4, "楼层数", "楼层数应在 1 到 200 之间。") in errors
    assert (4, "电梯(是/否)", "电梯(是/否)只能填“是”或“否”。") in errors
    assert (5, "楼层数", "楼层数必须是整数，例如 12。") in errors
    assert count(db, Building, world.estate.id) == 1


# people ----------------------------------------------------------------------------------------


def test_people_import_stores_script_and_sql_literally_and_shows_them_escaped(desk, world, db):
    script, sql = "<script>alert(1)</script>", "' OR 1=1 --"
    data = csv_bytes([PEOPLE_HEADER,
                      [script, "13900001111", "", "", "3-2-1502", "家庭成员", "2024-06-01", "",
                       "", ""],
                      [sql, "", "护照", "E12345678", "", "", "", "", "李四", "010-12345678"]])
    r = upload(desk, "person", data, "people.csv")
    assert r.status_code == 200
    assert script not in r.text and html.escape(script) in r.text
    started = desk.get(confirm(desk, token_of(r)).headers["Location"]).text
    assert 'href="/register/people"' in started and "完成" in started
    person = db.session.scalar(sa.select(Person).where(Person.name == script))
    assert (person.phone, person.phone_tail, person.id_type) == (
        "13900001111", "1111", "居民身份证")
    [occupancy] = person.occupancies
    assert (occupancy.unit_id, occupancy.role, occupancy.start_date, occupancy.is_primary) == (
        world.unit.id, "member", date(2024, 6, 1), False)  # the unit already has a primary
    other = db.session.scalar(sa.select(Person).where(Person.name == sql))
    assert (other.id_number, other.emergency_contact, other.occupancies) == (
        "E12345678", "李四", [])
    page = desk.get("/register/people").text
    assert script not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#39; OR 1=1 --" in page
    assert count(db, Person, world.estate.id) == 3


def test_people_with_units_get_occupancies_and_a_primary_contact(desk, world, db):
    unit = factories.unit(world.building, "1", 3, "301")
    db.session.commit()
    data = csv_bytes([PEOPLE_HEADER,
                      ["王五", "13700001234", "", "110101199003076616", "3-1-301", "业主",
                       "2024/5/1", "", "", ""],
                      ["王五", "13700001234", "", "110101199003076616", "3-2-1502", "业主",
                       "2024-05-01", "", "", ""],
                      ["赵六", "", "", "", "3-1-301", "tenant", "2025-01-01", "否", "", ""]])
    assert import_file(desk, "person", data, "people.csv").status_code == 302
    [wang] = db.session.scalars(sa.select(Person).where(Person.name == "王五")).all()
    assert sorted(o.unit.code for o in wang.occupancies) == ["3-1-301", "3-2-1502"]
    occupancies = db.session.scalars(sa.select(Occupancy).where(Occupancy.unit_id == unit.id)
                                     .order_by(Occupancy.id)).all()
    assert [(o.person.name, o.role, o.is_primary) for o in occupancies] == [
        ("王五", "owner", True), ("赵六", "tenant", False)]


def test_bad_people_rows_are_listed(desk, world, db):
    data = csv_bytes([PEOPLE_HEADER,
                      ["", "12345", "", "", "", "", "", "", "", ""],
                      ["甲", "", "", "110101199003074478", "", "", "", "", "", ""],
                      ["乙", "", "", "110101199003074477", "", "", "", "", "", ""],
                      ["丙", "", "", "", "9-9-999", "", "", "", "", ""],
                      ["丁", "", "", "", "3-2-1502", "房东", "明天", "是", "", ""],
                      ["戊", "", "", "", "", "业主", "", "", "", ""]])
    r = upload(desk, "person", data, "people.csv")
    assert r.status_code == 422
    errors = error_rows(r)
    for row, column, fragment in [
        (2, "姓名", "姓名不能为空"),
        (2, "手机", "电话号码格式不正确"),
        (3, "证件号码", "校验位不正确"),
        (4, "证件号码", "该证件号码已登记在本小区的另一位住户名下"),
        (5, "房号", "本小区没有房号 9-9-999"),
        (5, "身份", "填写了房号时，身份不能为空"),
        (6, "身份", "身份必须是以下之一：业主、租户、家庭成员"),
        (6, "起始日期", "起始日期必须是日期"),
        (6, "主要联系人(是/否)", "房屋 3-2-1502 已有主要联系人"),
        (7, "身份", "身份只在填写房号时使用"),
    ]:
        assert any(e[0] == row and e[1] == column and fragment in e[2] for e in errors), (
            row, column, fragment, errors)
    assert count(db, Person, world.estate.id) == 1


# confirming ------------------------------------------------------------------------------------


def test_confirming_twice_imports_once(desk, world, db):
    r = upload(desk, "unit", csv_bytes([UNIT_HEADER[:4], ["3", "1", "1", "101"]]), "units.csv")
    token = token_of(r)
    assert confirm(desk, token).status_code == 302
    r = confirm(desk, token)
    assert r.status_code == 302 and r.headers["Location"].endswith("/register/import")
    assert "该导入已失效" in desk.get(r.headers["Location"]).text
    assert count(db, Unit, world.estate.id) == 2
    assert len(import_events(db)) == 1


def test_a_forged_token_is_refused(desk, world, db):
    r = confirm(desk, "../../etc/passwd")
    assert r.status_code == 302
    assert "该导入已失效" in desk.get("/register/import").text


def test_user_of_another_estate_cannot_confirm_someone_elses_token(app, desk, world, db):
    factories.user("frontdesk", [world.other_estate], username="other")
    db.session.commit()
    token = token_of(upload(desk, "unit", csv_bytes([UNIT_HEADER[:4], ["3", "1", "1", "101"]]),
                            "units.csv"))
    other = app.test_client()
    login(other, "other")
    r = confirm(other, token)
    assert r.status_code == 302
    assert "该导入已失效" in other.get(r.headers["Location"]).text
    assert count(db, Unit, world.estate.id) == 1
    assert count(db, Unit, world.other_estate.id) == 0
    assert confirm(desk, token).status_code == 302  # the owner's token still works
    assert count(db, Unit, world.estate.id) == 2


def test_a_token_is_bound_to_the_estate_it_was_checked_in(app, world, db):
    factories.user("frontdesk", [world.estate, world.other_estate], username="both")
    db.session.commit()
    client = app.test_client()
    login(client, "both")
    token = token_of(upload(client, "unit", csv_bytes([UNIT_HEADER[:4], ["3", "1", "1", "101"]]),
                            "units.csv"))
    client.post("/estate", data={"estate_id": world.other_estate.id})
    assert "该导入已失效" in client.get(confirm(client, token).headers["Location"]).text
    client.post("/estate", data={"estate_id": world.estate.id})
    assert confirm(client, token).status_code == 302
    assert count(db, Unit, world.estate.id) == 2
    assert count(db, Unit, world.other_estate.id) == 0


def test_confirm_checks_the_file_again(desk, world, db):
    token = token_of(upload(desk, "unit", csv_bytes([UNIT_HEADER[:4], ["3", "1", "1", "101"]]),
                            "units.csv"))
    factories.unit(world.building, "1", 1, "101")
    db.session.commit()
    r = confirm(desk, token)
    assert r.status_code == 302
    page = desk.get(r.headers["Location"]).text
    assert "失败" in page and "第 2 行，房号：房号 3-1-101 在本小区已存在。" in page
    assert count(db, Unit, world.estate.id) == 2


def test_roles_without_import_are_refused(as_role):
    assert as_role("engineering").get("/register/import").status_code == 403
    assert as_role("finance").post("/register/import/confirm", data={}).status_code == 403
    assert as_role("engineering").get("/register/export.xlsx").status_code == 403


# export ----------------------------------------------------------------------------------------


def read_workbook(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200 and response.mimetype == XLSX
    workbook = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def test_export_gives_three_sheets_with_the_import_headers(desk, world):
    sheets = read_workbook(desk.get("/register/export.xlsx"))
    assert list(sheets) == ["楼栋", "房屋", "住户"]
    assert sheets["楼栋"] == [("楼栋号", "名称", "用途", "楼层数", "电梯(是/否)"),
                             ("3", "3号楼", "住宅", 18, "否")]
    assert sheets["房屋"] == [tuple(UNIT_HEADER),
                             ("3", "2", 15, "1502", 89.5, 72.3, "住宅", "未交房")]
    assert sheets["住户"] == [tuple(PEOPLE_HEADER),
                             ("张三", "13812345678", "居民身份证", "110***********4477", "3-2-1502",
                              "业主", "2024-05-01", "是", None, None)]


def test_export_masks_ids_for_roles_without_the_whole_number(as_role, world):
    [_, person] = read_workbook(as_role("finance").get("/register/export.xlsx"))["住户"]
    assert person[3] == "110***********4477"
    assert person[1] == "138****5678"


@pytest.mark.parametrize("role", ["frontdesk", "manager"])
def test_export_masks_ids_as_the_people_list_does(as_role, world, role):
    client = as_role(role)
    page = client.get("/register/people").text
    assert "110***********4477" in page and "110101199003074477" not in page
    [_, person] = read_workbook(client.get("/register/export.xlsx"))["住户"]
    assert person[3] == "110***********4477"
    assert person[1] == "13812345678" and "13812345678" in page


def without_id_numbers(data: bytes) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    for row in workbook["住户"].iter_rows(min_row=2):
        row[3].value = None
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_template_has_the_headers_of_every_kind(desk, world):
    assert 'href="/register/import/template.xlsx"' in desk.get("/register/import").text
    sheets = read_workbook(desk.get("/register/import/template.xlsx"))
    assert sheets["房屋"] == [tuple(UNIT_HEADER)]
    assert sheets["住户"] == [tuple(PEOPLE_HEADER)]
    assert len(sheets["楼栋"]) == 1


def test_an_export_imports_again_into_an_empty_estate(app, desk, world, db):
    factories.person(world.estate, "=HYPERLINK(\"x\")", "13900002222", "110101199003071137")
    empty = factories.estate("新小区")
    factories.user("frontdesk", [empty], username="newdesk")
    db.session.commit()
    exported = desk.get("/register/export.xlsx").data
    client = app.test_client()
    login(client, "newdesk")
    for kind in ("building", "unit"):
        assert import_file(client, kind, exported, "export.xlsx").status_code == 302
    # ID numbers leave masked, as the people list shows them: retyped or left empty
    refused = upload(client, "person", exported, "export.xlsx")
    assert "证件号码是导出时的遮挡形式" in html.unescape(refused.text)
    assert import_file(client, "person", without_id_numbers(exported),
                       "export.xlsx").status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == empty.id))
    assert (unit.code, unit.gross_area, unit.inner_area) == ("3-2-1502", Decimal("89.50"),
                                                             Decimal("72.30"))
    names = set(db.session.scalars(sa.select(Person.name).where(Person.estate_id == empty.id)))
    assert names == {"张三", "=HYPERLINK(\"x\")"}
    [occupancy] = db.session.scalars(sa.select(Occupancy).where(Occupancy.estate_id == empty.id))
    assert (occupancy.role, occupancy.start_date, occupancy.is_primary) == (
        "owner", date(2024, 5, 1), True)
