"""Work orders' services: the table of states tried pair by pair, the SLA clock with a pause,
working hours, the routing suggestion, chargeable repairs and callbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from frontdesk.models import BillLine, WorkOrder, WorkOrderStep
from frontdesk.models.workorders import STATES
from frontdesk.services import DomainError
from frontdesk.services.workorders import crew, orders, routing, states
from frontdesk.services.workorders.sla import Clock
from tests import factories
from tests.conftest import count

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def crew_a(world, db):
    e = world.estate
    eng = factories.engineer(e, "eng_a", team="水电组", skills=["水电"], full_name="王师傅")
    db.session.commit()
    return eng


def _act(action, actor, order, now):
    """Take an action with the arguments it needs."""
    if action == "dispatch":
        return orders.dispatch(actor, order, order.assignee or actor, now)
    if action in ("decline", "pause", "cancel"):
        return getattr(orders, action)(actor, order, "等配件", now)
    if action == "complete":
        return orders.complete(actor, order, "已更换阀门", now)
    if action == "callback":
        return orders.callback(actor, order, 5, "满意", now)
    if action == "reopen":
        return orders.callback(actor, order, 1, "还在漏", now)
    if action == "take":
        return orders.take(actor, order, now)
    return getattr(orders, action)(actor, order, now)


def _actor(action, world, engineer):
    return engineer if states.TRANSITIONS[action].actor in ("assignee", "team") \
        else world.users["frontdesk"]


@pytest.mark.parametrize("state", STATES)
def test_every_action_from_every_state(world, db, crew_a, state):
    """Each action works from the states the table lists and is refused from every other,
    leaving the order and its steps untouched; so every pair of states is tried."""
    reached = set()
    for action, transition in states.TRANSITIONS.items():
        order = factories.work_order(world.estate, world.users["frontdesk"], state=state,
                                     assignee=None if action == "take" else crew_a,
                                     team="水电组", unit=world.unit,
                                     paused_since=T0 if state == "paused" else None)
        db.session.commit()
        steps = count(db, WorkOrderStep, WorkOrderStep.order_id == order.id)
        actor = _actor(action, world, crew_a)
        if state in transition.sources:
            _act(action, actor, order, T0 + timedelta(hours=1))
            db.session.refresh(order)
            assert order.state == transition.target, action
            reached.add(transition.target)
            assert count(db, WorkOrderStep, WorkOrderStep.order_id == order.id) == steps + 1
        else:
            with pytest.raises(DomainError):
                _act(action, actor, order, T0 + timedelta(hours=1))
            db.session.refresh(order)
            assert order.state == state, action
            assert count(db, WorkOrderStep, WorkOrderStep.order_id == order.id) == steps
    for target in STATES:
        assert (target in reached) == states.allowed(state, target), (state, target)


def test_the_table_is_the_issue_s(world):
    assert states.allowed("pending", "dispatched")
    assert states.allowed("dispatched", "accepted")
    assert states.allowed("accepted", "in_progress")
    assert states.allowed("in_progress", "paused") and states.allowed("paused", "in_progress")
    assert states.allowed("in_progress", "completed")
    assert states.allowed("completed", "called_back") and states.allowed("called_back",
                                                                         "closed")
    assert states.allowed("completed", "dispatched")  # an unsatisfied callback reopens it
    for s in ("pending", "dispatched", "accepted", "in_progress", "paused"):
        assert states.allowed(s, "cancelled")
    for s in ("completed", "called_back", "closed", "cancelled"):
        assert not states.allowed(s, "cancelled")
    assert not states.allowed("accepted", "completed")  # never started
    assert not states.allowed("pending", "completed")


def test_only_the_assignee_works_an_order(world, db, crew_a):
    other = factories.engineer(world.estate, "eng_b", team="土建组")
    order = factories.work_order(world.estate, world.users["frontdesk"], state="dispatched",
                                 assignee=crew_a, team="水电组", unit=world.unit)
    db.session.commit()
    with pytest.raises(DomainError, match="没有派给您"):
        orders.accept(other, order, T0)
    with pytest.raises(DomainError, match="其他班组"):
        order2 = factories.work_order(world.estate, world.users["frontdesk"], team="水电组",
                                      unit=world.unit)
        orders.take(other, order2, T0)
    with pytest.raises(DomainError):
        orders.accept(world.users["frontdesk"], order, T0)
    assert order.state == "dispatched"


def test_engineers_see_their_own_and_their_team_s(world, db, crew_a):
    desk = world.users["frontdesk"]
    mate = factories.engineer(world.estate, "eng_mate", team="水电组")
    stranger = factories.engineer(world.estate, "eng_x", team="土建组")
    loner = factories.engineer(world.estate, "eng_loner")
    mine = factories.work_order(world.estate, desk, assignee=crew_a, team="水电组",
                                state="dispatched")
    team = factories.work_order(world.estate, desk, team="水电组")
    theirs = factories.work_order(world.estate, desk, team="土建组")
    db.session.commit()

    def seen(user):
        return set(db.session.scalars(sa.select(WorkOrder.id).where(
            orders.visible_clause(user, world.estate.id))))

    assert seen(crew_a) == {mine.id, team.id}
    assert seen(mate) == {mine.id, team.id}
    assert seen(stranger) == {theirs.id}
    assert seen(loner) == set()
    assert seen(desk) == {mine.id, team.id, theirs.id}
    assert orders.can_see(crew_a, team) and not orders.can_see(crew_a, theirs)


def test_sla_clock_stops_while_paused(world, db, crew_a):
    """Normal priority: respond in 2 h, complete in 48 h; a 5-hour pause moves completion."""
    desk = world.users["frontdesk"]
    cat = crew.categories(world.estate.id)[0]
    order = orders.report(desk, world.estate, {
        "source": "电话", "reporter_name": "张三", "reporter_phone": "13812345678",
        "unit_id": world.unit.id, "category_id": cat.id, "description": "漏水",
        "priority": "normal"}, T0)
    assert order.response_due_at == T0 + timedelta(hours=2)
    assert order.completion_due_at == T0 + timedelta(hours=48)
    orders.dispatch(desk, order, crew_a, T0 + timedelta(minutes=10))
    orders.accept(crew_a, order, T0 + timedelta(hours=3))
    assert order.response_breached is True
    orders.start(crew_a, order, T0 + timedelta(hours=4))
    orders.pause(crew_a, order, "等配件", T0 + timedelta(hours=10))
    assert order.paused_remaining_seconds == 38 * 3600
    orders.resume(crew_a, order, T0 + timedelta(hours=15))
    assert order.completion_due_at == T0 + timedelta(hours=53)
    assert order.paused_seconds == 5 * 3600
    # 50 h after the report: late by the wall clock, on time by running time
    orders.complete(crew_a, order, "换了阀门", T0 + timedelta(hours=50))
    assert order.completion_breached is False


def test_urgent_targets_and_per_estate_settings(world, db):
    desk = world.users["frontdesk"]
    cat = crew.categories(world.estate.id)[0]
    data = {"source": "巡查", "reporter_name": "保安", "area": "3号楼 电梯厅",
            "category_id": cat.id, "description": "电梯困人", "priority": "urgent"}
    order = orders.report(desk, world.estate, data, T0)
    assert order.response_due_at == T0 + timedelta(minutes=15)
    assert order.completion_due_at == T0 + timedelta(hours=4)
    crew.update_settings(world.users["manager"], world.estate, {
        "urgent_response_minutes": "30", "urgent_completion_minutes": "120",
        "normal_response_minutes": "120", "normal_completion_minutes": "2880",
        "day_start": "08:30", "day_end": "17:30"})
    order = orders.report(desk, world.estate, data, T0)
    assert order.completion_due_at == T0 + timedelta(hours=2)
    # the other estate keeps the defaults
    assert crew.targets(world.other_estate.id, "urgent") == (15 * 60, 4 * 3600)


def test_working_hours_clock():
    shanghai = ZoneInfo("Asia/Shanghai")
    c = Clock(shanghai, True, 8 * 60 + 30, 17 * 60 + 30)
    friday_five = datetime(2026, 11, 6, 17, 0, tzinfo=shanghai)
    # 2 h from 17:00: 30 min today, 90 min from 08:30 tomorrow
    assert c.advance(friday_five, 7200) == datetime(2026, 11, 7, 10, 0, tzinfo=shanghai)
    assert c.running(friday_five, datetime(2026, 11, 7, 10, 0, tzinfo=shanghai)) == 7200
    night = datetime(2026, 11, 6, 22, 0, tzinfo=shanghai)
    assert c.advance(night, 60) == datetime(2026, 11, 7, 8, 31, tzinfo=shanghai)
    assert Clock(shanghai).advance(night, 60) == night + timedelta(minutes=1)


def test_routing_each_rule_decides_one_case(world, db):
    """Skill first, then fewest open orders, then the longest idle."""
    e, desk = world.estate, world.users["frontdesk"]
    factories.engineer(e, "skilled", skills=["电梯"], full_name="甲")
    busy = factories.engineer(e, "busy", skills=["水电"], full_name="乙")
    free = factories.engineer(e, "free", skills=["水电"], full_name="丙")
    idle = factories.engineer(e, "idle", skills=["水电"], full_name="丁")
    factories.engineer(e, "offduty", skills=["电梯", "水电"], on_duty=False)
    for _ in range(2):
        factories.work_order(e, desk, state="accepted", assignee=busy)
    # free finished an order yesterday; idle last finished one a week ago
    factories.work_order(e, desk, state="closed", assignee=free,
                         completed_at=T0 - timedelta(days=1))
    factories.work_order(e, desk, state="closed", assignee=idle,
                         completed_at=T0 - timedelta(days=7))
    lift = factories.work_order(e, desk, category_name="电梯")
    water = factories.work_order(e, desk, category_name="水电")
    db.session.commit()

    def ranked_for(order):  # the world's own engineer has no skills and no orders: left out
        return [s.user.username for s in routing.suggest(order)
                if s.user.username != "engineering"]

    ranked = ranked_for(lift)
    assert ranked[0] == "skilled"  # skill decides
    assert "offduty" not in ranked
    ranked = ranked_for(water)
    assert ranked == ["idle", "free", "busy", "skilled"]  # idle before free, busy after both
    # with a completion today, idle is no longer the longest idle
    factories.work_order(e, desk, state="closed", assignee=idle, completed_at=T0)
    db.session.commit()
    assert ranked_for(water)[:2] == ["free", "idle"]


def test_chargeable_repair_lands_on_the_bill(world, db, crew_a):
    desk = world.users["frontdesk"]
    order = factories.work_order(world.estate, desk, state="in_progress", assignee=crew_a,
                                 unit=world.unit, chargeable=True)
    db.session.commit()
    with pytest.raises(DomainError, match="尚未确认"):
        orders.complete(crew_a, order, "done", T0)
    orders.set_quote(desk, order, {"quote_amount": "150.00", "confirmed_by": "张三"}, T0)
    orders.add_cost(crew_a, order, {"kind": "material", "name": "角阀", "quantity": "2",
                                    "unit_price": "35.50"}, T0)
    orders.add_cost(crew_a, order, {"kind": "labour", "name": "人工", "quantity": "1",
                                    "unit_price": "50"}, T0)
    with pytest.raises(DomainError, match="超过"):
        orders.add_cost(crew_a, order, {"kind": "labour", "name": "加班", "quantity": "1",
                                        "unit_price": "100"}, T0)
    with pytest.raises(DomainError):
        orders.add_cost(crew_a, order, {"name": "水管", "quantity": "-1", "unit_price": "5"}, T0)
    orders.complete(crew_a, order, "更换角阀两个", T0)
    line = db.session.get(BillLine, order.bill_line_id)
    assert line.amount == Decimal("121.00") and line.unit_id == world.unit.id
    assert "有偿维修" in line.explanation


def test_callback_reopens_when_unsatisfied(world, db, crew_a):
    desk = world.users["frontdesk"]
    order = factories.work_order(world.estate, desk, state="completed", assignee=crew_a,
                                 unit=world.unit, completed_at=T0)
    db.session.commit()
    with pytest.raises(DomainError, match="回访后才能关闭"):
        orders.close(desk, order, T0)
    with pytest.raises(DomainError, match="1 到 5"):
        orders.callback(desk, order, 7, "", T0)
    orders.callback(desk, order, 2, "还在滴水", T0)
    assert order.state == "dispatched" and order.assignee_id == crew_a.id
    assert order.completed_at is None


def test_appointment_in_the_past_and_other_estates_units_are_refused(world, db):
    desk = world.users["frontdesk"]
    cat = crew.categories(world.estate.id)[0]
    other_unit = factories.unit(factories.building(world.other_estate, "9"))
    db.session.commit()
    base = {"source": "电话", "reporter_name": "张三", "reporter_phone": "13812345678",
            "unit_id": world.unit.id, "category_id": cat.id, "description": "漏水"}
    with pytest.raises(DomainError, match="预约时间已过"):
        orders.report(desk, world.estate, {**base, "appointment_at": T0 - timedelta(hours=1)},
                      T0)
    with pytest.raises(DomainError, match="本小区的房屋"):
        orders.report(desk, world.estate, {**base, "unit_id": other_unit.id}, T0)
    other_cat = crew.categories(world.other_estate.id)[0]
    with pytest.raises(DomainError, match="请选择类别"):
        orders.report(desk, world.estate, {**base, "category_id": other_cat.id}, T0)
    assert count(db, WorkOrder) == 0
