"""Desk search reads a unit's address as people say and type it: 3号楼2单元1502 is 3-2-1502."""

from __future__ import annotations

import pytest

from frontdesk.services.register.search import normalise_query, read_address
from tests import factories


@pytest.fixture
def neighbours(world, db):
    """3-2-1501 and 3-1-1502 beside the world's 3-2-1502, and 12-2-101."""
    factories.unit(world.building, "2", 15, "1501")
    factories.unit(world.building, "1", 15, "1502")
    factories.unit(factories.building(world.estate, "12"), "2", 1, "101")
    db.session.commit()


@pytest.mark.parametrize("query", [
    "3号楼2单元1502", "3栋2单元1502", "3幢2单元1502室", "3号楼2单元1502号", "3座2单元1502",
    "3#2单元1502", "3 号楼 2 单元 1502", "３号楼２单元１５０２", "３栋２单元１５０２室",
    "三号楼二单元1502", "３－２－１５０２", "3-2-1502室",
])
def test_an_address_opens_the_unit(desk, world, neighbours, query):
    r = desk.get("/desk", query_string={"q": query})
    assert r.status_code == 302, (query, r.text[:500])
    assert r.headers["Location"] == f"/desk/units/{world.unit.id}"


def test_a_building_and_entrance_list_their_units(desk, neighbours):
    page = desk.get("/desk", query_string={"q": "3号楼2单元"}).text
    assert "3-2-1501" in page and "3-2-1502" in page and "3-1-1502" not in page


def test_a_building_and_room_without_entrance_list_the_rooms_of_every_entrance(desk,
                                                                             neighbours):
    page = desk.get("/desk", query_string={"q": "3栋1502"}).text
    assert "3-2-1502" in page and "3-1-1502" in page and "3-2-1501" not in page


def test_a_two_digit_building_in_chinese_numerals(desk, neighbours):
    r = desk.get("/desk", query_string={"q": "十二栋2单元101"})
    assert r.status_code == 302


def test_an_address_of_no_unit_finds_nothing(desk, world, neighbours):
    r = desk.get("/desk", query_string={"q": "3号楼2单元9999"})
    assert r.status_code == 200 and 'href="/desk/units/' not in r.text


def test_names_are_not_read_as_addresses():
    assert read_address(normalise_query("张三")) is None
    assert read_address("3号楼2单元1502").entrance == "2"
    assert normalise_query("３－２－１５０２室") == "3-2-1502"
