"""Shared meters in a bill run: each one's loss (its reading less its sub-meters') apportioned
over the units it serves, by gross area or equally, as pieces of their apportioned lines."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Meter, MeterReading, Unit
from frontdesk.money import quantize_money
from frontdesk.services.fees.calc import apportion, fmt

FOUR_PLACES = Decimal("0.0001")
#: (unit id, fee item id) → [(share, quantity, price, explanation)]
Shares = dict[tuple[int, int], list[tuple[Decimal, Decimal, Decimal, str]]]


def _rows(statement):
    return db.session.connection().execute(statement).all()


def apportion_shared(plan) -> Shares:
    """Apportion every shared meter's loss in a plan's scope (``billrun.Plan``)."""
    out: Shares = defaultdict(list)
    by_id = {i.id: i for i in plan.items if i.method == "apportioned"}
    if not by_id:
        return out
    q = sa.select(Meter).where(Meter.estate_id == plan.estate.id, Meter.shared.is_(True),
                               Meter.active.is_(True), Meter.fee_item_id.in_(by_id))
    if plan.building is not None:
        q = q.where(sa.or_(Meter.building_id == plan.building.id,
                           Meter.building_id.is_(None)))
    shared = list(db.session.scalars(q.order_by(Meter.number)))
    losses = _shared_losses(plan, shared)
    estate_units = None
    for meter in shared:
        item = by_id[meter.fee_item_id]
        if meter.building_id is None:
            if estate_units is None:
                estate_units = _estate_units(plan)
            units = estate_units
        else:
            units = plan.units_by_building.get(meter.building_id, [])
        _apportion_meter(plan, out, meter, item, units, losses[meter.id])
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
    if plan.building is None:
        return [u for b in plan.buildings for u in plan.units_by_building[b.id]]
    return list(_rows(
        sa.select(Unit.id, Unit.code, Unit.gross_area).where(
            Unit.estate_id == plan.estate.id).order_by(Unit.building_id, Unit.code)))


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


def _apportion_meter(plan, out: Shares, meter: Meter, item, units: list, loss) -> None:
    tariff = _loss_problem(plan, meter, item, loss)
    if tariff is None:
        return
    lost = loss[2]
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
            elif u.id in plan.unit_ids:
                plan.problem("no_area", u.code, item, _l(
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
    in_scope, price = plan.unit_ids, tariff.price
    for u, w, share in zip(members, weights, shares, strict=True):
        if u.id in in_scope:
            text = f"{head}{fmt(share)}" if not tail else f"{head}{fmt(w)}{tail}{fmt(share)}"
            qty = (lost * w / weight_sum).quantize(FOUR_PLACES)
            out[(u.id, item.id)].append((share, qty, price, text))
