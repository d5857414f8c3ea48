"""Move-in (入住办理), move-out and transfer (迁出/过户): cases, their steps and defects."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, Money, UTCDateTime, utcnow

#: the steps of a move-in, in their usual order; 完成 ("complete") is the case's completion
STEPS = ("verify", "residents", "agreements", "readings", "inspection", "keys", "fees")
STEP_STATES = ("pending", "done", "skipped")
#: open → completed, or cancelled; an open case may be paused (paused_at set) between visits
CASE_STATES = ("open", "completed", "cancelled")
#: a move-in of a new unit, or of the new owner after a transfer
CASE_KINDS = ("movein", "transfer")
#: 迁出 (the residents leave) or 过户 (the unit passes to a new owner)
MOVE_OUT_KINDS = ("moveout", "transfer")
MOVE_OUT_STATES = ("open", "completed")
#: the checklist a new estate starts with: rooms × items
DEFAULT_ROOMS = ("客厅", "卧室", "厨房", "卫生间", "阳台")
DEFAULT_ITEMS = ("墙面", "地面", "门窗", "水电")


class MoveinSettings(Base):
    """An estate's move-in setup: the inspection checklist and what the first fees propose."""

    __tablename__ = "movein_settings"

    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), primary_key=True)
    #: [{"room": "客厅", "items": ["墙面", "地面", …]}, …]
    checklist: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: the area fee item whose tariff prices the prepaid management fee (None: the first one)
    fee_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fee_item.id"))
    prepaid_months: Mapped[int] = mapped_column(default=12)
    decoration_deposit: Mapped[Decimal] = mapped_column(Money(), default=Decimal("2000.00"))


class MoveinCase(Base):
    """A unit's move-in: the steps of handing it over to its owner, over one or more visits."""

    __tablename__ = "movein_case"
    __table_args__ = (
        # one open case per unit, kept by the database
        sa.Index("uq_movein_case_open", "unit_id", unique=True,
                 sqlite_where=sa.text("state = 'open'"),
                 postgresql_where=sa.text("state = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: one of CASE_KINDS
    kind: Mapped[str] = mapped_column(sa.String(12), default="movein")
    #: one of CASE_STATES
    state: Mapped[str] = mapped_column(sa.String(12), default="open")
    #: the owner moving in, once registered (or named by the transfer that opened the case)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    #: the transfer (move_out) that opened this case
    move_out_id: Mapped[int | None] = mapped_column(sa.ForeignKey("move_out.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    #: set while the case waits for the owner's next visit
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pause_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: the occupancy start date set on completion
    start_date: Mapped[date | None]
    cancel_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    unit = relationship("Unit")
    person = relationship("Person")
    steps: Mapped[list[MoveinStep]] = relationship(back_populates="case",
                                                   order_by="MoveinStep.id")
    defects: Mapped[list[MoveinDefect]] = relationship(back_populates="case",
                                                       order_by="MoveinDefect.id")


class MoveinStep(Base):
    """One step of a case: pending, done (with what was recorded) or skipped with a reason."""

    __tablename__ = "movein_step"
    __table_args__ = (sa.UniqueConstraint("case_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("movein_case.id"), index=True)
    #: one of STEPS
    step: Mapped[str] = mapped_column(sa.String(12))
    #: one of STEP_STATES
    state: Mapped[str] = mapped_column(sa.String(8), default="pending")
    #: what the step recorded (contract number, readings, keys, the payment …)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: why it was skipped
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    case: Mapped[MoveinCase] = relationship(back_populates="steps")
    done_by = relationship("User")


class MoveinDefect(Base):
    """A defect found at the inspection (验房), rectified through a work order to engineering."""

    __tablename__ = "movein_defect"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("movein_case.id"), index=True)
    room: Mapped[str] = mapped_column(sa.String(32))
    item: Mapped[str] = mapped_column(sa.String(32))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: the rectification order (整改工单); its photos are the defect's photos
    work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    found_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    #: the resident's acceptance of the fix
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_name: Mapped[str] = mapped_column(sa.String(64), default="")
    accept_note: Mapped[str] = mapped_column(sa.String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    case: Mapped[MoveinCase] = relationship(back_populates="defects")
    work_order = relationship("WorkOrder")


class MoveOut(Base):
    """A move-out (迁出) or transfer (过户) of a unit: the clearance, final readings, end dates."""

    __tablename__ = "move_out"
    __table_args__ = (
        sa.Index("uq_move_out_open", "unit_id", unique=True,
                 sqlite_where=sa.text("state = 'open'"),
                 postgresql_where=sa.text("state = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: one of MOVE_OUT_KINDS
    kind: Mapped[str] = mapped_column(sa.String(12))
    #: one of MOVE_OUT_STATES
    state: Mapped[str] = mapped_column(sa.String(12), default="open")
    #: a transfer's new owner, once known
    new_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    #: the final readings entered: [{"meter_id", "number", "kind", "value", "period"}]
    readings: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: a manager's override of the fees still owed, with the reason
    override_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    override_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    override_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    #: what was owed when it completed
    owed_at_completion: Mapped[Decimal | None] = mapped_column(Money())
    end_date: Mapped[date | None]
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    unit = relationship("Unit")
    new_person = relationship("Person")
