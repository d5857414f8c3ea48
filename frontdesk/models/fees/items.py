"""Fee items (收费项目) and their tariff versions (收费标准)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, Rate, UTCDateTime, utcnow

FEE_METHODS = ("area", "metered", "apportioned", "fixed")
AREA_BASES = ("gross", "inner")
TIER_MODES = ("none", "period", "annual")
TARIFF_SCOPES = ("estate", "building", "unit")


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
