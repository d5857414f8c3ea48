"""Import of buildings, units and people from CSV and .xlsx files, and export of them to .xlsx.

An import is all or nothing. The whole file is read and every row checked against the rules of
:mod:`frontdesk.services.register.records`; every problem is collected as (row as numbered in the
spreadsheet, column, reason). A clean file is kept under a random token, bound to the user and
the estate, until the user confirms; it is then claimed (so a second confirm finds nothing),
checked again and written in one transaction with one audit event.

The column headers are part of the file format, not of the user interface: they are the same in
every language, and the English column keys are accepted as well.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
import secrets
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from frontdesk.extensions import db
from frontdesk.models import Building, Estate, Occupancy, Person, Unit, User
from frontdesk.models.register import BUILDING_USAGES, ID_TYPES, UNIT_STATUSES
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.register import records
from frontdesk.services.validation import (
    id_number_error,
    normalise_phone,
    parse_area,
    phone_error,
)

KINDS = ("building", "unit", "person")
KIND_LABELS = {"building": _l("Building list"), "unit": _l("Unit list"),
               "person": _l("Resident list")}
#: sheet of a workbook read for each kind when present (an export holds all three)
SHEETS = {"building": "楼栋", "unit": "房屋", "person": "住户"}
PREVIEW_ROWS = 50
#: errors listed on the preview page; the count says how many there are in all
SHOWN_ERRORS = 1000
#: uploads nobody confirmed are removed after this many seconds
STASH_MAX_AGE = 24 * 3600
TOKEN_RE = re.compile(r"[0-9a-f]{32}")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ROLES = {"业主": "owner", "租户": "tenant", "家庭成员": "member"}
ROLE_NAMES = {v: k for k, v in ROLES.items()}
YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "无", "n", "no", "false", "0"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


@dataclass(frozen=True)
class Column:
    """A column of an import file: key (the English header), Chinese header, and its rule."""

    key: str
    header: str
    note: Any
    required: bool = False
    width: int = 12


COLUMNS: dict[str, tuple[Column, ...]] = {
    "building": (
        Column("number", "楼栋号", _l("Required; must not contain “-”."), True),
        Column("name", "名称", _l("Optional, up to 64 characters."), width=16),
        Column("usage", "用途", _l("住宅, 商业, 办公 or 车库; blank means 住宅.")),
        Column("floors", "楼层数", _l("Required; a whole number from 1 to 200."), True),
        Column("elevator", "电梯(是/否)", _l("是 or 否; blank means 否."), width=14),
    ),
    "unit": (
        Column("building", "楼栋号", _l("Required; a building already registered."), True),
        Column("entrance", "单元", _l("Required, up to 8 characters."), True),
        Column("floor", "楼层", _l("Required; a whole number from -5 to the building's floors."),
               True),
        Column("room", "房号", _l("Required, up to 16 characters."), True),
        Column("gross_area", "建筑面积", _l("m², greater than 0, at most two decimals.")),
        Column("inner_area", "套内面积", _l("m², greater than 0, not above the gross area.")),
        Column("usage", "用途", _l("住宅, 商业, 办公 or 车库; blank means the building's.")),
        Column("status", "状态", _l("未交房, 已交房, 已入住, 出租, 装修中 or 空置; "
                                  "blank means 未交房.")),
    ),
    "person": (
        Column("name", "姓名", _l("Required, up to 64 characters."), True),
        Column("phone", "手机", _l("Mobile (11 digits) or landline such as 010-12345678."),
               width=14),
        Column("id_type", "证件类型", _l("居民身份证 (the default), 护照, 港澳居民来往内地通行证, "
                                      "台湾居民来往大陆通行证 or 其他."), width=14),
        Column("id_number", "证件号码", _l("Must not belong to a person already registered."),
               width=22),
        Column("unit", "房号", _l("Optional unit code such as 3-2-1502; the unit must exist."),
               width=14),
        Column("role", "身份", _l("业主, 租户 or 家庭成员; required with a unit.")),
        Column("start_date", "起始日期", _l("Date such as 2024-05-01; required with a unit.")),
        Column("is_primary", "主要联系人(是/否)", _l("是 or 否: the unit's primary contact."),
               width=18),
        Column("emergency_contact", "紧急联系人", _l("Optional, up to 64 characters.")),
        Column("emergency_phone", "紧急联系电话", _l("Mobile or landline."), width=14),
    ),
}

GONE = _l("This import is no longer available: it has already been carried out, it has expired "
          "or it belongs to someone else. Upload the file again.")


@dataclass
class RowError:
    """A problem in a file: row as numbered in the spreadsheet (header = 1), column, reason."""

    row: int
    column: str
    reason: Any


@dataclass
class Preview:
    """What a check of an import file found, shown before anything is written."""

    kind: str
    filename: str
    #: the headers of the columns shown, in the order of COLUMNS
    columns: list[str]
    #: the first PREVIEW_ROWS rows: (row number, values of the columns shown)
    rows: list[tuple[int, list[str]]]
    #: number of data rows in the file
    total: int
    errors: list[RowError]
    #: the token under which a clean file waits for confirmation
    token: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]


@dataclass
class ImportResult:
    kind: str
    rows: int
    filename: str


class ImportRefused(DomainError):
    """The file has errors; ``preview`` lists them."""

    def __init__(self, preview: Preview):
        super().__init__(_l("The file has errors; nothing has been imported."))
        self.preview = preview


# reading files ---------------------------------------------------------------------------------


@dataclass
class _Table:
    """The rows of a file by column key, and the problems found so far."""

    kind: str
    #: column key → header as written in the file
    headers: dict[str, str]
    rows: list[_Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def header(self, key: str) -> str:
        if key in self.headers:
            return self.headers[key]
        return next((c.header for c in COLUMNS[self.kind] if c.key == key), key)


class _Row:
    """One data row; its checks record what is wrong instead of stopping at the first problem."""

    __slots__ = ("number", "cells", "table", "ok")

    def __init__(self, number: int, cells: dict[str, str], table: _Table):
        self.number = number
        self.cells = cells
        self.table = table
        self.ok = True

    def get(self, key: str) -> str:
        return self.cells.get(key, "")

    def label(self, key: str) -> str:
        return self.table.header(key)

    def fail(self, key: str, reason) -> None:
        self.ok = False
        self.table.errors.append(RowError(self.number, self.label(key), reason))

    def check(self, key: str, fn, *args, **kwargs):
        """Call a rule of the register; a DomainError becomes this row's error, None the result."""
        try:
            return fn(*args, **kwargs)
        except DomainError as e:
            keys = {c.key for c in COLUMNS[self.table.kind]}
            self.fail(e.field if e.field in keys else key, e.message)
            return None


