"""The dispatch suggestion: which engineer should take an order.

The call-routing strategies of the service-centre handbooks, in order: skill routing (技能路由:
an engineer skilled in the order's category first), then the fewest open orders, then the longest
idle (空闲时间最长优先: the oldest last completion first; never having completed one is the
longest). Only engineers on duty are suggested; each suggestion says which rule put it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import User
from frontdesk.models.workorders import OPEN_STATES, WorkOrder
from frontdesk.services.workorders import crew


@dataclass
class Suggestion:
    user: User
    team: str
    skilled: bool
    open_orders: int
    #: the end of the engineer's last completed order, None if they never completed one
    last_completed_at: datetime | None


def suggest(order: WorkOrder) -> list[Suggestion]:
    """Rank the on-duty engineers of the order's estate for it, best first."""
    estate_id = order.estate_id
    profiles = [p for p in crew.crew(estate_id) if p.on_duty]
    if not profiles:
        return []
    ids = [p.user_id for p in profiles]
    open_counts = dict(db.session.execute(
        sa.select(WorkOrder.assignee_id, sa.func.count())
        .where(WorkOrder.estate_id == estate_id, WorkOrder.assignee_id.in_(ids),
               WorkOrder.state.in_(OPEN_STATES), WorkOrder.id != (order.id or 0))
        .group_by(WorkOrder.assignee_id)).all())
    last_done = dict(db.session.execute(
        sa.select(WorkOrder.assignee_id, sa.func.max(WorkOrder.completed_at))
        .where(WorkOrder.estate_id == estate_id, WorkOrder.assignee_id.in_(ids),
               WorkOrder.completed_at.is_not(None))
        .group_by(WorkOrder.assignee_id)).all())
    category = order.category.name if order.category else ""
    rows = [Suggestion(p.user, p.team, category in (p.skills or []),
                       open_counts.get(p.user_id, 0), last_done.get(p.user_id))
            for p in profiles]

    def rank(s: Suggestion):
        idle = s.last_completed_at.timestamp() if s.last_completed_at else float("-inf")
        return (not s.skilled, s.open_orders, idle, s.user.full_name, s.user.id)

    return sorted(rows, key=rank)
