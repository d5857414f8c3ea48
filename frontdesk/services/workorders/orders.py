"""The verbs of a work order: report, dispatch, the engineer's steps, costs, quote, callback.

Every verb locks the order's row (``SELECT … FOR UPDATE``, read afresh) before it checks the
state, moves it through the one table of :mod:`frontdesk.services.workorders.states`, writes a
:class:`WorkOrderStep` (who, when, from, to, reason) and an audit event. Of two phones accepting
the same order at once, the second finds it accepted and is refused.

Who acts: dispatching, callbacks, closing and cancelling are the desk's (or a manager's, or an
engineering lead's for dispatch); accepting, declining, starting, pausing, resuming, costs and
completing belong to the engineer the order is assigned to; an engineer of the order's team may
take an unassigned order. Engineers see the orders assigned to them and, when they have a team,
that team's orders (:func:`visible_clause`).

Chargeable repairs (有偿维修): the desk records the quoted amount and the resident's confirmation;
the engineer's materials and labour must not come to more than the confirmed quote; on completion
their total becomes an adjustment line on the unit's bill on the fee item YCFW 有偿服务 (created on
first use), through the fees services, in the same transaction.

Times: every verb takes ``now`` (aware UTC), so that tests freeze the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Building, Estate, Unit, User
from frontdesk.models.workorders import (
    COST_KINDS,
    PRIORITIES,
    SOURCES,
    Engineer,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderCost,
    WorkOrderStep,
)
from frontdesk.money import quantize_money, read_amount
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees import corrections, items
from frontdesk.services.numbering import next_seq
from frontdesk.services.register.records import clean_text
from frontdesk.services.validation import normalise_phone, phone_error, record_id
from frontdesk.services.validation import satisfaction as satisfaction_score
from frontdesk.services.workorders import crew, states

PREFIX = "GD"
CHARGE_ITEM_CODE = "YCFW"
CHARGE_ITEM_NAME = "有偿服务"
#: the largest quote, cost line quantity and unit price accepted
MAX_QUOTE = Decimal("100000")
MAX_QUANTITY = Decimal("10000")
MAX_UNIT_PRICE = Decimal("100000")
#: an appointment may be booked at most this far ahead
MAX_APPOINTMENT_DAYS = 180
#: sources that come with a person to call back
NEEDS_CONTACT = ("电话", "来访", "投诉")

NOT_YOURS = _l("This order is not assigned to you.")


def order_number(order: WorkOrder) -> str:
    """Return the printed number of an order: GD + year reported + estate sequence."""
    tz = ZoneInfo(db.session.get(Estate, order.estate_id).timezone)
    return f"{PREFIX}{order.created_at.astimezone(tz).year}-{order.seq:06d}"


def location_text(order: WorkOrder) -> str:
    """Name where the repair is: the unit's code, or the building and public area."""
    if order.unit is not None:
        return order.unit.code + (f"（{order.area}）" if order.area else "")
    parts = [order.building.label if order.building is not None else "", order.area]
    return " ".join(p for p in parts if p) or "—"


# who sees and acts ------------------------------------------------------------------------------


def _profile(estate_id: int, user: User) -> Engineer | None:
    return db.session.scalar(sa.select(Engineer).where(Engineer.estate_id == estate_id,
                                                       Engineer.user_id == user.id))


def sees_all(actor: User, estate_id: int) -> bool:
    """The desk, managers and admins see every order of the estate; engineers only theirs."""
    return actor.has_role("frontdesk", "manager", "finance", "admin", estate_id=estate_id)


def visible_clause(actor: User, estate_id: int):
    """Return the condition on WorkOrder that keeps what the user may see in an estate."""
    scoped = WorkOrder.estate_id == estate_id
    if sees_all(actor, estate_id):
        return scoped
    mine = WorkOrder.assignee_id == actor.id
    profile = _profile(estate_id, actor)
    if profile is not None and profile.team:
        return sa.and_(scoped, sa.or_(mine, WorkOrder.team == profile.team))
    return sa.and_(scoped, mine)


