"""Page data of bill runs, bill lines, payments and refunds: what their pages show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import (
    BillLine,
    BillRun,
    Building,
    Deposit,
    Estate,
    FeeItem,
    Occupancy,
    Payment,
    Person,
    PrepaidEntry,
    Receipt,
    Refund,
    Unit,
    User,
)
from frontdesk.services.fees import receipts
from frontdesk.services.fees.late_fees import OpenLine, open_lines
from frontdesk.services.periods import estate_today

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


def prepaid_balance(unit_id: int) -> Decimal:
    """Return the unit's prepaid balance (预存款): the sum of its movements."""
    total = db.session.scalar(
        sa.select(sa.func.sum(PrepaidEntry.amount)).where(PrepaidEntry.unit_id == unit_id))
    return total if total is not None else ZERO


def pending_refunds(unit_id: int, source: str, deposit_id: int | None = None) -> Decimal:
    stmt = sa.select(sa.func.sum(Refund.amount)).where(
        Refund.unit_id == unit_id, Refund.source == source, Refund.state == "pending")
    if deposit_id is not None:
        stmt = stmt.where(Refund.deposit_id == deposit_id)
    return db.session.scalar(stmt) or ZERO


@dataclass(frozen=True)
class HeldDeposit:
    """A deposit and how much of it is still held."""

    deposit: Deposit
    held: Decimal
    pending: Decimal = ZERO


def deposits_held(unit_id: int) -> list[HeldDeposit]:
    """Return the unit's deposits still (partly) held: not refunded, payment not voided."""
    rows = db.session.scalars(
        sa.select(Deposit).join(Payment, Payment.id == Deposit.payment_id)
        .where(Deposit.unit_id == unit_id, Payment.voided.is_(False),
               Deposit.amount > Deposit.refunded)
        .order_by(Deposit.created_at, Deposit.id)
    )
    return [HeldDeposit(d, d.amount - d.refunded, pending_refunds(unit_id, "deposit", d.id))
            for d in rows]


@dataclass
class UnitFees:
    """What the unit card's 账单/缴费 tab shows."""

    unit: Unit
    today: date
    lines: list[OpenLine]
    prepaid: Decimal
    deposits: list[HeldDeposit]
    receipts: list[Receipt]
    pending_refunds: list[Refund] = field(default_factory=list)
    #: who usually pays: the unit's primary contact
    payer: str = ""

    @property
    def outstanding(self) -> Decimal:
        return sum((ol.outstanding for ol in self.lines), ZERO)

    @property
    def late_fees(self) -> Decimal:
        return sum((ol.late_fee for ol in self.lines), ZERO)

    @property
    def total_due(self) -> Decimal:
        return self.outstanding + self.late_fees

    def total_of(self, line_ids) -> Decimal:
        """Return what the lines of these ids come to today, late fees included."""
        ids = set(line_ids or ())
        return sum((ol.total for ol in self.lines if ol.line.id in ids), ZERO)


def usual_payer(unit: Unit) -> str | None:
    """Return who usually pays for a unit: its primary contact, else an owner."""
    return db.session.scalar(
        sa.select(Person.name).join(Occupancy, Occupancy.person_id == Person.id)
        .where(Occupancy.unit_id == unit.id, Occupancy.end_date.is_(None))
        .order_by(Occupancy.is_primary.desc(), Occupancy.role != "owner", Occupancy.id)
        .limit(1))


def unit_fees(unit: Unit, today: date | None = None, receipt_limit: int = 10) -> UnitFees:
    """Gather the unit's open bills, balances, deposits and latest receipts (read only)."""
    today = today or estate_today(db.session.get(Estate, unit.estate_id))
    pending = list(db.session.scalars(
        sa.select(Refund).where(Refund.unit_id == unit.id, Refund.state == "pending")
        .order_by(Refund.requested_at)))
    payer = usual_payer(unit)
    return UnitFees(unit=unit, today=today, lines=open_lines(unit, today),
                    prepaid=prepaid_balance(unit.id), deposits=deposits_held(unit.id),
                    receipts=receipts.receipts_of_unit(unit, receipt_limit),
                    pending_refunds=pending, payer=payer or "")

def receipt_of(payment: Payment) -> Receipt:
    """Return the receipt of a payment."""
    return db.session.scalar(sa.select(Receipt).where(Receipt.payment_id == payment.id))


def still_owed(receipt: Receipt) -> Decimal | None:
    """Return what the unit still owed after the receipt's payment, or None when nothing."""
    owed = Decimal(receipt.content.get("still_owed") or "0")
    return owed if owed > 0 else None


def list_refunds(estate_id: int, state: str | None = None, page: int = 1, per_page: int = 50):
    """Return a page of an estate's refunds: waiting for approval, then waiting to be paid out,
    then newest first."""
    stmt = sa.select(Refund).where(Refund.estate_id == estate_id)
    if state:
        stmt = stmt.where(Refund.state == state)
    stmt = stmt.order_by((Refund.state == "pending").desc(), (Refund.state == "approved").desc(),
                         Refund.requested_at.desc(), Refund.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def refund_people(refunds: Iterable[Refund]) -> dict[int, str]:
    """Return the full names of the staff who asked for, decided and paid out some refunds."""
    ids = {i for r in refunds for i in (r.requested_by_id, r.decided_by_id, r.paid_by_id) if i}
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(User.id, User.full_name).where(User.id.in_(ids))).all())

def unit_codes(unit_ids) -> dict[int, str]:
    """Return {unit id: code} for a list of units."""
    ids = list(set(unit_ids))
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Unit.id, Unit.code).where(Unit.id.in_(ids))).all())

