"""An estate's work-order setup: its categories, service levels and engineering crew.

Categories and settings are created with the defaults on first use, so a new estate has the
list of DESIGN.md (水电/土建/门窗/电梯/消防/绿化/其他) and the targets urgent 15 min / 4 h,
normal 2 h / 48 h. The crew is every user holding the engineering role in the estate; an
:class:`Engineer` row (made on first use) keeps their team, skills, on-duty flag and lead flag.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Estate, Membership, User, UserRole
from frontdesk.models.workorders import (
    DEFAULT_CATEGORIES,
    Engineer,
    WorkOrderCategory,
    WorkOrderSettings,
)
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.register.records import clean_text
from frontdesk.services.workorders.sla import Clock

#: the longest service target that can be set: 90 days
MAX_TARGET_MINUTES = 90 * 24 * 60


# categories -------------------------------------------------------------------------------------


def _category_rows(estate_id: int) -> list[WorkOrderCategory]:
    return list(db.session.scalars(sa.select(WorkOrderCategory)
                                   .where(WorkOrderCategory.estate_id == estate_id)
                                   .order_by(WorkOrderCategory.sort_order,
                                             WorkOrderCategory.id)))


def categories(estate_id: int, *, active_only: bool = True) -> list[WorkOrderCategory]:
    """Return an estate's categories in their order, adding the default list on first use."""
    rows = _category_rows(estate_id)
    if not rows:
        rows = [WorkOrderCategory(estate_id=estate_id, name=name, sort_order=i)
                for i, name in enumerate(DEFAULT_CATEGORIES)]
        db.session.add_all(rows)
        db.session.flush()
    return [c for c in rows if c.active or not active_only]


def ensure_categories(estate_id: int, *, active_only: bool = True) -> list[WorkOrderCategory]:
    """Return an estate's categories, the default list committed on first use.

    For pages whose forms name categories by id: the ids stay valid when the form comes back.
    An estate that has its list is only read: no commit, which would expire every object the
    request has loaded (the user, the unit, these categories) and load them again."""
    rows = _category_rows(estate_id)
    if rows:
        return [c for c in rows if c.active or not active_only]
    return _commit_default_categories(estate_id, active_only=active_only)


@transactional
def _commit_default_categories(estate_id: int, *, active_only: bool) -> list[WorkOrderCategory]:
    return categories(estate_id, active_only=active_only)


@transactional
def save_category(actor: User, estate: Estate, data: dict,
                  category: WorkOrderCategory | None = None) -> WorkOrderCategory:
    """Add a category to an estate's list, or rename, move or retire one."""
    categories(estate.id, active_only=False)
    name = clean_text(data.get("name"), "name", _l("Name"), max_len=32)
    team = clean_text(data.get("team"), "team", _l("Team"), required=False, max_len=32)
    clash = db.session.scalar(sa.select(WorkOrderCategory.id).where(
        WorkOrderCategory.estate_id == estate.id, WorkOrderCategory.name == name))
    if clash is not None and (category is None or clash != category.id):
        raise DomainError(_l("The estate already has a category of this name."), "name")
    before = audit.snapshot(category) if category is not None else None
    if category is None:
        last = db.session.scalar(sa.select(sa.func.max(WorkOrderCategory.sort_order)).where(
            WorkOrderCategory.estate_id == estate.id)) or 0
        category = WorkOrderCategory(estate_id=estate.id, sort_order=last + 1)
        db.session.add(category)
    category.name, category.team = name, team
    category.active = bool(data.get("active", True))
    db.session.flush()
    audit.record(actor, "create" if before is None else "update", category, before=before,
                 after=audit.snapshot(category))
    return category


# service levels ---------------------------------------------------------------------------------


def settings(estate_id: int) -> WorkOrderSettings:
    """Return an estate's service levels, with the defaults on first use."""
    row = db.session.get(WorkOrderSettings, estate_id)
    if row is None:
        row = WorkOrderSettings(estate_id=estate_id)
        db.session.add(row)
        db.session.flush()
    return row


def clock(estate_id: int) -> Clock:
    """Return the clock an estate's orders are timed by."""
    row = settings(estate_id)
    estate = db.session.get(Estate, estate_id)
    return Clock(ZoneInfo(estate.timezone), row.working_hours, row.day_start_minute,
                 row.day_end_minute)


def targets(estate_id: int, priority: str) -> tuple[int, int]:
    """Return the response and completion targets of a priority, in seconds."""
    row = settings(estate_id)
    if priority == "urgent":
        return row.urgent_response_minutes * 60, row.urgent_completion_minutes * 60
    return row.normal_response_minutes * 60, row.normal_completion_minutes * 60


