"""Meters and their readings (抄表)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, ExactDecimal, Rate, UTCDateTime, utcnow

METER_KINDS = ("water", "electricity", "gas")
READING_KINDS = ("normal", "rollover", "replacement")


def Quantity() -> ExactDecimal:  # noqa: N802
    """A consumption or area quantity with four decimals."""
    return ExactDecimal(14, 4)


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
