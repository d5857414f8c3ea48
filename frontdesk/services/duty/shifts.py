"""Shifts: an estate's definitions (白班, 晚班 …), the shift on duty at a time, and its staff.

A definition gives local start and end times; a shift that ends at or before its start ends the
next day (the 晚班 of 12-01 runs 12-01 17:00 → 12-02 01:00). A shift (:class:`DutyShift`) is
one definition on one local date, written when first needed: by the first member of staff who
logs in (or opens the desk home) while it runs (:func:`open_current`), or by the first entry
dated in it. Later staff join it. A shift keeps the times it was opened with, so a definition
edited later changes only the shifts still to come.

Which shift a time belongs to (:func:`shift_at`): the shifts running then; where two overlap
(白班 and 晚班 from 17:00 to 17:30) the one not yet handed over, the acting user's own first,
then the one that started last. A time between shifts (after 01:00, before 08:30) belongs to the
shift that ended last before it: work goes on past the end of a shift until it is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import DutyShift, DutyShiftStaff, Estate, ShiftDefinition, User
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.register.records import clean_text

#: the definitions an estate starts with: name, start and end (minutes after midnight)
DEFAULT_DEFINITIONS = (("白班", 8 * 60 + 30, 17 * 60 + 30), ("晚班", 17 * 60, 1 * 60))
MAX_DEFINITIONS = 6


def tz(estate: Estate) -> ZoneInfo:
    return ZoneInfo(estate.timezone or "Asia/Shanghai")


def minute_text(minute: int) -> str:
    """Write minutes after midnight as HH:MM."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def crosses_midnight(definition: ShiftDefinition) -> bool:
    return definition.end_minute <= definition.start_minute


def hours_text(definition: ShiftDefinition) -> str:
    """Write a definition's hours, e.g. 17:00–次日01:00 for one that crosses midnight."""
    next_day = "次日" if crosses_midnight(definition) else ""
    return f"{minute_text(definition.start_minute)}–{next_day}{minute_text(definition.end_minute)}"


def label(shift: DutyShift) -> str:
    """Name a shift as the chain and printed sheets do: 2026-12-01 白班."""
    return f"{shift.day.isoformat()} {shift.name}"


# definitions ------------------------------------------------------------------------------------


def definitions(estate: Estate, *, active_only: bool = False) -> list[ShiftDefinition]:
    """Return the estate's definitions in their order, adding the defaults on first use."""
    q = sa.select(ShiftDefinition).where(ShiftDefinition.estate_id == estate.id)
    found = list(db.session.scalars(q.order_by(ShiftDefinition.sort_order,
                                               ShiftDefinition.start_minute)))
    if not found:
        for n, (name, start, end) in enumerate(DEFAULT_DEFINITIONS):
            d = ShiftDefinition(estate_id=estate.id, name=name, start_minute=start,
                                end_minute=end, sort_order=n, active=True)
            db.session.add(d)
            found.append(d)
        db.session.flush()
    return [d for d in found if d.active or not active_only]


def parse_minute(value, field: str) -> int:
    """Read a local time typed as HH:MM (or H:MM) into minutes after midnight."""
    text = str(value or "").strip().replace("：", ":")
    parts = text.split(":")
    if len(parts) == 2 and all(p.isascii() and p.isdigit() and 1 <= len(p) <= 2 for p in parts):
        hours, minutes = int(parts[0]), int(parts[1])
        if hours < 24 and minutes < 60:
            return hours * 60 + minutes
    raise DomainError(_l("Enter the time as hours:minutes, e.g. 08:30."), field)


