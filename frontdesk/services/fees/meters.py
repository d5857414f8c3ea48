"""Meters and readings: consumption with rollover and replacement, shared-meter loss, year to
date; keeping meters, entering readings (one, a building's grid, or a file) and approving them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk import labels
from frontdesk.extensions import db
from frontdesk.models import (
    BillLine,
    Building,
    Estate,
    FeeItem,
    Meter,
    MeterReading,
    Unit,
    User,
)
from frontdesk.models.base import utcnow
from frontdesk.models.fees import METER_KINDS, READING_KINDS
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.periods import parse_period

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
# Keeping meters and entering readings: one service call is one transaction (see services/__init__).
# ------------------------------------------------------------------------------------------------

METER_KIND_LABELS = labels.METER_KIND_LABELS
#: the unit consumption is measured in, per kind of meter (a symbol, the same in every language)
METER_UNITS = {"water": "m³", "electricity": "kWh", "gas": "m³"}
READING_KIND_LABELS = labels.READING_KIND_LABELS
APPORTION_BASES = ("area", "equal")
APPORTION_LABELS = labels.APPORTION_LABELS
#: a dial's maximum must stay below this
MAX_DIAL = Decimal("10000000")
MAX_MULTIPLIER = Decimal("10000")
#: a consumption this large is a typing error, whatever the dial says
MAX_CONSUMPTION = Decimal("1000000000")
TWO_PLACES = Decimal("0.01")
#: readings, multipliers and dial maxima have at most two decimals, so that a consumption
#: (difference × multiplier) has at most four and is stored exactly
READING_PLACES = 2


def _number_text(value: Decimal) -> str:
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


def _future_error(period: str, current: str) -> DomainError:
    return DomainError(_l("%(period)s is in the future: readings can be entered up to the "
                          "current month (%(current)s).", period=period, current=current),
                       "period")


def parse_reading(value: Any, field: str = "value", label: Any = None, *,
                  max_value: Decimal | None = None) -> Decimal:
    """Return a reading typed as text: a number ≥ 0 with at most two decimals, up to the dial."""
    label = label or _l("The reading")
    if isinstance(value, Decimal):
        number = value
    else:
        text = unicodedata.normalize("NFKC", "" if value is None else str(value))
        text = text.strip().replace(",", "").replace(" ", "")
        if not text:
            raise DomainError(_l("%(label)s is required.", label=label), field)
        try:
            number = Decimal(text) if len(text) <= 40 else Decimal("NaN")
        except InvalidOperation:
            number = Decimal("NaN")
    if not number.is_finite():
        raise DomainError(_l("%(label)s must be a number, e.g. 1268.5.", label=label), field)
    if number < 0:
        raise DomainError(_l("%(label)s cannot be negative.", label=label), field)
    limit = MAX_DIAL if max_value is None else max_value
    if number > limit:
        raise DomainError(_l("%(label)s (%(value)s) is above the dial's maximum of %(max)s; "
                             "please check it.", label=label, value=_number_text(number),
                             max=_number_text(limit)), field)
    if number != number.quantize(TWO_PLACES):
        raise DomainError(_l("%(label)s may have at most two decimals.", label=label), field)
    return number.quantize(TWO_PLACES)


def _positive(value: Any, field: str, label: Any, limit: Decimal) -> Decimal:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
    text = text.replace(",", "")
    if not text:
        raise DomainError(_l("%(label)s is required.", label=label), field)
    try:
        number = Decimal(text) if len(text) <= 40 else Decimal("NaN")
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise DomainError(_l("%(label)s must be a number.", label=label), field)
    if number <= 0:
        raise DomainError(_l("%(label)s must be greater than 0.", label=label), field)
    if number >= limit:
        raise DomainError(_l("%(label)s must be below %(max)s.", label=label,
                             max=_number_text(limit)), field)
    if number != number.quantize(TWO_PLACES):
        raise DomainError(_l("%(label)s may have at most two decimals.", label=label), field)
    return number.quantize(TWO_PLACES)


# meters ----------------------------------------------------------------------------------------


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
    else:
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
    db.session.add(meter)
    db.session.flush()
    audit.record(actor, "create", meter, after=audit.snapshot(meter))
    return meter


# checking readings -----------------------------------------------------------------------------


@dataclass
class ReadingEntry:
    """A reading to record, as typed."""

    meter: Meter
    #: YYYY-MM, already parsed
    period: str
    value: Any
    kind: str = "normal"
    old_final: Any = None
    new_start: Any = None
    #: where it came from: a grid cell's meter id, a file's row number
    key: Any = None


@dataclass
class EntryError:
    key: Any
    #: the field the message belongs to: period, value, kind, old_final or new_start
    field: str
    message: Any


@dataclass
class _Plan:
    """A checked reading, ready to be written."""

    entry: ReadingEntry
    value: Decimal
    previous_value: Decimal | None
    consumption: Decimal
    old_final: Decimal | None
    flagged: bool
    existing: MeterReading | None


class ReadingsRefused(DomainError):
    """Some readings of a grid are wrong; ``errors`` maps each bad cell's meter id to why."""

    def __init__(self, errors: dict[int, Any]):
        super().__init__(_l("Readings with errors: %(num)s. Nothing has been saved; correct "
                            "them and save again.", num=len(errors)))
        self.errors = errors


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


