"""Money taken at the desk: open bills with late fees, payments, prepaid balance, deposits,
voids, refunds and late-fee waivers.

Late fees (滞纳金) are computed on the day they are shown or paid (``feecalc.late_fee``). When a
payment reaches a line that has run one up, the fee is first posted as a ``late_fee`` bill line
(same unit, item and period, due that day, ``corrects_id`` = the line it was charged on) and paid
before the line itself. From then on the line's late fee runs from that day, and all the fees
charged on a line together stay under its cap, so nothing is charged twice.

Voiding a receipt reverses its payment: the allocations' amounts go back off the lines' settled
(also on the late-fee lines the payment posted, which stay as owed lines: they were due that day
whatever happened to the payment), the prepaid balance it added is taken back and its deposit is
no longer held. The allocation rows stay, with the payment marked voided, as the record of what
happened. A deposit counts as held while its payment is not voided.

Concurrency: every change of a unit's money locks the unit's row (``FOR NO KEY UPDATE`` on
PostgreSQL) first, so two payments, voids or refunds of one unit run one after the other; a form
posted twice is caught by the unique idempotency key of the payment table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from frontdesk.extensions import db
from frontdesk.models import (
    Allocation,
    BillLine,
    Deposit,
    Estate,
    Occupancy,
    Payment,
    Person,
    PrepaidEntry,
    Receipt,
    Refund,
    Unit,
    User,
)
from frontdesk.models.base import utcnow
from frontdesk.models.fees import PAYMENT_METHODS, PAYMENT_PURPOSES
from frontdesk.money import amount_in_words, quantize_money, read_amount
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees import receipts
from frontdesk.services.fees.calc import fmt, late_fee
from frontdesk.services.periods import estate_today

ZERO = Decimal("0.00")
#: the largest single payment or refund, in yuan
MAX_AMOUNT = Decimal("10000000")
#: printed names of the payment methods (data on receipts, not UI text)
METHOD_NAMES = {"cash": "现金", "wechat": "微信", "alipay": "支付宝", "card": "银行卡",
                "transfer": "转账"}
PURPOSE_NAMES = {"bills": "缴费", "prepaid": "预存款", "deposit": "押金"}
LINE_KIND_NAMES = {"charge": "账单", "adjustment": "调整", "late_fee": "滞纳金", "credit": "冲红"}
#: kinds of deposit the desk takes (stored as written)
DEPOSIT_KINDS = ("装修押金", "钥匙押金", "门禁卡押金", "其他押金")
REFUND_SOURCES = ("prepaid", "deposit")
#: lines a payment can settle
OPEN_KINDS = ("charge", "adjustment", "late_fee")
#: lines that run up late fees
LATE_KINDS = ("charge", "adjustment")

#: a transaction number as the payment slip or app shows it
_REFERENCE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_/]{0,63}$")
#: methods whose payments carry a transaction number (cash has none)
REFERENCE_METHODS = ("wechat", "alipay", "card", "transfer")


# --- amounts ---------------------------------------------------------------------------------


def parse_amount(value, field_name: str = "amount") -> Decimal:
    """Read an amount typed in yuan ("1,234.50", "¥80"), or raise DomainError saying why."""
    try:
        amount = read_amount(value)
    except ValueError:
        raise DomainError(_l("Enter the amount as a number of yuan, e.g. 1234.50."),
                          field_name) from None
    if amount is None:
        raise DomainError(_l("Please enter the amount."), field_name)
    return check_amount(amount, field_name)


def check_amount(amount, field_name: str = "amount") -> Decimal:
    """Return the amount if it is more than 0, at most 10,000,000 and in whole fen."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int | str):
        raise DomainError(_l("Enter the amount as a number of yuan, e.g. 1234.50."), field_name)
    try:
        amount = Decimal(amount)
    except InvalidOperation:
        raise DomainError(_l("Enter the amount as a number of yuan, e.g. 1234.50."),
                          field_name) from None
    if not amount.is_finite():
        raise DomainError(_l("Enter the amount as a number of yuan, e.g. 1234.50."), field_name)
    if amount <= 0:
        raise DomainError(_l("The amount must be more than 0."), field_name)
    if amount > MAX_AMOUNT:
        raise DomainError(_l("The amount must not be more than 10,000,000 yuan."), field_name)
    if amount != quantize_money(amount):
        raise DomainError(_l("The amount has at most two decimals (fen)."), field_name)
    return quantize_money(amount)


