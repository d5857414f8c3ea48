"""The move-in case (入住办理): opening it, its steps done or skipped in any order, pausing it
between visits, and completing it (完成): the unit becomes 已入住 and fees accrue.

Every verb takes the acting user and ``now`` (aware UTC) and writes an audit event; one call
is one transaction. What a step records is in :mod:`handover` (readings, keys, first fees),
:mod:`inspection` (验房) and here (documents, residents, agreements).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.labels import MOVEIN_STEP_LABELS
from frontdesk.models import (
    Estate,
    MoveinCase,
    MoveinStep,
    Occupancy,
    Person,
    Unit,
    User,
    Vehicle,
)
from frontdesk.models.movein import STEPS
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.register import records
from frontdesk.services.register.records import clean_text

#: longest text of a reason or note
MAX_REASON = 200


# small helpers ----------------------------------------------------------------------------------


def local_date(estate_id: int, now: datetime) -> date:
    """Return the estate's date at an aware moment."""
    estate = db.session.get(Estate, estate_id)
    return now.astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai")).date()


def step_of(case: MoveinCase, step: str) -> MoveinStep:
    """Return a case's step row (every case has one per step)."""
    for row in case.steps:
        if row.step == step:
            return row
    raise KeyError(step)


def open_case(unit_id: int) -> MoveinCase | None:
    """Return the unit's open move-in case, if any."""
    return db.session.scalar(sa.select(MoveinCase).where(MoveinCase.unit_id == unit_id,
                                                         MoveinCase.state == "open"))


def locked(case: MoveinCase) -> MoveinCase:
    """Read a case afresh with its row locked until the transaction ends."""
    return db.session.scalar(sa.select(MoveinCase).where(MoveinCase.id == case.id)
                             .with_for_update().execution_options(populate_existing=True))


def check_workable(case: MoveinCase) -> MoveinCase:
    """Lock an open, running case, or refuse: it is completed, cancelled or paused."""
    case = locked(case)
    if case.state != "open":
        raise DomainError(_l("This move-in case is closed; nothing more can be recorded."))
    if case.paused_at is not None:
        raise DomainError(_l("This case is paused; resume it first."))
    return case


def reason_text(value, field: str = "reason", *, required: bool = True) -> str:
    return clean_text(value, field, _l("Reason"), required=required, max_len=MAX_REASON)


def mark_done(actor: User, case: MoveinCase, step: str, data: dict, now: datetime) -> MoveinStep:
    """Record a step as done with what it recorded (joins the caller's transaction)."""
    row = step_of(case, step)
    before = {"state": row.state, "data": row.data}
    row.state = "done"
    row.data = data
    row.reason = ""
    row.done_at = now.astimezone(UTC)
    row.done_by_id = actor.id
    db.session.flush()
    audit.record(actor, "done", row, before=before,
                 after={"state": "done", "data": data, "step": step, "case_id": case.id})
    return row


# opening, pausing, cancelling -----------------------------------------------------------------


@transactional
def open_movein(actor: User, unit: Unit, now: datetime, *, kind: str = "movein",
                person: Person | None = None, move_out_id: int | None = None) -> MoveinCase:
    """Open a unit's move-in case with its seven steps pending; one open case per unit."""
    if open_case(unit.id) is not None:
        raise DomainError(_l("Unit %(code)s already has a move-in case in progress.",
                             code=unit.code))
    if unit.status in ("已入住", "出租") and kind == "movein":
        raise DomainError(_l("Unit %(code)s is already occupied (%(status)s); a new owner moves "
                             "in through a transfer.", code=unit.code, status=unit.status))
    case = MoveinCase(estate_id=unit.estate_id, unit_id=unit.id, kind=kind, state="open",
                      person_id=person.id if person else None, move_out_id=move_out_id,
                      opened_at=now.astimezone(UTC), opened_by_id=actor.id)
    db.session.add(case)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise DomainError(_l("Unit %(code)s already has a move-in case in progress.",
                             code=unit.code)) from None
    for step in STEPS:
        db.session.add(MoveinStep(estate_id=unit.estate_id, case_id=case.id, step=step,
                                  state="pending", data={}))
    db.session.flush()
    db.session.refresh(case)
    audit.record(actor, "create", case, after=audit.snapshot(case))
    return case


@transactional
def pause(actor: User, case: MoveinCase, reason: str, now: datetime) -> MoveinCase:
    """Pause an open case until the owner's next visit (what is waited for, as the reason)."""
    text = reason_text(reason)
    case = check_workable(case)
    case.paused_at = now.astimezone(UTC)
    case.pause_reason = text
    audit.record(actor, "pause", case, before={"paused_at": None},
                 after={"paused_at": case.paused_at.isoformat(), "reason": text})
    return case


