"""The handover (交接班): pending items, the shift's takings and cash, the confirmation, the lock.

The outgoing member of staff sees suggested pending items (:func:`suggestions`): the open work
orders the shift's staff logged, keys out on loan, overdue loans, work orders completed and
waiting for a callback, and open complaints (those carried out wait for their callback); they
pick some and add their own. The shift's takings come from the
fees area (:func:`takings`, the daily cashier report over the shift's window): by cashier and
method, with its receipts and refunds; the cash counted is entered beside the cash expected
(cash received less cash refunds paid out), and the difference shown (长款 over, 短款 short).

The incoming member of staff confirms with their own password, checked like a login and counted
by :mod:`frontdesk.throttle` with the logins (a wrong password, or the outgoing person naming
themself, is refused and counted). The shift is then locked, all in one transaction with its
row locked (``SELECT … FOR UPDATE``): of two handovers of one shift at once, the second finds
it locked and is refused.

The window of a shift's takings runs from its start (or from where the handover before it cut
off, when that was later: shifts overlap) to its handover, so no payment counts twice.

The chain: a locked shift is the chain "duty_shifts" (:mod:`frontdesk.services.chain`). Its
link covers the shift (day, times, staff, who handed over to whom, the cash figures and notes),
every entry written before the handover and every handover item; ``hash``/``prev_hash`` keep a
copy. Addenda written later are marked ``after_handover`` and stay outside the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from frontdesk.extensions import db, throttle
from frontdesk.models import (
    Complaint,
    DutyEntry,
    DutyHandoverItem,
    DutyShift,
    Estate,
    User,
    WorkOrder,
)
from frontdesk.models.complaints import OPEN_STATES as COMPLAINT_OPEN_STATES
from frontdesk.models.workorders import OPEN_STATES
from frontdesk.money import quantize_money, read_amount
from frontdesk.services import DomainError, accounts, audit, chain, transactional
from frontdesk.services.complaints.complaints import complaint_number
from frontdesk.services.duty import shifts
from frontdesk.services.fees import daily_report as fees_report
from frontdesk.services.keys import queries as key_queries
from frontdesk.services.register.records import clean_text
from frontdesk.services.workorders.orders import order_number

ZERO = Decimal("0.00")
MAX_NOTES = 20
MAX_NOTE = 500
MAX_CASH = Decimal("10000000")
#: the longest window of takings a shift shows (the cashier report's limit)
MAX_WINDOW = timedelta(days=fees_report.MAX_REPORT_DAYS)


# the chain --------------------------------------------------------------------------------------


def _entry_fields(e: DutyEntry) -> dict[str, Any]:
    return {"id": e.id, "at": e.at, "kind": e.kind, "content": e.content, "handling": e.handling,
            "caller_name": e.caller_name, "caller_phone": e.caller_phone,
            "call_result": e.call_result, "unit_id": e.unit_id, "person_id": e.person_id,
            "work_order_id": e.work_order_id, "key_loan_id": e.key_loan_id,
            "complaint_id": e.complaint_id, "addendum_of_id": e.addendum_of_id,
            "created_by_id": e.created_by_id}


def lock_fields(shift: DutyShift) -> dict[str, Any]:
    """Return what the link of a locked shift covers: the shift, its entries, items, cash."""
    return {
        "estate_id": shift.estate_id, "definition_id": shift.definition_id, "day": shift.day,
        "name": shift.name, "starts_at": shift.starts_at, "ends_at": shift.ends_at,
        "state": shift.state, "locked_at": shift.locked_at,
        "handed_over_by_id": shift.handed_over_by_id, "received_by_id": shift.received_by_id,
        "handover_note": shift.handover_note, "cash_from": shift.cash_from,
        "cash_until": shift.cash_until, "cash_expected": shift.cash_expected,
        "cash_counted": shift.cash_counted, "cash_note": shift.cash_note,
        "staff": sorted(s.user_id for s in shift.staff),
        "entries": [_entry_fields(e) for e in sorted(shift.entries, key=lambda e: e.id)
                    if not e.after_handover],
        "items": [{"kind": i.kind, "text": i.text, "work_order_id": i.work_order_id,
                   "key_loan_id": i.key_loan_id, "complaint_id": i.complaint_id}
                  for i in sorted(shift.items, key=lambda i: i.id)],
    }


CHAIN = chain.register(chain.Chain(
    name="duty_shifts", model=DutyShift, noun="duty shift", plural="duty shifts",
    printed_name="值班交接", label=shifts.label, rank=30,
    load=(selectinload(DutyShift.entries), selectinload(DutyShift.items),
          selectinload(DutyShift.staff)),
    events=(
        chain.Event("lock", lock_fields, "the shift as handed over", "交班",
                    hash_column="hash", prev_column="prev_hash",
                    happened=lambda: sa.or_(DutyShift.state == "locked",
                                            DutyShift.locked_at.is_not(None),
                                            DutyShift.hash.is_not(None))),
    ),
))


# pending items ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A pending matter the handover form offers: its key ("work_order:12"), kind and text."""

    key: str
    kind: str
    text: str
    work_order_id: int | None = None
    key_loan_id: int | None = None
    complaint_id: int | None = None


