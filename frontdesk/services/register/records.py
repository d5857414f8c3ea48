"""Keeping the property register: estates, buildings, units, people, occupancies, vehicles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Building, Estate, Occupancy, Person, Unit, User, Vehicle
from frontdesk.models.register import (
    BUILDING_USAGES,
    ID_TYPES,
    OCCUPANCY_ROLES,
    UNIT_STATUSES,
)
from frontdesk.services import DomainError, accounts, audit, transactional
from frontdesk.services.validation import (
    id_number_error,
    normalise_phone,
    normalise_plate,
    phone_error,
    plate_error,
)

USAGE_ERROR = _l("The usage must be one of: 住宅 (residential), 商业 (commercial), "
                 "办公 (office) or 车库 (garage).")
MAX_TEXT = {"name": 64, "address": 200, "note": 500, "number": 16, "room": 16, "entrance": 8}


def clean_text(value: Any, field: str, label, *, required: bool = True, max_len: int = 64) -> str:
    """Return the value as stripped text; refuse it when required and blank, or too long."""
    text = ("" if value is None else str(value)).strip()
    if required and not text:
        raise DomainError(_l("%(label)s is required.", label=label), field)
    if len(text) > max_len:
        raise DomainError(_l("%(label)s must not be longer than %(n)s characters.",
                             label=label, n=max_len), field)
    return text


def sort_key(number: str) -> str:
    """Return a key that sorts building and room numbers naturally (2 before 10)."""
    return number.zfill(8) if number.isdigit() else number


def unit_code(building_number: str, entrance: str, room: str) -> str:
    """Return the display code 楼栋-单元-房号."""
    return f"{building_number}-{entrance}-{room}"


# estates ---------------------------------------------------------------------------------------


@transactional
def create_estate(actor: User, data: dict) -> Estate:
    """Create an estate and make the acting administrator its administrator."""
    name = clean_text(data.get("name"), "name", _l("Estate name"), max_len=100)
    if db.session.scalar(sa.select(Estate.id).where(Estate.name == name)):
        raise DomainError(_l("An estate named %(name)s already exists.", name=name), "name")
    estate = Estate(
        name=name,
        address=clean_text(data.get("address"), "address", _l("Address"), required=False,
                           max_len=200),
        phone=clean_text(data.get("phone"), "phone", _l("Phone"), required=False, max_len=32),
        timezone=data.get("timezone") or "Asia/Shanghai",
        receipt_prefix=clean_text(data.get("receipt_prefix") or "SJ", "receipt_prefix",
                                  _l("Receipt prefix"), max_len=8),
    )
    db.session.add(estate)
    accounts.join_estate(actor, estate, ["admin"])
    db.session.flush()
    audit.record(actor, "create", estate, estate_id=estate.id, after=audit.snapshot(estate))
    return estate


@transactional
def update_estate(actor: User, estate: Estate, data: dict) -> Estate:
    """Change an estate's name, address, phone, timezone or receipt prefix."""
    before = audit.snapshot(estate)
    name = clean_text(data.get("name"), "name", _l("Estate name"), max_len=100)
    clash = db.session.scalar(
        sa.select(Estate.id).where(Estate.name == name, Estate.id != estate.id)
    )
    if clash:
        raise DomainError(_l("An estate named %(name)s already exists.", name=name), "name")
    estate.name = name
    estate.address = clean_text(data.get("address"), "address", _l("Address"), required=False,
                                max_len=200)
    estate.phone = clean_text(data.get("phone"), "phone", _l("Phone"), required=False, max_len=32)
    estate.timezone = data.get("timezone") or estate.timezone
    estate.receipt_prefix = clean_text(data.get("receipt_prefix") or estate.receipt_prefix,
                                       "receipt_prefix", _l("Receipt prefix"), max_len=8)
    audit.record(actor, "update", estate, estate_id=estate.id, before=before,
                 after=audit.snapshot(estate))
    return estate


# buildings -------------------------------------------------------------------------------------


