"""Meters: consumption with rollover and replacement, shared-meter loss, year to date, and
keeping meters (what they are, what they cover)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk import labels
from frontdesk.extensions import db
from frontdesk.models import (
    Building,
    Estate,
    FeeItem,
    Meter,
    MeterReading,
    Unit,
    User,
)
from frontdesk.models.fees import METER_KINDS
from frontdesk.services import DomainError, audit, transactional

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


# ------------------------------------------------------------------------------------------------
# Keeping meters: one service call is one transaction (see services/__init__).
# ------------------------------------------------------------------------------------------------

METER_KIND_LABELS = labels.METER_KIND_LABELS
#: the unit consumption is measured in, per kind of meter (a symbol, the same in every language)
METER_UNITS = labels.METER_UNITS
READING_KIND_LABELS = labels.READING_KIND_LABELS
APPORTION_BASES = ("area", "equal")
APPORTION_LABELS = labels.APPORTION_LABELS
#: a dial's maximum must stay below this
MAX_DIAL = Decimal("10000000")
MAX_MULTIPLIER = Decimal("10000")
TWO_PLACES = Decimal("0.01")
#: readings, multipliers and dial maxima have at most two decimals, so that a consumption
#: (difference × multiplier) has at most four and is stored exactly
READING_PLACES = 2


def number_text(value: Decimal) -> str:
    """Show a reading or quantity without trailing zeros or thousands separators."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def current_period(estate: Estate, today: date | None = None) -> str:
    """Return the current month in the estate's timezone as YYYY-MM."""
    if today is None:
        today = datetime.now(ZoneInfo(estate.timezone or "Asia/Shanghai")).date()
    return f"{today.year:04d}-{today.month:02d}"


def previous_period(period: str, months: int = 1) -> str:
    """Return the period a number of months before another."""
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_reading(value: Any, field: str = "value", label: Any = None, *,
                  max_value: Decimal | None = None) -> Decimal:
    """Return a reading typed as text: a number ≥ 0 with at most two decimals, up to the dial."""
    label = label or _l("The reading")
    number = value if isinstance(value, Decimal) else _typed_number(value, field, label)
    if not number.is_finite():
        raise DomainError(_l("%(label)s must be a number, e.g. 1268.5.", label=label), field)
    if number < 0:
        raise DomainError(_l("%(label)s cannot be negative.", label=label), field)
    limit = MAX_DIAL if max_value is None else max_value
    if number > limit:
        raise DomainError(_l("%(label)s (%(value)s) is above the dial's maximum of %(max)s; "
                             "please check it.", label=label, value=number_text(number),
                             max=number_text(limit)), field)
    if number != number.quantize(TWO_PLACES):
        raise DomainError(_l("%(label)s may have at most two decimals.", label=label), field)
    return number.quantize(TWO_PLACES)


def _positive(value: Any, field: str, label: Any, limit: Decimal) -> Decimal:
    number = _typed_number(value, field, label)
    if not number.is_finite():
        raise DomainError(_l("%(label)s must be a number.", label=label), field)
    if number <= 0:
        raise DomainError(_l("%(label)s must be greater than 0.", label=label), field)
    if number >= limit:
        raise DomainError(_l("%(label)s must be below %(max)s.", label=label,
                             max=number_text(limit)), field)
    if number != number.quantize(TWO_PLACES):
        raise DomainError(_l("%(label)s may have at most two decimals.", label=label), field)
    return number.quantize(TWO_PLACES)