def _estate_of(unit: Unit) -> Estate:
    return db.session.get(Estate, unit.estate_id)


def lock_unit(unit_id: int) -> None:
    """Take the unit's lock for a change of its money, until the transaction ends.

    Whatever changes a unit's settled amounts or prepaid balance (billing's use of prepaid
    too) takes it first. A no-op on SQLite, whose writers run one at a time anyway.
    """
    db.session.execute(sa.select(Unit.id).where(Unit.id == unit_id).with_for_update(
        key_share=True))


# --- open lines and late fees ----------------------------------------------------------------


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

    @property
    def kind_name(self) -> str:
        return LINE_KIND_NAMES.get(self.line.kind, self.line.kind)


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


def prepaid_balance(unit_id: int) -> Decimal:
    """Return the unit's prepaid balance (预存款): the sum of its movements."""
    total = db.session.scalar(
        sa.select(sa.func.sum(PrepaidEntry.amount)).where(PrepaidEntry.unit_id == unit_id))
    return total if total is not None else ZERO


def _pending_refunds(unit_id: int, source: str, deposit_id: int | None = None) -> Decimal:
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
    return [HeldDeposit(d, d.amount - d.refunded, _pending_refunds(unit_id, "deposit", d.id))
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
    today = today or estate_today(_estate_of(unit))
    pending = list(db.session.scalars(
        sa.select(Refund).where(Refund.unit_id == unit.id, Refund.state == "pending")
        .order_by(Refund.requested_at)))
    payer = usual_payer(unit)
    return UnitFees(unit=unit, today=today, lines=open_lines(unit, today),
                    prepaid=prepaid_balance(unit.id), deposits=deposits_held(unit.id),
                    receipts=receipts.receipts_of_unit(unit, receipt_limit),
                    pending_refunds=pending, payer=payer or "")


# --- taking a payment ------------------------------------------------------------------------


def _payment_by_key(key: str) -> Payment | None:
    return db.session.scalar(sa.select(Payment).where(Payment.idempotency_key == key)
                             .execution_options(populate_existing=True))


def _same_unit(payment: Payment, unit: Unit) -> Payment:
    if payment.unit_id != unit.id:
        raise DomainError(_l("This payment form was already used for another unit. "
                             "Please open the payment page again."))
    return payment


def _check_text(value: str | None, limit: int, field_name: str) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise DomainError(_l("At most %(n)s characters.", n=limit), field_name)
    return text


def _reference(value: str | None, method: str) -> str:
    """Return the transaction number of a non-cash payment ("" for cash), checked."""
    text = re.sub(r"\s", "", value or "")
    if method not in REFERENCE_METHODS or not text:
        return ""
    if not _REFERENCE.match(text):
        raise DomainError(_l("A transaction number has at most 64 letters, digits and dashes."),
                          "reference")
    return text


def _tendered(value, amount: Decimal, method: str) -> Decimal | None:
    """Return the cash handed over for a cash payment (at least the amount), or None."""
    if method != "cash" or value is None or value == "":
        return None
    tendered = check_amount(value, "tendered")
    if tendered < amount:
        raise DomainError(_l("The cash handed over (%(t)s yuan) is less than the amount "
                             "received.", t=fmt(tendered)), "tendered")
    return tendered


def take_payment(actor: User, unit: Unit, *, amount, method: str, idempotency_key: str,
                 line_ids: list[int] | None = None, payer: str = "", note: str = "",
                 purpose: str = "bills", deposit_kind: str | None = None,
                 reference: str = "", tendered=None, today: date | None = None) -> Payment:
    """Record a payment with its allocation and receipt in one transaction.

    The same idempotency key gives back the payment already recorded with it. ``purpose``
    "bills" pays the ticked lines (``line_ids``) or the oldest open lines first, each line's
    late fee before it, and puts what is left in the prepaid balance; "prepaid" puts it all
    there; "deposit" holds it as a deposit of ``deposit_kind``. ``reference`` is the
    transaction number of a WeChat, Alipay, card or transfer payment; ``tendered`` the cash
    handed over for a cash payment, whose change the receipt shows. The receipt also states
    what the unit still owes after the payment.

    Commits itself rather than through ``@transactional``: a duplicate key found at the insert
    rolls back and gives the payment that the other post committed.
    """
    amount = check_amount(amount)
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Choose how the money was paid."), "method")
    if purpose not in PAYMENT_PURPOSES:
        raise DomainError(_l("Choose what the payment is for."), "purpose")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise DomainError(_l("The form has expired. Please reload the page and submit it again."))
    payer = _check_text(payer, 64, "payer")
    note = _check_text(note, 200, "note")
    reference = _reference(reference, method)
    tendered = _tendered(tendered, amount, method)
    if purpose == "deposit":
        deposit_kind = _check_text(deposit_kind, 16, "deposit_kind")
        if not deposit_kind:
            raise DomainError(_l("Choose the kind of deposit."), "deposit_kind")
    line_ids = sorted({int(i) for i in line_ids}) if line_ids else None
    if line_ids and purpose != "bills":
        raise DomainError(_l("Ticked bills can only be paid with a payment of bills."), "purpose")

    existing = _payment_by_key(key)
    if existing is not None:
        return _same_unit(existing, unit)
    try:
        payment = record_payment(actor, unit, amount=amount, method=method, key=key,
                                  line_ids=line_ids, payer=payer, note=note, purpose=purpose,
                                  deposit_kind=deposit_kind, reference=reference,
                                  tendered=tendered, today=today)
        db.session.commit()
    except sa.exc.IntegrityError:
        # the same form was posted again while this one ran: the other post recorded it
        db.session.rollback()
        existing = _payment_by_key(key)
        if existing is None:
            raise
        return _same_unit(existing, unit)
    except BaseException:
        db.session.rollback()
        raise
    return payment


def _receipt_line(line: BillLine, paid: Decimal) -> dict:
    item = line.fee_item.name
    label = f"{item}滞纳金" if line.kind == "late_fee" else item
    if line.kind == "adjustment":
        label = f"{item}（调整）"
    return {"item": label, "fee_item": item, "period": line.period, "kind": line.kind,
            "line_id": line.id, "explanation": line.explanation,
            "due": f"{line.amount:.2f}", "amount": f"{paid:.2f}"}


def _allocate(payment: Payment, line: BillLine, paid: Decimal) -> Allocation:
    allocation = Allocation(payment_id=payment.id, bill_line_id=line.id, amount=paid)
    db.session.add(allocation)
    line.settled = line.settled + paid
    return allocation


def record_payment(actor: User, unit: Unit, *, amount: Decimal, method: str, key: str,
                    line_ids: list[int] | None, payer: str, note: str, purpose: str,
                    deposit_kind: str | None, today: date | None, reference: str = "",
                    tendered: Decimal | None = None) -> Payment:
    lock_unit(unit.id)
    estate = _estate_of(unit)
    today = today or estate_today(estate)
    payment = Payment(estate_id=unit.estate_id, unit_id=unit.id, amount=amount, method=method,
                      purpose=purpose, payer=payer, note=note, reference=reference,
                      cashier_id=actor.id,
                      received_at=utcnow(), idempotency_key=key, voided=False)
    db.session.add(payment)
    db.session.flush()  # a second post of the same form stops here (unique idempotency key)

    lines: list[dict] = []
    late_total = ZERO
    remaining = amount
    deposit = None
    if purpose == "bills":
        open_ = open_lines(unit, today, lock=True)
        targets = open_
        if line_ids:
            by_id = {ol.line.id: ol for ol in open_}
            unknown = [i for i in line_ids if i not in by_id]
            if unknown:
                raise DomainError(_l("A ticked bill is not an open bill of this unit any more. "
                                     "Please reload the page."), "line_ids")
            targets = [ol for ol in open_ if ol.line.id in set(line_ids)]
        for ol in targets:
            if remaining <= 0:
                break
            line = ol.line
            if ol.late_fee > 0:
                fee_line = BillLine(
                    estate_id=line.estate_id, unit_id=line.unit_id,
                    fee_item=line.fee_item, period=line.period, kind="late_fee",
                    quantity=Decimal(ol.late.days), price=ol.late.rate, amount=ol.late_fee,
                    explanation=ol.late.explanation[:300], due_date=today, settled=ZERO,
                    corrects_id=line.id, reason="", created_by_id=actor.id)
                db.session.add(fee_line)
                db.session.flush()
                audit.record(actor, "create", fee_line, after=audit.snapshot(fee_line))
                paid = min(remaining, fee_line.amount)
                _allocate(payment, fee_line, paid)
                lines.append(_receipt_line(fee_line, paid))
                late_total += paid
                remaining -= paid
            if remaining <= 0:
                break
            paid = min(remaining, line.amount - line.settled)
            if paid > 0:
                _allocate(payment, line, paid)
                lines.append(_receipt_line(line, paid))
                if line.kind == "late_fee":
                    late_total += paid
                remaining -= paid
    if purpose in ("bills", "prepaid") and remaining > 0:
        db.session.add(PrepaidEntry(estate_id=unit.estate_id, unit_id=unit.id, amount=remaining,
                                    kind="payment", payment_id=payment.id))
        lines.append({"item": "预存款", "period": "", "kind": "prepaid", "explanation": "",
                      "due": "", "amount": f"{remaining:.2f}"})
    if purpose == "deposit":
        deposit = Deposit(estate_id=unit.estate_id, unit_id=unit.id, kind=deposit_kind,
                          amount=amount, refunded=ZERO, payment_id=payment.id)
        db.session.add(deposit)
        lines.append({"item": deposit_kind, "period": "", "kind": "deposit", "explanation": "",
                      "due": "", "amount": f"{amount:.2f}"})
    db.session.flush()
    # what the unit still owes once this payment is applied, late fees as of today included
    still_owed = sum((ol.total for ol in open_lines(unit, today)), ZERO)

    content = {
        "estate": estate.name,
        "unit_code": unit.code,
        "payer": payer,
        "method": method,
        "method_label": METHOD_NAMES[method],
        "purpose": purpose,
        "purpose_label": PURPOSE_NAMES[purpose],
        "cashier": actor.full_name,
        "lines": lines,
        "late_fee_total": f"{late_total:.2f}",
        "total": f"{amount:.2f}",
        "in_words": amount_in_words(amount),
        "note": note,
        "reference": reference,
        "tendered": f"{tendered:.2f}" if tendered is not None else "",
        "change": f"{tendered - amount:.2f}" if tendered is not None else "",
        "still_owed": f"{still_owed:.2f}",
    }
    after = audit.snapshot(payment)
    after["allocations"] = [{"bill_line_id": ln["line_id"], "amount": ln["amount"]}
                            for ln in lines if "line_id" in ln]
    if purpose != "deposit" and remaining > 0:
        after["prepaid"] = f"{remaining:.2f}"
    if deposit is not None:
        after["deposit_id"] = deposit.id
    if tendered is not None:
        after["tendered"], after["change"] = content["tendered"], content["change"]
    audit.record(actor, "create", payment, after=after)
    receipts.issue_receipt(actor, payment, content)
    return payment


def receipt_of(payment: Payment) -> Receipt:
    """Return the receipt of a payment."""
    return db.session.scalar(sa.select(Receipt).where(Receipt.payment_id == payment.id))


# --- voids -----------------------------------------------------------------------------------


@transactional
def void_receipt(actor: User, receipt: Receipt, reason: str) -> Receipt:
    """Void a receipt (作废): keep its number, record who and why, reverse its payment."""
    reason = _check_text(reason, 200, "reason")
    if not reason:
        raise DomainError(_l("Please give the reason for the void."), "reason")
    lock_unit(receipt.unit_id)
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Receipt).where(Receipt.id == receipt.id, Receipt.voided_at.is_(None))
        .values(voided_at=now, voided_by_id=actor.id, void_reason=reason)
    ).rowcount
    if claimed != 1:
        raise DomainError(_l("Receipt %(number)s is already void.", number=receipt.number))
    db.session.refresh(receipt)
    payment = db.session.scalar(
        sa.select(Payment).where(Payment.id == receipt.payment_id).with_for_update()
        .execution_options(populate_existing=True))

    reversed_lines = []
    allocations = db.session.scalars(
        sa.select(Allocation).where(Allocation.payment_id == payment.id).order_by(Allocation.id))
    for allocation in allocations:
        line = db.session.scalar(
            sa.select(BillLine).where(BillLine.id == allocation.bill_line_id).with_for_update()
            .execution_options(populate_existing=True))
        line.settled = line.settled - allocation.amount
        reversed_lines.append({"bill_line_id": line.id, "amount": f"{allocation.amount:.2f}"})

    added = db.session.scalar(
        sa.select(sa.func.sum(PrepaidEntry.amount))
        .where(PrepaidEntry.payment_id == payment.id, PrepaidEntry.kind == "payment")) or ZERO
    if added > 0:
        balance = prepaid_balance(payment.unit_id)
        if balance < added:
            raise DomainError(_l(
                "The %(added)s yuan this payment put in the prepaid balance has been used since "
                "(balance now %(balance)s yuan), so the receipt cannot be voided.",
                added=fmt(added), balance=fmt(balance)))
        db.session.add(PrepaidEntry(estate_id=payment.estate_id, unit_id=payment.unit_id,
                                    amount=-added, kind="void", payment_id=payment.id))

    deposit = db.session.scalar(sa.select(Deposit).where(Deposit.payment_id == payment.id)
                                .with_for_update())
    if deposit is not None:
        refunds = db.session.scalar(
            sa.select(sa.func.count(Refund.id)).where(Refund.deposit_id == deposit.id,
                                                      Refund.state != "rejected"))
        if deposit.refunded > 0 or refunds:
            raise DomainError(_l("The deposit of this receipt has been refunded or a refund of "
                                 "it is waiting for approval, so the receipt cannot be voided."))

    payment.voided = True
    receipts.chain_void(receipt)
    audit.record(actor, "void", receipt,
                 before={"voided_at": None, "void_reason": ""},
                 after={"voided_at": now.isoformat(), "voided_by": actor.username,
                        "void_reason": reason, "reversed": reversed_lines,
                        "prepaid_reversed": f"{added:.2f}",
                        "deposit_id": deposit.id if deposit else None})
    audit.record(actor, "void", payment, before={"voided": False}, after={"voided": True})
    return receipt


