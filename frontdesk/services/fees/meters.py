"""Meters: consumption with rollover and replacement, shared-meter loss, year to date, and
keeping meters (what they are, what they cover)."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk import labels
from frontdesk.extensions import db
from frontdesk.models import (
    Building,
    Estate,
    FeeItem,
    Meter,
    MeterReading,
    Unit,
    User,
)
from frontdesk.models.fees import METER_KINDS
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.periods import parse_period
from frontdesk.services.register.imports import (
    claim_upload,
    clean_filename,
    csv_records,
    stash_upload,
    xlsx_records,
)

#: consumption above this many times the unit's recent average is flagged for review
FLAG_FACTOR = Decimal(3)
#: how many earlier periods the average looks at
AVERAGE_PERIODS = 6


class ReadingError(ValueError):
    """A reading that cannot be right as entered (e.g. below the last one)."""


def consumption(previous: Decimal | None, value: Decimal, *, kind: str = "normal",
                max_value: Decimal = Decimal("99999"), multiplier: Decimal = Decimal(1),
                old_final: Decimal | None = None, new_start: Decimal | None = None) -> Decimal:
    """Return the consumption a reading gives, after the multiplier.

    normal: value − previous, refused when the value is lower;
    rollover: the dial passed its maximum and started again at 0, so a dial whose maximum is
    99,999 read 99,990 then 15 has turned 25 units: (max_value + 1 − previous) + value;
    replacement: (old meter's final − previous) + (value − new meter's start).
    """
    if value < 0:
        raise ReadingError("negative reading")
    if previous is None:
        diff = Decimal(0)
    elif kind == "normal":
        if value < previous:
            raise ReadingError("reading below the last one")
        diff = value - previous
    elif kind == "rollover":
        if value > previous:
            raise ReadingError("a rollover reading must be below the last one")
        diff = (max_value + 1 - previous) + value
    elif kind == "replacement":
        if old_final is None or new_start is None:
            raise ReadingError("a replacement needs the old meter's final and the new start")
        if old_final < previous or value < new_start:
            raise ReadingError("replacement readings out of order")
        diff = (old_final - previous) + (value - new_start)
    else:
        raise ReadingError(f"unknown reading kind {kind!r}")
    return diff * multiplier


def previous_reading(meter_id: int, period: str) -> MeterReading | None:
    """Return the meter's last reading before a period."""
    return db.session.scalars(
        sa.select(MeterReading).where(MeterReading.meter_id == meter_id,
                                      MeterReading.period < period)
        .order_by(MeterReading.period.desc()).limit(1)
    ).first()


def recent_average(meter_id: int, period: str, periods: int = AVERAGE_PERIODS) -> Decimal | None:
    """Return the average consumption of the meter's last periods before this one, or None."""
    values = list(db.session.scalars(
        sa.select(MeterReading.consumption).where(MeterReading.meter_id == meter_id,
                                                  MeterReading.period < period,
                                                  MeterReading.previous_value.is_not(None))
        .order_by(MeterReading.period.desc()).limit(periods)
    ))
    if not values:
        return None
    return sum(values, Decimal(0)) / len(values)


def is_unusual(value: Decimal, average: Decimal | None) -> bool:
    """Tell whether a consumption is far above the average (flag it, don't refuse it)."""
    return average is not None and average > 0 and value > FLAG_FACTOR * average


def sub_meter_filter(shared: Meter):
    """Select the unit meters a shared meter covers: its building's, or the estate's."""
    q = sa.select(Meter.id).where(Meter.estate_id == shared.estate_id, Meter.kind == shared.kind,
                                  Meter.shared.is_(False), Meter.unit_id.is_not(None))
    if shared.building_id is not None:
        q = q.join(Unit, Unit.id == Meter.unit_id).where(Unit.building_id == shared.building_id)
    return q


def shared_loss(shared: Meter, period: str) -> tuple[Decimal, Decimal, Decimal] | None:
    """Return (shared consumption, sum of its sub-meters, loss) for a period.

    None when the shared meter has no approved reading for the period.
    """
    reading = db.session.scalars(
        sa.select(MeterReading).where(MeterReading.meter_id == shared.id,
                                      MeterReading.period == period)
    ).first()
    if reading is None or reading.approved_at is None:
        return None
    subs = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(MeterReading.consumption), Decimal(0)))
        .where(MeterReading.meter_id.in_(sub_meter_filter(shared)),
               MeterReading.period == period)
    )
    subs = subs or Decimal(0)
    return reading.consumption, subs, reading.consumption - subs


