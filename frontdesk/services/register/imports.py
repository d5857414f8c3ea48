"""Import of buildings, units and people from CSV and .xlsx files.

An import is all or nothing. The whole file is read (:mod:`frontdesk.services.uploads`) and every
row checked against the rules of :mod:`frontdesk.services.register.records`; every problem is
collected as (row as numbered in the spreadsheet, column, reason). A clean file is kept until the
user confirms; it is then claimed, checked again and written in one transaction with one audit
event.

The columns of each kind of file are in :mod:`frontdesk.services.register.sheets`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk import planner
from frontdesk.extensions import db
from frontdesk.models import Building, Estate, Occupancy, Person, Unit, User
from frontdesk.models.register import BUILDING_USAGES, ID_TYPES, UNIT_STATUSES
from frontdesk.services import DomainError, audit, transactional, uploads
from frontdesk.services.register import records
from frontdesk.services.register.sheets import (
    COLUMNS,
    KIND_LABELS,
    KINDS,
    ROLE_NAMES,
    ROLES,
    Row,
    Table,
    read_table,
)
from frontdesk.services.validation import (
    id_number_error,
    normalise_phone,
    parse_area,
    phone_error,
)

YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "无", "n", "no", "false", "0"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


@dataclass(kw_only=True)
class Preview(uploads.Preview):
    """A check of a register file: rows as (row number, values of the columns shown)."""

    kind: str
    #: the headers of the columns shown, in the order of COLUMNS
    columns: list[str]

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]


@dataclass
class ImportResult:
    kind: str
    rows: int
    filename: str


# checking rows ---------------------------------------------------------------------------------


def _no_dash(row: Row, key: str, value: str | None) -> bool:
    if value and "-" in value:
        row.fail(key, _l("%(label)s must not contain “-”: it separates the parts of a unit code.",
                         label=row.label(key)))
        return False
    return bool(value)


def _text(row: Row, key: str, *, required: bool = False, max_len: int = 64) -> str | None:
    return row.check(key, records.clean_text, row.get(key), key, row.label(key),
                     required=required, max_len=max_len)


def _int(row: Row, key: str) -> int | None:
    text = row.get(key)
    if not text:
        row.check(key, records.clean_text, text, key, row.label(key))
        return None
    if not re.fullmatch(r"[+-]?\d+", text):
        row.fail(key, _l("%(label)s must be a whole number, such as 12.", label=row.label(key)))
        return None
    return int(text)


def _choice(row: Row, key: str, choices: Iterable[str], default: str | None) -> str | None:
    text = row.get(key)
    if not text:
        return default
    choices = tuple(choices)
    if text in choices:
        return text
    row.fail(key, _l("%(label)s must be one of: %(values)s.", label=row.label(key),
                     values="、".join(choices)))
    return None


def _yes_no(row: Row, key: str) -> bool | None:
    text = row.get(key).lower()
    if not text or text in NO:
        return False
    if text in YES:
        return True
    row.fail(key, _l("%(label)s must be 是 or 否 (yes or no).", label=row.label(key)))
    return None


def _date(row: Row, key: str) -> date | None:
    text = row.get(key)
    for fmt in DATE_FORMATS:
        try:
            value = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if date(1900, 1, 1) <= value <= date(2100, 12, 31):
            return value
        break
    row.fail(key, _l("%(label)s must be a date such as 2024-05-01.", label=row.label(key)))
    return None


def _area(row: Row, key: str) -> Decimal | None:
    area, reason = parse_area(row.get(key))
    if reason:
        row.fail(key, reason)
    return area


def _check_buildings(table: Table, estate_id: int) -> list[dict]:
    existing = set(db.session.scalars(sa.select(Building.number)
                                      .where(Building.estate_id == estate_id)))
    seen: dict[str, int] = {}
    checked = []
    for row in table.rows:
        number = _text(row, "number", required=True, max_len=16)
        if _no_dash(row, "number", number):
            if number in existing:
                row.fail("number", _l("Building %(n)s already exists in this estate.", n=number))
            elif number in seen:
                row.fail("number", _l("Building %(n)s is also in row %(row)s of the file.",
                                      n=number, row=seen[number]))
            else:
                seen[number] = row.number
        name = _text(row, "name", max_len=64)
        usage = _choice(row, "usage", BUILDING_USAGES, "住宅")
        floors = _int(row, "floors")
        if floors is not None and not 1 <= floors <= 200:
            row.fail("floors", _l("%(label)s must be between %(lo)s and %(hi)s.",
                                  label=row.label("floors"), lo=1, hi=200))
        elevator = _yes_no(row, "elevator")
        if row.ok:
            checked.append({"number": number, "name": name, "usage": usage, "floors": floors,
                            "elevator": elevator, "sort_key": records.sort_key(number)})
    return checked


def _check_units(table: Table, estate_id: int) -> list[dict]:
    buildings = {b.number: b for b in db.session.execute(
        sa.select(Building.id, Building.number, Building.floors, Building.usage)
        .where(Building.estate_id == estate_id))}
    existing = set(db.session.scalars(sa.select(Unit.code).where(Unit.estate_id == estate_id)))
    seen: dict[str, int] = {}
    checked = []
    for row in table.rows:
        number = _text(row, "building", required=True, max_len=16)
        building = buildings.get(number) if number else None
        if number and building is None:
            row.fail("building", _l("There is no building %(n)s in this estate; register or "
                                    "import the building first.", n=number))
        entrance = _text(row, "entrance", required=True, max_len=8)
        floor = _int(row, "floor")
        room = _text(row, "room", required=True, max_len=16)
        parts_ok = _no_dash(row, "entrance", entrance) & _no_dash(row, "room", room)
        if floor is not None and building is not None and not -5 <= floor <= building.floors:
            row.fail("floor", _l("%(label)s must be between -5 and %(n)s (the building has %(n)s "
                                 "floors).", label=row.label("floor"), n=building.floors))
        gross = _area(row, "gross_area")
        inner = _area(row, "inner_area")
        if gross is not None and inner is not None and inner > gross:
            row.fail("inner_area", _l("The inner area must not be larger than the gross area."))
        usage = _choice(row, "usage", BUILDING_USAGES, building.usage if building else "住宅")
        status = _choice(row, "status", UNIT_STATUSES, "未交房")
        code = None
        if building is not None and parts_ok:
            code = records.unit_code(building.number, entrance, room)
            if len(code) > 40:
                row.fail("room", _l("The unit code %(code)s is longer than 40 characters.",
                                    code=code))
            elif code in existing:
                row.fail("room", _l("Unit %(code)s already exists in this estate.", code=code))
            elif code in seen:
                row.fail("room", _l("Unit %(code)s is also in row %(row)s of the file.",
                                    code=code, row=seen[code]))
            else:
                seen[code] = row.number
        if row.ok:
            checked.append({
                "building_id": building.id, "entrance": entrance, "floor": floor,
                "room": room, "code": code, "gross_area": gross, "inner_area": inner,
                "usage": usage, "status": status, "handover_date": None,
            })
    return checked


def _person_fields(row: Row) -> dict | None:
    """Check each field of a person on its own, then build the values with the register's rule."""
    _text(row, "name", required=True, max_len=64)
    for key in ("phone", "emergency_phone"):
        if reason := phone_error(normalise_phone(row.get(key))):
            row.fail(key, reason)
    id_type = _choice(row, "id_type", ID_TYPES, "居民身份证")
    if id_type is not None:
        if "*" in row.get("id_number"):
            row.fail("id_number", _l("The ID number is masked, as exports show it: type the "
                                     "whole number or leave the cell empty."))
        elif reason := id_number_error(id_type, row.get("id_number").upper()):
            row.fail("id_number", reason)
    _text(row, "emergency_contact", max_len=64)
    if not row.ok:
        return None
    return row.check("name", records.person_values, {
        "name": row.get("name"), "phone": row.get("phone"), "id_type": id_type,
        "id_number": row.get("id_number"), "emergency_contact": row.get("emergency_contact"),
        "emergency_phone": row.get("emergency_phone"),
    })


