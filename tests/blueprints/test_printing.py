"""Printed documents with more than a page of content, through the HTTP routes.

A unit whose notice or receipt runs past a page gets more pages, each repeating the unit and the
owner or payer, numbered 第 N 页 共 M 页; an explanation taller than a page no longer answers 500.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from frontdesk.models import BillLine, FeeItem, Receipt
from tests import factories
from tests.conftest import building_notices
from tests.pdf_text import assert_paged, pdf_reader, printed_pages, squash

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: the longest a person's name can be (Person.name is 64 characters)
OWNER = "欧阳" + "长长的业主姓名" * 8 + "测试"
THREE_TIERS = ("(1,039 − 139) m³，本年已用 19.00 m³，900.00 m³ 阶梯：161.00 × 5.0000 + "
               "80.00 × 7.0000 + 659.00 × 9.0000 = 7,296.00")
EXPLANATION_LENGTH = BillLine.explanation.type.length



def squashed_pages(response) -> list[str]:
    return [squash(text) for text in printed_pages(response)]


@pytest.fixture
def water(world, db) -> FeeItem:
    return factories.fee_item(world.estate, "WATER", "水费", method="metered", meter_kind="water")


@pytest.fixture
def owing(world, db):
    """A unit of the world's building whose owner has the longest name a person can have."""
    unit = factories.unit(world.building, "1", 2, "202")
    factories.occupancy(unit, factories.person(world.estate, OWNER, phone="13900000202"),
                        is_primary=True)
    return unit


def bill(unit, item, period: str, amount: str, explanation: str) -> BillLine:
    """A charge due on the 15th of its period."""
    return factories.bill_line(unit, item, period, amount, explanation,
                               date(int(period[:4]), int(period[5:]), 15))


def earlier_periods(n: int) -> list[str]:
    today = datetime.now(SHANGHAI).date()
    months = today.year * 12 + today.month - 1
    return [f"{(months - k) // 12:04d}-{(months - k) % 12 + 1:02d}" for k in range(n, 0, -1)]


def test_building_notices_run_on_with_the_unit_and_owner_on_every_page(world, desk, db,
                                                                       water, owing):
    """Forty three-tier lines with explanations as long as the column holds take more pages."""
    long = ("；".join([THREE_TIERS] * 3))[:EXPLANATION_LENGTH]
    periods = earlier_periods(40)
    for period in periods:
        bill(owing, water, period, "7296.00", long)
    db.session.commit()

    response = building_notices(desk, world.building.id, periods[-1])
    pages = squashed_pages(response)
    assert_paged(pages, "3-1-202", OWNER)
    everything = "".join(pages)
    assert everything.count("7,296.00") >= 3 * 40
    assert "291,840.00" in everything and "贰拾玖万壹仟捌佰肆拾元整" in everything


def test_building_notices_print_an_explanation_taller_than_a_page(world, desk, db, water,
                                                                  owing):
    """An explanation longer than a page (SQLite keeps text past a column's length) prints.

    It answered 500 (ReportLab LayoutError: a table row taller than the page).
    """
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL bounds the explanation to its column's length")
    period = earlier_periods(1)[0]
    bill(owing, water, period, "7296.00", "；".join([THREE_TIERS] * 40))
    db.session.commit()

    response = building_notices(desk, world.building.id, period)
    pages = squashed_pages(response)
    assert_paged(pages, "3-1-202", OWNER)
    assert "".join(pages).count("7,296.00") >= 40
    assert "柒仟贰佰玖拾陆元整" in "".join(pages)


def test_receipt_of_many_lines_repeats_unit_and_payer_with_a_seal_line(world, desk, db, water,
                                                                       owing):
    """A receipt for forty lines runs on; the amounts stand right-aligned in their columns."""
    periods = earlier_periods(40)
    for n, period in enumerate(periods):
        bill(owing, water, period, "7296.00" if n % 2 else "12.50", THREE_TIERS)
    db.session.commit()
    response = desk.post(f"/payments/units/{owing.id}/new", data={
        "amount": "146170.00", "method": "cash", "purpose": "bills", "payer": OWNER,
        "idempotency_key": secrets.token_hex(16)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    receipt = db.session.scalar(sa.select(Receipt).where(Receipt.unit_id == owing.id))

    printed = desk.post(f"/payments/receipts/{receipt.id}/print")
    pages = squashed_pages(printed)
    assert_paged(pages, receipt.number, "3-1-202", OWNER)
    everything = "".join(pages)
    assert everything.count("7,296.00") >= 2 * 20 and everything.count("12.50") >= 2 * 20
    assert "146,170.00" in everything and "盖章处" in pages[-1]

    starts: dict[str, set[float]] = {}

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip() in ("7,296.00", "12.50"):
            starts.setdefault(text.strip(), set()).add(round(tm[4] * cm[0] + cm[4], 1))

    pdf_reader(printed.data).pages[0].extract_text(visitor_text=visit)
    short = sorted(x for x in starts["12.50"] if x > 300)
    long = sorted(x for x in starts["7,296.00"] if x > 300)
    assert len(short) == len(long) == 2  # 应收 and 实收
    assert all(x < y - 5 for x, y in zip(long, short, strict=True))


def test_one_page_notice_says_page_one_of_one(world, desk, db, water, owing):
    period = earlier_periods(1)[0]
    bill(owing, water, period, "12.50", "2.50 m³ × 5.0000 元/m³ = 12.50")
    db.session.commit()
    response = desk.get(f"/statements/units/{owing.id}/notice.pdf",
                        query_string={"period": period})
    pages = squashed_pages(response)
    assert len(pages) == 1 and "第1页共1页" in pages[0] and "（续）" not in pages[0]
