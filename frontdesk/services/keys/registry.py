"""Keys the service centre holds: the key register, bulk registration, custody (托管) with its
deposit and authorised borrowers, and what the key page and the unit card show.

Loans, returns, overdue and lost keys live in :mod:`frontdesk.services.keys.loans`, cabinet counts
in :mod:`frontdesk.services.keys.counts`; this module reads their rows only for the key's history.

Money: a custody deposit (钥匙押金) is taken as a payment with a receipt in the SAME transaction as
the custody (``payments.record_payment``, the non-committing body of ``take_payment``), and
taking the key back asks for the deposit's refund in the same transaction too (the body of the
``@transactional`` ``payments.request_refund``), so either all of it is written or nothing.

Concurrency: every change of a key's custody locks the key's row first (``FOR UPDATE`` on
PostgreSQL), so a deposit posted twice, or a take-back racing a deposit, run one after the other.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.labels import KEY_STATUS_LABELS  # noqa: F401 - named here for the key pages
from frontdesk.models import (
    AuditEvent,
    Building,
    Deposit,
    Estate,
    Key,
    KeyAuthorisation,
    KeyCustody,
    KeyLoan,
    KeyLossReport,
    Occupancy,
    Payment,
    Person,
    Receipt,
    Refund,
    Unit,
    User,
)
from frontdesk.models.fees import PAYMENT_METHODS
from frontdesk.models.keys import KEY_KINDS, KEY_STATUSES
from frontdesk.money import amount_in_words
from frontdesk.services import DomainError, audit, audit_names, transactional
from frontdesk.services.fees import payments
from frontdesk.services.validation import mask_phone, normalise_phone, phone_error

#: the short code of each kind used in generated tags (pinyin initials): 3-2-1502-RHM-01
KIND_CODES = {"入户门": "RHM", "信箱": "XX", "储藏室": "CCS", "车库": "CK", "设备间": "SBJ",
              "配电房": "PDF", "水泵房": "SBF", "楼顶": "LD", "其他": "QT"}
DEPOSIT_KIND = "钥匙押金"
DEFAULT_PATTERN = "{code}-{kind_code}-{n}"
PLACEHOLDERS = ("code", "building", "entrance", "floor", "room", "kind_code", "n")
#: the same placeholders in Chinese, as the bulk form shows them: {房屋编号}-{类型代码}-{序号}
PLACEHOLDER_ALIASES = {"房屋编号": "code", "楼栋": "building", "单元": "entrance", "楼层": "floor",
                       "房号": "room", "类型代码": "kind_code", "序号": "n"}
MAX_COPIES = 99
MAX_PER_UNIT = 10
MAX_BULK_KEYS = 5000
MAX_SLOT = 100000
#: how far ahead an authorisation may run
MAX_AUTHORISATION = timedelta(days=366 * 10)

_TAG_RE = re.compile(r"^[0-9A-Z\u4e00-\u9fff][0-9A-Z\u4e00-\u9fff\-_/.#]{0,31}$")
_ID_TAIL_RE = re.compile(r"^[0-9]{3}[0-9X]$")
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


def _text(value, limit: int, field_name: str, *, required_message=None) -> str:
    text = _CONTROL.sub("", unicodedata.normalize("NFKC", str(value or ""))).strip()
    if required_message is not None and not text:
        raise DomainError(required_message, field_name)
    if len(text) > limit:
        raise DomainError(_l("At most %(n)s characters.", n=limit), field_name)
    return text


def _count(value, field_name: str, *, low: int, high: int, message) -> int:
    if isinstance(value, bool):
        raise DomainError(message, field_name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError(message, field_name) from None
    if not low <= number <= high:
        raise DomainError(message, field_name)
    return number


def _estate(estate_id: int) -> Estate:
    return db.session.get(Estate, estate_id)


def local_to_utc(value: datetime, timezone: str) -> datetime:
    """Read a naive local time typed in a form as the estate's time, and return it in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(ZoneInfo("UTC"))


def _local(value: datetime | None, timezone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt) if value else ""


def _lock_key(key: Key) -> Key:
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


