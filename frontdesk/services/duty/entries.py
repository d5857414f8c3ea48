"""Entries of the duty log: what happened in a shift, calls that open work orders, addenda.

An entry's time decides its shift (:func:`frontdesk.services.duty.shifts.shift_at`): a time in
a shift already handed over is refused, and so is changing an entry of such a shift; what is
learnt later goes in an addendum, a new entry pointing at the original, kept with the
original's shift and marked as written after the handover when it was.

A call (来电) records the caller, the number, what was said and the result, and may open a work
order in the same step (:func:`add_entry` with ``work_order``): the entry and the order are
written in one transaction, the order's source 电话 (来访 for a visit, 巡查 for a patrol).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Complaint, DutyEntry, Estate, KeyLoan, Person, Unit, User, WorkOrder
from frontdesk.models.duty import ENTRY_KINDS
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.complaints import complaints
from frontdesk.services.duty import shifts
from frontdesk.services.register.records import clean_text
from frontdesk.services.validation import normalise_phone, phone_error, record_id
from frontdesk.services.workorders import orders

MAX_CONTENT = 4000
MAX_HANDLING = 2000
#: how far back an entry may be dated, and how far ahead of now (a clock a little fast)
MAX_DAYS_BACK = 31
MAX_AHEAD = timedelta(minutes=5)
#: the source of the work order an entry of each kind opens
WORK_ORDER_SOURCES = {"来电": "电话", "来访": "来访", "巡查": "巡查"}
#: the work-order fields whose messages belong to the entry form's fields
_ORDER_FIELDS = {"reporter_name": "caller_name", "reporter_phone": "caller_phone",
                 "description": "content", "source": "kind"}
_NUMBER = re.compile(r"^\s*([A-Za-z]{2})\s*(\d{4})\s*-\s*(\d{1,6})\s*$")

LOCKED = _l("This shift was handed over and is locked: its entries cannot be changed. Add an "
            "addendum instead.")


def _aware(value: datetime, estate: Estate) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=shifts.tz(estate))
    return value.astimezone(UTC)


def _when(estate: Estate, value, now: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise DomainError(_l("Please enter when it happened (YYYY-MM-DD HH:MM)."), "at")
    at = _aware(value, estate)
    if at > now + MAX_AHEAD:
        raise DomainError(_l("The time must not be in the future."), "at")
    if at < now - timedelta(days=MAX_DAYS_BACK):
        raise DomainError(_l("An entry may be dated at most %(n)s days back.", n=MAX_DAYS_BACK),
                          "at")
    return at


def _unit(estate: Estate, code) -> Unit | None:
    text = str(code or "").strip()
    if not text:
        return None
    if len(text) > 40:
        raise DomainError(_l("No unit %(code)s in this estate.", code=text[:40]), "unit_code")
    unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == estate.id,
                                                   Unit.code == text))
    if unit is None:
        raise DomainError(_l("No unit %(code)s in this estate.", code=text), "unit_code")
    return unit


def _person(estate: Estate, text, unit: Unit | None) -> Person | None:
    """Find the resident named, or with that phone, in the estate (in the unit if given)."""
    from frontdesk.models import Occupancy

    text = str(text or "").strip()
    if not text:
        return None
    if len(text) > 64:
        raise DomainError(_l("No resident %(name)s found.", name=text[:64]), "person")
    phone = normalise_phone(text)
    q = sa.select(Person).where(Person.estate_id == estate.id,
                                sa.or_(Person.name == text, Person.phone == phone))
    if unit is not None:
        q = q.join(Occupancy, Occupancy.person_id == Person.id).where(
            Occupancy.unit_id == unit.id)
    found = list(db.session.scalars(q.distinct().limit(2)))
    if not found:
        raise DomainError(_l("No resident %(name)s found.", name=text), "person")
    if len(found) > 1:
        raise DomainError(_l("More than one resident is called %(name)s: give the unit too, or "
                             "the phone number.", name=text), "person")
    return found[0]


def _by_number(model, estate: Estate, text, prefix: str, field: str, message):
    """Find a work order (GD2026-000123) or key loan (JY2026-000012) of the estate by number."""
    text = str(text or "").strip()
    if not text:
        return None
    m = _NUMBER.match(text)
    if m is None or m.group(1).upper() != prefix:
        raise DomainError(message, field)
    record = db.session.scalar(sa.select(model).where(model.estate_id == estate.id,
                                                      model.seq == int(m.group(3))))
    if record is None:
        raise DomainError(message, field)
    return record


def _values(estate: Estate, data: dict, now: datetime) -> dict:
    """Check what was typed and return the entry's columns (links resolved)."""
    kind = str(data.get("kind") or "").strip()
    if kind not in ENTRY_KINDS:
        raise DomainError(_l("Choose the kind of entry."), "kind")
    at = _when(estate, data.get("at"), now)
    content = clean_text(data.get("content"), "content", _l("Content"), max_len=MAX_CONTENT)
    handling = clean_text(data.get("handling"), "handling", _l("Handling"), required=False,
                          max_len=MAX_HANDLING)
    caller = clean_text(data.get("caller_name"), "caller_name", _l("Caller"),
                        required=kind == "来电", max_len=64)
    phone = normalise_phone(str(data.get("caller_phone") or ""))
    if phone:
        error = phone_error(phone)
        if error:
            raise DomainError(error, "caller_phone")
    result = clean_text(data.get("call_result"), "call_result", _l("Result of the call"),
                        required=False, max_len=500)
    unit = _unit(estate, data.get("unit_code"))
    person = _person(estate, data.get("person"), unit)
    order = _by_number(WorkOrder, estate, data.get("work_order_no"), "GD", "work_order_no",
                       _l("No work order with this number (e.g. GD2026-000123) in this estate."))
    loan = _by_number(KeyLoan, estate, data.get("key_loan_no"), "JY", "key_loan_no",
                      _l("No key loan with this number (e.g. JY2026-000012) in this estate."))
    complaint_id = data.get("complaint_id")
    if complaint_id is not None:
        complaint = db.session.get(Complaint, record_id(complaint_id) or 0)
        if complaint is None or complaint.estate_id != estate.id:
            raise DomainError(_l("Not a complaint number."), "complaint_id")
    return {"kind": kind, "at": at, "content": content, "handling": handling,
            "caller_name": caller if kind == "来电" else "",
            "caller_phone": phone if kind == "来电" else "",
            "call_result": result if kind == "来电" else "",
            "unit_id": unit.id if unit else None, "person_id": person.id if person else None,
            "work_order_id": order.id if order else None,
            "key_loan_id": loan.id if loan else None,
            "complaint_id": record_id(complaint_id) if complaint_id is not None else None}