# --- refunds ---------------------------------------------------------------------------------


@transactional
def request_refund(actor: User, unit: Unit, *, source: str, amount, method: str, reason: str,
                   deposit: Deposit | None = None) -> Refund:
    """Ask for a refund of prepaid balance or of a deposit; a manager approves it."""
    amount = check_amount(amount)
    if source not in REFUND_SOURCES:
        raise DomainError(_l("Choose what is refunded."), "source")
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Choose how the money is paid back."), "method")
    reason = _check_text(reason, 200, "reason")
    if not reason:
        raise DomainError(_l("Please give the reason for the refund."), "reason")
    lock_unit(unit.id)
    if source == "prepaid":
        available = prepaid_balance(unit.id) - _pending_refunds(unit.id, "prepaid")
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
    payee = _check_text(payee, 64, "payee")
    if not payee:
        raise DomainError(_l("Please enter who receives the money."), "payee")
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
        "method": METHOD_NAMES.get(refund.paid_method or refund.method, refund.method),
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


def unit_codes(unit_ids) -> dict[int, str]:
    """Return {unit id: code} for a list of units."""
    ids = list(set(unit_ids))
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Unit.id, Unit.code).where(Unit.id.in_(ids))).all())


# --- late-fee waivers ------------------------------------------------------------------------


@transactional
def waive_late_fee(actor: User, line: BillLine, reason: str, today: date | None = None
                   ) -> Decimal:
    """Waive the late fee of a bill line (a manager's decision) and return what it was today."""
    reason = _check_text(reason, 200, "reason")
    if not reason:
        raise DomainError(_l("Please give the reason for the waiver."), "reason")
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

