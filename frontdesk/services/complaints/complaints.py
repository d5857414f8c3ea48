"""The verbs of a complaint: register, the steps of the procedure, work orders, categories.

Every step locks the complaint's row (``SELECT … FOR UPDATE``, read afresh), checks the state
against the one table of :mod:`frontdesk.services.complaints.states`, writes a
:class:`ComplaintStep` (who, when, from, to, what was written) and an audit event. Approval and
sending back belong to a manager (the role, in the complaint's estate); everything else to the
desk or a manager.

The first reply is due by the end of the local day the complaint is registered on
(``reply_due_at``); the investigation step is the first reply.

Carrying out (落实) may open work orders (:func:`open_order`, through
:func:`frontdesk.services.workorders.orders.report` with origin "complaint"); it is done when
its work orders are completed (none still open) and, when it opened none, the staff record what
was done.

Times: every verb takes ``now`` (aware UTC), so that tests freeze the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Estate, Person, User, WorkOrder
from frontdesk.models.complaints import (
    CHANNELS,
    DEFAULT_CATEGORIES,
    Complaint,
    ComplaintCategory,
    ComplaintStep,
)
from frontdesk.models.workorders import OPEN_STATES as ORDER_OPEN_STATES
from frontdesk.money import quantize_money, read_amount
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.complaints import states
from frontdesk.services.numbering import next_seq
from frontdesk.services.register.queries import chosen_unit
from frontdesk.services.register.records import clean_text
from frontdesk.services.validation import normalise_phone, phone_error, record_id
from frontdesk.services.validation import satisfaction as satisfaction_score

PREFIX = "TS"
#: the largest compensation a proposal may name
MAX_COMPENSATION = Decimal("100000")
#: the work-order origin of orders opened by a complaint
ORDER_ORIGIN = "complaint"

NOT_A_MANAGER = _l("Only a manager can approve a complaint's proposal or send it back.")


def complaint_number(complaint: Complaint) -> str:
    """Return the printed number of a complaint: TS + year registered + estate sequence."""
    tz = ZoneInfo(db.session.get(Estate, complaint.estate_id).timezone)
    return f"{PREFIX}{complaint.registered_at.astimezone(tz).year}-{complaint.seq:06d}"


def reply_due(estate: Estate, registered_at: datetime) -> datetime:
    """Return the end of the local day of registration (the next local midnight), in UTC."""
    tz = ZoneInfo(estate.timezone or "Asia/Shanghai")
    day = registered_at.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    """An open complaint is overdue when it had no first reply by the end of its day, or got
    it late."""
    if complaint.state == "closed":
        return False
    due = complaint.reply_due_at
    if complaint.first_reply_at is None:
        return now.astimezone(UTC) >= due
    return complaint.first_reply_at >= due


# categories -------------------------------------------------------------------------------------


def categories(estate_id: int, *, active_only: bool = True) -> list[str]:
    """Return the names of an estate's categories (the defaults until the list is edited)."""
    rows = db.session.scalars(sa.select(ComplaintCategory).where(
        ComplaintCategory.estate_id == estate_id).order_by(ComplaintCategory.sort_order,
                                                           ComplaintCategory.id)).all()
    if not rows:
        return list(DEFAULT_CATEGORIES)
    return [c.name for c in rows if c.active or not active_only]


def category_rows(estate_id: int) -> list[ComplaintCategory]:
    """Return an estate's category rows, writing the defaults on first use."""
    rows = db.session.scalars(sa.select(ComplaintCategory).where(
        ComplaintCategory.estate_id == estate_id).order_by(ComplaintCategory.sort_order,
                                                           ComplaintCategory.id)).all()
    if not rows:
        rows = [ComplaintCategory(estate_id=estate_id, name=name, sort_order=i)
                for i, name in enumerate(DEFAULT_CATEGORIES)]
        db.session.add_all(rows)
        db.session.flush()
    return list(rows)


@transactional
def add_category(actor: User, estate: Estate, name) -> ComplaintCategory:
    """Add a category to the estate's list (a manager's)."""
    if not actor.has_role("manager", estate_id=estate.id):
        raise DomainError(_l("Only a manager can change the list of categories."))
    rows = category_rows(estate.id)
    text = clean_text(name, "name", _l("Name"), max_len=32)
    if any(r.name == text for r in rows):
        raise DomainError(_l("The estate already has a category of this name."), "name")
    row = ComplaintCategory(estate_id=estate.id, name=text,
                            sort_order=max(r.sort_order for r in rows) + 1)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "create", row, before={}, after=audit.snapshot(row))
    return row


