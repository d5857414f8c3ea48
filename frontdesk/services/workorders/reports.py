"""Work-order reports for a date range (the estate's local dates, both included).

Three bases, each said on the page:

* **Open at the end** (期末未完成): every order of the estate that was open (待派单 … 暂停) at the
  end of the range — or now, if the range ends later — whenever it was reported, by category and
  by the engineer it was assigned to then. Read from the steps, so an order completed and
  reopened later counts as it stood then.
* **Orders reported in the range**: how many, how many completed, service-level breaches and the
  average times. A breach counts only running time: an order stores whether its response
  (accepted after its due time) and its completion (completed after its due time, which pauses
  move on) were late; an order still open and already past its due time now counts as well
  (while paused, when it was paused after its due time). The response time runs from the report
  to the acceptance; the completion time from the report to the completion, less the time paused.
* **Callbacks made in the range** (回访): their satisfaction scores (1–5), by category and by the
  engineer the order was assigned to at the callback, unsatisfied (1–2) ones counted apart.

Orders of other estates are never read. Figures are plain numbers (seconds for times, a Decimal
with one decimal for the average satisfaction); the views and the .xlsx export word them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Estate, User
from frontdesk.models.workorders import OPEN_STATES, WorkOrder, WorkOrderCategory, WorkOrderStep
from frontdesk.services import DomainError
from frontdesk.services.workorders import crew

#: the longest range a report covers
MAX_DAYS = 366 * 2
SCORE_ACTIONS = ("callback", "reopen")
#: a score at or under this is unsatisfied (it reopens the order)
UNSATISFIED = 2


@dataclass
class Row:
    """The figures of one category, one engineer or the whole estate."""

    key: int | None
    name: str | None
    open: int = 0
    reported: int = 0
    completed: int = 0
    response_breaches: int = 0
    completion_breaches: int = 0
    callbacks: int = 0
    unsatisfied: int = 0
    score_total: int = 0
    response_times: list[int] = field(default_factory=list)
    completion_times: list[int] = field(default_factory=list)

    @property
    def breaches(self) -> int:
        return self.response_breaches + self.completion_breaches

    @property
    def avg_response_seconds(self) -> int | None:
        return _mean(self.response_times)

    @property
    def avg_completion_seconds(self) -> int | None:
        return _mean(self.completion_times)

    @property
    def satisfaction(self) -> Decimal | None:
        """The average score of the callbacks, to one decimal."""
        if not self.callbacks:
            return None
        return (Decimal(self.score_total) / self.callbacks).quantize(Decimal("0.1"),
                                                                     ROUND_HALF_UP)

    @property
    def empty(self) -> bool:
        return not (self.open or self.reported or self.callbacks)


def _mean(values: list[int]) -> int | None:
    if not values:
        return None
    return int((Decimal(sum(values)) / len(values)).to_integral_value(ROUND_HALF_UP))


def check_range(start: date | None, end: date | None) -> tuple[date, date]:
    """Refuse a range without both dates, in the wrong order or longer than two years."""
    if start is None:
        raise DomainError(_l("Enter the first day of the range."), "start")
    if end is None:
        raise DomainError(_l("Enter the last day of the range."), "end")
    if end < start:
        raise DomainError(_l("The last day must not be before the first day."), "end")
    if (end - start).days >= MAX_DAYS:
        raise DomainError(_l("A report covers at most two years."), "end")
    return start, end


#: the days a report covers when none are asked for: the last 30, today included
DEFAULT_DAYS = 30


def default_range(estate: Estate, now: datetime) -> tuple[date, date]:
    """Return the last 30 days, today (local) included."""
    today = now.astimezone(ZoneInfo(estate.timezone)).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def _bounds(estate: Estate, start: date, end: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(estate.timezone)
    return (datetime.combine(start, time(), tzinfo=tz).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC))


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive UTC; the column type normally makes it aware
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _assignee_after(step: WorkOrderStep, current: int | None) -> int | None:
    """Follow who an order is assigned to through one of its steps."""
    if step.action == "dispatch":
        return step.assignee_id
    if step.action == "take":
        return step.user_id
    if step.action == "decline":
        return None
    return current


def _steps_of(order_ids: list[int]) -> dict[int, list[WorkOrderStep]]:
    steps: dict[int, list[WorkOrderStep]] = defaultdict(list)
    for chunk in range(0, len(order_ids), 500):
        ids = order_ids[chunk:chunk + 500]
        for step in db.session.scalars(sa.select(WorkOrderStep)
                                       .where(WorkOrderStep.order_id.in_(ids))
                                       .order_by(WorkOrderStep.at, WorkOrderStep.id)):
            steps[step.order_id].append(step)
    return steps


def response_breached(order: WorkOrder, now: datetime) -> bool:
    """Late to respond: accepted after its due time, or still waiting for it past that time."""
    if order.response_breached is not None:
        return bool(order.response_breached)
    return order.state in OPEN_STATES and _aware(order.response_due_at) < now


def completion_breached(order: WorkOrder, now: datetime) -> bool:
    """Late to complete, in running time: completed after its due time (moved on by pauses), or
    open past it now; a paused order is late when it was paused after its due time."""
    if order.completion_breached is not None:
        return bool(order.completion_breached)
    if order.state not in OPEN_STATES:
        return False
    if order.state == "paused" and order.paused_remaining_seconds is not None:
        return order.paused_remaining_seconds < 0
    return _aware(order.completion_due_at) < now


def _open_at(estate_id: int, as_of: datetime) -> list[tuple[WorkOrder, int | None]]:
    """Return the orders open at a moment, each with the engineer it was assigned to then."""
    settled = sa.or_(
        WorkOrder.closed_at < as_of, WorkOrder.cancelled_at < as_of,
        sa.and_(WorkOrder.state.in_(("completed", "called_back")), WorkOrder.completed_at < as_of))
    candidates = list(db.session.scalars(
        sa.select(WorkOrder).where(WorkOrder.estate_id == estate_id,
                                   WorkOrder.created_at < as_of,
                                   sa.not_(sa.func.coalesce(settled, False)))))
    steps = _steps_of([o.id for o in candidates])
    found = []
    for order in candidates:
        state, assignee = None, None
        for step in steps[order.id]:
            if _aware(step.at) >= as_of:
                break
            state, assignee = step.to_state, _assignee_after(step, assignee)
        if state in OPEN_STATES:
            found.append((order, assignee))
    return found


def _categories(estate_id: int) -> dict[int, Row]:
    rows = db.session.scalars(sa.select(WorkOrderCategory)
                              .where(WorkOrderCategory.estate_id == estate_id)
                              .order_by(WorkOrderCategory.sort_order, WorkOrderCategory.id))
    return {c.id: Row(c.id, c.name) for c in rows}


def report(estate: Estate, start: date | None, end: date | None, now: datetime) -> dict:
    """Return the work-order figures of an estate for a range of its local dates."""
    start, end = check_range(start, end)
    now = now.astimezone(UTC)
    t0, t1 = _bounds(estate, start, end)
    as_of = min(t1, now)
    by_category = _categories(estate.id)
    by_engineer: dict[int | None, Row] = {u.id: Row(u.id, u.full_name or u.username)
                                          for u in crew.engineer_users(estate.id)}
    totals = Row(None, None)

    def engineer_row(user_id: int | None) -> Row:
        if user_id not in by_engineer:
            user = db.session.get(User, user_id) if user_id else None
            by_engineer[user_id] = Row(user_id, (user.full_name or user.username)
                                       if user else None)
        return by_engineer[user_id]

    for order, assignee in _open_at(estate.id, as_of):
        for row in (by_category[order.category_id], engineer_row(assignee), totals):
            row.open += 1

    reported = list(db.session.scalars(
        sa.select(WorkOrder).where(WorkOrder.estate_id == estate.id,
                                   WorkOrder.created_at >= t0, WorkOrder.created_at < t1)
        .order_by(WorkOrder.seq)))
    breached = []
    for order in reported:
        late_response = response_breached(order, now)
        late_completion = completion_breached(order, now)
        created = _aware(order.created_at)
        for row in (by_category[order.category_id], engineer_row(order.assignee_id), totals):
            row.reported += 1
            row.response_breaches += late_response
            row.completion_breaches += late_completion
            if order.accepted_at is not None:
                row.response_times.append(
                    int((_aware(order.accepted_at) - created).total_seconds()))
            if order.completed_at is not None:
                row.completed += 1
                row.completion_times.append(max(0, int(
                    (_aware(order.completed_at) - created).total_seconds())
                    - (order.paused_seconds or 0)))
        if late_response or late_completion:
            breached.append({"order": order, "response": late_response,
                             "completion": late_completion})

    scored = list(db.session.scalars(
        sa.select(WorkOrderStep).where(WorkOrderStep.estate_id == estate.id,
                                       WorkOrderStep.action.in_(SCORE_ACTIONS),
                                       WorkOrderStep.score.is_not(None),
                                       WorkOrderStep.at >= t0, WorkOrderStep.at < t1)
        .order_by(WorkOrderStep.at, WorkOrderStep.id)))
    steps = _steps_of(sorted({s.order_id for s in scored}))
    for callback in scored:
        assignee = None
        for step in steps[callback.order_id]:
            if step.id == callback.id:
                break
            assignee = _assignee_after(step, assignee)
        order = callback.order
        for row in (by_category[order.category_id], engineer_row(assignee), totals):
            row.callbacks += 1
            row.score_total += callback.score
            row.unsatisfied += callback.score <= UNSATISFIED

    engineers = sorted((r for r in by_engineer.values() if r.key is not None),
                       key=lambda r: (r.name or "", r.key))
    if None in by_engineer and not by_engineer[None].empty:
        engineers.append(by_engineer[None])
    return {
        "estate": {"id": estate.id, "name": estate.name},
        "start": start, "end": end, "as_of": as_of,
        "categories": [r for r in by_category.values()
                       if not r.empty or _active(r.key)],
        "engineers": engineers,
        "totals": totals,
        "breached": breached,
    }


def _active(category_id: int) -> bool:
    category = db.session.get(WorkOrderCategory, category_id)
    return bool(category and category.active)


def _number(value) -> float | None:
    return None if value is None else float(value)


def as_json(data: dict, unassigned: str) -> dict:
    """Give the dashboard's figures as plain JSON: counts, hours and average scores."""

    def row(r: Row) -> dict:
        return {
            "name": r.name if r.key is not None or r.name else unassigned,
            "open": r.open, "reported": r.reported, "completed": r.completed,
            "response_breaches": r.response_breaches,
            "completion_breaches": r.completion_breaches,
            "avg_response_hours": _hours(r.avg_response_seconds),
            "avg_completion_hours": _hours(r.avg_completion_seconds),
            "callbacks": r.callbacks, "unsatisfied": r.unsatisfied,
            "satisfaction": _number(r.satisfaction),
        }

    return {
        "start": data["start"].isoformat(), "end": data["end"].isoformat(),
        "categories": [row(r) for r in data["categories"]],
        "engineers": [row(r) for r in data["engineers"]],
        "totals": row(data["totals"]),
    }


def _hours(seconds: int | None) -> float | None:
    if seconds is None:
        return None
    return float((Decimal(seconds) / 3600).quantize(Decimal("0.1"), ROUND_HALF_UP))
