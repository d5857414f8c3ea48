"""Bill runs: preview a period's bill lines for an estate or a building, post them, correct them.

A bill run computes one line per unit, period and fee item (the database's partial unique index
``uq_bill_line_charge`` guarantees it stays one); posting is one transaction. Posted lines are
never edited: corrections are credit notes (冲红) and adjustments, both audited.

A line computed from a flagged reading (consumption far above the meter's average) that nobody
has reviewed yet is held: the preview lists it as a problem and posting leaves it out. Once the
reading is reviewed (or corrected), the next post of the same period and scope bills it.

The preview loads everything it needs in a handful of bulk queries (units, meters, readings,
year-to-date use, tariffs, lines already billed) so that an estate of 10,000 units is computed
without a query per unit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import repeat

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import (
    BillLine,
    BillRun,
    Building,
    Estate,
    FeeItem,
    Meter,
    MeterReading,
    PrepaidEntry,
    Unit,
    User,
)
from frontdesk.models.base import utcnow
from frontdesk.money import quantize_money, read_amount
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees import tariffs
from frontdesk.services.fees.calc import (
    accrual_months,
    apportion,
    area_charge,
    fmt,
    next_period,
    period_bounds,
    tiered_charge,
)
from frontdesk.services.periods import estate_today, parse_period

VACANT = "空置"
#: units of consumption shown in explanations
KIND_UNITS = {"water": "m³", "electricity": "kWh", "gas": "m³"}
MAX_ADJUSTMENT = Decimal("1000000")
MAX_EXPLANATION = 300
ZERO = Decimal("0.00")
NOTHING = Decimal(0)
FOUR_PLACES = Decimal("0.0001")

Progress = Callable[[int, int], None]
#: what a line computation returns when no tariff is in force for the unit
NO_TARIFF = object()


class NothingToPost(DomainError):
    """Every line of the period and scope is already billed (or none can be computed)."""


# what a preview holds ---------------------------------------------------------------------------


@dataclass(slots=True)
class Line:
    """A bill line computed by a preview, not yet written."""

    unit_id: int
    unit_code: str
    building_id: int
    fee_item_id: int
    quantity: Decimal
    price: Decimal
    amount: Decimal
    explanation: str


#: problem kinds, in the order the preview lists them (those holding a computed line first)
PROBLEM_KINDS = ("flagged_reading", "missing_reading", "no_area", "no_tariff",
                 "shared_unapproved", "negative_loss", "tiers", "setup")


@dataclass(slots=True)
class Problem:
    """Something that keeps a line from being computed or posted: listed, not raised."""

    #: one of PROBLEM_KINDS
    kind: str
    #: a unit code, a building's label or a meter number
    where: str
    fee_item: str
    message: object
    #: for a flagged reading: the meter and reading to review
    meter_id: int | None = None
    reading_id: int | None = None


@dataclass(slots=True)
class Total:
    lines: int = 0
    amount: Decimal = ZERO
    #: lines of this scope posted by an earlier run (skipped)
    billed: int = 0
    #: lines computed but held until their flagged readings are reviewed (not posted)
    held: int = 0
    held_amount: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class _Held:
    """A line computed from flagged readings nobody has reviewed: (meter, reading) ids."""

    charge: tuple
    readings: tuple


@dataclass
class Preview:
    """What a bill run would post: lines, totals per building and fee item, problems."""

    estate_id: int
    period: str
    building_id: int | None
    items: list[FeeItem]
    buildings: list[Building]
    lines: list[Line] = field(default_factory=list)
    #: lines held until their flagged readings are reviewed: shown, never posted
    held: list[Line] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    by_building: dict[int, Total] = field(default_factory=lambda: defaultdict(Total))
    by_item: dict[int, Total] = field(default_factory=lambda: defaultdict(Total))
    #: (building id, fee item id) → amount of new lines
    cells: dict[tuple[int, int], Decimal] = field(default_factory=lambda: defaultdict(
        lambda: ZERO))
    total: Total = field(default_factory=Total)

    @property
    def already_billed(self) -> int:
        return self.total.billed

    def problem_counts(self) -> dict[str, int]:
        """Return how many problems of each kind there are, in PROBLEM_KINDS order."""
        counts: dict[str, int] = defaultdict(int)
        for problem in self.problems:
            counts[problem.kind] += 1
        return {k: counts[k] for k in sorted(counts, key=_kind_order)}

    def sorted_problems(self) -> list[Problem]:
        """Return the problems with those that hold a line (flagged readings) first."""
        return sorted(self.problems, key=lambda pr: _kind_order(pr.kind))

    def sample(self, n: int = 50) -> list[Line]:
        """Return a few lines of each fee item, to show how they were computed."""
        per_item = max(1, n // max(1, len(self.items)))
        seen: dict[int, int] = defaultdict(int)
        out = []
        for line in self.lines:
            if seen[line.fee_item_id] < per_item:
                seen[line.fee_item_id] += 1
                out.append(line)
        return out


def _kind_order(kind: str) -> int:
    return PROBLEM_KINDS.index(kind) if kind in PROBLEM_KINDS else len(PROBLEM_KINDS)


# periods ----------------------------------------------------------------------------------------


def _check_period(estate: Estate, period: str, today: date | None) -> str:
    period = parse_period(period)
    today = today or estate_today(estate)
    if period > f"{today.year:04d}-{today.month:02d}":
        raise DomainError(_l("%(period)s is in the future: bills are run for the current or an "
                             "earlier month.", period=period), "period")
    return period


def due_date(period: str, item: FeeItem | _Item) -> date:
    """Return the day of the period's month by which an item's bill is due."""
    return date(int(period[:4]), int(period[5:7]), item.due_day or 15)


# formatting -------------------------------------------------------------------------------------


def _num(value: Decimal) -> str:
    """Show a meter reading without needless decimals: 1,268 or 1,268.5."""
    return f"{value.normalize():,f}"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_EXPLANATION else text[: MAX_EXPLANATION - 1] + "…"


# the computation --------------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class _Rate:
    """A tariff's price and tiers as plain values."""

    id: int
    price: Decimal
    tiers: tuple