def is_valid(authorisation: KeyAuthorisation, now: datetime) -> bool:
    """Tell whether an authorisation lets its person borrow now (not revoked, not expired)."""
    return authorisation.revoked_at is None and authorisation.valid_until > now


def valid_authorisations(custody: KeyCustody, now: datetime) -> list[KeyAuthorisation]:
    """Return the authorisations of an open custody that hold now; none once it has ended."""
    if custody.ended_at is not None:
        return []
    return [a for a in custody.authorisations if is_valid(a, now)]


def unit_owners(unit_id: int | None) -> list[Person]:
    """Return the current owners of a unit (who may deposit its keys), primary contact first."""
    if unit_id is None:
        return []
    return list(db.session.scalars(
        sa.select(Person).join(Occupancy, Occupancy.person_id == Person.id)
        .where(Occupancy.unit_id == unit_id, Occupancy.role == "owner",
               Occupancy.end_date.is_(None))
        .order_by(Occupancy.is_primary.desc(), Occupancy.id)))


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
    unit_code = _text(data.get("unit_code"), 40, "unit_code")
    area = _text(data.get("area"), 64, "area")
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
    kind = _text(data.get("kind"), 16, "kind")
    if kind not in KEY_KINDS:
        raise DomainError(_l("Choose the kind of key."), "kind")
    other = _text(data.get("kind_other"), 16, "kind_other")
    if kind == "其他" and other:
        kind = other
    copies = _count(data.get("copies", 1), "copies", low=1, high=MAX_COPIES,
                    message=_l("The number of copies is a whole number from 1 to 99."))
    values = {
        "tag": tag, "unit_id": unit_id, "area": area, "kind": kind, "copies": copies,
        "cabinet": _text(data.get("cabinet"), 16, "cabinet"),
        "slot": _text(data.get("slot"), 16, "slot"),
        "note": _text(data.get("note"), 200, "note"),
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
    key = _lock_key(key)
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
    pattern = _text(pattern, 64, "pattern") or DEFAULT_PATTERN
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
    per_unit = _count(per_unit, "per_unit", low=1, high=MAX_PER_UNIT,
                      message=_l("Keys per unit is a whole number from 1 to 10."))
    pattern = _check_pattern(pattern)
    start = None
    if first_slot not in (None, ""):
        start = _count(first_slot, "first_slot", low=1, high=MAX_SLOT,
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
    copies = _count(copies, "copies", low=1, high=MAX_COPIES,
                    message=_l("The number of copies is a whole number from 1 to 99."))
    cabinet = _text(cabinet, 16, "cabinet")
    note = _text(note, 200, "note")
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


# --- custody ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Depositor:
    """Someone who is not a registered owner depositing a key: a name and a phone."""

    name: str
    phone: str = ""


def _custody_by_payment_key(key: str | None) -> KeyCustody | None:
    if not key:
        return None
    return db.session.scalar(
        sa.select(KeyCustody).join(Deposit, Deposit.id == KeyCustody.deposit_id)
        .join(Payment, Payment.id == Deposit.payment_id)
        .where(Payment.idempotency_key == key)
        .execution_options(populate_existing=True))


def deposit_key(actor: User, key: Key, *, depositor: Person | Depositor, copies=1,
                deposit_amount=None, method: str | None = None,
                idempotency_key: str | None = None, note: str = "",
                now: datetime) -> KeyCustody:
    """Take a key into custody from its owner (托管), with an optional deposit (押金).

    The deposit is taken as a payment with a receipt in the same transaction and linked as
    ``custody.deposit_id``. The same idempotency key gives back the custody already recorded.
    """
    try:
        custody = _deposit_key(actor, key, depositor=depositor, copies=copies,
                               deposit_amount=deposit_amount, method=method,
                               idempotency_key=idempotency_key, note=note, now=now)
        db.session.commit()
    except sa.exc.IntegrityError:
        # the same form posted again while this one ran: the other post recorded it
        db.session.rollback()
        existing = _custody_by_payment_key(idempotency_key)
        if existing is None:
            raise
        return existing
    except BaseException:
        db.session.rollback()
        raise
    return custody


def _deposit_key(actor: User, key: Key, *, depositor, copies, deposit_amount, method,
                 idempotency_key, note, now) -> KeyCustody:
    copies = _count(copies, "copies", low=1, high=MAX_COPIES,
                    message=_l("The number of copies is a whole number from 1 to 99."))
    note = _text(note, 200, "note")
    amount = None
    if deposit_amount not in (None, ""):
        amount = payments.check_amount(deposit_amount, "deposit_amount")
        if method not in PAYMENT_METHODS:
            raise DomainError(_l("Choose how the deposit was paid."), "method")
        idempotency_key = (idempotency_key or "").strip()
        if not idempotency_key or len(idempotency_key) > 64:
            raise DomainError(_l("The form has expired. Please reload the page and submit it "
                                 "again."))
        if key.unit_id is None:
            raise DomainError(_l("A deposit can only be taken for the key of a unit."),
                              "deposit_amount")
    if isinstance(depositor, Person):
        if depositor.id not in {p.id for p in unit_owners(key.unit_id)}:
            raise DomainError(_l("%(name)s is not a current owner of the key's unit.",
                                 name=depositor.name), "depositor")
        person_id, name, phone = depositor.id, depositor.name, depositor.phone
    else:
        name = _text(depositor.name, 64, "name",
                     required_message=_l("Please enter the depositor's name."))
        phone = normalise_phone(depositor.phone)
        if not phone:
            raise DomainError(_l("Please enter the depositor's phone."), "phone")
        error = phone_error(phone)
        if error:
            raise DomainError(error, "phone")
        person_id = None

    key = _lock_key(key)
    if amount is not None:
        existing = _custody_by_payment_key(idempotency_key)
        if existing is not None:
            if existing.key_id != key.id:
                raise DomainError(_l("This form was already used for another key. Please open "
                                     "the page again."))
            return existing
    if key.status == "lost":
        raise DomainError(_l("Key %(tag)s is reported lost; it cannot be deposited.",
                             tag=key.tag))
    if open_custody(key) is not None:
        raise DomainError(_l("Key %(tag)s is already in custody; take it back first.",
                             tag=key.tag))
    if key.status == "on_loan" or open_loan(key) is not None:
        raise DomainError(_l("Key %(tag)s is out on loan; it can be deposited once it is back.",
                             tag=key.tag))

    custody = KeyCustody(estate_id=key.estate_id, key_id=key.id, person_id=person_id,
                         depositor_name=name, depositor_phone=phone, copies=copies,
                         deposited_at=now, received_by_id=actor.id, note=note)
    db.session.add(custody)
    db.session.flush()
    if amount is not None:
        unit = db.session.get(Unit, key.unit_id)
        estate = _estate(key.estate_id)
        payment = payments.record_payment(
            actor, unit, amount=amount, method=method, key=idempotency_key, line_ids=None,
            payer=name, note=f"钥匙托管押金 {key.tag}", purpose="deposit",
            deposit_kind=DEPOSIT_KIND, today=now.astimezone(ZoneInfo(estate.timezone)).date())
        deposit = db.session.scalar(sa.select(Deposit).where(Deposit.payment_id == payment.id))
        custody.deposit_id = deposit.id
    before = audit.snapshot(key, ["status", "copies"])
    key.status = "in_cabinet"
    key.copies = copies
    db.session.flush()
    audit.record(actor, "create", custody, after=audit.snapshot(custody))
    audit.record(actor, "update", key, before=before,
                 after={**audit.snapshot(key, ["status", "copies"]), "custody_id": custody.id})
    return custody


def _authorisation_values(data: dict, now: datetime) -> dict:
    name = _text(data.get("name"), 64, "name",
                 required_message=_l("Please enter the name of the authorised person."))
    phone = normalise_phone(data.get("phone") or "")
    if not phone:
        raise DomainError(_l("Please enter the phone of the authorised person."), "phone")
    error = phone_error(phone)
    if error:
        raise DomainError(error, "phone")
    id_tail = unicodedata.normalize("NFKC", data.get("id_tail") or "").strip().upper()
    if not _ID_TAIL_RE.match(id_tail):
        raise DomainError(_l("Enter the last four characters of the ID number: four digits, "
                             "the last of which may be X."), "id_tail")
    valid_until = data.get("valid_until")
    if not isinstance(valid_until, datetime) or valid_until.tzinfo is None:
        raise DomainError(_l("Enter until when the authorisation holds, e.g. 2026-12-31 18:00."),
                          "valid_until")
    if valid_until <= now:
        raise DomainError(_l("The authorisation must hold until a time in the future."),
                          "valid_until")
    if valid_until > now + MAX_AUTHORISATION:
        raise DomainError(_l("An authorisation may run at most ten years."), "valid_until")
    return {"name": name, "phone": phone, "id_tail": id_tail, "valid_until": valid_until}


@transactional
def authorise(actor: User, custody: KeyCustody, data: dict, *, now: datetime
              ) -> KeyAuthorisation:
    """Add a person the owner allows to borrow the key: name, phone, ID last four, valid until.

    ``data["valid_until"]`` is a timezone-aware datetime.
    """
    values = _authorisation_values(data, now)
    _lock_key(custody.key)
    db.session.refresh(custody)
    if custody.ended_at is not None:
        raise DomainError(_l("This custody has ended; the owner has taken the key back."))
    for other in valid_authorisations(custody, now):
        if other.phone == values["phone"] and other.id_tail == values["id_tail"]:
            raise DomainError(_l("%(name)s is already authorised for this key.",
                                 name=other.name), "name")
    authorisation = KeyAuthorisation(estate_id=custody.estate_id, custody_id=custody.id,
                                     created_at=now, **values)
    db.session.add(authorisation)
    db.session.flush()
    audit.record(actor, "create", authorisation, after=audit.snapshot(authorisation))
    return authorisation


@transactional
def revoke(actor: User, authorisation: KeyAuthorisation, *, now: datetime) -> KeyAuthorisation:
    """Withdraw an authorisation at the owner's request; it stays on record as revoked."""
    custody = authorisation.custody
    _lock_key(custody.key)
    db.session.refresh(authorisation)
    if authorisation.revoked_at is not None:
        raise DomainError(_l("This authorisation has already been revoked."))
    authorisation.revoked_at = now
    audit.record(actor, "revoke", authorisation, before={"revoked_at": None},
                 after={"revoked_at": now.isoformat(), "name": authorisation.name})
    return authorisation


@dataclass(frozen=True)
class TakeBack:
    """A custody ended, with the refund of its deposit asked for (None if there was none)."""

    custody: KeyCustody
    refund: Refund | None = None


def deposit_left(custody: KeyCustody) -> Decimal:
    """Return how much of the custody's deposit can still be refunded (0 without one)."""
    if custody.deposit_id is None:
        return Decimal("0.00")
    deposit = db.session.get(Deposit, custody.deposit_id)
    held = {h.deposit.id: h for h in payments.deposits_held(deposit.unit_id)}.get(deposit.id)
    return held.held - held.pending if held else Decimal("0.00")


@transactional
def take_back(actor: User, custody: KeyCustody, *, now: datetime,
              refund_method: str | None = None) -> TakeBack:
    """The owner takes the key back: custody ends, status 已归还业主, deposit refund requested.

    Refused while the key is on loan. The refund waits for a manager's approval on the refunds
    page; it is paid back the way the deposit was paid unless ``refund_method`` says otherwise.
    """
    key = _lock_key(custody.key)
    db.session.refresh(custody)
    if custody.ended_at is not None:
        raise DomainError(_l("This key has already been taken back."))
    if key.status == "on_loan" or open_loan(key) is not None:
        raise DomainError(_l("Key %(tag)s is out on loan; it can be taken back once it is "
                             "returned.", tag=key.tag))
    if refund_method and refund_method not in PAYMENT_METHODS:
        raise DomainError(_l("Choose how the deposit is paid back."), "refund_method")
    before_key = audit.snapshot(key, ["status"])
    custody.ended_at = now
    custody.ended_by_id = actor.id
    if key.status != "lost":
        key.status = "returned"
    audit.record(actor, "end", custody, before={"ended_at": None},
                 after={"ended_at": now.isoformat(), "ended_by": actor.username})
    audit.record(actor, "update", key, before=before_key,
                 after={**audit.snapshot(key, ["status"]), "custody_id": custody.id})
    refund = None
    left = deposit_left(custody)
    if left > 0:
        deposit = db.session.get(Deposit, custody.deposit_id)
        payment = db.session.get(Payment, deposit.payment_id)
        unit = db.session.get(Unit, deposit.unit_id)
        # request_refund joins this transaction (services nest)
        refund = payments.request_refund(
            actor, unit, source="deposit", amount=left, method=refund_method or payment.method,
            reason=f"钥匙 {key.tag} 业主取回，退还钥匙押金", deposit=deposit)
    return TakeBack(custody=custody, refund=refund)


# --- what the pages show ---------------------------------------------------------------------


def list_keys(estate_id: int, *, status: str | None = None, building_id: int | None = None,
              q: str = "", page: int = 1, per_page: int = 50):
    """Return a page of the estate's keys by tag, filtered by status, building and tag/unit."""
    stmt = (sa.select(Key).outerjoin(Unit, Unit.id == Key.unit_id)
            .where(Key.estate_id == estate_id))
    if status in KEY_STATUSES:
        stmt = stmt.where(Key.status == status)
    if building_id is not None:
        stmt = stmt.where(Unit.building_id == building_id)
    q = normalise_tag(q)[:40]
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(sa.or_(Key.tag.ilike(like), Unit.code.ilike(like),
                                 Key.area.ilike(like)))
    stmt = stmt.order_by(Key.tag)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def key_rows(keys: list[Key]) -> list[tuple[Key, str]]:
    """Return (key, unit code or area) for a page of keys, in one query."""
    codes = payments.unit_codes(k.unit_id for k in keys if k.unit_id)
    return [(k, codes.get(k.unit_id, "") if k.unit_id else k.area) for k in keys]


def where(key: Key) -> str:
    """Name what the key opens: the unit's code or the public area."""
    if key.unit_id is None:
        return key.area
    return db.session.scalar(sa.select(Unit.code).where(Unit.id == key.unit_id)) or ""


@dataclass
class CustodyInfo:
    """A custody with its deposit, receipt and the authorisations on it."""

    custody: KeyCustody
    deposit: Deposit | None = None
    receipt: Receipt | None = None
    received_by: str = ""
    ended_by: str = ""
    valid: list[KeyAuthorisation] = field(default_factory=list)
    #: how much of the deposit is still held (0 without one, or once refunded)
    deposit_left: Decimal = Decimal("0.00")
    refunds: list[Refund] = field(default_factory=list)


def _user_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.full_name)
                                   .where(User.id.in_(wanted))).all())