def _complaint_text(complaint: Complaint) -> str:
    place = complaint.unit.code if complaint.unit is not None else ""
    return (f"{complaint_number(complaint)} {complaint.name} {place} "
            f"{complaint.content[:60]}").strip()


def _order_text(order: WorkOrder) -> str:
    place = order.unit.code if order.unit is not None else (order.area or "")
    return f"{order_number(order)} {place} {order.description[:60]}".strip()


def suggestions(shift: DutyShift, now: datetime) -> list[Suggestion]:
    """Return the pending items a shift could hand over (see the module docstring)."""
    now = now.astimezone(UTC)
    staff = {s.user_id for s in shift.staff} | ({shift.handed_over_by_id}
                                               if shift.handed_over_by_id else set())
    found: list[Suggestion] = []
    if staff:
        mine = db.session.scalars(sa.select(WorkOrder).where(
            WorkOrder.estate_id == shift.estate_id, WorkOrder.state.in_(OPEN_STATES),
            WorkOrder.created_by_id.in_(staff)).options(selectinload(WorkOrder.unit))
            .order_by(WorkOrder.created_at).limit(50))
        found += [Suggestion(f"work_order:{o.id}", "work_order", _order_text(o),
                             work_order_id=o.id) for o in mine]
    for loan in key_queries.open_loans(shift.estate_id, now)[:50]:
        due = loan.loan.expected_return_at.astimezone(shifts.tz(
            db.session.get(Estate, shift.estate_id))).strftime("%m-%d %H:%M")
        kind = "overdue_loan" if loan.overdue else "key_loan"
        found.append(Suggestion(f"{kind}:{loan.loan.id}", kind,
                                f"{loan.number} {loan.key.tag} {loan.where} "
                                f"{loan.loan.borrower_name} 应还 {due}",
                                key_loan_id=loan.loan.id))
    done = db.session.scalars(sa.select(WorkOrder).where(
        WorkOrder.estate_id == shift.estate_id, WorkOrder.state == "completed")
        .options(selectinload(WorkOrder.unit)).order_by(WorkOrder.completed_at).limit(50))
    found += [Suggestion(f"callback:{o.id}", "callback", _order_text(o),
                         work_order_id=o.id) for o in done]
    waiting = db.session.scalars(sa.select(Complaint).where(
        Complaint.estate_id == shift.estate_id, Complaint.state.in_(COMPLAINT_OPEN_STATES))
        .options(selectinload(Complaint.unit))
        .order_by(Complaint.reply_due_at, Complaint.id).limit(50))
    for c in waiting:
        kind = "callback" if c.state == "carried_out" else "complaint"
        found.append(Suggestion(f"complaint:{c.id}", kind, _complaint_text(c),
                                complaint_id=c.id))
    return found


