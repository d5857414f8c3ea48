"""Receipts (收据): numbering without gaps, the hash chain, its verification and reprints.

Numbers run per estate and calendar year (in the estate's timezone): ``SJ2026-000001``. A number
is taken inside the payment's transaction from :class:`ReceiptCounter`, whose row is locked
(``SELECT … FOR UPDATE``) until the payment commits, so concurrent payments get consecutive
numbers and a rolled-back payment gives its number back.

Each receipt's hash is SHA-256 over a canonical JSON of its printed content, number, amount,
time of issue and the previous receipt's hash (the estate's receipt before it by year and
sequence; ``"0" * 64`` for the first). The chain runs across years, so the estate's row is
locked too while a number is taken: receipts of one estate are chained one at a time.

Voiding and printing do not touch the hash: ``voided_at``, ``voided_by_id``, ``void_reason`` and
``print_count`` are kept outside it, so a void (which keeps the number and the receipt) leaves the
chain intact, and an edit of anything the hash covers is found by :func:`verify_receipts`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk.extensions import db
from frontdesk.models import Estate, Payment, Receipt, ReceiptCounter, Unit, User
from frontdesk.models.base import utcnow
from frontdesk.pdf.money import amount_in_words
from frontdesk.services import audit, transactional

GENESIS_HASH = "0" * 64


def receipt_number(prefix: str, year: int, seq: int) -> str:
    """Format a receipt number, e.g. SJ2026-000001."""
    return f"{prefix}{year}-{seq:06d}"


def _iso(value: datetime) -> str:
    """Write a UTC datetime the same way before storing and after loading it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _money_text(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def compute_hash(*, number: str, amount: Decimal, issued_at: datetime, content: dict,
                 prev_hash: str) -> str:
    """Return the SHA-256 of a receipt's canonical JSON (what verify recomputes)."""
    payload = {
        "number": number,
        "amount": _money_text(amount),
        "issued_at": _iso(issued_at),
        "content": content,
        "prev_hash": prev_hash,
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_of(receipt: Receipt) -> str:
    """Recompute a stored receipt's hash from its columns."""
    return compute_hash(number=receipt.number, amount=receipt.amount,
                        issued_at=receipt.issued_at, content=receipt.content,
                        prev_hash=receipt.prev_hash)


def local_year(when: datetime, timezone: str) -> int:
    """Return the calendar year of a UTC time in the estate's timezone."""
    return when.astimezone(ZoneInfo(timezone)).year


def _ensure_counter(estate_id: int, year: int) -> None:
    """Create the counter row of an estate and year unless it exists (race-free)."""
    values = {"estate_id": estate_id, "year": year, "last_seq": 0}
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(ReceiptCounter).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(ReceiptCounter).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - other databases: a savepoint absorbs the duplicate
        try:
            with db.session.begin_nested():
                db.session.add(ReceiptCounter(**values))
        except sa.exc.IntegrityError:
            pass
        return
    db.session.execute(stmt)


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
    _ensure_counter(estate_id, year)
    counter = db.session.scalar(
        sa.select(ReceiptCounter)
        .where(ReceiptCounter.estate_id == estate_id, ReceiptCounter.year == year)
        .with_for_update().execution_options(populate_existing=True)
    )
    counter.last_seq += 1
    seq = counter.last_seq
    number = receipt_number(estate.receipt_prefix, year, seq)
    prev_hash = previous.hash if previous is not None else GENESIS_HASH
    amount = payment.amount
    receipt = Receipt(
        estate_id=estate_id, year=year, seq=seq, number=number, payment_id=payment.id,
        unit_id=payment.unit_id, amount=amount, issued_at=issued_at, cashier_id=actor.id,
        content=content, prev_hash=prev_hash,
        hash=compute_hash(number=number, amount=amount, issued_at=issued_at, content=content,
                          prev_hash=prev_hash),
        print_count=0,
    )
    db.session.add(receipt)
    db.session.flush()
    audit.record(actor, "issue", receipt,
                 after={"number": number, "amount": _money_text(amount),
                        "payment_id": payment.id, "hash": receipt.hash})
    return receipt


@dataclass
class ChainReport:
    """The outcome of walking the receipt chains."""

    estates: int = 0
    receipts: int = 0
    #: the first receipt found altered (or out of its chain), None when all hold
    broken: Receipt | None = None
    #: why it is out of the chain
    problem: str = ""
    per_estate: dict[int, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify_receipts(estate_id: int | None = None, batch: int = 1000) -> ChainReport:
    """Walk each estate's chain in order and report the first receipt that does not hold.

    A receipt does not hold when its stored hash differs from the one recomputed from its
    content, number, amount and time, when its prev_hash is not the previous receipt's hash,
    or when its sequence number skips or repeats one.
    """
    report = ChainReport()
    q = sa.select(Estate.id).order_by(Estate.id)
    if estate_id is not None:
        q = q.where(Estate.id == estate_id)
    for eid in db.session.scalars(q).all():
        prev_hash = GENESIS_HASH
        last_year, last_seq = None, 0
        count = 0
        stmt = (sa.select(Receipt).where(Receipt.estate_id == eid)
                .order_by(Receipt.year, Receipt.seq).execution_options(yield_per=batch))
        result = db.session.scalars(stmt)
        for receipt in result:
            count += 1
            expected_seq = last_seq + 1 if receipt.year == last_year else 1
            problem = ""
            if receipt.seq != expected_seq:
                problem = f"sequence {receipt.seq} where {expected_seq} was expected"
            elif receipt.prev_hash != prev_hash:
                problem = "prev_hash is not the hash of the receipt before it"
            elif hash_of(receipt) != receipt.hash:
                problem = "stored hash does not match its content"
            if problem:
                result.close()
                report.broken, report.problem = receipt, problem
                report.receipts += count
                report.estates += 1
                report.per_estate[eid] = count
                return report
            prev_hash, last_year, last_seq = receipt.hash, receipt.year, receipt.seq
        if count:
            report.estates += 1
            report.receipts += count
            report.per_estate[eid] = count
    return report


@transactional
def print_receipt(actor: User, receipt: Receipt) -> int:
    """Count a print of a receipt and return its number: 1 is the original, later ones 补打."""
    count = db.session.execute(
        sa.update(Receipt).where(Receipt.id == receipt.id)
        .values(print_count=Receipt.print_count + 1).returning(Receipt.print_count)
    ).scalar_one()
    db.session.refresh(receipt)
    audit.record(actor, "print", receipt,
                 after={"print_count": count, "reprint": count > 1})
    return count


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
        "total": content.get("total", _money_text(receipt.amount)),
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
