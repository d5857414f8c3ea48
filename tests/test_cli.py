"""flask commands: the demo data loads once and prints its logins."""

from __future__ import annotations

import sqlalchemy as sa

from frontdesk.models import BillLine, Building, Estate, FeeItem, Occupancy, Receipt, Unit, User
from tests.conftest import login


def test_demo_data_loads_an_estate_and_one_user_per_role(app, runner, db):
    result = runner.invoke(args=["demo-data", "--if-empty"])
    assert result.exit_code == 0, result.output
    for username in ("desk", "engineer", "finance", "manager", "admin"):
        assert username in result.output
    estate = db.session.scalar(sa.select(Estate).where(Estate.name == "示例花园"))
    assert db.session.scalar(sa.select(sa.func.count(Building.id))) >= 8
    units = db.session.scalar(sa.select(sa.func.count(Unit.id)).where(
        Unit.estate_id == estate.id, Unit.gross_area > 0))
    assert units >= 1000
    assert db.session.scalar(sa.select(sa.func.count(Occupancy.id))) > 800
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 5 + 5  # and eng1…eng5
    assert login(app.test_client(), "desk", "demo1234").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(FeeItem.id))) >= 4
    assert db.session.scalar(sa.select(sa.func.count(BillLine.id))) > 3 * 900
    assert db.session.scalar(sa.select(sa.func.count(Receipt.id))) > 100
    assert runner.invoke(args=["verify-receipts"]).exit_code == 0
    from frontdesk.models import Key, KeyLoan

    assert db.session.scalar(sa.select(sa.func.count(Key.id))) > 100
    assert db.session.scalar(sa.select(sa.func.count(KeyLoan.id))) >= 1
    _the_work_orders_are_alive(db, estate)
    assert login(app.test_client(), "eng1", "demo1234").status_code == 302
    from frontdesk.models import DutyEntry, DutyShift

    assert db.session.scalar(sa.select(sa.func.count(DutyShift.id))
                             .where(DutyShift.state == "locked")) >= 20
    assert db.session.scalar(sa.select(sa.func.count(DutyEntry.id))) >= 60
    again = runner.invoke(args=["demo-data", "--if-empty"])
    assert "not loaded" in again.output
    assert db.session.scalar(sa.select(sa.func.count(Estate.id))) == 1


def _the_work_orders_are_alive(db, estate):
    """A crew with a lead, and orders in every state, with breaches, bills and callbacks."""
    from frontdesk.models import Engineer, WorkOrder, WorkOrderStep
    from frontdesk.models.workorders import STATES

    profiles = db.session.scalars(sa.select(Engineer).where(Engineer.estate_id == estate.id)).all()
    assert len(profiles) == 6 and sum(p.is_lead for p in profiles) == 1
    assert {p.team for p in profiles} == {"水电组", "土建组"} and all(p.skills for p in profiles)
    states = dict(db.session.execute(sa.select(WorkOrder.state, sa.func.count())
                                     .group_by(WorkOrder.state)).all())
    assert set(states) == set(STATES), states
    assert db.session.scalar(sa.select(sa.func.count()).where(
        WorkOrder.response_breached.is_(True))) > 0
    assert db.session.scalar(sa.select(sa.func.count()).where(
        WorkOrder.completion_breached.is_(True))) > 0
    billed = db.session.scalars(sa.select(WorkOrder).where(WorkOrder.bill_line_id.is_not(None)))
    assert len(billed.all()) >= 2
    scores = db.session.scalars(sa.select(WorkOrderStep.score).where(
        WorkOrderStep.score.is_not(None))).all()
    assert len(scores) > 10 and min(scores) <= 2
    # each order's steps run forward in time, all before now
    for order in db.session.scalars(sa.select(WorkOrder)):
        times = [s.at for s in order.steps]
        assert times == sorted(times) and times[0] == order.created_at