def entry_snapshot(entry: DutyEntry) -> dict:
    return audit.snapshot(entry, ["shift_id", "at", "kind", "content", "handling", "caller_name",
                                  "caller_phone", "call_result", "unit_id", "person_id",
                                  "work_order_id", "key_loan_id", "complaint_id",
                                  "addendum_of_id"])


def _open_work_order(actor: User, estate: Estate, entry: DutyEntry, spec: dict,
                     now: datetime) -> WorkOrder:
    source = WORK_ORDER_SOURCES.get(entry.kind)
    if source is None:
        raise DomainError(_l("Only a call, a visit or a patrol opens a work order."), "kind")
    data = {"source": source, "reporter_name": entry.caller_name or spec.get("reporter_name"),
            "reporter_phone": entry.caller_phone or spec.get("reporter_phone"),
            "unit_id": entry.unit_id, "area": spec.get("area"),
            "category_id": spec.get("category_id"), "description": entry.content,
            "priority": spec.get("priority") or "normal", "origin": "duty_entry",
            "origin_id": entry.id}
    if source == "巡查" and not data["reporter_name"]:
        data["reporter_name"] = actor.full_name or actor.username
    try:
        return orders.report(actor, estate, data, now)
    except DomainError as e:
        raise DomainError(e.message, _ORDER_FIELDS.get(e.field, e.field)) from None


#: the channel of a complaint registered from an entry of each kind
COMPLAINT_CHANNELS = {"来电": "电话"}


def _register_complaint(actor: User, estate: Estate, entry: DutyEntry, spec: dict,
                        now: datetime) -> Complaint:
    channel = COMPLAINT_CHANNELS.get(entry.kind)
    if channel is None:
        raise DomainError(_l("A complaint is registered here from a call; register a visitor's "
                             "complaint on the complaints page."), "kind")
    data = {"name": entry.caller_name, "phone": entry.caller_phone, "unit_id": entry.unit_id,
            "channel": channel, "category": spec.get("category"), "content": entry.content,
            "request": spec.get("request")}
    try:
        return complaints.register(actor, estate, data, now)
    except DomainError as e:
        field = {"name": "caller_name", "phone": "caller_phone", "category":
                 "complaint_category", "request": "complaint_request"}.get(e.field, e.field)
        raise DomainError(e.message, field) from None


