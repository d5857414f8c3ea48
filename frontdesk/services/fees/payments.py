"""Money taken at the desk: payments with their allocation and receipt, and voids.

Voiding a receipt reverses its payment: the allocations' amounts go back off the lines' settled
(also on the late-fee lines the payment posted, which stay as owed lines: they were due that day
whatever happened to the payment), the prepaid balance it added is taken back and its deposit is
no longer held. The allocation rows stay, with the payment marked voided, as the record of what
happened. A deposit counts as held while its payment is not voided. Late fees are in
:mod:`late_fees`, refunds in :mod:`refunds`, the pages' data in :mod:`bill_queries`.

Concurrency: every change of a unit's money locks the unit's row (``FOR NO KEY UPDATE`` on
PostgreSQL) first, so two payments, voids or refunds of one unit run one after the other; a form
posted twice is caught by the unique idempotency key of the payment table.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.labels import PRINTED_PAYMENT_METHODS, PRINTED_PAYMENT_PURPOSES
from frontdesk.models import (
    Allocation,
    BillLine,
    Deposit,
    Estate,
    Payment,
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
from frontdesk.services.fees.bill_queries import prepaid_balance
from frontdesk.services.fees.calc import fmt
from frontdesk.services.fees.late_fees import open_lines
from frontdesk.services.periods import estate_today

ZERO = Decimal("0.00")
#: the largest single payment or refund, in yuan
MAX_AMOUNT = Decimal("10000000")
#: kinds of deposit the desk takes (stored as written)
DEPOSIT_KINDS = ("装修押金", "钥匙押金", "门禁卡押金", "其他押金")

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




# --- taking a payment ------------------------------------------------------------------------


def _payment_by_key(key: str) -> Payment | None:
    return db.session.scalar(sa.select(Payment).where(Payment.idempotency_key == key)
                             .execution_options(populate_existing=True))


def _same_unit(payment: Payment, unit: Unit) -> Payment:
    if payment.unit_id != unit.id:
        raise DomainError(_l("This payment form was already used for another unit. "
                             "Please open the payment page again."))
    return payment


def check_text(value: str | None, limit: int, field_name: str) -> str:
    """Return the text typed, stripped, refusing it longer than ``limit`` characters."""
    text = (value or "").strip()
    if len(text) > limit:
        raise DomainError(_l("At most %(n)s characters.", n=limit), field_name)
    return text


def required_text(value: str | None, limit: int, field_name: str, missing) -> str:
    """Return the text typed, checked as :func:`check_text`; refuse it empty with ``missing``."""
    text = check_text(value, limit, field_name)
    if not text:
        raise DomainError(missing, field_name)
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


@transactional
def take_payment(actor: User, unit: Unit, *, amount, method: str, idempotency_key: str,
                 line_ids: list[int] | None = None, payer: str = "", note: str = "",
                 purpose: str = "bills", deposit_kind: str | None = None,
                 reference: str = "", tendered=None, today: date | None = None,
                 deposit_amount=None, prepaid_label: str = "预存款") -> Payment:
    """Record a payment with its allocation and receipt in one transaction.

    The same idempotency key gives back the payment already recorded with it. ``purpose``
    "bills" pays the ticked lines (``line_ids``) or the oldest open lines first, each line's
    late fee before it, and puts what is left in the prepaid balance; "prepaid" puts it all
    there; "deposit" holds it as a deposit of ``deposit_kind``. ``reference`` is the
    transaction number of a WeChat, Alipay, card or transfer payment; ``tendered`` the cash
    handed over for a cash payment, whose change the receipt shows. The receipt also states
    what the unit still owes after the payment.

    A "prepaid" payment may hold part of the amount as a deposit (``deposit_amount`` of
    ``deposit_kind``), as a move-in's first fees do: prepaid management fee and decoration
    deposit on one receipt, the prepaid part's receipt line named ``prepaid_label``.

    A duplicate key found at the insert (the same form posted twice at once) rolls back to a
    savepoint and gives the payment that the other post committed.
    """
    amount = check_amount(amount)
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Choose how the money was paid."), "method")
    if purpose not in PAYMENT_PURPOSES:
        raise DomainError(_l("Choose what the payment is for."), "purpose")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise DomainError(_l("The form has expired. Please reload the page and submit it again."))
    payer = check_text(payer, 64, "payer")
    note = check_text(note, 200, "note")
    reference = _reference(reference, method)
    tendered = _tendered(tendered, amount, method)
    if deposit_amount not in (None, "") and purpose == "prepaid":
        deposit_amount = check_amount(deposit_amount, "deposit_amount")
        if deposit_amount >= amount:
            raise DomainError(_l("The deposit must be less than the amount; take a deposit "
                                 "alone as a payment for a deposit."), "deposit_amount")
    else:
        deposit_amount = None
    if purpose == "deposit" or deposit_amount is not None:
        deposit_kind = check_text(deposit_kind, 16, "deposit_kind")
        if not deposit_kind:
            raise DomainError(_l("Choose the kind of deposit."), "deposit_kind")
    prepaid_label = check_text(prepaid_label, 32, "prepaid_label") or "预存款"
    line_ids = sorted({int(i) for i in line_ids}) if line_ids else None
    if line_ids and purpose != "bills":
        raise DomainError(_l("Ticked bills can only be paid with a payment of bills."), "purpose")

    existing = _payment_by_key(key)
    if existing is not None:
        return _same_unit(existing, unit)
    try:
        with db.session.begin_nested():
            return record_payment(actor, unit, amount=amount, method=method, key=key,
                                  line_ids=line_ids, payer=payer, note=note, purpose=purpose,
                                  deposit_kind=deposit_kind, reference=reference,
                                  tendered=tendered, today=today,
                                  deposit_amount=deposit_amount, prepaid_label=prepaid_label)
    except sa.exc.IntegrityError:
        # the same form was posted again while this one ran: the other post recorded it
        existing = _payment_by_key(key)
        if existing is None:
            raise
        return _same_unit(existing, unit)


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
                   tendered: Decimal | None = None, deposit_amount: Decimal | None = None,
                   prepaid_label: str = "预存款") -> Payment:
    """Record a checked payment with its allocation and receipt, committing nothing.

    The body of :func:`take_payment`, for verbs that take money as part of something else
    (a key deposit). A second use of the same key fails at the flush (unique idempotency key).
    """
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
        late_total, remaining = _settle_lines(actor, payment, amount, unit, today, line_ids,
                                              lines)
    held = amount if purpose == "deposit" else deposit_amount if purpose == "prepaid" else None
    if held is not None and purpose == "prepaid":
        remaining -= held
    if purpose in ("bills", "prepaid") and remaining > 0:
        db.session.add(PrepaidEntry(estate_id=unit.estate_id, unit_id=unit.id, amount=remaining,
                                    kind="payment", payment_id=payment.id))
        lines.append({"item": prepaid_label, "period": "", "kind": "prepaid", "explanation": "",
                      "due": "", "amount": f"{remaining:.2f}"})
    if held is not None:
        deposit = Deposit(estate_id=unit.estate_id, unit_id=unit.id, kind=deposit_kind,
                          amount=held, refunded=ZERO, payment_id=payment.id)
        db.session.add(deposit)
        lines.append({"item": deposit_kind, "period": "", "kind": "deposit", "explanation": "",
                      "due": "", "amount": f"{held:.2f}"})
    db.session.flush()
    # what the unit still owes once this payment is applied, late fees as of today included
    still_owed = sum((ol.total for ol in open_lines(unit, today)), ZERO)
    content = _receipt_content(actor, payment, estate, unit, lines, late_total, tendered,
                               still_owed)
    _audit_payment(actor, payment, lines, remaining, deposit, content)
    receipts.issue_receipt(actor, payment, content)
    return payment


def _settle_lines(actor: User, payment: Payment, amount: Decimal, unit: Unit, today: date,
                  line_ids: list[int] | None, lines: list[dict]) -> tuple[Decimal, Decimal]:
    """Pay the ticked (or the oldest) open lines, each one's late fee first.

    Appends the receipt's lines; returns the late fees paid and what is left of the payment.
    """
    late_total = ZERO
    remaining = amount
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
            fee_line = _post_late_fee(actor, ol, today)
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
    return late_total, remaining


def _post_late_fee(actor: User, ol, today: date) -> BillLine:
    """Post the late fee an open line has run up as a line of its own, due today."""
    line = ol.line
    fee_line = BillLine(
        estate_id=line.estate_id, unit_id=line.unit_id,
        fee_item=line.fee_item, period=line.period, kind="late_fee",
        quantity=Decimal(ol.late.days), price=ol.late.rate, amount=ol.late_fee,
        explanation=ol.late.explanation[:300], due_date=today, settled=ZERO,
        corrects_id=line.id, reason="", created_by_id=actor.id)
    db.session.add(fee_line)
    db.session.flush()
    audit.record(actor, "create", fee_line, after=audit.snapshot(fee_line))
    return fee_line


def _receipt_content(actor: User, payment: Payment, estate: Estate, unit: Unit,
                     lines: list[dict], late_total: Decimal, tendered: Decimal | None,
                     still_owed: Decimal) -> dict:
    """Return what the receipt of a payment prints."""
    amount, method, purpose = payment.amount, payment.method, payment.purpose
    return {
        "estate": estate.name,
        "unit_code": unit.code,
        "payer": payment.payer,
        "method": method,
        "method_label": PRINTED_PAYMENT_METHODS[method],
        "purpose": purpose,
        "purpose_label": PRINTED_PAYMENT_PURPOSES[purpose],
        "cashier": actor.full_name,
        "lines": lines,
        "late_fee_total": f"{late_total:.2f}",
        "total": f"{amount:.2f}",
        "in_words": amount_in_words(amount),
        "note": payment.note,
        "reference": payment.reference,
        "tendered": f"{tendered:.2f}" if tendered is not None else "",
        "change": f"{tendered - amount:.2f}" if tendered is not None else "",
        "still_owed": f"{still_owed:.2f}",
    }


def _audit_payment(actor: User, payment: Payment, lines: list[dict], remaining: Decimal,
                   deposit: Deposit | None, content: dict) -> None:
    after = audit.snapshot(payment)
    after["allocations"] = [{"bill_line_id": ln["line_id"], "amount": ln["amount"]}
                            for ln in lines if "line_id" in ln]
    if payment.purpose != "deposit" and remaining - (deposit.amount if deposit else 0) > 0:
        after["prepaid"] = f"{remaining - (deposit.amount if deposit else 0):.2f}"
    if deposit is not None:
        after["deposit_id"] = deposit.id
    if content["tendered"]:
        after["tendered"], after["change"] = content["tendered"], content["change"]
    audit.record(actor, "create", payment, after=after)


# --- voids -----------------------------------------------------------------------------------


@transactional
def void_receipt(actor: User, receipt: Receipt, reason: str) -> Receipt:
    """Void a receipt (作废): keep its number, record who and why, reverse its payment."""
    reason = required_text(reason, 200, "reason", _l("Please give the reason for the void."))
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