def clean_filename(filename: str) -> str:
    """Return the file's own name without a client's folders, shortened for display."""
    return (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def csv_records(data: bytes) -> Iterator[list[str]]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        raise DomainError(_l("Only CSV (.csv) and Excel (.xlsx) files can be imported; save the "
                             "file as one of these (an old .xls file as .xlsx)."), "file")
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError(_l("The characters of the file could not be read. Save it as CSV in "
                             "UTF-8 or GBK (Excel's “CSV UTF-8” or “CSV”)."), "file")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):  # noqa: B007 - number is reported
            yield [cell.strip() for cell in record]
    except csv.Error:
        raise DomainError(_l("The CSV file is damaged near row %(row)s.", row=number + 1),
                          "file") from None


def xlsx_records(data: bytes, sheet: str) -> Iterator[list[str]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure means the file is not a workbook we can read
        raise DomainError(_l("The file could not be read as an Excel workbook (.xlsx)."),
                          "file") from None
    try:
        sheets = workbook.worksheets
        if not sheets:
            return
        ws = workbook[sheet] if sheet in workbook.sheetnames else sheets[0]
        ws.reset_dimensions()  # some programs write wrong dimensions; read what is there
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for values in ws.iter_rows(values_only=True):
                yield [_cell_text(v) for v in values]
    except DomainError:
        raise
    except Exception:  # noqa: BLE001
        raise DomainError(_l("The file could not be read as an Excel workbook (.xlsx)."),
                          "file") from None
    finally:
        workbook.close()


def _records(data: bytes, filename: str, kind: str) -> Iterator[list[str]]:
    if not data.strip():
        raise DomainError(_l("The file is empty."), "file")
    suffix = Path(clean_filename(filename)).suffix.lower()
    is_zip = data.startswith(b"PK\x03\x04")
    if suffix == ".xlsx" and is_zip:
        return xlsx_records(data, SHEETS[kind])
    if suffix == ".xlsx":
        raise DomainError(_l("The file could not be read as an Excel workbook (.xlsx)."), "file")
    if suffix in (".csv", ".txt") and not is_zip:
        return csv_records(data)
    raise DomainError(_l("Only CSV (.csv) and Excel (.xlsx) files can be imported; save the "
                         "file as one of these (an old .xls file as .xlsx)."), "file")


def _header_key(text: str) -> str:
    text = re.sub(r"[(（][^()（）]*[)）]\s*$", "", text.replace("\ufeff", "").strip())
    return re.sub(r"\s+", "", text).lower()


def read_table(data: bytes, filename: str, kind: str, max_rows: int) -> _Table:
    """Read a file's header and non-blank rows; raise DomainError if it cannot be read at all."""
    if kind not in KINDS:
        raise DomainError(_l("Choose what the file holds."), "kind")
    known = {}
    for column in COLUMNS[kind]:
        known[_header_key(column.header)] = column
        known[column.key] = column
    lines = _records(data, filename, kind)
    header = next(lines, None)
    if header is None:
        raise DomainError(_l("The file is empty."), "file")
    table = _Table(kind, {})
    #: index in the row → column key; None for columns that are not imported
    positions: list[str | None] = []
    for index, text in enumerate(header):
        column = known.get(_header_key(text)) if text else None
        positions.append(column.key if column else None)
        if not text:
            continue
        if column is None:
            table.errors.append(RowError(1, text, _l(
                "Unknown column. The columns of this kind of file are: %(columns)s.",
                columns="、".join(c.header for c in COLUMNS[kind]))))
        elif column.key in table.headers:
            table.errors.append(RowError(1, text, _l("This column appears twice in the header.")))
            positions[index] = None
        else:
            table.headers[column.key] = text
    if not any(header):
        table.errors.append(RowError(1, "", _l(
            "The first row must be the header: %(columns)s.",
            columns="、".join(c.header for c in COLUMNS[kind]))))
    else:
        for column in COLUMNS[kind]:
            if column.required and column.key not in table.headers:
                table.errors.append(RowError(1, column.header,
                                             _l("This column is missing from the header.")))
    header_ok = not table.errors
    for number, cells in enumerate(lines, start=2):
        if not any(cells):
            continue
        if len(table.rows) >= max_rows:
            raise DomainError(_l("The file has more than %(n)s rows. Split it into files of at "
                                 "most %(n)s rows.", n=max_rows), "file")
        row = _Row(number, {}, table)
        for index, text in enumerate(cells):
            key = positions[index] if index < len(positions) else None
            if key is not None:
                row.cells[key] = text
            elif text and header_ok:
                row.fail(get_column_letter(index + 1),
                         _l("This column has no header, so its value cannot be imported."))
        table.rows.append(row)
    if not table.rows and not table.errors:
        raise DomainError(_l("The file has a header but no data rows."), "file")
    return table


# checking rows ---------------------------------------------------------------------------------


def _no_dash(row: _Row, key: str, value: str | None) -> bool:
    if value and "-" in value:
        row.fail(key, _l("%(label)s must not contain “-”: it separates the parts of a unit code.",
                         label=row.label(key)))
        return False
    return bool(value)


def _text(row: _Row, key: str, *, required: bool = False, max_len: int = 64) -> str | None:
    return row.check(key, records._text, row.get(key), key, row.label(key),
                     required=required, max_len=max_len)


def _int(row: _Row, key: str) -> int | None:
    text = row.get(key)
    if not text:
        row.check(key, records._text, text, key, row.label(key))
        return None
    if not re.fullmatch(r"[+-]?\d+", text):
        row.fail(key, _l("%(label)s must be a whole number, such as 12.", label=row.label(key)))
        return None
    return int(text)


def _choice(row: _Row, key: str, choices: Iterable[str], default: str | None) -> str | None:
    text = row.get(key)
    if not text:
        return default
    choices = tuple(choices)
    if text in choices:
        return text
    row.fail(key, _l("%(label)s must be one of: %(values)s.", label=row.label(key),
                     values="、".join(choices)))
    return None


def _yes_no(row: _Row, key: str) -> bool | None:
    text = row.get(key).lower()
    if not text or text in NO:
        return False
    if text in YES:
        return True
    row.fail(key, _l("%(label)s must be 是 or 否 (yes or no).", label=row.label(key)))
    return None


def _date(row: _Row, key: str) -> date | None:
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


def _area(row: _Row, key: str) -> Decimal | None:
    area, reason = parse_area(row.get(key))
    if reason:
        row.fail(key, reason)
    return area


def _check_buildings(table: _Table, estate_id: int) -> list[dict]:
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


def _check_units(table: _Table, estate_id: int) -> list[dict]:
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


def _person_fields(row: _Row) -> dict | None:
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


def _check_people(table: _Table, estate_id: int) -> tuple[list[dict], list[dict]]:
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
        unit_id = role = start = primary = None
        if code:
            unit_id = units.get(code)
            if unit_id is None:
                row.fail("unit", _l("There is no unit %(code)s in this estate.", code=code))
            for key in ("role", "start_date"):
                if not row.get(key):
                    row.fail(key, _l("%(label)s is required when a unit is given.",
                                     label=row.label(key)))
            if text := row.get("role"):
                role = ROLES.get(text) or (text.lower() if text.lower() in ROLE_NAMES else None)
                if role is None:
                    _choice(row, "role", ROLES, None)
            if row.get("start_date"):
                start = _date(row, "start_date")
            primary = _yes_no(row, "is_primary")
        else:
            for key in ("role", "start_date", "is_primary"):
                if row.get(key) and (key != "is_primary" or _yes_no(row, key)):
                    row.fail(key, _l("%(label)s is only used with a unit: fill in %(unit)s or "
                                     "leave it blank.", label=row.label(key),
                                     unit=row.label("unit")))
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


def _check(table: _Table, estate_id: int):
    if table.errors and table.errors[0].row == 1:
        return None  # the header is wrong: the rows cannot be read by column
    if table.kind == "building":
        return _check_buildings(table, estate_id)
    if table.kind == "unit":
        return _check_units(table, estate_id)
    return _check_people(table, estate_id)


def _preview(table: _Table, filename: str) -> Preview:
    shown = [c for c in COLUMNS[table.kind] if c.key in table.headers]
    return Preview(
        kind=table.kind,
        filename=filename,
        columns=[table.headers[c.key] for c in shown],
        rows=[(r.number, [r.get(c.key) for c in shown]) for r in table.rows[:PREVIEW_ROWS]],
        total=len(table.rows),
        errors=table.errors,
    )


# the import ------------------------------------------------------------------------------------


def check_file(estate: Estate, kind: str, data: bytes, filename: str, max_rows: int) -> Preview:
    """Read and check a file without keeping it; raise DomainError if it cannot be read."""
    filename = clean_filename(filename)
    table = read_table(data, filename, kind, max_rows)
    _check(table, estate.id)
    return _preview(table, filename)


def prepare_import(actor: User, estate: Estate, kind: str, data: bytes, filename: str, *,
                   folder: Path, max_rows: int) -> Preview:
    """Check a file; keep a clean one under a token until the user confirms the import."""
    preview = check_file(estate, kind, data, filename, max_rows)
    if preview.ok:
        preview.token = stash_upload(Path(folder), data, {
            "user_id": actor.id, "estate_id": estate.id, "kind": kind,
            "filename": preview.filename, "sha256": hashlib.sha256(data).hexdigest(),
        })
    return preview


def confirm_import(actor: User, estate: Estate, token: str, *, folder: Path,
                   max_rows: int) -> ImportResult:
    """Import the file kept under the token: checked again, then written in one transaction.

    The stored file is claimed first, so a second confirm of the same token finds nothing.
    Raises ImportRefused if the file no longer passes (the register changed meanwhile).
    """
    meta, data = claim_upload(Path(folder), token, actor.id, estate.id)
    if meta.get("kind") not in KINDS:
        raise DomainError(GONE)
    try:
        return _write(actor, estate, meta["kind"], data, meta["filename"], max_rows)
    except sa.exc.IntegrityError:
        raise DomainError(_l("The register changed while the file was being imported; nothing "
                             "has been imported. Upload the file again.")) from None


@transactional
def _write(actor: User, estate: Estate, kind: str, data: bytes, filename: str,
           max_rows: int) -> ImportResult:
    table = read_table(data, filename, kind, max_rows)
    checked = _check(table, estate.id)
    if table.errors:
        raise ImportRefused(_preview(table, filename))
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


def stash_upload(folder: Path, data: bytes, meta: dict) -> str:
    """Keep an uploaded file until it is confirmed; return the token that names it."""
    folder.mkdir(parents=True, exist_ok=True)
    _purge_stale(folder)
    token = secrets.token_hex(16)
    (folder / token).write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def claim_upload(folder: Path, token: str, user_id: int, estate_id: int) -> tuple[dict, bytes]:
    """Take the stored file for good if it belongs to this user and estate."""
    if not TOKEN_RE.fullmatch(token or ""):
        raise DomainError(GONE)
    sidecar = folder / f"{token}.json"
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise DomainError(GONE) from None
    if meta.get("user_id") != user_id or meta.get("estate_id") != estate_id:
        raise DomainError(GONE)
    claimed = folder / f"{token}.{secrets.token_hex(4)}.claimed"
    try:
        os.rename(folder / token, claimed)  # atomic: of two confirms, one gets the file
    except FileNotFoundError:
        raise DomainError(GONE) from None
    try:
        data = claimed.read_bytes()
    finally:
        claimed.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
    if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        raise DomainError(GONE)
    return meta, data


def _purge_stale(folder: Path) -> None:
    limit = time.time() - STASH_MAX_AGE
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


# export ----------------------------------------------------------------------------------------


def _sheet_cell(ws, value):
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text that looks like a formula stays text
        return cell
    return value


def _workbook(sheets: Iterable[tuple[str, Iterable[Iterable[Any]]]]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    for kind, rows in sheets:
        ws = workbook.create_sheet(SHEETS[kind])
        ws.freeze_panes = "A2"
        for index, column in enumerate(COLUMNS[kind], start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.append([_sheet_cell(ws, c.header) for c in COLUMNS[kind]])
        for row in rows:
            ws.append([_sheet_cell(ws, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_workbook() -> bytes:
    """Return a blank workbook with a sheet and header row for each kind of import."""
    return _workbook((kind, ()) for kind in KINDS)


def export_workbook(estate_id: int, *, show_id, show_phone) -> bytes:
    """Return the estate's buildings, units and people as a workbook that can be imported again.

    ID numbers and phones pass through `show_id` and `show_phone`, which mask them as the
    people list does for the reader (a masked ID number must be typed again to import it).
    """
    buildings = (
        (b.number, b.name, b.usage, b.floors, "是" if b.elevator else "否")
        for b in db.session.scalars(sa.select(Building).where(Building.estate_id == estate_id)
                                    .order_by(Building.sort_key, Building.number))
    )
    units = (
        (number, entrance, floor, room, gross, inner, usage, status)
        for number, entrance, floor, room, gross, inner, usage, status in db.session.execute(
            sa.select(Building.number, Unit.entrance, Unit.floor, Unit.room, Unit.gross_area,
                      Unit.inner_area, Unit.usage, Unit.status)
            .join(Building, Building.id == Unit.building_id)
            .where(Unit.estate_id == estate_id)
            .order_by(Building.sort_key, Building.number, Unit.entrance, Unit.floor, Unit.room)
        )
    )
    people_q = (
        sa.select(Person.name, Person.phone, Person.id_type, Person.id_number, Unit.code,
                  Occupancy.role, Occupancy.start_date, Occupancy.is_primary,
                  Person.emergency_contact, Person.emergency_phone)
        .outerjoin(Occupancy, sa.and_(Occupancy.person_id == Person.id,
                                      Occupancy.end_date.is_(None)))
        .outerjoin(Unit, Unit.id == Occupancy.unit_id)
        .where(Person.estate_id == estate_id)
        .order_by(Person.name, Person.id, Unit.code)
    )
    people = (
        (name, show_phone(phone), id_type, show_id(id_number), code or "",
         ROLE_NAMES.get(role, "") if code else "",
         start.isoformat() if code and start else "",
         ("是" if primary else "否") if code else "", contact, show_phone(contact_phone))
        for (name, phone, id_type, id_number, code, role, start, primary, contact,
             contact_phone) in db.session.execute(people_q)
    )
    return _workbook((("building", buildings), ("unit", units), ("person", people)))
