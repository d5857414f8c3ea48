"""What the duty pages, the desk home and the printed duty sheets show (read only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from frontdesk.extensions import db
from frontdesk.labels import PRINTED_PAYMENT_METHODS
from frontdesk.models import DutyEntry, DutyShift, DutyShiftStaff, Estate, User
from frontdesk.money import format_money
from frontdesk.services.complaints.complaints import complaint_number
from frontdesk.services.duty import handover, shifts
from frontdesk.services.fees.reports import estate_header
from frontdesk.services.keys.loans import loan_number
from frontdesk.services.workorders.orders import order_number

PRINTED_HANDOVER_KINDS = {"work_order": "未完工单", "key_loan": "借出钥匙",
                          "overdue_loan": "逾期钥匙", "callback": "待回访", "complaint": "投诉",
                          "note": "交办事项"}


def _names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.full_name, User.username)
                              .where(User.id.in_(ids)))
    return {i: full or username for i, full, username in rows}


@dataclass
class EntryRow:
    """An entry with its addenda, as the shift page and the sheet list it."""

    entry: DutyEntry
    author: str
    addenda: list[EntryRow] = field(default_factory=list)

    @property
    def links(self) -> list[tuple[str, str]]:
        """(kind, text) of what the entry links to: unit, person, work order, loan, complaint."""
        e = self.entry
        out = []
        if e.unit is not None:
            out.append(("unit", e.unit.code))
        if e.person is not None:
            out.append(("person", e.person.name))
        if e.work_order is not None:
            out.append(("work_order", order_number(e.work_order)))
        if e.key_loan is not None:
            out.append(("key_loan", loan_number(e.key_loan)))
        if e.complaint is not None:
            out.append(("complaint", complaint_number(e.complaint)))
        return out


def entry_rows(shift: DutyShift) -> list[EntryRow]:
    """Return a shift's entries in time order, each with its addenda under it."""
    entries = list(db.session.scalars(
        sa.select(DutyEntry).where(DutyEntry.shift_id == shift.id)
        .options(selectinload(DutyEntry.unit), selectinload(DutyEntry.person),
                 selectinload(DutyEntry.work_order), selectinload(DutyEntry.key_loan),
                 selectinload(DutyEntry.complaint))
        .order_by(DutyEntry.at, DutyEntry.id)))
    names = _names(e.created_by_id for e in entries)
    rows = {e.id: EntryRow(e, names.get(e.created_by_id, "")) for e in entries}
    top = []
    for e in entries:
        if e.addendum_of_id and e.addendum_of_id in rows:
            rows[e.addendum_of_id].addenda.append(rows[e.id])
        else:
            top.append(rows[e.id])
    return top


def staff_names(shift: DutyShift) -> list[str]:
    names = _names(s.user_id for s in shift.staff)
    return [names.get(s.user_id, "") for s in shift.staff]


def previous_locked(shift: DutyShift) -> DutyShift | None:
    """Return the shift handed over last before this one started (whose items head its page)."""
    return db.session.scalar(sa.select(DutyShift).where(
        DutyShift.estate_id == shift.estate_id, DutyShift.state == "locked",
        DutyShift.id != shift.id, DutyShift.starts_at < shift.starts_at)
        .order_by(DutyShift.starts_at.desc(), DutyShift.id.desc()).limit(1))


@dataclass
class ShiftPage:
    shift: DutyShift
    hours: str
    staff: list[str]
    entries: list[EntryRow]
    #: the handover before it (its items head the page)
    previous: DutyShift | None
    handed_over_by: str = ""
    received_by: str = ""
    over_short: Any = None


def shift_page(shift: DutyShift) -> ShiftPage:
    names = _names([shift.handed_over_by_id, shift.received_by_id])
    return ShiftPage(shift=shift, hours=shift_hours(shift), staff=staff_names(shift),
                     entries=entry_rows(shift), previous=previous_locked(shift),
                     handed_over_by=names.get(shift.handed_over_by_id, ""),
                     received_by=names.get(shift.received_by_id, ""),
                     over_short=handover.over_short(shift.cash_expected, shift.cash_counted))


def shift_hours(shift: DutyShift) -> str:
    """Show a shift's local times, e.g. 12-01 17:00 – 12-02 01:00."""
    estate = db.session.get(Estate, shift.estate_id)
    zone = shifts.tz(estate)
    start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
    return f"{start:%m-%d %H:%M} – {end:%m-%d %H:%M}"


def list_shifts(estate: Estate, *, page: int = 1, per_page: int = 30, day: date | None = None):
    """Return a page of the estate's shifts, newest first (of one local day if given)."""
    q = sa.select(DutyShift).where(DutyShift.estate_id == estate.id)
    if day is not None:
        q = q.where(DutyShift.day == day)
    q = q.order_by(DutyShift.starts_at.desc(), DutyShift.id.desc())
    return db.paginate(q, page=page, per_page=per_page, error_out=False)


def entry_counts(shift_ids: list[int]) -> dict[int, int]:
    if not shift_ids:
        return {}
    return dict(db.session.execute(sa.select(DutyEntry.shift_id, sa.func.count(DutyEntry.id))
                                   .where(DutyEntry.shift_id.in_(shift_ids))
                                   .group_by(DutyEntry.shift_id)).all())


@dataclass
class HandoverContext:
    shift: DutyShift
    suggestions: list[handover.Suggestion]
    takings: dict[str, Any]
    window: str

    @property
    def receipts(self) -> list[dict[str, Any]]:
        """Every payment of the shift's takings, in time order, with its cashier."""
        return sorted((p for c in self.takings["cashiers"] for p in c["payments"]),
                      key=lambda p: (p["time"], p["id"]))


