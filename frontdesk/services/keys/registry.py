"""The key register: the keys the service centre holds, registered one by one or for a whole
building at once, and the small rules every change of a key shares (tags, texts, the key's lock).

Custody (托管) lives in :mod:`frontdesk.services.keys.custody`, loans in
:mod:`frontdesk.services.keys.loans`, cabinet counts in :mod:`frontdesk.services.keys.counts`,
and what the key pages show in :mod:`frontdesk.services.keys.queries`.

Concurrency: every change of a key locks the key's row first (``FOR UPDATE`` on PostgreSQL).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Building, Estate, Key, KeyCustody, KeyLoan, Unit, User
from frontdesk.models.keys import KEY_KINDS
from frontdesk.services import DomainError, audit, transactional

#: the short code of each kind used in generated tags (pinyin initials): 3-2-1502-RHM-01
KIND_CODES = {"入户门": "RHM", "信箱": "XX", "储藏室": "CCS", "车库": "CK", "设备间": "SBJ",
              "配电房": "PDF", "水泵房": "SBF", "楼顶": "LD", "其他": "QT"}
DEFAULT_PATTERN = "{code}-{kind_code}-{n}"
PLACEHOLDERS = ("code", "building", "entrance", "floor", "room", "kind_code", "n")
#: the same placeholders in Chinese, as the bulk form shows them: {房屋编号}-{类型代码}-{序号}
PLACEHOLDER_ALIASES = {"房屋编号": "code", "楼栋": "building", "单元": "entrance", "楼层": "floor",
                       "房号": "room", "类型代码": "kind_code", "序号": "n"}
MAX_COPIES = 99
MAX_PER_UNIT = 10
MAX_BULK_KEYS = 5000
MAX_SLOT = 100000
COPIES_MESSAGE = _l("The number of copies is a whole number from 1 to 99.")

_TAG_RE = re.compile(r"^[0-9A-Z\u4e00-\u9fff][0-9A-Z\u4e00-\u9fff\-_/.#]{0,31}$")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# --- small helpers ---------------------------------------------------------------------------


def normalise_tag(value: str | None) -> str:
    """Write a tag number the one way it is stored: full-width folded, upper case, trimmed."""
    return unicodedata.normalize("NFKC", value or "").strip().upper()


def tag_error(tag: str):
    """Return why a (normalised) tag number is not valid, or None."""
    if not tag:
        return _l("Please enter the tag number.")
    if not _TAG_RE.match(tag):
        return _l("A tag number has at most 32 letters, digits, Chinese characters and - _ / . #, "
                  "e.g. 3-2-1502-RHM-01.")
    return None


def clean_text(value, limit: int, field_name: str, *, required_message=None) -> str:
    """Return a typed text without control characters, or raise DomainError if too long or blank."""
    text = _CONTROL.sub("", unicodedata.normalize("NFKC", str(value or ""))).strip()
    if required_message is not None and not text:
        raise DomainError(required_message, field_name)
    if len(text) > limit:
        raise DomainError(_l("At most %(n)s characters.", n=limit), field_name)
    return text


def whole_number(value, field_name: str, *, low: int, high: int, message) -> int:
    """Return a typed whole number from low to high, or raise DomainError with the message."""
    if isinstance(value, bool):
        raise DomainError(message, field_name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError(message, field_name) from None
    if not low <= number <= high:
        raise DomainError(message, field_name)
    return number


def lock_key(key: Key) -> Key:
    """Take the key's row lock until the transaction ends and reload it."""
    return db.session.scalar(sa.select(Key).where(Key.id == key.id).with_for_update()
                             .execution_options(populate_existing=True))


def open_loan(key: Key) -> KeyLoan | None:
    """Return the key's loan not returned yet, if any."""
    return db.session.scalar(sa.select(KeyLoan).where(KeyLoan.key_id == key.id,
                                                      KeyLoan.returned_at.is_(None)))


def open_custody(key: Key) -> KeyCustody | None:
    """Return the key's custody not ended yet, if any."""
    return db.session.scalar(
        sa.select(KeyCustody).where(KeyCustody.key_id == key.id, KeyCustody.ended_at.is_(None))
        .order_by(KeyCustody.id.desc()).limit(1))



def tz_of(estate_id: int) -> ZoneInfo:
    """Return the timezone of an estate (Asia/Shanghai if unset)."""
    estate = db.session.get(Estate, estate_id)
    return ZoneInfo(estate.timezone or "Asia/Shanghai")


def local_input(value: datetime, estate_id: int) -> str:
    """Show a UTC time as the forms take it, YYYY-MM-DD HH:MM in the estate's timezone."""
    return value.astimezone(tz_of(estate_id)).strftime("%Y-%m-%d %H:%M")


