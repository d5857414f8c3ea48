"""What the register's pages and printed forms show, scoped to one estate.

Lists, summaries and lookups of buildings, units and people; and the unit card (住户卡) with
its residents, vehicles and history (历史): the unit's audit trail and that of what hangs off
it — its occupancies and residents, vehicles, bill lines (adjustments, credit notes, late fees,
waivers), payments, receipts (issues, prints, voids), refunds, deposits, and its keys with their
custody, authorisations, loans and loss reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from frontdesk.extensions import db
from frontdesk.models import (
    AuditEvent,
    BillLine,
    Building,
    Deposit,
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
    Vehicle,
)
from frontdesk.services.audit_names import names_of


@dataclass
class BuildingRow:
    building: Building
    units: int
    gross_area: Decimal
    occupied: int


def building_summary(estate_id: int) -> list[BuildingRow]:
    """Return each building of the estate with its unit count, total area and occupied units."""
    counts = (
        sa.select(
            Unit.building_id,
            sa.func.count(Unit.id).label("units"),
            sa.func.coalesce(sa.func.sum(Unit.gross_area), Decimal("0")).label("area"),
            sa.func.count(Unit.id).filter(Unit.status.in_(("已入住", "出租"))).label("occupied"),
        )
        .where(Unit.estate_id == estate_id)
        .group_by(Unit.building_id)
        .subquery()
    )
    q = (
        sa.select(Building, counts.c.units, counts.c.area, counts.c.occupied)
        .outerjoin(counts, counts.c.building_id == Building.id)
        .where(Building.estate_id == estate_id)
        .order_by(Building.sort_key)
    )
    area_type = Unit.__table__.c.gross_area.type
    rows = []
    for building, units, area, occupied in db.session.execute(q):
        rows.append(BuildingRow(building, units or 0, _as_decimal(area, area_type), occupied or 0))
    return rows


def _as_decimal(value, column_type) -> Decimal:
    if value is None:
        return Decimal("0.00")
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return column_type.process_result_value(value, db.engine.dialect)


def units_of_building(building_id: int, page: int = 1, per_page: int = 100):
    """Return a page of a building's units in code order."""
    q = sa.select(Unit).where(Unit.building_id == building_id).order_by(
        Unit.entrance, Unit.floor, Unit.room)
    return db.paginate(q, page=page, per_page=per_page, error_out=False)


def occupancies_of_unit(unit_id: int) -> list[Occupancy]:
    """Return every occupancy of a unit, current first."""
    return list(db.session.scalars(
        sa.select(Occupancy).where(Occupancy.unit_id == unit_id)
        .order_by(Occupancy.end_date.is_not(None), Occupancy.start_date)
    ))


def people(estate_id: int, text: str = "", page: int = 1, per_page: int = 50):
    """Return a page of the estate's people, filtered by name or phone/ID tail."""
    q = sa.select(Person).where(Person.estate_id == estate_id)
    text = text.strip()
    if text:
        q = q.where(sa.or_(Person.name.contains(text, autoescape=True),
                           Person.phone_tail == text[-4:], Person.id_tail == text[-4:].upper()))
    return db.paginate(q.order_by(Person.name, Person.id), page=page, per_page=per_page,
                       error_out=False)


def unit_by_code(estate_id: int, code: str) -> Unit | None:
    """Return the estate's unit with this display code."""
    return db.session.scalar(sa.select(Unit).where(Unit.estate_id == estate_id, Unit.code == code))


def chosen_unit(estate_id: int, unit_id=None, unit_code=None, field: str = "unit_code"
                ) -> Unit | None:
    """Return the unit a form names by id (a list) or by code (typed), None when it names
    none; refuse another estate's unit or a code the estate does not have."""
    from flask_babel import lazy_gettext as _l

    from frontdesk.services import DomainError
    from frontdesk.services.validation import record_id

    if unit_id not in (None, ""):
        unit = db.session.get(Unit, record_id(unit_id) or 0)
        if unit is None or unit.estate_id != estate_id:
            raise DomainError(_l("Choose a unit of this estate."), field)
        return unit
    code = (unit_code or "").strip()
    if not code:
        return None
    unit = unit_by_code(estate_id, code) if len(code) <= 32 else None
    if unit is None:
        raise DomainError(_l("No unit %(code)s in this estate.", code=code[:32]), field)
    return unit


# the unit card -----------------------------------------------------------------------------------


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
            .options(joinedload(Occupancy.person))  # the card shows each resident
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
            .options(joinedload(Vehicle.person))  # and each vehicle's owner
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
