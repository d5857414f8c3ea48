"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from frontdesk.models.base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: the acting user; None for system jobs such as the demo loader
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    #: the user's name at the time, kept even if the account is renamed
    user_name: Mapped[str] = mapped_column(sa.String(64), default="")
    estate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    #: table name of the changed object, e.g. "unit"
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[int | None]
    #: create / update / delete / import / login ...
    action: Mapped[str] = mapped_column(sa.String(32))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)


class AuditIsAppendOnly(Exception):
    """Raised when code tries to change or delete an audit event."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise AuditIsAppendOnly("audit events cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditIsAppendOnly("audit events cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(orm_execute_state):
    if orm_execute_state.is_update or orm_execute_state.is_delete:
        for mapper in orm_execute_state.all_mappers:
            if mapper.class_ is AuditEvent:
                raise AuditIsAppendOnly("audit events cannot be changed")
