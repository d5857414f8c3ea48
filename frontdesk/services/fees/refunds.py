"""Refunds of prepaid balance and of deposits: requested at the desk, decided by a manager,
paid out (and counted on that day's cashier report), with the voucher printed for signing."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.labels import PRINTED_PAYMENT_METHODS
from frontdesk.models import Deposit, Estate, Payment, PrepaidEntry, Refund, Unit, User
from frontdesk.models.base import utcnow
from frontdesk.models.fees import PAYMENT_METHODS
from frontdesk.money import amount_in_words
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees.bill_queries import (
    deposits_held,
    pending_refunds,
    prepaid_balance,
    refund_people,
    usual_payer,
)
from frontdesk.services.fees.calc import fmt
from frontdesk.services.fees.payments import check_amount, lock_unit, required_text

ZERO = Decimal("0.00")
REFUND_SOURCES = ("prepaid", "deposit")


@transactional
def request_refund(actor: User, unit: Unit, *, source: str, amount, method: str, reason: str,
                   deposit: Deposit | None = None) -> Refund:
    """Ask for a refund of prepaid balance or of a deposit; a manager approves it."""
    amount = check_amount(amount)
    if source not in REFUND_SOURCES:
        raise DomainError(_l("Choose what is refunded."), "source")
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Choose how the money is paid back."), "method")
    reason = required_text(reason, 200, "reason", _l("Please give the reason for the refund."))
    lock_unit(unit.id)
    if source == "prepaid":
        available = prepaid_balance(unit.id) - pending_refunds(unit.id, "prepaid")
        if amount > available:
            raise DomainError(_l("The refund is larger than the prepaid balance that can be "
                                 "refunded (%(a)s yuan).", a=fmt(max(available, ZERO))),
                              "amount")
        deposit = None
    else:
        if deposit is None or deposit.unit_id != unit.id:
            raise DomainError(_l("Choose the deposit to refund."), "deposit_id")
        held = {h.deposit.id: h for h in deposits_held(unit.id)}.get(deposit.id)
        available = held.held - held.pending if held else ZERO
        if amount > available:
            raise DomainError(_l("The refund is larger than what is left of the deposit "
                                 "(%(a)s yuan).", a=fmt(max(available, ZERO))), "amount")
    refund = Refund(estate_id=unit.estate_id, unit_id=unit.id, source=source,
                    deposit_id=deposit.id if deposit else None, amount=amount, method=method,
                    reason=reason, state="pending", requested_by_id=actor.id,
                    requested_at=utcnow())
    db.session.add(refund)
    db.session.flush()
    audit.record(actor, "request", refund, after=audit.snapshot(refund))
    return refund


@transactional
def decide_refund(actor: User, refund: Refund, approve: bool) -> Refund:
    """Approve or reject a refund; an approval checks the balance again and takes the amount
    off it (or off the deposit). The money is handed over later, in :func:`pay_refund`."""
    lock_unit(refund.unit_id)
    state = "approved" if approve else "rejected"
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Refund).where(Refund.id == refund.id, Refund.state == "pending")
        .values(state=state, decided_by_id=actor.id, decided_at=now)
    ).rowcount
    if claimed != 1:
        raise DomainError(_l("This refund has already been decided."))
    db.session.refresh(refund)
    if approve:
        if refund.source == "prepaid":
            balance = prepaid_balance(refund.unit_id)
            if refund.amount > balance:
                raise DomainError(_l("The prepaid balance is now %(b)s yuan, less than the "
                                     "refund; it cannot be approved.", b=fmt(balance)))
            db.session.add(PrepaidEntry(estate_id=refund.estate_id, unit_id=refund.unit_id,
                                        amount=-refund.amount, kind="refund",
                                        refund_id=refund.id))
        else:
            deposit = db.session.scalar(
                sa.select(Deposit).where(Deposit.id == refund.deposit_id).with_for_update()
                .execution_options(populate_existing=True))
            paid = db.session.get(Payment, deposit.payment_id)
            left = deposit.amount - deposit.refunded
            if paid.voided or refund.amount > left:
                raise DomainError(_l("Only %(b)s yuan of the deposit is left, less than the "
                                     "refund; it cannot be approved.",
                                     b=fmt(ZERO if paid.voided else left)))
            deposit.refunded = deposit.refunded + refund.amount
    audit.record(actor, "approve" if approve else "reject", refund,
                 before={"state": "pending"}, after={"state": state})
    return refund


@transactional
def pay_refund(actor: User, refund: Refund, *, method: str | None = None,
               payee: str = "") -> Refund:
    """Record that an approved refund was handed over: by whom, when, how and to whom.

    From then on it counts, by the method it was paid with, on the daily cashier report of
    the day it was paid, against the money taken that day.
    """
    method = method or refund.method
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Choose how the money is paid back."), "method")
    payee = required_text(payee, 64, "payee", _l("Please enter who receives the money."))
    lock_unit(refund.unit_id)
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Refund).where(Refund.id == refund.id, Refund.state == "approved")
        .values(state="paid", paid_by_id=actor.id, paid_at=now, paid_method=method,
                payee=payee)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(refund)
    if claimed != 1:
        if refund.state == "paid":
            raise DomainError(_l("This refund has already been paid out."))
        raise DomainError(_l("Only an approved refund can be paid out."))
    audit.record(actor, "pay", refund, before={"state": "approved"},
                 after={"state": "paid", "paid_by": actor.username, "paid_at": now.isoformat(),
                        "paid_method": method, "payee": payee, "amount": f"{refund.amount:.2f}"})
    return refund

def refund_number(refund_id: int) -> str:
    """Return the number printed on a refund's voucher, e.g. TK000042."""
    return f"TK{refund_id:06d}"


def refund_voucher_data(refund: Refund, *, printed_by: str) -> dict:
    """Return the plain data of a refund voucher (退款单) for ``pdf.refund_voucher``.

    Printed once a manager has approved the refund, to be signed when the money is handed
    over; after the paid step it also shows who paid it out, when and how.
    """
    if refund.state not in ("approved", "paid"):
        raise DomainError(_l("Only an approved refund has a voucher."))
    estate = db.session.get(Estate, refund.estate_id)
    tz = ZoneInfo(estate.timezone)
    unit = db.session.get(Unit, refund.unit_id)
    names = refund_people([refund])
    deposit = db.session.get(Deposit, refund.deposit_id) if refund.deposit_id else None

    def local(moment) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    source = "预存款" if refund.source == "prepaid" else f"押金（{deposit.kind}）" if deposit \
        else "押金"
    paid = refund.state == "paid"
    return {
        "estate": {"name": estate.name, "address": estate.address, "phone": estate.phone},
        "number": refund_number(refund.id),
        "unit_code": unit.code,
        "payee": refund.payee if paid else (usual_payer(unit) or ""),
        "source": source,
        "amount": refund.amount,
        "in_words": amount_in_words(refund.amount),
        "method": PRINTED_PAYMENT_METHODS.get(refund.paid_method or refund.method, refund.method),
        "reason": refund.reason,
        "requested_by": names.get(refund.requested_by_id, ""),
        "requested_at": local(refund.requested_at),
        "approved_by": names.get(refund.decided_by_id, ""),
        "approved_at": local(refund.decided_at),
        "paid": paid,
        "paid_by": names.get(refund.paid_by_id, "") if paid else "",
        "paid_at": local(refund.paid_at) if paid else "",
        "printed_at": local(utcnow()),
        "printed_by": printed_by,
    }
