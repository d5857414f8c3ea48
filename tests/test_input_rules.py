"""The input rules at the edge, on the cases that were server errors: NUL, huge numbers, 1e309."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from frontdesk.models import AuditEvent, BillLine, BillRun, Person, Refund, Tariff
from frontdesk.money import quantize_money
from frontdesk.services.validation import DB_INT_MAX, record_id
from frontdesk.web import whole_number
from tests.conftest import Fees, count

REFUSED = "提交的内容含有不可见的控制字符"
HUGE = "99999999999999999999"


def test_a_control_character_in_the_desk_search_is_refused_with_a_message(desk):
    for value in ["\x00", "名\x00", "\x1b[31m", "a\x7fb", "\x85"]:
        r = desk.get("/desk", query_string={"q": value})
        assert r.status_code == 400, value
        assert REFUSED in r.get_data(as_text=True)


def test_line_breaks_are_refused_in_a_query_but_kept_in_a_text_area(desk, world, db):
    assert desk.get("/desk", query_string={"q": "张\n三"}).status_code == 400
    r = desk.post(f"/register/people/{world.person.id}/edit", data={
        "name": world.person.name, "id_type": "居民身份证", "note": "第一行\r\n\t第二行"})
    assert r.status_code == 302
    db.session.refresh(world.person)
    assert world.person.note.splitlines() == ["第一行", "\t第二行"]


def test_a_nul_in_a_form_field_writes_nothing(desk, world, db):
    events = count(db, AuditEvent)
    for field in ["name", "phone", "note", "id_number"]:
        data = {"name": "李四", "id_type": "居民身份证", "phone": "13900002222"}
        data[field] = data.get(field, "") + "\x00"
        r = desk.post("/register/people/new", data=data)
        assert r.status_code == 400 and REFUSED in r.get_data(as_text=True), field
    assert count(db, Person) == 1 and count(db, AuditEvent) == events


def test_a_nul_in_an_uploaded_file_name_is_refused(desk, db):
    r = desk.post("/register/import", data={
        "kind": "building", "file": (io.BytesIO(b"number\n1\n"), "楼栋\x00.csv")},
        content_type="multipart/form-data")
    assert r.status_code == 400


def test_the_error_page_speaks_english_to_an_english_user(desk, world, db):
    world.users["frontdesk"].locale = "en"
    db.session.commit()
    r = desk.get("/desk", query_string={"q": "\x00"})
    assert r.status_code == 400 and "invisible control characters" in r.get_data(as_text=True)


@pytest.mark.parametrize(("role", "urls"), [
    ("frontdesk", ["/register/people", "/keys/", "/payments/receipts", "/keys/counts"]),
    ("manager", ["/audit/", "/payments/refunds"]),
    ("finance", ["/billing/", "/meters/flagged"]),
])
def test_a_page_number_out_of_range_shows_the_first_page(as_role, role, urls):
    client = as_role(role)
    for url in urls:
        for page in [HUGE, "2147483648", "-5", "0", "1e3", "五"]:
            assert client.get(url, query_string={"page": page}).status_code == 200, (url, page)


def test_an_id_out_of_range_in_a_query_is_ignored(as_role):
    manager, desk = as_role("manager"), as_role("frontdesk")
    for client, url, arg in [(manager, "/audit/", "object_id"), (manager, "/audit/", "user_id"),
                             (desk, "/keys/", "building_id")]:
        for value in [HUGE, "2147483648"]:
            assert client.get(url, query_string={arg: value}).status_code == 200, (url, arg)


def test_an_id_out_of_range_in_a_url_is_not_found(desk):
    for unit_id in [HUGE, "2147483648"]:
        assert desk.get(f"/register/units/{unit_id}").status_code == 404
        assert desk.get(f"/desk/units/{unit_id}").status_code == 404


def test_an_adjustment_beyond_range_is_a_form_error(finance, world, db):
    fees = Fees(world)
    for amount in ["1e309", "-1e309", "1E400", "nan", "Infinity", "9" * 40]:
        r = finance.post(f"/billing/units/{fees.unit.id}/adjust", data={
            "fee_item": fees.water.id, "period": "2026-10", "amount": amount, "reason": "x"})
        assert r.status_code == 422 and "金额" in r.get_data(as_text=True), amount
    assert count(db, BillLine) == 0


def test_confirming_a_readings_import_that_does_not_exist_says_so(finance, db):
    for data in [{}, {"token": ""}, {"token": "0" * 32}, {"token": "../../etc/passwd"}]:
        r = finance.post("/meters/import/confirm", data=data, follow_redirects=True)
        assert r.status_code == 200 and "该导入已失效" in r.get_data(as_text=True), data


def test_posting_a_bill_run_with_a_malformed_scope_posts_nothing(finance, world, db):
    Fees(world)
    for building in [" ", "\t", "x", "１", HUGE]:
        r = finance.post("/billing/post", data={"period": "2026-10", "building": building})
        assert r.status_code in (302, 400), building
    assert count(db, BillRun) == 0 and count(db, BillLine) == 0


def test_a_tariff_for_a_building_id_out_of_range_is_a_form_error(as_role, world, db):
    fees = Fees(world)
    tariffs = count(db, Tariff)
    r = as_role("finance").post(f"/fees/items/{fees.area.id}/tariffs", data={
        "scope": "building", "building_id": HUGE, "valid_from": "2027-01-01", "price": "1"})
    assert r.status_code == 422 and count(db, Tariff) == tariffs


def test_a_refund_of_a_deposit_id_out_of_range_is_a_form_error(desk, world, db):
    r = desk.post(f"/payments/units/{world.unit.id}/refunds/new", data={
        "source": "deposit", "deposit_id": "999999999999", "amount": "1", "method": "cash",
        "reason": "x"})
    assert r.status_code == 422 and count(db, Refund) == 0


@pytest.mark.parametrize(("text", "expected"), [
    ("1", 1), (" 42 ", 42), (str(DB_INT_MAX), DB_INT_MAX), (str(DB_INT_MAX + 1), None),
    ("0", None), ("-1", None), ("", None), (None, None), ("1e3", None), ("１２", None),
    ("٣", None), (HUGE, None), ("12abc", None),
])
def test_record_ids_keep_to_the_database_range(text, expected):
    assert record_id(text) == expected
    if expected is None:
        with pytest.raises(ValueError):
            whole_number(text)
    else:
        assert whole_number(text) == expected


@pytest.mark.parametrize("text", ["1e309", "-1e309", "1E400"])
def test_money_beyond_what_decimal_holds_is_not_an_amount(text):
    with pytest.raises(ValueError):
        quantize_money(text)
    assert quantize_money("1e3") == Decimal("1000.00")
