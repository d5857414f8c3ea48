"""Page data of bill runs, bill lines and payments: what the billing and payments pages show."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import BillLine, BillRun, Building, Estate, FeeItem, Unit, User

ZERO = Decimal("0.00")


def list_runs(estate_id: int, page: int = 1, per_page: int = 50):
    """Return a page of an estate's bill runs, newest first."""
    q = (sa.select(BillRun).where(BillRun.estate_id == estate_id)
         .order_by(BillRun.posted_at.desc(), BillRun.id.desc()))
    return db.paginate(q, page=page, per_page=per_page, error_out=False)


def run_totals(run: BillRun) -> list[tuple[int, int, int, Decimal]]:
    """Return (building id, fee item id, lines, amount) of a posted run."""
    rows = db.session.execute(
        sa.select(Unit.building_id, BillLine.fee_item_id, sa.func.count(BillLine.id),
                  sa.func.sum(BillLine.amount))
        .join(Unit, Unit.id == BillLine.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .join(FeeItem, FeeItem.id == BillLine.fee_item_id)
        .where(BillLine.bill_run_id == run.id)
        .group_by(Unit.building_id, BillLine.fee_item_id, Building.sort_key, FeeItem.code)
        .order_by(Building.sort_key, FeeItem.code))
    return [(b, i, n, s or ZERO) for b, i, n, s in rows]


def lines_of_run(run: BillRun, limit: int = 100) -> list[tuple[BillLine, str]]:
    """Return the first lines of a run with their unit codes."""
    return list(db.session.execute(
        sa.select(BillLine, Unit.code).join(Unit, Unit.id == BillLine.unit_id)
        .where(BillLine.bill_run_id == run.id).order_by(BillLine.id).limit(limit)))


def lines_of_unit(unit: Unit) -> list[BillLine]:
    """Return a unit's bill lines, newest period first."""
    return list(db.session.scalars(
        sa.select(BillLine).where(BillLine.unit_id == unit.id)
        .order_by(BillLine.period.desc(), BillLine.fee_item_id, BillLine.id)))


def fee_items(estate_id: int) -> list[FeeItem]:
    """Return an estate's fee items by code (for the adjustment form)."""
    return list(db.session.scalars(
        sa.select(FeeItem).where(FeeItem.estate_id == estate_id).order_by(FeeItem.code)))



def building_of(estate: Estate, building_id: str | int | None) -> Building | None:
    """Return the estate's building of this id (a bill run's scope), or None."""
    if not building_id:
        return None
    building = db.session.get(Building, int(building_id))
    if building is None or building.estate_id != estate.id:
        return None
    return building


def run_page(run: BillRun) -> dict:
    """Return what a posted run's page shows: totals per building and fee item, first lines."""
    estate = db.session.get(Estate, run.estate_id)
    return {
        "run": run, "totals": run_totals(run),
        "items": {i.id: i for i in fee_items(estate.id)},
        "buildings": {b.id: b for b in estate.buildings}, "lines": lines_of_run(run),
        "poster": db.session.get(User, run.posted_by_id) if run.posted_by_id else None,
    }


def unit_of(line: BillLine) -> Unit:
    """Return the unit a bill line charges."""
    return db.session.get(Unit, line.unit_id)
