"""The plain data of an order's printed 派工单 (:func:`frontdesk.pdf.work_order.work_order_slip`).

Times are written in the estate's timezone; states, priorities and kinds of cost by their printed
Chinese names (:mod:`frontdesk.labels`). The reporter's phone is printed whole: the engineer
carrying the slip calls the resident.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from frontdesk.extensions import db
from frontdesk.labels import PRINTED_COST_KINDS, PRINTED_PRIORITIES, PRINTED_WORK_ORDER_STATES
from frontdesk.models import Estate, User
from frontdesk.models.base import utcnow
from frontdesk.models.workorders import WorkOrder
from frontdesk.services.workorders import orders


def reprint_label(print_no: int) -> str:
    """Return the 补打 mark of a print, or "" for the original."""
    return f"补打（第 {print_no - 1} 次补打）" if print_no > 1 else ""


def duration_text(seconds: int | None) -> str:
    """Write a duration as 2 天 3 小时 5 分钟 (at least 分钟)."""
    minutes = max(0, int(seconds or 0)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} 天" if days else "", f"{hours} 小时" if hours else "",
             f"{minutes} 分钟" if minutes or not (days or hours) else ""]
    return " ".join(p for p in parts if p)


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return (user.full_name or user.username) if user else ""


def _completion_due(order: WorkOrder, local) -> str:
    """The completion's due time; while paused, the running time left (the clock is stopped)."""
    if order.state == "paused" and order.paused_remaining_seconds is not None:
        left = order.paused_remaining_seconds
        return f"暂停中，剩余 {duration_text(left)}" if left > 0 else "暂停中（暂停前已超时）"
    return local(order.completion_due_at)


def slip_data(order: WorkOrder, *, print_no: int, printed_by: str,
              printed_at: datetime | None = None) -> dict:
    """Return what the 派工单 of an order prints."""
    estate = db.session.get(Estate, order.estate_id)
    tz = ZoneInfo(estate.timezone)

    def local(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

    costs = [{"kind": PRINTED_COST_KINDS.get(c.kind, c.kind), "name": c.name,
              "quantity": f"{c.quantity.normalize():f}", "unit_name": c.unit_name,
              "unit_price": c.unit_price, "amount": c.amount} for c in order.costs]
    total = orders.costs_total(order)
    callback_step = next((s for s in reversed(order.steps)
                          if s.action in ("callback", "reopen") and s.score is not None), None)
    pause_step = next((s for s in reversed(order.steps) if s.action == "pause"), None)
    paused = order.paused_seconds or 0
    if order.paused_since is not None:
        paused += max(0, int(((printed_at or utcnow()) - order.paused_since).total_seconds()))
    return {
        "estate": {"name": estate.name, "address": estate.address, "phone": estate.phone},
        "number": orders.order_number(order),
        "state": PRINTED_WORK_ORDER_STATES.get(order.state, order.state),
        "source": order.source,
        "priority": PRINTED_PRIORITIES.get(order.priority, order.priority),
        "reporter": order.reporter_name,
        "reporter_phone": order.reporter_phone,
        "location": orders.location_text(order),
        "category": order.category.name,
        "description": order.description,
        "photos": {"report": sum(1 for p in order.photos if p.stage == "report"),
                   "completion": sum(1 for p in order.photos if p.stage == "completion")},
        "created_by": _name(order.created_by_id),
        "engineer": _name(order.assignee_id),
        "team": order.team,
        "reported_at": local(order.created_at),
        "appointment_at": local(order.appointment_at),
        "dispatched_at": local(order.dispatched_at),
        "accepted_at": local(order.accepted_at),
        "started_at": local(order.started_at),
        "completed_at": local(order.completed_at),
        "response_due_at": local(order.response_due_at),
        "completion_due_at": _completion_due(order, local),
        "response_breached": bool(order.response_breached),
        "completion_breached": bool(order.completion_breached),
        "paused_time": duration_text(paused) if paused else "",
        "pause_reason": pause_step.reason if pause_step else "",
        "costs": costs,
        "costs_total": total,
        "chargeable": order.chargeable,
        "quote_amount": order.quote_amount,
        "quote_confirmed_by": order.quote_confirmed_by,
        "quote_confirmed_at": local(order.quote_confirmed_at),
        "charge_amount": (total if order.costs else order.quote_amount)
        if order.chargeable else None,
        "billed": "已计入本户账单" if order.bill_line_id else "",
        "completion_note": order.completion_note,
        "callback": {"score": callback_step.score, "comment": callback_step.reason,
                     "by": _name(callback_step.user_id), "at": local(callback_step.at)}
        if callback_step else None,
        "print_no": print_no,
        "reprint": reprint_label(print_no),
        "printed_at": local(printed_at or utcnow()),
        "printed_by": printed_by,
    }
