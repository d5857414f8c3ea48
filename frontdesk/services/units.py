"""What the unit card shows: residents, vehicles and history of one unit."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, Occupancy, Unit, Vehicle


@dataclass
class UnitCard:
    """The unit, its current and past occupancies, vehicles and recent changes."""

    unit: Unit
    current: list[Occupancy]
    past: list[Occupancy]
    vehicles: list[Vehicle]
    history: list[AuditEvent] = field(default_factory=list)


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
    touched = sa.or_(
        sa.and_(AuditEvent.object_type == "unit", AuditEvent.object_id == unit.id),
        sa.and_(AuditEvent.object_type == "occupancy",
                AuditEvent.object_id.in_([o.id for o in occupancies])),
        sa.and_(AuditEvent.object_type == "person", AuditEvent.object_id.in_(person_ids)),
    )
    history = list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.estate_id == unit.estate_id, touched)
            .order_by(AuditEvent.id.desc()).limit(history_limit)
        )
    )
    return UnitCard(unit=unit, current=current,
                    past=[o for o in occupancies if o.end_date is not None],
                    vehicles=vehicles, history=history)


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
