"""Finance reports, read-only: arrears by building and the dashboard (the daily cashier report
is in :mod:`daily_report`).

Each report is a function of the estate and plain values returning plain data (dicts, lists,
Decimals, dates) that a page, a PDF (``frontdesk.pdf``) and an .xlsx export (``reports_xlsx``)
all show alike.
Nothing here writes to the database. Figures are summed exactly, as Decimals.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.labels import (
    PRINTED_AGE_BUCKETS,
)
from frontdesk.models import (
    BillLine,
    Building,
    Estate,
    Occupancy,
    Person,
    Unit,
)
from frontdesk.models.base import Money
from frontdesk.services import DomainError
from frontdesk.services.periods import estate_today, parse_period

ZERO = Decimal("0.00")
#: age of an open line in days past its due date: (key, first day, last day or None)
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-90", 31, 90),
    ("91-365", 91, 365),
    ("365+", 366, None),
)
AGE_KEYS = tuple(key for key, _first, _last in AGE_BUCKETS)
#: the lines a period bills: charges and adjustments, less credit notes (negative amounts)
BILLED_KINDS = ("charge", "adjustment", "credit")
RATE_QUANTUM = Decimal("0.0001")


def estate_header(estate: Estate) -> dict[str, str]:
    return {"name": estate.name, "address": estate.address, "phone": estate.phone}


def _natural_key(text: str) -> tuple:
    """Sort 3-2-902 before 3-2-1502 and building 2 before 10."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text) if part
    )


# arrears ------------------------------------------------------------------------------------


def age_bucket(days_past_due: int) -> str:
    """Return the key of the age bucket a number of days past the due date falls in."""
    for key, first, last in AGE_BUCKETS:
        if days_past_due >= first and (last is None or days_past_due <= last):
            return key
    raise ValueError(f"not yet due: {days_past_due} days")


def _owner_names(estate_id: int, unit_ids: sa.Select, as_of: date) -> dict[int, str]:
    """Name the owners of units on a date (primary contact first), else the primary contact."""
    rows = db.session.execute(
        sa.select(Occupancy.unit_id, Occupancy.role, Occupancy.is_primary, Person.name)
        .join(Person, Person.id == Occupancy.person_id)
        .where(
            Occupancy.estate_id == estate_id,
            Occupancy.unit_id.in_(unit_ids),
            Occupancy.start_date <= as_of,
            sa.or_(Occupancy.end_date.is_(None), Occupancy.end_date >= as_of),
        )
        .order_by(Occupancy.unit_id, Occupancy.is_primary.desc(), Occupancy.start_date,
                  Occupancy.id)
    ).all()
    owners: dict[int, list[str]] = defaultdict(list)
    primary: dict[int, str] = {}
    for unit_id, role, is_primary, name in rows:
        if role == "owner" and name not in owners[unit_id]:
            owners[unit_id].append(name)
        if is_primary and unit_id not in primary:
            primary[unit_id] = name
    names = {uid: "、".join(names) for uid, names in owners.items() if names}
    for uid, name in primary.items():
        names.setdefault(uid, name)
    return names


def _open_amounts(estate_id: int, as_of: date, building_id: int | None = None):
    """Select what is still owed per unit and due date, on lines due by `as_of`."""
    query = (
        sa.select(
            BillLine.unit_id,
            BillLine.due_date,
            sa.type_coerce(sa.func.sum(BillLine.amount - BillLine.settled), Money())
            .label("outstanding"),
        )
        .where(
            BillLine.estate_id == estate_id,
            BillLine.due_date <= as_of,
            BillLine.amount > BillLine.settled,
        )
        .group_by(BillLine.unit_id, BillLine.due_date)
    )
    if building_id is not None:
        query = query.join(Unit, Unit.id == BillLine.unit_id).where(
            Unit.building_id == building_id
        )
    return query


def _bucket_totals(rows: Iterable[tuple[int, date, Decimal]],
                   as_of: date) -> dict[int, dict[str, Decimal]]:
    """Add up open amounts per unit and age bucket."""
    per_unit: dict[int, dict[str, Decimal]] = {}
    for unit_id, due_date, outstanding in rows:
        buckets = per_unit.setdefault(unit_id, dict.fromkeys(AGE_KEYS, ZERO))
        buckets[age_bucket((as_of - due_date).days)] += outstanding
    return per_unit


