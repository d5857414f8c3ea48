"""The inspection (验房) of a move-in: the estate's checklist by room and item, each OK or
defective with a note; each defect opens a rectification work order (整改工单, source 验房) to
engineering, tracked until fixed, and the resident's acceptance of the fix is recorded.

Photos of a defect are its work order's (uploaded on the work order's page).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import MoveinCase, MoveinDefect, Person, Unit, User, WorkOrder
from frontdesk.models.workorders import OPEN_STATES
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.movein import cases
from frontdesk.services.movein.setup import settings_of
from frontdesk.services.register.records import clean_text
from frontdesk.services.workorders import crew, orders

#: the work-order category a checklist item goes to (by words in the item's name)
CATEGORY_HINTS = (("水", "水电"), ("电", "水电"), ("门", "门窗"), ("窗", "门窗"),
                  ("墙", "土建"), ("地", "土建"), ("顶", "土建"))
ORIGIN = "movein"
FIXED_STATES = ("completed", "called_back", "closed")


def defect_state(defect: MoveinDefect) -> str:
    """open / fixed / accepted / cancelled, from the work order's state and the acceptance."""
    if defect.accepted_at is not None:
        return "accepted"
    order = defect.work_order
    if order is None or order.state in OPEN_STATES:
        return "open"
    if order.state == "cancelled":
        return "cancelled"
    return "fixed"


def _category_id(estate_id: int, item: str) -> int:
    categories = crew.categories(estate_id)
    by_name = {c.name: c for c in categories}
    for word, name in CATEGORY_HINTS:
        if word in item and name in by_name:
            return by_name[name].id
    fallback = by_name.get("土建") or by_name.get("其他") or categories[0]
    return fallback.id


def _open_defect(actor: User, case: MoveinCase, room: str, item: str, note: str,
                 now: datetime) -> MoveinDefect:
    """Write a defect and its rectification order (joins the caller's transaction)."""
    defect = MoveinDefect(estate_id=case.estate_id, case_id=case.id, room=room, item=item,
                          note=note, found_at=now.astimezone(UTC), found_by_id=actor.id)
    db.session.add(defect)
    db.session.flush()
    unit = db.session.get(Unit, case.unit_id)
    owner = db.session.get(Person, case.person_id) if case.person_id else None
    estate = unit.building.estate
    order = orders.report(actor, estate, {
        "source": "验房", "reporter_name": owner.name if owner else actor.full_name,
        "reporter_phone": owner.phone if owner else "", "unit_id": unit.id,
        "area": f"{room}{item}", "category_id": _category_id(case.estate_id, item),
        "description": f"验房问题：{room} {item}" + (f"：{note}" if note else ""),
        "priority": "normal", "origin": ORIGIN, "origin_id": defect.id}, now)
    defect.work_order_id = order.id
    db.session.flush()
    audit.record(actor, "create", defect, after=audit.snapshot(defect))
    return defect


@transactional
def save_inspection(actor: User, case: MoveinCase, results: dict, now: datetime):
    """验房: record the checklist; each item marked defective opens a defect and its order.

    ``results`` maps (room, item) of the estate's checklist to ("ok" | "defect", note); an item
    missing from it is refused, as is a defect without a note.
    """
    checklist = settings_of(case.estate_id).checklist
    rows, defects = [], []
    for r in checklist:
        for item in r["items"]:
            field = f"{r['room']}|{item}"
            state, note = results.get((r["room"], item), ("", ""))
            note = clean_text(note, field, _l("Note"), required=False, max_len=200)
            if state not in ("ok", "defect"):
                raise DomainError(_l("%(room)s %(item)s: mark it OK or defective.",
                                     room=r["room"], item=item), field)
            if state == "defect" and not note:
                raise DomainError(_l("%(room)s %(item)s: describe the defect.", room=r["room"],
                                     item=item), field)
            rows.append({"room": r["room"], "item": item, "state": state, "note": note})
            if state == "defect":
                defects.append((r["room"], item, note))
    case = cases.check_workable(case)
    if cases.step_of(case, "inspection").state != "pending":
        raise DomainError(_l("The inspection has already been recorded; add a defect found "
                             "later on its own."))
    ids = [_open_defect(actor, case, room, item, note, now).id for room, item, note in defects]
    return cases.mark_done(actor, case, "inspection",
                           {"items": rows, "defect_ids": ids}, now)


@transactional
def add_defect(actor: User, case: MoveinCase, data: dict, now: datetime) -> MoveinDefect:
    """Record a defect found after the inspection (the case may still be open or completed)."""
    room = clean_text(data.get("room"), "room", _l("Room in the unit"), max_len=32)
    item = clean_text(data.get("item"), "item", _l("Item"), max_len=32)
    note = clean_text(data.get("note"), "note", _l("Description"), max_len=200)
    case = cases.locked(case)
    if case.state == "cancelled":
        raise DomainError(_l("This move-in case is closed; nothing more can be recorded."))
    return _open_defect(actor, case, room, item, note, now)


@transactional
def accept_fix(actor: User, defect: MoveinDefect, data: dict, now: datetime) -> MoveinDefect:
    """Record the resident's acceptance of a fixed defect (its work order completed)."""
    name = clean_text(data.get("accepted_by_name"), "accepted_by_name",
                      _l("Accepted by"), max_len=64)
    note = clean_text(data.get("accept_note"), "accept_note", _l("Note"), required=False,
                      max_len=200)
    db.session.refresh(defect)
    if defect.accepted_at is not None:
        raise DomainError(_l("The resident has already accepted this fix."))
    order = db.session.get(WorkOrder, defect.work_order_id) if defect.work_order_id else None
    if order is None or order.state not in FIXED_STATES:
        raise DomainError(_l("The rectification order is not completed yet; the resident "
                             "accepts the fix once engineering has completed it."))
    defect.accepted_at = now.astimezone(UTC)
    defect.accepted_by_name = name
    defect.accept_note = note
    defect.recorded_by_id = actor.id
    audit.record(actor, "accept", defect, before={"accepted_at": None},
                 after={"accepted_at": defect.accepted_at.isoformat(),
                        "accepted_by_name": name, "accept_note": note})
    return defect
