"""End-to-end: the front desk logs in through the real form and opens a unit card in Chromium."""

from __future__ import annotations

import re

import pytest

from tests import factories


def _login(bp, username: str, password: str):
    """Fill in and submit the login form; return the response to the submit."""
    page = bp.page
    bp.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation() as navigation:
        page.click("form [type=submit]")
    return navigation.value


@pytest.mark.e2e
def test_desk_searches_unit_and_sees_card(browser_page, world, artifacts):
    from playwright.sync_api import expect

    page = browser_page.page
    _login(browser_page, "frontdesk", factories.PASSWORD)
    # the desk's start page is the search screen
    expect(page).to_have_url(re.compile(r"/desk$"))
    box = page.locator("form.search-box input[name=q]")
    expect(box).to_be_visible()
    box.fill("3-2-1502")
    with page.expect_navigation():
        box.press("Enter")

    expect(page).to_have_url(re.compile(rf"/desk/units/{world.unit.id}$"))
    expect(page.locator("#unit-code")).to_have_text("3-2-1502")
    expect(page.locator("#unit-code")).to_be_visible()
    resident = page.locator("#residents").get_by_role("link", name=world.person.name)
    expect(resident).to_be_visible()
    # Bootstrap's stylesheet is applied (served locally; a CSP block would leave it unstyled)
    assert page.evaluate(
        "getComputedStyle(document.querySelector('nav.navbar')).display") == "flex"

    page.screenshot(path=str(artifacts / "desk-unit.png"), full_page=True)
    assert browser_page.errors == [], "\n".join(browser_page.errors)


@pytest.mark.e2e
def test_sixth_failed_login_is_refused(browser_page, world):
    from playwright.sync_api import expect

    page = browser_page.page
    alert = page.locator(".alert-danger")
    for _attempt in range(5):
        response = _login(browser_page, "frontdesk", "wrong-password")
        assert response.status == 422
        expect(alert).to_be_visible()
        expect(alert).not_to_contain_text("登录失败次数过多")
    response = _login(browser_page, "frontdesk", "wrong-password")
    assert response.status == 429
    expect(alert).to_contain_text("登录失败次数过多")
    expect(page).to_have_url(re.compile(r"/login$"))
    # the only console errors allowed are the browser's notes of the 422 and 429 responses
    others = [e for e in browser_page.errors if "422" not in e and "429" not in e]
    assert others == [], "\n".join(others)
