"""Desk search at company size: what each kind of text finds, the name pieces the database
keeps for it on every path that writes people, and which queries a text runs."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from frontdesk.models import Person, PersonNameGram
from frontdesk.services.register import search
from tests import factories
from tests.conftest import statements
from tests.test_imports import PEOPLE_HEADER, csv_bytes, import_file


def found(desk, query) -> str:
    """The page a search shows, following a redirect to the one unit found."""
    r = desk.get("/desk", query_string={"q": query}, follow_redirects=True)
    assert r.status_code == 200, r.text[:500]
    return r.text


def grams(db, person) -> set[str]:
    return set(db.session.scalars(sa.select(PersonNameGram.gram)
                                  .where(PersonNameGram.person_id == person.id)))


@pytest.fixture
def family(world, db):
    """张三 (the world's) in 3-2-1502; 张三丰 in 3-2-1501; 刘张明 in 3-2-1503; 欧阳娜 in
    3-2-1504; 王芳, moved out of 3-2-1505."""
    b, e = world.building, world.estate
    units = {room: factories.unit(b, "2", 15, room) for room in ("1501", "1503", "1504", "1505")}
    for name, room, phone in (("张三丰", "1501", "13700000001"), ("刘张明", "1503", "13700000002"),
                              ("欧阳娜", "1504", "13700000003")):
        factories.occupancy(units[room], factories.person(e, name, phone, ""))
    gone = factories.person(e, "王芳", "13700000004", "")
    factories.occupancy(units["1505"], gone, end_date=date(2025, 1, 1))
    db.session.commit()
    return units


def test_one_character_is_a_surname(desk, family):
    page = found(desk, "张")
    assert "张三丰" in page and "3-2-1501" in page and "3-2-1502" in page
    assert "刘张明" not in page and "3-2-1503" not in page  # 张 inside a name is no surname


def test_two_or_more_characters_are_found_anywhere_in_the_name(desk, family):
    assert "3-2-1503" in found(desk, "张明")
    page = found(desk, "三丰")
    assert 'id="unit-code">3-2-1501<' in page  # one unit: its card
    assert "3-2-1501" in found(desk, "张三丰")
    page = found(desk, "张三")
    assert "3-2-1501" in page and "3-2-1502" in page
    assert 'href="/desk/units/' not in found(desk, "张三丰丰")
    assert "3-2-1504" in found(desk, "欧阳")


def test_a_name_finds_current_residents_only(desk, family):
    assert "3-2-1505" not in found(desk, "王芳")
    assert "3-2-1505" not in found(desk, "王")


def test_names_are_found_in_name_order(desk, family, world, db):
    for room, name in (("1601", "张伟"), ("1602", "张丽")):
        unit = factories.unit(world.building, "2", 16, room)
        factories.occupancy(unit, factories.person(world.estate, name, "", ""))
    db.session.commit()
    page = found(desk, "张")
    names = sorted(["张三", "张三丰", "张伟", "张丽"])
    assert [page.index(n + "<") for n in names] == sorted(page.index(n + "<") for n in names)


def test_a_surname_never_finds_another_estates_people(desk, world, db):
    b = factories.building(world.other_estate, "8")
    u = factories.unit(b, "1", 1, "101")
    factories.occupancy(u, factories.person(world.other_estate, "张无忌", "13600001111", ""))
    db.session.commit()
    page = found(desk, "张")  # the world's 张三 alone: the card of 3-2-1502
    assert 'id="unit-code">3-2-1502<' in page and "张无忌" not in page
    for query in ("张无忌", "无忌"):
        assert 'href="/desk/units/' not in found(desk, query)


def test_a_code_prefix_finds_capitals_and_small_letters_alike(desk, world, db):
    b = factories.building(world.estate, "A")
    factories.unit(b, "1", 1, "101")
    factories.unit(b, "1", 1, "102")
    db.session.commit()
    page = found(desk, "a-1")
    assert "A-1-101" in page and "A-1-102" in page
    r = desk.get("/desk", query_string={"q": "a-1-101"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/desk/units/")


def test_a_chinese_building_number_is_still_a_code_prefix(desk, world, db):
    shops = factories.building(world.estate, "商铺")
    factories.unit(shops, "1", 1, "101")
    factories.unit(shops, "1", 1, "102")
    db.session.commit()
    page = found(desk, "商铺")
    assert "商铺-1-101" in page and "商铺-1-102" in page


@pytest.mark.parametrize("query", ["%", "_", "张%", "张_", "3-%", "3_2"])
def test_wildcards_are_plain_characters(desk, family, query):
    assert 'href="/desk/units/' not in found(desk, query)


# the pieces of names, kept by the database on every path that writes people -------------------


def test_the_register_form_and_an_edit_keep_the_name_pieces(desk, world, db):
    r = desk.post(f"/register/units/{world.unit.id}/residents/new", data={
        "name": "司马相如", "phone": "13900002222", "id_type": "居民身份证", "id_number": "",
        "role": "tenant", "start_date": "2026-01-01"})
    assert r.status_code == 302
    person = db.session.scalar(sa.select(Person).where(Person.name == "司马相如"))
    assert grams(db, person) == {"司", "司马", "马相", "相如"}
    assert "司马相如" in found(desk, "相如")
    r = desk.post(f"/register/people/{person.id}/edit", data={
        "name": "卓文君", "phone": "13900002222", "id_type": "居民身份证"})
    assert r.status_code == 302
    assert grams(db, person) == {"卓", "卓文", "文君"}
    assert "卓文君" in found(desk, "文君")
    assert 'href="/desk/units/' not in found(desk, "相如")


def test_an_import_keeps_the_name_pieces(desk, world, db):
    data = csv_bytes([PEOPLE_HEADER,
                      ["诸葛亮", "13700001234", "", "", "3-2-1502", "家庭成员", "2024-06-01", "",
                       "", ""]])
    assert import_file(desk, "person", data, "people.csv").status_code == 302
    assert "诸葛亮" in found(desk, "葛亮")


def test_bulk_inserts_updates_and_deletes_keep_the_name_pieces(world, db):
    db.session.execute(sa.insert(Person), [
        {"estate_id": world.estate.id, "name": name, "phone": "", "phone_tail": "",
         "id_number": "", "id_tail": ""} for name in ("黄忠", "黄黄", "马")])
    db.session.commit()
    rows = set(db.session.execute(sa.select(PersonNameGram.gram, PersonNameGram.name)))
    assert {("黄", "黄忠"), ("黄忠", "黄忠"), ("黄", "黄黄"), ("黄黄", "黄黄"),
            ("马", "马")} <= rows
    db.session.execute(sa.update(Person).where(Person.name == "黄忠").values(name="魏延"))
    db.session.execute(sa.update(Person).where(Person.name == "马")
                       .values(estate_id=world.other_estate.id))
    db.session.commit()
    rows = set(db.session.execute(
        sa.select(PersonNameGram.estate_id, PersonNameGram.gram, PersonNameGram.name)))
    assert (world.estate.id, "魏延", "魏延") in rows
    assert not any(name == "黄忠" for _, _, name in rows)
    assert (world.other_estate.id, "马", "马") in rows and (world.estate.id, "马", "马") not in rows
    db.session.execute(sa.delete(Person).where(Person.name.in_(["魏延", "黄黄", "马"])))
    db.session.commit()
    assert set(db.session.scalars(sa.select(PersonNameGram.name))) == {"张三"}


def test_a_person_deleted_through_the_session_leaves_no_pieces(world, db):
    person = factories.person(world.estate, "孙权", "", "")
    db.session.commit()
    assert grams(db, person) == {"孙", "孙权"}
    db.session.delete(person)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PersonNameGram)
                             .where(PersonNameGram.name == "孙权")) == 0


# which queries a text runs -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "code_prefix", "tail", "plate", "name"), [
    ("3-2", True, False, None, False),
    ("3", True, False, None, False),
    ("5678", False, True, None, False),
    ("001X", False, True, None, False),
    ("京A12345", False, False, "京A12345", False),
    ("A12345", True, False, "A12345", False),
    ("张三", True, False, None, True),  # a building may be numbered in Chinese
    ("张", True, False, None, True),
    ("张3", True, False, None, False),  # digits are never a name
])
def test_a_text_means_only_what_it_can(text, code_prefix, tail, plate, name):
    meant = search.meanings(text)
    assert (meant.code_prefix, meant.tail, meant.plate, meant.name) == (
        code_prefix, tail, plate, name)


@pytest.mark.parametrize(("text", "queries"), [
    ("京A12345", ["FROM vehicle"]),
    ("5678", ["person.phone_tail ="]),
    ("001X", ["person.phone_tail ="]),
    ("13812345678", ["person.phone ="]),
    # a building may be numbered 张三; the units of the people found are loaded at once
    ("张三", ["FROM unit", "person_name_gram.gram =", "unit.id IN"]),
    ("张", ["FROM unit", "person_name_gram.gram =", "unit.id IN"]),
    ("王五", ["FROM unit", "person_name_gram.gram ="]),  # no one: no units to load
])
def test_a_search_runs_only_its_queries(app, world, db, text, queries):
    estate_id = world.estate.id
    with statements(db) as sent:
        search.find_hits(estate_id, text)
    assert len(sent) == len(queries), sent
    for statement, marker in zip(sent, queries, strict=True):
        assert marker in " ".join(statement.split()), statement


@pytest.mark.parametrize("query", ["京A12345", "京A123", "京a 12345", "A1234", "a12345"])
def test_a_plate_is_found_from_its_province_or_any_part(desk, world, query):
    assert 'id="unit-code">3-2-1502<' in found(desk, query)


def test_a_plate_with_a_last_chinese_character_is_found_by_its_end(desk, world, db):
    unit = factories.unit(world.building, "2", 16, "1601")
    factories.vehicle(world.estate, "粤Z1234港", None, unit)
    db.session.commit()
    for query in ("粤Z1234港", "Z1234港", "粤Z123"):
        assert 'id="unit-code">3-2-1601<' in found(desk, query), query
