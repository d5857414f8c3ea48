"""Shared meters in a bill run: each one's loss (its reading less its sub-meters') apportioned
over the units it serves, by gross area or equally, as pieces of their apportioned lines.

The losses are checked once per run. A building's meter is apportioned when the run reaches its
building; a meter of the whole estate is apportioned once over every unit of the estate, and
each unit's share handed out when the run reaches the unit's building.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Building, Meter, MeterReading, Unit
from frontdesk.money import quantize_money
from frontdesk.services.fees.calc import apportion, fmt

FOUR_PLACES = Decimal("0.0001")
#: one meter's part of a unit's apportioned line: (share, quantity, price, explanation)
Piece = tuple[Decimal, Decimal, Decimal, str]
#: (unit id, fee item id) → the unit's pieces, in meter number order
Shares = dict[tuple[int, int], list[Piece]]


def _rows(statement):
    return db.session.connection().execute(statement).all()


@dataclass(slots=True)
class _Split:
    """A shared meter whose loss is billed, and how each share of it is explained."""

    number: str
    #: None for a meter of the whole estate
    building_id: int | None
    item_id: int
    equal: bool
    lost: Decimal
    total: Decimal
    price: Decimal
    head: str = ""
    tail: str = ""
    weight_sum: Decimal = Decimal(0)
    #: a meter of the whole estate: unit id → (weight, share) of the units in the run's scope
    shares: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)

    def piece(self, weight: Decimal, share: Decimal) -> Piece:
        if self.equal:
            text = f"{self.head}{fmt(share)}"
        else:
            text = f"{self.head}{fmt(weight)}{self.tail}{fmt(share)}"
        qty = (self.lost * weight / self.weight_sum).quantize(FOUR_PLACES)
        return share, qty, self.price, text


class SharedMeters:
    """The shared meters of a plan's scope (``billrun.Plan``), their losses checked."""

    def __init__(self, plan):
        self.plan = plan
        self.splits: list[_Split] = []
        by_id = {i.id: i for i in plan.items if i.method == "apportioned"}
        if not by_id:
            return
        q = sa.select(Meter).where(Meter.estate_id == plan.estate.id, Meter.shared.is_(True),
                                   Meter.active.is_(True), Meter.fee_item_id.in_(by_id))
        if plan.building is not None:
            q = q.where(sa.or_(Meter.building_id == plan.building.id,
                               Meter.building_id.is_(None)))
        shared = list(db.session.scalars(q.order_by(Meter.number)))
        losses = _shared_losses(plan, shared)
        estate_units = None
        # a run of one building bills that building's units their share of an estate meter
        scope = plan.building.id if plan.building is not None else None
        in_scope = None if scope is None else (lambda u: u.building_id == scope)
        for meter in shared:
            item = by_id[meter.fee_item_id]
            tariff = _loss_problem(plan, meter, item, losses[meter.id])
            if tariff is None:
                continue
            lost = losses[meter.id][2]
            total = quantize_money(lost * tariff.price)
            if total == 0:
                continue
            split = _Split(meter.number, meter.building_id, item.id,
                           meter.apportion_basis == "equal", lost, total, tariff.price)
            if meter.building_id is None:
                if estate_units is None:
                    estate_units = _estate_units(plan)
                split.shares = {u.id: (w, share) for u, w, share in
                                _apportion(plan, split, item, estate_units, in_scope)}
            self.splits.append(split)

    def pieces(self, buildings: list[Building], units_by_building: dict[int, list]) -> Shares:
        """Return the apportioned pieces of the units of some buildings of the scope."""
        out: Shares = defaultdict(list)
        ids = {b.id for b in buildings}
        items = {i.id: i for i in self.plan.items}
        for split in self.splits:
            if split.building_id is None:
                shares = split.shares
                for b in buildings:
                    for u in units_by_building.get(b.id, ()):
                        got = shares.get(u.id)
                        if got is not None:
                            out[(u.id, split.item_id)].append(split.piece(*got))
            elif split.building_id in ids:
                units = units_by_building.get(split.building_id, ())
                for u, w, share in _apportion(self.plan, split, items[split.item_id], units):
                    out[(u.id, split.item_id)].append(split.piece(w, share))
        return out


