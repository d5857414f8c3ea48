"""The register's files: the columns of each kind (buildings, units, people), reading a file into
rows by column, and the export and blank template written in the same format, so that an export
can be imported again.

The column headers are part of the file format, not of the user interface: they are the same in
every language, and the English column keys are accepted as well.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from frontdesk.extensions import db
from frontdesk.models import Building, Occupancy, Person, Unit
from frontdesk.services import DomainError, uploads
from frontdesk.services.uploads import RowError

KINDS = ("building", "unit", "person")
KIND_LABELS = {"building": _l("Building list"), "unit": _l("Unit list"),
               "person": _l("Resident list")}
#: sheet of a workbook read for each kind when present (an export holds all three)
SHEETS = {"building": "楼栋", "unit": "房屋", "person": "住户"}
ROLES = {"业主": "owner", "租户": "tenant", "家庭成员": "member"}
ROLE_NAMES = {v: k for k, v in ROLES.items()}

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


# reading files ---------------------------------------------------------------------------------


@dataclass
class Table:
    """The rows of a file by column key, and the problems found so far."""

    kind: str
    #: column key → header as written in the file
    headers: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def header(self, key: str) -> str:
        if key in self.headers:
            return self.headers[key]
        return next((c.header for c in COLUMNS[self.kind] if c.key == key), key)


class Row:
    """One data row; its checks record what is wrong instead of stopping at the first problem."""

    __slots__ = ("number", "cells", "table", "ok")

    def __init__(self, number: int, cells: dict[str, str], table: Table):
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


def read_table(data: bytes, filename: str, kind: str, max_rows: int) -> Table:
    """Read a file's header and non-blank rows; raise DomainError if it cannot be read at all."""
    if kind not in KINDS:
        raise DomainError(_l("Choose what the file holds."), "kind")
    lines = uploads.file_records(data, filename, SHEETS[kind])
    table = Table(kind, {})
    positions = _read_header(table, uploads.first_row(lines))
    header_ok = not table.errors
    for number, cells in uploads.data_rows(lines, max_rows):
        row = Row(number, {}, table)
        for index, text in enumerate(cells):
            key = positions[index] if index < len(positions) else None
            if key is not None:
                row.cells[key] = text
            elif text and header_ok:
                row.fail(get_column_letter(index + 1),
                         _l("This column has no header, so its value cannot be imported."))
        table.rows.append(row)
    uploads.require_rows(table.rows, table.errors)
    return table


def _read_header(table: Table, header: list[str]) -> list[str | None]:
    """Note the file's headers and their problems; return the column key at each index.

    The key is None for a column that is not imported.
    """
    columns = COLUMNS[table.kind]
    known = {}
    for column in columns:
        known[uploads.header_key(column.header)] = column
        known[column.key] = column
    positions: list[str | None] = []
    for index, text in enumerate(header):
        column = known.get(uploads.header_key(text)) if text else None
        positions.append(column.key if column else None)
        if not text:
            continue
        if column is None:
            table.errors.append(RowError(1, text, _l(
                "Unknown column. The columns of this kind of file are: %(columns)s.",
                columns="、".join(c.header for c in columns))))
        elif column.key in table.headers:
            table.errors.append(RowError(1, text, _l("This column appears twice in the header.")))
            positions[index] = None
        else:
            table.headers[column.key] = text
    if not any(header):
        table.errors.append(RowError(1, "", _l(
            "The first row must be the header: %(columns)s.",
            columns="、".join(c.header for c in columns))))
    else:
        for column in columns:
            if column.required and column.key not in table.headers:
                table.errors.append(RowError(1, column.header,
                                             _l("This column is missing from the header.")))
    return positions


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