@dataclass
class _Context:
    """What the database holds around one period for some meters, loaded in a few queries."""

    period: str
    existing: dict[int, MeterReading] = field(default_factory=dict)
    #: meter id → (period, value) of its last reading before the period
    previous: dict[int, tuple[str, Decimal]] = field(default_factory=dict)
    #: meter id → the first period after this one with a reading
    later: dict[int, str] = field(default_factory=dict)
    #: meter id → [(period, consumption)] of its last readings that had a previous one
    recent: dict[int, list[tuple[str, Decimal]]] = field(default_factory=dict)
    #: (unit id, meter kind) billed in the period on an item reading that kind of meter
    billed_units: set[tuple[int, str]] = field(default_factory=set)
    #: fee items billed in the period
    billed_items: set[int] = field(default_factory=set)


def _load_context(estate_id: int, meter_ids: list[int], period: str) -> _Context:
    ctx = _Context(period)
    for ids in _chunks(sorted(set(meter_ids))):
        for r in db.session.scalars(sa.select(MeterReading).where(
                MeterReading.meter_id.in_(ids), MeterReading.period == period)):
            ctx.existing[r.meter_id] = r
        last = (sa.select(MeterReading.meter_id, sa.func.max(MeterReading.period).label("p"))
                .where(MeterReading.meter_id.in_(ids), MeterReading.period < period)
                .group_by(MeterReading.meter_id).subquery())
        for meter_id, p, value in db.session.execute(
                sa.select(MeterReading.meter_id, MeterReading.period, MeterReading.value)
                .join(last, sa.and_(MeterReading.meter_id == last.c.meter_id,
                                    MeterReading.period == last.c.p))):
            ctx.previous[meter_id] = (p, value)
        ctx.later.update((meter_id, p) for meter_id, p in db.session.execute(
            sa.select(MeterReading.meter_id, sa.func.min(MeterReading.period))
            .where(MeterReading.meter_id.in_(ids), MeterReading.period > period)
            .group_by(MeterReading.meter_id)))
        rank = sa.func.row_number().over(partition_by=MeterReading.meter_id,
                                         order_by=MeterReading.period.desc()).label("rank")
        ranked = (sa.select(MeterReading.meter_id, MeterReading.period,
                            MeterReading.consumption, rank)
                  .where(MeterReading.meter_id.in_(ids), MeterReading.period < period,
                         MeterReading.previous_value.is_not(None)).subquery())
        for meter_id, p, used in db.session.execute(
                sa.select(ranked.c.meter_id, ranked.c.period, ranked.c.consumption)
                .where(ranked.c.rank <= AVERAGE_PERIODS)):
            ctx.recent.setdefault(meter_id, []).append((p, used))
    charged = sa.and_(BillLine.estate_id == estate_id, BillLine.period == period,
                      BillLine.kind == "charge")
    ctx.billed_units = {(unit_id, kind) for unit_id, kind in db.session.execute(
        sa.select(BillLine.unit_id, FeeItem.meter_kind).distinct()
        .join(FeeItem, FeeItem.id == BillLine.fee_item_id)
        .where(charged, FeeItem.meter_kind.is_not(None)))}
    ctx.billed_items = set(db.session.scalars(
        sa.select(BillLine.fee_item_id).distinct().where(charged)))
    return ctx