def _shared_losses(plan, shared: list[Meter]) -> dict[int, tuple | None]:
    """Return meters.shared_loss of every shared meter, with two queries for them all."""
    if not shared:
        return {}
    own = {mid: (used, approved) for mid, used, approved in _rows(
        sa.select(MeterReading.meter_id, MeterReading.consumption, MeterReading.approved_at)
        .where(MeterReading.meter_id.in_([m.id for m in shared]),
               MeterReading.period == plan.period))}
    # the sub-meters: unit meters of the same kind, summed per building
    subs = defaultdict(lambda: Decimal(0))
    for building_id, kind, used in _rows(
            sa.select(Unit.building_id, Meter.kind, sa.func.sum(MeterReading.consumption))
            .join(Meter, Meter.id == MeterReading.meter_id)
            .join(Unit, Unit.id == Meter.unit_id)
            .where(Meter.estate_id == plan.estate.id, Meter.shared.is_(False),
                   Meter.kind.in_({m.kind for m in shared}),
                   MeterReading.period == plan.period)
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


def _estate_units(plan) -> list:
    """Every unit of the estate, in the order a run of the whole estate takes them."""
    return _rows(
        sa.select(Unit.id, Unit.code, Unit.gross_area, Unit.building_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Unit.estate_id == plan.estate.id)
        .order_by(Building.sort_key, Building.id, Unit.code))


def _loss_problem(plan, meter: Meter, item, loss):
    """Return the meter's tariff when its loss can be apportioned, else record why not."""
    if loss is None:
        plan.problem("shared_unapproved", meter.number, item, _l(
            "Shared meter %(number)s has no approved reading for %(period)s.",
            number=meter.number, period=plan.period))
        return None
    used, subs, lost = loss
    if lost < 0:
        plan.problem("negative_loss", meter.number, item, _l(
            "Shared meter %(number)s read %(used)s, less than its sub-meters' %(subs)s: "
            "nothing is apportioned.", number=meter.number, used=fmt(used), subs=fmt(subs)))
        return None
    tariff = plan.rate(plan.book.for_building(item.id, meter.building_id))
    if tariff is None:
        plan.problem("no_tariff", meter.number, item, _l(
            "No tariff in force on %(date)s for shared meter %(number)s.",
            date=plan.first.isoformat(), number=meter.number))
    return tariff


def _apportion(plan, split: _Split, item, units,
               in_scope: Callable[[object], bool] | None = None) -> list[tuple]:
    """Split a meter's loss over units: (unit, weight, share) of those in scope (all if None).

    Sets the split's explanation and weight sum; units without a gross area are left out of a
    split by area, each a problem when in scope.
    """
    if not units:
        return []
    if split.equal:
        members = units
        weights = [Decimal(1)] * len(members)
    else:
        members = []
        for u in units:
            if u.gross_area:
                members.append(u)
            elif in_scope is None or in_scope(u):
                plan.problem("no_area", u.code, item, _l(
                    "No gross area recorded: left out of shared meter %(number)s.",
                    number=split.number))
        weights = [u.gross_area for u in members]
    if not members:
        return []
    split.weight_sum = sum(weights, Decimal(0))
    shares = apportion(split.total, weights)
    if split.equal:
        split.head, split.tail = f"公摊 {fmt(split.total)} / {len(members)} 户 = ", ""
    else:
        split.head, split.tail = (f"公摊 {fmt(split.total)} × ",
                                  f" / {fmt(split.weight_sum)} m² = ")
    if in_scope is None:
        return list(zip(members, weights, shares, strict=True))
    return [(u, w, s) for u, w, s in zip(members, weights, shares, strict=True) if in_scope(u)]