def buildings_of(estate_id: int) -> list[Building]:
    """Return the estate's buildings in their order."""
    return list(db.session.scalars(sa.select(Building).where(Building.estate_id == estate_id)
                                   .order_by(Building.sort_key, Building.number)))


# --- the key register ------------------------------------------------------------------------


def _tag_taken(estate_id: int, tag: str, key_id: int | None = None) -> bool:
    stmt = sa.select(Key.id).where(Key.estate_id == estate_id, Key.tag == tag)
    if key_id is not None:
        stmt = stmt.where(Key.id != key_id)
    return db.session.scalar(stmt.limit(1)) is not None


def key_values(estate_id: int, data: dict, key_id: int | None = None) -> dict:
    """Check a key's form values and return the columns to store, or raise DomainError.

    ``data``: tag, unit_code or area (exactly one), kind (one of KEY_KINDS; with 其他 an optional
    kind_other written instead), copies, cabinet, slot, note.
    """
    tag = normalise_tag(data.get("tag"))
    error = tag_error(tag)
    if error:
        raise DomainError(error, "tag")
    unit_code = clean_text(data.get("unit_code"), 40, "unit_code")
    area = clean_text(data.get("area"), 64, "area")
    if unit_code and area:
        raise DomainError(_l("A key opens either a unit or a public area, not both."), "area")
    if not unit_code and not area:
        raise DomainError(_l("Enter the unit code, or the public area the key opens."),
                          "unit_code")
    unit_id = None
    if unit_code:
        unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.estate_id == estate_id,
                                                             Unit.code == unit_code))
        if unit_id is None:
            raise DomainError(_l("There is no unit %(code)s in this estate.", code=unit_code),
                              "unit_code")
    kind = clean_text(data.get("kind"), 16, "kind")
    if kind not in KEY_KINDS:
        raise DomainError(_l("Choose the kind of key."), "kind")
    other = clean_text(data.get("kind_other"), 16, "kind_other")
    if kind == "其他" and other:
        kind = other
    copies = whole_number(data.get("copies", 1), "copies", low=1, high=MAX_COPIES,
                    message=COPIES_MESSAGE)
    values = {
        "tag": tag, "unit_id": unit_id, "area": area, "kind": kind, "copies": copies,
        "cabinet": clean_text(data.get("cabinet"), 16, "cabinet"),
        "slot": clean_text(data.get("slot"), 16, "slot"),
        "note": clean_text(data.get("note"), 200, "note"),
    }
    if _tag_taken(estate_id, tag, key_id):
        raise DomainError(_l("Tag number %(tag)s is already registered in this estate.", tag=tag),
                          "tag")
    return values