def _minutes(value, field: str) -> int:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError(_l("Enter a whole number of minutes."), field) from None
    if not 1 <= minutes <= MAX_TARGET_MINUTES:
        raise DomainError(_l("Enter between 1 and %(n)s minutes.", n=MAX_TARGET_MINUTES), field)
    return minutes


def _clock_minute(value, field: str) -> int:
    text = str(value or "").strip()
    try:
        hours, minutes = (int(p) for p in text.split(":"))
    except ValueError:
        raise DomainError(_l("Enter a time as HH:MM."), field) from None
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise DomainError(_l("Enter a time as HH:MM."), field)
    return hours * 60 + minutes


@transactional
def update_settings(actor: User, estate: Estate, data: dict) -> WorkOrderSettings:
    """Set an estate's service targets (minutes) and working hours (HH:MM, start before end)."""
    row = settings(estate.id)
    before = audit.snapshot(row)
    values = {f: _minutes(data.get(f), f) for f in (
        "urgent_response_minutes", "urgent_completion_minutes",
        "normal_response_minutes", "normal_completion_minutes")}
    for priority in ("urgent", "normal"):
        if values[f"{priority}_response_minutes"] > values[f"{priority}_completion_minutes"]:
            raise DomainError(_l("The response target must not be longer than the completion "
                                 "target."), f"{priority}_response_minutes")
    start = _clock_minute(data.get("day_start"), "day_start")
    end = _clock_minute(data.get("day_end"), "day_end")
    if end <= start:
        raise DomainError(_l("The working day must end after it starts."), "day_end")
    for name, value in values.items():
        setattr(row, name, value)
    row.working_hours = bool(data.get("working_hours"))
    row.day_start_minute, row.day_end_minute = start, end
    db.session.flush()
    audit.record(actor, "update", row, object_id=estate.id, estate_id=estate.id, before=before,
                 after=audit.snapshot(row))
    return row


# the crew ---------------------------------------------------------------------------------------


def engineer_users(estate_id: int) -> list[User]:
    """Return the active users holding the engineering role in an estate, by name."""
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .join(UserRole, sa.and_(UserRole.user_id == User.id,
                                UserRole.estate_id == Membership.estate_id))
        .where(Membership.estate_id == estate_id, UserRole.role == "engineering",
               User.active.is_(True))
        .order_by(User.full_name, User.id)).unique())


def profile(estate_id: int, user: User) -> Engineer:
    """Return an engineer's profile in an estate, made on first use."""
    row = db.session.scalar(sa.select(Engineer).where(Engineer.estate_id == estate_id,
                                                      Engineer.user_id == user.id))
    if row is None:
        row = Engineer(estate_id=estate_id, user_id=user.id, team="", skills=[], on_duty=True,
                       is_lead=False)
        db.session.add(row)
        db.session.flush()
    return row


def crew(estate_id: int) -> list[Engineer]:
    """Return the profiles of an estate's engineers (every engineering user), by name.

    Two queries whatever the size of the crew; missing profiles are made (flushed)."""
    users = engineer_users(estate_id)
    rows = {p.user_id: p for p in db.session.scalars(sa.select(Engineer).where(
        Engineer.estate_id == estate_id, Engineer.user_id.in_([u.id for u in users])))}
    return [rows.get(u.id) or profile(estate_id, u) for u in users]


def is_engineer(estate_id: int, user: User) -> bool:
    return user.has_role("engineering", estate_id=estate_id)


@transactional
def update_engineer(actor: User, estate: Estate, user: User, data: dict) -> Engineer:
    """Set an engineer's team, skills (category names of the estate), on-duty and lead flags."""
    if not is_engineer(estate.id, user):
        raise DomainError(_l("This person is not an engineer of the estate."))
    row = profile(estate.id, user)
    before = audit.snapshot(row)
    known = {c.name for c in categories(estate.id, active_only=False)}
    skills = [s for s in data.get("skills") or [] if s]
    unknown = [s for s in skills if s not in known]
    if unknown:
        raise DomainError(_l("Unknown category: %(name)s.", name=unknown[0]), "skills")
    row.team = clean_text(data.get("team"), "team", _l("Team"), required=False, max_len=32)
    row.skills = sorted(set(skills), key=skills.index)
    row.on_duty = bool(data.get("on_duty"))
    row.is_lead = bool(data.get("is_lead"))
    db.session.flush()
    audit.record(actor, "update", row, before=before, after=audit.snapshot(row))
    return row


def may_dispatch(actor: User, estate_id: int) -> bool:
    """Tell whether a user dispatches orders: the desk, a manager, or an engineering lead."""
    if actor.has_role("frontdesk", "manager", estate_id=estate_id):
        return True
    if not is_engineer(estate_id, actor):
        return False
    row = db.session.scalar(sa.select(Engineer).where(Engineer.estate_id == estate_id,
                                                      Engineer.user_id == actor.id))
    return bool(row and row.is_lead)