def year_to_date(unit_id: int, kind: str, period: str) -> Decimal:
    """Return a unit's consumption of a kind in the calendar year before the period."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(MeterReading.consumption), Decimal(0)))
        .join(Meter, Meter.id == MeterReading.meter_id)
        .where(Meter.unit_id == unit_id, Meter.kind == kind,
               MeterReading.period >= f"{period[:4]}-01", MeterReading.period < period)
    )
    return total or Decimal(0)


# ------------------------------------------------------------------------------------------------
# Keeping meters: one service call is one transaction (see services/__init__).
# ------------------------------------------------------------------------------------------------

METER_KIND_LABELS = labels.METER_KIND_LABELS
#: the unit consumption is measured in, per kind of meter (a symbol, the same in every language)
METER_UNITS = {"water": "m³", "electricity": "kWh", "gas": "m³"}
READING_KIND_LABELS = labels.READING_KIND_LABELS
APPORTION_BASES = ("area", "equal")
APPORTION_LABELS = labels.APPORTION_LABELS
#: a dial's maximum must stay below this
MAX_DIAL = Decimal("10000000")
MAX_MULTIPLIER = Decimal("10000")
TWO_PLACES = Decimal("0.01")
#: readings, multipliers and dial maxima have at most two decimals, so that a consumption
#: (difference × multiplier) has at most four and is stored exactly
READING_PLACES = 2
#: the sheet of a workbook read by an import of readings (else the first sheet)
READINGS_SHEET = "抄表"
#: the columns of a readings file: key, header; the key is accepted as a header too
READING_COLUMNS = (("meter", "表号"), ("period", "期间"), ("value", "读数"))
#: columns of the reading sheet that an import ignores (they help the meter reader)
SHEET_EXTRA_COLUMNS = ("房号", "上次期间", "上次读数")
PREVIEW_ROWS = 50


def number_text(value: Decimal) -> str:
    """Show a reading or quantity without trailing zeros or thousands separators."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def current_period(estate: Estate, today: date | None = None) -> str:
    """Return the current month in the estate's timezone as YYYY-MM."""
    if today is None:
        today = datetime.now(ZoneInfo(estate.timezone or "Asia/Shanghai")).date()
    return f"{today.year:04d}-{today.month:02d}"


def previous_period(period: str, months: int = 1) -> str:
    """Return the period a number of months before another."""
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_reading(value: Any, field: str = "value", label: Any = None, *,
                  max_value: Decimal | None = None) -> Decimal:
    """Return a reading typed as text: a number ≥ 0 with at most two decimals, up to the dial."""
    label = label or _l("The reading")
    if isinstance(value, Decimal):
        number = value
    else:
        text = unicodedata.normalize("NFKC", "" if value is None else str(value))
        text = text.strip().replace(",", "").replace(" ", "")
        if not text:
            raise DomainError(_l("%(label)s is required.", label=label), field)
        try:
            number = Decimal(text) if len(text) <= 40 else Decimal("NaN")
        except InvalidOperation:
            number = Decimal("NaN")
    if not number.is_finite():
        raise DomainError(_l("%(label)s must be a number, e.g. 1268.5.", label=label), field)
    if number < 0:
        raise DomainError(_l("%(label)s cannot be negative.", label=label), field)
    limit = MAX_DIAL if max_value is None else max_value
    if number > limit:
        raise DomainError(_l("%(label)s (%(value)s) is above the dial's maximum of %(max)s; "
                             "please check it.", label=label, value=number_text(number),
                             max=number_text(limit)), field)
    if number != number.quantize(TWO_PLACES):
        raise DomainError(_l("%(label)s may have at most two decimals.", label=label), field)
    return number.quantize(TWO_PLACES)


def _positive(value: Any, field: str, label: Any, limit: Decimal) -> Decimal:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
    text = text.replace(",", "")
    if not text:
        raise DomainError(_l("%(label)s is required.", label=label), field)
    try:
        number = Decimal(text) if len(text) <= 40 else Decimal("NaN")
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise DomainError(_l("%(label)s must be a number.", label=label), field)
    if number <= 0:
        raise DomainError(_l("%(label)s must be greater than 0.", label=label), field)
    if number >= limit:
        raise DomainError(_l("%(label)s must be below %(max)s.", label=label,
                             max=number_text(limit)), field)
    if number != number.quantize(TWO_PLACES):
        raise DomainError(_l("%(label)s may have at most two decimals.", label=label), field)
    return number.quantize(TWO_PLACES)