# takings ----------------------------------------------------------------------------------------


def cash_window(shift: DutyShift, now: datetime) -> tuple[datetime, datetime]:
    """Return the UTC window of a shift's takings: stored once locked, else up to now."""
    if shift.cash_from is not None and shift.cash_until is not None:
        return shift.cash_from, shift.cash_until
    start = shift.starts_at
    cut = db.session.scalar(sa.select(sa.func.max(DutyShift.cash_until)).where(
        DutyShift.estate_id == shift.estate_id, DutyShift.state == "locked",
        DutyShift.id != shift.id, DutyShift.starts_at <= shift.starts_at))
    if cut is not None and cut > start:
        start = cut
    end = now.astimezone(UTC)
    start = min(max(start, end - MAX_WINDOW), end)
    return start, end


def takings(estate: Estate, start: datetime, end: datetime) -> dict[str, Any]:
    """Return the cashier report of the fees area over a UTC window (by cashier and method,
    receipts, voids, refunds, net per method), and the cash expected in the drawer."""
    zone = shifts.tz(estate)
    local_start = start.astimezone(zone).replace(tzinfo=None)
    local_end = end.astimezone(zone).replace(tzinfo=None)
    if local_end <= local_start:
        local_end = local_start + timedelta(microseconds=1)  # an empty window
    report = fees_report.daily_report(estate, start=local_start, end=local_end)
    cash = next((m["net"] for m in report["net_methods"] if m["method"] == "cash"), ZERO)
    report["range_text"] = (f"{local_start:%Y-%m-%d %H:%M} 至 {local_end:%Y-%m-%d %H:%M}")
    return {**report, "cash_expected": quantize_money(cash)}


def over_short(expected: Decimal | None, counted: Decimal | None) -> Decimal | None:
    """Counted less expected: more than zero is over (长款), less is short (短款)."""
    if expected is None or counted is None:
        return None
    return quantize_money(counted - expected)


# the handover -----------------------------------------------------------------------------------


def _picked(shift: DutyShift, keys: list[str], now: datetime) -> list[Suggestion]:
    offered = {s.key: s for s in suggestions(shift, now)}
    chosen = []
    for key in dict.fromkeys(k for k in keys if k):
        if key not in offered:
            raise DomainError(_l("An item picked is no longer pending. Please look at the list "
                                 "again."), "items")
        chosen.append(offered[key])
    return chosen


def _notes(text) -> list[str]:
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    if len(lines) > MAX_NOTES:
        raise DomainError(_l("At most %(n)s items of your own, one per line.", n=MAX_NOTES),
                          "notes")
    for line in lines:
        if len(line) > MAX_NOTE:
            raise DomainError(_l("An item is at most %(n)s characters long.", n=MAX_NOTE),
                              "notes")
    return lines


def _cash(value) -> Decimal:
    if value is None or not str(value).strip():
        raise DomainError(_l("Please enter the cash counted in the drawer (0 if none)."),
                          "cash_counted")
    try:
        amount = read_amount(value)
    except (ValueError, ArithmeticError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 \
            or amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_l("Enter the cash counted in yuan, e.g. 1250.00 (0 if none)."),
                          "cash_counted")
    if amount > MAX_CASH:
        raise DomainError(_l("The amount is too large."), "cash_counted")
    return quantize_money(amount)


def incoming_staff(actor: User, estate: Estate, username, password,
                   address: str | None = None) -> User:
    """Return the incoming member of staff whose own username and password were typed.

    Checked like a login (counted by the throttle; raises TooManyFailures past the limit). The
    outgoing person naming themself is refused and counted as a failure too.
    """
    username = str(username or "").strip()
    if not username:
        raise DomainError(_l("The incoming staff member enters their username."),
                          "incoming_username")
    if username == actor.username:
        throttle.begin(username, address)  # counted: not a failure forgiven
        raise DomainError(_l("The incoming staff member confirms with their own password: you "
                             "cannot confirm your own handover."), "incoming_username")
    user = accounts.authenticate(username, str(password or ""), address)
    if user is None:
        raise DomainError(_l("The incoming staff member's username or password is wrong."),
                          "incoming_password")
    if user.id == actor.id:
        raise DomainError(_l("The incoming staff member confirms with their own password: you "
                             "cannot confirm your own handover."), "incoming_username")
    if not user.can("duty.log", estate.id):
        raise DomainError(_l("%(name)s is not on the desk's staff of this estate.",
                             name=user.full_name or user.username), "incoming_username")
    return user


