"""End-to-end: an engineer on a 390 × 844 phone accepts, starts, costs and completes an order."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from frontdesk.extensions import db
from frontdesk.models import WorkOrder
from frontdesk.services.workorders import crew
from tests import factories

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
PHONE = {"width": 390, "height": 844}


def _login(bp, username: str, password: str) -> None:
    bp.goto("/login")
    bp.page.fill("input[name=username]", username)
    bp.page.fill("input[name=password]", password)
    with bp.page.expect_navigation():
        bp.page.click("form [type=submit]")


def _no_horizontal_scroll(page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


def _press(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


@pytest.fixture
def dispatched(live_server, world):
    """An order of the plumbing team dispatched to the world's engineer."""
    live_server.app.config["FRONTDESK_NOW"] = NOW
    me = world.users["engineering"]
    crew.profile(world.estate.id, me).team = "水电组"
    order = factories.work_order(world.estate, world.users["frontdesk"], state="dispatched",
                                 unit=world.unit, assignee=me, team="水电组",
                                 description="卫生间地漏堵塞，积水严重，请带疏通工具",
                                 dispatched_at=NOW)
    db.session.commit()
    return order


@pytest.mark.e2e
def test_an_engineer_works_an_order_on_a_phone(browser_page, world, dispatched, tmp_path):
    from playwright.sync_api import expect

    page = browser_page.page
    page.set_viewport_size(PHONE)
    _login(browser_page, "engineering", factories.PASSWORD)
    expect(page).to_have_url(re.compile(r"/workorders/my$"))
    card = page.locator(f"#order-{dispatched.id}")
    expect(card).to_contain_text("卫生间地漏堵塞")
    expect(card.locator("a[href='tel:13812345678']")).to_be_visible()
    expect(page.locator("#nav-my-orders-phone .workorder-count")).to_have_text("1")
    _no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / "engineer-queue-390.png"), full_page=True)

    accept = card.locator("button.wo-accept")
    box = accept.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300, box  # a thumb finds it
    _press(page, f"#order-{dispatched.id} button.wo-accept")
    expect(page.locator(".alert-success")).to_contain_text("已接单")
    badge = page.locator("#nav-my-orders-phone .workorder-count")
    expect(badge).to_be_hidden()
    # a new order of the team: the badge shows it without the page being reloaded
    factories.work_order(world.estate, world.users["frontdesk"], state="pending",
                         area="2号楼 大堂", team="水电组", description="大堂灯不亮")
    db.session.commit()
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # as a phone woken
    expect(badge).to_have_text("1")
    expect(badge).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text("已接单")  # still the same page

    _press(page, f"#order-{dispatched.id} a.wo-open")
    expect(page).to_have_url(re.compile(rf"/workorders/my/{dispatched.id}$"))
    _press(page, "#btn-start")
    expect(page.locator("#order-state")).to_have_text("进行中")

    page.click("#step-cost summary")
    page.fill("#step-cost input[name=name]", "地漏芯")
    page.fill("#step-cost input[name=quantity]", "1")
    page.fill("#step-cost input[name=unit_name]", "个")
    page.fill("#step-cost input[name=unit_price]", "25.50")
    _press(page, "#btn-cost")
    expect(page.locator("#order-costs")).to_contain_text("地漏芯")
    expect(page.locator("#costs-total")).to_have_text("25.50")
    _no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / "engineer-order-390.png"), full_page=True)

    page.click("#step-complete summary")
    page.fill("#step-complete textarea[name=note]", "疏通地漏并更换地漏芯，排水正常")
    _press(page, "#btn-complete")
    expect(page.locator(".alert-success")).to_contain_text("已完工")
    expect(page.locator("#order-state")).to_have_text("已完工")
    _no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / "engineer-completed-390.png"), full_page=True)
    assert (tmp_path / "engineer-completed-390.png").stat().st_size > 0

    db.session.expire_all()
    done = db.session.get(WorkOrder, dispatched.id)
    assert done.state == "completed" and done.completion_note.startswith("疏通地漏")
    assert browser_page.errors == [], "\n".join(browser_page.errors)
