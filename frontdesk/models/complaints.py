"""Complaints (投诉) through the seven steps of the handbooks, and each estate's categories."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, Money, UTCDateTime, utcnow

#: how the complaint came in (stored Chinese data, as printed)
CHANNELS = ("电话", "来访", "网络", "信函", "其他")
#: the categories a new estate starts with; each estate may edit its own list
DEFAULT_CATEGORIES = ("服务态度", "维修质量", "收费", "环境卫生", "安全", "噪音", "其他")
#: the states, each named by the step that has been done last (labels in labels.COMPLAINT_STATES)
STATES = ("registered", "investigated", "proposed", "approved", "agreed", "carried_out",
          "closed")
OPEN_STATES = STATES[:-1]


class ComplaintCategory(Base):
    """A kind of complaint in an estate's list (服务态度, 维修质量 …)."""

    __tablename__ = "complaint_category"
    __table_args__ = (sa.UniqueConstraint("estate_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(32))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Complaint(Base):
    """A resident's complaint, from registration to the satisfied callback that closes it."""

    __tablename__ = "complaint"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "seq"),
        sa.Index("ix_complaint_estate_state", "estate_id", "state"),
        sa.CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                           name="satisfaction_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    #: position in the estate's numbering: TS2026-000012
    seq: Mapped[int]
    #: the resident on the register, when known; the name and phone are kept either way
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: one of CHANNELS
    channel: Mapped[str] = mapped_column(sa.String(8))
    #: the name of a category of the estate's list, as it was when registered
    category: Mapped[str] = mapped_column(sa.String(32))
    content: Mapped[str] = mapped_column(sa.String(2000))
    #: what the resident asks for
    request: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: one of STATES
    state: Mapped[str] = mapped_column(sa.String(16), default="registered")

    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    registered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    #: the first reply is due by the end of the local day of registration
    reply_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the first reply: the investigation step
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    findings: Mapped[str] = mapped_column(sa.String(2000), default="")
    proposal: Mapped[str] = mapped_column(sa.String(2000), default="")
    compensation: Mapped[Decimal | None] = mapped_column(Money())
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    agreement: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: what was done to carry it out
    outcome: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: the latest callback: satisfaction 1–5 and the resident's comment
    satisfaction: Mapped[int | None]
    callback_comment: Mapped[str] = mapped_column(sa.String(500), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    print_count: Mapped[int] = mapped_column(default=0)

    unit = relationship("Unit")
    person = relationship("Person")
    registered_by = relationship("User", foreign_keys=[registered_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    steps: Mapped[list[ComplaintStep]] = relationship(back_populates="complaint",
                                                      order_by="ComplaintStep.id")


class ComplaintStep(Base):
    """One step of a complaint: the action, from and to, who and when, what was written."""

    __tablename__ = "complaint_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    from_state: Mapped[str] = mapped_column(sa.String(16), default="")
    to_state: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    #: what the step recorded: findings, proposal, reason, agreement, outcome, comment
    note: Mapped[str] = mapped_column(sa.String(2000), default="")
    #: the compensation a proposal named
    amount: Mapped[Decimal | None] = mapped_column(Money())
    #: the satisfaction (1–5) a callback recorded
    score: Mapped[int | None]

    complaint: Mapped[Complaint] = relationship(back_populates="steps")
    user = relationship("User")