class _Run:
    """The data of one preview, loaded in bulk, and the per-method computations."""

    def __init__(self, estate: Estate, period: str, building: Building | None):
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
                               fee_items, self.buildings)
        self._area_cache: dict[tuple, object] = {}
        self._days: dict[tuple, tuple[tuple[int, int], ...]] = {}
        self._tier_cache: dict[tuple, object] = {}
        self._load_units()
        self._load_billed()
        self._load_meters()
        self._load_shared()

    # loading ---------------------------------------------------------------------------------

    def _unit_query(self):
        q = sa.select(Unit.id, Unit.code, Unit.building_id, Unit.gross_area, Unit.inner_area,
                      Unit.status, Unit.handover_date).where(Unit.estate_id == self.estate.id)
        if self.building is not None:
            q = q.where(Unit.building_id == self.building.id)
        return q.order_by(Unit.building_id, Unit.code)

    def _load_units(self) -> None:
        self.units_by_building: dict[int, list] = defaultdict(list)
        self.unit_ids: set[int] = set()
        for row in _rows(self._unit_query()):
            self.units_by_building[row.building_id].append(row)
            self.unit_ids.add(row.id)

    def _load_billed(self) -> None:
        rows = _rows(
            sa.select(BillLine.unit_id, BillLine.fee_item_id).where(
                BillLine.estate_id == self.estate.id, BillLine.period == self.period,
                BillLine.kind == "charge"))
        self.billed = {(u, i) for u, i in rows if u in self.unit_ids}

    def _load_meters(self) -> None:
        """Load the unit meters, their readings of the period and the year's earlier use."""
        kinds = {i.meter_kind for i in self.items if i.method == "metered" and i.meter_kind}
        #: (unit id, kind) → [a meter with its reading; meter_id None when it has none]
        self.unit_meters: dict[tuple[int, str], list] = defaultdict(list)
        self.ytd: dict[tuple[int, str], Decimal] = {}
        if not kinds:
            return
        # every unit meter with its reading of the period, if there is one
        reading = (sa.select(MeterReading.id, MeterReading.meter_id, MeterReading.value,
                             MeterReading.previous_value, MeterReading.consumption,
                             MeterReading.kind,
                             # flagged and not reviewed: the line is held
                             sa.and_(MeterReading.flagged.is_(True),
                                     MeterReading.reviewed_at.is_(None)).label("unreviewed"))
                   .where(MeterReading.estate_id == self.estate.id,
                          MeterReading.period == self.period).subquery())
        mq = (sa.select(Meter.id, Meter.unit_id, Meter.kind, Meter.number, Meter.multiplier,
                        Meter.active, reading.c.meter_id, reading.c.value,
                        reading.c.previous_value, reading.c.consumption,
                        reading.c.kind.label("reading_kind"), reading.c.id.label("reading_id"),
                        reading.c.unreviewed)
              .outerjoin(reading, reading.c.meter_id == Meter.id)
              .where(Meter.estate_id == self.estate.id, Meter.shared.is_(False),
                     Meter.unit_id.is_not(None), Meter.kind.in_(kinds)))
        unit_ids, unit_meters = self.unit_ids, self.unit_meters
        for m in _rows(mq):
            if m.unit_id in unit_ids:
                unit_meters[(m.unit_id, m.kind)].append(m)
        annual = {i.meter_kind for i in self.items
                  if i.method == "metered" and i.tier_mode == "annual"}
        if annual and self.period[5:7] != "01":
            # the same sum as meters.year_to_date, for every unit at once
            total = sa.func.sum(MeterReading.consumption)
            yq = (sa.select(Meter.unit_id, Meter.kind, total)
                  .join(Meter, Meter.id == MeterReading.meter_id)
                  .where(Meter.estate_id == self.estate.id, Meter.unit_id.is_not(None),
                         Meter.kind.in_(annual),
                         MeterReading.period >= f"{self.period[:4]}-01",
                         MeterReading.period < self.period)
                  .group_by(Meter.unit_id, Meter.kind))
            self.ytd = {(u, k): s or Decimal(0) for u, k, s in _rows(yq)
                        if u in self.unit_ids}

    def _load_shared(self) -> None:
        """Apportion every shared meter's loss in scope: unit id → item id → [pieces]."""
        self.shares: dict[tuple[int, int], list[tuple[Decimal, Decimal, Decimal, str]]] = (
            defaultdict(list))
        by_id = {i.id: i for i in self.items if i.method == "apportioned"}
        if not by_id:
            return
        q = sa.select(Meter).where(Meter.estate_id == self.estate.id, Meter.shared.is_(True),
                                   Meter.active.is_(True), Meter.fee_item_id.in_(by_id))
        if self.building is not None:
            q = q.where(sa.or_(Meter.building_id == self.building.id,
                               Meter.building_id.is_(None)))
        shared = list(db.session.scalars(q.order_by(Meter.number)))
        losses = self._shared_losses(shared)
        estate_units = None
        for meter in shared:
            item = by_id[meter.fee_item_id]
            if meter.building_id is None:
                if estate_units is None:
                    estate_units = self._estate_units()
                units = estate_units
            else:
                units = self.units_by_building.get(meter.building_id, [])
            self._apportion_meter(meter, item, units, losses[meter.id])

    def _shared_losses(self, shared: list[Meter]) -> dict[int, tuple | None]:
        """Return meters.shared_loss of every shared meter, with two queries for them all."""
        if not shared:
            return {}
        own = {mid: (used, approved) for mid, used, approved in _rows(
            sa.select(MeterReading.meter_id, MeterReading.consumption, MeterReading.approved_at)
            .where(MeterReading.meter_id.in_([m.id for m in shared]),
                   MeterReading.period == self.period))}
        # the sub-meters: unit meters of the same kind, summed per building
        subs = defaultdict(lambda: Decimal(0))
        for building_id, kind, used in _rows(
                sa.select(Unit.building_id, Meter.kind, sa.func.sum(MeterReading.consumption))
                .join(Meter, Meter.id == MeterReading.meter_id)
                .join(Unit, Unit.id == Meter.unit_id)
                .where(Meter.estate_id == self.estate.id, Meter.shared.is_(False),
                       Meter.kind.in_({m.kind for m in shared}),
                       MeterReading.period == self.period)
                .group_by(Unit.building_id, Meter.kind)):
            subs[(building_id, kind)] += used or Decimal(0)
            subs[(None, kind)] += used or Decimal(0)
        losses: dict[int, tuple | None] = {}
        for m in shared:
            reading = own.get(m.id)
            if reading is None or reading[1] is None:
                losses[m.id] = None
                continue
            below = subs[(m.building_id, m.kind)]
            losses[m.id] = (reading[0], below, reading[0] - below)
        return losses

    def _estate_units(self) -> list:
        if self.building is None:
            return [u for b in self.buildings for u in self.units_by_building[b.id]]
        return list(_rows(
            sa.select(Unit.id, Unit.code, Unit.gross_area).where(
                Unit.estate_id == self.estate.id).order_by(Unit.building_id, Unit.code)))

    def _rate(self, tariff) -> _Rate | None:
        if tariff is None:
            return None
        rate = self._rates.get(tariff)
        if rate is None:
            rate = self._rates[tariff] = _Rate(tariff.id, tariff.price,
                                               tuple(tariffs.tiers_of(tariff)))
        return rate

    def _unit_rate(self, item: _Item, unit) -> _Rate | None:
        return self._rate(self.book.for_unit(item.id, unit))

    def _problem(self, kind: str, where: str, item: _Item, message, **ids) -> None:
        self.preview.problems.append(Problem(kind, where, item.name, message, **ids))

    def _apportion_meter(self, meter: Meter, item: _Item, units: list, loss) -> None:
        if loss is None:
            self._problem("shared_unapproved", meter.number, item, _l(
                "Shared meter %(number)s has no approved reading for %(period)s.",
                number=meter.number, period=self.period))
            return
        used, subs, lost = loss
        if lost < 0:
            self._problem("negative_loss", meter.number, item, _l(
                "Shared meter %(number)s read %(used)s, less than its sub-meters' %(subs)s: "
                "nothing is apportioned.", number=meter.number, used=fmt(used), subs=fmt(subs)))
            return
        tariff = self._rate(self.book.for_building(item.id, meter.building_id))
        if tariff is None:
            self._problem("no_tariff", meter.number, item, _l(
                "No tariff in force on %(date)s for shared meter %(number)s.",
                date=self.first.isoformat(), number=meter.number))
            return
        total = quantize_money(lost * tariff.price)
        if total == 0 or not units:
            return
        if meter.apportion_basis == "equal":
            members = units
            weights = [Decimal(1)] * len(members)
        else:
            members = []
            for u in units:
                if u.gross_area:
                    members.append(u)
                elif u.id in self.unit_ids:
                    self._problem("no_area", u.code, item, _l(
                        "No gross area recorded: left out of shared meter %(number)s.",
                        number=meter.number))
            weights = [u.gross_area for u in members]
        if not members:
            return
        weight_sum = sum(weights, Decimal(0))
        shares = apportion(total, weights)
        if meter.apportion_basis == "equal":
            head, tail = f"公摊 {fmt(total)} / {len(members)} 户 = ", ""
        else:
            head, tail = f"公摊 {fmt(total)} × ", f" / {fmt(weight_sum)} m² = "
        in_scope, out, price = self.unit_ids, self.shares, tariff.price
        for u, w, share in zip(members, weights, shares, strict=True):
            if u.id in in_scope:
                text = f"{head}{fmt(share)}" if not tail else f"{head}{fmt(w)}{tail}{fmt(share)}"
                qty = (lost * w / weight_sum).quantize(FOUR_PLACES)
                out[(u.id, item.id)].append((share, qty, price, text))

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
            self._problem("no_area", unit.code, item,
                          _l("No inner area recorded.") if item.area_basis == "inner"
                          else _l("No gross area recorded."))
            return None
        tariff = self._unit_rate(item, unit)
        if tariff is None:
            return NO_TARIFF
        discount = item.vacancy_discount if unit.status == VACANT else Decimal(0)
        # each month of the cycle prorated by its own days, as the monthly bills would be
        days = self._days.get((handover, cycle))
        if days is None:
            days = self._days[(handover, cycle)] = accrual_months(self.period, cycle, handover)
        if not any(used for used, _total in days):
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
        else:
            found = [m for m in unit_meters if m.meter_id is not None]
            missing = [m.number for m in unit_meters if m.active and m.meter_id is None] or None
            consumption = sum((m.consumption for m in found), Decimal(0))
            single = found[0] if len(found) == 1 else None
        if missing is not None:
            if missing:
                self._problem("missing_reading", unit.code, item, _l(
                    "No reading of meter %(meters)s for %(period)s.",
                    meters="、".join(missing), period=self.period))
            return None
        if consumption <= 0:
            return None
        tariff = self._unit_rate(item, unit)
        if tariff is None:
            return NO_TARIFF
        charge = self._metered_charge(unit, item, tariff, consumption, single)
        if charge is None:
            return None
        unreviewed = tuple((m.id, m.number, m.reading_id, m.consumption) for m in unit_meters
                           if m.meter_id is not None and m.unreviewed)
        return _Held(charge, unreviewed) if unreviewed else charge

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
            self._problem("tiers", unit.code, item,
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
        line = Line(unit.id, unit.code, b_id, item.id, qty, price, amount, _clip(text))
        self.preview.held.append(line)
        for meter_id, number, reading_id, used in held.readings:
            self._problem("flagged_reading", unit.code, item, _l(
                "Meter %(number)s read %(used)s %(unit)s for %(period)s, far above its average, "
                "and the reading has not been reviewed: the line of %(amount)s is held, not "
                "posted, until it is reviewed.", number=number, used=fmt(used),
                unit=item.unit_label, period=self.period, amount=fmt(amount)),
                meter_id=meter_id, reading_id=reading_id)
        return line

    def compute(self, progress: Progress | None = None) -> Preview:
        p = self.preview
        windows = {i.id: self._window(i) for i in self.items}
        for item in self.items:
            if item.method == "metered" and not item.meter_kind:
                self._problem("setup", "", item, _l("The fee item names no meter kind."))
        methods = {"area": self._area_line, "metered": self._metered_line,
                   "apportioned": self._apportioned_line, "fixed": self._fixed_line}
        billed = self.billed
        lines = p.lines
        n = len(self.buildings)
        for done, b in enumerate(self.buildings, 1):
            b_id = b.id
            units = self.units_by_building.get(b_id, ())
            for item in self.items:
                window = windows[item.id]
                if window is None or (item.method == "metered" and not item.meter_kind):
                    continue
                compute_line = methods[item.method]
                item_id = item.id
                no_tariff = skipped = count = held = 0
                amount_sum = held_sum = ZERO
                for unit in units:
                    if billed and (unit.id, item_id) in billed:
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
                                      text if len(text) <= MAX_EXPLANATION else _clip(text)))
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
                    self._problem("no_tariff", b.label, item, _l(
                        "No tariff in force on %(date)s for %(n)s units.",
                        date=self.first.isoformat(), n=no_tariff))
            if progress is not None:
                progress(done, n)
        return p