def _parse_entry(entry: ReadingEntry, current: str):
    meter = entry.meter
    if not meter.active:
        raise DomainError(_l("Meter %(n)s is no longer in use.", n=meter.number), "value")
    if entry.kind not in READING_KINDS:
        raise DomainError(_l("Choose normal, rollover or meter replacement."), "kind")
    if entry.period > current:
        raise _future_error(entry.period, current)
    value = parse_reading(entry.value, "value", max_value=meter.max_value)
    old_final = new_start = None
    if entry.kind == "replacement":
        old_final = parse_reading(entry.old_final, "old_final",
                                  _l("The old meter's final reading"),
                                  max_value=meter.max_value)
        new_start = parse_reading(entry.new_start, "new_start",
                                  _l("The new meter's start reading"),
                                  max_value=meter.max_value)
    return value, old_final, new_start


def _average(db_recent: list[tuple[str, Decimal]], batch: list[_Plan],
             period: str) -> Decimal | None:
    """Average consumption of the last periods before this one, counting the batch's own."""
    by_period = dict(db_recent)
    for plan in batch:
        if plan.entry.period < period and plan.previous_value is not None:
            by_period[plan.entry.period] = plan.consumption
    values = [by_period[p] for p in sorted(by_period, reverse=True)[:AVERAGE_PERIODS]]
    if not values:
        return None
    return sum(values, Decimal(0)) / len(values)


def _plan_one(entry: ReadingEntry, parsed, ctx: _Context, batch: list[_Plan]) -> _Plan:
    meter = entry.meter
    value, old_final, new_start = parsed
    if meter.id in ctx.later:
        raise DomainError(_l("Meter %(n)s already has a reading for a later period (%(later)s); "
                             "readings are entered in order of period.", n=meter.number,
                             later=ctx.later[meter.id]), "period")
    billed = (meter.fee_item_id in ctx.billed_items if meter.shared
              else (meter.unit_id, meter.kind) in ctx.billed_units)
    if billed:
        raise DomainError(_l("The bill for %(period)s has been posted: this meter's reading can "
                             "no longer be changed. Correct the bill with a credit note "
                             "instead.", period=entry.period), "period")
    previous = ctx.previous.get(meter.id)
    if batch and batch[-1].entry.period == entry.period:
        raise DomainError(_l("Meter %(n)s has two readings for %(period)s.", n=meter.number,
                             period=entry.period), "value")
    if batch and (previous is None or batch[-1].entry.period > previous[0]):
        previous = (batch[-1].entry.period, batch[-1].value)
    prev_value = previous[1] if previous else None
    stored_previous = prev_value
    if entry.kind == "normal":
        if prev_value is not None and value < prev_value:
            raise DomainError(_l(
                "The reading %(value)s is below the last one (%(previous)s in %(period)s). If "
                "the dial passed its maximum, record a rollover; if the meter was replaced, "
                "record a replacement (both on the meter's page).",
                value=_number_text(value), previous=_number_text(prev_value),
                period=previous[0]), "value")
    elif prev_value is None:
        raise DomainError(_l("A rollover or replacement needs an earlier reading of this "
                             "meter."), "kind")
    elif entry.kind == "rollover":
        if value >= prev_value:
            raise DomainError(_l("A rollover reading must be below the last one (%(previous)s).",
                                 previous=_number_text(prev_value)), "value")
    else:
        if old_final < prev_value:
            raise DomainError(_l("The old meter's final reading cannot be below its last reading "
                                 "(%(previous)s).", previous=_number_text(prev_value)),
                              "old_final")
        if value < new_start:
            raise DomainError(_l("The reading cannot be below the new meter's start reading "
                                 "(%(start)s).", start=_number_text(new_start)), "value")
        stored_previous = new_start
    try:
        used = consumption(prev_value, value, kind=entry.kind, max_value=meter.max_value,
                           multiplier=meter.multiplier, old_final=old_final, new_start=new_start)
    except ReadingError:
        raise DomainError(_l("These readings do not fit together; please check them."),
                          "value") from None
    if used >= MAX_CONSUMPTION:
        raise DomainError(_l("The consumption this reading gives (%(used)s) is implausibly "
                             "large; please check the reading.", used=_number_text(used)),
                          "value")
    average = _average(ctx.recent.get(meter.id, []), batch, entry.period)
    return _Plan(entry, value, stored_previous, used, old_final, is_unusual(used, average),
                 ctx.existing.get(meter.id))


