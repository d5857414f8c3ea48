"""What the complaint, callback and satisfaction pages show.

The callback list (:func:`callback_list`) is shared: completed work orders waiting for their
callback and complaints carried out waiting for theirs. Satisfaction (:func:`satisfaction`)
counts every callback recorded (a work order's or a complaint's step with a score): 3–5 is
satisfied, as the callbacks themselves decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from frontdesk.extensions import db
from frontdesk.models import Estate, User, WorkOrder, WorkOrderCategory, WorkOrderStep
from frontdesk.models.complaints import OPEN_STATES, STATES, Complaint, ComplaintStep
from frontdesk.models.workorders import OPEN_STATES as ORDER_OPEN_STATES
from frontdesk.services.complaints import states
from frontdesk.services.complaints.complaints import (
    categories,
    complaint_number,
    is_overdue,
    orders_of,
)

#: the steps that are a callback, satisfied or not
CALLBACK_ACTIONS = ("callback", "reopen")
SATISFIED_FROM = 3


def _tz(estate_id: int) -> ZoneInfo:
    return ZoneInfo(db.session.get(Estate, estate_id).timezone or "Asia/Shanghai")


# lists ------------------------------------------------------------------------------------------


@dataclass
class Row:
    complaint: Complaint
    number: str
    overdue: bool


def complaint_list(estate_id: int, now: datetime, *, state: str = "", q: str = "",
                   limit: int = 200) -> list[Row]:
    """List complaints, newest first: "open", "overdue", a state, or all; q searches text."""
    query = sa.select(Complaint).where(Complaint.estate_id == estate_id)
    if state in ("open", "overdue"):
        query = query.where(Complaint.state.in_(OPEN_STATES))
    elif state in STATES:
        query = query.where(Complaint.state == state)
    text = (q or "").strip()[:64]
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(Complaint.name.like(like, escape="\\"),
                                   Complaint.content.like(like, escape="\\"),
                                   Complaint.phone.like(like, escape="\\")))
    rows = db.session.scalars(query.options(selectinload(Complaint.unit))
                              .order_by(Complaint.registered_at.desc(), Complaint.id.desc())
                              .limit(limit)).all()
    out = [Row(c, complaint_number(c), is_overdue(c, now)) for c in rows]
    if state == "overdue":
        out = [r for r in out if r.overdue]
    return out


def overdue(estate_id: int, now: datetime, limit: int = 50) -> list[Row]:
    """Return the open complaints past their first-reply time (no reply, or a late one)."""
    query = (sa.select(Complaint).where(Complaint.estate_id == estate_id,
                                        Complaint.state.in_(OPEN_STATES),
                                        Complaint.reply_due_at <= now.astimezone(UTC))
             .options(selectinload(Complaint.unit)).order_by(Complaint.reply_due_at,
                                                               Complaint.id))
    rows = [c for c in db.session.scalars(query) if is_overdue(c, now)]
    return [Row(c, complaint_number(c), True) for c in rows[:limit]]


def unit_complaints(unit_id: int, now: datetime, limit: int = 20) -> list[Row]:
    rows = db.session.scalars(sa.select(Complaint).where(Complaint.unit_id == unit_id)
                              .order_by(Complaint.registered_at.desc(), Complaint.id.desc())
                              .limit(limit)).all()
    return [Row(c, complaint_number(c), is_overdue(c, now)) for c in rows]


# one complaint ----------------------------------------------------------------------------------


@dataclass
class OrderRow:
    order: WorkOrder
    number: str
    done: bool


@dataclass
class ComplaintView:
    complaint: Complaint
    number: str
    overdue: bool
    steps: list[ComplaintStep]
    orders: list[OrderRow]
    actions: list[str]
    orders_done: int = 0
    orders_open: int = 0


def complaint_view(complaint: Complaint, now: datetime) -> ComplaintView:
    from frontdesk.services.workorders.orders import order_number

    steps = list(db.session.scalars(sa.select(ComplaintStep).where(
        ComplaintStep.complaint_id == complaint.id).options(selectinload(ComplaintStep.user))
        .order_by(ComplaintStep.at, ComplaintStep.id)))
    orders = [OrderRow(o, order_number(o), o.state not in ORDER_OPEN_STATES)
              for o in orders_of(complaint)]
    view = ComplaintView(complaint, complaint_number(complaint), is_overdue(complaint, now),
                         steps, orders, states.actions_from(complaint.state))
    view.orders_open = sum(1 for o in orders if not o.done)
    view.orders_done = sum(1 for o in orders if o.done and o.order.state != "cancelled")
    return view


def print_data(complaint: Complaint, *, print_no: int, printed_by: str,
               printed_at: datetime) -> dict:
    """Return the plain data of the 投诉处理单 (frontdesk.pdf.complaint)."""
    from frontdesk.labels import PRINTED_COMPLAINT_ACTIONS, PRINTED_COMPLAINT_STATES
    from frontdesk.money import format_money
    from frontdesk.services.workorders.orders import order_number

    estate = db.session.get(Estate, complaint.estate_id)
    tz = ZoneInfo(estate.timezone or "Asia/Shanghai")

    def local(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

    steps = []
    for s in complaint.steps:
        detail = s.note
        if s.amount is not None:
            detail = f"{detail}\n补偿金额：{format_money(s.amount)} 元".strip()
        if s.score is not None:
            detail = f"满意度：{s.score}/5\n{detail}".strip()
        steps.append({"action": PRINTED_COMPLAINT_ACTIONS.get(s.action, s.action),
                      "by": s.user.full_name, "at": local(s.at), "detail": detail})
    orders = [{"number": order_number(o), "category": o.category.name,
               "state": o.state, "completed_at": local(o.completed_at)}
              for o in orders_of(complaint)]
    return {
        "estate": {"name": estate.name, "address": estate.address or "",
                   "phone": estate.phone or ""},
        "number": complaint_number(complaint),
        "reprint": f"补打（第 {print_no} 次打印）" if print_no > 1 else "",
        "printed_by": printed_by, "printed_at": local(printed_at),
        "name": complaint.name, "phone": complaint.phone,
        "unit": complaint.unit.code if complaint.unit else "",
        "channel": complaint.channel, "category": complaint.category,
        "registered_at": local(complaint.registered_at),
        "registered_by": complaint.registered_by.full_name,
        "reply_due_at": local(complaint.reply_due_at),
        "first_reply_at": local(complaint.first_reply_at),
        "state": PRINTED_COMPLAINT_STATES.get(complaint.state, complaint.state),
        "content": complaint.content, "request": complaint.request,
        "findings": complaint.findings, "proposal": complaint.proposal,
        "compensation": (format_money(complaint.compensation) + " 元"
                         if complaint.compensation is not None else ""),
        "approved_by": complaint.approved_by.full_name if complaint.approved_by else "",
        "agreement": complaint.agreement, "outcome": complaint.outcome,
        "satisfaction": complaint.satisfaction, "callback_comment": complaint.callback_comment,
        "steps": steps, "orders": orders,
    }


# the callback list ------------------------------------------------------------------------------


@dataclass
class CallbackItems:
    orders: list = field(default_factory=list)
    complaints: list[Row] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.orders) + len(self.complaints)


def callback_list(estate_id: int, now: datetime, limit: int = 200) -> CallbackItems:
    """Return what waits for a callback: completed work orders and complaints carried out."""
    from frontdesk.services.workorders.orders import order_number

    orders = db.session.scalars(
        sa.select(WorkOrder).where(WorkOrder.estate_id == estate_id,
                                   WorkOrder.state == "completed")
        .options(selectinload(WorkOrder.unit), selectinload(WorkOrder.category),
                 selectinload(WorkOrder.assignee), selectinload(WorkOrder.building))
        .order_by(WorkOrder.completed_at, WorkOrder.id).limit(limit)).all()
    complaints = db.session.scalars(
        sa.select(Complaint).where(Complaint.estate_id == estate_id,
                                   Complaint.state == "carried_out")
        .options(selectinload(Complaint.unit))
        .order_by(Complaint.registered_at, Complaint.id).limit(limit)).all()
    return CallbackItems([(o, order_number(o)) for o in orders],
                         [Row(c, complaint_number(c), is_overdue(c, now)) for c in complaints])


# satisfaction and the register ------------------------------------------------------------------


@dataclass
class Rate:
    """Callbacks counted in a group: how many, how many satisfied, the average score."""

    key: str
    count: int = 0
    satisfied: int = 0
    total: int = 0

    def add(self, score: int) -> None:
        self.count += 1
        self.total += score
        self.satisfied += score >= SATISFIED_FROM

    @property
    def rate(self) -> Decimal | None:
        if not self.count:
            return None
        return (Decimal(self.satisfied) / self.count).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    @property
    def rate_percent(self) -> str:
        rate = self.rate
        return "—" if rate is None else f"{(rate * 100).quantize(Decimal('0.1'))}%"

    @property
    def average(self) -> str:
        if not self.count:
            return "—"
        return str((Decimal(self.total) / self.count).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _months(year: int) -> list[str]:
    return [f"{year:04d}-{m:02d}" for m in range(1, 13)]


def _year_bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(date(year, 1, 1), time(0, 0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(date(year + 1, 1, 1), time(0, 0), tzinfo=tz).astimezone(UTC)
    return start, end


def _grouped(rows, keys) -> dict[str, dict[str, Rate]]:
    groups: dict[str, dict[str, Rate]] = {k: {} for k in keys}
    for key_values, score in rows:
        for k, v in zip(keys, key_values, strict=True):
            groups[k].setdefault(v, Rate(v)).add(score)
    return groups


def satisfaction(estate_id: int, year: int) -> dict:
    """Return the callbacks of a year: work orders by month, category and engineer; complaints
    by month and category (each a list of Rate), with the overall rates."""
    tz = _tz(estate_id)
    start, end = _year_bounds(year, tz)
    order_rows = db.session.execute(
        sa.select(WorkOrderStep.at, WorkOrderStep.score, WorkOrderCategory.name, User.full_name)
        .join(WorkOrder, WorkOrder.id == WorkOrderStep.order_id)
        .join(WorkOrderCategory, WorkOrderCategory.id == WorkOrder.category_id)
        .outerjoin(User, User.id == WorkOrder.assignee_id)
        .where(WorkOrderStep.estate_id == estate_id,
               WorkOrderStep.action.in_(CALLBACK_ACTIONS),
               WorkOrderStep.score.is_not(None), WorkOrderStep.at >= start,
               WorkOrderStep.at < end)).all()
    complaint_rows = db.session.execute(
        sa.select(ComplaintStep.at, ComplaintStep.score, Complaint.category)
        .join(Complaint, Complaint.id == ComplaintStep.complaint_id)
        .where(ComplaintStep.estate_id == estate_id,
               ComplaintStep.action.in_(CALLBACK_ACTIONS),
               ComplaintStep.score.is_not(None), ComplaintStep.at >= start,
               ComplaintStep.at < end)).all()
    months = _months(year)
    orders = _grouped((((f"{at.astimezone(tz):%Y-%m}", cat, who or "—"), score)
                       for at, score, cat, who in order_rows), ("month", "category", "engineer"))
    complaints = _grouped((((f"{at.astimezone(tz):%Y-%m}", cat), score)
                           for at, score, cat in complaint_rows), ("month", "category"))
    order_all, complaint_all = Rate("all"), Rate("all")
    for _at, score, _cat, _who in order_rows:
        order_all.add(score)
    for _at, score, _cat in complaint_rows:
        complaint_all.add(score)
    return {
        "year": year, "months": months,
        "orders": {
            "month": [orders["month"].get(m, Rate(m)) for m in months],
            "category": sorted(orders["category"].values(), key=lambda r: r.key),
            "engineer": sorted(orders["engineer"].values(), key=lambda r: r.key),
            "all": order_all,
        },
        "complaints": {
            "month": [complaints["month"].get(m, Rate(m)) for m in months],
            "category": _in_list_order(estate_id, complaints["category"]),
            "all": complaint_all,
        },
    }


def _in_list_order(estate_id: int, found: dict[str, Rate]) -> list[Rate]:
    names = categories(estate_id, active_only=False)
    return ([found[n] for n in names if n in found]
            + [r for k, r in sorted(found.items()) if k not in names])


def chart_data(data: dict) -> dict:
    """Return the satisfaction figures as plain JSON for the charts (rates in per cent)."""
    def series(rates):
        return {"labels": [r.key for r in rates],
                "rates": [None if r.rate is None else float(r.rate * 100) for r in rates],
                "counts": [r.count for r in rates]}

    return {"order_month": series(data["orders"]["month"]),
            "order_category": series(data["orders"]["category"]),
            "order_engineer": series(data["orders"]["engineer"]),
            "complaint_month": series(data["complaints"]["month"]),
            "complaint_category": series(data["complaints"]["category"])}


@dataclass
class CategoryLine:
    category: str
    registered: int = 0
    closed: int = 0
    overdue: int = 0
    compensation: Decimal = Decimal("0.00")
    callbacks: Rate = field(default_factory=lambda: Rate(""))


def register_month(estate_id: int, period: str, now: datetime) -> dict:
    """Return the complaint register of a month (YYYY-MM): by category, and the complaints
    registered in it with their state and latest satisfaction."""
    tz = _tz(estate_id)
    year, month = int(period[:4]), int(period[5:7])
    start = datetime.combine(date(year, month, 1), time(0, 0), tzinfo=tz).astimezone(UTC)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    end = datetime.combine(nxt, time(0, 0), tzinfo=tz).astimezone(UTC)
    complaints = db.session.scalars(
        sa.select(Complaint).where(Complaint.estate_id == estate_id,
                                   Complaint.registered_at >= start, Complaint.registered_at < end)
        .options(selectinload(Complaint.unit), selectinload(Complaint.registered_by))
        .order_by(Complaint.registered_at, Complaint.id)).all()
    lines: dict[str, CategoryLine] = {n: CategoryLine(n)
                                      for n in categories(estate_id, active_only=False)}
    rows = []
    for c in complaints:
        line = lines.setdefault(c.category, CategoryLine(c.category))
        line.registered += 1
        line.closed += c.state == "closed"
        late = is_overdue(c, now) or (c.first_reply_at is not None
                                      and c.first_reply_at >= c.reply_due_at)
        line.overdue += late
        line.compensation += c.compensation or Decimal("0.00")
        if c.satisfaction is not None:
            line.callbacks.add(c.satisfaction)
        rows.append(Row(c, complaint_number(c), late))
    total = CategoryLine("合计")
    for line in lines.values():
        total.registered += line.registered
        total.closed += line.closed
        total.overdue += line.overdue
        total.compensation += line.compensation
        total.callbacks.count += line.callbacks.count
        total.callbacks.satisfied += line.callbacks.satisfied
        total.callbacks.total += line.callbacks.total
    return {"period": period, "lines": list(lines.values()), "total": total, "rows": rows}
