"""The daily cashier report (收费日报), read-only: the payments received on a day or in a shift,
by cashier and by method, the voided ones apart, and the refunds paid out against them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from frontdesk.extensions import db
from frontdesk.labels import (
    PRINTED_PAYMENT_METHODS,
    PRINTED_PAYMENT_PURPOSES,
    PRINTED_REFUND_SOURCES,
)
from frontdesk.models import Estate, Payment, Receipt, Refund, Unit, User
from frontdesk.models.fees import PAYMENT_METHODS
from frontdesk.services import DomainError
from frontdesk.services.chain import printed_heads
from frontdesk.services.fees.refunds import refund_number
from frontdesk.services.fees.reports import estate_header
from frontdesk.services.periods import estate_today

ZERO = Decimal("0.00")
#: the longest range one cashier report covers
MAX_REPORT_DAYS = 31


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
        "estate": estate_header(estate),
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
