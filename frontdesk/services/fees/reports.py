"""Finance reports, read-only: the daily cashier report, arrears by building and the dashboard.

Each report is a function of the estate and plain values returning plain data (dicts, lists,
Decimals, dates) that a page, a PDF (``frontdesk.pdf``) and an .xlsx export all show alike.
Nothing here writes to the database. Figures are summed exactly, as Decimals.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import aliased

from frontdesk.extensions import db
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
from frontdesk.money import amount_in_words
from frontdesk.services import DomainError
from frontdesk.services.chain import printed_heads
from frontdesk.services.fees.payments import refund_number
from frontdesk.services.periods import estate_today, parse_period

ZERO = Decimal("0.00")
#: how payment methods are printed (the UI translates the codes itself)
METHOD_NAMES = {
    "cash": "现金",
    "wechat": "微信",
    "alipay": "支付宝",
    "card": "银行卡",
    "transfer": "转账",
}
PURPOSE_NAMES = {"bills": "缴费", "prepaid": "预存款", "deposit": "押金"}
REFUND_SOURCE_NAMES = {"prepaid": "预存款退款", "deposit": "押金退还"}
#: age of an open line in days past its due date: (key, first day, last day or None)
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-90", 31, 90),
    ("91-365", 91, 365),
    ("365+", 366, None),
)
AGE_KEYS = tuple(key for key, _first, _last in AGE_BUCKETS)
AGE_NAMES = {"0-30": "0–30天", "31-90": "31–90天", "91-365": "91–365天", "365+": "365天以上"}
#: the lines a period bills: charges and adjustments, less credit notes (negative amounts)
BILLED_KINDS = ("charge", "adjustment", "credit")
#: the longest range one cashier report covers
MAX_REPORT_DAYS = 31
RATE_QUANTUM = Decimal("0.0001")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"


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
    tz = ZoneInfo(estate.timezone)
    if start is not None or end is not None:
        if start is None or end is None:
            raise DomainError(_l("Enter both the start and the end of the shift."), "start")
        utc_start, utc_end = shift_range(estate, start, end)
        day = None
    else:
        day = day or estate_today(estate)
        utc_start, utc_end = day_range(estate, day)
        start = utc_start.astimezone(tz).replace(tzinfo=None)
        end = utc_end.astimezone(tz).replace(tzinfo=None)

    voider = aliased(User)
    rows = db.session.execute(
        sa.select(
            Payment.id, Payment.amount, Payment.method, Payment.purpose, Payment.payer,
            Payment.received_at, Payment.voided, Payment.cashier_id, User.full_name, Unit.code,
            Receipt.number, Receipt.voided_at, Receipt.void_reason, voider.full_name,
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

    cashiers: dict[int, dict[str, Any]] = {}
    voided: list[dict[str, Any]] = []
    by_method = {m: {"method": m, "name": METHOD_NAMES[m], "count": 0, "total": ZERO}
                 for m in PAYMENT_METHODS}
    for (pid, amount, method, purpose, payer, received_at, pay_voided, cashier_id, cashier,
         unit_code, receipt_no, voided_at, void_reason, voided_by) in rows:
        item = {
            "id": pid,
            "time": received_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "receipt_no": receipt_no or "",
            "unit_code": unit_code,
            "amount": amount,
            "method": method,
            "method_name": METHOD_NAMES.get(method, method),
            "purpose_name": PURPOSE_NAMES.get(purpose, purpose),
            "payer": payer,
            "cashier": cashier,
        }
        if pay_voided or voided_at is not None:
            item["void_reason"] = void_reason or ""
            item["voided_by"] = voided_by or ""
            item["voided_at"] = (voided_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                                 if voided_at else "")
            voided.append(item)
            continue
        entry = cashiers.get(cashier_id)
        if entry is None:
            entry = cashiers[cashier_id] = {
                "id": cashier_id,
                "name": cashier,
                "methods": {m: {"method": m, "name": METHOD_NAMES[m], "count": 0, "total": ZERO}
                            for m in PAYMENT_METHODS},
                "count": 0,
                "total": ZERO,
                "payments": [],
            }
        cell = entry["methods"].setdefault(
            method, {"method": method, "name": METHOD_NAMES.get(method, method), "count": 0,
                     "total": ZERO})
        cell["count"] += 1
        cell["total"] += amount
        entry["count"] += 1
        entry["total"] += amount
        entry["payments"].append(item)
        overall = by_method.setdefault(
            method, {"method": method, "name": METHOD_NAMES.get(method, method), "count": 0,
                     "total": ZERO})
        overall["count"] += 1
        overall["total"] += amount

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
    by_method = {m: {"method": m, "name": METHOD_NAMES[m], "count": 0, "total": ZERO}
                 for m in PAYMENT_METHODS}
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
            "method_name": METHOD_NAMES.get(method, method),
            "source_name": REFUND_SOURCE_NAMES.get(source, source),
            "payee": payee,
            "reason": reason,
            "paid_by": paid_by or "",
            "approved_by": approved_by or "",
        })
        cell = by_method.setdefault(method, {"method": method,
                                             "name": METHOD_NAMES.get(method, method),
                                             "count": 0, "total": ZERO})
        cell["count"] += 1
        cell["total"] += amount
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
        "bucket_names": [AGE_NAMES[k] for k in AGE_KEYS],
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
    billed = {bid: (amount or ZERO, settled or ZERO) for bid, amount, settled in billed_rows}

    open_q = _open_amounts(estate.id, as_of).subquery()
    arrears_rows = db.session.execute(
        sa.select(Unit.building_id, open_q.c.due_date,
                  sa.type_coerce(sa.func.sum(open_q.c.outstanding), Money()))
        .join(Unit, Unit.id == open_q.c.unit_id)
        .group_by(Unit.building_id, open_q.c.due_date)
    ).all()
    per_building = _bucket_totals(arrears_rows, as_of)

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


# .xlsx exports --------------------------------------------------------------------------------


def _cell(ws, value: Any, *, bold: bool = False):
    """Make a cell: amounts as numbers with two decimals, text never read as a formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    if isinstance(value, Decimal):
        cell.number_format = MONEY_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def _sheet(workbook, title: str, widths: Sequence[int]):
    ws = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    return ws


