"""The verbs of the visitor log: a visitor comes in, goes out; old records are purged.

Only the last four characters of an ID number are kept: a whole ID number typed into the form
is cut to its last four before anything is stored (the page says so). Records older than the
retention (config ``FRONTDESK_VISITOR_RETENTION_DAYS`` — in instance/config.py, or the
environment variable of that name — default 180 days, counted from when the visitor came in)
are deleted by :func:`purge` (the ``flask purge-visitors`` command), which writes one audit
event per estate with the count and the cutoff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Estate, User, Visit
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.register.queries import chosen_unit
from frontdesk.services.register.records import clean_text
from frontdesk.services.validation import normalise_phone, phone_error

DEFAULT_RETENTION_DAYS = 180
RETENTION_CONFIG_KEY = "FRONTDESK_VISITOR_RETENTION_DAYS"
ID_TAIL_RE = re.compile(r"[0-9X]{4}")
#: what may be typed as an ID number: digits and X (a whole number is cut to its last four)
ID_TYPED_RE = re.compile(r"[0-9Xx]{4,18}")


def id_tail(value) -> str:
    """Return the last four characters of what was typed as an ID number (blank: "")."""
    text = re.sub(r"\s", "", str(value or "")).upper()
    if not text:
        return ""
    if not ID_TYPED_RE.fullmatch(text):
        raise DomainError(_l("Enter the last four characters of the ID number (digits or X)."),
                          "id_tail")
    return text[-4:]


@transactional
def check_in(actor: User, estate: Estate, data: dict, now: datetime) -> Visit:
    """Log a visitor coming in: name, ID last four, phone, unit visited or place, purpose."""
    if not actor.has_role("frontdesk", "manager", estate_id=estate.id):
        raise DomainError(_l("Only the desk or a manager can do this."))
    name = clean_text(data.get("name"), "name", _l("Name"), max_len=64)
    tail = id_tail(data.get("id_tail"))
    phone = normalise_phone(data.get("phone") or "")
    if phone:
        error = phone_error(phone)
        if error:
            raise DomainError(error, "phone")
    unit = chosen_unit(estate.id, data.get("unit_id"), data.get("unit_code"))
    purpose = clean_text(data.get("purpose"), "purpose", _l("Purpose"), max_len=200)
    note = clean_text(data.get("note"), "note", _l("Note"), required=False, max_len=200)
    visit = Visit(estate_id=estate.id, name=name, id_tail=tail, phone=phone,
                  unit_id=unit.id if unit else None, purpose=purpose, note=note,
                  in_at=now.astimezone(UTC), received_by_id=actor.id)
    db.session.add(visit)
    db.session.flush()
    audit.record(actor, "check_in", visit, before={}, after=audit.snapshot(visit))
    return visit


@transactional
def check_out(actor: User, visit: Visit, now: datetime) -> Visit:
    """Log a visitor going out; a second time is refused."""
    visit = db.session.scalar(sa.select(Visit).where(Visit.id == visit.id).with_for_update()
                              .execution_options(populate_existing=True))
    if not actor.has_role("frontdesk", "manager", estate_id=visit.estate_id):
        raise DomainError(_l("Only the desk or a manager can do this."))
    if visit.out_at is not None:
        raise DomainError(_l("This visitor has already been logged out."))
    before = audit.snapshot(visit)
    visit.out_at = max(now.astimezone(UTC), visit.in_at)
    visit.out_by_id = actor.id
    db.session.flush()
    audit.record(actor, "check_out", visit, before=before, after=audit.snapshot(visit))
    return visit


def retention_days(config) -> int:
    """Return the configured retention in days (at least 1)."""
    value = config.get(RETENTION_CONFIG_KEY)
    if value is None:  # the environment's FRONTDESK_VISITOR_RETENTION_DAYS lands without prefix
        value = config.get("VISITOR_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{RETENTION_CONFIG_KEY} must be a whole number of days") from None
    if days < 1:
        raise ValueError(f"{RETENTION_CONFIG_KEY} must be at least 1")
    return days


@dataclass(frozen=True)
class Purged:
    estate_id: int
    estate_name: str
    count: int
    cutoff: datetime


@transactional
def purge(now: datetime, days: int) -> list[Purged]:
    """Delete the visits that came in before now − days, estate by estate; audit each purge.

    An estate with nothing to delete gets an event too (count 0), so the log shows the purge
    ran."""
    if days < 1:
        raise ValueError("the retention is at least one day")
    cutoff = now.astimezone(UTC) - timedelta(days=days)
    done = []
    for estate in db.session.scalars(sa.select(Estate).order_by(Estate.id)):
        count = db.session.execute(sa.delete(Visit).where(
            Visit.estate_id == estate.id, Visit.in_at < cutoff)).rowcount or 0
        audit.record(None, "purge", object_type="visit", estate_id=estate.id,
                     after={"count": count, "cutoff": cutoff.isoformat(),
                            "retention_days": days})
        done.append(Purged(estate.id, estate.name, count, cutoff))
    return done
