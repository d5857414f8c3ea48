"""Read-only views of the register: lists, summaries and lookups, scoped to one estate."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Building, Occupancy, Person, Unit


@dataclass
class BuildingRow:
    building: Building
    units: int
    gross_area: Decimal
    occupied: int


def building_summary(estate_id: int) -> list[BuildingRow]:
    """Return each building of the estate with its unit count, total area and occupied units."""
    counts = (
        sa.select(
            Unit.building_id,
            sa.func.count(Unit.id).label("units"),
            sa.func.coalesce(sa.func.sum(Unit.gross_area), Decimal("0")).label("area"),
            sa.func.count(Unit.id).filter(Unit.status.in_(("已入住", "出租"))).label("occupied"),
        )
        .where(Unit.estate_id == estate_id)
        .group_by(Unit.building_id)
        .subquery()
    )
    q = (
        sa.select(Building, counts.c.units, counts.c.area, counts.c.occupied)
        .outerjoin(counts, counts.c.building_id == Building.id)
        .where(Building.estate_id == estate_id)
        .order_by(Building.sort_key)
    )
    area_type = Unit.__table__.c.gross_area.type
    rows = []
    for building, units, area, occupied in db.session.execute(q):
        rows.append(BuildingRow(building, units or 0, _as_decimal(area, area_type), occupied or 0))
    return rows


def _as_decimal(value, column_type) -> Decimal:
    if value is None:
        return Decimal("0.00")
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return column_type.process_result_value(value, db.engine.dialect)


def units_of_building(building_id: int, page: int = 1, per_page: int = 100):
    """Return a page of a building's units in code order."""
    q = sa.select(Unit).where(Unit.building_id == building_id).order_by(
        Unit.entrance, Unit.floor, Unit.room)
    return db.paginate(q, page=page, per_page=per_page, error_out=False)


def occupancies_of_unit(unit_id: int) -> list[Occupancy]:
    """Return every occupancy of a unit, current first."""
    return list(db.session.scalars(
        sa.select(Occupancy).where(Occupancy.unit_id == unit_id)
        .order_by(Occupancy.end_date.is_not(None), Occupancy.start_date)
    ))


def people(estate_id: int, text: str = "", page: int = 1, per_page: int = 50):
    """Return a page of the estate's people, filtered by name or phone/ID tail."""
    q = sa.select(Person).where(Person.estate_id == estate_id)
    text = text.strip()
    if text:
        q = q.where(sa.or_(Person.name.contains(text, autoescape=True),
                           Person.phone_tail == text[-4:], Person.id_tail == text[-4:].upper()))
    return db.paginate(q.order_by(Person.name, Person.id), page=page, per_page=per_page,
                       error_out=False)


def unit_by_code(estate_id: int, code: str) -> Unit | None:
    """Return the estate's unit with this display code."""
    return db.session.scalar(sa.select(Unit).where(Unit.estate_id == estate_id, Unit.code == code))
