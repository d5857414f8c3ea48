"""The figures of the printed fee documents: payment notices (缴费通知单) and statements (对账单).

Read-only: these functions gather plain data (dicts of str, date and Decimal) for
``frontdesk.pdf.notice`` and ``frontdesk.pdf.statement`` and never change the database.

A notice lists a unit's open bill lines (amount − settled > 0) of a period and earlier periods,
each with the late fee it has run up by the notice date (unless waived), and asks for
outstanding + late fees − the prepaid balance (预存款) that can cover them. Late fees follow the
payments rule (``late_fees.late_fee_for``): once a payment has posted a late fee on a line, its
fee runs from that day only, all its fees together stay under its cap, and the posted late-fee
lines carry none themselves; so a notice shows what the desk would charge that day.

A statement's balance is what the unit owes on its bills:

    bill lines (charges, adjustments and late-fee lines, less credit notes)
    − payments applied to bill lines (allocations of payments that are not voided)
    − prepaid balance used on bill lines (prepaid entries of kind "applied")

Positive means the unit owes, negative that it paid more than it was billed. The prepaid
balance is the sum of its movements and is shown beside it, not inside it. A bill line counts
on the day it was created, a payment on the day it was received, both in the estate's timezone.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.labels import PRINTED_LINE_KINDS, PRINTED_PAYMENT_METHODS, PRINTED_PAYMENT_PURPOSES
from frontdesk.models import (
    Allocation,
    BillLine,
    Building,
    Deposit,
    Estate,
    FeeItem,
    Occupancy,
    Payment,
    Person,
    PrepaidEntry,
    Receipt,
    Unit,
)
from frontdesk.money import format_money, quantize_money
from frontdesk.services import DomainError
from frontdesk.services.fees.late_fees import LATE_KINDS, charged_late_fees_bulk, late_fee_for
from frontdesk.services.periods import estate_today, parse_period

ZERO = Decimal("0.00")
#: the longest statement, in years
MAX_STATEMENT_YEARS = 3


# ---------------------------------------------------------------------------------------------
# input


def check_range(start: date | None, end: date | None) -> None:
    """Refuse a statement range that is missing, in the wrong order or longer than three years."""
    if start is None:
        raise DomainError(_l("Enter the start date."), field="start")
    if end is None:
        raise DomainError(_l("Enter the end date."), field="end")
    if end < start:
        raise DomainError(_l("The end date is before the start date."), field="end")
    try:
        limit = start.replace(year=start.year + MAX_STATEMENT_YEARS)
    except ValueError:  # 29 February
        limit = date(start.year + MAX_STATEMENT_YEARS, 3, 1)
    if end >= limit:
        raise DomainError(_l("A statement covers at most three years."), field="end")


# ---------------------------------------------------------------------------------------------
# shared helpers


def estate_now_text(estate: Estate) -> str:
    """Return the current time in the estate's timezone as printed on documents."""
    return datetime.now(ZoneInfo(estate.timezone)).strftime("%Y-%m-%d %H:%M")


def _estate_data(estate: Estate) -> dict:
    return {"name": estate.name, "address": estate.address, "phone": estate.phone}


def _money(value) -> Decimal:
    """Return a summed Money column as a Decimal (None → 0.00)."""
    return ZERO if value is None else quantize_money(value)


