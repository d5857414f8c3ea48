"""one hash chain: chain_entry links for receipts and key loans, covering every printed fact

Existing receipts and key loans are re-chained: the old hashes are checked first (the upgrade
stops, naming the record, if one does not hold: it would otherwise be blessed), then every
receipt's issue and void and every loan's lending and return become links of their estate's
chain in the order they happened, hashed over every column the new form covers, and the
records' hash columns get the new hashes. The downgrade puts the old hashes back.

The hashing here is a frozen copy of version 1 of services/chain.py and of the receipts' and
key loans' canonical fields at this revision, so that the migration gives the same links
whatever the code becomes later.

Revision ID: chain_0001
Revises: fees_0001
Create Date: 2026-11-26 09:00:00

"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import frontdesk.models.base
from frontdesk.models.base import ExactDecimal, UTCDateTime

# revision identifiers, used by Alembic.
revision = 'chain_0001'
down_revision = 'fees_0001'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
VERSION = 1

_meta = sa.MetaData()
estate = sa.Table("estate", _meta, sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("timezone", sa.String))
receipt = sa.Table(
    "receipt", _meta,
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("estate_id", sa.Integer),
    sa.Column("year", sa.Integer), sa.Column("seq", sa.Integer), sa.Column("number", sa.String),
    sa.Column("payment_id", sa.Integer), sa.Column("unit_id", sa.Integer),
    sa.Column("amount", ExactDecimal(12, 2)), sa.Column("issued_at", UTCDateTime()),
    sa.Column("cashier_id", sa.Integer), sa.Column("content", sa.JSON),
    sa.Column("prev_hash", sa.String), sa.Column("hash", sa.String),
    sa.Column("voided_at", UTCDateTime()), sa.Column("voided_by_id", sa.Integer),
    sa.Column("void_reason", sa.String),
)
payment = sa.Table(
    "payment", _meta,
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("estate_id", sa.Integer),
    sa.Column("unit_id", sa.Integer), sa.Column("amount", ExactDecimal(12, 2)),
    sa.Column("method", sa.String), sa.Column("purpose", sa.String),
    sa.Column("payer", sa.String), sa.Column("note", sa.String),
    sa.Column("cashier_id", sa.Integer), sa.Column("received_at", UTCDateTime()),
    sa.Column("voided", sa.Boolean),
)
allocation = sa.Table(
    "allocation", _meta,
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("payment_id", sa.Integer),
    sa.Column("bill_line_id", sa.Integer), sa.Column("amount", ExactDecimal(12, 2)),
)
key_loan = sa.Table(
    "key_loan", _meta,
    *[sa.Column(name, sa.Integer) for name in (
        "estate_id", "seq", "key_id", "authorisation_id", "lent_by_id", "approved_by_id",
        "returned_to_id")],
    sa.Column("id", sa.Integer, primary_key=True),
    *[sa.Column(name, sa.String) for name in (
        "borrower_kind", "borrower_name", "borrower_phone", "borrower_id_tail", "proxy_name",
        "proxy_phone", "proxy_id_tail", "purpose", "approval_reason", "return_condition",
        "prev_hash", "hash", "return_hash")],
    sa.Column("lent_at", UTCDateTime()), sa.Column("expected_return_at", UTCDateTime()),
    sa.Column("returned_at", UTCDateTime()), sa.Column("content", sa.JSON),
)
chain_entry = sa.Table(
    "chain_entry", _meta,
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("chain", sa.String),
    sa.Column("estate_id", sa.Integer), sa.Column("seq", sa.Integer),
    sa.Column("record_id", sa.Integer), sa.Column("event", sa.String),
    sa.Column("label", sa.String), sa.Column("at", UTCDateTime()),
    sa.Column("version", sa.Integer), sa.Column("prev_hash", sa.String),
    sa.Column("hash", sa.String),
)


class ChainBroken(RuntimeError):
    """An existing record does not hold under the old hashes: upgrading would bless it."""


# the canonical forms --------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sha(payload) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _plain(value):
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _link_hash(*, chain, estate_id, seq, event, label, at, fields, prev_hash) -> str:
    return _sha(_plain({"chain": chain, "estate_id": estate_id, "seq": seq, "event": event,
                        "label": label, "at": at, "version": VERSION, "fields": fields,
                        "prev_hash": prev_hash}))


def _old_receipt_hash(r, prev_hash: str) -> str:
    return _sha({"number": r.number, "amount": f"{Decimal(r.amount):.2f}",
                 "issued_at": _iso(r.issued_at), "content": r.content, "prev_hash": prev_hash})


def _loan_content(loan) -> dict:
    return {
        "estate_id": loan.estate_id, "seq": loan.seq, "key_id": loan.key_id,
        "borrower_kind": loan.borrower_kind, "borrower_name": loan.borrower_name,
        "borrower_phone": loan.borrower_phone, "borrower_id_tail": loan.borrower_id_tail,
        "authorisation_id": loan.authorisation_id, "proxy_name": loan.proxy_name or "",
        "proxy_phone": loan.proxy_phone or "", "proxy_id_tail": loan.proxy_id_tail or "",
        "purpose": loan.purpose, "lent_at": _iso(loan.lent_at),
        "expected_return_at": _iso(loan.expected_return_at), "lent_by_id": loan.lent_by_id,
        "approved_by_id": loan.approved_by_id, "approval_reason": loan.approval_reason or "",
    }


def _old_loan_hash(content: dict, prev_hash: str) -> str:
    return _sha({"content": content, "prev_hash": prev_hash})


def _old_return_hash(loan, loan_hash: str) -> str:
    return _sha({"loan_hash": loan_hash, "returned_at": _iso(loan.returned_at),
                 "returned_to_id": loan.returned_to_id,
                 "return_condition": loan.return_condition or ""})


# reading --------------------------------------------------------------------------------------


def _receipts(conn, estate_id: int):
    return conn.execute(sa.select(receipt).where(receipt.c.estate_id == estate_id)
                        .order_by(receipt.c.year, receipt.c.seq)).all()


def _loans(conn, estate_id: int):
    return conn.execute(sa.select(key_loan).where(key_loan.c.estate_id == estate_id)
                        .order_by(key_loan.c.seq)).all()


def _payments(conn, estate_id: int) -> tuple[dict, dict]:
    payments = {p.id: p for p in conn.execute(
        sa.select(payment).where(payment.c.estate_id == estate_id))}
    allocations: dict[int, list] = {}
    for a in conn.execute(sa.select(allocation).join(payment, payment.c.id ==
                                                     allocation.c.payment_id)
                          .where(payment.c.estate_id == estate_id)):
        allocations.setdefault(a.payment_id, []).append([a.bill_line_id, a.amount])
    return payments, allocations


def _check_old(estate_id: int, receipts, loans) -> None:
    """Stop unless the records hold under the old hashes (see the module docstring)."""
    prev, last_year, last_seq = GENESIS_HASH, None, 0
    for r in receipts:
        expected_seq = last_seq + 1 if r.year == last_year else 1
        if r.seq != expected_seq or r.prev_hash != prev or _old_receipt_hash(r, prev) != r.hash:
            raise ChainBroken(f"receipt {r.number} (estate {estate_id}, id {r.id}) does not "
                              "hold under the old hashes: run `flask verify-receipts` with the "
                              "previous version, restore the record, then upgrade")
        prev, last_year, last_seq = r.hash, r.year, r.seq
    prev, last_seq = GENESIS_HASH, 0
    for loan in loans:
        content = _loan_content(loan)
        returned = loan.returned_at is not None
        bad = (loan.seq != last_seq + 1 or loan.prev_hash != prev or loan.content != content
               or _old_loan_hash(content, prev) != loan.hash
               or (returned and loan.return_hash != _old_return_hash(loan, loan.hash))
               or (not returned and (loan.return_hash or loan.returned_to_id)))
        if bad:
            raise ChainBroken(f"key loan {loan.seq} (estate {estate_id}, id {loan.id}) does "
                              "not hold under the old hashes: run `flask verify-receipts` with "
                              "the previous version, restore the record, then upgrade")
        prev, last_seq = loan.hash, loan.seq


# re-chaining ----------------------------------------------------------------------------------


def _receipt_events(receipts, payments, allocations):
    for r in receipts:
        p = payments.get(r.payment_id)
        paid = None if p is None else {
            "estate_id": p.estate_id, "unit_id": p.unit_id, "amount": p.amount,
            "method": p.method, "purpose": p.purpose, "payer": p.payer, "note": p.note,
            "cashier_id": p.cashier_id, "received_at": p.received_at,
            "allocations": sorted(allocations.get(p.id, [])),
        }
        issued = {
            "estate_id": r.estate_id, "year": r.year, "seq": r.seq, "number": r.number,
            "payment_id": r.payment_id, "unit_id": r.unit_id, "amount": r.amount,
            "issued_at": r.issued_at, "cashier_id": r.cashier_id, "content": r.content,
            "payment": paid,
        }
        yield (r.issued_at, 0, r.year, r.seq), r, "issue", r.number, issued
        if r.voided_at is not None or (p is not None and p.voided):
            void = {"voided_at": r.voided_at, "voided_by_id": r.voided_by_id,
                    "void_reason": r.void_reason,
                    "payment_voided": p.voided if p is not None else None}
            yield (r.voided_at or r.issued_at, 1, r.year, r.seq), r, "void", r.number, void


def _loan_events(loans, timezone: str):
    tz = ZoneInfo(timezone or "Asia/Shanghai")
    for loan in loans:
        label = f"JY{loan.lent_at.astimezone(tz).year}-{loan.seq:06d}"
        lent = {**_loan_content(loan), "content": loan.content}
        yield (loan.lent_at, 0, 0, loan.seq), loan, "lend", label, lent
        if loan.returned_at is not None:
            back = {"returned_at": loan.returned_at, "returned_to_id": loan.returned_to_id,
                    "return_condition": loan.return_condition}
            yield (loan.returned_at, 1, 0, loan.seq), loan, "return", label, back


def _chain(conn, name: str, estate_id: int, events, copies: dict) -> None:
    """Hash the events in the order they happened; write the links and the records' copies."""
    links, updates = [], {}
    prev = GENESIS_HASH
    for seq, (when, _, _, _), record, event, label, fields in (
            (n, *e) for n, e in enumerate(sorted(events, key=lambda e: e[0]), start=1)):
        digest = _link_hash(chain=name, estate_id=estate_id, seq=seq, event=event, label=label,
                            at=when, fields=fields, prev_hash=prev)
        links.append({"chain": name, "estate_id": estate_id, "seq": seq, "record_id": record.id,
                      "event": event, "label": label, "at": when, "version": VERSION,
                      "prev_hash": prev, "hash": digest})
        row = updates.setdefault(record.id, {"rid": record.id})
        for column, value in zip(copies.get(event, ()), (digest, prev), strict=False):
            row[f"new_{column}"] = value
        prev = digest
    if links:
        conn.execute(chain_entry.insert(), links)
    _update(conn, receipt if name == "receipts" else key_loan, updates.values())


