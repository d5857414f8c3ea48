"""Receipts (收据) and their numbering per estate and year."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, Money, UTCDateTime, utcnow

if TYPE_CHECKING:
    from frontdesk.models.fees.payments import Payment


class ReceiptCounter(Base):
    """The last receipt number used per estate and year; locked while a number is taken."""

    __tablename__ = "receipt_counter"

    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)


class Receipt(Base):
    """A numbered receipt (收据) for a payment, hash-chained to the estate's previous receipt."""

    __tablename__ = "receipt"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "year", "seq"),
        #: numbers are per estate: two estates may both print SJ2026-000001
        sa.UniqueConstraint("estate_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    year: Mapped[int]
    seq: Mapped[int]
    #: e.g. SJ2026-000001
    number: Mapped[str] = mapped_column(sa.String(24))
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payment.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cashier_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    #: the printed content (lines, payer, method) as the hash covers it
    content: Mapped[dict] = mapped_column(sa.JSON)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    #: how many times it was printed; every print after the first is marked 补打
    print_count: Mapped[int] = mapped_column(default=0)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    void_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    payment: Mapped[Payment] = relationship()