@transactional
def resume(actor: User, case: MoveinCase, now: datetime) -> MoveinCase:
    """Resume a paused case at the owner's next visit."""
    case = locked(case)
    if case.state != "open" or case.paused_at is None:
        raise DomainError(_l("This case is not paused."))
    before = {"paused_at": case.paused_at.isoformat(), "reason": case.pause_reason}
    case.paused_at = None
    case.pause_reason = ""
    audit.record(actor, "resume", case, before=before, after={"paused_at": None})
    return case


@transactional
def cancel(actor: User, case: MoveinCase, reason: str, now: datetime) -> MoveinCase:
    """Cancel a case opened by mistake; what its steps recorded stays on record."""
    text = reason_text(reason)
    case = locked(case)
    if case.state != "open":
        raise DomainError(_l("This move-in case is closed; nothing more can be recorded."))
    case.state = "cancelled"
    case.cancel_reason = text
    case.paused_at = None
    audit.record(actor, "cancel", case, before={"state": "open"},
                 after={"state": "cancelled", "reason": text})
    return case


# skipping ---------------------------------------------------------------------------------------


@transactional
def skip(actor: User, case: MoveinCase, step: str, reason: str, now: datetime) -> MoveinStep:
    """Skip a pending step with a reason (no gas meter, keys collected later …)."""
    if step not in STEPS:
        raise DomainError(_l("There is no such step."), "step")
    text = reason_text(reason)
    case = check_workable(case)
    row = step_of(case, step)
    if row.state != "pending":
        raise DomainError(_l("The step “%(step)s” has already been done or skipped.",
                             step=MOVEIN_STEP_LABELS[step]))
    row.state = "skipped"
    row.reason = text
    row.done_at = now.astimezone(UTC)
    row.done_by_id = actor.id
    audit.record(actor, "skip", row, before={"state": "pending"},
                 after={"state": "skipped", "reason": text, "step": step, "case_id": case.id})
    return row


# 核验资料, 签署协议 -------------------------------------------------------------------------------


def _date(value, field: str, label, today: date, *, required: bool = True) -> date | None:
    if value is None:
        if required:
            raise DomainError(_l("%(label)s is required.", label=label), field)
        return None
    if not isinstance(value, date):
        raise DomainError(_l("Enter the date as year-month-day, e.g. 2026-11-24."), field)
    if value > today:
        raise DomainError(_l("%(label)s cannot be in the future.", label=label), field)
    return value


@transactional
def verify_documents(actor: User, case: MoveinCase, data: dict, now: datetime) -> MoveinStep:
    """核验资料: identity checked and the purchase contract's number and date recorded."""
    today = local_date(case.estate_id, now)
    if not data.get("identity_checked"):
        raise DomainError(_l("Confirm that the owner's identity document was checked."),
                          "identity_checked")
    number = clean_text(data.get("contract_no"), "contract_no", _l("Purchase contract number"),
                        max_len=64)
    signed = _date(data.get("contract_date"), "contract_date", _l("Contract date"), today)
    case = check_workable(case)
    return mark_done(actor, case, "verify", {
        "identity_checked": True, "contract_no": number, "contract_date": signed.isoformat(),
        "note": clean_text(data.get("note"), "note", _l("Note"), required=False, max_len=200),
    }, now)


@transactional
def sign_agreements(actor: User, case: MoveinCase, data: dict, now: datetime) -> MoveinStep:
    """签署协议: the property service agreement and the estate rules, with their dates."""
    today = local_date(case.estate_id, now)
    service = _date(data.get("service_agreement_date"), "service_agreement_date",
                    _l("Property service agreement signed on"), today)
    rules = _date(data.get("rules_date"), "rules_date", _l("Estate rules signed on"), today)
    case = check_workable(case)
    return mark_done(actor, case, "agreements", {
        "service_agreement_date": service.isoformat(), "rules_date": rules.isoformat()}, now)


# 登记住户 -----------------------------------------------------------------------------------------


def case_occupancies(case: MoveinCase) -> list[Occupancy]:
    """Return the occupancies the case registered (ended ones included)."""
    ids = step_of(case, "residents").data.get("occupancy_ids") or []
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Occupancy).where(Occupancy.id.in_(ids))
                                   .order_by(Occupancy.id)))


def _find_person(estate_id: int, id_number: str) -> Person | None:
    if not id_number:
        return None
    return db.session.scalar(sa.select(Person).where(Person.estate_id == estate_id,
                                                     Person.id_number == id_number))