def can_see(actor: User, order: WorkOrder) -> bool:
    if sees_all(actor, order.estate_id):
        return True
    if order.assignee_id == actor.id:
        return True
    profile = _profile(order.estate_id, actor)
    return bool(profile and profile.team and order.team == profile.team)


def _check_actor(actor: User, order: WorkOrder, transition: states.Transition) -> None:
    if transition.actor == "assignee":
        if order.assignee_id != actor.id:
            raise DomainError(NOT_YOURS)
    elif transition.actor == "team":
        profile = _profile(order.estate_id, actor)
        if not crew.is_engineer(order.estate_id, actor) or profile is None:
            raise DomainError(_l("Only an engineer can take an order."))
        if order.team and profile.team != order.team:
            raise DomainError(_l("This order belongs to another team."))
    elif transition.action == "dispatch":
        if not crew.may_dispatch(actor, order.estate_id):
            raise DomainError(_l("Only the desk, a manager or a team lead dispatches orders."))
    elif not actor.has_role("frontdesk", "manager", estate_id=order.estate_id):
        raise DomainError(_l("Only the desk or a manager can do this."))


def _locked(order: WorkOrder) -> WorkOrder:
    """Read an order afresh with its row locked until the transaction ends."""
    return db.session.scalar(sa.select(WorkOrder).where(WorkOrder.id == order.id)
                             .with_for_update().execution_options(populate_existing=True))


def _reason(value, required: bool) -> str:
    text = clean_text(value, "reason", _l("Reason"), required=False, max_len=200)
    if required and not text:
        raise DomainError(_l("Please give a reason."), "reason")
    return text


def _move(actor: User, order: WorkOrder, action: str, now: datetime, *, reason: str = "",
          assignee: User | None = None, score: int | None = None) -> tuple[WorkOrder, dict]:
    """Lock the order, check and apply the transition, and record the step.

    Return the order and its snapshot before the move, for :func:`_finish`'s audit event."""
    order = _locked(order)
    transition = states.check(action, order.state)
    _check_actor(actor, order, transition)
    before = audit.snapshot(order)
    step = WorkOrderStep(estate_id=order.estate_id, order_id=order.id, action=action,
                         from_state=order.state, to_state=transition.target,
                         at=now.astimezone(UTC), user_id=actor.id,
                         assignee_id=assignee.id if assignee else None, reason=reason,
                         score=score)
    order.state = transition.target
    db.session.add(step)
    return order, before


def _finish(actor: User, order: WorkOrder, action: str, before: dict) -> WorkOrder:
    db.session.flush()
    audit.record(actor, action, order, before=before, after=audit.snapshot(order))
    return order


# reporting --------------------------------------------------------------------------------------


def _choice(value, options: Iterable[str], field: str, message) -> str:
    text = (value or "").strip()
    if text not in options:
        raise DomainError(message, field)
    return text


def _unit(estate: Estate, value) -> Unit | None:
    if value in (None, ""):
        return None
    unit = db.session.get(Unit, record_id(value) or 0)
    if unit is None or unit.estate_id != estate.id:
        raise DomainError(_l("Choose a unit of this estate."), "unit_id")
    return unit


def _building(estate: Estate, value) -> Building | None:
    if value in (None, ""):
        return None
    building = db.session.get(Building, record_id(value) or 0)
    if building is None or building.estate_id != estate.id:
        raise DomainError(_l("Choose a building of this estate."), "building_id")
    return building


def _category(estate: Estate, value) -> WorkOrderCategory:
    wanted = (record_id(value) or 0) if value else 0
    category = next((c for c in crew.categories(estate.id) if c.id == wanted), None)
    if category is None:  # another estate's, retired, or no category at all
        raise DomainError(_l("Choose a category."), "category_id")
    return category


def _aware(value: datetime, estate: Estate) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(estate.timezone))
    return value.astimezone(UTC)


def _appointment(estate: Estate, value, now: datetime) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, datetime):
        raise DomainError(_l("Enter the appointment as YYYY-MM-DD HH:MM."), "appointment_at")
    at = _aware(value, estate)
    if at < now - timedelta(minutes=1):
        raise DomainError(_l("The appointment is in the past."), "appointment_at")
    if at > now + timedelta(days=MAX_APPOINTMENT_DAYS):
        raise DomainError(_l("An appointment can be booked at most %(n)s days ahead.",
                             n=MAX_APPOINTMENT_DAYS), "appointment_at")
    return at


