"""End-to-end: the desk reports a repair from the unit card and dispatches it by the suggestion,
at the desk's screen size (1366×768), in Chromium."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests import factories


def _login(bp, username: str):
    page = bp.page
    bp.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", factories.PASSWORD)
    with page.expect_navigation():
        page.click("form [type=submit]")


@pytest.mark.e2e
def test_desk_reports_from_the_unit_card_and_dispatches(browser_page, world, db, artifacts):
    from playwright.sync_api import expect

    from frontdesk.services.workorders import crew, orders

    estate, desk_user = world.estate, world.users["frontdesk"]
    wang = factories.engineer(estate, "eng_wang", team="水电组", skills=["水电"],
                              full_name="王师傅")
    factories.engineer(estate, "eng_li", team="水电组", skills=["门窗"], full_name="李师傅")
    crew.categories(estate.id)
    db.session.commit()
    now = datetime.now(UTC)
    # a few orders around it: one late, one paused, one waiting for its callback
    late = factories.work_order(estate, desk_user, unit=world.unit, created_at=now - timedelta(
        hours=3), description="阳台地漏堵塞")
    factories.work_order(estate, desk_user, unit=world.unit, state="paused", assignee=wang,
                         team="水电组", paused_since=now, paused_remaining_seconds=7 * 3600,
                         description="热水器不出热水，等配件", reason="等配件")
    done = factories.work_order(estate, desk_user, area="2号楼 电梯厅", state="in_progress",
                                assignee=wang, team="水电组", description="走廊灯不亮")
    db.session.commit()
    orders.complete(wang, done, "已更换灯管", now - timedelta(hours=1))
    assert late.id

    page = browser_page.page
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(browser_page, "frontdesk")
    browser_page.goto(f"/desk/units/{world.unit.id}")
    page.click("button[data-bs-target='#tab-orders']")
    expect(page.locator("#tab-orders")).to_have_class(re.compile(r"\bshow\b"))
    expect(page.locator("#unit-orders")).to_be_visible()
    expect(page.locator("#tab-orders")).to_have_css("opacity", "1")  # faded in
    page.screenshot(path=str(artifacts / "wo-unit-tab.png"), full_page=True)

    with page.expect_navigation():
        page.click("#unit-report-repair")
    expect(page.locator("input[name=reporter_name]")).to_have_value(world.person.name)
    page.select_option("select[name=category_id]", label="水电")
    page.fill("textarea[name=description]", "厨房水槽下水管漏水")
    page.fill("input[name=area]", "厨房")
    page.screenshot(path=str(artifacts / "wo-new.png"), full_page=True)
    # an appointment in the past: refused beside the field, what was typed kept
    page.fill("input[name=appointment_at]", "2020-01-06T09:00")
    with page.expect_navigation():
        page.click("#intake-form [type=submit]")
    expect(page.locator("#intake-form")).to_contain_text("预约时间已过")
    expect(page.locator("textarea[name=description]")).to_have_value("厨房水槽下水管漏水")
    page.screenshot(path=str(artifacts / "wo-new-refused.png"), full_page=True)
    assert [e for e in browser_page.errors if "422" not in e] == []
    browser_page.errors.clear()  # the browser logs the refused form's 422
    page.fill("input[name=appointment_at]", "")
    with page.expect_navigation():
        page.click("#intake-form [type=submit]")
    expect(page).to_have_url(re.compile(r"/workorders/\d+$"))
    expect(page.locator(".alert-success")).to_contain_text("报修已登记")
    first = page.locator("#suggestions li").first
    expect(first).to_contain_text("王师傅")
    expect(first).to_contain_text("擅长水电")
    page.screenshot(path=str(artifacts / "wo-detail-pending.png"), full_page=True)

    with page.expect_navigation():
        page.click("#dispatch-form [type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("已派单")
    expect(page.locator("#order-steps")).to_contain_text("王师傅")

    browser_page.goto("/workorders/")
    expect(page.locator("#work-orders")).to_contain_text("已逾期")
    page.screenshot(path=str(artifacts / "wo-list.png"), full_page=True)

    browser_page.goto("/callbacks")
    expect(page.locator("#callback-orders")).to_contain_text("走廊灯不亮")
    page.screenshot(path=str(artifacts / "wo-callbacks.png"), full_page=True)
    page.locator("#callback-orders .callback-form label[for$='-s4']").first.click()
    with page.expect_navigation():
        page.locator("#callback-orders .callback-form [type=submit]").first.click()
    expect(page.locator(".alert-success")).to_contain_text("回访已记录")
    browser_page.goto(f"/workorders/{done.id}")
    page.screenshot(path=str(artifacts / "wo-detail-called-back.png"), full_page=True)
    assert browser_page.errors == [], "\n".join(browser_page.errors)


@pytest.mark.e2e
def test_manager_opens_the_setup(browser_page, world, db, artifacts):
    from playwright.sync_api import expect

    factories.engineer(world.estate, "eng_wang", team="水电组", skills=["水电"],
                       full_name="王师傅")
    db.session.commit()
    page = browser_page.page
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(browser_page, "manager")
    browser_page.goto("/workorders/setup")
    expect(page.locator("#categories")).to_be_visible()
    expect(page.locator("#crew")).to_contain_text("王师傅")
    page.click("#nav-workorders > a")
    page.screenshot(path=str(artifacts / "wo-setup.png"), full_page=True)
    assert browser_page.errors == [], "\n".join(browser_page.errors)