@transactional
def save_definition(actor: User, estate: Estate, definition: ShiftDefinition | None,
                    data: dict) -> ShiftDefinition:
    """Add a shift definition, or change one: name, start, end (an end at or before the start
    is the next day's), order, in use. Shifts already opened keep their times."""
    name = clean_text(data.get("name"), "name", _l("Shift name"), max_len=16)
    start = parse_minute(data.get("start"), "start")
    end = parse_minute(data.get("end"), "end")
    if start == end:
        raise DomainError(_l("A shift cannot end when it starts."), "end")
    taken = db.session.scalar(sa.select(ShiftDefinition.id).where(
        ShiftDefinition.estate_id == estate.id, ShiftDefinition.name == name,
        ShiftDefinition.id != (definition.id if definition else 0)))
    if taken:
        raise DomainError(_l("This estate already has a shift named %(name)s.", name=name),
                          "name")
    order = data.get("sort_order")
    order = int(order) if isinstance(order, int) and 0 <= order <= 99 else 0
    active = bool(data.get("active", True))
    if definition is None:
        existing = definitions(estate)
        if len(existing) >= MAX_DEFINITIONS:
            raise DomainError(_l("An estate has at most %(n)s shifts a day.",
                                 n=MAX_DEFINITIONS))
        definition = ShiftDefinition(estate_id=estate.id)
        before = {}
    else:
        before = audit.snapshot(definition)
    definition.name, definition.start_minute, definition.end_minute = name, start, end
    definition.sort_order, definition.active = order, active
    db.session.add(definition)
    db.session.flush()
    audit.record(actor, "update" if before else "create", definition, before=before,
                 after=audit.snapshot(definition))
    return definition


# occurrences and the shift at a time ------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """A definition on a local date, with its UTC start and end (whether written yet or not)."""

    definition: ShiftDefinition
    day: date
    starts_at: datetime
    ends_at: datetime


def occurrence(estate: Estate, definition: ShiftDefinition, day: date) -> Occurrence:
    zone = tz(estate)
    start = datetime.combine(day, time(definition.start_minute // 60,
                                       definition.start_minute % 60), zone)
    end_day = day + timedelta(days=1) if crosses_midnight(definition) else day
    end = datetime.combine(end_day, time(definition.end_minute // 60,
                                         definition.end_minute % 60), zone)
    return Occurrence(definition, day, start.astimezone(UTC), end.astimezone(UTC))


def _occurrences_near(estate: Estate, at: datetime) -> list[Occurrence]:
    day = at.astimezone(tz(estate)).date()
    active = definitions(estate, active_only=True)
    return [occurrence(estate, d, day + timedelta(days=k)) for k in (-1, 0) for d in active]


def _records(estate: Estate, occurrences: list[Occurrence]) -> dict[tuple[int, date], DutyShift]:
    if not occurrences:
        return {}
    days = {o.day for o in occurrences}
    rows = db.session.scalars(sa.select(DutyShift).where(DutyShift.estate_id == estate.id,
                                                         DutyShift.day.in_(days)))
    return {(s.definition_id, s.day): s for s in rows}


def _staff_ids(shift: DutyShift | None) -> set[int]:
    return {s.user_id for s in shift.staff} if shift is not None else set()


@dataclass(frozen=True)
class Candidate:
    occurrence: Occurrence
    shift: DutyShift | None

    @property
    def locked(self) -> bool:
        return self.shift is not None and self.shift.state == "locked"

    @property
    def starts_at(self) -> datetime:
        return self.shift.starts_at if self.shift is not None else self.occurrence.starts_at

    @property
    def ends_at(self) -> datetime:
        return self.shift.ends_at if self.shift is not None else self.occurrence.ends_at


def candidates(estate: Estate, at: datetime) -> tuple[list[Candidate], Candidate | None]:
    """Return the shifts running at a time, and the one that ended last before it."""
    at = at.astimezone(UTC)
    occurrences = _occurrences_near(estate, at)
    records = _records(estate, occurrences)
    all_ = [Candidate(o, records.get((o.definition.id, o.day))) for o in occurrences]
    running = [c for c in all_ if c.starts_at <= at < c.ends_at]
    ended = [c for c in all_ if c.ends_at <= at]
    last = max(ended, key=lambda c: c.ends_at, default=None)
    return running, last


def _best(running: list[Candidate], actor: User | None) -> Candidate | None:
    """Prefer a shift not handed over, the actor's own, then the one that started last."""
    if not running:
        return None
    return max(running, key=lambda c: (not c.locked,
                                       actor is not None and actor.id in _staff_ids(c.shift),
                                       c.starts_at))