@transactional
def set_category_active(actor: User, estate: Estate, name, active: bool) -> ComplaintCategory:
    """Retire a category (no new complaints take it) or bring it back."""
    if not actor.has_role("manager", estate_id=estate.id):
        raise DomainError(_l("Only a manager can change the list of categories."))
    row = next((r for r in category_rows(estate.id) if r.name == str(name or "")), None)
    if row is None:
        raise DomainError(_l("Choose a category."), "name")
    if not active and sum(r.active for r in category_rows(estate.id)) <= 1:
        raise DomainError(_l("Keep at least one category in use."), "name")
    before = audit.snapshot(row)
    row.active = bool(active)
    db.session.flush()
    audit.record(actor, "update", row, before=before, after=audit.snapshot(row))
    return row


# checks of the values typed ---------------------------------------------------------------------


def _choice(value, options, field: str, message) -> str:
    text = (value or "").strip()
    if text not in options:
        raise DomainError(message, field)
    return text


def _phone(value, *, required: bool) -> str:
    phone = normalise_phone(value or "")
    if not phone:
        if required:
            raise DomainError(_l("Please enter a phone number to reply to the resident."),
                              "phone")
        return ""
    error = phone_error(phone)
    if error:
        raise DomainError(error, "phone")
    return phone


def _person(estate: Estate, value) -> Person | None:
    if value in (None, ""):
        return None
    person = db.session.get(Person, record_id(value) or 0)
    if person is None or person.estate_id != estate.id:
        raise DomainError(_l("Choose a resident of this estate."), "person_id")
    return person


def parse_compensation(value, field: str = "compensation") -> Decimal | None:
    """Return a compensation in yuan (blank: none): 0 to 100,000 with at most two decimals."""
    if isinstance(value, float):
        raise TypeError("amounts must not be floats")
    if isinstance(value, Decimal):
        amount = value
    else:
        try:
            amount = read_amount(value)
        except (ValueError, InvalidOperation):
            raise DomainError(_l("Enter the compensation in yuan, e.g. 200.00."), field) from None
    if amount is None:
        return None
    if not amount.is_finite():
        raise DomainError(_l("Enter the compensation in yuan, e.g. 200.00."), field)
    if amount < 0:
        raise DomainError(_l("The compensation must not be negative."), field)
    if amount > MAX_COMPENSATION:
        raise DomainError(_l("The compensation must not be more than 100,000 yuan."), field)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_l("The compensation has at most two decimals."), field)
    return quantize_money(amount)


# registering ------------------------------------------------------------------------------------


@transactional
def register(actor: User, estate: Estate, data: dict, now: datetime) -> Complaint:
    """Register a complaint (登记).

    ``data``: person_id (a resident of the estate) or name and phone, unit_id or unit_code,
    channel (one of CHANNELS), category (of the estate's list), content, request.
    """
    if not actor.has_role("frontdesk", "manager", estate_id=estate.id):
        raise DomainError(_l("Only the desk or a manager can do this."))
    now = now.astimezone(UTC)
    person = _person(estate, data.get("person_id"))
    name = clean_text(data.get("name") or (person.name if person else ""), "name",
                      _l("Name"), max_len=64)
    phone = _phone(data.get("phone") or (person.phone if person else ""), required=True)
    unit = chosen_unit(estate.id, data.get("unit_id"), data.get("unit_code"))
    channel = _choice(data.get("channel"), CHANNELS, "channel",
                      _l("Choose how the complaint came in."))
    category = _choice(data.get("category"), categories(estate.id), "category",
                       _l("Choose a category."))
    content = clean_text(data.get("content"), "content", _l("Complaint"), max_len=2000)
    request = clean_text(data.get("request"), "request", _l("What the resident asks for"),
                         required=False, max_len=1000)
    complaint = Complaint(
        estate_id=estate.id, seq=next_seq(Complaint, estate.id),
        person_id=person.id if person else None,
        name=name, phone=phone, unit_id=unit.id if unit else None, channel=channel,
        category=category, content=content, request=request, state="registered",
        registered_at=now, registered_by_id=actor.id, reply_due_at=reply_due(estate, now))
    db.session.add(complaint)
    db.session.flush()
    db.session.add(ComplaintStep(estate_id=estate.id, complaint_id=complaint.id,
                                 action="register", from_state="", to_state="registered",
                                 at=now, user_id=actor.id, note=content))
    audit.record(actor, "register", complaint, before={}, after=audit.snapshot(complaint))
    return complaint


# the steps --------------------------------------------------------------------------------------


