"""A bill run's arithmetic: the data of a period and scope, read in bulk, and the lines it bills.

A run reads the lines already billed and the tariffs once, then the scope's units and their
meters (with the period's readings and the year's earlier use) as two streamed queries in
building order, and computes a chunk of buildings (about CHUNK_UNITS units) at a time: memory
follows the chunk, not the estate, and there is no query per unit or per building. A preview
keeps every line; a post hands each chunk's lines to be written and lets them go. A line
computed from a flagged reading that nobody has reviewed yet is held: listed as a problem, never
posted. Shared meters' losses are apportioned in :mod:`shares`.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

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
)
from frontdesk.money import quantize_money
from frontdesk.services.fees import shares, tariffs
from frontdesk.services.fees.bill_preview import Line, Preview, Problem
from frontdesk.services.fees.calc import (
    accrual_months,
    area_charge,
    fmt,
    next_period,
    period_bounds,
    tiered_charge,
)

VACANT = "空置"
#: units of consumption shown in explanations
KIND_UNITS = labels.METER_UNITS
MAX_EXPLANATION = 300
ZERO = Decimal("0.00")
NOTHING = Decimal(0)

Progress = Callable[[int, int], None]
#: takes the new lines of some buildings, which the plan then lets go (a post writes them)
Sink = Callable[[list[Line]], None]
#: units loaded and computed at a time: a run's memory follows this, not the estate's size
CHUNK_UNITS = 2000
#: rows fetched at a time from the units and meters queries
STREAM_ROWS = 2000
#: what a line computation returns when no tariff is in force for the unit
NO_TARIFF = object()


@dataclass(frozen=True, slots=True)
class _Held:
    """A line computed from flagged readings nobody has reviewed: (meter, reading) ids."""

    charge: tuple
    readings: tuple


def due_date(period: str, item: FeeItem | _Item) -> date:
    """Return the day of the period's month by which an item's bill is due."""
    return date(int(period[:4]), int(period[5:7]), item.due_day or 15)

# formatting -------------------------------------------------------------------------------------

def _num(value: Decimal) -> str:
    """Show a meter reading without needless decimals: 1,268 or 1,268.5."""
    return f"{value.normalize():,f}"

def clip(text: str) -> str:
    """Cut an explanation to the length a bill line holds."""
    return text if len(text) <= MAX_EXPLANATION else text[: MAX_EXPLANATION - 1] + "…"

# the computation --------------------------------------------------------------------------------

@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the length of a run.

    A run allocates a few objects per unit and line, freed by reference counting when their
    chunk is done; meanwhile each full collection would walk the whole heap of the app, which
    cost a third of a run's time. A run creates no cycles of its own to collect.
    """
    if not gc.isenabled():  # already paused (a run in another thread)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _rows(statement):
    """Run a select of plain columns on the session's connection (no ORM row machinery)."""
    return db.session.connection().execute(statement).all()

@dataclass(frozen=True, slots=True)
class _Item:
    """A fee item's settings as plain values (read once, used for every unit)."""

    id: int
    code: str
    name: str
    method: str
    area_basis: str
    meter_kind: str | None
    tier_mode: str
    vacancy_discount: Decimal
    cycle_months: int
    due_day: int
    #: the unit of consumption shown in explanations (m³, kWh)
    unit_label: str

    @classmethod
    def of(cls, item: FeeItem) -> _Item:
        return cls(item.id, item.code, item.name, item.method, item.area_basis or "gross",
                   item.meter_kind, item.tier_mode or "none",
                   item.vacancy_discount or Decimal(0), max(1, item.cycle_months or 1),
                   item.due_day or 15, KIND_UNITS.get(item.meter_kind or "", ""))

@dataclass(slots=True)
class _Unit:
    """A unit's columns that bills depend on (plain attributes: read several times a line)."""

    id: int
    code: str
    building_id: int
    gross_area: Decimal | None
    inner_area: Decimal | None
    status: str
    handover_date: date | None