def _plan(estate: Estate, entries: list[ReadingEntry],
          today: date | None) -> tuple[list[_Plan], list[EntryError]]:
    """Check readings against the database and each other; nothing is written."""
    current = current_period(estate, today)
    errors: list[EntryError] = []
    parsed = []
    for entry in entries:
        try:
            parsed.append((entry, _parse_entry(entry, current)))
        except DomainError as e:
            errors.append(EntryError(entry.key, e.field or "value", e.message))
    contexts: dict[str, _Context] = {}
    for period in sorted({entry.period for entry, _ in parsed}):
        ids = [entry.meter.id for entry, _ in parsed if entry.period == period]
        contexts[period] = _load_context(estate.id, ids, period)
    plans: list[_Plan] = []
    by_meter: dict[int, list[_Plan]] = {}
    for entry, values in sorted(parsed, key=lambda p: (p[0].meter.id, p[0].period)):
        batch = by_meter.setdefault(entry.meter.id, [])
        try:
            plan = _plan_one(entry, values, contexts[entry.period], batch)
        except DomainError as e:
            errors.append(EntryError(entry.key, e.field or "value", e.message))
            continue
        batch.append(plan)
        plans.append(plan)
    return plans, errors


def _write(actor: User | None, plans: list[_Plan]) -> tuple[int, list[dict]]:
    """Write checked readings (new ones in one statement); return how many, and what each
    re-entered one was before."""
    now = utcnow()
    actor_id = actor.id if actor else None
    new_rows, replaced = [], []
    for plan in plans:
        entry = plan.entry
        values = {"value": plan.value, "previous_value": plan.previous_value,
                  "consumption": plan.consumption, "kind": entry.kind,
                  "old_final_value": plan.old_final, "flagged": plan.flagged,
                  "entered_by_id": actor_id, "entered_at": now}
        reading = plan.existing
        if reading is None:
            new_rows.append({"estate_id": entry.meter.estate_id, "meter_id": entry.meter.id,
                             "period": entry.period, **values})
            continue
        changed = [k for k, v in values.items()
                   if k not in ("entered_by_id", "entered_at") and getattr(reading, k) != v]
        before = audit.snapshot(reading, changed)
        for key, value in values.items():
            setattr(reading, key, value)
        if changed:
            replaced.append({"meter": entry.meter.number, "period": entry.period,
                             "before": before, "after": audit.snapshot(reading, changed)})
            # a changed reading of a shared meter must be approved again, and a flagged one
            # reviewed again
            reading.approved_by_id = None
            reading.approved_at = None
            reading.reviewed_by_id = None
            reading.reviewed_at = None
    try:
        if new_rows:
            db.session.execute(sa.insert(MeterReading), new_rows)
        db.session.flush()
    except sa.exc.IntegrityError:
        # another user entered a reading of the same meter and period meanwhile
        raise DomainError(_l("Someone else entered readings of these meters at the same time; "
                             "nothing has been saved. Reload the page and check them.")) from None
    return len(plans), replaced


def _estate_of(obj) -> Estate:
    return db.session.get(Estate, obj.estate_id)


# recording readings ----------------------------------------------------------------------------


