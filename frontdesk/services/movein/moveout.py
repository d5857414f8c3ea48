"""Move-out (迁出) and transfer (过户): the clearance (fees owed, open key loans, keys held),
final meter readings, a manager's override of fees owed, and completion: occupancies end, keys
in custody go back to the owner, and on a transfer the new owner's move-in case starts.

Final readings are recorded as the meters' readings of the current month through the fees
services; the bill run of that month bills them (they are not billed on the spot). History
stays: occupancies are ended, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import (
    Key,
    KeyCustody,
    MoveOut,
    Occupancy,
    Person,
    Unit,
    User,
)
from frontdesk.models.movein import MOVE_OUT_KINDS
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees.bill_queries import deposits_held, unit_fees
from frontdesk.services.keys import custody as custodies
from frontdesk.services.keys import queries as key_queries
from frontdesk.services.movein import cases, handover
from frontdesk.services.register import records

ZERO = Decimal("0.00")


def open_move_out(unit_id: int) -> MoveOut | None:
    return db.session.scalar(sa.select(MoveOut).where(MoveOut.unit_id == unit_id,
                                                      MoveOut.state == "open"))


def current_owners(unit_id: int) -> list[Person]:
    return custodies.unit_owners(unit_id)


@dataclass
class Clearance:
    """What must be settled before residents leave: fees owed, key loans, keys held."""

    owed: Decimal
    lines: list
    open_loans: list
    custodies: list[KeyCustody] = field(default_factory=list)
    deposits: list = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return self.owed > 0


def clearance(unit: Unit, now: datetime) -> Clearance:
    """Gather the unit's clearance as of now (read only)."""
    today = cases.local_date(unit.estate_id, now)
    fees = unit_fees(unit, today)
    loans = key_queries.open_loans(unit.estate_id, now, unit_id=unit.id)
    held = list(db.session.scalars(
        sa.select(KeyCustody).join(Key, Key.id == KeyCustody.key_id)
        .where(Key.unit_id == unit.id, KeyCustody.ended_at.is_(None)).order_by(KeyCustody.id)))
    return Clearance(owed=fees.total_due, lines=fees.lines, open_loans=loans, custodies=held,
                     deposits=deposits_held(unit.id))


def _locked(move: MoveOut) -> MoveOut:
    move = db.session.scalar(sa.select(MoveOut).where(MoveOut.id == move.id).with_for_update()
                             .execution_options(populate_existing=True))
    if move.state != "open":
        raise DomainError(_l("This move-out is completed; nothing more can be recorded."))
    return move


def _new_owner(actor: User, unit: Unit, data: dict) -> Person | None:
    """Return the transfer's new owner (found by ID number, or registered), refusing one who
    already owns the unit."""
    id_number = (data.get("id_number") or "").strip().upper()
    person = None
    if id_number:
        person = db.session.scalar(sa.select(Person).where(Person.estate_id == unit.estate_id,
                                                           Person.id_number == id_number))
    owners = current_owners(unit.id)
    if person is not None and person.id in {p.id for p in owners}:
        raise DomainError(_l("%(name)s already owns this unit: a transfer goes to another "
                             "person.", name=person.name), "id_number")
    values = records.person_values(data)
    for owner in owners:
        if (owner.id_number and owner.id_number == values["id_number"]) or (
                owner.name == values["name"] and owner.phone == values["phone"]):
            raise DomainError(_l("%(name)s already owns this unit: a transfer goes to another "
                                 "person.", name=owner.name), "name")
    if person is None:
        if not values["id_number"]:
            raise DomainError(_l("Enter the new owner's ID number."), "id_number")
        person = records.create_person(actor, unit.building.estate, data)
    return person


