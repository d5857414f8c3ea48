"""Which rate applies: tariff versions by date, the most specific scope winning."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Tariff, Unit
from frontdesk.services.fees.calc import Tier


def _in_force(on: date):
    return sa.and_(Tariff.valid_from <= on,
                   sa.or_(Tariff.valid_to.is_(None), Tariff.valid_to >= on))


class TariffBook:
    """The tariffs of an estate in force on one date, loaded with one query.

    ``for_unit`` answers unit scope first, then the unit's building, then the estate.
    """

    def __init__(self, estate_id: int, on: date):
        self.on = on
        self._unit: dict[tuple[int, int], Tariff] = {}
        self._building: dict[tuple[int, int], Tariff] = {}
        self._estate: dict[int, Tariff] = {}
        rows = db.session.scalars(
            sa.select(Tariff).where(Tariff.estate_id == estate_id, _in_force(on))
            .order_by(Tariff.valid_from)
        )
        for t in rows:  # a later version overrides an earlier one of the same scope
            if t.scope == "unit":
                self._unit[(t.fee_item_id, t.unit_id)] = t
            elif t.scope == "building":
                self._building[(t.fee_item_id, t.building_id)] = t
            else:
                self._estate[t.fee_item_id] = t

    def for_unit(self, fee_item_id: int, unit: Unit) -> Tariff | None:
        """Return the tariff that applies to the unit, or None if none is in force."""
        return (
            self._unit.get((fee_item_id, unit.id))
            or self._building.get((fee_item_id, unit.building_id))
            or self._estate.get(fee_item_id)
        )

    def items_with_unit_tariffs(self) -> set[int]:
        """Return the fee items for which some unit has a tariff of its own."""
        return {item_id for item_id, _unit_id in self._unit}

    def for_building(self, fee_item_id: int, building_id: int | None) -> Tariff | None:
        """Return the tariff of a building (or of the estate), e.g. for a shared meter."""
        if building_id is not None and (t := self._building.get((fee_item_id, building_id))):
            return t
        return self._estate.get(fee_item_id)


def overlapping(fee_item_id: int, scope: str, building_id: int | None, unit_id: int | None,
                valid_from: date, valid_to: date | None,
                exclude_id: int | None = None) -> Tariff | None:
    """Return a tariff of the same item and scope whose dates overlap the given ones."""
    far = date(9999, 12, 31)
    q = sa.select(Tariff).where(
        Tariff.fee_item_id == fee_item_id,
        Tariff.scope == scope,
        Tariff.building_id.is_(None) if building_id is None else Tariff.building_id == building_id,
        Tariff.unit_id.is_(None) if unit_id is None else Tariff.unit_id == unit_id,
        Tariff.valid_from <= (valid_to or far),
        sa.func.coalesce(Tariff.valid_to, far) >= valid_from,
    )
    if exclude_id is not None:
        q = q.where(Tariff.id != exclude_id)
    return db.session.scalars(q.limit(1)).first()


def tiers_of(tariff: Tariff) -> list[Tier]:
    """Return a metered tariff's tiers; a tariff without tiers is one open tier at its price."""
    if not tariff.tiers:
        return [Tier(None, tariff.price)]
    return [
        Tier(None if t.get("upto") in (None, "") else Decimal(str(t["upto"])),
             Decimal(str(t["price"])))
        for t in tariff.tiers
    ]


def history(fee_item_id: int) -> dict[str, list[Tariff]]:
    """Return every version of an item's tariffs grouped by scope, oldest first."""
    groups: dict[str, list[Tariff]] = defaultdict(list)
    for t in db.session.scalars(sa.select(Tariff).where(Tariff.fee_item_id == fee_item_id)
                                .order_by(Tariff.scope, Tariff.valid_from)):
        groups[t.scope].append(t)
    return groups