def preview_bill_run(estate: Estate, period: str, building: Building | None = None,
                     today: date | None = None, progress: Progress | None = None) -> Preview:
    """Compute the bill lines of a period for an estate or one building, writing nothing.

    ``progress(done, total)`` is called after each building.
    """
    period = _check_period(estate, period, today)
    if building is not None and building.estate_id != estate.id:
        raise DomainError(_l("The building is not in this estate."), "building")
    return _Run(estate, period, building).compute(progress)


# posting ----------------------------------------------------------------------------------------


@transactional
def post_bill_run(actor: User | None, estate: Estate, period: str,
                  building: Building | None = None, today: date | None = None,
                  progress: Progress | None = None) -> BillRun:
    """Post the lines of a preview not yet billed, in one transaction, and apply prepaid balances.

    Lines held for unreviewed flagged readings are left out (a later post bills them). The run
    returned carries ``run.preview``, the preview it posted, to say what was left out. Raises
    NothingToPost when no line can be posted. A concurrent run that posted some of the same
    lines first makes the database refuse this one: nothing is written.
    """
    preview = preview_bill_run(estate, period, building, today, progress)
    if not preview.lines:
        if preview.total.held:
            raise NothingToPost(_l(
                "Nothing to post for %(period)s: %(held)s lines are held until their flagged "
                "readings are reviewed; %(n)s lines were already billed.",
                period=preview.period, held=preview.total.held, n=preview.already_billed))
        raise NothingToPost(_l("Nothing new to bill for %(period)s: %(n)s lines were already "
                               "billed.", period=preview.period, n=preview.already_billed))
    now = utcnow()
    run = BillRun(estate_id=estate.id, period=preview.period, building_id=preview.building_id,
                  lines=len(preview.lines), total=preview.total.amount,
                  posted_by_id=actor.id if actor else None, posted_at=now)
    db.session.add(run)
    db.session.flush()
    items = {i.id: i for i in preview.items}
    dues = {i.id: due_date(preview.period, i) for i in preview.items}
    lines = preview.lines
    varying = {name: [getattr(ln, name) for ln in lines] for name in (
        "unit_id", "fee_item_id", "quantity", "price", "amount", "explanation")}
    varying["due_date"] = [dues[i] for i in varying["fee_item_id"]]
    constants = {"estate_id": estate.id, "period": preview.period, "kind": "charge",
                 "settled": ZERO, "late_fee_waived": False, "bill_run_id": run.id,
                 "corrects_id": None, "reason": "", "created_by_id": run.posted_by_id,
                 "created_at": now}
    try:
        _insert_many(BillLine.__table__, len(lines), varying, constants)
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise DomainError(_l("Another bill run posted lines of %(period)s at the same time; "
                             "nothing was posted. Preview again to see what is left.",
                             period=preview.period)) from None
    del varying
    applied = _apply_prepaid(estate, run, {ln.unit_id for ln in preview.lines})
    audit.record(actor, "post", run, after={
        "period": preview.period, "building_id": preview.building_id,
        "lines": run.lines, "total": str(run.total),
        "by_item": {items[i].code: str(t.amount) for i, t in preview.by_item.items() if t.lines},
        "already_billed": preview.already_billed, "problems": len(preview.problems),
        "held": preview.total.held, "held_amount": str(preview.total.held_amount),
        "held_units": sorted({ln.unit_code for ln in preview.held})[:100],
        "prepaid_applied": str(applied),
    })
    run.preview = preview  # what was left out (held lines, problems), for the caller to say
    return run