def _update(conn, table: sa.Table, rows) -> None:
    """Write new values (keys ``new_<column>``) to rows by id (``rid``), in batches."""
    by_columns: dict[tuple, list] = {}
    for row in rows:
        by_columns.setdefault(tuple(sorted(row)), []).append(row)
    for keys, batch in by_columns.items():
        values = {k[len("new_"):]: sa.bindparam(k) for k in keys if k != "rid"}
        if values:
            conn.execute(table.update().where(table.c.id == sa.bindparam("rid"))
                         .values(values), batch)


def _check_all(conn) -> None:
    for e in conn.execute(sa.select(estate.c.id).order_by(estate.c.id)).all():
        _check_old(e.id, _receipts(conn, e.id), _loans(conn, e.id))


def _rechain(conn) -> None:
    for e in conn.execute(sa.select(estate).order_by(estate.c.id)).all():
        receipts, loans = _receipts(conn, e.id), _loans(conn, e.id)
        payments, allocations = _payments(conn, e.id)
        _chain(conn, "receipts", e.id, list(_receipt_events(receipts, payments, allocations)),
               {"issue": ("hash", "prev_hash")})
        _chain(conn, "key_loans", e.id, list(_loan_events(loans, e.timezone)),
               {"lend": ("hash", "prev_hash"), "return": ("return_hash",)})