def parse_quote(value, field: str = "quote_amount") -> Decimal:
    """Return a quoted amount: more than 0, two decimals, at most 100,000 yuan."""
    amount = _decimal(value, field, _l("Enter the amount in yuan, e.g. 120.00."))
    if amount <= 0:
        raise DomainError(_l("The amount must be more than zero."), field)
    if amount > MAX_QUOTE:
        raise DomainError(_l("The amount must not be more than 100,000 yuan."), field)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_l("The amount has at most two decimals."), field)
    return quantize_money(amount)


def _decimal(value, field: str, message) -> Decimal:
    if isinstance(value, float):
        raise TypeError("amounts must not be floats")
    try:
        amount = read_amount(value)
    except (ValueError, InvalidOperation):
        amount = None
    if amount is None or not amount.is_finite():
        raise DomainError(message, field)
    return amount


def _intake_key(value) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9a-f]{32}", text):
        raise DomainError(_l("The form has expired. Please reload the page and submit it "
                             "again."))
    return text


def by_intake_key(estate_id: int, key: str) -> WorkOrder | None:
    """Return the order an intake form (by its one-time key) already made, if any."""
    return db.session.scalar(sa.select(WorkOrder).where(WorkOrder.estate_id == estate_id,
                                                        WorkOrder.intake_key == key))


@transactional
def report(actor: User, estate: Estate, data: dict, now: datetime) -> WorkOrder:
    """Record a reported repair (待派单) with its service-level due times.

    ``data``: source, reporter_name, reporter_phone, unit_id or building_id/area, category_id,
    description, priority, appointment_at (a datetime; naive = the estate's local time),
    chargeable, quote_amount, origin and origin_id (the record of another area that opened it),
    intake_key (the form's one-time key: a second report with it returns the first order).
    """
    now = now.astimezone(UTC)
    source = _choice(data.get("source"), SOURCES, "source", _l("Choose where the report came "
                                                               "from."))
    name = clean_text(data.get("reporter_name"), "reporter_name", _l("Reporter"), max_len=64)
    phone = normalise_phone(data.get("reporter_phone") or "")
    if phone:
        error = phone_error(phone)
        if error:
            raise DomainError(error, "reporter_phone")
    elif source in NEEDS_CONTACT:
        raise DomainError(_l("Please enter a phone number to call the reporter back."),
                          "reporter_phone")
    unit = _unit(estate, data.get("unit_id"))
    building = _building(estate, data.get("building_id"))
    area = clean_text(data.get("area"), "area", _l("Place"), required=False, max_len=100)
    if unit is not None:
        building = db.session.get(Building, unit.building_id)
    elif not area:
        raise DomainError(_l("Choose the unit, or describe the public place (e.g. 3号楼 电梯厅)."),
                          "area")
    category = _category(estate, data.get("category_id"))
    description = clean_text(data.get("description"), "description", _l("Description"),
                             max_len=1000)
    priority = _choice(data.get("priority") or "normal", PRIORITIES, "priority",
                       _l("Choose the priority."))
    appointment = _appointment(estate, data.get("appointment_at"), now)
    chargeable = bool(data.get("chargeable"))
    quote = None
    if str(data.get("quote_amount") or "").strip():
        quote = parse_quote(data.get("quote_amount"))
    if chargeable and unit is None:
        raise DomainError(_l("A chargeable repair needs a unit: its bill is charged."),
                          "chargeable")
    key = _intake_key(data.get("intake_key"))
    seq = next_seq(WorkOrder, estate.id)  # holds the estate's numbering: a twin submit waits here
    if key is not None:
        twin = by_intake_key(estate.id, key)
        if twin is not None:
            return twin
    levels = crew.settings(estate.id)  # held, so that targets and clock read it once
    response, completion = crew.targets(estate.id, priority)
    clock = crew.clock(estate.id)
    del levels
    order = WorkOrder(
        estate_id=estate.id, seq=seq, source=source, reporter_name=name, intake_key=key,
        reporter_phone=phone, unit_id=unit.id if unit else None,
        building_id=building.id if building else None, area=area, category_id=category.id,
        description=description, priority=priority, appointment_at=appointment,
        state="pending", team=category.team, created_at=now, created_by_id=actor.id,
        response_due_at=clock.advance(now, response),
        completion_due_at=clock.advance(now, completion),
        chargeable=chargeable, quote_amount=quote if chargeable else None,
        origin=str(data.get("origin") or "")[:32], origin_id=data.get("origin_id"),
    )
    db.session.add(order)
    db.session.flush()
    db.session.add(WorkOrderStep(estate_id=estate.id, order_id=order.id, action="create",
                                 from_state="", to_state="pending", at=now, user_id=actor.id))
    audit.record(actor, "create", order, before={}, after=audit.snapshot(order))
    return order


