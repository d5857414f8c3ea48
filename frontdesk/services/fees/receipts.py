"""Receipts (收据): numbering without gaps, the hash chain, and reprints.

Numbers run per estate and calendar year (in the estate's timezone): ``SJ2026-000001``. A number
is taken inside the payment's transaction from :class:`ReceiptCounter`, whose row is locked
(``SELECT … FOR UPDATE``) until the payment commits, so concurrent payments get consecutive
numbers and a rolled-back payment gives its number back.

Receipts are the chain "receipts" (:mod:`frontdesk.services.chain`), per estate across years.
Issuing a receipt chains what it states: its number, estate, unit, cashier, amount, time and
printed content (payer, method, lines, 大写), and its payment's columns with the allocations
(which the daily report and the unit's bills read). Voiding chains the void (who, when, why and
the payment marked voided). ``Receipt.hash``/``prev_hash`` keep a copy of the issue's link.
Only ``print_count`` is outside the chain: every print is in the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from frontdesk.extensions import db
from frontdesk.models import Allocation, Estate, Payment, Receipt, ReceiptCounter, Unit, User
from frontdesk.models.base import utcnow
from frontdesk.money import amount_in_words, money_text
from frontdesk.services import audit, chain, transactional


def receipt_number(prefix: str, year: int, seq: int) -> str:
    """Format a receipt number, e.g. SJ2026-000001."""
    return f"{prefix}{year}-{seq:06d}"


def _payment_of(receipt: Receipt) -> Payment | None:
    return db.session.get(Payment, receipt.payment_id)


def issued_fields(receipt: Receipt) -> dict:
    """Return what the receipt states as issued, with its payment (what its link covers)."""
    payment = _payment_of(receipt)
    paid = None
    if payment is not None:
        paid = {
            "estate_id": payment.estate_id, "unit_id": payment.unit_id,
            "amount": payment.amount, "method": payment.method, "purpose": payment.purpose,
            "payer": payment.payer, "note": payment.note, "cashier_id": payment.cashier_id,
            "received_at": payment.received_at,
            "allocations": sorted([a.bill_line_id, a.amount] for a in payment.allocations),
        }
    return {
        "estate_id": receipt.estate_id, "year": receipt.year, "seq": receipt.seq,
        "number": receipt.number, "payment_id": receipt.payment_id,
        "unit_id": receipt.unit_id, "amount": receipt.amount, "issued_at": receipt.issued_at,
        "cashier_id": receipt.cashier_id, "content": receipt.content, "payment": paid,
    }


def void_fields(receipt: Receipt) -> dict:
    """Return the void of a receipt (what its void link covers)."""
    payment = _payment_of(receipt)
    return {"voided_at": receipt.voided_at, "voided_by_id": receipt.voided_by_id,
            "void_reason": receipt.void_reason,
            "payment_voided": payment.voided if payment is not None else None}


CHAIN = chain.register(chain.Chain(
    name="receipts", model=Receipt, noun="receipt", plural="receipts", printed_name="收据",
    label=lambda receipt: receipt.number, rank=10,
    events=(
        chain.Event("issue", issued_fields, "the receipt as issued", "开具",
                    hash_column="hash", prev_column="prev_hash"),
        chain.Event("void", void_fields, "its void", "作废",
                    happened=lambda: sa.or_(Receipt.voided_at.is_not(None),
                                            Receipt.voided_by_id.is_not(None),
                                            Receipt.void_reason != "",
                                            Receipt.payment.has(Payment.voided.is_(True)))),
    ),
    load=(selectinload(Receipt.payment).selectinload(Payment.allocations),),
))


def local_year(when: datetime, timezone: str) -> int:
    """Return the calendar year of a UTC time in the estate's timezone."""
    return when.astimezone(ZoneInfo(timezone)).year