# meters ----------------------------------------------------------------------------------------


def _place_unit_meter(meter: Meter, estate: Estate, unit_code: str | None) -> None:
    """Put a new meter on the unit of a code, refusing a second active meter of its kind."""
    kind = meter.kind
    code = (unit_code or "").strip()
    if not code:
        raise DomainError(_l("Please enter the unit number."), "unit_code")
    unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == estate.id,
                                                   Unit.code == code))
    if unit is None:
        raise DomainError(_l("There is no unit %(code)s in this estate.", code=code),
                          "unit_code")
    other = db.session.scalar(sa.select(Meter.number).where(
        Meter.unit_id == unit.id, Meter.kind == kind, Meter.active.is_(True)))
    if other:
        raise DomainError(_l("Unit %(code)s already has a meter of this kind (%(n)s).",
                             code=code, n=other), "unit_code")
    meter.unit_id = unit.id
    meter.building_id = unit.building_id


def _place_shared_meter(meter: Meter, estate: Estate, building_id: int | None,
                        apportion_basis: str, fee_item_id: int | None) -> None:
    """Make a new meter the shared meter of a building (or the estate), refusing a second one."""
    kind = meter.kind
    if building_id is not None:
        building = db.session.get(Building, building_id)
        if building is None or building.estate_id != estate.id:
            raise DomainError(_l("Choose a building of this estate."), "building_id")
    if apportion_basis not in APPORTION_BASES:
        raise DomainError(_l("Choose how the loss is split: by gross area or equally."),
                          "apportion_basis")
    if fee_item_id is not None:
        item = db.session.get(FeeItem, fee_item_id)
        if (item is None or item.estate_id != estate.id or item.method != "apportioned"
                or item.meter_kind not in (None, kind)):
            raise DomainError(_l("The fee item must be an apportioned item of this estate "
                                 "for the same kind of meter."), "fee_item_id")
    other = db.session.scalar(sa.select(Meter.number).where(
        Meter.estate_id == estate.id, Meter.shared.is_(True), Meter.kind == kind,
        Meter.active.is_(True),
        Meter.building_id == building_id if building_id is not None
        else Meter.building_id.is_(None)))
    if other:
        raise DomainError(_l("There is already a shared meter of this kind for this "
                             "building or estate (%(n)s).", n=other), "building_id")
    meter.building_id = building_id
    meter.apportion_basis = apportion_basis
    meter.fee_item_id = fee_item_id


@transactional
def create_meter(actor: User, estate: Estate, *, kind: str, number: str,
                 unit_code: str | None = None, shared: bool = False,
                 building_id: int | None = None, apportion_basis: str = "area",
                 fee_item_id: int | None = None, multiplier: Any = "1",
                 max_value: Any = "99999") -> Meter:
    """Add a unit's meter, or a shared meter of a building (or, without one, of the estate)."""
    if kind not in METER_KINDS:
        raise DomainError(_l("Choose water, electricity or gas."), "kind")
    number = unicodedata.normalize("NFKC", number or "").strip()
    if not number:
        raise DomainError(_l("Please enter the meter number."), "number")
    if len(number) > 32:
        raise DomainError(_l("The meter number must not be longer than 32 characters."), "number")
    if db.session.scalar(sa.select(Meter.id).where(Meter.estate_id == estate.id,
                                                   Meter.number == number)):
        raise DomainError(_l("Meter number %(n)s is already used in this estate.", n=number),
                          "number")
    meter = Meter(estate_id=estate.id, kind=kind, number=number, shared=bool(shared),
                  multiplier=_positive(multiplier, "multiplier", _l("The multiplier"),
                                       MAX_MULTIPLIER),
                  max_value=_positive(max_value, "max_value", _l("The dial's maximum"),
                                      MAX_DIAL))
    if not shared:
        _place_unit_meter(meter, estate, unit_code)
    else:
        _place_shared_meter(meter, estate, building_id, apportion_basis, fee_item_id)
    db.session.add(meter)
    db.session.flush()
    audit.record(actor, "create", meter, after=audit.snapshot(meter))
    return meter