# dispatching ------------------------------------------------------------------------------------


@transactional
def dispatch(actor: User, order: WorkOrder, assignee: User | None, now: datetime) -> WorkOrder:
    """Send an order to an engineer of its estate (again, to send it to another)."""
    if assignee is None or not crew.is_engineer(order.estate_id, assignee) or not assignee.active:
        raise DomainError(_l("Choose an engineer of this estate."), "assignee_id")
    order, before = _move(actor, order, "dispatch", now, assignee=assignee)
    order.assignee_id = assignee.id
    order.team = crew.profile(order.estate_id, assignee).team or order.team
    order.dispatched_at = now.astimezone(UTC)
    order.accepted_at = None
    return _finish(actor, order, "dispatch", before)


@transactional
def take(actor: User, order: WorkOrder, now: datetime) -> WorkOrder:
    """An engineer takes an unassigned order of their team: it is theirs, accepted."""
    order, before = _move(actor, order, "take", now)
    order.assignee_id = actor.id
    order.team = order.team or crew.profile(order.estate_id, actor).team
    order.dispatched_at = order.accepted_at = now.astimezone(UTC)
    order.response_breached = order.accepted_at > order.response_due_at
    return _finish(actor, order, "take", before)


@transactional
def accept(actor: User, order: WorkOrder, now: datetime) -> WorkOrder:
    order, before = _move(actor, order, "accept", now)
    order.accepted_at = now.astimezone(UTC)
    if order.response_breached is None:
        order.response_breached = order.accepted_at > order.response_due_at
    return _finish(actor, order, "accept", before)


@transactional
def decline(actor: User, order: WorkOrder, reason: str, now: datetime) -> WorkOrder:
    """The engineer gives the order back, with a reason: it waits for dispatch again."""
    text = _reason(reason, True)
    order, before = _move(actor, order, "decline", now, reason=text)
    order.assignee_id = None
    order.dispatched_at = None
    order.reason = text
    return _finish(actor, order, "decline", before)


@transactional
def start(actor: User, order: WorkOrder, now: datetime) -> WorkOrder:
    order, before = _move(actor, order, "start", now)
    order.started_at = order.started_at or now.astimezone(UTC)
    return _finish(actor, order, "start", before)


@transactional
def pause(actor: User, order: WorkOrder, reason: str, now: datetime) -> WorkOrder:
    """Stop the order's clock, with a reason (waiting for parts, for the resident …)."""
    text = _reason(reason, True)
    order, before = _move(actor, order, "pause", now, reason=text)
    now = now.astimezone(UTC)
    clock = crew.clock(order.estate_id)
    due = order.completion_due_at
    order.paused_since = now
    order.paused_remaining_seconds = (clock.running(now, due) if due > now
                                      else -clock.running(due, now))
    order.reason = text
    return _finish(actor, order, "pause", before)


@transactional
def resume(actor: User, order: WorkOrder, now: datetime) -> WorkOrder:
    """Start the clock again: the completion is due the running time left after now."""
    order, before = _move(actor, order, "resume", now)
    now = now.astimezone(UTC)
    left = order.paused_remaining_seconds or 0
    order.paused_seconds += max(0, int((now - order.paused_since).total_seconds()))
    clock = crew.clock(order.estate_id)
    order.completion_due_at = (clock.advance(now, left) if left > 0
                               else now - timedelta(seconds=-left))
    order.paused_since = None
    order.paused_remaining_seconds = None
    return _finish(actor, order, "resume", before)