def _building_values(estate_id: int, data: dict, building_id: int | None = None) -> dict:
    number = clean_text(data.get("number"), "number", _l("Building number"), max_len=16)
    if "-" in number:
        raise DomainError(_l("The building number must not contain “-”: it separates the parts "
                             "of a unit code."), "number")
    clash = db.session.scalar(
        sa.select(Building.id).where(
            Building.estate_id == estate_id, Building.number == number,
            Building.id != (building_id or 0),
        )
    )
    if clash:
        raise DomainError(_l("Building number %(n)s already exists in this estate.", n=number),
                          "number")
    usage = data.get("usage") or "住宅"
    if usage not in BUILDING_USAGES:
        raise DomainError(USAGE_ERROR, "usage")
    floors = data.get("floors")
    try:
        floors = int(floors)
    except (TypeError, ValueError):
        raise DomainError(_l("The number of floors must be a whole number."), "floors") from None
    if not 1 <= floors <= 200:
        raise DomainError(_l("The number of floors must be between 1 and 200."), "floors")
    return {
        "number": number,
        "name": clean_text(data.get("name"), "name", _l("Building name"), required=False),
        "usage": usage,
        "floors": floors,
        "elevator": bool(data.get("elevator")),
        "sort_key": sort_key(number),
    }


@transactional
def create_building(actor: User, estate: Estate, data: dict) -> Building:
    """Add a building to an estate."""
    building = Building(estate_id=estate.id, **_building_values(estate.id, data))
    db.session.add(building)
    audit.record(actor, "create", building, after=audit.snapshot(building))
    return building


@transactional
def update_building(actor: User, building: Building, data: dict) -> Building:
    """Change a building; the codes of its units follow a new number."""
    before = audit.snapshot(building)
    values = _building_values(building.estate_id, data, building.id)
    renumbered = values["number"] != building.number
    for key, value in values.items():
        setattr(building, key, value)
    if renumbered:
        for unit in building.units:
            unit.code = unit_code(building.number, unit.entrance, unit.room)
    audit.record(actor, "update", building, before=before, after=audit.snapshot(building))
    return building


# units -----------------------------------------------------------------------------------------


def unit_values(estate_id: int, building: Building, data: dict, unit_id: int | None = None) -> dict:
    """Validate a unit's fields and return the values to store; raise DomainError otherwise."""
    entrance = clean_text(data.get("entrance"), "entrance", _l("Entrance"), max_len=8)
    room = clean_text(data.get("room"), "room", _l("Unit no."), max_len=16)
    for field, value in (("entrance", entrance), ("room", room)):
        if "-" in value:
            raise DomainError(_l("Entrance and unit number must not contain “-”: it separates "
                                 "the parts of a unit code."), field)
    try:
        floor = int(data.get("floor"))
    except (TypeError, ValueError):
        raise DomainError(_l("The floor must be a whole number."), "floor") from None
    if not -5 <= floor <= building.floors:
        raise DomainError(
            _l("The floor must be between -5 and %(n)s (the building has %(n)s floors).",
               n=building.floors),
            "floor",
        )
    gross = data.get("gross_area")
    inner = data.get("inner_area")
    for field, value, label in (("gross_area", gross, _l("Gross area")),
                                ("inner_area", inner, _l("Inner area"))):
        if value is None:
            continue
        if not isinstance(value, Decimal):
            raise DomainError(_l("%(label)s must be a number.", label=label), field)
        if value <= 0:
            raise DomainError(_l("%(label)s must be greater than 0.", label=label), field)
        if value >= Decimal("100000") or value != value.quantize(Decimal("0.01")):
            raise DomainError(_l("%(label)s must be less than 100000 with at most two decimals.",
                                 label=label), field)
    if gross is not None and inner is not None and inner > gross:
        raise DomainError(_l("The inner area cannot be larger than the gross area."), "inner_area")
    status = data.get("status") or "未交房"
    if status not in UNIT_STATUSES:
        raise DomainError(_l("Invalid unit status."), "status")
    usage = data.get("usage") or "住宅"
    if usage not in BUILDING_USAGES:
        raise DomainError(USAGE_ERROR, "usage")
    code = unit_code(building.number, entrance, room)
    clash = db.session.scalar(
        sa.select(Unit.id).where(
            Unit.estate_id == estate_id, Unit.code == code, Unit.id != (unit_id or 0)
        )
    )
    if clash:
        raise DomainError(_l("Unit %(code)s already exists in this estate.", code=code), "room")
    handover = data.get("handover_date")
    return {
        "building_id": building.id,
        "entrance": entrance,
        "floor": floor,
        "room": room,
        "code": code,
        "gross_area": gross,
        "inner_area": inner,
        "usage": usage,
        "status": status,
        "handover_date": handover,
    }


