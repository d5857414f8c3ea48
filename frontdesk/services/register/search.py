"""The desk screen's one search box: unit code, name, phone or ID tail, plate."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Building, Occupancy, Person, Unit, Vehicle


@dataclass
class Hit:
    """One unit found, and why."""

    unit: Unit
    reason: str
    names: list[str]


UNIT_CODE_RE = re.compile(r"^[^\s-]+-[^\s-]+-[^\s-]+$")
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_NUMBER = r"[0-9A-Za-z]+|[〇零一二两三四五六七八九十]{1,3}"
#: an address as people say it: 3号楼2单元1502, 3栋2单元1502室, 3幢二单元1502, 3#2单元1502
ADDRESS_RE = re.compile(
    rf"^(?P<b>{_NUMBER})\s*(?:号楼|号|栋|幢|座|楼|#)\s*"
    rf"(?:(?P<e>{_NUMBER})\s*单元\s*)?"
    r"(?:(?P<r>[0-9A-Za-z]+)\s*(?:室|号|房)?)?$")


def _plain_number(text: str) -> str:
    """Turn 一 … 九十九 into digits; digits and letters stay as they are."""
    if not text or (text[0] not in _CN_DIGITS and text[0] != "十"):
        return text
    if "十" not in text:
        return str(_CN_DIGITS[text]) if len(text) == 1 else text
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return text
    return str((_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0))


@dataclass(frozen=True)
class Address:
    """A unit address read from 3号楼2单元1502: the parts that were given."""

    building: str
    entrance: str | None = None
    room: str | None = None


def read_address(text: str) -> Address | None:
    """Read 3号楼2单元1502 (3栋2单元1502室, 3幢二单元1502, 3#2单元1502 …), or None."""
    m = ADDRESS_RE.match(text)
    if m is None:
        return None
    return Address(building=_plain_number(m["b"]),
                   entrance=_plain_number(m["e"]) if m["e"] else None, room=m["r"])


def normalise_query(text: str) -> str:
    """Fold full-width digits, letters and dashes (３－２－１５０２) and a 室 after a unit code."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if text.endswith("室") and UNIT_CODE_RE.match(text[:-1]):
        text = text[:-1]
    return text


def _by_address(estate_id: int, address: Address, limit: int) -> list[Unit]:
    """Return the units an address names: one unit, or those of a building or entrance."""
    q = sa.select(Unit).where(Unit.estate_id == estate_id)
    if address.entrance and address.room:
        q = q.where(Unit.code == f"{address.building}-{address.entrance}-{address.room}")
    elif address.room:
        # 3栋1502: the room in any entrance of the building
        q = q.join(Building, Building.id == Unit.building_id).where(
            Building.number == address.building, Unit.room == address.room)
    else:
        prefix = f"{address.building}-" + (f"{address.entrance}-" if address.entrance else "")
        q = q.where(Unit.code.startswith(prefix, autoescape=True))
    return list(db.session.scalars(q.order_by(Unit.code).limit(limit)))


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


def _by_plate(estate_id: int, plate: str, limit: int) -> list[tuple[Unit, str]]:
    """Return (unit, plate) for vehicles whose plate contains the text."""
    found = []
    q = (
        sa.select(Vehicle)
        .where(Vehicle.estate_id == estate_id, Vehicle.plate.contains(plate, autoescape=True))
        .limit(limit)
    )
    for vehicle in db.session.scalars(q):
        unit = vehicle.unit  # else, for a resident's vehicle, the resident's current unit
        if unit is None and vehicle.person is not None:
            occ = [o for o in vehicle.person.occupancies if o.end_date is None]
            unit = occ[0].unit if occ else None
        if unit is not None:
            found.append((unit, vehicle.plate))
    return found


def find_hits(estate_id: int, text: str, limit: int = 50) -> list[Hit]:
    """Find units of one estate by code, code prefix, resident name, phone or ID tail, or plate."""
    text = normalise_query(text)[:64]
    if not text:
        return []
    hits: dict[int, Hit] = {}

    def add(unit: Unit, reason: str, name: str | None = None) -> None:
        hit = hits.setdefault(unit.id, Hit(unit, reason, []))
        if name and name not in hit.names:
            hit.names.append(name)

    address = read_address(text)
    if address is not None:
        for unit in _by_address(estate_id, address, limit):
            add(unit, "code")
        if hits:
            return list(hits.values())

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
        for unit, plate_found in _by_plate(estate_id, plate, limit):
            add(unit, "plate", plate_found)
    if not re.fullmatch(r"[\d\sA-Za-z-]*", text):
        for unit, person in _units_of_people(Person.name.contains(text, autoescape=True),
                                             estate_id):
            add(unit, "name", person.name)
    return list(hits.values())[:limit]
