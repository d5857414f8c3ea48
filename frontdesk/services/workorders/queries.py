"""Page data of the desk's work-order pages: the list, an order's page, callbacks, the unit tab.

Every list loads what its rows show in a fixed number of queries (joined or select-in loads),
and every row carries its due time as :class:`Due`: the response while the order waits for an
engineer (待派单, 已派单), the completion while it is worked on (已接单, 处理中), the running time
left while paused (the clock stops), nothing once it is completed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from frontdesk.extensions import db
from frontdesk.models import Building, Occupancy, Person, Unit, User
from frontdesk.models.workorders import WorkOrder, WorkOrderStep
from frontdesk.services.workorders import crew, orders, routing, states

PER_PAGE = 25
#: states whose response is due (waiting for an engineer to accept)
RESPONDING = ("pending", "dispatched")
#: states whose completion is due (worked on)
WORKING = ("accepted", "in_progress")


@dataclass
class Due:
    """What an order is due for now: "response", "completion", "paused" or "" (nothing)."""

    kind: str = ""
    at: datetime | None = None
    breached: bool = False
    #: while paused: running seconds left to the completion target (negative: overdue by)
    seconds_left: int | None = None


def due_of(order: WorkOrder, now: datetime) -> Due:
    """Tell what an order is due for and whether it is late, at ``now`` (aware UTC)."""
    now = now.astimezone(UTC)
    if order.state in RESPONDING:
        return Due("response", order.response_due_at, now > order.response_due_at)
    if order.state in WORKING:
        return Due("completion", order.completion_due_at, now > order.completion_due_at)
    if order.state == "paused":
        left = order.paused_remaining_seconds or 0
        return Due("paused", None, left < 0, left)
    return Due()


def overdue_clause(now: datetime):
    """The condition on WorkOrder of an order late now (a paused one only if it was late)."""
    now = now.astimezone(UTC)
    return sa.or_(
        sa.and_(WorkOrder.state.in_(RESPONDING), WorkOrder.response_due_at < now),
        sa.and_(WorkOrder.state.in_(WORKING), WorkOrder.completion_due_at < now),
        sa.and_(WorkOrder.state == "paused", WorkOrder.paused_remaining_seconds < 0),
    )


@dataclass
class OrderRow:
    order: WorkOrder
    number: str
    location: str
    due: Due


def _rows(items: list[WorkOrder], now: datetime) -> list[OrderRow]:
    return [OrderRow(o, orders.order_number(o), orders.location_text(o), due_of(o, now))
            for o in items]


def _list_options():
    return (joinedload(WorkOrder.category), joinedload(WorkOrder.unit),
            joinedload(WorkOrder.building), joinedload(WorkOrder.assignee))


@dataclass
class Filters:
    state: str = ""
    category_id: int | None = None
    priority: str = ""
    overdue: bool = False
    q: str = ""


@dataclass
class OrderList:
    rows: list[OrderRow]
    pagination: object
    categories: list = field(default_factory=list)


def order_list(actor: User, estate_id: int, filters: Filters, now: datetime,
               page: int = 1) -> OrderList:
    """Return a page of the orders the user may see, newest first, with their due times."""
    query = sa.select(WorkOrder).where(orders.visible_clause(actor, estate_id))
    if filters.state == "open":
        query = query.where(WorkOrder.state.in_(states.OPEN_STATES))
    elif filters.state:
        query = query.where(WorkOrder.state == filters.state)
    if filters.category_id:
        query = query.where(WorkOrder.category_id == filters.category_id)
    if filters.priority:
        query = query.where(WorkOrder.priority == filters.priority)
    if filters.overdue:
        query = query.where(overdue_clause(now))
    if filters.q:
        like = f"%{filters.q}%"
        query = query.where(sa.or_(
            WorkOrder.reporter_name.like(like), WorkOrder.reporter_phone.like(like),
            WorkOrder.description.like(like), WorkOrder.area.like(like),
            WorkOrder.unit_id.in_(sa.select(Unit.id).where(Unit.estate_id == estate_id,
                                                            Unit.code.like(like)))))
    query = query.options(*_list_options()).order_by(WorkOrder.created_at.desc(),
                                                     WorkOrder.id.desc())
    pagination = db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)
    return OrderList(_rows(list(pagination.items), now), pagination,
                     crew.categories(estate_id, active_only=False))


# an order's page --------------------------------------------------------------------------------


@dataclass
class OrderView:
    order: WorkOrder
    number: str
    location: str
    due: Due
    steps: list[WorkOrderStep]
    costs_total: object
    #: what the acting user may do here (the desk's actions)
    can_dispatch: bool
    can_cancel: bool
    can_quote: bool
    can_callback: bool
    can_close: bool
    suggestions: list[routing.Suggestion] = field(default_factory=list)
    callback_by: User | None = None


def load_order(order_id: int) -> WorkOrder:
    """Read an order with everything its page shows, in a few queries."""
    return db.session.scalars(
        sa.select(WorkOrder).where(WorkOrder.id == order_id)
        .options(*_list_options(),
                 # the page shows these users' names, not their estates and roles
                 joinedload(WorkOrder.created_by).lazyload(User.memberships),
                 selectinload(WorkOrder.steps).joinedload(WorkOrderStep.user)
                 .lazyload(User.memberships),
                 selectinload(WorkOrder.steps).joinedload(WorkOrderStep.assignee)
                 .lazyload(User.memberships),
                 selectinload(WorkOrder.costs), selectinload(WorkOrder.photos))
        ).unique().one()


def order_view(actor: User, order: WorkOrder, now: datetime) -> OrderView:
    """Gather an order's page: its steps, costs, due time and the desk's possible actions."""
    order = load_order(order.id)
    desk = actor.has_role("frontdesk", "manager", estate_id=order.estate_id)
    open_ = order.state in states.OPEN_STATES
    can_dispatch = (order.state in states.TRANSITIONS["dispatch"].sources
                    and crew.may_dispatch(actor, order.estate_id))
    view = OrderView(
        order=order, number=orders.order_number(order), location=orders.location_text(order),
        due=due_of(order, now), steps=list(order.steps), costs_total=orders.costs_total(order),
        can_dispatch=can_dispatch, can_cancel=desk and open_,
        can_quote=desk and open_ and order.unit_id is not None,
        can_callback=desk and order.state == "completed",
        can_close=desk and order.state == "called_back",
        callback_by=db.session.get(User, order.callback_by_id) if order.callback_by_id else None,
    )
    if can_dispatch:
        view.suggestions = routing.suggest(order)
    return view


def user_by_id(user_id: int | None) -> User | None:
    """Return a user by id (the dispatch checks they are an engineer of the order's estate)."""
    return db.session.get(User, user_id) if user_id else None


def engineer_choices(estate_id: int) -> list[tuple[int, str]]:
    """Return the on-duty engineers of an estate as (user id, name · team) for a select."""
    return [(p.user_id, p.user.full_name + (f" · {p.team}" if p.team else ""))
            for p in crew.crew(estate_id) if p.on_duty]


# intake -----------------------------------------------------------------------------------------


@dataclass
class Reporter:
    name: str = ""
    phone: str = ""


def unit_reporter(unit: Unit) -> Reporter:
    """Return the unit's primary resident (or its first current one) to prefill the report."""
    row = db.session.execute(
        sa.select(Person.name, Person.phone).join(Occupancy, Occupancy.person_id == Person.id)
        .where(Occupancy.unit_id == unit.id, Occupancy.end_date.is_(None))
        .order_by(Occupancy.is_primary.desc(), Occupancy.start_date, Occupancy.id)
        .limit(1)).first()
    return Reporter(row.name, row.phone) if row else Reporter()


def building_choices(estate_id: int) -> list[tuple[int, str]]:
    """Return an estate's buildings as (id, label), by number."""
    rows = db.session.scalars(sa.select(Building).where(Building.estate_id == estate_id)
                              .order_by(Building.number, Building.id)).all()
    return [(b.id, b.label) for b in rows]


# the desk's unit card ---------------------------------------------------------------------------


def unit_orders(actor: User, unit: Unit, now: datetime, limit: int = 20) -> list[OrderRow]:
    """Return the unit's orders the user may see, open ones first, then the newest."""
    items = db.session.scalars(
        sa.select(WorkOrder).where(orders.visible_clause(actor, unit.estate_id),
                                   WorkOrder.unit_id == unit.id)
        .options(*_list_options())
        .order_by(WorkOrder.state.in_(states.OPEN_STATES).desc(), WorkOrder.created_at.desc(),
                  WorkOrder.id.desc())
        .limit(limit)).unique().all()
    return _rows(list(items), now)