@transactional
def create_unit(actor: User, building: Building, data: dict) -> Unit:
    """Add a unit to a building."""
    unit = Unit(estate_id=building.estate_id, **unit_values(building.estate_id, building, data))
    db.session.add(unit)
    audit.record(actor, "create", unit, after=audit.snapshot(unit))
    return unit


@transactional
def update_unit(actor: User, unit: Unit, data: dict) -> Unit:
    """Change a unit's entrance, room, floor, areas, usage or status."""
    before = audit.snapshot(unit)
    for key, value in unit_values(unit.estate_id, unit.building, data, unit.id).items():
        setattr(unit, key, value)
    audit.record(actor, "update", unit, before=before, after=audit.snapshot(unit))
    return unit


# people ----------------------------------------------------------------------------------------


def person_values(data: dict) -> dict:
    """Validate a person's fields and return the values to store; raise DomainError otherwise."""
    name = clean_text(data.get("name"), "name", _l("Name"), max_len=64)
    phone = normalise_phone(data.get("phone") or "")
    if err := phone_error(phone):
        raise DomainError(err, "phone")
    id_type = data.get("id_type") or "居民身份证"
    if id_type not in ID_TYPES:
        raise DomainError(_l("Invalid ID type."), "id_type")
    id_number = (data.get("id_number") or "").strip().upper()
    if err := id_number_error(id_type, id_number):
        raise DomainError(err, "id_number")
    emergency_phone = normalise_phone(data.get("emergency_phone") or "")
    if err := phone_error(emergency_phone):
        raise DomainError(err, "emergency_phone")
    return {
        "name": name,
        "phone": phone,
        "phone_tail": phone[-4:],
        "id_type": id_type,
        "id_number": id_number,
        "id_tail": id_number[-4:],
        "emergency_contact": clean_text(data.get("emergency_contact"), "emergency_contact",
                                        _l("Emergency contact"), required=False),
        "emergency_phone": emergency_phone,
        "note": clean_text(data.get("note"), "note", _l("Note"), required=False, max_len=500),
    }


def _check_id_unique(estate_id: int, id_number: str, person_id: int | None = None) -> None:
    if not id_number:
        return
    clash = db.session.scalar(
        sa.select(Person.id).where(
            Person.estate_id == estate_id, Person.id_number == id_number,
            Person.id != (person_id or 0),
        )
    )
    if clash:
        raise DomainError(_l("This ID number is already registered to another resident of "
                             "this estate."), "id_number")


@transactional
def create_person(actor: User, estate: Estate, data: dict) -> Person:
    """Register a person (owner, tenant or household member) in an estate."""
    return _create_person(actor, estate, data)


def _create_person(actor: User, estate: Estate, data: dict) -> Person:
    values = person_values(data)
    _check_id_unique(estate.id, values["id_number"])
    person = Person(estate_id=estate.id, **values)
    db.session.add(person)
    audit.record(actor, "create", person, after=audit.snapshot(person))
    return person


@transactional
def update_person(actor: User, person: Person, data: dict) -> Person:
    """Change a person's details."""
    before = audit.snapshot(person)
    values = person_values(data)
    _check_id_unique(person.estate_id, values["id_number"], person.id)
    for key, value in values.items():
        setattr(person, key, value)
    audit.record(actor, "update", person, before=before, after=audit.snapshot(person))
    return person


# occupancies -----------------------------------------------------------------------------------


