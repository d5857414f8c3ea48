"""Readings: checking and recording them (one, or a building's grid), approving a shared
meter's reading and reviewing a flagged one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import BillLine, Building, Estate, FeeItem, Meter, MeterReading, User
from frontdesk.models.base import utcnow
from frontdesk.models.fees import METER_KINDS, READING_KINDS
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees.meters import (
    AVERAGE_PERIODS,
    ReadingError,
    consumption,
    current_period,
    id_chunks,
    is_unusual,
    number_text,
    parse_reading,
    unit_meters,
)
from frontdesk.services.periods import parse_period

#: a consumption this large is a typing error, whatever the dial says
MAX_CONSUMPTION = Decimal("1000000000")


def _future_error(period: str, current: str) -> DomainError:
    return DomainError(_l("%(period)s is in the future: readings can be entered up to the "
                          "current month (%(current)s).", period=period, current=current),
                       "period")


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
class ReadingPlan:
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


@dataclass
class PeriodContext:
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


def period_context(estate_id: int, meter_ids: list[int], period: str) -> PeriodContext:
    """Load what the database holds around a period for some meters (see PeriodContext)."""
    ctx = PeriodContext(period)
    for ids in id_chunks(sorted(set(meter_ids))):
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


def _average(db_recent: list[tuple[str, Decimal]], batch: list[ReadingPlan],
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


def _check_order(kind: str, value: Decimal, old_final: Decimal | None,
                 new_start: Decimal | None, previous: tuple[str, Decimal] | None) -> Decimal | None:
    """Refuse a reading out of order with the last one; return the previous value to store."""
    prev_value = previous[1] if previous else None
    stored_previous = prev_value
    if kind == "normal":
        if prev_value is not None and value < prev_value:
            raise DomainError(_l(
                "The reading %(value)s is below the last one (%(previous)s in %(period)s). If "
                "the dial passed its maximum, record a rollover; if the meter was replaced, "
                "record a replacement (both on the meter's page).",
                value=number_text(value), previous=number_text(prev_value),
                period=previous[0]), "value")
    elif prev_value is None:
        raise DomainError(_l("A rollover or replacement needs an earlier reading of this "
                             "meter."), "kind")
    elif kind == "rollover":
        if value >= prev_value:
            raise DomainError(_l("A rollover reading must be below the last one (%(previous)s).",
                                 previous=number_text(prev_value)), "value")
    else:
        if old_final < prev_value:
            raise DomainError(_l("The old meter's final reading cannot be below its last reading "
                                 "(%(previous)s).", previous=number_text(prev_value)),
                              "old_final")
        if value < new_start:
            raise DomainError(_l("The reading cannot be below the new meter's start reading "
                                 "(%(start)s).", start=number_text(new_start)), "value")
        stored_previous = new_start
    return stored_previous


def _plan_one(entry: ReadingEntry, parsed, ctx: PeriodContext,
              batch: list[ReadingPlan]) -> ReadingPlan:
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
    stored_previous = _check_order(entry.kind, value, old_final, new_start, previous)
    try:
        used = consumption(prev_value, value, kind=entry.kind, max_value=meter.max_value,
                           multiplier=meter.multiplier, old_final=old_final, new_start=new_start)
    except ReadingError:
        raise DomainError(_l("These readings do not fit together; please check them."),
                          "value") from None
    if used >= MAX_CONSUMPTION:
        raise DomainError(_l("The consumption this reading gives (%(used)s) is implausibly "
                             "large; please check the reading.", used=number_text(used)),
                          "value")
    average = _average(ctx.recent.get(meter.id, []), batch, entry.period)
    return ReadingPlan(entry, value, stored_previous, used, old_final,
                       is_unusual(used, average), ctx.existing.get(meter.id))


def plan_readings(estate: Estate, entries: list[ReadingEntry],
                  today: date | None) -> tuple[list[ReadingPlan], list[EntryError]]:
    """Check readings against the database and each other; nothing is written."""
    current = current_period(estate, today)
    errors: list[EntryError] = []
    parsed = []
    for entry in entries:
        try:
            parsed.append((entry, _parse_entry(entry, current)))
        except DomainError as e:
            errors.append(EntryError(entry.key, e.field or "value", e.message))
    contexts: dict[str, PeriodContext] = {}
    for period in sorted({entry.period for entry, _ in parsed}):
        ids = [entry.meter.id for entry, _ in parsed if entry.period == period]
        contexts[period] = period_context(estate.id, ids, period)
    plans: list[ReadingPlan] = []
    by_meter: dict[int, list[ReadingPlan]] = {}
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


def write_readings(actor: User | None, plans: list[ReadingPlan]) -> tuple[int, list[dict]]:
    """Write checked readings (new ones in one statement); return how many, and what each
    re-entered one was before. It joins the caller's transaction (the import of a file uses it)."""
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
    plans, errors = plan_readings(estate, [entry], today)
    if errors:
        raise DomainError(errors[0].message, errors[0].field)
    plan = plans[0]
    before = audit.snapshot(plan.existing) if plan.existing is not None else None
    write_readings(actor, plans)
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
    plans, errors = plan_readings(estate, entries, today)
    if errors:
        raise ReadingsRefused({e.key: e.message for e in errors})
    _, replaced = write_readings(actor, plans)
    audit.record(actor, "grid_entry", object_type="meter_reading", estate_id=estate.id,
                 after={"building": building.number, "kind": kind, "period": period,
                        "readings": len(plans), "replaced": replaced})
    return len(plans)