def custody_info(custody: KeyCustody, now: datetime) -> CustodyInfo:
    """Gather what the custody page shows (read only)."""
    deposit = db.session.get(Deposit, custody.deposit_id) if custody.deposit_id else None
    receipt = refunds = None
    if deposit is not None:
        receipt = db.session.scalar(sa.select(Receipt)
                                    .where(Receipt.payment_id == deposit.payment_id))
        refunds = list(db.session.scalars(sa.select(Refund).where(Refund.deposit_id == deposit.id)
                                          .order_by(Refund.id)))
    names = _user_names([custody.received_by_id, custody.ended_by_id])
    return CustodyInfo(custody=custody, deposit=deposit, receipt=receipt,
                       received_by=names.get(custody.received_by_id, ""),
                       ended_by=names.get(custody.ended_by_id, ""),
                       valid=valid_authorisations(custody, now),
                       deposit_left=deposit_left(custody) if deposit else Decimal("0.00"),
                       refunds=refunds or [])


@dataclass
class KeyHistory:
    """Everything that happened to a key, for its page."""

    key: Key
    where: str
    custodies: list[CustodyInfo]
    loans: list[KeyLoan]
    loss_reports: list[KeyLossReport]
    events: list[AuditEvent]
    users: dict[int, str]
    #: names of what the events are about and refer to (:func:`audit_names.names_of`)
    names: dict = field(default_factory=dict)

    @property
    def current(self) -> CustodyInfo | None:
        return next((c for c in self.custodies if c.custody.ended_at is None), None)