@transactional
def start(actor: User, unit: Unit, kind: str, now: datetime,
          new_owner: dict | None = None) -> MoveOut:
    """Open a move-out or transfer of a unit; a transfer names the new owner."""
    if kind not in MOVE_OUT_KINDS:
        raise DomainError(_l("Choose move-out or transfer."), "kind")
    if open_move_out(unit.id) is not None:
        raise DomainError(_l("Unit %(code)s already has a move-out in progress.", code=unit.code))
    if cases.open_case(unit.id) is not None:
        raise DomainError(_l("Unit %(code)s has a move-in case in progress; complete or cancel "
                             "it first.", code=unit.code))
    if not db.session.scalar(sa.select(Occupancy.id).where(Occupancy.unit_id == unit.id,
                                                           Occupancy.end_date.is_(None))):
        raise DomainError(_l("Nobody is registered at unit %(code)s.", code=unit.code))
    person = _new_owner(actor, unit, new_owner or {}) if kind == "transfer" else None
    move = MoveOut(estate_id=unit.estate_id, unit_id=unit.id, kind=kind, state="open",
                   new_person_id=person.id if person else None,
                   opened_at=now.astimezone(UTC), opened_by_id=actor.id, readings=[])
    db.session.add(move)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise DomainError(_l("Unit %(code)s already has a move-out in progress.",
                             code=unit.code)) from None
    audit.record(actor, "create", move, after=audit.snapshot(move))
    return move


@transactional
def final_readings(actor: User, move: MoveOut, values: dict, now: datetime) -> MoveOut:
    """Record the final readings (this month's, billed by this month's bill run)."""
    move = _locked(move)
    unit = db.session.get(Unit, move.unit_id)
    recorded = handover.record_readings(actor, unit, dict(values), {}, now)
    move.readings = recorded
    audit.record(actor, "update", move, after={"readings": recorded})
    return move


@transactional
def override(actor: User, move: MoveOut, reason: str, now: datetime) -> MoveOut:
    """A manager lets the move-out complete although fees are owed, with a reason."""
    text = cases.reason_text(reason)
    if not actor.has_role("manager", estate_id=move.estate_id):
        raise DomainError(_l("Only a manager can let a move-out complete with fees owed."))
    move = _locked(move)
    move.override_by_id = actor.id
    move.override_at = now.astimezone(UTC)
    move.override_reason = text
    audit.record(actor, "override", move, before={"override_reason": ""},
                 after={"override_reason": text, "override_by_id": actor.id})
    return move


@transactional
def complete(actor: User, move: MoveOut, *, end_date, return_keys: bool, now: datetime):
    """Complete a move-out or transfer: fees settled (or overridden), occupancies end, keys in
    custody go back to the owner; a transfer opens the new owner's move-in case.

    Returns the move-out, and the new case for a transfer (else None).
    """
    move = _locked(move)
    unit = db.session.get(Unit, move.unit_id)
    today = cases.local_date(unit.estate_id, now)
    if not isinstance(end_date, date):
        raise DomainError(_l("Enter the date the residents leave."), "end_date")
    if end_date > today:
        raise DomainError(_l("The end date cannot be in the future."), "end_date")
    current = list(db.session.scalars(sa.select(Occupancy).where(
        Occupancy.unit_id == unit.id, Occupancy.end_date.is_(None))))
    for occupancy in current:
        if end_date < occupancy.start_date:
            raise DomainError(_l("The end date cannot be before %(name)s moved in (%(start)s).",
                                 name=occupancy.person.name,
                                 start=occupancy.start_date.isoformat()), "end_date")
    state = clearance(unit, now)
    if state.owed > 0 and move.override_at is None:
        raise DomainError(_l("%(owed)s yuan of fees are still owed: take the payment first, or "
                             "a manager overrides with a reason.", owed=f"{state.owed:,.2f}"))
    if return_keys:
        for held in state.custodies:
            custodies.take_back(actor, held, now=now)
    for occupancy in current:
        records.end_occupancy(actor, occupancy, end_date)
    before_unit = audit.snapshot(unit, ["status"])
    unit.status = "已交房" if move.kind == "transfer" else "空置"
    audit.record(actor, "update", unit, before=before_unit, after=audit.snapshot(unit, ["status"]))
    move.state = "completed"
    move.end_date = end_date
    move.owed_at_completion = state.owed
    move.completed_at = now.astimezone(UTC)
    move.completed_by_id = actor.id
    new_case = None
    if move.kind == "transfer":
        person = db.session.get(Person, move.new_person_id)
        new_case = cases.open_movein(actor, unit, now, kind="transfer", person=person,
                                     move_out_id=move.id)
        if move.readings:
            cases.mark_done(actor, new_case, "readings",
                            {"readings": move.readings, "from_transfer": move.id}, now)
    audit.record(actor, "complete", move, before={"state": "open"},
                 after={"state": "completed", "end_date": end_date.isoformat(),
                        "owed": f"{state.owed:.2f}",
                        "new_case_id": new_case.id if new_case else None})
    return move, new_case
