"""Corrections of posted bills: credit notes (冲红), adjustments and late-fee waivers, each with
a reason and audited. Posted lines are never edited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import BillLine, Estate, FeeItem, Unit, User
from frontdesk.money import quantize_money, read_amount
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees.billing import check_period
from frontdesk.services.fees.billrun import clip, due_date
from frontdesk.services.fees.calc import fmt
from frontdesk.services.fees.late_fees import LATE_KINDS, line_late_fee
from frontdesk.services.fees.payments import lock_unit, required_text
from frontdesk.services.periods import estate_today

MAX_ADJUSTMENT = Decimal("1000000")
ZERO = Decimal("0.00")


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(_l("Please give the reason."), "reason")
    if len(text) > 200:
        raise DomainError(_l("The reason must not be longer than 200 characters."), "reason")
    return text


@transactional
def credit_line(actor: User, line: BillLine, reason: str) -> BillLine:
    """Reverse the unpaid part of a line with a credit note (冲红); the original is closed."""
    reason = _reason(reason)
    if line.kind not in ("charge", "adjustment", "late_fee"):
        raise DomainError(_l("Only charges can be credited."))
    unpaid = line.amount - line.settled
    if unpaid <= 0:
        raise DomainError(_l("Nothing of this line is unpaid: there is nothing to credit."))
    before = audit.snapshot(line, ["settled"])
    credit = BillLine(
        estate_id=line.estate_id, unit_id=line.unit_id, fee_item_id=line.fee_item_id,
        period=line.period, kind="credit", quantity=Decimal(0), price=Decimal(0),
        amount=-unpaid, settled=-unpaid, due_date=line.due_date, corrects_id=line.id,
        explanation=clip(f"冲红 #{line.id}：原金额 {fmt(line.amount)}，已收 "
                          f"{fmt(line.settled)}，冲减 {fmt(unpaid)}（{reason}）"),
        reason=reason, created_by_id=actor.id if actor else None,
    )
    line.settled = line.amount
    db.session.add(credit)
    db.session.flush()
    after = audit.snapshot(line, ["settled"])
    after.update({"credit_line_id": credit.id, "credited": str(unpaid), "reason": reason})
    audit.record(actor, "credit", line, before=before, after=after)
    return credit


def parse_amount(value) -> Decimal:
    """Return an adjustment amount (non-zero, two decimals, at most 1,000,000 either way)."""
    if isinstance(value, float):
        raise TypeError("amounts must not be floats")
    try:
        amount = read_amount(value)
    except ValueError:
        amount = None
    if amount is None or not amount.is_finite():
        raise DomainError(_l("The amount must be a number, e.g. -12.50."), "amount")
    if abs(amount) > MAX_ADJUSTMENT:  # before quantize, which cannot hold 1e309
        raise DomainError(_l("The amount must not exceed 1,000,000 either way."), "amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_l("The amount has at most two decimals."), "amount")
    if amount == 0:
        raise DomainError(_l("The amount must not be zero."), "amount")
    return quantize_money(amount)


@transactional
def adjust(actor: User, unit: Unit, fee_item: FeeItem, period: str, amount, reason: str,
           today: date | None = None) -> BillLine:
    """Add an adjustment line (positive: owed; negative: allowed) with a reason."""
    estate = db.session.get(Estate, unit.estate_id)
    period = check_period(estate, period, today)
    amount = parse_amount(amount)
    reason = _reason(reason)
    if fee_item.estate_id != unit.estate_id:
        raise DomainError(_l("The fee item is not one of this estate's."), "fee_item")
    line = BillLine(
        estate_id=unit.estate_id, unit_id=unit.id, fee_item_id=fee_item.id, period=period,
        kind="adjustment", quantity=Decimal(0), price=Decimal(0), amount=amount,
        settled=ZERO, due_date=due_date(period, fee_item),
        explanation=clip(f"调整 {fmt(amount)}（{reason}）"), reason=reason,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(line)
    db.session.flush()
    audit.record(actor, "adjust", line, before={}, after=audit.snapshot(line))
    return line


# reading ----------------------------------------------------------------------------------------


@transactional
def waive_late_fee(actor: User, line: BillLine, reason: str, today: date | None = None
                   ) -> Decimal:
    """Waive the late fee of a bill line (a manager's decision) and return what it was today."""
    reason = required_text(reason, 200, "reason", _l("Please give the reason for the waiver."))
    if line.kind not in LATE_KINDS:
        raise DomainError(_l("Only charges and adjustments run up late fees."))
    lock_unit(line.unit_id)
    db.session.refresh(line)
    if line.late_fee_waived:
        raise DomainError(_l("The late fee of this bill has already been waived."))
    if line.amount - line.settled <= 0:
        raise DomainError(_l("This bill is paid; there is no late fee to waive."))
    today = today or estate_today(db.session.get(Estate, line.estate_id))
    ol = line_late_fee(line, today)
    line.late_fee_waived = True
    audit.record(actor, "waive_late_fee", line,
                 before={"late_fee_waived": False},
                 after={"late_fee_waived": True, "reason": reason, "as_of": today.isoformat(),
                        "late_fee": f"{ol.late_fee:.2f}", "days": ol.late.days,
                        "outstanding": f"{ol.outstanding:.2f}"})
    return ol.late_fee

