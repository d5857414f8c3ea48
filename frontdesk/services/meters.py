"""Meter readings: consumption with rollover and replacement, shared-meter loss, year to date."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Meter, MeterReading, Unit

#: consumption above this many times the unit's recent average is flagged for review
FLAG_FACTOR = Decimal(3)
#: how many earlier periods the average looks at
AVERAGE_PERIODS = 6


class ReadingError(ValueError):
    """A reading that cannot be right as entered (e.g. below the last one)."""


def consumption(previous: Decimal | None, value: Decimal, *, kind: str = "normal",
                max_value: Decimal = Decimal("99999"), multiplier: Decimal = Decimal(1),
                old_final: Decimal | None = None, new_start: Decimal | None = None) -> Decimal:
    """Return the consumption a reading gives, after the multiplier.

    normal: value − previous, refused when the value is lower;
    rollover: the dial passed its maximum and started again at 0, so a dial whose maximum is
    99,999 read 99,990 then 15 has turned 25 units: (max_value + 1 − previous) + value;
    replacement: (old meter's final − previous) + (value − new meter's start).
    """
    if value < 0:
        raise ReadingError("negative reading")
    if previous is None:
        diff = Decimal(0)
    elif kind == "normal":
        if value < previous:
            raise ReadingError("reading below the last one")
        diff = value - previous
    elif kind == "rollover":
        if value > previous:
            raise ReadingError("a rollover reading must be below the last one")
        diff = (max_value + 1 - previous) + value
    elif kind == "replacement":
        if old_final is None or new_start is None:
            raise ReadingError("a replacement needs the old meter's final and the new start")
        if old_final < previous or value < new_start:
            raise ReadingError("replacement readings out of order")
        diff = (old_final - previous) + (value - new_start)
    else:
        raise ReadingError(f"unknown reading kind {kind!r}")
    return diff * multiplier


def previous_reading(meter_id: int, period: str) -> MeterReading | None:
    """Return the meter's last reading before a period."""
    return db.session.scalars(
        sa.select(MeterReading).where(MeterReading.meter_id == meter_id,
                                      MeterReading.period < period)
        .order_by(MeterReading.period.desc()).limit(1)
    ).first()


def recent_average(meter_id: int, period: str, periods: int = AVERAGE_PERIODS) -> Decimal | None:
    """Return the average consumption of the meter's last periods before this one, or None."""
    values = list(db.session.scalars(
        sa.select(MeterReading.consumption).where(MeterReading.meter_id == meter_id,
                                                  MeterReading.period < period,
                                                  MeterReading.previous_value.is_not(None))
        .order_by(MeterReading.period.desc()).limit(periods)
    ))
    if not values:
        return None
    return sum(values, Decimal(0)) / len(values)


def is_unusual(value: Decimal, average: Decimal | None) -> bool:
    """Tell whether a consumption is far above the average (flag it, don't refuse it)."""
    return average is not None and average > 0 and value > FLAG_FACTOR * average


def sub_meter_filter(shared: Meter):
    """Select the unit meters a shared meter covers: its building's, or the estate's."""
    q = sa.select(Meter.id).where(Meter.estate_id == shared.estate_id, Meter.kind == shared.kind,
                                  Meter.shared.is_(False), Meter.unit_id.is_not(None))
    if shared.building_id is not None:
        q = q.join(Unit, Unit.id == Meter.unit_id).where(Unit.building_id == shared.building_id)
    return q


def shared_loss(shared: Meter, period: str) -> tuple[Decimal, Decimal, Decimal] | None:
    """Return (shared consumption, sum of its sub-meters, loss) for a period.

    None when the shared meter has no approved reading for the period.
    """
    reading = db.session.scalars(
        sa.select(MeterReading).where(MeterReading.meter_id == shared.id,
                                      MeterReading.period == period)
    ).first()
    if reading is None or reading.approved_at is None:
        return None
    subs = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(MeterReading.consumption), Decimal(0)))
        .where(MeterReading.meter_id.in_(sub_meter_filter(shared)),
               MeterReading.period == period)
    )
    subs = subs or Decimal(0)
    return reading.consumption, subs, reading.consumption - subs


def year_to_date(unit_id: int, kind: str, period: str) -> Decimal:
    """Return a unit's consumption of a kind in the calendar year before the period."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(MeterReading.consumption), Decimal(0)))
        .join(Meter, Meter.id == MeterReading.meter_id)
        .where(Meter.unit_id == unit_id, Meter.kind == kind,
               MeterReading.period >= f"{period[:4]}-01", MeterReading.period < period)
    )
    return total or Decimal(0)
