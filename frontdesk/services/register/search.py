"""The desk screen's one search box: unit code, name, phone or ID tail, plate.

What the text can mean decides which queries run (:func:`meanings`), and each reads an index
of one estate:

- an address (3号楼2单元1502) or a unit code (3-2-1502): the unit; a code's first parts
  (3-2, 3-2-15): the units whose code starts so, as a range of the (estate, code) index;
- four digits (5678) or three and an X (001X): the tail of a phone or ID number; eleven digits
  from 1: a phone number;
- a plate (京A12345, A12345): vehicles whose plate contains it;
- a name: one character is a surname (张 finds 张三 and 张伟, not 小张); two or more are found
  anywhere in the name (三丰 finds 张三丰). Names are read through the pieces of each name that
  the database keeps in ``person_name_gram`` (:class:`PersonNameGram`): the first character,
  and every two adjacent ones. Text with digits is never a name, and text with Chinese
  characters is never a tail or a phone.

Hits for a name come in name order, the others in unit-code order; each hit's unit comes with
its building (the result list shows it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from frontdesk.extensions import db
from frontdesk.models import Building, Occupancy, Person, PersonNameGram, Unit, Vehicle


@dataclass
class Hit:
    """One unit found, and why."""

    unit: Unit
    reason: str
    names: list[str]


UNIT_CODE_RE = re.compile(r"^[^\s-]+-[^\s-]+-[^\s-]+$")
#: a code's first parts: 3, 3-, 3-2, 3-2-, 3-2-15
CODE_PREFIX_RE = re.compile(r"\w+(-\w*){0,2}")
#: the last four characters of a phone or ID number
TAIL_RE = re.compile(r"\d{4}|\d{3}[Xx]")
PHONE_RE = re.compile(r"1\d{10}")
#: a plate with its province (京A12345, 粤B12345D, 沪AD12345): no unit code
PROVINCE_PLATE_RE = re.compile(r"[^\x00-\x7f][A-Z][A-Z0-9]{4,6}[^\x00-\x7f]?")
#: rows of people read for one name or tail search (a unit can have several)
PEOPLE_ROWS = 200
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


def _starting_with(column, prefix: str):
    """Rows whose column starts with the prefix, as a range an index reads.

    LIKE 'x%' can use no index here: SQLite only under case_sensitive_like, PostgreSQL only
    under the C collation. On PostgreSQL the range compares bytes (~>=~, ~<~), served by the
    text_pattern_ops index whatever the database's collation; SQLite compares bytes."""
    pg = db.engine.dialect.name == "postgresql"
    low = column.op("~>=~")(prefix) if pg else column >= prefix
    last = ord(prefix[-1]) + 1
    last = 0xE000 if 0xD800 <= last <= 0xDFFF else last  # no surrogates in UTF-8
    if last > 0x10FFFF:  # no character after the last: the range from the prefix on
        return sa.and_(low, column.startswith(prefix, autoescape=True))
    upper = prefix[:-1] + chr(last)
    return sa.and_(low, column.op("~<~")(upper) if pg else column < upper)


def _any_case(column, prefix: str):
    """Codes that start with the prefix as typed, in capitals or in small letters (a-1 finds
    A-1-101), on both databases."""
    spellings = dict.fromkeys((prefix, prefix.upper(), prefix.lower()))
    return sa.or_(*(_starting_with(column, p) for p in spellings))


def _units(q: sa.Select) -> list[Unit]:
    return list(db.session.scalars(q.options(joinedload(Unit.building))))


