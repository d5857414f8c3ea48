"""Visitors (访客登记): who came, to which unit, when they came in and went out."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, UTCDateTime, utcnow


class Visit(Base):
    """A visitor's stay: only the last four characters of the ID number are kept."""

    __tablename__ = "visit"
    __table_args__ = (sa.Index("ix_visit_estate_in_at", "estate_id", "in_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    id_tail: Mapped[str] = mapped_column(sa.String(4), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(200))
    in_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    out_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    unit = relationship("Unit")
    received_by = relationship("User", foreign_keys=[received_by_id])