def _locked(complaint: Complaint) -> Complaint:
    """Read a complaint afresh with its row locked until the transaction ends."""
    return db.session.scalar(sa.select(Complaint).where(Complaint.id == complaint.id)
                             .with_for_update().execution_options(populate_existing=True))


def may_approve(actor: User, estate_id: int) -> bool:
    return actor.has_role("manager", estate_id=estate_id)


def _move(actor: User, complaint: Complaint, action: str, now: datetime, *, note: str = "",
          amount: Decimal | None = None, score: int | None = None) -> tuple[Complaint, dict]:
    """Lock the complaint, check the transition and who takes it, and record the step."""
    complaint = _locked(complaint)
    transition = states.check(action, complaint.state)
    if transition.actor == "manager":
        if not may_approve(actor, complaint.estate_id):
            raise DomainError(NOT_A_MANAGER)
    elif not actor.has_role("frontdesk", "manager", estate_id=complaint.estate_id):
        raise DomainError(_l("Only the desk or a manager can do this."))
    before = audit.snapshot(complaint)
    db.session.add(ComplaintStep(
        estate_id=complaint.estate_id, complaint_id=complaint.id, action=action,
        from_state=complaint.state, to_state=transition.target, at=now.astimezone(UTC),
        user_id=actor.id, note=note, amount=amount, score=score))
    complaint.state = transition.target
    return complaint, before


def _finish(actor: User, complaint: Complaint, action: str, before: dict) -> Complaint:
    db.session.flush()
    audit.record(actor, action, complaint, before=before, after=audit.snapshot(complaint))
    return complaint


@transactional
def investigate(actor: User, complaint: Complaint, findings, now: datetime) -> Complaint:
    """Record what the investigation found (调查): the first reply to the resident."""
    text = clean_text(findings, "note", _l("Findings"), max_len=2000)
    complaint, before = _move(actor, complaint, "investigate", now, note=text)
    complaint.findings = text
    complaint.first_reply_at = complaint.first_reply_at or now.astimezone(UTC)
    return _finish(actor, complaint, "investigate", before)


@transactional
def propose(actor: User, complaint: Complaint, proposal, compensation,
            now: datetime) -> Complaint:
    """Record the proposed handling (处理意见), with any compensation, for a manager."""
    text = clean_text(proposal, "note", _l("Proposal"), max_len=2000)
    amount = parse_compensation(compensation)
    complaint, before = _move(actor, complaint, "propose", now, note=text, amount=amount)
    complaint.proposal = text
    complaint.compensation = amount
    return _finish(actor, complaint, "propose", before)


@transactional
def approve(actor: User, complaint: Complaint, note, now: datetime) -> Complaint:
    """A manager approves the proposal (审批)."""
    text = clean_text(note, "note", _l("Note"), required=False, max_len=500)
    complaint, before = _move(actor, complaint, "approve", now, note=text)
    complaint.approved_by_id = actor.id
    return _finish(actor, complaint, "approve", before)


@transactional
def send_back(actor: User, complaint: Complaint, reason, now: datetime) -> Complaint:
    """A manager sends the proposal back to be proposed again, with a reason."""
    text = clean_text(reason, "note", _l("Reason"), required=False, max_len=500)
    if not text:
        raise DomainError(_l("Please give a reason."), "note")
    complaint, before = _move(actor, complaint, "send_back", now, note=text)
    complaint.approved_by_id = None
    return _finish(actor, complaint, "send_back", before)


@transactional
def agree(actor: User, complaint: Complaint, agreement, now: datetime) -> Complaint:
    """Record what was agreed with the resident (协商确认)."""
    text = clean_text(agreement, "note", _l("Agreement"), max_len=1000)
    complaint, before = _move(actor, complaint, "agree", now, note=text)
    complaint.agreement = text
    return _finish(actor, complaint, "agree", before)


def orders_of(complaint: Complaint) -> list[WorkOrder]:
    """Return the work orders a complaint opened, oldest first."""
    return list(db.session.scalars(sa.select(WorkOrder).where(
        WorkOrder.estate_id == complaint.estate_id, WorkOrder.origin == ORDER_ORIGIN,
        WorkOrder.origin_id == complaint.id).order_by(WorkOrder.id)))


def order_categories(estate_id: int) -> list[str]:
    """Name the estate's work-order categories in use (their defaults before any is saved);
    read without writing anything."""
    from frontdesk.models import WorkOrderCategory
    from frontdesk.models.workorders import DEFAULT_CATEGORIES as ORDER_DEFAULTS

    rows = db.session.scalars(sa.select(WorkOrderCategory).where(
        WorkOrderCategory.estate_id == estate_id).order_by(WorkOrderCategory.sort_order,
                                                           WorkOrderCategory.id)).all()
    return [c.name for c in rows if c.active] if rows else list(ORDER_DEFAULTS)