@transactional
def add_entry(actor: User, estate: Estate, data: dict, now: datetime, *,
              work_order: dict | None = None, complaint: dict | None = None) -> DutyEntry:
    """Log an entry in the shift its time falls in; a call may open a work order with it.

    ``data``: at (naive = local), kind, content, handling, caller_name, caller_phone,
    call_result, unit_code, person (name or phone), work_order_no, key_loan_no, complaint_id.
    ``work_order``: category_id, priority, area (a public place when no unit is given), and
    reporter_name/phone for a visit: the order is reported through
    :func:`frontdesk.services.workorders.orders.report` in this transaction and linked.
    ``complaint``: category and request of a complaint registered (登记) from the call or
    visit through :func:`frontdesk.services.complaints.complaints.register` in this
    transaction and linked: the caller, number, unit and content are the entry's.
    """
    now = now.astimezone(UTC)
    values = _values(estate, data, now)
    shift = shifts.shift_at(estate, values["at"], actor, now)
    entry = DutyEntry(estate_id=estate.id, shift_id=shift.id, created_at=now,
                      created_by_id=actor.id, **values)
    db.session.add(entry)
    db.session.flush()
    if work_order is not None:
        order = _open_work_order(actor, estate, entry, work_order, now)
        entry.work_order_id = order.id
    if complaint is not None:
        entry.complaint_id = _register_complaint(actor, estate, entry, complaint, now).id
    shifts.join(shift, actor, now)
    audit.record(actor, "create", entry, after=entry_snapshot(entry))
    return entry


def _check_open(entry: DutyEntry) -> None:
    if entry.shift.state == "locked":
        raise DomainError(LOCKED)


@transactional
def edit_entry(actor: User, entry: DutyEntry, data: dict, now: datetime) -> DutyEntry:
    """Change an entry of a shift not yet handed over (its time may move it to another such)."""
    now = now.astimezone(UTC)
    shift = shifts.locked_shift(entry.shift_id)
    if shift.state == "locked":
        raise DomainError(LOCKED)
    estate = db.session.get(Estate, entry.estate_id)
    values = _values(estate, data, now)
    target = shifts.shift_at(estate, values["at"], actor, now)
    if entry.addendum_of_id is not None:
        target = shift  # an addendum stays with its original
    before = entry_snapshot(entry)
    for name, value in values.items():
        setattr(entry, name, value)
    entry.shift_id = target.id
    entry.updated_at, entry.updated_by_id = now, actor.id
    db.session.flush()
    audit.record(actor, "update", entry, before=before, after=entry_snapshot(entry))
    return entry


@transactional
def add_addendum(actor: User, original: DutyEntry, content: str, now: datetime) -> DutyEntry:
    """Add to an entry, also of a locked shift: a new entry pointing at the original."""
    now = now.astimezone(UTC)
    text = clean_text(content, "content", _l("Addendum"), max_len=MAX_CONTENT)
    root = original
    while root.addendum_of_id is not None:
        root = db.session.get(DutyEntry, root.addendum_of_id)
    shift = shifts.locked_shift(root.shift_id)  # one at a time with the handover
    entry = DutyEntry(estate_id=root.estate_id, shift_id=root.shift_id, at=now, kind=root.kind,
                      content=text, handling="", addendum_of_id=root.id, created_at=now,
                      created_by_id=actor.id, after_handover=shift.state == "locked")
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, "addendum", entry, after=entry_snapshot(entry))
    return entry


# search -----------------------------------------------------------------------------------------


def search(estate: Estate, *, start=None, end=None, kind: str = "", unit_code: str = "",
           text: str = "", page: int = 1, per_page: int = 50):
    """Return a page of the estate's entries, newest first, by local date range, kind, unit
    (code, or its beginning) and text (content, handling, caller)."""
    q = (sa.select(DutyEntry).outerjoin(Unit, Unit.id == DutyEntry.unit_id)
         .where(DutyEntry.estate_id == estate.id))
    zone = shifts.tz(estate)
    if start is not None:
        q = q.where(DutyEntry.at >= datetime.combine(start, datetime.min.time(), zone))
    if end is not None:
        q = q.where(DutyEntry.at < datetime.combine(end + timedelta(days=1),
                                                    datetime.min.time(), zone))
    if kind in ENTRY_KINDS:
        q = q.where(DutyEntry.kind == kind)
    unit_code = (unit_code or "").strip()[:40].replace("%", "").replace("_", "")
    if unit_code:
        q = q.where(Unit.code.ilike(f"{unit_code}%"))
    text = (text or "").strip()[:100].replace("%", "").replace("_", "")
    if text:
        like = f"%{text}%"
        q = q.where(sa.or_(DutyEntry.content.ilike(like), DutyEntry.handling.ilike(like),
                           DutyEntry.caller_name.ilike(like), DutyEntry.caller_phone.ilike(like),
                           DutyEntry.call_result.ilike(like)))
    q = q.order_by(DutyEntry.at.desc(), DutyEntry.id.desc())
    return db.paginate(q, page=page, per_page=per_page, error_out=False)