def _local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """Return the start of a local day as a UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _owner_names(unit_ids: sa.Select | list[int], today: date) -> dict[int, str]:
    """Return the names on each unit's notice: current owners, else the primary contact.

    One query for any number of units.
    """
    rows = db.session.execute(
        sa.select(Occupancy.unit_id, Person.name, Occupancy.role, Occupancy.is_primary,
                  Occupancy.start_date)
        .join(Person, Person.id == Occupancy.person_id)
        .where(Occupancy.unit_id.in_(unit_ids),
               sa.or_(Occupancy.end_date.is_(None), Occupancy.end_date >= today))
    ).all()
    by_unit: dict[int, list] = defaultdict(list)
    for row in rows:
        by_unit[row.unit_id].append(row)
    names = {}
    for unit_id, occ in by_unit.items():
        owners = [o for o in occ if o.role == "owner"]
        chosen = owners or [o for o in occ if o.is_primary] or occ
        chosen.sort(key=lambda o: (not o.is_primary, o.start_date))
        seen: list[str] = []
        for o in chosen:
            if o.name not in seen:
                seen.append(o.name)
        names[unit_id] = "、".join(seen[:3])
    return names


# ---------------------------------------------------------------------------------------------
# payment notices (缴费通知单)


def unit_notice(unit: Unit, period: str, *, today: date | None = None,
                printed_by: str = "") -> dict:
    """Gather the payment notice of one unit for a period; DomainError if nothing is due."""
    period = parse_period(period)
    data = _notices(unit.building.estate, [unit], period, today, printed_by)
    if not data["units"]:
        raise DomainError(_l("Nothing is due for %(code)s up to %(period)s.",
                             code=unit.code, period=period), field="period")
    return data


def building_notices(building: Building, period: str, *, today: date | None = None,
                     printed_by: str = "") -> dict:
    """Gather the payment notices of every unit of a building that has something due.

    A fixed handful of queries whatever the number of units.
    """
    period = parse_period(period)
    units = list(db.session.scalars(
        sa.select(Unit).where(Unit.building_id == building.id)
        .order_by(Unit.entrance, Unit.floor, Unit.room, Unit.id)
    ))
    data = _notices(building.estate, units, period, today, printed_by, building=building)
    if not data["units"]:
        raise DomainError(_l("Nothing is due in %(b)s up to %(period)s.",
                             b=building.label, period=period), field="period")
    return data


def _notices(estate: Estate, units: list[Unit], period: str, today: date | None,
             printed_by: str, building: Building | None = None) -> dict:
    """Build the notices of the given units (all of one estate) in their order."""
    today = today or estate_today(estate)
    if building is not None:
        unit_filter: sa.Select | list[int] = (
            sa.select(Unit.id).where(Unit.building_id == building.id))
        labels = {building.id: building.label}
    else:
        unit_filter = [u.id for u in units]
        labels = {u.building_id: u.building.label for u in units}

    open_filter = (BillLine.estate_id == estate.id, BillLine.unit_id.in_(unit_filter),
                   BillLine.period <= period, BillLine.amount > BillLine.settled)
    lines = db.session.execute(
        sa.select(
            BillLine.id, BillLine.unit_id, BillLine.period, BillLine.kind, BillLine.amount,
            BillLine.settled, BillLine.explanation, BillLine.due_date,
            BillLine.late_fee_waived, FeeItem.name, FeeItem.late_grace_days,
            FeeItem.late_daily_rate, FeeItem.late_cap_ratio,
        )
        .join(FeeItem, FeeItem.id == BillLine.fee_item_id)
        .where(*open_filter)
        .order_by(BillLine.unit_id, BillLine.period, FeeItem.code, BillLine.id)
    ).all()
    open_by_unit: dict[int, list] = defaultdict(list)
    for line in lines:
        open_by_unit[line.unit_id].append(line)
    if not open_by_unit:
        return _notice_envelope(estate, period, today, printed_by, [])

    # late fees already posted on the open lines: one query, by the lines' units
    charged = charged_late_fees_bulk(
        sa.select(BillLine.id).where(*open_filter, BillLine.kind.in_(LATE_KINDS)),
        unit_ids=unit_filter)

    prepaid = dict(db.session.execute(
        sa.select(PrepaidEntry.unit_id, sa.func.sum(PrepaidEntry.amount))
        .where(PrepaidEntry.estate_id == estate.id, PrepaidEntry.unit_id.in_(unit_filter))
        .group_by(PrepaidEntry.unit_id)
    ).all())
    owners = _owner_names(unit_filter, today)

    notices = []
    for unit in units:
        unit_lines = open_by_unit.get(unit.id)
        if not unit_lines:
            continue
        notices.append(_unit_notice(unit, labels.get(unit.building_id, ""),
                                    owners.get(unit.id, ""), unit_lines, charged,
                                    _money(prepaid.get(unit.id)), period, today))
    return _notice_envelope(estate, period, today, printed_by, notices)


def _notice_envelope(estate: Estate, period: str, today: date, printed_by: str,
                     units: list[dict]) -> dict:
    return {
        "estate": _estate_data(estate),
        "payment_methods": list(PRINTED_PAYMENT_METHODS.values()),
        "period": period,
        "notice_date": today,
        "printed_at": estate_now_text(estate),
        "printed_by": printed_by,
        "units": units,
    }


def _late_fee(line, charged: dict, today: date):
    """Return the late fee (payments' rule) of a bill-line row read with its fee item."""
    before, last = charged.get(line.id, (ZERO, None))
    return late_fee_for(
        kind=line.kind, amount=line.amount, outstanding=line.amount - line.settled,
        due_date=line.due_date, waived=line.late_fee_waived, grace_days=line.late_grace_days,
        daily_rate=line.late_daily_rate, cap_ratio=line.late_cap_ratio, today=today,
        charged_before=before, last_charged=last)


def _unit_notice(unit: Unit, building_label: str, owner: str, lines: list, charged: dict,
                 prepaid: Decimal, period: str, today: date) -> dict:
    """Work out one unit's notice from its open lines and the late fees posted on them."""
    rows = []
    for line in lines:
        outstanding = line.amount - line.settled
        late = _late_fee(line, charged, today)
        fee, days = late.amount, late.days
        rows.append({
            "item": line.name if line.kind == "charge"
            else f"{line.name}（{PRINTED_LINE_KINDS.get(line.kind, line.kind)}）",
            "period": line.period,
            "explanation": line.explanation,
            "amount": line.amount,
            "paid": line.settled,
            "outstanding": outstanding,
            "late_fee": fee,
            "late_days": days,
            "due_date": line.due_date,
            "waived": bool(line.late_fee_waived),
        })
    total_outstanding = sum((r["outstanding"] for r in rows), ZERO)
    total_late = sum((r["late_fee"] for r in rows), ZERO)
    owed = total_outstanding + total_late
    prepaid_used = min(prepaid, owed) if prepaid > 0 else ZERO
    period_dues = [r["due_date"] for r in rows if r["period"] == period]
    due_date = min(period_dues) if period_dues else None
    return {
        "unit_id": unit.id,
        "code": unit.code,
        "building": building_label,
        "gross_area": unit.gross_area,
        "owner": owner,
        "lines": rows,
        "total_amount": sum((r["amount"] for r in rows), ZERO),
        "total_paid": sum((r["paid"] for r in rows), ZERO),
        "total_outstanding": total_outstanding,
        "total_late_fee": total_late,
        "prepaid": prepaid,
        "prepaid_used": prepaid_used,
        "amount_due": owed - prepaid_used,
        "due_date": due_date,
        "overdue": due_date is None or due_date < today,
        "arrears": any(r["period"] < period for r in rows),
    }


# ---------------------------------------------------------------------------------------------
# statements (对账单)


def unit_statement(unit: Unit, start: date, end: date, *, today: date | None = None,
                   printed_by: str = "") -> dict:
    """Gather a unit's statement from start to end (both inclusive, estate-local dates)."""
    check_range(start, end)
    estate = unit.building.estate
    tz = ZoneInfo(estate.timezone)
    today = today or estate_today(estate)
    since = _local_midnight_utc(start, tz)
    until = _local_midnight_utc(end + timedelta(days=1), tz)

    opening = (
        _sum(sa.select(sa.func.sum(BillLine.amount))
             .where(BillLine.unit_id == unit.id, BillLine.created_at < since))
        - _sum(sa.select(sa.func.sum(Allocation.amount))
               .join(Payment, Payment.id == Allocation.payment_id)
               .where(Payment.unit_id == unit.id, Payment.voided.is_(False),
                      Payment.received_at < since))
        + _sum(sa.select(sa.func.sum(PrepaidEntry.amount))
               .where(PrepaidEntry.unit_id == unit.id, PrepaidEntry.kind == "applied",
                      PrepaidEntry.created_at < since))
    )
    events = (_line_events(unit, since, until, tz) + _payment_events(unit, since, until, tz)
              + _prepaid_events(unit, since, until, tz))
    # by day, then charges before the payments and prepaid uses of that day, then by time
    events.sort(key=lambda e: (e["date"], e["_key"][1], e["_key"][0], e["_key"][2]))
    for e in events:
        del e["_key"]

    balance = opening
    total_charges = total_credits = ZERO
    for e in events:
        total_charges += e["charge"] or ZERO
        total_credits += e["credit"] or ZERO
        balance += (e["charge"] or ZERO) - (e["credit"] or ZERO)
        e["balance"] = balance

    prepaid_sum = sa.select(sa.func.sum(PrepaidEntry.amount)).where(
        PrepaidEntry.unit_id == unit.id)
    accrued_as_of = min(end, today)
    return {
        "estate": _estate_data(estate),
        "unit": {"code": unit.code, "building": unit.building.label,
                 "gross_area": unit.gross_area,
                 "owner": _owner_names([unit.id], accrued_as_of).get(unit.id, "")},
        "start": start,
        "end": end,
        "printed_at": estate_now_text(estate),
        "printed_by": printed_by,
        "opening_balance": opening,
        "rows": events,
        "total_charges": total_charges,
        "total_credits": total_credits,
        "closing_balance": balance,
        "prepaid_opening": _sum(prepaid_sum.where(PrepaidEntry.created_at < since)),
        "prepaid_closing": _sum(prepaid_sum.where(PrepaidEntry.created_at < until)),
        "accrued_late_fee": _accrued_late_fee(unit, until, accrued_as_of),
        "accrued_as_of": accrued_as_of,
    }


def _sum(query: sa.Select) -> Decimal:
    return _money(db.session.scalar(query))


def _line_events(unit: Unit, since: datetime, until: datetime, tz: ZoneInfo) -> list[dict]:
    rows = db.session.execute(
        sa.select(BillLine.id, BillLine.kind, BillLine.period, BillLine.amount,
                  BillLine.explanation, BillLine.reason, BillLine.created_at, FeeItem.name)
        .join(FeeItem, FeeItem.id == BillLine.fee_item_id)
        .where(BillLine.unit_id == unit.id, BillLine.created_at >= since,
               BillLine.created_at < until)
    ).all()
    events = []
    for r in rows:
        text = f"{r.name} {r.period}：{r.explanation}"
        if r.reason:
            text += f"（{r.reason}）"
        events.append({
            "_key": (r.created_at, 0, r.id),
            "date": r.created_at.astimezone(tz).date(),
            "kind": PRINTED_LINE_KINDS.get(r.kind, r.kind),
            "description": text,
            "reference": "",
            "charge": r.amount,
            "credit": None,
            "voided": False,
        })
    return events


def _payment_events(unit: Unit, since: datetime, until: datetime,
                    tz: ZoneInfo) -> list[dict]:
    allocated = (
        sa.select(Allocation.payment_id, sa.func.sum(Allocation.amount).label("applied"))
        .join(Payment, Payment.id == Allocation.payment_id)
        .where(Payment.unit_id == unit.id)
        .group_by(Allocation.payment_id).subquery()
    )
    rows = db.session.execute(
        sa.select(Payment.id, Payment.amount, Payment.method, Payment.purpose, Payment.voided,
                  Payment.received_at, Payment.payer, Receipt.number, allocated.c.applied)
        .outerjoin(Receipt, Receipt.payment_id == Payment.id)
        .outerjoin(allocated, allocated.c.payment_id == Payment.id)
        .where(Payment.unit_id == unit.id, Payment.received_at >= since,
               Payment.received_at < until)
    ).all()
    money_type = Allocation.__table__.c.amount.type
    # a prepaid payment may hold part of it as a deposit (a move-in's first fees)
    held = dict(db.session.execute(
        sa.select(Deposit.payment_id, Deposit.amount).where(Deposit.unit_id == unit.id)).all())
    events = []
    for r in rows:
        applied = r.applied
        if applied is not None and not isinstance(applied, Decimal):
            applied = money_type.process_result_value(applied, db.engine.dialect)
        applied = _money(applied)
        method = PRINTED_PAYMENT_METHODS.get(r.method, r.method)
        text = f"{method}{PRINTED_PAYMENT_PURPOSES.get(r.purpose, '')} {format_money(r.amount)}"
        if r.voided:
            text += "（已作废，不计入）"
        elif r.amount != applied:
            text += f"，其中冲抵账单 {format_money(applied)}"
            if r.purpose != "deposit":
                deposit = held.get(r.id) or ZERO
                if r.amount - applied - deposit > 0:
                    text += f"，转入预存款 {format_money(r.amount - applied - deposit)}"
                if deposit:
                    text += f"，其中押金 {format_money(deposit)}"
        if r.payer:
            text += f"（缴款人：{r.payer}）"
        events.append({
            "_key": (r.received_at, 1, r.id),
            "date": r.received_at.astimezone(tz).date(),
            "kind": "收款（作废）" if r.voided else "收款",
            "description": text,
            "reference": r.number or "",
            "charge": None,
            "credit": None if r.voided else applied,
            "voided": bool(r.voided),
        })
    return events


def _prepaid_events(unit: Unit, since: datetime, until: datetime,
                    tz: ZoneInfo) -> list[dict]:
    rows = db.session.execute(
        sa.select(PrepaidEntry.id, PrepaidEntry.amount, PrepaidEntry.created_at,
                  BillLine.period, FeeItem.name)
        .outerjoin(BillLine, BillLine.id == PrepaidEntry.bill_line_id)
        .outerjoin(FeeItem, FeeItem.id == BillLine.fee_item_id)
        .where(PrepaidEntry.unit_id == unit.id, PrepaidEntry.kind == "applied",
               PrepaidEntry.created_at >= since, PrepaidEntry.created_at < until)
    ).all()
    return [{
        "_key": (r.created_at, 2, r.id),
        "date": r.created_at.astimezone(tz).date(),
        "kind": "预存款抵扣",
        "description": f"预存款抵扣 {r.name or ''} {r.period or ''}".rstrip(),
        "reference": "",
        "charge": None,
        "credit": -r.amount,
        "voided": False,
    } for r in rows]


def _accrued_late_fee(unit: Unit, until: datetime, as_of: date) -> Decimal:
    """Return the late fees not yet charged on the unit's lines open now, as of a date.

    The payments rule, counting the late fees posted on each line up to that date.
    """
    rows = db.session.execute(
        sa.select(BillLine.id, BillLine.kind, BillLine.amount, BillLine.settled,
                  BillLine.due_date, BillLine.late_fee_waived, FeeItem.late_grace_days,
                  FeeItem.late_daily_rate, FeeItem.late_cap_ratio)
        .join(FeeItem, FeeItem.id == BillLine.fee_item_id)
        .where(BillLine.unit_id == unit.id, BillLine.created_at < until,
               BillLine.amount > BillLine.settled, BillLine.kind.in_(LATE_KINDS),
               BillLine.late_fee_waived.is_(False))
    ).all()
    charged = charged_late_fees_bulk([r.id for r in rows], unit_ids=[unit.id], as_of=as_of)
    return sum((_late_fee(r, charged, as_of).amount for r in rows), ZERO)