def _typed_number(value: Any, field: str, label: Any) -> Decimal:
    """Read a number typed as text (full-width digits, commas and spaces allowed); NaN if it is
    not one, DomainError if it is blank."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    text = text.strip().replace(",", "").replace(" ", "")
    if not text:
        raise DomainError(_l("%(label)s is required.", label=label), field)
    try:
        return Decimal(text) if len(text) <= 40 else Decimal("NaN")
    except InvalidOperation:
        return Decimal("NaN")


# meters ----------------------------------------------------------------------------------------


def _place_unit_meter(meter: Meter, estate: Estate, unit_code: str | None) -> None:
    """Put a new meter on the unit of a code, refusing a second active meter of its kind."""
    kind = meter.kind
    code = (unit_code or "").strip()
    if not code:
        raise DomainError(_l("Please enter the unit number."), "unit_code")
    unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == estate.id,
                                                   Unit.code == code))
    if unit is None:
        raise DomainError(_l("There is no unit %(code)s in this estate.", code=code),
                          "unit_code")
    other = db.session.scalar(sa.select(Meter.number).where(
        Meter.unit_id == unit.id, Meter.kind == kind, Meter.active.is_(True)))
    if other:
        raise DomainError(_l("Unit %(code)s already has a meter of this kind (%(n)s).",
                             code=code, n=other), "unit_code")
    meter.unit_id = unit.id
    meter.building_id = unit.building_id


def _place_shared_meter(meter: Meter, estate: Estate, building_id: int | None,
                        apportion_basis: str, fee_item_id: int | None) -> None:
    """Make a new meter the shared meter of a building (or the estate), refusing a second one."""
    kind = meter.kind
    if building_id is not None:
        building = db.session.get(Building, building_id)
        if building is None or building.estate_id != estate.id:
            raise DomainError(_l("Choose a building of this estate."), "building_id")
    if apportion_basis not in APPORTION_BASES:
        raise DomainError(_l("Choose how the loss is split: by gross area or equally."),
                          "apportion_basis")
    if fee_item_id is not None:
        item = db.session.get(FeeItem, fee_item_id)
        if (item is None or item.estate_id != estate.id or item.method != "apportioned"
                or item.meter_kind not in (None, kind)):
            raise DomainError(_l("The fee item must be an apportioned item of this estate "
                                 "for the same kind of meter."), "fee_item_id")
    other = db.session.scalar(sa.select(Meter.number).where(
        Meter.estate_id == estate.id, Meter.shared.is_(True), Meter.kind == kind,
        Meter.active.is_(True),
        Meter.building_id == building_id if building_id is not None
        else Meter.building_id.is_(None)))
    if other:
        raise DomainError(_l("There is already a shared meter of this kind for this "
                             "building or estate (%(n)s).", n=other), "building_id")
    meter.building_id = building_id
    meter.apportion_basis = apportion_basis
    meter.fee_item_id = fee_item_id


@transactional
def create_meter(actor: User, estate: Estate, *, kind: str, number: str,
                 unit_code: str | None = None, shared: bool = False,
                 building_id: int | None = None, apportion_basis: str = "area",
                 fee_item_id: int | None = None, multiplier: Any = "1",
                 max_value: Any = "99999") -> Meter:
    """Add a unit's meter, or a shared meter of a building (or, without one, of the estate)."""
    if kind not in METER_KINDS:
        raise DomainError(_l("Choose water, electricity or gas."), "kind")
    number = unicodedata.normalize("NFKC", number or "").strip()
    if not number:
        raise DomainError(_l("Please enter the meter number."), "number")
    if len(number) > 32:
        raise DomainError(_l("The meter number must not be longer than 32 characters."), "number")
    if db.session.scalar(sa.select(Meter.id).where(Meter.estate_id == estate.id,
                                                   Meter.number == number)):
        raise DomainError(_l("Meter number %(n)s is already used in this estate.", n=number),
                          "number")
    meter = Meter(estate_id=estate.id, kind=kind, number=number, shared=bool(shared),
                  multiplier=_positive(multiplier, "multiplier", _l("The multiplier"),
                                       MAX_MULTIPLIER),
                  max_value=_positive(max_value, "max_value", _l("The dial's maximum"),
                                      MAX_DIAL))
    if not shared:
        _place_unit_meter(meter, estate, unit_code)
    else:
        _place_shared_meter(meter, estate, building_id, apportion_basis, fee_item_id)
    db.session.add(meter)
    db.session.flush()
    audit.record(actor, "create", meter, after=audit.snapshot(meter))
    return meter


def unit_meters(building_id: int, kind: str) -> list[tuple[Meter, str]]:
    """Return a building's active unit meters of a kind with their unit codes, in unit order."""
    return [(meter, code) for meter, code in db.session.execute(
        sa.select(Meter, Unit.code).join(Unit, Unit.id == Meter.unit_id)
        .where(Unit.building_id == building_id, Meter.kind == kind, Meter.active.is_(True),
               Meter.shared.is_(False))
        .order_by(Unit.entrance, Unit.floor, Unit.room))]


def id_chunks(ids: list[int], size: int = 500):
    """Yield ids in slices small enough for an IN clause."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