_UNIT_COLUMNS = (Unit.id, Unit.code, Unit.building_id, Unit.gross_area, Unit.inner_area,
                 Unit.status, Unit.handover_date)


@dataclass(slots=True)
class _Meter:
    """A unit meter with its reading of the period (``meter_id`` None when it has none)."""

    #: its unit's
    building_id: int
    id: int
    unit_id: int
    kind: str
    number: str
    multiplier: Decimal
    active: bool
    meter_id: int | None
    value: Decimal | None
    previous_value: Decimal | None
    consumption: Decimal | None
    reading_kind: str | None
    reading_id: int | None
    #: flagged and not reviewed: the line is held
    unreviewed: bool | None
    #: the consumption of the year's earlier periods, for annual tiers
    ytd: Decimal | None = None


@dataclass(frozen=True, slots=True)
class _Rate:
    """A tariff's price and tiers as plain values."""

    id: int
    price: Decimal
    tiers: tuple

@dataclass(slots=True)
class _Chunk:
    """The units of some buildings and what their lines are computed from."""

    units_by_building: dict[int, list[_Unit]]
    #: (unit id, kind) → [a meter with its reading; meter_id None when it has none]
    unit_meters: dict[tuple[int, str], list[_Meter]]
    #: (unit id, kind) → the consumption of the year's earlier periods
    ytd: dict[tuple[int, str], Decimal]
    #: (unit id, item id) → [(share, quantity, price, explanation)] of shared meters
    shares: dict[tuple[int, int], list]


class _ByBuilding:
    """The rows of a query ordered by building, one building at a time."""

    def __init__(self, result: sa.Result, key: int):
        self._result = result
        self._key = key
        self._batches = result.partitions()
        self._rows: list = []
        self._at = 0

    def take(self, building_id: int) -> list:
        """Return the rows of a building; buildings are asked for in the query's order."""
        out: list = []
        key = self._key
        while True:
            rows, at = self._rows, self._at
            end = len(rows)
            start = at
            while at < end and rows[at][key] == building_id:
                at += 1
            out += rows[start:at]
            self._at = at
            if at < end:
                return out
            self._rows = next(self._batches, None) or []
            self._at = 0
            if not self._rows:
                return out

    def close(self) -> None:
        self._result.close()