# costs and the quote ----------------------------------------------------------------------------


def costs_total(order: WorkOrder) -> Decimal:
    return quantize_money(sum((c.amount for c in order.costs), Decimal(0)))


@transactional
def add_cost(actor: User, order: WorkOrder, data: dict, now: datetime) -> WorkOrderCost:
    """Record materials (name, quantity, unit price) or labour on an order being worked on."""
    order = _locked(order)
    if order.assignee_id != actor.id:
        raise DomainError(NOT_YOURS)
    if order.state not in ("accepted", "in_progress", "paused"):
        raise DomainError(_l("Materials and labour are recorded while the order is worked on."))
    kind = _choice(data.get("kind") or "material", COST_KINDS, "kind", _l("Choose material or "
                                                                            "labour."))
    name = clean_text(data.get("name"), "name", _l("Name"), max_len=64)
    quantity = _decimal(data.get("quantity"), "quantity", _l("Enter the quantity as a number."))
    if quantity <= 0:
        raise DomainError(_l("The quantity must be more than zero."), "quantity")
    if quantity > MAX_QUANTITY or quantity != quantity.quantize(Decimal("0.01")):
        raise DomainError(_l("Enter a quantity up to 10,000 with at most two decimals."),
                          "quantity")
    price = _decimal(data.get("unit_price"), "unit_price",
                     _l("Enter the unit price in yuan, e.g. 12.50."))
    if price < 0:
        raise DomainError(_l("The unit price must not be negative."), "unit_price")
    if price > MAX_UNIT_PRICE or price != price.quantize(Decimal("0.01")):
        raise DomainError(_l("Enter a unit price up to 100,000 yuan with at most two "
                             "decimals."), "unit_price")
    unit_name = clean_text(data.get("unit_name"), "unit_name", _l("Unit"), required=False,
                           max_len=8)
    amount = quantize_money(quantity * price)
    if order.chargeable and order.quote_amount is not None \
            and costs_total(order) + amount > order.quote_amount:
        raise DomainError(_l("Materials and labour would come to more than the %(quote)s yuan "
                             "the resident confirmed. Ask the desk to agree a new quote.",
                             quote=order.quote_amount), "unit_price")
    cost = WorkOrderCost(estate_id=order.estate_id, order_id=order.id, kind=kind, name=name,
                         quantity=quantity.quantize(Decimal("0.01")), unit_name=unit_name,
                         unit_price=quantize_money(price), amount=amount, added_by_id=actor.id,
                         added_at=now.astimezone(UTC))
    db.session.add(cost)
    db.session.flush()
    audit.record(actor, "create", cost, before={}, after=audit.snapshot(cost))
    return cost


@transactional
def remove_cost(actor: User, cost: WorkOrderCost) -> None:
    order = _locked(cost.order)
    if order.assignee_id != actor.id:
        raise DomainError(NOT_YOURS)
    if order.state not in ("accepted", "in_progress", "paused"):
        raise DomainError(_l("Materials and labour are recorded while the order is worked on."))
    audit.record(actor, "delete", cost, before=audit.snapshot(cost), after={})
    db.session.delete(cost)
    db.session.flush()


