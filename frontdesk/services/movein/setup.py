"""An estate's move-in setup: the inspection checklist (rooms × items) and the first fees.

The checklist is kept as text, one room a line: ``客厅：墙面、地面、门窗、水电``. Finance or the
manager edit it; a new estate starts from the default:
客厅/卧室/厨房/卫生间/阳台 × 墙面/地面/门窗/水电.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Estate, FeeItem, MoveinSettings, User
from frontdesk.models.movein import DEFAULT_ITEMS, DEFAULT_ROOMS
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees import payments

MAX_ROOMS = 20
MAX_ITEMS = 20
MAX_NAME = 32
_SPLIT = re.compile(r"[、,，;；/\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def default_checklist() -> list[dict]:
    return [{"room": room, "items": list(DEFAULT_ITEMS)} for room in DEFAULT_ROOMS]


def settings_of(estate_id: int) -> MoveinSettings:
    """Return the estate's setup, the defaults when it has none yet (not stored)."""
    row = db.session.get(MoveinSettings, estate_id)
    if row is None:
        row = MoveinSettings(estate_id=estate_id, checklist=default_checklist(),
                             fee_item_id=None, prepaid_months=12,
                             decoration_deposit=Decimal("2000.00"))
    return row


def checklist_text(checklist: list[dict]) -> str:
    """Write a checklist as the text the setup form edits."""
    return "\n".join(f"{r['room']}：{'、'.join(r['items'])}" for r in checklist)


def parse_checklist(text: str) -> list[dict]:
    """Read the checklist text: one room a line, ``room：item、item``; refuse what is wrong."""
    rooms: list[dict] = []
    for n, line in enumerate(unicodedata.normalize("NFKC", text or "").splitlines(), 1):
        line = _CONTROL.sub("", line).strip()
        if not line:
            continue
        if ":" not in line:
            raise DomainError(_l("Line %(n)s: write the room, a colon, then its items, e.g. "
                                 "客厅：墙面、地面.", n=n), "checklist")
        room, _, rest = line.partition(":")
        room = room.strip()
        items = [i for i in _SPLIT.split(rest) if i]
        if not room or not items:
            raise DomainError(_l("Line %(n)s: a room needs a name and at least one item.", n=n),
                              "checklist")
        if len(room) > MAX_NAME or any(len(i) > MAX_NAME for i in items):
            raise DomainError(_l("Line %(n)s: names have at most %(max)s characters.", n=n,
                                 max=MAX_NAME), "checklist")
        if len(items) > MAX_ITEMS or len(set(items)) != len(items):
            raise DomainError(_l("Line %(n)s: at most %(max)s items, each once.", n=n,
                                 max=MAX_ITEMS), "checklist")
        if any(r["room"] == room for r in rooms):
            raise DomainError(_l("Line %(n)s: the room %(room)s is listed twice.", n=n,
                                 room=room), "checklist")
        rooms.append({"room": room, "items": items})
    if not rooms:
        raise DomainError(_l("The checklist needs at least one room."), "checklist")
    if len(rooms) > MAX_ROOMS:
        raise DomainError(_l("The checklist has at most %(max)s rooms.", max=MAX_ROOMS),
                          "checklist")
    return rooms


def area_items(estate_id: int) -> list[FeeItem]:
    """Return the estate's active fee items by area (the management fee's candidates)."""
    return list(db.session.scalars(sa.select(FeeItem).where(
        FeeItem.estate_id == estate_id, FeeItem.method == "area", FeeItem.active.is_(True))
        .order_by(FeeItem.code)))


@transactional
def save_settings(actor: User, estate: Estate, data: dict) -> MoveinSettings:
    """Change the checklist, the management fee item, the months and the deposit proposed."""
    checklist = parse_checklist(data.get("checklist") or "")
    months = data.get("prepaid_months")
    if not isinstance(months, int) or not 1 <= months <= 36:
        raise DomainError(_l("The months paid in advance are a whole number from 1 to 36."),
                          "prepaid_months")
    deposit = data.get("decoration_deposit")
    deposit = Decimal("0.00") if deposit in (None, "") else payments.check_amount(
        deposit, "decoration_deposit")
    item_id = data.get("fee_item_id") or None
    if item_id is not None and item_id not in {i.id for i in area_items(estate.id)}:
        raise DomainError(_l("Choose a fee item by area of this estate."), "fee_item_id")
    row = db.session.get(MoveinSettings, estate.id)
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = MoveinSettings(estate_id=estate.id)
        db.session.add(row)
    row.checklist = checklist
    row.prepaid_months = months
    row.decoration_deposit = deposit
    row.fee_item_id = item_id
    db.session.flush()
    audit.record(actor, "update" if before else "create", row, object_id=estate.id,
                 estate_id=estate.id, before=before, after=audit.snapshot(row))
    return row
