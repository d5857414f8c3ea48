"""Writing and reading the audit trail."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, Membership, User


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(obj: Any, fields: list[str] | None = None) -> dict[str, Any]:
    """Return the object's column values as JSON-safe data for an audit event."""
    if fields is None:
        fields = [c.key for c in sa.inspect(obj).mapper.column_attrs]
    skip = {"password_hash", "session_token"}  # secrets stay out of the log
    return {f: _plain(getattr(obj, f)) for f in fields if f not in skip}


def record(
    actor: User | None,
    action: str,
    obj: Any | None = None,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    estate_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction."""
    if obj is not None:
        db.session.flush()
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
        if estate_id is None:
            estate_id = getattr(obj, "estate_id", None)
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    event = AuditEvent(
        user_id=actor.id if actor else None,
        user_name=actor.username if actor else "system",
        estate_id=estate_id,
        object_type=object_type or "",
        object_id=object_id,
        action=action,
        before=before,
        after=after,
    )
    db.session.add(event)
    return event


def list_events(
    estate_ids: set[int],
    *,
    account_estate_ids: set[int] = frozenset(),
    object_type: str | None = None,
    object_id: int | None = None,
    user_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
):
    """Return a page of audit events in the given estates, newest first.

    Events about staff accounts are listed only for the estates in `account_estate_ids` (those
    the reader administers). Account events written before they carried an estate are listed
    when the reader administers every estate the account works in.
    """
    is_account = AuditEvent.object_type == "user"
    scope = sa.and_(AuditEvent.estate_id.in_(estate_ids),
                    sa.or_(~is_account, AuditEvent.estate_id.in_(account_estate_ids)))
    if account_estate_ids:
        elsewhere = sa.select(Membership.user_id).where(
            Membership.estate_id.not_in(account_estate_ids))
        administered = sa.select(Membership.user_id).where(
            Membership.estate_id.in_(account_estate_ids), Membership.user_id.not_in(elsewhere))
        legacy = sa.and_(AuditEvent.estate_id.is_(None), is_account,
                         AuditEvent.object_id.in_(administered))
        scope = sa.or_(scope, legacy)
    q = sa.select(AuditEvent).where(scope)
    if object_type:
        q = q.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        q = q.where(AuditEvent.object_id == object_id)
    if user_id is not None:
        q = q.where(AuditEvent.user_id == user_id)
    q = q.order_by(AuditEvent.id.desc())
    return db.paginate(q, page=page, per_page=per_page, error_out=False)


def object_types() -> list[str]:
    """Return the kinds of object that have audit events."""
    return list(db.session.scalars(sa.select(AuditEvent.object_type).distinct().order_by(
        AuditEvent.object_type)))


def count_print(actor, document) -> int:
    """Count one more print of a printed record (its ``print_count``) and log it; return the
    print's number: 1 is the original, later ones are reprints (补打).

    The count is raised in the database (``UPDATE … RETURNING``), so two desks printing at once
    get two numbers. Joins the caller's transaction.
    """
    model = type(document)
    count = db.session.execute(
        sa.update(model).where(model.id == document.id)
        .values(print_count=model.print_count + 1).returning(model.print_count)
    ).scalar_one()
    db.session.refresh(document)
    record(actor, "print", document, after={"print_count": count, "reprint": count > 1})
    return count