def _insert_many(table: sa.Table, n: int, varying: dict[str, list],
                 constants: dict) -> None:
    """Insert ``n`` rows with one DB-API executemany: the same as ``execute(insert, rows)``.

    Values come by column (``varying``: a list per column; ``constants``: one value for every
    row), so each column's bind processor runs once per distinct value: a bill run's lines
    repeat few prices, amounts and dates.
    """
    conn = db.session.connection()
    dialect = conn.dialect
    keys = [*varying, *constants]
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    names = list(compiled.positiontup) if compiled.positional else keys
    columns = []
    for name in names:
        key = compiled.binds[name].key
        process = table.c[key].type.bind_processor(dialect)
        if key in constants:
            value = constants[key]
            columns.append(repeat(process(value) if process else value, n))
        elif process is None:
            columns.append(varying[key])
        else:
            columns.append(list(map(_memoised(process), varying[key])))
    params = list(zip(*columns, strict=False)) if compiled.positional else [
        dict(zip(names, row, strict=True)) for row in zip(*columns, strict=False)]
    conn.exec_driver_sql(compiled.string, params)


def _memoised(process):
    cache: dict = {}

    def convert(value):
        try:
            return cache[value]
        except KeyError:
            out = cache[value] = process(value)
            return out

    return convert


def _balances_query(estate: Estate):
    return (sa.select(PrepaidEntry.unit_id, sa.func.sum(PrepaidEntry.amount))
            .where(PrepaidEntry.estate_id == estate.id)
            .group_by(PrepaidEntry.unit_id).having(sa.func.sum(PrepaidEntry.amount) > 0))


