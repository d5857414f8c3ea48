"""The desk's pages send as many statements for 30 hits, residents or vehicles as for 3: each
hit's building, each resident and each vehicle's unit come with the query that finds them."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import statements

#: statements of a search page, whatever it finds: the user and estate, the search's own
#: queries, the shift on duty, and the panels of overdue key loans and complaints
SEARCH_PAGE_MAX = 14
#: statements of a unit card, whatever the number of residents and vehicles
UNIT_CARD_MAX = 25


def statements_of(db, client, url, **query) -> int:
    """Count the statements a page sends (it must answer 200), on a second visit: the desk's
    first visit in a shift opens the shift."""
    client.get(url, query_string=query)
    with statements(db) as sent:
        r = client.get(url, query_string=query)
    assert r.status_code == 200, r.text[:1000]
    return len(sent)


class Register:
    """Units of building 7 with one resident each, found by every kind of query: code prefix
    7-1, surname 韩, name 韩梅, phone tail 2468, ID tail 135X, plate 粤B100… (half of the
    vehicles registered to the unit, half to the resident only)."""

    def __init__(self, world, db):
        self.world, self.db = world, db
        self.building = factories.building(world.estate, "7")
        self.count = 0

    def grow_to(self, n: int) -> None:
        for k in range(self.count, n):
            unit = factories.unit(self.building, "1", 1 + k // 10, f"{1 + k // 10}{k % 10:02d}")
            person = factories.person(self.world.estate, f"韩梅{k:02d}", f"1390000{k:02d}2468",
                                      f"1101011990030{k:02d}135X")
            factories.occupancy(unit, person)
            factories.vehicle(self.world.estate, f"粤B1{k:04d}", person,
                              unit if k % 2 else None)
        self.count = n
        self.db.session.commit()


@pytest.fixture
def register(world, db):
    return Register(world, db)


@pytest.mark.parametrize("query", ["7-1", "韩", "韩梅", "2468", "135X", "粤B100"])
def test_a_search_sends_as_many_statements_for_thirty_hits_as_for_three(desk, db, register,
                                                                        query):
    register.grow_to(3)
    few = statements_of(db, desk, "/desk", q=query)
    register.grow_to(30)
    page = desk.get("/desk", query_string={"q": query}).text
    assert page.count('href="/desk/units/') == 30 and "7号楼" in page
    many = statements_of(db, desk, "/desk", q=query)
    assert many == few <= SEARCH_PAGE_MAX, (few, many)


def test_the_unit_card_sends_as_many_statements_for_thirty_residents_as_for_three(
        desk, world, db):
    def add(first: int, n: int) -> None:
        for k in range(first, first + n):
            person = factories.person(world.estate, f"住户{k:02d}", f"1370000{k:04d}", "")
            factories.occupancy(world.unit, person, role="member")
            factories.vehicle(world.estate, f"沪D{k:05d}", person, None if k % 2 else world.unit)
        db.session.commit()

    add(0, 2)  # with the world's 张三 and his car: 3 residents, 3 vehicles
    few = statements_of(db, desk, f"/desk/units/{world.unit.id}")
    add(2, 27)
    page = desk.get(f"/desk/units/{world.unit.id}").text
    assert "住户28" in page and "沪D00028" in page
    many = statements_of(db, desk, f"/desk/units/{world.unit.id}")
    assert many == few <= UNIT_CARD_MAX, (few, many)


def test_the_registration_form_sends_as_many_statements_for_thirty_residents_as_for_three(
        desk, world, db):
    def add(first: int, n: int) -> None:
        for k in range(first, first + n):
            person = factories.person(world.estate, f"住户{k:02d}", f"1370000{k:04d}", "")
            factories.occupancy(world.unit, person, role="member")
            factories.vehicle(world.estate, f"沪D{k:05d}", person, None)
        db.session.commit()

    add(0, 2)
    few = statements_of(db, desk, f"/desk/units/{world.unit.id}/registration.pdf")
    add(2, 27)
    assert statements_of(db, desk, f"/desk/units/{world.unit.id}/registration.pdf") == few