def unit_meters(building_id: int, kind: str) -> list[tuple[Meter, str]]:
    """Return a building's active unit meters of a kind with their unit codes, in unit order."""
    return [(meter, code) for meter, code in db.session.execute(
        sa.select(Meter, Unit.code).join(Unit, Unit.id == Meter.unit_id)
        .where(Unit.building_id == building_id, Meter.kind == kind, Meter.active.is_(True),
               Meter.shared.is_(False))
        .order_by(Unit.entrance, Unit.floor, Unit.room))]


def id_chunks(ids: list[int], size: int = 500):
    """Yield ids in slices small enough for an IN clause."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


# the import of readings below uses these; it reads them from the modules they live in
from frontdesk.services.fees.queries import grid_rows, unit_codes  # noqa: E402
from frontdesk.services.fees.readings import ReadingEntry  # noqa: E402
from frontdesk.services.fees.readings import plan_readings as _plan  # noqa: E402
from frontdesk.services.fees.readings import write_readings as _write  # noqa: E402

_number_text = number_text


# import of readings ----------------------------------------------------------------------------


@dataclass
class RowError:
    """A problem in a file: row as numbered in the spreadsheet (header = 1), column, reason."""

    row: int
    column: str
    reason: Any


@dataclass
class ReadingsPreview:
    """What a check of a readings file found, shown before anything is written."""

    filename: str
    #: the first PREVIEW_ROWS rows: row number, meter number, unit, period, value,
    #: previous value, consumption, flagged
    rows: list[dict]
    total: int
    errors: list[RowError]
    token: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


class ReadingsImportRefused(DomainError):
    """The file has errors; ``preview`` lists them."""

    def __init__(self, preview: ReadingsPreview):
        super().__init__(_l("The file has errors; nothing has been imported."))
        self.preview = preview


def _file_records(data: bytes, filename: str):
    """Return the rows of a .csv or .xlsx file as lists of text."""
    # the low-level readers of the register import: encodings, delimiters, workbook quirks

    if not data.strip():
        raise DomainError(_l("The file is empty."), "file")
    suffix = Path(clean_filename(filename)).suffix.lower()
    is_zip = data.startswith(b"PK\x03\x04")
    if suffix == ".xlsx" and is_zip:
        return xlsx_records(data, READINGS_SHEET)
    if suffix in (".csv", ".txt") and not is_zip:
        return csv_records(data)
    if suffix == ".xlsx":
        raise DomainError(_l("The file could not be read as an Excel workbook (.xlsx)."), "file")
    raise DomainError(_l("Only CSV (.csv) and Excel (.xlsx) files can be imported; save the "
                         "file as one of these (an old .xls file as .xlsx)."), "file")


def _header_key(text: str) -> str:
    text = re.sub(r"[(（][^()（）]*[)）]\s*$", "", (text or "").replace("\ufeff", "").strip())
    return re.sub(r"\s+", "", text).lower()


def _read_readings(data: bytes, filename: str, max_rows: int):
    """Return (headers by key, [(row number, cells by key)], header errors)."""
    known = {}
    for key, header in READING_COLUMNS:
        known[_header_key(header)] = key
        known[key] = key
    records = iter(_file_records(data, filename))
    header = next(records, None)
    if header is None:
        raise DomainError(_l("The file is empty."), "file")
    headers: dict[str, str] = {}
    errors: list[RowError] = []
    positions: list[str | None] = []
    for text in header:
        key = known.get(_header_key(text)) if text else None
        if key is not None and key in headers:
            errors.append(RowError(1, text, _l("This column appears twice in the header.")))
            key = None
        elif key is not None:
            headers[key] = text
        positions.append(key)
    for key, title in READING_COLUMNS:
        if key not in headers:
            errors.append(RowError(1, title, _l("This column is missing from the header.")))
    rows = []
    for number, cells in enumerate(records, start=2):
        if not any(cells):
            continue
        if len(rows) >= max_rows:
            raise DomainError(_l("The file has more than %(n)s rows. Split it into files of at "
                                 "most %(n)s rows.", n=max_rows), "file")
        row = {positions[i]: text for i, text in enumerate(cells)
               if i < len(positions) and positions[i] is not None}
        rows.append((number, row))
    if not rows and not errors:
        raise DomainError(_l("The file has a header but no data rows."), "file")
    return headers, rows, errors


def _meter_number(cells: dict) -> str:
    return unicodedata.normalize("NFKC", cells.get("meter") or "").strip()


def _check_readings(estate: Estate, data: bytes, filename: str, max_rows: int,
                    today: date | None):
    """Read and check a readings file; return (preview, plans) without writing anything."""

    filename = clean_filename(filename)
    headers, rows, errors = _read_readings(data, filename, max_rows)
    preview = ReadingsPreview(filename, [], len(rows), errors)
    if errors:
        return preview, []
    column = {key: headers[key] for key, _ in READING_COLUMNS}
    numbers = sorted({_meter_number(cells) for _, cells in rows} - {""})
    meters: dict[str, Meter] = {}
    for chunk in (numbers[i:i + 500] for i in range(0, len(numbers), 500)):
        meters.update((m.number, m) for m in db.session.scalars(
            sa.select(Meter).where(Meter.estate_id == estate.id, Meter.number.in_(chunk))))
    entries: list[ReadingEntry] = []
    seen: dict[tuple[int, str], int] = {}
    for number, cells in rows:
        ok = True
        meter_number = _meter_number(cells)
        meter = meters.get(meter_number)
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
        entries.append(ReadingEntry(meter, period, cells.get("value", ""), key=number))
    plans, entry_errors = _plan(estate, entries, today)
    to_column = {"period": column["period"], "kind": column["meter"]}
    errors.extend(RowError(e.key, to_column.get(e.field, column["value"]), e.message)
                  for e in entry_errors)
    errors.sort(key=lambda e: e.row)
    shown = sorted(plans, key=lambda p: p.entry.key)[:PREVIEW_ROWS]
    codes = unit_codes(p.entry.meter.unit_id for p in shown)
    preview.rows = [{
        "row": p.entry.key, "meter": p.entry.meter.number,
        "unit": codes.get(p.entry.meter.unit_id, ""), "period": p.entry.period,
        "value": p.value, "previous": p.previous_value, "consumption": p.consumption,
        "flagged": p.flagged,
    } for p in shown]
    return preview, plans


def check_readings_file(estate: Estate, data: bytes, filename: str, *, max_rows: int,
                        today: date | None = None) -> ReadingsPreview:
    """Read and check a file of readings without keeping it."""
    preview, _plans = _check_readings(estate, data, filename, max_rows, today)
    return preview


def prepare_readings_import(actor: User, estate: Estate, data: bytes, filename: str, *,
                            folder: Path, max_rows: int,
                            today: date | None = None) -> ReadingsPreview:
    """Check a file; keep a clean one under a token until the user confirms the import."""
    preview = check_readings_file(estate, data, filename, max_rows=max_rows, today=today)
    if preview.ok:
        preview.token = stash_upload(Path(folder), data, {
            "user_id": actor.id, "estate_id": estate.id, "filename": preview.filename,
            "sha256": hashlib.sha256(data).hexdigest(),
        })
    return preview


def confirm_readings_import(actor: User, estate: Estate, token: str, *, folder: Path,
                            max_rows: int, today: date | None = None) -> tuple[int, str]:
    """Import the readings kept under the token, checked again; return (rows, file name).

    Raises ReadingsImportRefused if the file no longer passes (readings changed meanwhile).
    """
    meta, data = claim_upload(Path(folder), token, actor.id, estate.id)
    try:
        return _import(actor, estate, data, meta["filename"], max_rows, today)
    except sa.exc.IntegrityError:
        raise DomainError(_l("The readings changed while the file was being imported; nothing "
                             "has been imported. Upload the file again.")) from None


@transactional
def _import(actor: User, estate: Estate, data: bytes, filename: str, max_rows: int,
            today: date | None) -> tuple[int, str]:
    preview, plans = _check_readings(estate, data, filename, max_rows, today)
    if preview.errors:
        raise ReadingsImportRefused(preview)
    _, replaced = _write(actor, plans)
    audit.record(actor, "import", object_type="meter_reading", estate_id=estate.id,
                 after={"rows": len(plans), "file": preview.filename, "replaced": replaced})
    return len(plans), preview.filename


def reading_sheet(building: Building, kind: str, period: str) -> bytes:
    """Return a workbook for the meter reader: a building's meters, last readings, blank values."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    ws = workbook.create_sheet(READINGS_SHEET)
    ws.freeze_panes = "A2"
    ws.append([title for _, title in READING_COLUMNS[:2]] + list(SHEET_EXTRA_COLUMNS)
              + [READING_COLUMNS[2][1]])
    for row in grid_rows(building, kind, period):
        previous = row.previous
        ws.append([row.meter.number, period, row.unit_code,
                   previous[0] if previous else "",
                   _number_text(previous[1]) if previous else "",
                   row.current_text])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
