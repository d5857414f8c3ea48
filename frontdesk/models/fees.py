"""Fees: fee items, tariffs, meters and readings, bills, payments, receipts, refunds."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, ExactDecimal, Money, Rate, UTCDateTime, utcnow

FEE_METHODS = ("area", "metered", "apportioned", "fixed")
AREA_BASES = ("gross", "inner")
METER_KINDS = ("water", "electricity", "gas")
TIER_MODES = ("none", "period", "annual")
TARIFF_SCOPES = ("estate", "building", "unit")
READING_KINDS = ("normal", "rollover", "replacement")
LINE_KINDS = ("charge", "credit", "adjustment", "late_fee")
PAYMENT_METHODS = ("cash", "wechat", "alipay", "card", "transfer")
PAYMENT_PURPOSES = ("bills", "prepaid", "deposit")
#: pending → approved → paid (money handed over), or pending → rejected
REFUND_STATES = ("pending", "approved", "rejected", "paid")


def Quantity() -> ExactDecimal:  # noqa: N802
    """A consumption or area quantity with four decimals."""
    return ExactDecimal(14, 4)


class FeeItem(Base):
    """A kind of charge (物业费, 水费, 电费, 公摊电费, 垃圾费 …) and how it is computed."""

    __tablename__ = "fee_item"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "code"),
        sa.CheckConstraint("due_day BETWEEN 1 AND 28", name="due_day_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(64))
    #: one of FEE_METHODS
    method: Mapped[str] = mapped_column(sa.String(12))
    #: billing cycle in months (1 = monthly)
    cycle_months: Mapped[int] = mapped_column(default=1)
    #: day of the period's month by which the bill is due
    due_day: Mapped[int] = mapped_column(default=15)
    #: for area items: "gross" (建筑面积) or "inner" (套内面积)
    area_basis: Mapped[str] = mapped_column(sa.String(8), default="gross")
    #: for metered and apportioned items: which meters they read
    meter_kind: Mapped[str | None] = mapped_column(sa.String(12))
    #: for metered items: "none", tiers per "period", or cumulative over the year ("annual")
    tier_mode: Mapped[str] = mapped_column(sa.String(8), default="none")
    #: share taken off area items for vacant units (0.30 = 30 % off)
    vacancy_discount: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0"))
    #: days after the due date before late fees start
    late_grace_days: Mapped[int] = mapped_column(default=0)
    #: late fee per day as a share of the unpaid principal (0.0005 = 0.05 %)
    late_daily_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0"))
    #: late fees never exceed this share of the principal (at most 1)
    late_cap_ratio: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("1"))
    active: Mapped[bool] = mapped_column(default=True)

    tariffs: Mapped[list[Tariff]] = relationship(back_populates="fee_item",
                                                 order_by="Tariff.valid_from")


class Tariff(Base):
    """A rate of a fee item in force from a date, for the estate, a building or a unit."""

    __tablename__ = "tariff"
    __table_args__ = (
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="dates_in_order"),
        sa.Index("ix_tariff_lookup", "fee_item_id", "scope", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    fee_item_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_item.id"))
    #: one of TARIFF_SCOPES; the most specific in force on a date wins
    scope: Mapped[str] = mapped_column(sa.String(8))
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("building.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    #: 元/m²·月 for area, 元 per unit of consumption for metered/apportioned, 元 per cycle for fixed
    price: Mapped[Decimal] = mapped_column(Rate())
    #: metered tiers: [{"upto": "180", "price": "5.00"}, …, {"upto": null, "price": "9.00"}]
    tiers: Mapped[list | None] = mapped_column(sa.JSON)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    fee_item: Mapped[FeeItem] = relationship(back_populates="tariffs")


class Meter(Base):
    """A water, electricity or gas meter of a unit, or a shared (public-area) meter."""

    __tablename__ = "meter"
    __table_args__ = (sa.UniqueConstraint("estate_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    #: the unit it measures; None for a shared meter
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: for a shared meter of one building; None with unit_id None means the whole estate
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("building.id"), index=True)
    #: one of METER_KINDS
    kind: Mapped[str] = mapped_column(sa.String(12))
    number: Mapped[str] = mapped_column(sa.String(32))
    #: consumption = (reading difference) × multiplier (current-transformer ratios)
    multiplier: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("1"))
    #: the dial's largest value; a reading past it starts again from 0 (rollover)
    max_value: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("99999"))
    shared: Mapped[bool] = mapped_column(default=False)
    #: for a shared meter: split by "area" (gross, the default) or "equal"
    apportion_basis: Mapped[str] = mapped_column(sa.String(8), default="area")
    #: for a shared meter: the apportioned fee item its loss is billed under
    fee_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fee_item.id"))
    #: for a shared meter: its sub-meters are the unit meters of its building (or estate)
    active: Mapped[bool] = mapped_column(default=True)

    readings: Mapped[list[MeterReading]] = relationship(back_populates="meter",
                                                        order_by="MeterReading.period")


class MeterReading(Base):
    """A meter's reading for a period, and the consumption it gives."""

    __tablename__ = "meter_reading"
    __table_args__ = (sa.UniqueConstraint("meter_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    meter_id: Mapped[int] = mapped_column(sa.ForeignKey("meter.id"), index=True)
    #: billing period YYYY-MM
    period: Mapped[str] = mapped_column(sa.String(7), index=True)
    value: Mapped[Decimal] = mapped_column(Quantity())
    #: the reading it is compared with (the previous one, or the new meter's start)
    previous_value: Mapped[Decimal | None] = mapped_column(Quantity())
    #: (difference, wrapped at the dial maximum or across a replacement) × multiplier
    consumption: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("0"))
    #: one of READING_KINDS
    kind: Mapped[str] = mapped_column(sa.String(12), default="normal")
    #: for a replacement: the old meter's final reading
    old_final_value: Mapped[Decimal | None] = mapped_column(Quantity())
    #: consumption above three times the unit's recent average: needs a look, not refused
    flagged: Mapped[bool] = mapped_column(default=False)
    #: who looked at a flagged reading and found it right; its bill line is held until then
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: shared meters: approved before apportionment
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    meter: Mapped[Meter] = relationship(back_populates="readings")


class BillRun(Base):
    """One posting of bills for a period and scope."""

    __tablename__ = "bill_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    #: None for the whole estate
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("building.id"))
    lines: Mapped[int] = mapped_column(default=0)
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    posted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BillLine(Base):
    """One amount owed by a unit: a charge, a credit note (冲红), an adjustment or a late fee."""

    __tablename__ = "bill_line"
    __table_args__ = (
        sa.Index(
            "uq_bill_line_charge", "unit_id", "period", "fee_item_id", unique=True,
            sqlite_where=sa.text("kind = 'charge'"),
            postgresql_where=sa.text("kind = 'charge'"),
        ),
        sa.Index("ix_bill_line_open", "unit_id", "settled"),
        sa.Index("ix_bill_line_estate_period", "estate_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    fee_item_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_item.id"))
    period: Mapped[str] = mapped_column(sa.String(7))
    #: one of LINE_KINDS
    kind: Mapped[str] = mapped_column(sa.String(12), default="charge")
    quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("0"))
    price: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0"))
    #: positive for what is owed, negative for a credit
    amount: Mapped[Decimal] = mapped_column(Money())
    #: how the amount was reached, e.g. "89.50 m² × 2.3500 元/m²·月 × 1 月 = 210.33"
    explanation: Mapped[str] = mapped_column(sa.String(300))
    due_date: Mapped[date]
    #: paid (or credited) so far; the line is open while settled < amount
    settled: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    #: late fee waived by a manager on this line
    late_fee_waived: Mapped[bool] = mapped_column(default=False)
    bill_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bill_run.id"), index=True)
    #: for a credit note or adjustment: the line it corrects
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bill_line.id"))
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    fee_item: Mapped[FeeItem] = relationship()

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.settled


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