def key_history(key: Key, now: datetime, event_limit: int = 500) -> KeyHistory:
    """Gather a key's custody periods, authorisations, loans, loss reports and audit events."""
    custodies = list(db.session.scalars(sa.select(KeyCustody).where(KeyCustody.key_id == key.id)
                                        .order_by(KeyCustody.deposited_at.desc(),
                                                  KeyCustody.id.desc())))
    loans = list(db.session.scalars(sa.select(KeyLoan).where(KeyLoan.key_id == key.id)
                                    .order_by(KeyLoan.lent_at.desc(), KeyLoan.id.desc())))
    losses = list(db.session.scalars(sa.select(KeyLossReport)
                                     .where(KeyLossReport.key_id == key.id)
                                     .order_by(KeyLossReport.reported_at.desc())))
    auth_ids = [a.id for c in custodies for a in c.authorisations]
    touched = [sa.and_(AuditEvent.object_type == "key", AuditEvent.object_id == key.id)]
    for object_type, ids in (("key_custody", [c.id for c in custodies]),
                             ("key_authorisation", auth_ids),
                             ("key_loan", [ln.id for ln in loans]),
                             ("key_loss_report", [r.id for r in losses])):
        if ids:
            touched.append(sa.and_(AuditEvent.object_type == object_type,
                                   AuditEvent.object_id.in_(ids)))
    events = list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.estate_id == key.estate_id, sa.or_(*touched))
        .order_by(AuditEvent.id.desc()).limit(event_limit)))
    users = _user_names([ln.lent_by_id for ln in loans] + [ln.returned_to_id for ln in loans]
                        + [ln.approved_by_id for ln in loans]
                        + [r.reported_by_id for r in losses])
    return KeyHistory(key=key, where=where(key),
                      custodies=[custody_info(c, now) for c in custodies], loans=loans,
                      loss_reports=losses, events=events, users=users,
                      names=audit_names.names_of(events))


