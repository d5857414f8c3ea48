"""What the visitor pages show: who is still inside, the log of a day, a unit's visits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from frontdesk.extensions import db
from frontdesk.models import Estate, Visit


def inside(estate_id: int) -> list[Visit]:
    """Return the visitors still inside (no time out), those who came in first first."""
    return list(db.session.scalars(
        sa.select(Visit).where(Visit.estate_id == estate_id, Visit.out_at.is_(None))
        .options(selectinload(Visit.unit), selectinload(Visit.received_by))
        .order_by(Visit.in_at, Visit.id)))


def day_log(estate: Estate, day: date, limit: int = 500) -> list[Visit]:
    """Return the visits that came in on a local day, latest first."""
    tz = ZoneInfo(estate.timezone or "Asia/Shanghai")
    start = datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)
    return list(db.session.scalars(
        sa.select(Visit).where(Visit.estate_id == estate.id, Visit.in_at >= start,
                               Visit.in_at < start + timedelta(days=1))
        .options(selectinload(Visit.unit), selectinload(Visit.received_by))
        .order_by(Visit.in_at.desc(), Visit.id.desc()).limit(limit)))


def unit_visits(unit_id: int, limit: int = 20) -> list[Visit]:
    """Return a unit's latest visits."""
    return list(db.session.scalars(
        sa.select(Visit).where(Visit.unit_id == unit_id)
        .options(selectinload(Visit.received_by))
        .order_by(Visit.in_at.desc(), Visit.id.desc()).limit(limit)))
