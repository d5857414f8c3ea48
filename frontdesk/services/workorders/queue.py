"""The engineer's day: their queue, the count of new orders, and what an order's page offers.

The queue lists the orders assigned to the engineer first (those dispatched to them and waiting
to be accepted, then those accepted, in progress or paused), then the unassigned orders waiting
for dispatch in the engineer's team, which they may take. Each shows the time it is due by:
the response target until it is accepted, then the completion target (none while paused: the
clock stands still).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from frontdesk.extensions import db
from frontdesk.labels import WORK_ORDER_STATES
from frontdesk.models import User
from frontdesk.models.workorders import Engineer, WorkOrder
from frontdesk.services.workorders import orders, photos

WORKING = ("accepted", "in_progress", "paused")


@dataclass
class Card:
    """An order as the engineer's queue and order page show it."""

    order: WorkOrder
    number: str
    location: str
    #: the time it is due by now (response or completion), None while paused
    due_at: datetime | None
    #: "response" or "completion": which target due_at is
    due_kind: str
    overdue: bool
    #: the actions the user may take now (names of the transitions, and "cost", "photos")
    actions: list[str] = field(default_factory=list)

    @property
    def unassigned(self) -> bool:
        return self.order.assignee_id is None

    @property
    def state_label(self) -> str:
        return str(WORK_ORDER_STATES.get(self.order.state, self.order.state))

    @property
    def urgent(self) -> bool:
        return self.order.priority == "urgent"


@dataclass
class Queue:
    #: dispatched to the engineer, waiting to be accepted
    new: list[Card]
    #: accepted, in progress or paused
    working: list[Card]
    #: the team's orders waiting for dispatch, which the engineer may take
    team: list[Card]
    team_name: str

    @property
    def empty(self) -> bool:
        return not (self.new or self.working or self.team)


def team_of(actor: User, estate_id: int) -> str:
    """Return the engineer's team in an estate ("" without a profile or team)."""
    return db.session.scalar(sa.select(Engineer.team).where(
        Engineer.estate_id == estate_id, Engineer.user_id == actor.id)) or ""


def _team_waiting(estate_id: int, team: str):
    return sa.and_(WorkOrder.estate_id == estate_id, WorkOrder.state == "pending",
                   WorkOrder.assignee_id.is_(None), WorkOrder.team == team)


def actions_for(actor: User, order: WorkOrder) -> list[str]:
    """Name what the engineer may do to the order now: the buttons of its page."""
    if order.assignee_id == actor.id:
        by_state = {"dispatched": ["accept", "decline"], "accepted": ["start", "cost"],
                    "in_progress": ["pause", "complete", "cost"], "paused": ["resume", "cost"]}
        found = list(by_state.get(order.state, []))
    elif (order.state == "pending" and order.assignee_id is None and order.team
          and order.team == team_of(actor, order.estate_id)):
        found = ["take"]
    else:
        found = []
    if photos.may_add(actor, order) and order.assignee_id == actor.id:
        found.append("photos")
    return found


def card(actor: User, order: WorkOrder, now: datetime) -> Card:
    """Show one order to the engineer: number, place, due time and the actions open to them."""
    if order.state in ("pending", "dispatched"):
        due_at, kind = order.response_due_at, "response"
    elif order.state in ("accepted", "in_progress"):
        due_at, kind = order.completion_due_at, "completion"
    else:  # paused (the clock stands still), or done with
        due_at, kind = None, "completion"
    overdue = due_at is not None and due_at < now
    return Card(order=order, number=orders.order_number(order),
                location=orders.location_text(order), due_at=due_at, due_kind=kind,
                overdue=overdue, actions=actions_for(actor, order))


def _load(where, *order_by) -> list[WorkOrder]:
    return list(db.session.scalars(
        sa.select(WorkOrder).where(where)
        .options(selectinload(WorkOrder.category), selectinload(WorkOrder.unit),
                 selectinload(WorkOrder.building), selectinload(WorkOrder.photos))
        .order_by(*order_by, WorkOrder.id)))


def _urgent_first():
    return sa.case((WorkOrder.priority == "urgent", 0), else_=1)


def engineer_queue(actor: User, estate_id: int, now: datetime) -> Queue:
    """Return the engineer's queue in an estate: theirs, then their team's to take."""
    mine = sa.and_(WorkOrder.estate_id == estate_id, WorkOrder.assignee_id == actor.id)
    new = _load(sa.and_(mine, WorkOrder.state == "dispatched"), _urgent_first(),
                WorkOrder.response_due_at)
    working = _load(sa.and_(mine, WorkOrder.state.in_(WORKING)),
                    sa.case((WorkOrder.state == "paused", 1), else_=0), _urgent_first(),
                    WorkOrder.completion_due_at)
    team = team_of(actor, estate_id)
    waiting = _load(_team_waiting(estate_id, team), _urgent_first(),
                    WorkOrder.response_due_at) if team else []
    return Queue(new=[card(actor, o, now) for o in new],
                 working=[card(actor, o, now) for o in working],
                 team=[card(actor, o, now) for o in waiting], team_name=team)


def new_count(actor: User, estate_id: int) -> int:
    """Count the orders new to the engineer: dispatched to them and not accepted, and their
    team's waiting for dispatch."""
    mine = sa.and_(WorkOrder.estate_id == estate_id, WorkOrder.assignee_id == actor.id,
                   WorkOrder.state == "dispatched")
    team = team_of(actor, estate_id)
    where = sa.or_(mine, _team_waiting(estate_id, team)) if team else mine
    return db.session.scalar(sa.select(sa.func.count(WorkOrder.id)).where(where)) or 0