def _append(ws, values: Iterable[Any], *, bold: bool = False) -> None:
    ws.append([_cell(ws, v, bold=bold) for v in values])


def _save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def daily_report_workbook(data: dict[str, Any]) -> bytes:
    """Export the daily cashier report: a summary sheet, the payments and the voided ones."""
    workbook = openpyxl.Workbook(write_only=True)
    methods = [m["name"] for m in data["methods"]]

    ws = _sheet(workbook, "汇总", [16] + [14] * (2 * len(methods) + 2))
    _append(ws, [f"{data['estate']['name']} 收费日报"], bold=True)
    _append(ws, ["日期" if data["mode"] == "day" else "班次", data["range_text"]])
    _append(ws, [])
    _append(ws, ["收款员"] + [f"{name}{what}" for name in methods for what in ("笔数", "金额")]
            + ["合计笔数", "合计金额"], bold=True)
    for cashier in data["cashiers"]:
        _append(ws, [cashier["name"]]
                + [v for m in cashier["methods"] for v in (m["count"], m["total"])]
                + [cashier["count"], cashier["total"]])
    _append(ws, ["合计"] + [v for m in data["methods"] for v in (m["count"], m["total"])]
            + [data["count"], data["total"]], bold=True)
    _append(ws, ["合计（大写）", amount_in_words(data["total"])])
    if data["voided"]:
        _append(ws, ["作废（不计入合计）", len(data["voided"]), data["voided_total"]])
    _append(ws, ["退款（已付出）"]
            + [v for m in data["refund_methods"] for v in (m["count"], m["total"])]
            + [data["refund_count"], data["refund_total"]])
    _append(ws, ["净额（收款 − 退款）"] + [v for m in data["net_methods"] for v in ("", m["net"])]
            + ["", data["net_total"]], bold=True)

    headers = ["收款员", "时间", "收据号", "房号", "收款方式", "类别", "交款人", "金额"]
    ws = _sheet(workbook, "收款明细", [12, 18, 16, 14, 10, 10, 14, 14])
    _append(ws, headers, bold=True)
    for cashier in data["cashiers"]:
        for p in cashier["payments"]:
            _append(ws, [cashier["name"], p["time"], p["receipt_no"], p["unit_code"],
                         p["method_name"], p["purpose_name"], p["payer"], p["amount"]])

    ws = _sheet(workbook, "作废", [12, 18, 16, 14, 10, 14, 18, 12, 30])
    _append(ws, ["收款员", "时间", "收据号", "房号", "收款方式", "金额", "作废时间", "作废人",
                 "作废原因"], bold=True)
    for v in data["voided"]:
        _append(ws, [v["cashier"], v["time"], v["receipt_no"], v["unit_code"],
                     v["method_name"], v["amount"], v["voided_at"], v["voided_by"],
                     v["void_reason"]])

    ws = _sheet(workbook, "退款", [12, 18, 12, 14, 12, 10, 14, 12, 12, 30])
    _append(ws, ["退款单号", "付款时间", "房号", "类别", "领款人", "方式", "金额", "付款人",
                 "审批人", "原因"], bold=True)
    for r in data["refunds"]:
        _append(ws, [r["number"], r["time"], r["unit_code"], r["source_name"], r["payee"],
                     r["method_name"], r["amount"], r["paid_by"], r["approved_by"], r["reason"]])
    return _save(workbook)


def arrears_workbook(data: dict[str, Any]) -> bytes:
    """Export arrears: one row per unit with its building, the age buckets and its total."""
    workbook = openpyxl.Workbook(write_only=True)
    names = data["bucket_names"]
    ws = _sheet(workbook, "欠费明细", [12, 16, 16] + [14] * (len(names) + 1))
    _append(ws, [f"{data['estate']['name']} 欠费明细（截至 {data['as_of'].isoformat()}）"],
            bold=True)
    _append(ws, ["楼栋", "房号", "业主"] + names + ["合计"], bold=True)
    for building in data["buildings"]:
        for u in building["units"]:
            _append(ws, [building["label"], u["code"], u["owner"], *u["buckets"], u["total"]])
        _append(ws, [building["label"], "小计", f"{building['unit_count']} 户",
                     *building["buckets"], building["total"]], bold=True)
    _append(ws, ["合计", "", f"{data['unit_count']} 户", *data["buckets"], data["total"]],
            bold=True)
    return _save(workbook)