def _occupancy_fields(row: Row, units: dict[str, int]) -> tuple:
    """Check a person's unit, role, start date and primary flag; all None without a unit."""
    code = row.get("unit")
    unit_id = role = start = primary = None
    if not code:
        for key in ("role", "start_date", "is_primary"):
            if row.get(key) and (key != "is_primary" or _yes_no(row, key)):
                row.fail(key, _l("%(label)s is only used with a unit: fill in %(unit)s or "
                                 "leave it blank.", label=row.label(key), unit=row.label("unit")))
        return unit_id, role, start, primary
    unit_id = units.get(code)
    if unit_id is None:
        row.fail("unit", _l("There is no unit %(code)s in this estate.", code=code))
    for key in ("role", "start_date"):
        if not row.get(key):
            row.fail(key, _l("%(label)s is required when a unit is given.", label=row.label(key)))
    if text := row.get("role"):
        role = ROLES.get(text) or (text.lower() if text.lower() in ROLE_NAMES else None)
        if role is None:
            _choice(row, "role", ROLES, None)
    if row.get("start_date"):
        start = _date(row, "start_date")
    primary = _yes_no(row, "is_primary")
    return unit_id, role, start, primary


def _check_people(table: Table, estate_id: int) -> tuple[list[dict], list[dict]]:
    units = dict(db.session.execute(sa.select(Unit.code, Unit.id)
                                    .where(Unit.estate_id == estate_id)).all())
    ids_taken = set(db.session.scalars(sa.select(Person.id_number).where(
        Person.estate_id == estate_id, Person.id_number != "")))
    has_primary = set(db.session.scalars(sa.select(Occupancy.unit_id).where(
        Occupancy.estate_id == estate_id, Occupancy.end_date.is_(None),
        Occupancy.is_primary.is_(True))))
    people: list[dict] = []
    occupancies: list[dict] = []
    #: ID number → (index in people, row of the file it first appeared in)
    by_id: dict[str, tuple[int, int]] = {}
    primary_row: dict[int, int] = {}
    held: set[tuple[int, int]] = set()
    for row in table.rows:
        values = _person_fields(row)
        code = row.get("unit")
        unit_id, role, start, primary = _occupancy_fields(row, units)
        index = len(people)
        if values is not None and values["id_number"]:
            id_number = values["id_number"]
            if id_number in ids_taken:
                row.fail("id_number", _l("This ID number is already registered to a person of "
                                         "this estate."))
            elif id_number in by_id:
                index, first = by_id[id_number]
                if people[index] != values:
                    row.fail("id_number", _l("This ID number is also in row %(row)s with other "
                                             "details.", row=first))
                elif not code:
                    row.fail("id_number", _l("This person is also in row %(row)s.", row=first))
        if unit_id is not None and primary:
            if unit_id in has_primary:
                row.fail("is_primary", _l("Unit %(code)s already has a primary contact; change it "
                                          "on the unit's page.", code=code))
            elif unit_id in primary_row:
                row.fail("is_primary", _l("Unit %(code)s has another primary contact in row "
                                          "%(row)s.", code=code, row=primary_row[unit_id]))
        if unit_id is not None and (index, unit_id) in held:
            row.fail("unit", _l("This person is already given unit %(code)s in an earlier row.",
                                code=code))
        if not row.ok:
            continue
        if index == len(people):
            people.append(values)
            if values["id_number"]:
                by_id[values["id_number"]] = (index, row.number)
        if unit_id is not None:
            held.add((index, unit_id))
            if primary:
                primary_row[unit_id] = row.number
            occupancies.append({"person": index, "unit_id": unit_id, "role": role,
                                "start_date": start, "is_primary": bool(primary)})
    # as when one is registered by hand, a unit's first resident is its primary contact
    for occupancy in occupancies:
        unit_id = occupancy["unit_id"]
        if unit_id not in has_primary and unit_id not in primary_row:
            occupancy["is_primary"] = True
            primary_row[unit_id] = 0
    return people, occupancies