def _lock_units(unit_ids: list[int]) -> None:
    """Take the units' money locks (as payments.lock_unit does), in id order against deadlocks."""
    if db.engine.dialect.name == "sqlite":
        return
    for start in range(0, len(unit_ids), 500):
        db.session.execute(sa.select(Unit.id).where(Unit.id.in_(unit_ids[start:start + 500]))
                           .order_by(Unit.id).with_for_update(key_share=True))


def _apply_prepaid(estate: Estate, run: BillRun, unit_ids: set[int]) -> Decimal:
    """Use each unit's prepaid balance on its new lines, oldest due first.

    The units holding a balance are locked first and their balances read again under the
    lock, so that a void or a refund approval cannot spend the same balance at the same time.
    """
    candidates = sorted(u for u, b in db.session.execute(_balances_query(estate))
                        if u in unit_ids and b and b > 0)
    if not candidates:
        return ZERO
    _lock_units(candidates)
    balances = {
        u: b for u, b in db.session.execute(
            _balances_query(estate).where(PrepaidEntry.unit_id.in_(candidates)))
        if b and b > 0
    }
    if not balances:
        return ZERO
    lines = []
    ids = sorted(balances)
    for start in range(0, len(ids), 500):
        lines += db.session.execute(
            sa.select(BillLine.id, BillLine.unit_id, BillLine.amount)
            .where(BillLine.bill_run_id == run.id, BillLine.unit_id.in_(ids[start:start + 500]))
            .order_by(BillLine.due_date, BillLine.id)).all()
    updates, entries, applied = [], [], ZERO
    now = utcnow()
    for line_id, unit_id, amount in lines:
        left = balances[unit_id]
        if left <= 0 or amount <= 0:
            continue
        x = min(left, amount)
        balances[unit_id] = left - x
        applied += x
        updates.append({"id": line_id, "settled": x})
        entries.append({"estate_id": estate.id, "unit_id": unit_id, "amount": -x,
                        "kind": "applied", "payment_id": None, "bill_line_id": line_id,
                        "refund_id": None, "created_at": now})
    if updates:
        db.session.execute(sa.update(BillLine), updates)
        db.session.execute(sa.insert(PrepaidEntry), entries)
    return applied


