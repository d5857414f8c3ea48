"""End-to-end: one whole move-in in Chromium at 1366×768, from the desk's unit card to 完成."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from frontdesk.models import MoveinCase, Payment, Unit
from tests import factories


def _login(bp, username: str, password: str) -> None:
    bp.goto("/login")
    bp.page.fill("input[name=username]", username)
    bp.page.fill("input[name=password]", password)
    with bp.page.expect_navigation():
        bp.page.click("form [type=submit]")


@pytest.fixture
def new_unit(fees, db):
    unit = factories.unit(fees.building, "1", 5, "501", "100.00", status="未交房")
    factories.meter(fees.estate, "water", "W-501", unit=unit)
    db.session.commit()
    return unit


def _submit(page, selector: str = "main form [type=submit]") -> None:
    with page.expect_navigation():
        page.click(selector)


@pytest.mark.e2e
def test_a_whole_move_in_at_the_desk(browser_page, world, new_unit, db, artifacts):
    from playwright.sync_api import expect

    page = browser_page.page
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(browser_page, "frontdesk", factories.PASSWORD)
    browser_page.goto(f"/desk/units/{new_unit.id}")
    expect(page.locator("#movein-block")).to_be_visible()
    with page.expect_navigation():
        page.click("#movein-block a")
    _submit(page, "#start-movein")
    expect(page.locator("#steps")).to_be_visible()
    page.screenshot(path=str(artifacts / "movein-case-start.png"), full_page=True)

    def step(name: str) -> None:
        with page.expect_navigation():
            page.click(f"#step-{name} a")

    step("verify")
    page.check("#identity_checked")
    page.fill("#contract_no", "HT-2026-0501")
    page.fill("#contract_date", "2026-09-01")
    _submit(page)

    step("residents")
    page.fill("#name", "李业主")
    page.fill("#phone", "13900001234")
    page.fill("#id_number", "110101198001010010")
    page.check("#is_primary")
    page.fill("#plate", "沪C12345")
    _submit(page, "#resident-form [type=submit]")
    expect(page.locator("#registered")).to_contain_text("李业主")
    _submit(page, "#residents-done")

    step("agreements")
    page.fill("#service_agreement_date", "2026-10-15")
    page.fill("#rules_date", "2026-10-15")
    _submit(page)

    step("readings")
    page.fill("#readings-form input[name^=reading-]", "100")
    _submit(page, "#readings-form [type=submit]")

    step("inspection")
    page.select_option("#c-0-0", "defect")
    page.fill("#n-0-0", "墙面裂缝")
    page.screenshot(path=str(artifacts / "movein-inspection.png"))
    _submit(page, "#inspection-form [type=submit]")

    step("keys")
    page.fill("#rows-0-handed", "2")
    page.fill("#rows-0-kept", "1")
    page.fill("#people-0-name", "王五")
    page.fill("#people-0-phone", "13900005555")
    page.fill("#people-0-id_tail", "1234")
    page.fill("#people-0-valid_until", "2030-12-31")
    page.screenshot(path=str(artifacts / "movein-keys.png"))
    _submit(page, "#keys-form [type=submit]")

    step("fees")
    expect(page.locator("#prepaid")).to_have_value("2820.00")
    expect(page.locator("#deposit")).to_have_value("2000.00")
    page.screenshot(path=str(artifacts / "movein-fees.png"))
    _submit(page, "#fees-form [type=submit]")

    expect(page.locator("#defects")).to_contain_text("墙面裂缝")
    _submit(page, "#complete-form [type=submit]")
    expect(page.locator("#case-state")).to_contain_text("已完成")
    page.screenshot(path=str(artifacts / "movein-case-complete.png"), full_page=True)
    assert browser_page.errors == []

    db.session.expire_all()
    assert db.session.get(Unit, new_unit.id).status == "已入住"
    case = db.session.scalar(sa.select(MoveinCase).where(MoveinCase.unit_id == new_unit.id))
    assert case.state == "completed"
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))
                             .where(Payment.unit_id == new_unit.id)) == 1
