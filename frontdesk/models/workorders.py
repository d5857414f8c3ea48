"""Work orders to engineering (工单/派工): categories, crew, orders, steps, costs, photos."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, ExactDecimal, Money, UTCDateTime, utcnow

#: where a report came from (stored Chinese data, as printed)
SOURCES = ("电话", "来访", "投诉", "验房", "巡查")
#: the categories a new estate starts with; each estate edits its own list
DEFAULT_CATEGORIES = ("水电", "土建", "门窗", "电梯", "消防", "绿化", "其他")
PRIORITIES = ("urgent", "normal")
#: the states of an order, in their usual order (labels in frontdesk.labels.WORK_ORDER_STATES)
STATES = ("pending", "dispatched", "accepted", "in_progress", "paused", "completed",
          "called_back", "closed", "cancelled")
OPEN_STATES = ("pending", "dispatched", "accepted", "in_progress", "paused")
#: kinds of cost line: materials (name, quantity, unit price) and labour
COST_KINDS = ("material", "labour")
#: when a photo was taken: with the report, or with the completion
PHOTO_STAGES = ("report", "completion")


class WorkOrderCategory(Base):
    """A kind of repair in an estate's list (水电, 土建 …), with the team that usually takes it."""

    __tablename__ = "work_order_category"
    __table_args__ = (sa.UniqueConstraint("estate_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(32))
    #: the team its orders go to when nobody is named ("" for any team)
    team: Mapped[str] = mapped_column(sa.String(32), default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class WorkOrderSettings(Base):
    """An estate's service levels (minutes per priority) and optional working hours."""

    __tablename__ = "work_order_settings"

    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), primary_key=True)
    urgent_response_minutes: Mapped[int] = mapped_column(default=15)
    urgent_completion_minutes: Mapped[int] = mapped_column(default=4 * 60)
    normal_response_minutes: Mapped[int] = mapped_column(default=2 * 60)
    normal_completion_minutes: Mapped[int] = mapped_column(default=48 * 60)
    #: when set, the clock runs only between these local times (minutes after midnight)
    working_hours: Mapped[bool] = mapped_column(default=False)
    day_start_minute: Mapped[int] = mapped_column(default=8 * 60 + 30)
    day_end_minute: Mapped[int] = mapped_column(default=17 * 60 + 30)


class Engineer(Base):
    """A member of the engineering crew of an estate: skills, team, on duty, lead."""

    __tablename__ = "engineer"
    __table_args__ = (sa.UniqueConstraint("estate_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    team: Mapped[str] = mapped_column(sa.String(32), default="")
    #: names of the categories the engineer is skilled in
    skills: Mapped[list] = mapped_column(sa.JSON, default=list)
    on_duty: Mapped[bool] = mapped_column(default=True)
    #: the team's lead dispatches orders, as the desk does
    is_lead: Mapped[bool] = mapped_column(default=False)

    user = relationship("User")


class WorkOrder(Base):
    """A repair reported to the service centre and dispatched to engineering."""

    __tablename__ = "work_order"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "seq"),
        sa.UniqueConstraint("estate_id", "intake_key"),
        sa.Index("ix_work_order_estate_state", "estate_id", "state"),
        sa.CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                           name="satisfaction_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    #: position in the estate's numbering: GD2026-000123
    seq: Mapped[int]
    #: one of SOURCES
    source: Mapped[str] = mapped_column(sa.String(8))
    reporter_name: Mapped[str] = mapped_column(sa.String(64))
    reporter_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    #: a unit, or a public area (of a building, or of the estate when no building is named)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("building.id"))
    area: Mapped[str] = mapped_column(sa.String(100), default="")
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("work_order_category.id"))
    description: Mapped[str] = mapped_column(sa.String(1000))
    #: one of PRIORITIES
    priority: Mapped[str] = mapped_column(sa.String(8), default="normal")
    appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: one of STATES
    state: Mapped[str] = mapped_column(sa.String(12), default="pending")
    #: the team that takes it (from the category, or the assignee's)
    team: Mapped[str] = mapped_column(sa.String(32), default="")
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    #: the complaint, inspection … that opened it (set by those areas)
    origin: Mapped[str] = mapped_column(sa.String(32), default="")
    origin_id: Mapped[int | None]

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    called_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    #: service levels: accept by, complete by (moved on by pauses); set at intake
    response_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completion_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: while paused: since when, and how much running time was left to the completion target
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_remaining_seconds: Mapped[int | None]
    #: total paused time, in seconds (the report's completion times leave it out)
    paused_seconds: Mapped[int] = mapped_column(default=0)
    response_breached: Mapped[bool | None]
    completion_breached: Mapped[bool | None]

    #: the reason given for the latest pause, decline or cancellation
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    completion_note: Mapped[str] = mapped_column(sa.String(1000), default="")

    #: 有偿维修: the quoted amount, and the resident's confirmation of it
    chargeable: Mapped[bool] = mapped_column(default=False)
    quote_amount: Mapped[Decimal | None] = mapped_column(Money())
    quote_confirmed_by: Mapped[str] = mapped_column(sa.String(64), default="")
    quote_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the line on the unit's bill raised on completion
    bill_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bill_line.id"))

    #: the callback (回访): satisfaction 1–5 and the resident's comment
    satisfaction: Mapped[int | None]
    callback_comment: Mapped[str] = mapped_column(sa.String(500), default="")
    callback_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    print_count: Mapped[int] = mapped_column(default=0)
    #: the intake form's one-time key: a second submit of the same form finds this order
    intake_key: Mapped[str | None] = mapped_column(sa.String(32))

    category: Mapped[WorkOrderCategory] = relationship()
    unit = relationship("Unit")
    building = relationship("Building")
    assignee = relationship("User", foreign_keys=[assignee_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    steps: Mapped[list[WorkOrderStep]] = relationship(back_populates="order",
                                                      order_by="WorkOrderStep.id")
    costs: Mapped[list[WorkOrderCost]] = relationship(back_populates="order",
                                                      order_by="WorkOrderCost.id")
    photos: Mapped[list[WorkOrderPhoto]] = relationship(back_populates="order",
                                                        order_by="WorkOrderPhoto.id")


class WorkOrderStep(Base):
    """One transition of an order: from, to, the action, who and when, and a reason."""

    __tablename__ = "work_order_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    from_state: Mapped[str] = mapped_column(sa.String(12), default="")
    to_state: Mapped[str] = mapped_column(sa.String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    #: the engineer the order went to, for dispatches
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    #: the satisfaction (1–5) a callback recorded
    score: Mapped[int | None]

    order: Mapped[WorkOrder] = relationship(back_populates="steps")
    user = relationship("User", foreign_keys=[user_id])
    assignee = relationship("User", foreign_keys=[assignee_id])


class WorkOrderCost(Base):
    """Materials (name, quantity, unit price) or labour recorded on an order."""

    __tablename__ = "work_order_cost"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    #: one of COST_KINDS
    kind: Mapped[str] = mapped_column(sa.String(8))
    name: Mapped[str] = mapped_column(sa.String(64))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(12, 2))
    unit_name: Mapped[str] = mapped_column(sa.String(8), default="")
    unit_price: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())
    added_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    order: Mapped[WorkOrder] = relationship(back_populates="costs")


class WorkOrderPhoto(Base):
    """A photo of an order, kept resized under the instance's uploads folder."""

    __tablename__ = "work_order_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    #: one of PHOTO_STAGES
    stage: Mapped[str] = mapped_column(sa.String(12), default="report")
    #: the stored file's name in the uploads folder (random, never the client's)
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(200), default="")
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    order: Mapped[WorkOrder] = relationship(back_populates="photos")
