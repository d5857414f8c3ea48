"""Demo meters: a water and an electricity meter per unit and a shared electricity meter per
building, with readings for a few periods (the month before them gives the opening readings)."""

from __future__ import annotations

import random
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Building, Estate, FeeItem, Meter, MeterReading, Unit, User
from frontdesk.models.base import utcnow
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees.meters import previous_period

#: the apportioned item shared electricity is billed under, when the estate has it
SHARED_ITEM_CODE = "GTDF"
#: a household's consumption in a month: (low, high)
MONTHLY = {"water": (4, 18), "electricity": (90, 420)}
OPENING = {"water": (50, 2500), "electricity": (800, 30000)}


def _number(prefix: str, code: str, unit_id: int) -> str:
    number = f"{prefix}{code}"
    return number if len(number) <= 32 else f"{prefix}#{unit_id}"


@transactional
def load_demo_meters(actor: User | None, estate: Estate, periods=("2026-09", "2026-10"),
                     seed: int = 2026) -> dict[str, int]:
    """Create the estate's demo meters and readings; return how many of each were made.

    Each building's shared meter reads more than its units together (the common areas and the
    line loss), and its readings are approved, so that bill runs have a loss to apportion.
    """
    if db.session.scalar(sa.select(Meter.id).where(Meter.estate_id == estate.id).limit(1)):
        raise DomainError(_l("The estate already has meters; demo meters are loaded only "
                             "into an estate without any."))
    periods = sorted(periods)
    rng = random.Random(seed)
    by = actor.id if actor else None
    meters = _unit_meters(estate)
    readings, building_use = _unit_readings(estate, meters, periods, rng, by)
    shared_readings, shared = _shared_meters(estate, building_use, periods, rng, by)
    readings += shared_readings
    db.session.add_all(readings)
    db.session.flush()
    counts = {"unit_meters": len(meters), "shared_meters": shared, "readings": len(readings)}
    audit.record(actor, "demo_data", object_type="meter", estate_id=estate.id, after=counts)
    return counts


def _unit_meters(estate: Estate) -> list[tuple[Meter, str]]:
    """Give every unit a water and an electricity meter."""
    units = db.session.execute(
        sa.select(Unit.id, Unit.building_id, Unit.code).where(Unit.estate_id == estate.id)
        .order_by(Unit.id)).all()
    meters: list[tuple[Meter, str]] = []
    for unit_id, building_id, code in units:
        for kind, prefix in (("water", "S"), ("electricity", "D")):
            meter = Meter(estate_id=estate.id, unit_id=unit_id, building_id=building_id,
                          kind=kind, number=_number(prefix, code, unit_id),
                          multiplier=Decimal(1), max_value=Decimal("99999" if kind == "water"
                                                                   else "999999"))
            meters.append((meter, kind))
    db.session.add_all(m for m, _ in meters)
    db.session.flush()
    return meters


def _unit_readings(estate: Estate, meters: list[tuple[Meter, str]], periods: list[str],
                   rng: random.Random, by: int | None
                   ) -> tuple[list[MeterReading], dict[tuple[int, str], Decimal]]:
    """Read the unit meters for each period; also return each building's electricity use."""
    opening = previous_period(periods[0])
    readings: list[MeterReading] = []
    #: (building id, period) → the units' electricity consumption together
    building_use: dict[tuple[int, str], Decimal] = {}
    for meter, kind in meters:
        low, high = MONTHLY[kind]
        habit = Decimal(rng.uniform(0.7, 1.3)).quantize(Decimal("0.01"))
        value = Decimal(rng.randint(*OPENING[kind]))
        readings.append(MeterReading(estate_id=estate.id, meter_id=meter.id, period=opening,
                                     value=value, previous_value=None, consumption=Decimal(0),
                                     entered_by_id=by))
        for period in periods:
            used = Decimal(round(rng.randint(low, high) * habit))
            previous, value = value, value + used
            readings.append(MeterReading(estate_id=estate.id, meter_id=meter.id, period=period,
                                         value=value, previous_value=previous, consumption=used,
                                         entered_by_id=by))
            if kind == "electricity":
                key = (meter.building_id, period)
                building_use[key] = building_use.get(key, Decimal(0)) + used
    return readings, building_use


def _shared_meters(estate: Estate, building_use: dict[tuple[int, str], Decimal],
                   periods: list[str], rng: random.Random, by: int | None
                   ) -> tuple[list[MeterReading], int]:
    """Give each building a shared electricity meter reading more than its units, approved."""
    opening = previous_period(periods[0])
    now = utcnow()
    item_id = db.session.scalar(sa.select(FeeItem.id).where(
        FeeItem.estate_id == estate.id, FeeItem.code == SHARED_ITEM_CODE))
    buildings = db.session.scalars(sa.select(Building).where(Building.estate_id == estate.id)
                                   .order_by(Building.sort_key))
    readings: list[MeterReading] = []
    shared = 0
    for building in buildings:
        meter = Meter(estate_id=estate.id, building_id=building.id, kind="electricity",
                      number=f"GT-D-{building.number}"[:32], shared=True,
                      apportion_basis="area", fee_item_id=item_id, multiplier=Decimal(1),
                      max_value=Decimal("9999999"))
        db.session.add(meter)
        db.session.flush()
        shared += 1
        value = Decimal(rng.randint(20000, 90000))
        readings.append(MeterReading(estate_id=estate.id, meter_id=meter.id, period=opening,
                                     value=value, previous_value=None, consumption=Decimal(0),
                                     entered_by_id=by, approved_by_id=by, approved_at=now))
        for period in periods:
            units_used = building_use.get((building.id, period), Decimal(0))
            # lifts, stair lights, pumps and line loss: 6–10 % on top, plus a base load
            common = (units_used * Decimal(rng.randint(6, 10)) / 100
                      + rng.randint(300, 900)).quantize(Decimal(1))
            previous, value = value, value + units_used + common
            readings.append(MeterReading(
                estate_id=estate.id, meter_id=meter.id, period=period, value=value,
                previous_value=previous, consumption=value - previous,
                entered_by_id=by, approved_by_id=by, approved_at=now))
    return readings, shared