def upgrade():
    _check_all(op.get_bind())  # before any change: a refused upgrade leaves nothing behind
    op.create_table('chain_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=24), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('at', frontdesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estate.id'], name=op.f('fk_chain_entry_estate_id_estate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chain_entry')),
    sa.UniqueConstraint('chain', 'estate_id', 'seq', name=op.f('uq_chain_entry_chain_estate_id_seq')),
    sa.UniqueConstraint('chain', 'record_id', 'event', name=op.f('uq_chain_entry_chain_record_id_event'))
    )
    with op.batch_alter_table('chain_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chain_entry_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chain_entry_hash'), ['hash'], unique=False)
    _rechain(op.get_bind())


def _restore_old_hashes(conn) -> None:
    for e in conn.execute(sa.select(estate.c.id).order_by(estate.c.id)).all():
        prev, rows = GENESIS_HASH, []
        for r in _receipts(conn, e.id):
            digest = _old_receipt_hash(r, prev)
            rows.append({"rid": r.id, "new_prev_hash": prev, "new_hash": digest})
            prev = digest
        _update(conn, receipt, rows)
        prev, rows = GENESIS_HASH, []
        for loan in _loans(conn, e.id):
            digest = _old_loan_hash(loan.content, prev)
            back = _old_return_hash(loan, digest) if loan.returned_at is not None else None
            rows.append({"rid": loan.id, "new_prev_hash": prev, "new_hash": digest,
                         "new_return_hash": back})
            prev = digest
        _update(conn, key_loan, rows)


def downgrade():
    _restore_old_hashes(op.get_bind())
    with op.batch_alter_table('chain_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chain_entry_hash'))
        batch_op.drop_index(batch_op.f('ix_chain_entry_estate_id'))

    op.drop_table('chain_entry')
