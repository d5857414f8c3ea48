"""Late fees (滞纳金) and the open lines that run them up, as of a day.

Late fees are computed on the day they are shown or paid (``calc.late_fee``). When a payment
reaches a line that has run one up, the fee is first posted as a ``late_fee`` bill line (same
unit, item and period, due that day, ``corrects_id`` = the line it was charged on) and paid
before the line itself. From then on the line's late fee runs from that day, and all the fees
charged on a line together stay under its cap, so nothing is charged twice. Waivers are
corrections (:mod:`corrections`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from frontdesk.extensions import db
from frontdesk.models import BillLine, Estate, Unit
from frontdesk.money import quantize_money
from frontdesk.services.fees.calc import fmt, late_fee
from frontdesk.services.periods import estate_today

ZERO = Decimal("0.00")
#: lines a payment can settle
OPEN_KINDS = ("charge", "adjustment", "late_fee")
#: lines that run up late fees
LATE_KINDS = ("charge", "adjustment")


@dataclass(frozen=True)
class LateFee:
    """A late fee as of a day, with the days charged and the words that explain it."""

    amount: Decimal = ZERO
    days: int = 0
    explanation: str = ""
    #: the rate per day and the principal it was computed on
    rate: Decimal = Decimal("0")
    principal: Decimal = ZERO


NO_LATE_FEE = LateFee()


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def late_fee_of(line: BillLine, outstanding: Decimal, today: date, *,
                charged_before: Decimal = ZERO, last_charged: date | None = None) -> LateFee:
    """Return the late fee a line has run up by today.

    ``charged_before`` and ``last_charged`` describe late-fee lines already posted on it: the
    fee then runs from the last of them, and all of them together stay under the cap.
    """
    item = line.fee_item
    return late_fee_for(
        kind=line.kind, amount=line.amount, outstanding=outstanding, due_date=line.due_date,
        waived=line.late_fee_waived, grace_days=item.late_grace_days,
        daily_rate=item.late_daily_rate, cap_ratio=item.late_cap_ratio, today=today,
        charged_before=charged_before, last_charged=last_charged)


def late_fee_for(*, kind: str, amount: Decimal, outstanding: Decimal, due_date: date,
                 waived: bool, grace_days: int, daily_rate: Decimal | None,
                 cap_ratio: Decimal, today: date, charged_before: Decimal = ZERO,
                 last_charged: date | None = None) -> LateFee:
    """The late-fee rule, from plain values (a line's and its fee item's columns).

    ``late_fee_of`` applies it to a loaded line; the printed notices and statements apply it
    to rows read in bulk, with ``charged_late_fees_bulk`` for the fees already posted.
    Only charges and adjustments run up late fees (posted late-fee lines do not), after the
    grace period from the due date, or from the day the last late fee was posted on the line
    (no grace then); the fee is capped at ``cap_ratio`` of what is unpaid, and all the fees of
    a line together at ``cap_ratio`` of its amount.
    """
    if (waived or kind not in LATE_KINDS or outstanding <= 0
            or not daily_rate or daily_rate <= 0):
        return NO_LATE_FEE
    rate = daily_rate
    if last_charged is not None:
        fee, days = late_fee(outstanding, last_charged, today, 0, rate, cap_ratio)
    else:
        fee, days = late_fee(outstanding, due_date, today, grace_days or 0, rate, cap_ratio)
    if days == 0:
        return NO_LATE_FEE
    raw = quantize_money(outstanding * rate * days)
    room = max(ZERO, quantize_money(amount * min(cap_ratio, Decimal(1))) - charged_before)
    fee = min(fee, room)
    text = f"滞纳金 {fmt(outstanding)} × {_percent(rate)} × {days} 天 = {fmt(raw)}"
    if fee < raw:
        text += f"，封顶 {fmt(fee)}"
    if fee <= 0:
        return NO_LATE_FEE
    return LateFee(amount=fee, days=days, explanation=text, rate=rate, principal=outstanding)


@dataclass(frozen=True)
class OpenLine:
    """A bill line still owed, with the late fee it has run up by the day asked for."""

    line: BillLine
    outstanding: Decimal
    late: LateFee = NO_LATE_FEE

    @property
    def late_fee(self) -> Decimal:
        return self.late.amount

    @property
    def total(self) -> Decimal:
        return self.outstanding + self.late.amount


def charged_late_fees_bulk(line_ids: Iterable[int] | sa.Select, *,
                           unit_ids: Iterable[int] | sa.Select | None = None,
                           as_of: date | None = None) -> dict[int, tuple[Decimal, date]]:
    """Return {line id: (late fees posted on it, the last day one was posted)} in one query.

    ``line_ids`` are the lines asked about (a list, or a select of ids for many); ``unit_ids``
    (the lines' units) narrows the search to those units' lines by index; ``as_of`` counts
    only late fees posted up to that day. Lines without a posted late fee are left out.
    """
    if not isinstance(line_ids, sa.Select):
        line_ids = list(line_ids)
        if not line_ids:
            return {}
    stmt = (
        sa.select(BillLine.corrects_id, sa.func.sum(BillLine.amount),
                  sa.func.max(BillLine.due_date))
        .where(BillLine.kind == "late_fee", BillLine.corrects_id.in_(line_ids))
        .group_by(BillLine.corrects_id)
    )
    if unit_ids is not None:
        if not isinstance(unit_ids, sa.Select):
            unit_ids = list(unit_ids)
        stmt = stmt.where(BillLine.unit_id.in_(unit_ids))
    if as_of is not None:
        stmt = stmt.where(BillLine.due_date <= as_of)
    return {cid: (total or ZERO, last) for cid, total, last in db.session.execute(stmt)}


def _charged_late_fees(unit_id: int, line_ids: list[int]) -> dict[int, tuple[Decimal, date]]:
    """Return {line id: (late fees posted on it, the last day one was posted)}."""
    return charged_late_fees_bulk(line_ids, unit_ids=[unit_id])


def open_lines(unit: Unit, today: date, *, lock: bool = False) -> list[OpenLine]:
    """Return the unit's open bill lines, oldest first, each with its late fee as of today.

    Charges, adjustments and late-fee lines with amount − settled > 0; credit notes are not
    listed (billing settles them against the line they correct).
    """
    stmt = (
        sa.select(BillLine).options(selectinload(BillLine.fee_item))
        .where(BillLine.unit_id == unit.id, BillLine.kind.in_(OPEN_KINDS),
               BillLine.amount > BillLine.settled)
        .order_by(BillLine.due_date, BillLine.id)
    )
    if lock:
        stmt = stmt.with_for_update(of=BillLine).execution_options(populate_existing=True)
    lines = list(db.session.scalars(stmt))
    charged = _charged_late_fees(unit.id, [ln.id for ln in lines if ln.kind in LATE_KINDS])
    result = []
    for line in lines:
        outstanding = line.amount - line.settled
        before, last = charged.get(line.id, (ZERO, None))
        result.append(OpenLine(line, outstanding, late_fee_of(
            line, outstanding, today, charged_before=before, last_charged=last)))
    return result


def line_late_fee(line: BillLine, today: date | None = None) -> OpenLine:
    """Return one line with its outstanding amount and late fee as of today."""
    today = today or estate_today(db.session.get(Estate, line.estate_id))
    before, last = _charged_late_fees(line.unit_id, [line.id]).get(line.id, (ZERO, None))
    outstanding = line.amount - line.settled
    return OpenLine(line, outstanding, late_fee_of(line, outstanding, today,
                                                   charged_before=before, last_charged=last))