def handover_context(shift: DutyShift, now: datetime) -> HandoverContext:
    estate = db.session.get(Estate, shift.estate_id)
    start, end = handover.cash_window(shift, now)
    report = handover.takings(estate, start, end)
    return HandoverContext(shift=shift, suggestions=handover.suggestions(shift, now),
                           takings=report, window=report["range_text"])


@dataclass
class DeskPanel:
    """The desk home's duty panel: the shift on duty, what was handed to it, what is pending."""

    shift: DutyShift | None
    hours: str = ""
    staff: list[str] = field(default_factory=list)
    previous: DutyShift | None = None
    pending: list[handover.Suggestion] = field(default_factory=list)
    entries: int = 0


def desk_panel(estate: Estate, actor: User, now: datetime,
               shift: DutyShift | None = None) -> DeskPanel:
    """The desk's duty panel: the shift on duty now (``shift`` when the caller has it)."""
    shift = shift or shifts.current(estate, now, actor)
    if shift is None:
        return DeskPanel(None)
    return DeskPanel(shift=shift, hours=shift_hours(shift), staff=staff_names(shift),
                     previous=previous_locked(shift),
                     pending=handover.suggestions(shift, now)[:10],
                     entries=entry_counts([shift.id]).get(shift.id, 0))


def is_on_staff(shift: DutyShift, user: User) -> bool:
    return db.session.scalar(sa.select(DutyShiftStaff.id).where(
        DutyShiftStaff.shift_id == shift.id, DutyShiftStaff.user_id == user.id)) is not None


# printing ---------------------------------------------------------------------------------------


def _local(value: datetime | None, zone, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(zone).strftime(fmt) if value else ""


def _entry_print(row: EntryRow, zone) -> dict[str, Any]:
    e = row.entry
    detail = e.content
    if e.kind == "来电":
        caller = "　".join(p for p in (e.caller_name, e.caller_phone) if p)
        detail = f"来电人：{caller}\n{e.content}" if caller else e.content
    links = "；".join(text for _kind, text in row.links)
    handling = e.handling
    if e.call_result:
        handling = f"{handling}\n结果：{e.call_result}".strip()
    return {"time": _local(e.at, zone, "%H:%M"), "kind": e.kind, "content": detail,
            "handling": handling, "links": links, "author": row.author,
            "addenda": [{"time": _local(a.entry.at, zone, "%m-%d %H:%M"),
                         "content": a.entry.content, "author": a.author,
                         "late": a.entry.after_handover} for a in row.addenda]}


def shift_print(shift: DutyShift, now: datetime) -> dict[str, Any]:
    """Return a shift as the daily log sheet and the cash slip print it (plain data)."""
    estate = db.session.get(Estate, shift.estate_id)
    zone = shifts.tz(estate)
    page = shift_page(shift)
    start, end = handover.cash_window(shift, now)
    report = handover.takings(estate, start, end)
    diff = page.over_short
    return {
        "label": shifts.label(shift), "name": shift.name, "day": shift.day.isoformat(),
        "hours": f"{_local(shift.starts_at, zone)} 至 {_local(shift.ends_at, zone)}",
        "state": "已交班" if shift.state == "locked" else "值班中",
        "locked": shift.state == "locked",
        "staff": "、".join(n for n in page.staff if n) or "—",
        "handed_over_by": page.handed_over_by, "received_by": page.received_by,
        "locked_at": _local(shift.locked_at, zone),
        "handover_note": shift.handover_note,
        "entries": [_entry_print(r, zone) for r in page.entries],
        "items": [{"kind": PRINTED_HANDOVER_KINDS.get(i.kind, i.kind), "text": i.text}
                  for i in shift.items],
        "takings": report,
        "cash_window": report["range_text"],
        "cash_expected": shift.cash_expected if shift.cash_expected is not None
        else report["cash_expected"],
        "cash_counted": shift.cash_counted,
        "over_short": diff,
        "over_short_text": _over_short_text(diff),
        "cash_note": shift.cash_note,
        "hash": shift.hash or "",
    }


def _over_short_text(diff) -> str:
    if diff is None:
        return "未清点"
    if diff > 0:
        return f"长款 ¥{format_money(diff)}"
    if diff < 0:
        return f"短款 ¥{format_money(-diff)}"
    return "相符"


def log_sheet(estate: Estate, day: date, *, now: datetime, printed_at: str,
              printed_by: str) -> dict[str, Any]:
    """Return the daily log sheet of a local day: every shift starting that day."""
    rows = db.session.scalars(sa.select(DutyShift).where(
        DutyShift.estate_id == estate.id, DutyShift.day == day)
        .order_by(DutyShift.starts_at, DutyShift.id))
    return {"estate": estate_header(estate), "day": day.isoformat(),
            "shifts": [shift_print(s, now) for s in rows], "printed_at": printed_at,
            "printed_by": printed_by, "methods": PRINTED_PAYMENT_METHODS}


def slip(shift: DutyShift, *, now: datetime, printed_at: str, printed_by: str) -> dict[str, Any]:
    """Return the cash handover slip (交班收款单) of a shift."""
    estate = db.session.get(Estate, shift.estate_id)
    return {"estate": estate_header(estate), "shift": shift_print(shift, now),
            "printed_at": printed_at, "printed_by": printed_by}
