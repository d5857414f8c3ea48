"""The callback list: completed work orders and complaints carried out, recorded once; the
manager's satisfaction rates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frontdesk.models import AuditEvent, WorkOrder, WorkOrderStep
from tests import factories

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock(app):
    app.config["FRONTDESK_NOW"] = NOW
    return app.config


@pytest.fixture
def done(world, db, clock):
    """A completed work order of the world's unit, done by 工程师甲."""
    fixer = factories.engineer(world.estate, "fixer", full_name="工程师甲")
    order = factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit,
                                 state="completed", assignee=fixer, completed_at=NOW,
                                 description="厨房水管漏水")
    db.session.commit()
    return order


def test_the_list_shows_completed_orders_and_complaints_carried_out(world, db, desk, done):
    factories.complaint(world.estate, world.users["frontdesk"], state="carried_out",
                        content="噪音", outcome="已约谈")
    factories.complaint(world.estate, world.users["frontdesk"], state="agreed")
    factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit,
                         state="in_progress", description="还在修")
    db.session.commit()
    page = desk.get("/callbacks")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "GD2026-000001" in text and "厨房水管漏水" in text and "工程师甲" in text
    assert "TS2026-000001" in text and "TS2026-000002" not in text
    assert "还在修" not in text
    assert "回访话术" in text and 'name="satisfaction"' in text


def test_a_work_orders_callback_is_recorded_once(world, db, desk, done):
    r = desk.post(f"/callbacks/orders/{done.id}", data={"satisfaction": "4", "comment": "修得好"})
    assert r.status_code == 302
    db.session.expire_all()
    assert (done.state, done.satisfaction, done.callback_comment) == ("called_back", 4, "修得好")
    steps, events = db.session.query(WorkOrderStep).count(), db.session.query(AuditEvent).count()
    r = desk.post(f"/callbacks/orders/{done.id}", data={"satisfaction": "1", "comment": "x"})
    assert r.status_code == 422
    assert "已经记录" in r.get_data(as_text=True)
    db.session.expire_all()
    assert (done.state, done.satisfaction) == ("called_back", 4)
    assert db.session.query(WorkOrderStep).count() == steps
    assert db.session.query(AuditEvent).count() == events
    assert "GD2026-000001" not in desk.get("/callbacks").get_data(as_text=True)


def test_an_unsatisfied_order_callback_reopens_it(world, db, desk, done):
    r = desk.post(f"/callbacks/orders/{done.id}", data={"satisfaction": "1"})
    assert r.status_code == 422 and "不满意" in r.get_data(as_text=True)
    assert desk.post(f"/callbacks/orders/{done.id}",
                     data={"satisfaction": "1", "comment": "还在漏"}).status_code == 302
    db.session.expire_all()
    assert done.state == "dispatched" and done.satisfaction == 1


@pytest.mark.parametrize("value", ["", "0", "6", "abc", "1e309", "<script>"])
def test_bad_satisfaction_writes_nothing(world, db, desk, done, value):
    steps = db.session.query(WorkOrderStep).count()
    assert desk.post(f"/callbacks/orders/{done.id}",
                     data={"satisfaction": value}).status_code == 422
    db.session.expire_all()
    assert done.state == "completed"
    assert db.session.query(WorkOrderStep).count() == steps


def test_an_order_not_completed_is_refused(world, db, desk, clock):
    order = factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit,
                                 state="pending")
    db.session.commit()
    r = desk.post(f"/callbacks/orders/{order.id}", data={"satisfaction": "5"})
    assert r.status_code == 422 and "不在等待回访" in r.get_data(as_text=True)


def test_another_estates_order_is_404(world, db, desk, clock):
    stranger = factories.user("frontdesk", [world.other_estate], username="b_desk")
    theirs = factories.work_order(world.other_estate, stranger, state="completed",
                                  completed_at=NOW)
    db.session.commit()
    assert desk.post(f"/callbacks/orders/{theirs.id}",
                     data={"satisfaction": "5"}).status_code == 404
    assert db.session.get(WorkOrder, theirs.id).state == "completed"


def test_satisfaction_rates_by_month_category_and_engineer(world, db, desk, manager, done):
    assert desk.post(f"/callbacks/orders/{done.id}", data={"satisfaction": "5"}).status_code == 302
    other = factories.work_order(world.estate, world.users["frontdesk"], unit=world.unit,
                                 state="completed", completed_at=NOW, category_name="门窗")
    c = factories.complaint(world.estate, world.users["frontdesk"], state="carried_out",
                            category="收费")
    db.session.commit()
    assert desk.post(f"/callbacks/orders/{other.id}",
                     data={"satisfaction": "2", "comment": "慢"}).status_code == 302
    assert desk.post(f"/callbacks/complaints/{c.id}", data={"satisfaction": "3"}).status_code == 302
    assert desk.get("/callbacks/satisfaction").status_code == 403
    page = manager.get("/callbacks/satisfaction?year=2026")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="orders-rate">50.0%' in text and 'id="complaints-rate">100.0%' in text
    for fragment in ("工程师甲", "水电", "门窗", "2026-11", "收费", "chart-order_engineer",
                     "satisfaction.js"):
        assert fragment in text, fragment
    assert "<script>" not in text.split("<main")[1].split("vendor/chartjs")[0]
    assert manager.get("/callbacks/satisfaction?year=abcd").status_code == 422
