"""End-to-end: the payment form in Chromium at 1366×768 — the button in view without
scrolling, the amount following the ticked bills, change for cash, the transaction number for
WeChat, the partial-payment warning, and the receipt's balance still owed."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from frontdesk.models import BillLine, FeeItem
from frontdesk.services.periods import estate_today
from tests import factories


def _login(bp, username: str, password: str) -> None:
    """Log in through the real login form."""
    bp.goto("/login")
    bp.page.fill("input[name=username]", username)
    bp.page.fill("input[name=password]", password)
    with bp.page.expect_navigation():
        bp.page.click("form [type=submit]")


@pytest.fixture
def many_bills(world, db):
    """Fifteen open bills of 100.00 to 114.00: more than a screen's height of rows."""
    item = FeeItem(estate_id=world.estate.id, code="WY", name="物业费", method="area",
                   due_day=15, late_grace_days=0, late_daily_rate=Decimal("0"),
                   late_cap_ratio=Decimal("1"))
    db.session.add(item)
    db.session.flush()
    today = estate_today(world.estate)
    for n in range(15):
        db.session.add(BillLine(
            estate_id=world.estate.id, unit_id=world.unit.id, fee_item_id=item.id,
            period=f"2025-{n % 12 + 1:02d}" if n < 12 else f"2026-{n - 11:02d}",
            kind="charge", amount=Decimal(100 + n), settled=Decimal(0),
            due_date=today - timedelta(days=400 - n * 20),
            explanation="143.08 m² × 4.5000 元/m²·月 × 1 月，"
                        "物业服务费（含公共区域保洁与绿化养护）"))
    db.session.commit()


@pytest.mark.e2e
def test_the_payment_form_fits_1366x768_and_helps_the_cashier(browser_page, world, many_bills,
                                                             artifacts):
    from playwright.sync_api import expect

    page = browser_page.page
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(browser_page, "frontdesk", factories.PASSWORD)
    browser_page.goto(f"/payments/units/{world.unit.id}/new")

    button = page.locator("#payment-panel [type=submit]")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 768, box
    assert page.evaluate("window.scrollY") == 0
    page.screenshot(path=str(artifacts / "payment-form-1366x768.png"))

    # every bill ticked: the amount is their total (100 + … + 114 = 1,605.00)
    expect(page.locator("#amount")).to_have_value("1605.00")
    expect(page.locator("#ticked-total")).to_have_text("1,605.00")
    page.locator("input.line-tick").first.uncheck()
    expect(page.locator("#amount")).to_have_value("1505.00")
    expect(page.locator("#ticked-total")).to_have_text("1,505.00")

    page.fill("#amount", "1000")
    expect(page.locator("#partial-warning")).to_be_visible()
    expect(page.locator("#partial-warning")).to_contain_text("505.00")
    expect(page.locator("#partial-warning")).to_contain_text("605.00")

    page.select_option("#method", "cash")
    expect(page.locator("#reference-field")).to_be_hidden()
    page.fill("#tendered", "1200")
    expect(page.locator("#change")).to_have_text("200.00")

    page.select_option("#method", "wechat")
    expect(page.locator("#cash-fields")).to_be_hidden()
    expect(page.locator("#reference")).to_be_visible()
    page.fill("#reference", "4200001234202611250001")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= 768, box
    with page.expect_navigation():
        button.click()

    expect(page).to_have_url(re.compile(r"/payments/receipts/\d+$"))
    expect(page.locator("#receipt-still-owed")).to_have_text("605.00")
    expect(page.locator("#receipt-reference")).to_have_text("4200001234202611250001")
    assert browser_page.errors == [], "\n".join(browser_page.errors)
