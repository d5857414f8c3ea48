"""Checks and normalisations of the register's values, shared by forms, services and imports."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
PLATE_RE = re.compile(
    r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领]"
    r"[A-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]$"
)
ID18_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID18_CHECK = "10X98765432"
MAX_AREA = Decimal("100000")
#: the largest value of the database's INTEGER columns: ids, pages and counts stay below it
DB_INT_MAX = 2**31 - 1


def record_id(value) -> int | None:
    """Read an id sent by a form or typed in a URL: a whole number from 1 to DB_INT_MAX, or None."""
    text = "" if value is None else str(value).strip()
    if text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= DB_INT_MAX:
        return int(text)
    return None


def normalise_phone(value: str) -> str:
    """Strip spaces, dashes in mobiles and a +86 prefix."""
    value = (value or "").strip().replace(" ", "")
    if value.startswith("+86"):
        value = value[3:]
    if re.fullmatch(r"1[\d-]{10,12}", value):
        value = value.replace("-", "")
    return value


def phone_error(value: str):
    """Return why a phone number is not valid, or None; blank is allowed."""
    if not value:
        return None
    if MOBILE_RE.match(value) or LANDLINE_RE.match(value):
        return None
    return _l("Invalid phone number: a mobile has 11 digits (e.g. 13812345678), "
              "a landline looks like 010-12345678.")


def id_number_error(id_type: str, value: str):
    """Return why an ID number is not valid for its type, or None; blank is allowed."""
    if not value:
        return None
    if id_type == "居民身份证":
        if not re.fullmatch(r"\d{17}[\dX]", value):
            return _l("An ID card number has 18 characters; the last one is a digit or X.")
        total = sum(int(d) * w for d, w in zip(value[:17], ID18_WEIGHTS, strict=True))
        if ID18_CHECK[total % 11] != value[17]:
            return _l("The check digit of the ID card number is wrong. Please check the number.")
        try:
            date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        except ValueError:
            return _l("The date of birth in the ID card number is invalid.")
        return None
    if not re.fullmatch(r"[A-Za-z0-9()（）-]{5,32}", value):
        return _l("An ID number has 5 to 32 letters, digits and brackets.")
    return None


def normalise_plate(value: str) -> str:
    """Upper-case a plate and drop spaces, dots and dashes."""
    return re.sub(r"[\s·.\-]", "", (value or "")).upper()


def plate_error(value: str):
    """Return why a licence plate is not valid, or None."""
    if not PLATE_RE.match(value):
        return _l("Invalid plate number; examples: 京A12345, 粤B12345D.")
    return None


def parse_area(value) -> tuple[Decimal | None, object]:
    """Parse an area in m²: (value, None) or (None, the reason); blank gives (None, None)."""
    if value is None or str(value).strip() == "":
        return None, None
    text = str(value).strip().replace(",", "")
    try:
        area = Decimal(text)
    except InvalidOperation:
        return None, _l("The area must be a number, e.g. 89.50.")
    if not area.is_finite():
        return None, _l("The area must be a number, e.g. 89.50.")
    if area <= 0:
        return None, _l("The area must be greater than 0.")
    if area >= MAX_AREA:
        return None, _l("The area is too large; please check it (it must be under 100000 m²).")
    if area != area.quantize(Decimal("0.01")):
        return None, _l("The area may have at most two decimals.")
    return area, None


def mask_phone(value: str) -> str:
    """Show a phone as 138****5678."""
    if not value:
        return ""
    if len(value) > 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * max(len(value) - 4, 3) + value[-4:]


def mask_id(value: str) -> str:
    """Show an ID number as 110***********1234."""
    if not value:
        return ""
    if len(value) > 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * max(len(value) - 4, 3) + value[-4:]


def satisfaction(value) -> int:
    """Return a callback's satisfaction, a whole number from 1 to 5."""
    from frontdesk.services import DomainError

    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise DomainError(_l("Choose a satisfaction from 1 to 5."), "satisfaction")
    return score
