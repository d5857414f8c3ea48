"""What the unit card shows: residents, vehicles and history of one unit.

The history (历史) is the unit's audit trail and that of what hangs off it: its occupancies and
residents, vehicles, bill lines (adjustments, credit notes, late fees, waivers), payments,
receipts (issues, prints, voids), refunds, deposits, and its keys with their custody,
authorisations, loans and loss reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import (
    AuditEvent,
    BillLine,
    Deposit,
    Key,
    KeyAuthorisation,
    KeyCustody,
    KeyLoan,
    KeyLossReport,
    Occupancy,
    Payment,
    Receipt,
    Refund,
    Unit,
    Vehicle,
)
from frontdesk.services.audit_names import names_of


@dataclass(frozen=True)
class HistoryEntry:
    """An audit event of the unit or of something of it, with what it is about and who did it."""

    event: AuditEvent
    #: the object as people name it: a receipt number, a key's tag, a resident's name …
    subject: str
    #: the acting user's full name (the username kept on the event if the user is gone)
    user: str


@dataclass
class UnitCard:
    """The unit, its current and past occupancies, vehicles and recent changes."""

    unit: Unit
    current: list[Occupancy]
    past: list[Occupancy]
    vehicles: list[Vehicle]
    history: list[HistoryEntry] = field(default_factory=list)
    #: names of what the history's events refer to (:func:`audit_names.names_of`)
    names: dict = field(default_factory=dict)


def unit_card(unit: Unit, history_limit: int = 50) -> UnitCard:
    """Gather what the desk needs to see about a unit."""
    occupancies = list(
        db.session.scalars(
            sa.select(Occupancy)
            .where(Occupancy.unit_id == unit.id)
            .order_by(Occupancy.end_date.is_not(None), Occupancy.is_primary.desc(),
                      Occupancy.role, Occupancy.start_date)
        )
    )
    current = [o for o in occupancies if o.end_date is None]
    person_ids = [o.person_id for o in occupancies]
    vehicles = list(
        db.session.scalars(
            sa.select(Vehicle)
            .where(sa.or_(Vehicle.unit_id == unit.id,
                          Vehicle.person_id.in_([o.person_id for o in current])))
            .order_by(Vehicle.plate)
        )
    )
    events = unit_history(unit, [o.id for o in occupancies], person_ids,
                          [v.id for v in vehicles], history_limit)
    names = names_of(events)
    history = [HistoryEntry(event=e, subject=names.get((e.object_type, e.object_id), ""),
                            user=names.get(("user", e.user_id)) or e.user_name)
               for e in events]
    return UnitCard(unit=unit, current=current,
                    past=[o for o in occupancies if o.end_date is not None],
                    vehicles=vehicles, history=history, names=names)


def _related(unit_id: int) -> dict[str, sa.Select]:
    """Return {object type: select of the ids of the unit's objects of that type}."""
    key_ids = sa.select(Key.id).where(Key.unit_id == unit_id).scalar_subquery()
    custody_ids = sa.select(KeyCustody.id).where(KeyCustody.key_id.in_(key_ids))
    return {
        "payment": sa.select(Payment.id).where(Payment.unit_id == unit_id),
        "receipt": sa.select(Receipt.id).where(Receipt.unit_id == unit_id),
        "refund": sa.select(Refund.id).where(Refund.unit_id == unit_id),
        "deposit": sa.select(Deposit.id).where(Deposit.unit_id == unit_id),
        "bill_line": sa.select(BillLine.id).where(BillLine.unit_id == unit_id),
        "key": sa.select(Key.id).where(Key.unit_id == unit_id),
        "key_custody": custody_ids,
        "key_authorisation": sa.select(KeyAuthorisation.id)
        .where(KeyAuthorisation.custody_id.in_(custody_ids.scalar_subquery())),
        "key_loan": sa.select(KeyLoan.id).where(KeyLoan.key_id.in_(key_ids)),
        "key_loss_report": sa.select(KeyLossReport.id).where(KeyLossReport.key_id.in_(key_ids)),
    }


def unit_history(unit: Unit, occupancy_ids: list[int], person_ids: list[int],
                 vehicle_ids: list[int], limit: int = 50) -> list[AuditEvent]:
    """Return the latest audit events of a unit and of everything of it, newest first."""
    touched = [
        sa.and_(AuditEvent.object_type == "unit", AuditEvent.object_id == unit.id),
        sa.and_(AuditEvent.object_type == "occupancy", AuditEvent.object_id.in_(occupancy_ids)),
        sa.and_(AuditEvent.object_type == "person", AuditEvent.object_id.in_(person_ids)),
        sa.and_(AuditEvent.object_type == "vehicle", AuditEvent.object_id.in_(vehicle_ids)),
    ]
    for object_type, ids in _related(unit.id).items():
        touched.append(sa.and_(AuditEvent.object_type == object_type,
                               AuditEvent.object_id.in_(ids.scalar_subquery())))
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.estate_id == unit.estate_id, sa.or_(*touched))
        .order_by(AuditEvent.id.desc()).limit(limit)))


def registration_data(card: UnitCard, *, printed_at: str, printed_by: str,
                      mask_id, mask_phone, role_label) -> dict:
    """Return the plain data of the resident registration form (住户信息登记表)."""
    unit = card.unit
    estate = unit.building.estate

    return {
        "estate": {"name": estate.name, "address": estate.address, "phone": estate.phone},
        "unit": {
            "code": unit.code, "building": unit.building.label, "entrance": unit.entrance,
            "floor": unit.floor, "room": unit.room, "gross_area": unit.gross_area,
            "inner_area": unit.inner_area, "usage": unit.usage, "status": unit.status,
        },
        "residents": [
            {
                "name": o.person.name, "role": role_label(o.role),
                "phone": mask_phone(o.person.phone), "id_type": o.person.id_type,
                "id_number": mask_id(o.person.id_number), "since": o.start_date,
                "primary": o.is_primary,
                "emergency_contact": " ".join(
                    x for x in (o.person.emergency_contact, o.person.emergency_phone) if x
                ),
            }
            for o in card.current
        ],
        "vehicles": [
            {"plate": v.plate, "owner": v.person.name if v.person else ""} for v in card.vehicles
        ],
        "printed_at": printed_at,
        "printed_by": printed_by,
        "document_no": f"DJ-{unit.estate_id}-{unit.id}",
    }