# corrections ------------------------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(_l("Please give the reason."), "reason")
    if len(text) > 200:
        raise DomainError(_l("The reason must not be longer than 200 characters."), "reason")
    return text


@transactional
def credit_line(actor: User, line: BillLine, reason: str) -> BillLine:
    """Reverse the unpaid part of a line with a credit note (冲红); the original is closed."""
    reason = _reason(reason)
    if line.kind not in ("charge", "adjustment", "late_fee"):
        raise DomainError(_l("Only charges can be credited."))
    unpaid = line.amount - line.settled
    if unpaid <= 0:
        raise DomainError(_l("Nothing of this line is unpaid: there is nothing to credit."))
    before = audit.snapshot(line, ["settled"])
    credit = BillLine(
        estate_id=line.estate_id, unit_id=line.unit_id, fee_item_id=line.fee_item_id,
        period=line.period, kind="credit", quantity=Decimal(0), price=Decimal(0),
        amount=-unpaid, settled=-unpaid, due_date=line.due_date, corrects_id=line.id,
        explanation=_clip(f"冲红 #{line.id}：原金额 {fmt(line.amount)}，已收 "
                          f"{fmt(line.settled)}，冲减 {fmt(unpaid)}（{reason}）"),
        reason=reason, created_by_id=actor.id if actor else None,
    )
    line.settled = line.amount
    db.session.add(credit)
    db.session.flush()
    after = audit.snapshot(line, ["settled"])
    after.update({"credit_line_id": credit.id, "credited": str(unpaid), "reason": reason})
    audit.record(actor, "credit", line, before=before, after=after)
    return credit