def _by_address(estate_id: int, address: Address, limit: int) -> list[Unit]:
    """Return the units an address names: one unit, or those of a building or entrance."""
    q = sa.select(Unit).where(Unit.estate_id == estate_id)
    if address.entrance and address.room:
        code = f"{address.building}-{address.entrance}-{address.room}"
        q = q.where(Unit.code.in_(list(dict.fromkeys((code, code.upper(), code.lower())))))
    elif address.room:
        # 3栋1502: the room in any entrance of the building
        q = q.join(Building, Building.id == Unit.building_id).where(
            Building.number.in_(list(dict.fromkeys(
                (address.building, address.building.upper(), address.building.lower())))),
            Unit.room == address.room)
    else:
        prefix = f"{address.building}-" + (f"{address.entrance}-" if address.entrance else "")
        q = q.where(_any_case(Unit.code, prefix))
    return _units(q.order_by(Unit.code).limit(limit))


def _by_code(estate_id: int, code: str) -> Unit | None:
    """Return the unit of exactly this code (as typed, else in capitals or small letters)."""
    found = _units(sa.select(Unit).where(
        Unit.estate_id == estate_id,
        Unit.code.in_(list(dict.fromkeys((code, code.upper(), code.lower()))))))
    return next((u for u in found if u.code == code), found[0] if found else None)


def _by_code_prefix(estate_id: int, text: str, limit: int) -> list[Unit]:
    prefix = text if text.endswith("-") or text.count("-") == 2 else text + "-"
    return _units(sa.select(Unit).where(Unit.estate_id == estate_id, _any_case(Unit.code, prefix))
                  .order_by(Unit.code).limit(limit))


def _by_tail(estate_id: int, person_filter) -> list[tuple[Unit, str, str]]:
    """Return (unit, name, phone tail) of the current residents a filter of Person finds."""
    q = (
        sa.select(Unit, Person.name, Person.phone_tail)
        .join(Occupancy, Occupancy.unit_id == Unit.id)
        .join(Person, Person.id == Occupancy.person_id)
        .where(Person.estate_id == estate_id, person_filter, Occupancy.end_date.is_(None),
               Unit.estate_id == estate_id)
        .order_by(Unit.code)
        .limit(PEOPLE_ROWS)
        .options(joinedload(Unit.building))
    )
    return [tuple(row) for row in db.session.execute(q)]


def _lookup_gram(text: str) -> str | None:
    """The piece of a name to look up for a text of two or more characters: two adjacent
    characters without case (Chinese), so that the database's case rules cannot matter."""
    for i in range(len(text) - 1):
        pair = text[i:i + 2]
        if pair.lower() == pair.upper():
            return pair
    return None


def _by_name(estate_id: int, text: str, limit: int) -> list[tuple[Unit, str]]:
    """Return (unit, name) of the current residents whose name starts with a one-character
    text (a surname) or contains a longer one, in name order, for at most ``limit`` units.

    A surname finds hundreds of people: their units' ids are read first, and only the
    units shown are loaded."""
    gram = text if len(text) == 1 else _lookup_gram(text)
    if gram is None:  # no two adjacent characters without case (Anna·Li): read the names
        q = (
            sa.select(Occupancy.unit_id, Person.name)
            .join(Person, Person.id == Occupancy.person_id)
            .where(Person.estate_id == estate_id, Person.name.contains(text, autoescape=True))
            .order_by(Person.name, Person.id)
        )
    else:
        q = (
            sa.select(Occupancy.unit_id, PersonNameGram.name)
            .join(PersonNameGram, PersonNameGram.person_id == Occupancy.person_id)
            .where(PersonNameGram.estate_id == estate_id, PersonNameGram.gram == gram)
            .order_by(PersonNameGram.name, PersonNameGram.person_id)
        )
        if len(text) > 2:  # the piece looked up is part of it: the whole text in the name
            q = q.where(PersonNameGram.name.contains(text, autoescape=True))
    rows = db.session.execute(q.where(Occupancy.end_date.is_(None),
                                      Occupancy.estate_id == estate_id)
                              .limit(PEOPLE_ROWS)).all()
    shown = list(dict.fromkeys(unit_id for unit_id, _ in rows))[:limit]
    if not shown:
        return []
    units = {u.id: u for u in _units(sa.select(Unit).where(Unit.id.in_(shown),
                                                           Unit.estate_id == estate_id))}
    return [(units[unit_id], name) for unit_id, name in rows if unit_id in units]


