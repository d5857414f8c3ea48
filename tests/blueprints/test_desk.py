"""The desk screen: one search box opens the unit card; the card prints the registration form."""

from __future__ import annotations

import subprocess

import pytest

from tests import factories
from tests.pdf_text import pdf_text


@pytest.fixture
def neighbours(world, db):
    b = world.building
    u2 = factories.unit(b, "2", 15, "1501")
    p2 = factories.person(world.estate, "李明", "13700009999", "11010119850505001X")
    factories.occupancy(u2, p2)
    factories.vehicle(world.estate, "沪C88888", p2, u2)
    db.session.commit()
    return u2


def test_unit_code_opens_the_card(desk, world):
    r = desk.get("/desk?q=3-2-1502")
    assert r.status_code == 302 and r.headers["Location"] == f"/desk/units/{world.unit.id}"
    card = desk.get(r.headers["Location"]).text
    assert "3-2-1502" in card and "张三" in card and "京A12345" in card


@pytest.mark.parametrize(
    ("query", "found"),
    [("张三", "3-2-1502"), ("李明", "3-2-1501"), ("5678", "3-2-1502"), ("9999", "3-2-1501"),
     ("4477", "3-2-1502"), ("001x", "3-2-1501"), ("13700009999", "3-2-1501"),
     ("沪C88888", "3-2-1501"), ("京a12345", "3-2-1502")],
)
def test_each_kind_of_query_finds_its_unit(desk, neighbours, query, found):
    r = desk.get("/desk", query_string={"q": query}, follow_redirects=True)
    assert r.status_code == 200
    assert found in r.text


def test_code_prefix_lists_several_units(desk, neighbours):
    r = desk.get("/desk?q=3-2")
    assert r.status_code == 200
    assert "3-2-1501" in r.text and "3-2-1502" in r.text


def test_search_never_crosses_estates(desk, world, db):
    b = factories.building(world.other_estate, "3")
    u = factories.unit(b, "2", 15, "1502")
    factories.occupancy(u, factories.person(world.other_estate, "张三丰", "13600001234",
                                            "110101197001010011"))
    db.session.commit()
    r = desk.get("/desk?q=张三", follow_redirects=True)
    assert "张三丰" not in r.text
    r = desk.get("/desk?q=3-2-1502")
    assert r.headers["Location"] == f"/desk/units/{world.unit.id}"


@pytest.mark.parametrize("query", ["' OR 1=1 --", "<script>alert(1)</script>", "%", "_", "x" * 500])
def test_hostile_queries_find_nothing_and_are_escaped(desk, world, query):
    r = desk.get("/desk", query_string={"q": query})
    assert r.status_code == (422 if len(query) > 64 else 200)  # too long: a failed form
    assert "<script>alert(1)</script>" not in r.text
    assert f"/desk/units/{world.unit.id}" not in r.text


def test_registration_form_prints_the_unit_and_residents(desk, world):
    r = desk.get(f"/desk/units/{world.unit.id}/registration.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data, sep="")
    for expected in ("住户信息登记表", "阳光花园", "3-2-1502", "89.50", "72.30", "张三",
                     "13812345678", "110101199003074477", "京A12345", "业主签字"):
        assert expected in text, expected


def test_registration_form_embeds_its_font(desk, world, tmp_path):
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(desk.get(f"/desk/units/{world.unit.id}/registration.pdf").data)
    try:
        out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    except FileNotFoundError:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    rows = out.stdout.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows), out.stdout


def test_finance_sees_the_card_with_masked_numbers(as_role, world):
    card = as_role("finance").get(f"/desk/units/{world.unit.id}").text
    assert "138****5678" in card and "13812345678" not in card


def test_partial_room_number_lists_matching_units(desk, neighbours):
    r = desk.get("/desk?q=3-2-150")
    assert "3-2-1501" in r.text and "3-2-1502" in r.text
