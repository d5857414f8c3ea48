"""Finance reports, read-only: the daily cashier report, arrears by building and the dashboard.

Each report is a function of the estate and plain values returning plain data (dicts, lists,
Decimals, dates) that a page, a PDF (``frontdesk.pdf``) and an .xlsx export (``reports_xlsx``)
all show alike.
Nothing here writes to the database. Figures are summed exactly, as Decimals.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from frontdesk.extensions import db
from frontdesk.labels import (
    PRINTED_AGE_BUCKETS,
    PRINTED_PAYMENT_METHODS,
    PRINTED_PAYMENT_PURPOSES,
    PRINTED_REFUND_SOURCES,
)
from frontdesk.models import (
    BillLine,
    Building,
    Estate,
    Occupancy,
    Payment,
    Person,
    Receipt,
    Refund,
    Unit,
    User,
)
from frontdesk.models.base import Money
from frontdesk.models.fees import PAYMENT_METHODS
from frontdesk.services import DomainError
from frontdesk.services.chain import printed_heads
from frontdesk.services.fees.refunds import refund_number
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
#: the longest range one cashier report covers
MAX_REPORT_DAYS = 31
RATE_QUANTUM = Decimal("0.0001")


# input ----------------------------------------------------------------------------------------


def day_range(estate: Estate, day: date) -> tuple[datetime, datetime]:
    """Return the UTC start and end (exclusive) of a local day of the estate."""
    tz = ZoneInfo(estate.timezone)
    start = datetime.combine(day, time.min, tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def shift_range(estate: Estate, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Return the UTC range of a shift given in the estate's local time (naive datetimes)."""
    if end <= start:
        raise DomainError(_l("The end of the shift must be after its start."), "end")
    if end - start > timedelta(days=MAX_REPORT_DAYS):
        raise DomainError(
            _l("A report covers at most %(n)s days.", n=MAX_REPORT_DAYS), "end"
        )
    tz = ZoneInfo(estate.timezone)
    return (start.replace(tzinfo=tz).astimezone(UTC), end.replace(tzinfo=tz).astimezone(UTC))


def _estate_header(estate: Estate) -> dict[str, str]:
    return {"name": estate.name, "address": estate.address, "phone": estate.phone}