def _plate_contains(plate: str):
    """Plates that contain the text. A plate's Chinese character is its first (京A12345)
    but for a last one (粤Z1234港): text that starts with one is the start of a plate, a
    range of the (estate, plate) index; other text is looked for in every plate."""
    if plate[0].isascii():
        return Vehicle.plate.contains(plate, autoescape=True)
    return _starting_with(Vehicle.plate, plate)


def _by_plate(estate_id: int, plate: str, limit: int) -> list[tuple[Unit, str]]:
    """Return (unit, plate) for vehicles whose plate contains the text: the vehicle's unit,
    else, for a resident's vehicle, the resident's current unit."""
    occupancy = aliased(Occupancy)
    q = (
        sa.select(Vehicle.id, Vehicle.plate, Unit)
        .outerjoin(occupancy, sa.and_(Vehicle.unit_id.is_(None),
                                      occupancy.person_id == Vehicle.person_id,
                                      occupancy.end_date.is_(None)))
        .join(Unit, Unit.id == sa.func.coalesce(Vehicle.unit_id, occupancy.unit_id))
        .where(Vehicle.estate_id == estate_id, _plate_contains(plate))
        .order_by(Vehicle.plate, Vehicle.id, occupancy.id)
        .limit(PEOPLE_ROWS)
        .options(joinedload(Unit.building))
    )
    found: dict[int, tuple[Unit, str]] = {}
    for vehicle_id, plate_found, unit in db.session.execute(q):
        if vehicle_id not in found and len(found) < limit:
            found[vehicle_id] = (unit, plate_found)
    return list(found.values())


@dataclass(frozen=True)
class Meanings:
    """What a search text can mean: the queries worth running."""

    code_prefix: bool
    tail: bool
    phone: bool
    plate: str | None
    name: bool


def meanings(text: str) -> Meanings:
    """Decide what a normalised search text can mean."""
    plate = re.sub(r"[\s·.\-]", "", text).upper()
    province_plate = "-" not in text and PROVINCE_PLATE_RE.fullmatch(plate) is not None
    tail = TAIL_RE.fullmatch(text) is not None
    phone = PHONE_RE.fullmatch(text) is not None
    return Meanings(
        # building numbers may be Chinese (商铺): a Chinese word can still be a code's start
        code_prefix=(CODE_PREFIX_RE.fullmatch(text) is not None and not tail and not phone
                     and not province_plate),
        tail=tail,
        phone=phone,
        plate=plate if len(plate) >= 5 and re.search(r"[A-Z]", plate) else None,
        # a name has a character other than Latin letters, digits and dashes, and no digit
        name=(re.fullmatch(r"[\d\sA-Za-z-]*", text) is None
              and re.search(r"\d", text) is None),
    )


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
        unit = _by_code(estate_id, text)
        if unit:
            add(unit, "code")
            return list(hits.values())
    meant = meanings(text)
    if meant.code_prefix:
        for unit in _by_code_prefix(estate_id, text, limit):
            add(unit, "code")
    if meant.tail:
        tail = text.upper()
        for unit, name, phone_tail in _by_tail(
            estate_id, sa.or_(Person.phone_tail == tail, Person.id_tail == tail)
        ):
            add(unit, "phone" if phone_tail == tail else "id", name)
    if meant.phone:
        for unit, name, _ in _by_tail(estate_id, Person.phone == text):
            add(unit, "phone", name)
    if meant.plate:
        for unit, plate_found in _by_plate(estate_id, meant.plate, limit):
            add(unit, "plate", plate_found)
    if meant.name:
        for unit, name in _by_name(estate_id, text, limit):
            add(unit, "name", name)
    return list(hits.values())[:limit]