def _take_number(estate_id: int, year: int) -> int:
    """Take the next number of an estate's year and return it.

    One upsert: it creates the counter at 1 or adds one to it, and the row stays locked until
    the transaction ends, as ``SELECT … FOR UPDATE`` would. A rolled-back payment gives its
    number back."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - other databases
        try:
            with db.session.begin_nested():
                db.session.add(ReceiptCounter(estate_id=estate_id, year=year, last_seq=0))
        except sa.exc.IntegrityError:
            pass
        counter = db.session.scalar(
            sa.select(ReceiptCounter)
            .where(ReceiptCounter.estate_id == estate_id, ReceiptCounter.year == year)
            .with_for_update().execution_options(populate_existing=True))
        counter.last_seq += 1
        db.session.flush()
        return counter.last_seq
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(ReceiptCounter)
            .values(estate_id=estate_id, year=year, last_seq=1)
            .on_conflict_do_update(index_elements=["estate_id", "year"],
                                   set_={"last_seq": ReceiptCounter.last_seq + 1})
            .returning(ReceiptCounter.last_seq))
    return db.session.execute(stmt).scalar_one()


def _previous_receipt(estate_id: int) -> Receipt | None:
    return db.session.scalar(
        sa.select(Receipt).where(Receipt.estate_id == estate_id)
        .order_by(Receipt.year.desc(), Receipt.seq.desc()).limit(1)
    )


def issue_receipt(actor: User, payment: Payment, content: dict) -> Receipt:
    """Number, hash and add the receipt of a payment, in the caller's transaction.

    Call it last in the payment's transaction: the estate's numbering stays locked from here
    until the commit.
    """
    estate_id = payment.estate_id
    # One receipt of an estate at a time: the chain runs across years (see the module docstring).
    # FOR NO KEY UPDATE does not block inserts of rows that refer to the estate.
    estate = db.session.scalar(
        sa.select(Estate).where(Estate.id == estate_id)
        .with_for_update(key_share=True).execution_options(populate_existing=True)
    )
    issued_at = utcnow()
    year = local_year(issued_at, estate.timezone)
    previous = _previous_receipt(estate_id)
    if previous is not None and previous.year > year:  # clocks disagree around New Year
        year = previous.year
    seq = _take_number(estate_id, year)
    number = receipt_number(estate.receipt_prefix, year, seq)
    amount = payment.amount
    receipt = Receipt(
        estate_id=estate_id, year=year, seq=seq, number=number, payment_id=payment.id,
        unit_id=payment.unit_id, amount=amount, issued_at=issued_at, cashier_id=actor.id,
        content=content, print_count=0, voided_at=None, voided_by_id=None, void_reason="",
    )
    # the allocations just written (a refresh would read the payment's row as well)
    set_committed_value(payment, "allocations", list(db.session.scalars(
        sa.select(Allocation).where(Allocation.payment_id == payment.id))))
    chain.append(CHAIN.name, receipt, "issue")
    audit.record(actor, "issue", receipt,
                 after={"number": number, "amount": money_text(amount),
                        "payment_id": payment.id, "hash": receipt.hash})
    return receipt


def chain_void(receipt: Receipt) -> None:
    """Chain a receipt's void, in the voiding transaction (its payment already marked voided)."""
    chain.append(CHAIN.name, receipt, "void")


@transactional
def print_receipt(actor: User, receipt: Receipt) -> int:
    """Count a print of a receipt and return its number: 1 is the original, later ones 补打."""
    return audit.count_print(actor, receipt)


def reprint_label(print_no: int) -> str:
    """Return the 补打 mark of a print, or "" for the original."""
    return f"补打（第 {print_no - 1} 次补打）" if print_no > 1 else ""


def document_data(receipt: Receipt, *, print_no: int, printed_by: str,
                  printed_at: datetime | None = None) -> dict:
    """Return the plain data of a receipt's PDF for :func:`frontdesk.pdf.receipt.receipt_pdf`."""
    estate = db.session.get(Estate, receipt.estate_id)
    tz = ZoneInfo(estate.timezone)
    content = receipt.content or {}
    voided_by = db.session.get(User, receipt.voided_by_id) if receipt.voided_by_id else None
    printed_at = printed_at or utcnow()
    return {
        "estate": {"name": estate.name, "address": estate.address, "phone": estate.phone},
        "number": receipt.number,
        "issued_at": receipt.issued_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "unit_code": content.get("unit_code", ""),
        "payer": content.get("payer", ""),
        "method": content.get("method_label", ""),
        "purpose": content.get("purpose_label", ""),
        "cashier": content.get("cashier", ""),
        "lines": content.get("lines", []),
        "total": content.get("total", money_text(receipt.amount)),
        "in_words": content.get("in_words") or amount_in_words(receipt.amount),
        "note": content.get("note", ""),
        "reference": content.get("reference", ""),
        "tendered": content.get("tendered", ""),
        "change": content.get("change", ""),
        #: what the unit still owed after the payment ("" on receipts issued before it was kept)
        "still_owed": content.get("still_owed", ""),
        "print_no": print_no,
        "reprint": reprint_label(print_no),
        "voided": receipt.voided_at is not None,
        "void_reason": receipt.void_reason,
        "voided_by": voided_by.full_name if voided_by else "",
        "voided_at": receipt.voided_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        if receipt.voided_at else "",
        "printed_at": printed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "printed_by": printed_by,
    }


def receipts_of_unit(unit: Unit, limit: int = 20) -> list[Receipt]:
    """Return a unit's latest receipts, newest first."""
    return list(db.session.scalars(
        sa.select(Receipt).where(Receipt.unit_id == unit.id)
        .order_by(Receipt.issued_at.desc(), Receipt.id.desc()).limit(limit)
    ))


def list_receipts(estate_id: int, *, q: str = "", page: int = 1, per_page: int = 50):
    """Return a page of an estate's receipts, newest first, filtered by number or unit code."""
    stmt = sa.select(Receipt).join(Unit, Unit.id == Receipt.unit_id).where(
        Receipt.estate_id == estate_id)
    q = (q or "").strip()
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(sa.or_(Receipt.number.ilike(like), Unit.code.ilike(like)))
    stmt = stmt.order_by(Receipt.year.desc(), Receipt.seq.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