def _natural_key(text: str) -> tuple:
    """Sort 3-2-902 before 3-2-1502 and building 2 before 10."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text) if part
    )


# daily cashier report -----------------------------------------------------------------------


def daily_report(
    estate: Estate,
    *,
    day: date | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """Gather the payments received on a local day, or within a shift (naive local start/end).

    Payments are grouped by cashier and by method with counts and totals; voided payments are
    listed apart as 作废 and left out of every total. Refunds paid out in the range are listed
    by method and subtracted: the net per method is what the drawer (or account) should hold.
    """
    day, start, end, utc_start, utc_end = _report_range(estate, day, start, end)
    tz = ZoneInfo(estate.timezone)
    cashiers: dict[int, dict[str, Any]] = {}
    voided: list[dict[str, Any]] = []
    by_method = _method_cells()
    for row in _payments_in(estate, utc_start, utc_end):
        item = _payment_item(row, tz)
        if row.voided or row.voided_at is not None:
            voided.append(item)
            continue
        entry = cashiers.get(row.cashier_id)
        if entry is None:
            entry = cashiers[row.cashier_id] = {
                "id": row.cashier_id, "name": row.cashier, "methods": _method_cells(),
                "count": 0, "total": ZERO, "payments": [],
            }
        _add(entry["methods"], row.method, row.amount)
        entry["count"] += 1
        entry["total"] += row.amount
        entry["payments"].append(item)
        _add(by_method, row.method, row.amount)

    cashier_list = sorted(cashiers.values(), key=lambda c: (c["name"], c["id"]))
    for entry in cashier_list:
        entry["methods"] = list(entry["methods"].values())
    return {
        "estate": _estate_header(estate),
        "mode": "day" if day is not None else "shift",
        "day": day,
        "start": start,
        "end": end,
        "range_text": (day.isoformat() if day is not None else
                       f"{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}"),
        "methods": list(by_method.values()),
        "cashiers": cashier_list,
        "count": sum(c["count"] for c in cashier_list),
        "total": sum((c["total"] for c in cashier_list), ZERO),
        "voided": voided,
        "voided_total": sum((v["amount"] for v in voided), ZERO),
        **_refunds_paid(estate, utc_start, utc_end, list(by_method.values())),
        #: each hash chain's last link up to the end of the range, anchored on paper
        "chain_heads": printed_heads(estate.id, before=utc_end),
    }


def _report_range(estate: Estate, day: date | None, start: datetime | None,
                  end: datetime | None) -> tuple:
    """Return (day or None, local start, local end, UTC start, UTC end) of a day or a shift."""
    if start is not None or end is not None:
        if start is None or end is None:
            raise DomainError(_l("Enter both the start and the end of the shift."), "start")
        utc_start, utc_end = shift_range(estate, start, end)
        return None, start, end, utc_start, utc_end
    tz = ZoneInfo(estate.timezone)
    day = day or estate_today(estate)
    utc_start, utc_end = day_range(estate, day)
    return (day, utc_start.astimezone(tz).replace(tzinfo=None),
            utc_end.astimezone(tz).replace(tzinfo=None), utc_start, utc_end)


def _payments_in(estate: Estate, utc_start: datetime, utc_end: datetime) -> list:
    """Return the payments received in a range, with cashier, unit, receipt and its void."""
    voider = aliased(User)
    return db.session.execute(
        sa.select(
            Payment.id, Payment.amount, Payment.method, Payment.purpose, Payment.payer,
            Payment.received_at, Payment.voided, Payment.cashier_id,
            User.full_name.label("cashier"), Unit.code.label("unit_code"),
            Receipt.number.label("receipt_no"), Receipt.voided_at, Receipt.void_reason,
            voider.full_name.label("voided_by"),
        )
        .join(User, User.id == Payment.cashier_id)
        .join(Unit, Unit.id == Payment.unit_id)
        .outerjoin(Receipt, Receipt.payment_id == Payment.id)
        .outerjoin(voider, voider.id == Receipt.voided_by_id)
        .where(
            Payment.estate_id == estate.id,
            Payment.received_at >= utc_start,
            Payment.received_at < utc_end,
        )
        .order_by(Payment.received_at, Payment.id)
    ).all()


def _payment_item(row, tz: ZoneInfo) -> dict[str, Any]:
    """Return a payment as the report lists it (a voided one with who voided it and why)."""
    item = {
        "id": row.id,
        "time": row.received_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "receipt_no": row.receipt_no or "",
        "unit_code": row.unit_code,
        "amount": row.amount,
        "method": row.method,
        "method_name": PRINTED_PAYMENT_METHODS.get(row.method, row.method),
        "purpose_name": PRINTED_PAYMENT_PURPOSES.get(row.purpose, row.purpose),
        "payer": row.payer,
        "cashier": row.cashier,
    }
    if row.voided or row.voided_at is not None:
        item["void_reason"] = row.void_reason or ""
        item["voided_by"] = row.voided_by or ""
        item["voided_at"] = (row.voided_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                             if row.voided_at else "")
    return item


def _method_cell(method: str) -> dict[str, Any]:
    return {"method": method, "name": PRINTED_PAYMENT_METHODS.get(method, method), "count": 0,
            "total": ZERO}


def _method_cells() -> dict[str, dict[str, Any]]:
    """Return an empty count and total for every payment method, in their order."""
    return {m: _method_cell(m) for m in PAYMENT_METHODS}


def _add(cells: dict[str, dict[str, Any]], method: str, amount: Decimal) -> None:
    cell = cells.setdefault(method, _method_cell(method))
    cell["count"] += 1
    cell["total"] += amount


def _refunds_paid(estate: Estate, utc_start: datetime, utc_end: datetime,
                  received: list[dict[str, Any]]) -> dict[str, Any]:
    """Gather the refunds paid out in a range, by method, and the net of each method."""
    tz = ZoneInfo(estate.timezone)
    payer, approver = aliased(User), aliased(User)
    rows = db.session.execute(
        sa.select(Refund.id, Refund.paid_at, Refund.paid_method, Refund.method, Refund.amount,
                  Refund.source, Refund.payee, Refund.reason, Unit.code, payer.full_name,
                  approver.full_name)
        .join(Unit, Unit.id == Refund.unit_id)
        .outerjoin(payer, payer.id == Refund.paid_by_id)
        .outerjoin(approver, approver.id == Refund.decided_by_id)
        .where(Refund.estate_id == estate.id, Refund.state == "paid",
               Refund.paid_at >= utc_start, Refund.paid_at < utc_end)
        .order_by(Refund.paid_at, Refund.id)
    ).all()
    by_method = _method_cells()
    refunds = []
    for (rid, paid_at, paid_method, method, amount, source, payee, reason, unit_code,
         paid_by, approved_by) in rows:
        method = paid_method or method
        refunds.append({
            "id": rid,
            "number": refund_number(rid),
            "time": paid_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "unit_code": unit_code,
            "amount": amount,
            "method": method,
            "method_name": PRINTED_PAYMENT_METHODS.get(method, method),
            "source_name": PRINTED_REFUND_SOURCES.get(source, source),
            "payee": payee,
            "reason": reason,
            "paid_by": paid_by or "",
            "approved_by": approved_by or "",
        })
        _add(by_method, method, amount)
    received_by = {m["method"]: m["total"] for m in received}
    net = [{"method": m, "name": cell["name"], "received": received_by.get(m, ZERO),
            "refunded": cell["total"], "net": received_by.get(m, ZERO) - cell["total"]}
           for m, cell in by_method.items()]
    refund_total = sum((r["amount"] for r in refunds), ZERO)
    received_total = sum(received_by.values(), ZERO)
    return {
        "refunds": refunds,
        "refund_methods": list(by_method.values()),
        "refund_count": len(refunds),
        "refund_total": refund_total,
        "net_methods": net,
        "net_total": received_total - refund_total,
    }


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
        "estate": _estate_header(estate),
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