class Plan:
    """The data of one preview, loaded in bulk a chunk of buildings at a time, and the
    per-method computations."""

    def __init__(self, estate: Estate, period: str, building: Building | None,
                 keep: int | None = None):
        self.estate = estate
        self.period = period
        self.building = building
        self.first, self.last = period_bounds(period)
        self.book = tariffs.TariffBook(estate.id, self.first)
        fee_items = list(db.session.scalars(
            sa.select(FeeItem).where(FeeItem.estate_id == estate.id, FeeItem.active.is_(True))
            .order_by(FeeItem.code, FeeItem.id)))
        self.items = [_Item.of(i) for i in fee_items]
        self._rates: dict[tariffs.Tariff, _Rate] = {}
        bq = sa.select(Building).where(Building.estate_id == estate.id)
        if building is not None:
            bq = bq.where(Building.id == building.id)
        self.buildings = list(db.session.scalars(bq.order_by(Building.sort_key, Building.id)))
        self.preview = Preview(estate.id, period, building.id if building else None,
                               fee_items, self.buildings, keep=keep)
        self._area_cache: dict[tuple, object] = {}
        #: (handover date, cycle) → the days accrued each month, None when none are
        self._days: dict[tuple, tuple[tuple[int, int], ...] | None] = {}
        self._tier_cache: dict[tuple, object] = {}
        self._unit_tariffs = self.book.items_with_unit_tariffs()
        self._building_rates: dict[tuple[int, int], _Rate | None] = {}
        self._kinds = {i.meter_kind for i in self.items if i.method == "metered" and i.meter_kind}
        self._annual = {i.meter_kind for i in self.items
                        if i.method == "metered" and i.tier_mode == "annual"}
        sizes = sa.select(Unit.building_id, sa.func.count()).where(
            Unit.estate_id == estate.id).group_by(Unit.building_id)
        if building is not None:
            sizes = sizes.where(Unit.building_id == building.id)
        #: building id → how many units it has
        self.sizes = dict(_rows(sizes))
        self.shared = shares.SharedMeters(self)
        self._load_billed()

    # loading, a chunk of buildings at a time -----------------------------------------------------

    def chunks(self) -> Iterator[list[Building]]:
        """Yield the buildings in order, grouped into chunks of about CHUNK_UNITS units."""
        chunk: list[Building] = []
        size = 0
        for b in self.buildings:
            n = self.sizes.get(b.id, 0)
            if chunk and size + n > CHUNK_UNITS:
                yield chunk
                chunk, size = [], 0
            chunk.append(b)
            size += n
        if chunk:
            yield chunk

    def open(self) -> None:
        """Start the two queries a run reads as it goes: the scope's units and unit meters
        (with their readings and the year's earlier use), both in building order, streamed."""
        conn = db.session.connection()
        streamed = {"stream_results": True, "yield_per": STREAM_ROWS}
        in_order = (Building.sort_key, Building.id)
        uq = (sa.select(*_UNIT_COLUMNS).join(Building, Building.id == Unit.building_id)
              .where(Unit.estate_id == self.estate.id))
        if self.building is not None:
            uq = uq.where(Unit.building_id == self.building.id)
        self._units = _ByBuilding(conn.execute(uq.order_by(*in_order, Unit.code),
                                               execution_options=streamed), 2)
        self._meters = None
        if not self._kinds:
            return
        r = MeterReading
        columns = [Unit.building_id, Meter.id, Meter.unit_id, Meter.kind, Meter.number,
                   Meter.multiplier, Meter.active, r.meter_id, r.value, r.previous_value,
                   r.consumption, r.kind, r.id,
                   sa.and_(r.flagged.is_(True), r.reviewed_at.is_(None))]
        annual = self._annual if self.period[5:7] != "01" else set()
        if annual:
            # the same sum as meters.year_to_date, meter by meter (its unique index)
            before = aliased(MeterReading)
            used = (sa.select(sa.func.sum(before.consumption))
                    .where(before.meter_id == Meter.id,
                           before.period >= f"{self.period[:4]}-01",
                           before.period < self.period)
                    .scalar_subquery())
            columns.append(sa.case((Meter.kind.in_(annual), used)))
        mq = (sa.select(*columns)
              .join(Unit, Unit.id == Meter.unit_id)
              .join(Building, Building.id == Unit.building_id)
              .outerjoin(r, sa.and_(r.meter_id == Meter.id, r.period == self.period))
              .where(Meter.estate_id == self.estate.id, Meter.shared.is_(False),
                     Meter.kind.in_(self._kinds)))
        if self.building is not None:
            mq = mq.where(Unit.building_id == self.building.id)
        self._meters = _ByBuilding(conn.execute(mq.order_by(*in_order, Meter.id),
                                                execution_options=streamed), 0)

    def close(self) -> None:
        for stream in (self._units, self._meters):
            if stream is not None:
                stream.close()

    def load(self, buildings: list[Building]) -> _Chunk:
        """Take the units of the next buildings, with their meters, from the open queries."""
        chunk = _Chunk({}, defaultdict(list), {}, {})
        unit_meters, ytd = chunk.unit_meters, chunk.ytd
        for b in buildings:
            chunk.units_by_building[b.id] = [_Unit(*row) for row in self._units.take(b.id)]
            if self._meters is None:
                continue
            for row in self._meters.take(b.id):
                m = _Meter(*row)
                key = (m.unit_id, m.kind)
                unit_meters[key].append(m)
                if m.ytd is not None:
                    ytd[key] = ytd.get(key, NOTHING) + m.ytd
        chunk.shares = self.shared.pieces(buildings, chunk.units_by_building)
        return chunk

    def use(self, chunk: _Chunk) -> None:
        """Compute the next lines from a loaded chunk."""
        self.units_by_building = chunk.units_by_building
        self.unit_meters = chunk.unit_meters
        self.ytd = chunk.ytd
        self.shares = chunk.shares

    def _load_billed(self) -> None:
        """Read which lines of the period the scope's units have, before a post adds any.

        Read once for the whole scope: a post's own inserts would make a query per chunk see
        a table that has grown since its statistics were taken. Kept as a bit mask of fee
        items per unit, a few bytes a unit.
        """
        bits = {item.id: 1 << n for n, item in enumerate(self.items)}
        q = sa.select(BillLine.unit_id, BillLine.fee_item_id).where(
            BillLine.estate_id == self.estate.id, BillLine.period == self.period,
            BillLine.kind == "charge")
        if self.building is not None:
            q = q.join(Unit, Unit.id == BillLine.unit_id).where(
                Unit.building_id == self.building.id)
        #: unit id → a bit per fee item (1 << its position in self.items) already billed
        self.billed: dict[int, int] = {}
        billed = self.billed
        for unit_id, item_id in _rows(q):
            bit = bits.get(item_id)
            if bit:
                billed[unit_id] = billed.get(unit_id, 0) | bit

    def rate(self, tariff) -> _Rate | None:
        if tariff is None:
            return None
        rate = self._rates.get(tariff)
        if rate is None:
            rate = self._rates[tariff] = _Rate(tariff.id, tariff.price,
                                               tuple(tariffs.tiers_of(tariff)))
        return rate

    def _unit_rate(self, item: _Item, unit) -> _Rate | None:
        if item.id in self._unit_tariffs:  # some unit has a tariff of its own
            return self.rate(self.book.for_unit(item.id, unit))
        key = (item.id, unit.building_id)
        try:
            return self._building_rates[key]
        except KeyError:
            rate = self._building_rates[key] = self.rate(
                self.book.for_building(item.id, unit.building_id))
            return rate

    def problem(self, kind: str, where: str, item: _Item, message, **ids) -> None:
        self.preview.add_problem(Problem(kind, where, item.name, message, **ids))

    # one line per method ---------------------------------------------------------------------

    def _window(self, item: _Item) -> tuple[date, date, int] | None:
        """Return the days an item's bill covers, or None when its cycle does not start now."""
        cycle = item.cycle_months
        if cycle == 1 or item.method not in ("area", "fixed"):
            return self.first, self.last, 1
        if (int(self.period[5:7]) - 1) % cycle:
            return None
        return self.first, period_bounds(next_period(self.period, cycle - 1))[1], cycle

    def _area_line(self, unit, item: _Item, window) -> tuple | None:
        last, cycle = window[1], window[2]
        handover = unit.handover_date
        if handover is None or handover > last:
            return None
        area = unit.gross_area if item.area_basis != "inner" else unit.inner_area
        if not area:
            self.problem("no_area", unit.code, item,
                          _l("No inner area recorded.") if item.area_basis == "inner"
                          else _l("No gross area recorded."))
            return None
        tariff = self._unit_rate(item, unit)
        if tariff is None:
            return NO_TARIFF
        discount = item.vacancy_discount if unit.status == VACANT else NOTHING
        # each month of the cycle prorated by its own days, as the monthly bills would be
        try:
            days = self._days[(handover, cycle)]
        except KeyError:
            days = accrual_months(self.period, cycle, handover)
            if not any(used for used, _total in days):
                days = None
            self._days[(handover, cycle)] = days
        if days is None:  # no day of the cycle accrues
            return None
        key = (area, tariff.price, days, discount)
        charge = self._area_cache.get(key)
        if charge is None:
            c = area_charge(area, tariff.price, days, discount)
            charge = self._area_cache[key] = (c.quantity, c.price, c.amount, c.explanation)
        return charge

    def _metered_line(self, unit, item: _Item, window=None) -> tuple | None:
        kind = item.meter_kind
        unit_meters = self.unit_meters.get((unit.id, kind))
        if not unit_meters:
            return None  # the unit has no meter of this kind: nothing to bill
        if len(unit_meters) == 1:  # the usual case: one meter, one reading
            single = unit_meters[0]
            if single.meter_id is None:
                missing = [single.number] if single.active else []
            else:
                missing = None
                consumption = single.consumption
                unreviewed = single.unreviewed
        else:
            found = [m for m in unit_meters if m.meter_id is not None]
            missing = [m.number for m in unit_meters if m.active and m.meter_id is None] or None
            consumption = sum((m.consumption for m in found), Decimal(0))
            single = found[0] if len(found) == 1 else None
            unreviewed = any(m.unreviewed for m in found)
        if missing is not None:
            if missing:
                self.problem("missing_reading", unit.code, item, _l(
                    "No reading of meter %(meters)s for %(period)s.",
                    meters="、".join(missing), period=self.period))
            return None
        if consumption <= 0:
            return None
        tariff = self._unit_rate(item, unit)
        if tariff is None:
            return NO_TARIFF
        charge = self._metered_charge(unit, item, tariff, consumption, single)
        if charge is None or not unreviewed:
            return charge
        return _Held(charge, tuple((m.id, m.number, m.reading_id, m.consumption)
                                   for m in unit_meters if m.meter_id is not None
                                   and m.unreviewed))

    def _metered_charge(self, unit, item: _Item, tariff: _Rate, consumption: Decimal,
                        single) -> tuple | None:
        kind = item.meter_kind
        u = item.unit_label
        if single is not None and single.previous_value is not None \
                and single.reading_kind == "normal":
            reading = f"({_num(single.value)} − {_num(single.previous_value)})"
            if single.multiplier != 1:
                reading += f" × {_num(single.multiplier)}"
            reading += f" {u}"
        else:
            reading = None
        if item.tier_mode == "none":
            price = tariff.price
            amount = quantize_money(consumption * price)
            text = f"{reading or fmt(consumption) + ' ' + u} × {price:.4f} 元/{u} = {fmt(amount)}"
            return consumption, price, amount, text
        annual = item.tier_mode == "annual"
        used_before = self.ytd.get((unit.id, kind), NOTHING) if annual else NOTHING
        key = (tariff.id, consumption, used_before)
        charge = self._tier_cache.get(key)
        if charge is None:
            try:
                charge = tiered_charge(consumption, list(tariff.tiers), used_before, u)
            except ValueError:
                charge = "tiers"
            self._tier_cache[key] = charge
        if isinstance(charge, str):
            self.problem("tiers", unit.code, item,
                          _l("The tariff's tiers do not cover a consumption of %(c)s.",
                             c=fmt(consumption)))
            return None
        text = charge.explanation
        if annual:
            text = f"本年已用 {fmt(used_before)} {u}，{text}"
        if reading:
            text = f"{reading}，{text}"
        return consumption, charge.price, charge.amount, text

    def _apportioned_line(self, unit, item: _Item, window=None) -> tuple | None:
        pieces = self.shares.get((unit.id, item.id))
        if not pieces:
            return None
        amount = sum((p[0] for p in pieces), ZERO)
        qty = sum((p[1] for p in pieces), Decimal(0))
        text = "；".join(p[3] for p in pieces)
        if len(pieces) > 1:
            text += f"；合计 {fmt(amount)}"
        return qty, pieces[0][2], amount, text

    def _fixed_line(self, unit, item: _Item, window) -> tuple | None:
        if unit.handover_date is None or unit.handover_date > window[1]:
            return None
        tariff = self._unit_rate(item, unit)
        if tariff is None:
            return NO_TARIFF
        amount = quantize_money(tariff.price)
        cycle = window[2]
        per = "户" if cycle == 1 else f"户·{cycle} 月"
        return Decimal(1), tariff.price, amount, f"定额 {tariff.price:.4f} 元/{per} = {fmt(amount)}"

    # the loop --------------------------------------------------------------------------------

    def _hold(self, unit, b_id: int, item: _Item, held: _Held) -> Line | None:
        """Keep a line of unreviewed flagged readings out of the posting, as a problem."""
        qty, price, amount, text = held.charge
        if not amount:
            return None
        line = Line(unit.id, unit.code, b_id, item.id, qty, price, amount, clip(text))
        self.preview.add_held(line)
        for meter_id, number, reading_id, used in held.readings:
            self.problem("flagged_reading", unit.code, item, _l(
                "Meter %(number)s read %(used)s %(unit)s for %(period)s, far above its average, "
                "and the reading has not been reviewed: the line of %(amount)s is held, not "
                "posted, until it is reviewed.", number=number, used=fmt(used),
                unit=item.unit_label, period=self.period, amount=fmt(amount)),
                meter_id=meter_id, reading_id=reading_id)
        return line

    def compute(self, progress: Progress | None = None, sink: Sink | None = None) -> Preview:
        """Compute the lines building by building; ``progress(done, total)`` after each.

        Without a sink the preview keeps every line. With one, the new lines of each chunk of
        buildings go to the sink (before the progress of the chunk's last building) and are
        let go: the preview keeps the totals.
        """
        p = self.preview
        windows = {i.id: self._window(i) for i in self.items}
        for item in self.items:
            if item.method == "metered" and not item.meter_kind:
                self.problem("setup", "", item, _l("The fee item names no meter kind."))
        n = len(self.buildings)
        done = 0
        chunks = list(self.chunks())
        self.open()
        try:
            with _collector_paused():
                ahead = self.load(chunks[0]) if chunks else None
                for k, chunk in enumerate(chunks):
                    self.use(ahead)
                    lines = [] if sink is not None else p.lines
                    for b in chunk:
                        self._compute_building(b, windows, lines)
                        done += 1
                        if b is chunk[-1]:
                            # the next chunk is read before the sink writes this one, so that
                            # the database takes the lines while the next are computed
                            ahead = self.load(chunks[k + 1]) if k + 1 < len(chunks) else None
                            if sink is not None and lines:
                                sink(lines)
                        if progress is not None:
                            progress(done, n)
        finally:
            self.close()
        return p

    def _compute_building(self, b: Building, windows: dict, lines: list[Line]) -> None:
        p = self.preview
        methods = {"area": self._area_line, "metered": self._metered_line,
                   "apportioned": self._apportioned_line, "fixed": self._fixed_line}
        billed = self.billed
        b_id = b.id
        units = self.units_by_building.get(b_id, ())
        for position, item in enumerate(self.items):
            window = windows[item.id]
            if window is None or (item.method == "metered" and not item.meter_kind):
                continue
            compute_line = methods[item.method]
            item_id = item.id
            bit = 1 << position
            no_tariff = skipped = count = held = 0
            amount_sum = held_sum = ZERO
            for unit in units:
                if billed and billed.get(unit.id, 0) & bit:
                    skipped += 1
                    continue
                result = compute_line(unit, item, window)
                if result is None:
                    continue
                if result is NO_TARIFF:
                    no_tariff += 1
                    continue
                if type(result) is _Held:
                    line = self._hold(unit, b_id, item, result)
                    if line is not None:
                        held += 1
                        held_sum += line.amount
                    continue
                qty, price, amount, text = result
                if not amount:
                    continue
                lines.append(Line(unit.id, unit.code, b_id, item_id, qty, price, amount,
                                  text if len(text) <= MAX_EXPLANATION else clip(text)))
                count += 1
                amount_sum += amount
            for total in (p.by_building[b_id], p.by_item[item_id], p.total):
                total.lines += count
                total.amount += amount_sum
                total.billed += skipped
                total.held += held
                total.held_amount += held_sum
            if count:
                p.cells[(b_id, item_id)] += amount_sum
            if no_tariff:
                self.problem("no_tariff", b.label, item, _l(
                    "No tariff in force on %(date)s for %(n)s units.",
                    date=self.first.isoformat(), n=no_tariff))
