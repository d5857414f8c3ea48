"""Import of meter readings from a .csv or .xlsx file, and the sheet a meter reader fills in.

The file is read and kept as every upload is (:mod:`frontdesk.services.uploads`); its readings are
planned and written with the same rules as a building's reading grid
(:mod:`frontdesk.services.fees.meters`), all or nothing, with one audit event.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date
from pathlib import Path

import openpyxl
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk import planner
from frontdesk.extensions import db
from frontdesk.models import Building, Estate, Meter, User
from frontdesk.services import DomainError, audit, transactional, uploads
from frontdesk.services.fees import meters, queries, readings
from frontdesk.services.periods import parse_period
from frontdesk.services.uploads import Preview, RowError

#: the sheet of a workbook read by an import of readings (else the first sheet)
READINGS_SHEET = "抄表"
#: the columns of a readings file: key, header; the key is accepted as a header too
READING_COLUMNS = (("meter", "表号"), ("period", "期间"), ("value", "读数"))
#: columns of the reading sheet that an import ignores (they help the meter reader)
SHEET_EXTRA_COLUMNS = ("房号", "上次期间", "上次读数")


def _read_readings(data: bytes, filename: str, max_rows: int):
    """Return (headers by key, [(row number, cells by key)], header errors)."""
    known = {}
    for key, header in READING_COLUMNS:
        known[uploads.header_key(header)] = key
        known[key] = key
    records = iter(uploads.file_records(data, filename, READINGS_SHEET))
    header = uploads.first_row(records)
    headers: dict[str, str] = {}
    errors: list[RowError] = []
    positions: list[str | None] = []
    for text in header:
        key = known.get(uploads.header_key(text)) if text else None
        if key is not None and key in headers:
            errors.append(RowError(1, text, _l("This column appears twice in the header.")))
            key = None
        elif key is not None:
            headers[key] = text
        positions.append(key)
    for key, title in READING_COLUMNS:
        if key not in headers:
            errors.append(RowError(1, title, _l("This column is missing from the header.")))
    rows = [(number, {positions[i]: text for i, text in enumerate(cells)
                      if i < len(positions) and positions[i] is not None})
            for number, cells in uploads.data_rows(records, max_rows)]
    uploads.require_rows(rows, errors)
    return headers, rows, errors


def _meter_number(cells: dict) -> str:
    return unicodedata.normalize("NFKC", cells.get("meter") or "").strip()


def _meters_by_number(estate: Estate, rows) -> dict[str, Meter]:
    numbers = sorted({_meter_number(cells) for _, cells in rows} - {""})
    found: dict[str, Meter] = {}
    for chunk in (numbers[i:i + 500] for i in range(0, len(numbers), 500)):
        found.update((m.number, m) for m in db.session.scalars(
            sa.select(Meter).where(Meter.estate_id == estate.id, Meter.number.in_(chunk))))
    return found


def _entries(estate: Estate, rows, column: dict[str, str],
             errors: list[RowError]) -> list[readings.ReadingEntry]:
    """Return a reading entry for each row naming a meter and a period once; note the others."""
    by_number = _meters_by_number(estate, rows)
    entries: list[readings.ReadingEntry] = []
    seen: dict[tuple[int, str], int] = {}
    for number, cells in rows:
        ok = True
        meter_number = _meter_number(cells)
        meter = by_number.get(meter_number)
        if not meter_number:
            errors.append(RowError(number, column["meter"], _l("The meter number is required.")))
            ok = False
        elif meter is None:
            errors.append(RowError(number, column["meter"],
                                   _l("There is no meter %(n)s in this estate.", n=meter_number)))
            ok = False
        try:
            period = parse_period(cells.get("period"), loose=True)
        except DomainError as e:
            errors.append(RowError(number, column["period"], e.message))
            ok = False
        if not ok:
            continue
        if (meter.id, period) in seen:
            errors.append(RowError(number, column["meter"], _l(
                "Meter %(n)s has a reading for %(period)s in row %(row)s too.",
                n=meter_number, period=period, row=seen[(meter.id, period)])))
            continue
        seen[(meter.id, period)] = number
        entries.append(readings.ReadingEntry(meter, period, cells.get("value", ""), key=number))
    return entries


def _check_readings(estate: Estate, data: bytes, filename: str, max_rows: int,
                    today: date | None):
    """Read and check a readings file; return (preview, plans) without writing anything."""
    filename = uploads.clean_filename(filename)
    headers, rows, errors = _read_readings(data, filename, max_rows)
    preview = Preview(filename, [], len(rows), errors)
    if errors:
        return preview, []
    column = {key: headers[key] for key, _ in READING_COLUMNS}
    entries = _entries(estate, rows, column, errors)
    plans, entry_errors = readings.plan_readings(estate, entries, today)
    to_column = {"period": column["period"], "kind": column["meter"]}
    errors.extend(RowError(e.key, to_column.get(e.field, column["value"]), e.message)
                  for e in entry_errors)
    errors.sort(key=lambda e: e.row)
    shown = sorted(plans, key=lambda p: p.entry.key)[:uploads.PREVIEW_ROWS]
    codes = queries.unit_codes(p.entry.meter.unit_id for p in shown)
    preview.rows = [{
        "row": p.entry.key, "meter": p.entry.meter.number,
        "unit": codes.get(p.entry.meter.unit_id, ""), "period": p.entry.period,
        "value": p.value, "previous": p.previous_value, "consumption": p.consumption,
        "flagged": p.flagged,
    } for p in shown]
    return preview, plans


def check_file(estate: Estate, data: bytes, filename: str, *, max_rows: int,
               today: date | None = None) -> Preview:
    """Read and check a file of readings without keeping it."""
    preview, _plans = _check_readings(estate, data, filename, max_rows, today)
    return preview


def prepare_import(actor: User, estate: Estate, data: bytes, filename: str, *, folder: Path,
                   max_rows: int, today: date | None = None) -> Preview:
    """Check a file; keep a clean one under a token until the user confirms the import."""
    preview = check_file(estate, data, filename, max_rows=max_rows, today=today)
    if preview.ok:
        preview.token = uploads.stash_upload(folder, data, user_id=actor.id,
                                             estate_id=estate.id, filename=preview.filename)
    return preview


def confirm_import(actor: User, estate: Estate, token: str, *, folder: Path, max_rows: int,
                   today: date | None = None) -> tuple[int, str]:
    """Import the readings kept under the token, checked again; return (rows, file name).

    Raises uploads.ImportRefused if the file no longer passes (readings changed meanwhile).
    """
    data, filename = claim_import(actor, estate, token, folder=folder)
    return import_file(actor, estate, data, filename, max_rows=max_rows, today=today)


def claim_import(actor: User, estate: Estate, token: str, *, folder: Path) -> tuple[bytes, str]:
    """Take the file of readings kept under the token for good: return (contents, file name)."""
    meta, data = uploads.claim_upload(folder, token, actor.id, estate.id)
    return data, meta["filename"]


def import_file(actor: User, estate: Estate, data: bytes, filename: str, *, max_rows: int,
                today: date | None = None) -> tuple[int, str]:
    """Check a claimed file of readings again and write it in one transaction."""
    try:
        result = _import(actor, estate, data, filename, max_rows, today)
    except sa.exc.IntegrityError:
        raise DomainError(_l("The readings changed while the file was being imported; nothing "
                             "has been imported. Upload the file again.")) from None
    planner.analyze(db.session, ("meter_reading",))  # the planner sees the new rows
    return result


@transactional
def _import(actor: User, estate: Estate, data: bytes, filename: str, max_rows: int,
            today: date | None) -> tuple[int, str]:
    preview, plans = _check_readings(estate, data, filename, max_rows, today)
    if preview.errors:
        raise uploads.ImportRefused(preview)
    _, replaced = readings.write_readings(actor, plans)
    audit.record(actor, "import", object_type="meter_reading", estate_id=estate.id,
                 after={"rows": len(plans), "file": preview.filename, "replaced": replaced})
    return len(plans), preview.filename


def reading_sheet(building: Building, kind: str, period: str) -> bytes:
    """Return a workbook for the meter reader: a building's meters, last readings, blank values."""
    workbook = openpyxl.Workbook(write_only=True)
    ws = workbook.create_sheet(READINGS_SHEET)
    ws.freeze_panes = "A2"
    ws.append([title for _, title in READING_COLUMNS[:2]] + list(SHEET_EXTRA_COLUMNS)
              + [READING_COLUMNS[2][1]])
    for row in queries.grid_rows(building, kind, period):
        previous = row.previous
        ws.append([row.meter.number, period, row.unit_code,
                   previous[0] if previous else "",
                   meters.number_text(previous[1]) if previous else "",
                   row.current_text])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