@transactional
def record_reading(actor: User, meter: Meter, period: Any, value: Any, kind: str = "normal",
                   old_final: Any = None, new_start: Any = None, *,
                   today: date | None = None) -> MeterReading:
    """Record a meter's reading for a period, or replace it while it is not billed.

    A reading below the last one is refused unless it is a rollover or a replacement; a
    consumption above three times the recent average is recorded and flagged for review.
    """
    estate = _estate_of(meter)
    period = parse_period(period, loose=True)
    entry = ReadingEntry(meter, period, value, kind, old_final, new_start)
    plans, errors = _plan(estate, [entry], today)
    if errors:
        raise DomainError(errors[0].message, errors[0].field)
    plan = plans[0]
    before = audit.snapshot(plan.existing) if plan.existing is not None else None
    _write(actor, plans)
    reading = plan.existing or db.session.scalars(sa.select(MeterReading).where(
        MeterReading.meter_id == meter.id, MeterReading.period == entry.period)).one()
    if before is None:
        audit.record(actor, "create", reading, after=audit.snapshot(reading))
    else:
        audit.record(actor, "update", reading, before=before, after=audit.snapshot(reading))
    return reading


@transactional
def approve_reading(actor: User, reading: MeterReading) -> MeterReading:
    """Approve a shared meter's reading so that its loss can be apportioned."""
    if not reading.meter.shared:
        raise DomainError(_l("Only readings of shared meters are approved."))
    if reading.approved_at is not None:
        raise DomainError(_l("This reading has already been approved."))
    before = audit.snapshot(reading)
    reading.approved_by_id = actor.id
    reading.approved_at = utcnow()
    audit.record(actor, "approve", reading, before=before, after=audit.snapshot(reading))
    return reading


