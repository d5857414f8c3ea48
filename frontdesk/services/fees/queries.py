"""Page data of meters and readings: the reading grid, a building's meters, shared meters and
their loss, readings waiting for approval or review."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Building, FeeItem, Meter, MeterReading, Unit, User
from frontdesk.services.fees.meters import (
    id_chunks,
    number_text,
    recent_average,
    shared_loss,
    sub_meter_filter,
    unit_meters,
)
from frontdesk.services.fees.readings import period_context

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
        return number_text(self.current.value) if self.current is not None else ""


def grid_rows(building: Building, kind: str, period: str) -> list[GridRow]:
    """Return the rows of a building's reading grid for a kind and period."""
    meters = unit_meters(building.id, kind)
    ctx = period_context(building.estate_id, [m.id for m, _ in meters], period)
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
    for ids in id_chunks(meter_ids):
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


def _by_id(id_column, value_column, ids) -> dict:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(id_column, value_column)
                                   .where(id_column.in_(ids))).all())


def user_names(ids) -> dict[int, str]:
    """Return the full names of users by id."""
    return _by_id(User.id, User.full_name, ids)


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

    @property
    def loss_below_zero(self) -> bool:
        """Tell whether the sub-meters measured more than the shared meter (shown in red)."""
        return self.loss < 0


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


@dataclass
class FlaggedPage:
    """A page of flagged readings with what the list shows beside each."""

    page: Any
    #: meter id → what the meter measures
    labels: dict[int, str]
    #: reading id → the meter's recent average, to the reading's decimals, or None
    averages: dict[int, Decimal | None]
    #: user id → full name of those who reviewed
    names: dict[int, str]


def flagged_page(estate_id: int, page: int = 1, per_page: int = 50) -> FlaggedPage:
    """Return a page of flagged readings with their meters' labels and recent averages."""
    found = flagged_readings(estate_id, page, per_page)
    averages = {}
    for r in found.items:
        average = recent_average(r.meter_id, r.period)
        averages[r.id] = average.quantize(r.consumption) if average is not None else None
    return FlaggedPage(found, {m.id: meter_label(m) for m in {r.meter for r in found.items}},
                       averages, user_names({r.reviewed_by_id for r in found.items}))


@dataclass
class MeterPage:
    """A meter's page: what it measures, its readings (latest first) and who entered them."""

    label: str
    #: (reading, its shared row: the sub-meters and the loss, or None for a unit's meter)
    rows: list[tuple[MeterReading, SharedRow | None]]
    #: the shared rows of a shared meter, None for a unit's meter
    shared: list[SharedRow] | None
    #: user id → full name of those who entered, approved or reviewed
    names: dict[int, str]


def meter_page(meter: Meter) -> MeterPage:
    """Return a meter's label, its readings latest first (with the loss of a shared meter)."""
    shared = shared_rows(meter) if meter.shared else None
    if shared is not None:
        rows = [(row.reading, row) for row in shared]
    else:
        rows = [(reading, None) for reading in meter.readings[::-1]]
    readings = [reading for reading, _row in rows]
    names = user_names({r.entered_by_id for r in readings} | {r.approved_by_id for r in readings}
                       | {r.reviewed_by_id for r in readings})
    return MeterPage(meter_label(meter), rows, shared, names)


def unit_codes(unit_ids) -> dict[int, str]:
    """Return the codes of units by id."""
    return _by_id(Unit.id, Unit.code, unit_ids)


def apportioned_items(estate_id: int) -> list[FeeItem]:
    """Return the estate's apportioned fee items, for a shared meter to be billed under."""
    return list(db.session.scalars(sa.select(FeeItem).where(
        FeeItem.estate_id == estate_id, FeeItem.method == "apportioned",
        FeeItem.active.is_(True)).order_by(FeeItem.code)))
