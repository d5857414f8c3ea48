"""Billing periods (YYYY-MM) and the estate's today, shared by every fee service."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from frontdesk.models import Estate
from frontdesk.services import DomainError

#: a period as typed on a form: 2026-11
_STRICT = (re.compile(r"(\d{4})-(\d{2})"),)
#: what a spreadsheet cell may hold: 2026-11, 2026/11, 2026.11, 2026年11月, 202611, 2026-11-01
_LOOSE = tuple(re.compile(p) for p in (
    r"(\d{4})\s*[-/.]\s*(\d{1,2})",
    r"(\d{4})\s*年\s*(\d{1,2})\s*月?",
    r"(\d{4})(\d{2})",
    # a spreadsheet turns 2026-11 into the date 2026-11-01
    r"(\d{4})[-/.](\d{1,2})[-/.]0?1(?:[ T]00:00(?::00)?)?",
))


def estate_today(estate: Estate) -> date:
    """Return today's date in the estate's timezone."""
    return datetime.now(ZoneInfo(estate.timezone or "Asia/Shanghai")).date()


def parse_period(value: Any, field: str = "period", *, loose: bool = False) -> str:
    """Return a period as YYYY-MM, or raise a DomainError on the field.

    Forms take YYYY-MM; ``loose`` also takes the spellings found in spreadsheets (meter readings).
    """
    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
    if not text:
        raise DomainError(_l("Please enter the period, e.g. 2026-11."), field)
    for pattern in _LOOSE if loose else _STRICT:
        match = pattern.fullmatch(text)
        if match:
            year, month = int(match[1]), int(match[2])
            if 2000 <= year <= 2100 and 1 <= month <= 12:
                return f"{year:04d}-{month:02d}"
            if not loose:
                raise DomainError(_l("Enter the period as year-month: a month between "
                                     "2000-01 and 2100-12."), field)
            break
    raise DomainError(_l("Enter the period as year-month, e.g. 2026-11."), field)
