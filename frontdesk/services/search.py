"""The desk screen's one search box: unit code, name, phone or ID tail, plate."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Occupancy, Person, Unit, Vehicle


@dataclass
class Hit:
    """One unit found, and why."""

    unit: Unit
    reason: str
    names: list[str]


UNIT_CODE_RE = re.compile(r"^[^\s-]+-[^\s-]+-[^\s-]+$")


def _units_of_people(person_filter, estate_id: int) -> list[tuple[Unit, Person]]:
    q = (
        sa.select(Unit, Person)
        .join(Occupancy, Occupancy.unit_id == Unit.id)
        .join(Person, Person.id == Occupancy.person_id)
        .where(Unit.estate_id == estate_id, Occupancy.end_date.is_(None), person_filter)
        .order_by(Unit.code)
        .limit(200)
    )
    return [(unit, person) for unit, person in db.session.execute(q)]


def search(estate_id: int, text: str, limit: int = 50) -> list[Hit]:
    """Find units of one estate by code, code prefix, resident name, phone or ID tail, or plate."""
    text = (text or "").strip()[:64]
    if not text:
        return []
    hits: dict[int, Hit] = {}

    def add(unit: Unit, reason: str, name: str | None = None) -> None:
        hit = hits.setdefault(unit.id, Hit(unit, reason, []))
        if name and name not in hit.names:
            hit.names.append(name)

    if UNIT_CODE_RE.match(text):
        unit = db.session.scalar(
            sa.select(Unit).where(Unit.estate_id == estate_id, Unit.code == text)
        )
        if unit:
            add(unit, "code")
            return list(hits.values())
    if re.fullmatch(r"\w+(-\w*){0,2}", text) and not re.fullmatch(r"\d{4}", text):
        dashes = text.count("-")
        prefix = text if text.endswith("-") or dashes == 2 else text + "-"
        for unit in db.session.scalars(
            sa.select(Unit)
            .where(Unit.estate_id == estate_id, Unit.code.startswith(prefix, autoescape=True))
            .order_by(Unit.code)
            .limit(limit)
        ):
            add(unit, "code")
    if re.fullmatch(r"\d{4}", text) or re.fullmatch(r"\d{3}[\dXx]", text):
        tail = text.upper()
        for unit, person in _units_of_people(
            sa.or_(Person.phone_tail == tail, Person.id_tail == tail), estate_id
        ):
            add(unit, "phone" if person.phone_tail == tail else "id", person.name)
    if re.fullmatch(r"1\d{10}", text):
        for unit, person in _units_of_people(Person.phone == text, estate_id):
            add(unit, "phone", person.name)
    plate = re.sub(r"[\s·.\-]", "", text).upper()
    if len(plate) >= 5 and re.search(r"[A-Z]", plate):
        q = (
            sa.select(Vehicle)
            .where(Vehicle.estate_id == estate_id, Vehicle.plate.contains(plate, autoescape=True))
            .limit(limit)
        )
        for vehicle in db.session.scalars(q):
            unit = vehicle.unit
            if unit is None and vehicle.person is not None:
                occ = [o for o in vehicle.person.occupancies if o.end_date is None]
                unit = occ[0].unit if occ else None
            if unit is not None:
                add(unit, "plate", vehicle.plate)
    if not re.fullmatch(r"[\d\sA-Za-z-]*", text):
        for unit, person in _units_of_people(Person.name.contains(text, autoescape=True),
                                             estate_id):
            add(unit, "name", person.name)
    return list(hits.values())[:limit]