@transactional
def review_reading(actor: User, reading: MeterReading) -> MeterReading:
    """Record that a flagged reading was checked and is right, so that it can be billed.

    A bill run holds the line of a flagged reading until it is reviewed; the next post of the
    period bills it.
    """
    if not reading.flagged:
        raise DomainError(_l("Only flagged readings are reviewed."))
    before = audit.snapshot(reading, ["reviewed_by_id", "reviewed_at"])
    claimed = db.session.execute(
        sa.update(MeterReading).where(MeterReading.id == reading.id,
                                      MeterReading.flagged.is_(True),
                                      MeterReading.reviewed_at.is_(None))
        .values(reviewed_by_id=actor.id, reviewed_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise DomainError(_l("This reading has already been reviewed."))
    db.session.refresh(reading)
    audit.record(actor, "review", reading, before=before,
                 after={**audit.snapshot(reading, ["reviewed_by_id", "reviewed_at"]),
                        "meter": reading.meter.number, "period": reading.period,
                        "consumption": str(reading.consumption)})
    return reading


def unit_meters(building_id: int, kind: str) -> list[tuple[Meter, str]]:
    """Return a building's active unit meters of a kind with their unit codes, in unit order."""
    return [(meter, code) for meter, code in db.session.execute(
        sa.select(Meter, Unit.code).join(Unit, Unit.id == Meter.unit_id)
        .where(Unit.building_id == building_id, Meter.kind == kind, Meter.active.is_(True),
               Meter.shared.is_(False))
        .order_by(Unit.entrance, Unit.floor, Unit.room))]


@transactional
def save_grid(actor: User, building: Building, kind: str, period: Any, cells: dict,
              today: date | None = None) -> int:
    """Record the readings typed into a building's grid, all or none; return how many.

    ``cells`` maps meter ids to what was typed; blank cells are skipped. If any cell is wrong,
    nothing is written and :class:`ReadingsRefused` says what is wrong with each.
    """
    estate = _estate_of(building)
    if kind not in METER_KINDS:
        raise DomainError(_l("Choose water, electricity or gas."), "kind")
    period = parse_period(period, loose=True)
    current = current_period(estate, today)
    if period > current:
        raise _future_error(period, current)
    meters = {m.id: m for m, _code in unit_meters(building.id, kind)}
    entries = []
    for key, raw in cells.items():
        try:
            meter = meters.get(int(key))
        except (TypeError, ValueError):
            meter = None
        if meter is None:
            raise DomainError(_l("The list of meters has changed; reload the page and enter the "
                                 "readings again."))
        if raw is None or not str(raw).strip():
            continue
        entries.append(ReadingEntry(meter, period, str(raw), key=meter.id))
    if not entries:
        raise DomainError(_l("Enter at least one reading."))
    plans, errors = _plan(estate, entries, today)
    if errors:
        raise ReadingsRefused({e.key: e.message for e in errors})
    _, replaced = _write(actor, plans)
    audit.record(actor, "grid_entry", object_type="meter_reading", estate_id=estate.id,
                 after={"building": building.number, "kind": kind, "period": period,
                        "readings": len(plans), "replaced": replaced})
    return len(plans)


# reading pages ---------------------------------------------------------------------------------


@dataclass
class GridRow:
    meter: Meter
    unit_code: str
    #: (period, value) of the last reading before the grid's period
    previous: tuple[str, Decimal] | None
    #: the reading already recorded for the grid's period
    current: MeterReading | None

    @property
    def current_text(self) -> str:
        return _number_text(self.current.value) if self.current is not None else ""


def grid_rows(building: Building, kind: str, period: str) -> list[GridRow]:
    """Return the rows of a building's reading grid for a kind and period."""
    meters = unit_meters(building.id, kind)
    ctx = _load_context(building.estate_id, [m.id for m, _ in meters], period)
    return [GridRow(m, code, ctx.previous.get(m.id), ctx.existing.get(m.id))
            for m, code in meters]


@dataclass
class MeterRow:
    meter: Meter
    label: str
    last: MeterReading | None


def meters_of_building(building_id: int, kind: str | None = None) -> list[MeterRow]:
    """Return a building's unit meters (of a kind) with their last reading."""
    q = (sa.select(Meter, Unit.code).join(Unit, Unit.id == Meter.unit_id)
         .where(Unit.building_id == building_id, Meter.shared.is_(False)))
    if kind:
        q = q.where(Meter.kind == kind)
    rows = db.session.execute(q.order_by(Unit.entrance, Unit.floor, Unit.room, Meter.kind)).all()
    return [MeterRow(m, code, last) for (m, code), last in
            zip(rows, _last_readings([m.id for m, _ in rows]), strict=True)]


def _last_readings(meter_ids: list[int]) -> list[MeterReading | None]:
    found: dict[int, MeterReading] = {}
    for ids in _chunks(meter_ids):
        last = (sa.select(MeterReading.meter_id, sa.func.max(MeterReading.period).label("p"))
                .where(MeterReading.meter_id.in_(ids)).group_by(MeterReading.meter_id)
                .subquery())
        for r in db.session.scalars(sa.select(MeterReading).join(
                last, sa.and_(MeterReading.meter_id == last.c.meter_id,
                              MeterReading.period == last.c.p))):
            found[r.meter_id] = r
    return [found.get(i) for i in meter_ids]


def building_meter_counts(estate_id: int) -> list[tuple[Building, dict[str, int]]]:
    """Return the estate's buildings with how many unit meters of each kind they have."""
    counts: dict[int, dict[str, int]] = {}
    for building_id, kind, n in db.session.execute(
            sa.select(Unit.building_id, Meter.kind, sa.func.count())
            .join(Unit, Unit.id == Meter.unit_id)
            .where(Meter.estate_id == estate_id, Meter.active.is_(True))
            .group_by(Unit.building_id, Meter.kind)):
        counts.setdefault(building_id, {})[kind] = n
    buildings = db.session.scalars(sa.select(Building).where(Building.estate_id == estate_id)
                                   .order_by(Building.sort_key, Building.number))
    return [(b, counts.get(b.id, {})) for b in buildings]


def meter_label(meter: Meter) -> str:
    """Return what a meter measures: its unit's code, its building, or the estate."""
    if meter.unit_id is not None:
        return db.session.scalar(sa.select(Unit.code).where(Unit.id == meter.unit_id)) or ""
    if meter.building_id is not None:
        building = db.session.get(Building, meter.building_id)
        return str(_l("Shared · %(b)s", b=building.label))
    return str(_l("Shared · whole estate"))


def user_names(ids) -> dict[int, str]:
    """Return the full names of users by id."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {user_id: name for user_id, name in db.session.execute(
        sa.select(User.id, User.full_name).where(User.id.in_(ids)))}


@dataclass
class SharedRow:
    """A shared meter's period: its consumption, its sub-meters' and the loss to apportion."""

    reading: MeterReading
    #: sum of the sub-meters' consumption in the period
    sub_total: Decimal
    #: sub-meters read in the period, and how many there are
    sub_read: int
    sub_count: int
    #: shared consumption − sub_total; from shared_loss() once approved
    loss: Decimal

    @property
    def approved(self) -> bool:
        return self.reading.approved_at is not None


def shared_rows(meter: Meter, limit: int = 24) -> list[SharedRow]:
    """Return a shared meter's latest periods with the loss of each (provisional until approved)."""
    readings = list(db.session.scalars(
        sa.select(MeterReading).where(MeterReading.meter_id == meter.id)
        .order_by(MeterReading.period.desc()).limit(limit)))
    return _shared_rows(meter, readings)


def _shared_rows(meter: Meter, readings: list[MeterReading]) -> list[SharedRow]:
    if not readings:
        return []
    subs = sub_meter_filter(meter)
    sub_count = db.session.scalar(sa.select(sa.func.count()).select_from(
        sub_meter_filter(meter).where(Meter.active.is_(True)).subquery()))
    totals = {p: (total, n) for p, total, n in db.session.execute(
        sa.select(MeterReading.period, sa.func.sum(MeterReading.consumption), sa.func.count())
        .where(MeterReading.meter_id.in_(subs),
               MeterReading.period.in_([r.period for r in readings]))
        .group_by(MeterReading.period))}
    rows = []
    for reading in readings:
        total, n = totals.get(reading.period, (Decimal(0), 0))
        total = total or Decimal(0)
        loss = reading.consumption - total
        if reading.approved_at is not None:
            figures = shared_loss(meter, reading.period)
            if figures is not None:
                _used, total, loss = figures
        rows.append(SharedRow(reading, total, n, sub_count or 0, loss))
    return rows


def shared_meters(estate_id: int) -> list[tuple[Meter, str, list[SharedRow]]]:
    """Return the estate's shared meters, each with its label and latest periods."""
    meters = db.session.scalars(sa.select(Meter).where(Meter.estate_id == estate_id,
                                                       Meter.shared.is_(True))
                                .order_by(Meter.kind, Meter.number))
    return [(m, meter_label(m), shared_rows(m, limit=6)) for m in meters]


def awaiting_approval(estate_id: int) -> list[tuple[Meter, str, SharedRow]]:
    """Return the shared meters' readings not yet approved, oldest period first."""
    readings = db.session.scalars(
        sa.select(MeterReading).join(Meter, Meter.id == MeterReading.meter_id)
        .where(MeterReading.estate_id == estate_id, Meter.shared.is_(True),
               MeterReading.approved_at.is_(None))
        .order_by(MeterReading.period, Meter.number))
    result = []
    for reading in readings:
        meter = reading.meter
        (row,) = _shared_rows(meter, [reading])
        result.append((meter, meter_label(meter), row))
    return result


def flagged_readings(estate_id: int, page: int = 1, per_page: int = 50):
    """Return a page of flagged readings, those waiting for review first, latest period first."""
    q = (sa.select(MeterReading).where(MeterReading.estate_id == estate_id,
                                       MeterReading.flagged.is_(True))
         .order_by(MeterReading.reviewed_at.is_not(None), MeterReading.period.desc(),
                   MeterReading.id.desc()))
    return db.paginate(q, page=page, per_page=per_page, error_out=False)


def unit_codes(unit_ids) -> dict[int, str]:
    ids = {i for i in unit_ids if i}
    if not ids:
        return {}
    return {unit_id: code for unit_id, code in db.session.execute(
        sa.select(Unit.id, Unit.code).where(Unit.id.in_(ids)))}


def apportioned_items(estate_id: int) -> list[FeeItem]:
    """Return the estate's apportioned fee items, for a shared meter to be billed under."""
    return list(db.session.scalars(sa.select(FeeItem).where(
        FeeItem.estate_id == estate_id, FeeItem.method == "apportioned",
        FeeItem.active.is_(True)).order_by(FeeItem.code)))