def _check(table: Table, estate_id: int):
    if table.errors and table.errors[0].row == 1:
        return None  # the header is wrong: the rows cannot be read by column
    if table.kind == "building":
        return _check_buildings(table, estate_id)
    if table.kind == "unit":
        return _check_units(table, estate_id)
    return _check_people(table, estate_id)


def _preview(table: Table, filename: str) -> Preview:
    shown = [c for c in COLUMNS[table.kind] if c.key in table.headers]
    return Preview(
        kind=table.kind,
        filename=filename,
        columns=[table.headers[c.key] for c in shown],
        rows=[(r.number, [r.get(c.key) for c in shown]) for r in table.rows[:uploads.PREVIEW_ROWS]],
        total=len(table.rows),
        errors=table.errors,
    )


# the import ------------------------------------------------------------------------------------


def check_file(estate: Estate, kind: str, data: bytes, filename: str, max_rows: int) -> Preview:
    """Read and check a file without keeping it; raise DomainError if it cannot be read."""
    filename = uploads.clean_filename(filename)
    table = read_table(data, filename, kind, max_rows)
    _check(table, estate.id)
    return _preview(table, filename)


def prepare_import(actor: User, estate: Estate, kind: str, data: bytes, filename: str, *,
                   folder: Path, max_rows: int) -> Preview:
    """Check a file; keep a clean one under a token until the user confirms the import."""
    preview = check_file(estate, kind, data, filename, max_rows)
    if preview.ok:
        preview.token = uploads.stash_upload(folder, data, user_id=actor.id,
                                             estate_id=estate.id, kind=kind,
                                             filename=preview.filename)
    return preview


