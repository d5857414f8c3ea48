"""Uploaded files that are checked, then imported: what every import of a .csv or .xlsx shares.

A file is read into rows of text (CSV in UTF-8, UTF-16 or GBK; a sheet of an .xlsx workbook); its
problems are collected as :class:`RowError` (row as numbered in the spreadsheet, column, reason)
and shown in a :class:`Preview`. A clean file is kept under a random token, bound to the user and
the estate, until the user confirms; it is then claimed, so a second confirm finds nothing.
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
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from flask_babel import lazy_gettext as _l

from frontdesk.services import DomainError

#: rows of a clean file shown before the import is confirmed
PREVIEW_ROWS = 50
#: errors listed on the preview page; the count says how many there are in all
SHOWN_ERRORS = 1000
#: uploads nobody confirmed are removed after this many seconds
STASH_MAX_AGE = 24 * 3600
TOKEN_RE = re.compile(r"[0-9a-f]{32}")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

GONE = _l("This import is no longer available: it has already been carried out, it has expired "
          "or it belongs to someone else. Upload the file again.")
NOT_READABLE = _l("Only CSV (.csv) and Excel (.xlsx) files can be imported; save the file as one "
                  "of these (an old .xls file as .xlsx).")
NOT_A_WORKBOOK = _l("The file could not be read as an Excel workbook (.xlsx).")


@dataclass
class RowError:
    """A problem in a file: row as numbered in the spreadsheet (header = 1), column, reason."""

    row: int
    column: str
    reason: Any


@dataclass
class Preview:
    """What a check of an import file found, shown before anything is written."""

    filename: str
    #: the first PREVIEW_ROWS rows, as the kind of import shows them
    rows: list
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
    def listed_errors(self) -> list[RowError]:
        """The errors the preview page lists (the first SHOWN_ERRORS)."""
        return self.errors[:SHOWN_ERRORS]

    @property
    def more_errors(self) -> bool:
        """Whether the file has more errors than the page lists."""
        return len(self.errors) > SHOWN_ERRORS


class ImportRefused(DomainError):
    """The file has errors; ``preview`` lists them."""

    def __init__(self, preview: Preview):
        super().__init__(_l("The file has errors; nothing has been imported."))
        self.preview = preview


def folder(configured: str | None, instance_path: str) -> Path:
    """Return where checked files wait for confirmation (shared storage when there are hosts)."""
    return Path(configured) if configured else Path(instance_path) / "imports"


# reading files ---------------------------------------------------------------------------------


def clean_filename(filename: str) -> str:
    """Return the file's own name without a client's folders, shortened for display."""
    return (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]


def header_key(text: str) -> str:
    """Return a header as compared with the known ones: no note in brackets, spaces or case."""
    text = re.sub(r"[(（][^()（）]*[)）]\s*$", "", (text or "").replace("\ufeff", "").strip())
    return re.sub(r"\s+", "", text).lower()


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
    """Return the rows of a CSV file (UTF-8, UTF-16 or GBK; comma or tab) as lists of text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        raise DomainError(NOT_READABLE, "file")
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
    """Return the rows of the named sheet of a workbook (else its first) as lists of text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure means the file is not a workbook we can read
        raise DomainError(NOT_A_WORKBOOK, "file") from None
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
        raise DomainError(NOT_A_WORKBOOK, "file") from None
    finally:
        workbook.close()


def file_records(data: bytes, filename: str, sheet: str) -> Iterator[list[str]]:
    """Return the rows of a .csv file, or of a workbook's sheet, as lists of text."""
    if not data.strip():
        raise DomainError(_l("The file is empty."), "file")
    suffix = Path(clean_filename(filename)).suffix.lower()
    is_zip = data.startswith(b"PK\x03\x04")
    if suffix == ".xlsx" and is_zip:
        return xlsx_records(data, sheet)
    if suffix == ".xlsx":
        raise DomainError(NOT_A_WORKBOOK, "file")
    if suffix in (".csv", ".txt") and not is_zip:
        return csv_records(data)
    raise DomainError(NOT_READABLE, "file")


def first_row(records: Iterator[list[str]]) -> list[str]:
    """Return the header row; raise DomainError if the file has none."""
    header = next(records, None)
    if header is None:
        raise DomainError(_l("The file is empty."), "file")
    return header


def data_rows(records: Iterable[list[str]], max_rows: int) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells) of the non-blank rows after the header, at most max_rows."""
    count = 0
    for number, cells in enumerate(records, start=2):
        if not any(cells):
            continue
        if count >= max_rows:
            raise DomainError(_l("The file has more than %(n)s rows. Split it into files of at "
                                 "most %(n)s rows.", n=max_rows), "file")
        count += 1
        yield number, cells


def require_rows(rows: list, errors: list[RowError]) -> None:
    """Refuse a file whose header is right but which has no data rows."""
    if not rows and not errors:
        raise DomainError(_l("The file has a header but no data rows."), "file")


# keeping a checked file until it is confirmed --------------------------------------------------


def stash_upload(folder: Path, data: bytes, *, user_id: int, estate_id: int,
                 **meta: Any) -> str:
    """Keep an uploaded file for this user and estate until it is confirmed; return its token."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _purge_stale(folder)
    token = secrets.token_hex(16)
    (folder / token).write_bytes(data)
    sidecar = {"user_id": user_id, "estate_id": estate_id, **meta,
               "sha256": hashlib.sha256(data).hexdigest()}
    (folder / f"{token}.json").write_text(json.dumps(sidecar), encoding="utf-8")
    return token


def claim_upload(folder: Path, token: str, user_id: int, estate_id: int) -> tuple[dict, bytes]:
    """Take the stored file for good if it belongs to this user and estate."""
    folder = Path(folder)
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