@transactional
def open_order(actor: User, complaint: Complaint, data: dict, now: datetime) -> WorkOrder:
    """Open a work order to carry the complaint out (落实), from the complaint's unit and contact.

    ``data``: category (the name of a work-order category of the estate), description,
    priority, area (a public place, when the complaint names no unit); the unit, reporter and
    phone come from the complaint.
    """
    from frontdesk.services.workorders import crew, orders

    complaint = _locked(complaint)
    if complaint.state != "agreed":
        raise DomainError(_l("Work orders are opened while the complaint is being carried "
                             "out."))
    if not actor.has_role("frontdesk", "manager", estate_id=complaint.estate_id):
        raise DomainError(_l("Only the desk or a manager can do this."))
    estate = db.session.get(Estate, complaint.estate_id)
    category = next((c for c in crew.categories(estate.id)
                     if c.name == str(data.get("category") or "")), None)
    if category is None:
        raise DomainError(_l("Choose a category."), "category_id")
    order = orders.report(actor, estate, {
        "source": "投诉", "reporter_name": complaint.name, "reporter_phone": complaint.phone,
        "unit_id": complaint.unit_id, "area": data.get("area") or "",
        "category_id": category.id, "description": data.get("description"),
        "priority": data.get("priority") or "normal",
        "origin": ORDER_ORIGIN, "origin_id": complaint.id}, now)
    audit.record(actor, "update", complaint, before={}, after={"work_order_id": order.id})
    return order


@transactional
def carry_out(actor: User, complaint: Complaint, outcome, now: datetime) -> Complaint:
    """Record that the complaint has been carried out (落实).

    Its work orders must all be completed; without any, what was done must be written down.
    """
    text = clean_text(outcome, "note", _l("What was done"), required=False, max_len=1000)
    complaint = _locked(complaint)
    if complaint.state == "agreed":
        linked = orders_of(complaint)
        still_open = [o for o in linked if o.state in ORDER_OPEN_STATES]
        if still_open:
            raise DomainError(_l("%(n)s work order(s) of this complaint are not completed yet.",
                                 n=len(still_open)))
        if not [o for o in linked if o.state != "cancelled"] and not text:
            raise DomainError(_l("Write down what was done, or open a work order."), "note")
    complaint, before = _move(actor, complaint, "carry_out", now, note=text)
    complaint.outcome = text
    return _finish(actor, complaint, "carry_out", before)


@transactional
def callback(actor: User, complaint: Complaint, satisfaction, comment,
             now: datetime) -> Complaint:
    """Record the callback (回访): 3–5 closes the complaint; 1–2 sends it back to be carried out.

    A callback is recorded once: a second one finds the complaint closed or back in 落实."""
    score = satisfaction_score(satisfaction)
    text = clean_text(comment, "comment", _l("Comment"), required=False, max_len=500)
    if score < 3 and not text:
        raise DomainError(_l("Write down what the resident is unhappy with."), "comment")
    action = "callback" if score >= 3 else "reopen"
    complaint, before = _move(actor, complaint, action, now, note=text, score=score)
    complaint.satisfaction = score
    complaint.callback_comment = text
    if action == "callback":
        complaint.closed_at = now.astimezone(UTC)
    return _finish(actor, complaint, action, before)


#: the verbs of the steps taken by one text (and, for a proposal, an amount)
STEP_VERBS = {"investigate": investigate, "approve": approve, "send_back": send_back,
              "agree": agree, "carry_out": carry_out}


@transactional
def take_step(actor: User, complaint: Complaint, action: str, data: dict,
              now: datetime) -> Complaint:
    """Take a step of the procedure named by its action, with the data of its form."""
    if action == "propose":
        return propose(actor, complaint, data.get("note"), data.get("compensation"), now)
    if action == "callback":
        return callback(actor, complaint, data.get("satisfaction"), data.get("comment"), now)
    verb = STEP_VERBS.get(action)
    if verb is None:
        states.check(action, complaint.state)  # refuses what is no step
        raise DomainError(_l("There is no such step of a complaint."))
    return verb(actor, complaint, data.get("note"), now)


@transactional
def print_complaint(actor: User, complaint: Complaint) -> int:
    """Count a print of the 投诉处理单 and return its number: 1 is the original."""
    return audit.count_print(actor, complaint)
