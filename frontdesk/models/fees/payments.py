"""Money taken and given back: payments, their allocations, prepaid balance, deposits, refunds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, Money, UTCDateTime, utcnow

PAYMENT_METHODS = ("cash", "wechat", "alipay", "card", "transfer")
PAYMENT_PURPOSES = ("bills", "prepaid", "deposit")
#: pending → approved → paid (money handed over), or pending → rejected
REFUND_STATES = ("pending", "approved", "rejected", "paid")

if TYPE_CHECKING:
    from frontdesk.models.fees.bills import BillLine

class Payment(Base):
    """Money taken at the desk for a unit."""

    __tablename__ = "payment"
    __table_args__ = (
        sa.UniqueConstraint("idempotency_key"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    #: one of PAYMENT_METHODS: 现金/微信/支付宝/银行卡/转账
    method: Mapped[str] = mapped_column(sa.String(12))
    #: one of PAYMENT_PURPOSES
    purpose: Mapped[str] = mapped_column(sa.String(12), default="bills")
    payer: Mapped[str] = mapped_column(sa.String(64), default="")
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    #: the transaction number of a WeChat, Alipay, card or transfer payment ("" for cash)
    reference: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    cashier_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: a token from the payment form: the same form posted twice records one payment
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))
    voided: Mapped[bool] = mapped_column(default=False)

    allocations: Mapped[list[Allocation]] = relationship(back_populates="payment")


class Allocation(Base):
    """The part of a payment applied to one bill line."""

    __tablename__ = "allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payment.id"), index=True)
    bill_line_id: Mapped[int] = mapped_column(sa.ForeignKey("bill_line.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    bill_line: Mapped[BillLine] = relationship()


class PrepaidEntry(Base):
    """A movement of a unit's prepaid balance (预存款): + overpayment, − use or refund."""

    __tablename__ = "prepaid_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    #: "payment", "applied", "refund", "void"
    kind: Mapped[str] = mapped_column(sa.String(12))
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment.id"))
    bill_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bill_line.id"))
    refund_id: Mapped[int | None] = mapped_column(sa.ForeignKey("refund.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Deposit(Base):
    """A deposit held for a unit (装修押金, 钥匙押金 …), refunded with a manager's approval."""

    __tablename__ = "deposit"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: e.g. "装修押金", "钥匙押金"
    kind: Mapped[str] = mapped_column(sa.String(16))
    amount: Mapped[Decimal] = mapped_column(Money())
    refunded: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payment.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Refund(Base):
    """A refund of prepaid balance or of a deposit, which a manager approves."""

    __tablename__ = "refund"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: "prepaid" or "deposit"
    source: Mapped[str] = mapped_column(sa.String(8))
    deposit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deposit.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str] = mapped_column(sa.String(200))
    #: one of REFUND_STATES
    state: Mapped[str] = mapped_column(sa.String(8), default="pending")
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the cashier who handed the money over (None for refunds paid before this was recorded)
    paid_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: when the money left the drawer or account: the refund counts on that day's report
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    #: how it was actually paid back, one of PAYMENT_METHODS
    paid_method: Mapped[str | None] = mapped_column(sa.String(12))
    #: who received the money and signs the refund voucher
    payee: Mapped[str] = mapped_column(sa.String(64), default="")