@transactional
def add_resident(actor: User, case: MoveinCase, person_data: dict, data: dict,
                 now: datetime) -> Occupancy:
    """登记住户: register an owner, household member or tenant of the unit (and a plate).

    A person already in the register (same ID number) is linked instead of registered twice.
    The occupancy starts on the case's date; completing the case sets the start date.
    """
    case = check_workable(case)
    unit = db.session.get(Unit, case.unit_id)
    today = local_date(case.estate_id, now)
    plate = (data.get("plate") or "").strip()
    occupancy_data = {"role": data.get("role") or "", "start_date": today,
                      "is_primary": bool(data.get("is_primary"))}
    id_number = (person_data.get("id_number") or "").strip().upper()
    existing = _find_person(case.estate_id, id_number)
    if existing is not None:
        occupancy = records.add_occupancy(actor, unit, existing, occupancy_data)
    else:
        occupancy = records.register_resident(actor, unit, person_data, occupancy_data)
    if plate:
        records.add_vehicle(actor, case.estate_id, {"plate": plate}, person=occupancy.person,
                            unit=unit)
    row = step_of(case, "residents")
    data_now = dict(row.data or {})
    data_now["occupancy_ids"] = [*(data_now.get("occupancy_ids") or []), occupancy.id]
    row.data = data_now
    if occupancy.role == "owner" and case.person_id is None:
        case.person_id = occupancy.person_id
    db.session.flush()
    audit.record(actor, "update", row, after={"occupancy_id": occupancy.id, "case_id": case.id})
    return occupancy


@transactional
def residents_done(actor: User, case: MoveinCase, now: datetime) -> MoveinStep:
    """Finish 登记住户: at least one owner of the unit must be registered (in this case, or
    already in the register, as an owner list imported before the campaign)."""
    case = check_workable(case)
    owners = [o for o in case_occupancies(case) if o.role == "owner" and o.end_date is None]
    if not owners:
        owners = list(db.session.scalars(sa.select(Occupancy).where(
            Occupancy.unit_id == case.unit_id, Occupancy.role == "owner",
            Occupancy.end_date.is_(None)).order_by(Occupancy.is_primary.desc(),
                                                   Occupancy.id)))
    if not owners:
        raise DomainError(_l("Register at least one owner of the unit first."))
    if case.person_id is None:
        case.person_id = owners[0].person_id
    row = step_of(case, "residents")
    data = dict(row.data or {})
    data["names"] = [o.person.name for o in case_occupancies(case) if o.end_date is None] or [
        o.person.name for o in owners]
    data["plates"] = list(db.session.scalars(sa.select(Vehicle.plate).where(
        Vehicle.unit_id == case.unit_id).order_by(Vehicle.plate)))
    return mark_done(actor, case, "residents", data, now)


# 完成 ---------------------------------------------------------------------------------------------


def missing_steps(case: MoveinCase) -> list[str]:
    """Return the steps still pending."""
    return [row.step for row in case.steps if row.state == "pending"]


@transactional
def complete(actor: User, case: MoveinCase, *, start_date, handover_date=None,
             now: datetime) -> MoveinCase:
    """完成: every step done or skipped; the unit becomes 已入住, occupancies start, fees accrue.

    The unit's handover date (from which fees accrue) is set from ``handover_date`` when the
    unit has none yet, and kept when it has one; the start date may not be before it.
    """
    case = check_workable(case)
    pending = missing_steps(case)
    if pending:
        raise DomainError(_l("These steps are still pending: %(steps)s. Do or skip them first.",
                             steps="、".join(str(MOVEIN_STEP_LABELS[s]) for s in pending)))
    if not isinstance(start_date, date):
        raise DomainError(_l("Enter the move-in date."), "start_date")
    today = local_date(case.estate_id, now)
    unit = db.session.get(Unit, case.unit_id)
    handover = unit.handover_date
    if handover is None:
        if not isinstance(handover_date, date):
            raise DomainError(_l("Enter the handover date: fees accrue from it."),
                              "handover_date")
        if handover_date > today:
            raise DomainError(_l("The handover date cannot be in the future."), "handover_date")
        handover = handover_date
    if start_date < handover:
        raise DomainError(_l("The move-in date (%(start)s) cannot be before the unit's handover "
                             "(%(handover)s).", start=start_date.isoformat(),
                             handover=handover.isoformat()), "start_date")
    if start_date > today:
        raise DomainError(_l("The move-in date cannot be in the future."), "start_date")
    before_unit = audit.snapshot(unit, ["status", "handover_date"])
    unit.handover_date = handover
    unit.status = "已入住"
    for occupancy in case_occupancies(case):
        if occupancy.end_date is None and occupancy.start_date != start_date:
            before = audit.snapshot(occupancy, ["start_date"])
            occupancy.start_date = start_date
            audit.record(actor, "update", occupancy, before=before,
                         after=audit.snapshot(occupancy, ["start_date"]))
    case.state = "completed"
    case.completed_at = now.astimezone(UTC)
    case.completed_by_id = actor.id
    case.start_date = start_date
    audit.record(actor, "update", unit, before=before_unit,
                 after=audit.snapshot(unit, ["status", "handover_date"]))
    audit.record(actor, "complete", case, before={"state": "open"},
                 after={"state": "completed", "start_date": start_date.isoformat(),
                        "handover_date": handover.isoformat()})
    return case
