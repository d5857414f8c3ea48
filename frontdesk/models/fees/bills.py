"""Bill runs and the bill lines they post: charges, credit notes, adjustments, late fees."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, Money, Rate, UTCDateTime, utcnow
from frontdesk.models.fees.meters import Quantity

LINE_KINDS = ("charge", "credit", "adjustment", "late_fee")

if TYPE_CHECKING:
    from frontdesk.models.fees.items import FeeItem

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