def arrears(estate: Estate, as_of: date | None = None) -> dict[str, Any]:
    """List open bill lines due by a date, per building and unit, by age past the due date.

    A line is open while its amount exceeds what is settled on it; lines not yet due are not
    arrears. Owners' names come from the occupancies current on the date.
    """
    today = estate_today(estate)
    as_of = as_of or today
    if as_of > today:
        raise DomainError(_l("The date must not be in the future."), "as_of")
    open_q = _open_amounts(estate.id, as_of)
    per_unit = _bucket_totals(db.session.execute(open_q).all(), as_of)
    unit_ids = sa.select(open_q.subquery().c.unit_id)
    units = db.session.execute(
        sa.select(Unit.id, Unit.code, Unit.building_id)
        .where(Unit.estate_id == estate.id, Unit.id.in_(unit_ids))
    ).all()
    owners = _owner_names(estate.id, unit_ids, as_of)
    buildings = db.session.execute(
        sa.select(Building).where(Building.estate_id == estate.id)
        .order_by(Building.sort_key, Building.number)
    ).scalars().all()

    units_by_building: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for unit_id, code, building_id in units:
        buckets = per_unit[unit_id]
        units_by_building[building_id].append({
            "code": code,
            "owner": owners.get(unit_id, ""),
            "buckets": [buckets[k] for k in AGE_KEYS],
            "total": sum(buckets.values(), ZERO),
        })
    sections = []
    for building in buildings:
        rows = sorted(units_by_building.get(building.id, []),
                      key=lambda u: _natural_key(u["code"]))
        if not rows:
            continue
        bucket_sums = [sum((u["buckets"][i] for u in rows), ZERO) for i in range(len(AGE_KEYS))]
        sections.append({
            "id": building.id,
            "label": building.label,
            "units": rows,
            "unit_count": len(rows),
            "buckets": bucket_sums,
            "total": sum(bucket_sums, ZERO),
        })
    totals = [sum((b["buckets"][i] for b in sections), ZERO) for i in range(len(AGE_KEYS))]
    return {
        "estate": estate_header(estate),
        "as_of": as_of,
        "bucket_keys": list(AGE_KEYS),
        "bucket_names": [PRINTED_AGE_BUCKETS[k] for k in AGE_KEYS],
        "buildings": sections,
        "buckets": totals,
        "total": sum(totals, ZERO),
        "unit_count": sum(b["unit_count"] for b in sections),
    }


# dashboard ------------------------------------------------------------------------------------


def collection_rate(paid: Decimal, billed: Decimal) -> Decimal | None:
    """Return paid / billed to four places (half up), or None when nothing was billed."""
    if billed <= 0:
        return None
    return (paid / billed).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def percent(rate: Decimal | None) -> str:
    """Show a rate as a percentage with two decimals, e.g. 0.7500 as 75.00%; None as —."""
    return "—" if rate is None else f"{rate * 100:.2f}%"


def _billed_by_building(estate: Estate, period: str) -> dict[int, tuple[Decimal, Decimal]]:
    """Return {building id: (billed, settled)} of a period's lines."""
    billed_rows = db.session.execute(
        sa.select(
            Unit.building_id,
            sa.type_coerce(sa.func.sum(BillLine.amount), Money()),
            sa.type_coerce(sa.func.sum(BillLine.settled), Money()),
        )
        .join(Unit, Unit.id == BillLine.unit_id)
        .where(
            BillLine.estate_id == estate.id,
            BillLine.period == period,
            BillLine.kind.in_(BILLED_KINDS),
        )
        .group_by(Unit.building_id)
    ).all()
    return {bid: (amount or ZERO, settled or ZERO) for bid, amount, settled in billed_rows}


def _arrears_by_building(estate: Estate, as_of: date) -> dict:
    """Return {building id: {age bucket: amount open}} on a date."""
    open_q = _open_amounts(estate.id, as_of).subquery()
    arrears_rows = db.session.execute(
        sa.select(Unit.building_id, open_q.c.due_date,
                  sa.type_coerce(sa.func.sum(open_q.c.outstanding), Money()))
        .join(Unit, Unit.id == open_q.c.unit_id)
        .group_by(Unit.building_id, open_q.c.due_date)
    ).all()
    return _bucket_totals(arrears_rows, as_of)


def dashboard(estate: Estate, period: str, as_of: date | None = None) -> dict[str, Any]:
    """Collection rate per building for a period, and arrears by building and age on a date.

    billed = the period's charges and adjustments less its credit notes; paid = what is
    settled on those lines; 收缴率 = paid / billed.
    """
    period = parse_period(period)
    today = estate_today(estate)
    as_of = as_of or today
    if as_of > today:
        raise DomainError(_l("The date must not be in the future."), "as_of")
    billed = _billed_by_building(estate, period)
    per_building = _arrears_by_building(estate, as_of)

    buildings = db.session.execute(
        sa.select(Building).where(Building.estate_id == estate.id)
        .order_by(Building.sort_key, Building.number)
    ).scalars().all()
    rows = []
    for building in buildings:
        amount, settled = billed.get(building.id, (ZERO, ZERO))
        buckets = per_building.get(building.id, dict.fromkeys(AGE_KEYS, ZERO))
        rate = collection_rate(settled, amount)
        rows.append({
            "id": building.id,
            "label": building.label,
            "billed": amount,
            "paid": settled,
            "rate": rate,
            "rate_percent": percent(rate),
            "arrears": dict(buckets),
            "arrears_total": sum(buckets.values(), ZERO),
        })
    total_billed = sum((r["billed"] for r in rows), ZERO)
    total_paid = sum((r["paid"] for r in rows), ZERO)
    total_arrears = {k: sum((r["arrears"][k] for r in rows), ZERO) for k in AGE_KEYS}
    total_rate = collection_rate(total_paid, total_billed)
    return {
        "period": period,
        "as_of": as_of,
        "bucket_keys": list(AGE_KEYS),
        "buildings": rows,
        "totals": {
            "billed": total_billed,
            "paid": total_paid,
            "rate": total_rate,
            "rate_percent": percent(total_rate),
            "arrears": total_arrears,
            "arrears_total": sum(total_arrears.values(), ZERO),
        },
    }


def as_json(value: Any) -> Any:
    """Turn report data into JSON values: Decimals and dates become strings."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value