@transactional
def set_quote(actor: User, order: WorkOrder, data: dict, now: datetime) -> WorkOrder:
    """The desk records a chargeable repair's quote and, when given, the resident's consent."""
    order = _locked(order)
    if not actor.has_role("frontdesk", "manager", estate_id=order.estate_id):
        raise DomainError(_l("Only the desk or a manager can do this."))
    if order.state not in ("pending", "dispatched", "accepted", "in_progress", "paused"):
        raise DomainError(_l("The quote can only be changed before the repair is completed."))
    if order.unit_id is None:
        raise DomainError(_l("A chargeable repair needs a unit: its bill is charged."),
                          "chargeable")
    before = audit.snapshot(order)
    amount = parse_quote(data.get("quote_amount"))
    if amount < costs_total(order):
        raise DomainError(_l("The quote is less than the materials and labour already "
                             "recorded (%(total)s yuan).", total=costs_total(order)),
                          "quote_amount")
    confirmed_by = clean_text(data.get("confirmed_by"), "confirmed_by",
                              _l("Confirmed by"), required=False, max_len=64)
    order.chargeable = True
    if amount != order.quote_amount:
        order.quote_confirmed_by, order.quote_confirmed_at = "", None
    order.quote_amount = amount
    if confirmed_by:
        order.quote_confirmed_by = confirmed_by
        order.quote_confirmed_at = now.astimezone(UTC)
    db.session.flush()
    audit.record(actor, "quote", order, before=before, after=audit.snapshot(order))
    return order


@transactional
def complete(actor: User, order: WorkOrder, note: str, now: datetime) -> WorkOrder:
    """The engineer completes the order; a chargeable one's costs go on the unit's bill."""
    text = clean_text(note, "note", _l("Completion note"), max_len=1000)
    order, before = _move(actor, order, "complete", now)
    now = now.astimezone(UTC)
    order.completed_at = now
    order.completion_note = text
    order.completion_breached = now > order.completion_due_at
    if order.chargeable:
        _bill(actor, order, now)
    return _finish(actor, order, "complete", before)


def _bill(actor: User, order: WorkOrder, now: datetime) -> None:
    if order.quote_confirmed_at is None:
        raise DomainError(_l("The resident has not confirmed the quote of this chargeable "
                             "repair yet. Ask the desk to record the confirmation."))
    total = costs_total(order)
    if total <= 0:
        raise DomainError(_l("Record the materials and labour to be charged before "
                             "completing."))
    estate = db.session.get(Estate, order.estate_id)
    unit = db.session.get(Unit, order.unit_id)
    today = now.astimezone(ZoneInfo(estate.timezone)).date()
    item = items.one_off_item(actor, estate, CHARGE_ITEM_CODE, CHARGE_ITEM_NAME)
    line = corrections.adjust(actor, unit, item, f"{today:%Y-%m}", total,
                              f"有偿维修：{order_number(order)} {order.category.name}",
                              today=today)
    order.bill_line_id = line.id


# callback, closing, cancelling ------------------------------------------------------------------


@transactional
def callback(actor: User, order: WorkOrder, satisfaction, comment: str,
             now: datetime) -> WorkOrder:
    """Record the callback: 3–5 is satisfied (已回访); 1–2 reopens it to its engineer (已派单)."""
    score = satisfaction_score(satisfaction)
    text = clean_text(comment, "comment", _l("Comment"), required=False, max_len=500)
    action = "callback" if score >= 3 else "reopen"
    if score < 3 and not text:
        raise DomainError(_l("Write down what the resident is unhappy with."), "comment")
    order, before = _move(actor, order, action, now, reason=text, score=score)
    now = now.astimezone(UTC)
    order.satisfaction = score
    order.callback_comment = text
    order.callback_by_id = actor.id
    order.called_back_at = now
    if action == "reopen":
        order.dispatched_at = now
        order.accepted_at = order.completed_at = None
        order.completion_breached = None
    return _finish(actor, order, action, before)


@transactional
def close(actor: User, order: WorkOrder, now: datetime) -> WorkOrder:
    if order.state == "completed":
        raise DomainError(_l("An order is closed after its callback: call the resident back "
                             "first."))
    order, before = _move(actor, order, "close", now)
    order.closed_at = now.astimezone(UTC)
    return _finish(actor, order, "close", before)


@transactional
def cancel(actor: User, order: WorkOrder, reason: str, now: datetime) -> WorkOrder:
    text = _reason(reason, True)
    order, before = _move(actor, order, "cancel", now, reason=text)
    order.cancelled_at = now.astimezone(UTC)
    order.reason = text
    order.paused_since = None
    return _finish(actor, order, "cancel", before)


@transactional
def print_order(actor: User, order: WorkOrder) -> int:
    """Count a print of the 派工单 and return its number: 1 is the original."""
    return audit.count_print(actor, order)
