"""The duty log (值班记录): shift definitions, shifts with their staff, entries and handovers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, Money, UTCDateTime, utcnow

#: the kinds of entry (stored Chinese data, as printed)
ENTRY_KINDS = ("来电", "来访", "巡查", "事件", "交办", "其他")
#: the kinds of handover item: suggested from other areas, or typed by the outgoing staff
HANDOVER_KINDS = ("work_order", "key_loan", "overdue_loan", "callback", "complaint", "note")
#: the states of a shift: open while on duty, locked once handed over
SHIFT_STATES = ("open", "locked")


class ShiftDefinition(Base):
    """A shift of an estate's day (白班 08:30–17:30); it may cross midnight (晚班 17:00–01:00)."""

    __tablename__ = "duty_shift_definition"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "name"),
        sa.CheckConstraint("start_minute BETWEEN 0 AND 1439", name="start_minute_range"),
        sa.CheckConstraint("end_minute BETWEEN 0 AND 1439", name="end_minute_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(16))
    #: local start and end, in minutes after midnight; an end at or before the start is the
    #: next day's
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class DutyShift(Base):
    """One shift on one day (the estate's local date of its start), with its staff on duty.

    Locked once handed over: its entries, handover items and cash figures are then the chain
    "duty_shifts" (``hash``/``prev_hash`` keep a copy of the link's).
    """

    __tablename__ = "duty_shift"
    __table_args__ = (sa.UniqueConstraint("estate_id", "definition_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    definition_id: Mapped[int] = mapped_column(sa.ForeignKey("duty_shift_definition.id"))
    #: the local date the shift starts on
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    #: the definition's name when the shift was opened
    name: Mapped[str] = mapped_column(sa.String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: one of SHIFT_STATES
    state: Mapped[str] = mapped_column(sa.String(8), default="open")

    #: the handover: when, the outgoing member of staff and the incoming one who confirmed
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handed_over_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    received_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    handover_note: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: the window of the takings counted for this shift (from the fees area)
    cash_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cash_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: cash expected in the drawer (cash received less cash refunds paid) and cash counted
    cash_expected: Mapped[Decimal | None] = mapped_column(Money())
    cash_counted: Mapped[Decimal | None] = mapped_column(Money())
    cash_note: Mapped[str] = mapped_column(sa.String(200), default="")
    hash: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))

    definition: Mapped[ShiftDefinition] = relationship()
    staff: Mapped[list[DutyShiftStaff]] = relationship(order_by="DutyShiftStaff.id",
                                                       back_populates="shift")
    entries: Mapped[list[DutyEntry]] = relationship(
        order_by="[DutyEntry.at, DutyEntry.id]", back_populates="shift",
        foreign_keys="DutyEntry.shift_id")
    items: Mapped[list[DutyHandoverItem]] = relationship(order_by="DutyHandoverItem.id",
                                                         back_populates="shift")
    handed_over_by = relationship("User", foreign_keys=[handed_over_by_id])
    received_by = relationship("User", foreign_keys=[received_by_id])


class DutyShiftStaff(Base):
    """A member of staff on duty in a shift: the first to log in opened it, others joined."""

    __tablename__ = "duty_shift_staff"
    __table_args__ = (sa.UniqueConstraint("shift_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("duty_shift.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    shift: Mapped[DutyShift] = relationship(back_populates="staff")
    user = relationship("User")


class DutyEntry(Base):
    """What happened in a shift: a call, a visit, a patrol … with its handling and links.

    An addendum is a new entry pointing at the one it adds to (``addendum_of_id``): the only
    way to add to an entry of a locked shift.
    """

    __tablename__ = "duty_entry"
    __table_args__ = (sa.Index("ix_duty_entry_estate_at", "estate_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("duty_shift.id"), index=True)
    #: when it happened
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: one of ENTRY_KINDS
    kind: Mapped[str] = mapped_column(sa.String(8))
    content: Mapped[str] = mapped_column(sa.String(4000))
    handling: Mapped[str] = mapped_column(sa.String(2000), default="")
    #: a call (来电): who called, from which number, and the result
    caller_name: Mapped[str] = mapped_column(sa.String(64), default="")
    caller_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    call_result: Mapped[str] = mapped_column(sa.String(500), default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_order.id"))
    key_loan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("key_loan.id"))
    #: the complaint (投诉) it concerns, or that a call registered
    complaint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("complaint.id"))
    addendum_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("duty_entry.id"),
                                                       index=True)
    #: an addendum written after its shift was handed over (outside the shift's chained link)
    after_handover: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    shift: Mapped[DutyShift] = relationship(back_populates="entries", foreign_keys=[shift_id])
    unit = relationship("Unit")
    person = relationship("Person")
    work_order = relationship("WorkOrder")
    complaint = relationship("Complaint")
    key_loan = relationship("KeyLoan")
    created_by = relationship("User", foreign_keys=[created_by_id])
    addendum_of: Mapped[DutyEntry | None] = relationship(remote_side=[id])


class DutyHandoverItem(Base):
    """A pending matter handed over with a shift: picked from the suggestions or typed."""

    __tablename__ = "duty_handover_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("duty_shift.id"), index=True)
    #: one of HANDOVER_KINDS
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: what the item says, as handed over (the record's number and state at the time)
    text: Mapped[str] = mapped_column(sa.String(500))
    work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_order.id"))
    key_loan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("key_loan.id"))
    #: the complaint waiting
    complaint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("complaint.id"))

    shift: Mapped[DutyShift] = relationship(back_populates="items")
