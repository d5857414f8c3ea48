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
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 5
    assert login(app.test_client(), "desk", "demo1234").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(FeeItem.id))) >= 4
    assert db.session.scalar(sa.select(sa.func.count(BillLine.id))) > 3 * 900
    assert db.session.scalar(sa.select(sa.func.count(Receipt.id))) > 100
    assert runner.invoke(args=["verify-receipts"]).exit_code == 0
    from frontdesk.models import Key, KeyLoan

    assert db.session.scalar(sa.select(sa.func.count(Key.id))) > 100
    assert db.session.scalar(sa.select(sa.func.count(KeyLoan.id))) >= 1
    from frontdesk.models import DutyEntry, DutyShift

    assert db.session.scalar(sa.select(sa.func.count(DutyShift.id))
                             .where(DutyShift.state == "locked")) >= 20
    assert db.session.scalar(sa.select(sa.func.count(DutyEntry.id))) >= 60
    again = runner.invoke(args=["demo-data", "--if-empty"])
    assert "not loaded" in again.output
    assert db.session.scalar(sa.select(sa.func.count(Estate.id))) == 1