@dataclass
class UnitKey:
    """A key on the unit card, with its open custody and the authorisations valid now."""

    key: Key
    custody: KeyCustody | None
    authorised: list[KeyAuthorisation]


def unit_keys(unit: Unit, now: datetime) -> list[UnitKey]:
    """Return the keys of a unit for the desk's unit card (read only)."""
    keys = list(db.session.scalars(sa.select(Key).where(Key.unit_id == unit.id)
                                   .order_by(Key.tag)))
    if not keys:
        return []
    custodies = {c.key_id: c for c in db.session.scalars(
        sa.select(KeyCustody).where(KeyCustody.key_id.in_([k.id for k in keys]),
                                    KeyCustody.ended_at.is_(None)))}
    return [UnitKey(key=k, custody=custodies.get(k.id),
                    authorised=valid_authorisations(custodies[k.id], now)
                    if k.id in custodies else []) for k in keys]


def custody_document(custody: KeyCustody, *, now: datetime, printed_by: str) -> dict:
    """Return the plain data of the 钥匙托管凭证 (:func:`frontdesk.pdf.key_custody.custody_pdf`)."""
    key = custody.key
    estate = _estate(custody.estate_id)
    tz = estate.timezone
    info = custody_info(custody, now)
    deposit = None
    if info.deposit is not None:
        deposit = {"amount": f"{info.deposit.amount:.2f}",
                   "in_words": amount_in_words(info.deposit.amount),
                   "receipt_number": info.receipt.number if info.receipt else "",
                   "voided": bool(info.receipt and info.receipt.voided_at)}
    return {
        "estate": {"name": estate.name, "address": estate.address, "phone": estate.phone},
        "document_no": f"TG{custody.id:06d}",
        "tag": key.tag,
        "unit_code": where(key) if key.unit_id else "",
        "area": key.area,
        "kind": key.kind,
        "copies": custody.copies,
        "cabinet": key.cabinet,
        "slot": key.slot,
        "depositor": custody.depositor_name,
        "depositor_phone": mask_phone(custody.depositor_phone),
        "deposited_at": _local(custody.deposited_at, tz),
        "received_by": info.received_by,
        "deposit": deposit,
        "authorised": [{"name": a.name, "phone": mask_phone(a.phone), "id_tail": a.id_tail,
                        "valid_until": _local(a.valid_until, tz)} for a in info.valid],
        "ended_at": _local(custody.ended_at, tz),
        "note": custody.note,
        "printed_at": _local(now, tz),
        "printed_by": printed_by,
    }