def _occupancy_checks(unit: Unit, person: Person | None, role: str, start: date | None,
                      end: date | None) -> None:
    if person is not None and person.estate_id != unit.estate_id:
        raise DomainError(_l("The resident and the unit belong to different estates."), "person_id")
    if role not in OCCUPANCY_ROLES:
        raise DomainError(_l("The resident type must be owner, tenant or household member."),
                          "role")
    if start is None:
        raise DomainError(_l("The start date is required."), "start_date")
    if end is not None and end < start:
        raise DomainError(_l("The end date cannot be before the start date."), "end_date")


def _clear_primary(unit: Unit, keep: Occupancy) -> None:
    for other in unit.occupancies:
        if other is not keep and other.is_primary:
            other.is_primary = False


@transactional
def add_occupancy(actor: User, unit: Unit, person: Person, data: dict) -> Occupancy:
    """Link a person to a unit as owner, tenant or household member."""
    return _add_occupancy(actor, unit, person, data)


@transactional
def register_resident(actor: User, unit: Unit, person_data: dict, data: dict) -> Occupancy:
    """Register a new person and link them to the unit, in one transaction."""
    _occupancy_checks(unit, None, data.get("role") or "", data.get("start_date"),
                      data.get("end_date"))
    person = _create_person(actor, unit.building.estate, person_data)
    return _add_occupancy(actor, unit, person, data)


def _add_occupancy(actor: User, unit: Unit, person: Person, data: dict) -> Occupancy:
    role = data.get("role") or ""
    start, end = data.get("start_date"), data.get("end_date")
    _occupancy_checks(unit, person, role, start, end)
    current = [o for o in unit.occupancies if o.person_id == person.id and o.end_date is None]
    if current:
        raise DomainError(_l("%(name)s is already registered at this unit; end that "
                             "registration first.", name=person.name),
                          "person_id")
    occupancy = Occupancy(
        estate_id=unit.estate_id, unit=unit, person=person, role=role,
        start_date=start, end_date=end, is_primary=bool(data.get("is_primary")),
    )
    db.session.add(occupancy)
    if occupancy.is_primary:
        _clear_primary(unit, occupancy)
    elif not any(o.is_primary and o.end_date is None for o in unit.occupancies):
        occupancy.is_primary = True
    audit.record(actor, "create", occupancy, after=audit.snapshot(occupancy))
    return occupancy


@transactional
def end_occupancy(actor: User, occupancy: Occupancy, end: date | None) -> Occupancy:
    """Record the date a person stopped living in or holding a unit."""
    if end is None:
        raise DomainError(_l("Please enter the end date."), "end_date")
    if end < occupancy.start_date:
        raise DomainError(_l("The end date cannot be before the start date."), "end_date")
    before = audit.snapshot(occupancy)
    occupancy.end_date = end
    occupancy.is_primary = False
    audit.record(actor, "update", occupancy, before=before, after=audit.snapshot(occupancy))
    return occupancy


# vehicles --------------------------------------------------------------------------------------


@transactional
def add_vehicle(actor: User, estate_id: int, data: dict, *, person: Person | None = None,
                unit: Unit | None = None) -> Vehicle:
    """Register a vehicle's plate for a person or unit."""
    plate = normalise_plate(data.get("plate") or "")
    if not plate:
        raise DomainError(_l("The plate number is required."), "plate")
    if err := plate_error(plate):
        raise DomainError(err, "plate")
    if db.session.scalar(sa.select(Vehicle.id).where(Vehicle.estate_id == estate_id,
                                                     Vehicle.plate == plate)):
        raise DomainError(_l("Plate number %(plate)s is already registered.", plate=plate), "plate")
    vehicle = Vehicle(
        estate_id=estate_id, plate=plate, person=person, unit=unit,
        note=clean_text(data.get("note"), "note", _l("Note"), required=False, max_len=200),
    )
    db.session.add(vehicle)
    audit.record(actor, "create", vehicle, after=audit.snapshot(vehicle))
    return vehicle


@transactional
def remove_vehicle(actor: User, vehicle: Vehicle) -> None:
    """Remove a vehicle's plate from the register."""
    audit.record(actor, "delete", vehicle, before=audit.snapshot(vehicle))
    db.session.delete(vehicle)