def confirm_import(actor: User, estate: Estate, token: str, *, folder: Path,
                   max_rows: int) -> ImportResult:
    """Import the file kept under the token: checked again, then written in one transaction.

    The stored file is claimed first, so a second confirm of the same token finds nothing.
    Raises uploads.ImportRefused if the file no longer passes (the register changed meanwhile).
    """
    kind, data, filename = claim_import(actor, estate, token, folder=folder)
    return import_file(actor, estate, kind, data, filename, max_rows=max_rows)


def claim_import(actor: User, estate: Estate, token: str, *, folder: Path
                 ) -> tuple[str, bytes, str]:
    """Take the file kept under the token for good: return (kind, contents, file name).

    A second claim of the same token raises DomainError (the file is gone).
    """
    meta, data = uploads.claim_upload(folder, token, actor.id, estate.id)
    if meta.get("kind") not in KINDS:
        raise DomainError(uploads.GONE)
    return meta["kind"], data, meta["filename"]


def import_file(actor: User, estate: Estate, kind: str, data: bytes, filename: str, *,
                max_rows: int) -> ImportResult:
    """Check a claimed file again and write it in one transaction (ImportRefused if it fails)."""
    try:
        result = _write(actor, estate, kind, data, filename, max_rows)
    except sa.exc.IntegrityError:
        raise DomainError(_l("The register changed while the file was being imported; nothing "
                             "has been imported. Upload the file again.")) from None
    planner.analyze(db.session, planner.REGISTER_TABLES)  # the planner sees the new rows
    return result


@transactional
def _write(actor: User, estate: Estate, kind: str, data: bytes, filename: str,
           max_rows: int) -> ImportResult:
    table = read_table(data, filename, kind, max_rows)
    checked = _check(table, estate.id)
    if table.errors:
        raise uploads.ImportRefused(_preview(table, filename))
    if kind == "building":
        db.session.execute(sa.insert(Building), [{"estate_id": estate.id, **r} for r in checked])
    elif kind == "unit":
        db.session.execute(sa.insert(Unit), [{"estate_id": estate.id, **r} for r in checked])
    else:
        people, occupancies = checked
        ids = db.session.scalars(
            sa.insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [{"estate_id": estate.id, **p} for p in people],
        ).all()
        if occupancies:
            db.session.execute(sa.insert(Occupancy), [{
                "estate_id": estate.id, "unit_id": o["unit_id"], "person_id": ids[o["person"]],
                "role": o["role"], "start_date": o["start_date"], "end_date": None,
                "is_primary": o["is_primary"],
            } for o in occupancies])
    rows = len(table.rows)
    audit.record(actor, "import", object_type=kind, estate_id=estate.id,
                 after={"rows": rows, "file": filename})
    return ImportResult(kind, rows, filename)