def _flush_tag(tag: str) -> None:
    """Flush, turning a tag registered meanwhile by another desk into a clear message."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise DomainError(_l("Tag number %(tag)s is already registered in this estate.", tag=tag),
                          "tag") from None


@transactional
def register_key(actor: User, estate: Estate, data: dict) -> Key:
    """Register one key of a unit or a public area; it starts in the cabinet."""
    values = key_values(estate.id, data)
    key = Key(estate_id=estate.id, status="in_cabinet", **values)
    db.session.add(key)
    _flush_tag(key.tag)
    audit.record(actor, "create", key, after=audit.snapshot(key))
    return key


@transactional
def update_key(actor: User, key: Key, data: dict) -> Key:
    """Change a key's tag, unit or area, kind, copies, place in the cabinet or note.

    The status is not edited here: custody, loans, losses and counts change it.
    """
    key = lock_key(key)
    values = key_values(key.estate_id, data, key.id)
    before = audit.snapshot(key)
    for name, value in values.items():
        setattr(key, name, value)
    _flush_tag(key.tag)
    audit.record(actor, "update", key, before=before, after=audit.snapshot(key))
    return key


def _sort_part(value: str) -> tuple:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def _units_in_order(building: Building) -> list[Unit]:
    units = db.session.scalars(sa.select(Unit).where(Unit.building_id == building.id))
    return sorted(units, key=lambda u: (_sort_part(u.entrance), u.floor, _sort_part(u.room)))


def _check_pattern(pattern: str) -> str:
    pattern = clean_text(pattern, 64, "pattern") or DEFAULT_PATTERN
    if "{" in pattern or "}" in pattern:
        names = _PLACEHOLDER_RE.findall(pattern)
        leftover = _PLACEHOLDER_RE.sub("", pattern)
        if "{" in leftover or "}" in leftover or any(
                n not in PLACEHOLDERS and n not in PLACEHOLDER_ALIASES for n in names):
            raise DomainError(_l("The pattern may only use {code}, {building}, {entrance}, "
                                 "{floor}, {room}, {kind_code} and {n}."), "pattern")
    return pattern


def _fill(pattern: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER_RE.sub(
        lambda m: values[PLACEHOLDER_ALIASES.get(m.group(1), m.group(1))], pattern)


@dataclass(frozen=True)
class PlannedKey:
    """A key a bulk registration would write."""

    tag: str
    unit: Unit
    slot: str


def plan_bulk(building: Building, *, kind: str, per_unit, pattern: str, first_slot=None
              ) -> list[PlannedKey]:
    """Work out the tags and slots of a bulk registration, or raise DomainError saying why.

    A pattern with placeholders is filled per key ({n} is the key's number in its unit, 01, 02
    …); a pattern without them is a prefix followed by a running number over the whole batch.
    Refused when a tag would repeat or is already registered: then nothing is written.
    """
    if kind not in KEY_KINDS:
        raise DomainError(_l("Choose the kind of key."), "kind")
    per_unit = whole_number(per_unit, "per_unit", low=1, high=MAX_PER_UNIT,
                      message=_l("Keys per unit is a whole number from 1 to 10."))
    pattern = _check_pattern(pattern)
    start = None
    if first_slot not in (None, ""):
        start = whole_number(first_slot, "first_slot", low=1, high=MAX_SLOT,
                       message=_l("The first slot is a whole number from 1 to 100000."))
    units = _units_in_order(building)
    if not units:
        raise DomainError(_l("Building %(b)s has no units yet.", b=building.label))
    total = len(units) * per_unit
    if total > MAX_BULK_KEYS:
        raise DomainError(_l("At most %(n)s keys can be registered at once.", n=MAX_BULK_KEYS),
                          "per_unit")
    prefix_mode = "{" not in pattern
    width = max(3, len(str(total)))
    planned: list[PlannedKey] = []
    seen: set[str] = set()
    for unit in units:
        for n in range(1, per_unit + 1):
            i = len(planned)
            if prefix_mode:
                raw = f"{pattern}{i + 1:0{width}d}"
            else:
                raw = _fill(pattern, {
                    "code": unit.code, "building": building.number, "entrance": unit.entrance,
                    "floor": str(unit.floor), "room": unit.room,
                    "kind_code": KIND_CODES.get(kind, "QT"), "n": f"{n:02d}"})
            tag = normalise_tag(raw)
            if tag_error(tag):
                raise DomainError(_l("The pattern gives the tag %(tag)s, which is not a valid "
                                     "tag number.", tag=tag[:40]), "pattern")
            if tag in seen:
                raise DomainError(_l("The pattern gives the tag %(tag)s twice; use {code} and "
                                     "{n} in it.", tag=tag), "pattern")
            seen.add(tag)
            slot = str(start + i) if start is not None else ""
            if len(slot) > 16:
                raise DomainError(_l("The first slot is a whole number from 1 to 100000."),
                                  "first_slot")
            planned.append(PlannedKey(tag=tag, unit=unit, slot=slot))
    taken = _existing_tags(building.estate_id, [p.tag for p in planned])
    if taken:
        shown = "、".join(taken[:5]) + ("…" if len(taken) > 5 else "")
        raise DomainError(_l("%(n)s of these tag numbers are already registered (%(tags)s); "
                             "nothing was registered.", n=len(taken), tags=shown), "pattern")
    return planned


def _existing_tags(estate_id: int, tags: list[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(tags), 500):
        chunk = tags[start:start + 500]
        found += db.session.scalars(sa.select(Key.tag).where(Key.estate_id == estate_id,
                                                             Key.tag.in_(chunk)))
    return sorted(found)


@transactional
def bulk_register(actor: User, building: Building, *, kind: str, per_unit=1,
                  pattern: str = DEFAULT_PATTERN, cabinet: str = "", first_slot=None,
                  copies=1, note: str = "") -> list[Key]:
    """Register N keys of a kind for every unit of a building (e.g. the developer's keys).

    All or nothing: if any tag exists, or the pattern repeats one, no key is written.
    """
    planned = plan_bulk(building, kind=kind, per_unit=per_unit, pattern=pattern,
                        first_slot=first_slot)
    copies = whole_number(copies, "copies", low=1, high=MAX_COPIES,
                    message=COPIES_MESSAGE)
    cabinet = clean_text(cabinet, 16, "cabinet")
    note = clean_text(note, 200, "note")
    keys = [Key(estate_id=building.estate_id, tag=p.tag, unit_id=p.unit.id, area="", kind=kind,
                copies=copies, cabinet=cabinet, slot=p.slot, status="in_cabinet", note=note)
            for p in planned]
    db.session.add_all(keys)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise DomainError(_l("Some of these tag numbers were registered meanwhile; nothing was "
                             "registered. Please try again."), "pattern") from None
    for key in keys:
        after = audit.snapshot(key)
        after["bulk_building_id"] = building.id
        audit.record(actor, "create", object_type="key", object_id=key.id,
                     estate_id=key.estate_id, after=after)
    return keys