def _write(estate: Estate, occ: Occurrence, actor: User | None, now: datetime) -> DutyShift:
    """Write the shift of an occurrence (or find it, when someone else just wrote it)."""
    try:
        with db.session.begin_nested():
            shift = DutyShift(estate_id=estate.id, definition_id=occ.definition.id, day=occ.day,
                              name=occ.definition.name, starts_at=occ.starts_at,
                              ends_at=occ.ends_at, opened_at=now,
                              opened_by_id=actor.id if actor else None, state="open")
            db.session.add(shift)
            db.session.flush()
    except sa.exc.IntegrityError:
        shift = db.session.scalar(sa.select(DutyShift).where(
            DutyShift.estate_id == estate.id, DutyShift.definition_id == occ.definition.id,
            DutyShift.day == occ.day))
        return shift
    audit.record(actor, "create", shift, after={"name": shift.name, "day": shift.day.isoformat(),
                                                "starts_at": shift.starts_at.isoformat(),
                                                "ends_at": shift.ends_at.isoformat()})
    return shift


def _join(shift: DutyShift, actor: User, now: datetime) -> None:
    if actor.id in _staff_ids(shift):
        return
    try:
        with db.session.begin_nested():
            db.session.add(DutyShiftStaff(estate_id=shift.estate_id, shift_id=shift.id,
                                          user_id=actor.id, joined_at=now))
            db.session.flush()
    except sa.exc.IntegrityError:
        pass
    db.session.refresh(shift, ["staff"])


def shift_at(estate: Estate, at: datetime, actor: User | None, now: datetime) -> DutyShift:
    """Return the shift a time belongs to, writing it if new (see the module docstring).

    A time in a shift already handed over is refused: its entries only get addenda.
    """
    running, last = candidates(estate, at)
    chosen = _best(running, actor) or last
    if chosen is None:
        raise DomainError(_l("No shift is defined for this time."), "at")
    if chosen.locked:
        raise DomainError(_l("The shift %(shift)s was handed over and is locked: an entry "
                             "cannot be dated in it any more. Add an addendum to one of its "
                             "entries instead.", shift=label(chosen.shift)), "at")
    if chosen.shift is not None:
        return chosen.shift
    return _write(estate, chosen.occurrence, actor, now)


def current(estate: Estate, now: datetime, actor: User | None = None) -> DutyShift | None:
    """Return the written shift on duty now (not handed over), without writing anything."""
    running, _ = candidates(estate, now)
    open_ = [c for c in running if not c.locked and c.shift is not None]
    best = _best(open_, actor)
    return best.shift if best else None


def open_current(actor: User, estate: Estate, now: datetime) -> DutyShift | None:
    """Open the shift on duty now with the actor on its staff, or join it; None between shifts.

    Called when a member of the desk logs in or opens the desk home: the first of a shift's
    staff to do so opens it, the others join it. A member already on the staff writes nothing
    and commits nothing (a commit would make the page load everything it has read again).
    """
    now = now.astimezone(UTC)
    running, _ = candidates(estate, now)
    chosen = _best([c for c in running if not c.locked], actor)
    if chosen is None:
        return None
    if chosen.shift is not None and actor.id in _staff_ids(chosen.shift):
        return chosen.shift
    return _open_and_join(actor, estate, chosen, now)


@transactional
def _open_and_join(actor: User, estate: Estate, chosen: Candidate, now: datetime) -> DutyShift:
    shift = chosen.shift or _write(estate, chosen.occurrence, actor, now)
    _join(shift, actor, now)
    return shift


def join(shift: DutyShift, actor: User, now: datetime) -> None:
    """Put the actor on a shift's staff (in the caller's transaction)."""
    _join(shift, actor, now.astimezone(UTC))


def locked_shift(shift_id: int) -> DutyShift:
    """Read a shift afresh with its row locked until the transaction ends."""
    return db.session.scalar(sa.select(DutyShift).where(DutyShift.id == shift_id)
                             .with_for_update().execution_options(populate_existing=True))