@transactional
def hand_over(actor: User, shift: DutyShift, data: dict, *, incoming_username: str,
              incoming_password: str, now: datetime,
              address: str | None = None) -> DutyShift:
    """Hand a shift over and lock it (see the module docstring).

    ``data``: items (keys of :func:`suggestions` picked), notes (one item per line),
    cash_counted, cash_note, handover_note.
    """
    now = now.astimezone(UTC)
    shift = shifts.locked_shift(shift.id)
    if shift.state == "locked":
        raise DomainError(_l("This shift was already handed over (%(at)s). Nothing was "
                             "written.", at=shifts.label(shift)))
    estate = db.session.get(Estate, shift.estate_id)
    if now < shift.starts_at:
        raise DomainError(_l("This shift has not started yet."))
    picked = _picked(shift, list(data.get("items") or []), now)
    notes = _notes(data.get("notes"))
    counted = _cash(data.get("cash_counted"))
    cash_note = clean_text(data.get("cash_note"), "cash_note", _l("Note on the cash"),
                           required=False, max_len=200)
    note = clean_text(data.get("handover_note"), "handover_note", _l("Handover note"),
                      required=False, max_len=1000)
    incoming = incoming_staff(actor, estate, incoming_username, incoming_password, address)
    return lock(actor, shift, incoming, picked, notes, now, cash_counted=counted,
                cash_note=cash_note, handover_note=note)


def lock(actor: User, shift: DutyShift, incoming: User, picked: list[Suggestion],
         notes: list[str], now: datetime, *, cash_counted: Decimal | None, cash_note: str = "",
         handover_note: str = "") -> DutyShift:
    """Write the handover and chain the locked shift (in the caller's transaction, the shift's
    row locked and the incoming staff member already confirmed); cash counted None: as
    expected."""
    estate = db.session.get(Estate, shift.estate_id)
    start, end = cash_window(shift, now)
    report = takings(estate, start, end)
    shifts.join(shift, actor, now)
    for s in picked:
        db.session.add(DutyHandoverItem(estate_id=shift.estate_id, shift_id=shift.id,
                                        kind=s.kind, text=s.text[:MAX_NOTE],
                                        work_order_id=s.work_order_id,
                                        key_loan_id=s.key_loan_id,
                                        complaint_id=s.complaint_id))
    for line in notes:
        db.session.add(DutyHandoverItem(estate_id=shift.estate_id, shift_id=shift.id,
                                        kind="note", text=line))
    before = audit.snapshot(shift, ["state"])
    shift.state = "locked"
    shift.locked_at = now
    shift.handed_over_by_id = actor.id
    shift.received_by_id = incoming.id
    shift.handover_note = handover_note
    shift.cash_from, shift.cash_until = start, end
    shift.cash_expected = report["cash_expected"]
    shift.cash_counted = report["cash_expected"] if cash_counted is None else cash_counted
    shift.cash_note = cash_note
    db.session.flush()
    db.session.refresh(shift, ["items", "staff", "entries"])
    chain.append(CHAIN.name, shift, "lock", at=now)
    audit.record(actor, "hand_over", shift, before=before, after={
        **audit.snapshot(shift, ["state", "locked_at", "handed_over_by_id", "received_by_id",
                                 "cash_expected", "cash_counted", "cash_note",
                                 "handover_note", "hash"]),
        "items": len(shift.items)})
    return shift