def parse_amount(value) -> Decimal:
    """Return an adjustment amount (non-zero, two decimals, at most 1,000,000 either way)."""
    if isinstance(value, float):
        raise TypeError("amounts must not be floats")
    try:
        amount = read_amount(value)
    except ValueError:
        amount = None
    if amount is None or not amount.is_finite():
        raise DomainError(_l("The amount must be a number, e.g. -12.50."), "amount")
    if abs(amount) > MAX_ADJUSTMENT:  # before quantize, which cannot hold 1e309
        raise DomainError(_l("The amount must not exceed 1,000,000 either way."), "amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_l("The amount has at most two decimals."), "amount")
    if amount == 0:
        raise DomainError(_l("The amount must not be zero."), "amount")
    return quantize_money(amount)


@transactional
def adjust(actor: User, unit: Unit, fee_item: FeeItem, period: str, amount, reason: str,
           today: date | None = None) -> BillLine:
    """Add an adjustment line (positive: owed; negative: allowed) with a reason."""
    estate = db.session.get(Estate, unit.estate_id)
    period = _check_period(estate, period, today)
    amount = parse_amount(amount)
    reason = _reason(reason)
    if fee_item.estate_id != unit.estate_id:
        raise DomainError(_l("The fee item is not one of this estate's."), "fee_item")
    line = BillLine(
        estate_id=unit.estate_id, unit_id=unit.id, fee_item_id=fee_item.id, period=period,
        kind="adjustment", quantity=Decimal(0), price=Decimal(0), amount=amount,
        settled=ZERO, due_date=due_date(period, fee_item),
        explanation=_clip(f"调整 {fmt(amount)}（{reason}）"), reason=reason,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(line)
    db.session.flush()
    audit.record(actor, "adjust", line, before={}, after=audit.snapshot(line))
    return line


# reading ----------------------------------------------------------------------------------------


def list_runs(estate_id: int, page: int = 1, per_page: int = 50):
    """Return a page of an estate's bill runs, newest first."""
    q = (sa.select(BillRun).where(BillRun.estate_id == estate_id)
         .order_by(BillRun.posted_at.desc(), BillRun.id.desc()))
    return db.paginate(q, page=page, per_page=per_page, error_out=False)


def run_totals(run: BillRun) -> list[tuple[int, int, int, Decimal]]:
    """Return (building id, fee item id, lines, amount) of a posted run."""
    rows = db.session.execute(
        sa.select(Unit.building_id, BillLine.fee_item_id, sa.func.count(BillLine.id),
                  sa.func.sum(BillLine.amount))
        .join(Unit, Unit.id == BillLine.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .join(FeeItem, FeeItem.id == BillLine.fee_item_id)
        .where(BillLine.bill_run_id == run.id)
        .group_by(Unit.building_id, BillLine.fee_item_id, Building.sort_key, FeeItem.code)
        .order_by(Building.sort_key, FeeItem.code))
    return [(b, i, n, s or ZERO) for b, i, n, s in rows]


def lines_of_run(run: BillRun, limit: int = 100) -> list[tuple[BillLine, str]]:
    """Return the first lines of a run with their unit codes."""
    return list(db.session.execute(
        sa.select(BillLine, Unit.code).join(Unit, Unit.id == BillLine.unit_id)
        .where(BillLine.bill_run_id == run.id).order_by(BillLine.id).limit(limit)))


def lines_of_unit(unit: Unit) -> list[BillLine]:
    """Return a unit's bill lines, newest period first."""
    return list(db.session.scalars(
        sa.select(BillLine).where(BillLine.unit_id == unit.id)
        .order_by(BillLine.period.desc(), BillLine.fee_item_id, BillLine.id)))


def fee_items(estate_id: int) -> list[FeeItem]:
    """Return an estate's fee items by code (for the adjustment form)."""
    return list(db.session.scalars(
        sa.select(FeeItem).where(FeeItem.estate_id == estate_id).order_by(FeeItem.code)))


__all__ = [
    "PROBLEM_KINDS", "Line", "NothingToPost", "Preview", "Problem", "Total", "adjust",
    "credit_line",
    "due_date", "parse_period", "post_bill_run", "preview_bill_run",
]
