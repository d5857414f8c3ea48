"""End-to-end: the managers' work-order dashboard in Chromium at 1366×768 draws its three
charts from its JSON data, with no console error (the Content-Security-Policy allows no inline
script), and the report page beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.services.workorders import crew, orders
from tests import factories


def _login(bp, username: str, password: str) -> None:
    bp.goto("/login")
    bp.page.fill("input[name=username]", username)
    bp.page.fill("input[name=password]", password)
    with bp.page.expect_navigation():
        bp.page.click("form [type=submit]")


@pytest.fixture
def repairs(world, db):
    """Three orders of the last days: one late and open, one done and called back, one new."""
    e, desk = world.estate, world.users["frontdesk"]
    wang = factories.engineer(e, "eng_wang", team="水电组", skills=["水电"], full_name="王师傅")
    cats = {c.name: c for c in crew.categories(e.id)}
    now = datetime.now(UTC)

    def report(category, hours_ago):
        return orders.report(desk, e, {
            "source": "巡查", "reporter_name": "秩序部", "area": "3号楼 电梯厅",
            "category_id": cats[category].id, "description": "报修"},
            now - timedelta(hours=hours_ago))

    late = report("土建", 30)
    orders.dispatch(desk, late, wang, now - timedelta(hours=29))
    done = report("水电", 20)
    orders.dispatch(desk, done, wang, now - timedelta(hours=19.9))
    orders.accept(wang, done, now - timedelta(hours=19.5))
    orders.start(wang, done, now - timedelta(hours=19))
    orders.complete(wang, done, "已修好", now - timedelta(hours=10))
    orders.callback(desk, done, 4, "", now - timedelta(hours=2))
    report("水电", 1)
    db.session.commit()


@pytest.mark.e2e
def test_the_dashboard_draws_its_charts(browser_page, world, repairs, artifacts):
    from playwright.sync_api import expect

    page = browser_page.page
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(browser_page, "manager", factories.PASSWORD)
    browser_page.goto("/workorders/dashboard")
    expect(page.locator("#workorder-dashboard")).to_have_attribute("data-drawn", "true")
    for chart in ("chart-open", "chart-breaches", "chart-satisfaction"):
        box = page.locator(f"#{chart}").bounding_box()
        assert box["width"] > 200 and box["height"] > 150, (chart, box)
    expect(page.locator("#dashboard-error")).to_be_hidden()
    page.wait_for_timeout(1500)  # the bars grow in; the picture is for people to look at
    page.screenshot(path=str(artifacts / "workorder-dashboard.png"), full_page=True)
    browser_page.goto("/workorders/reports")
    expect(page.locator("h1")).to_contain_text("工单报表")
    expect(page.get_by_text("王师傅").first).to_be_visible()
    assert browser_page.errors == []
