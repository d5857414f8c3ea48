"""Two handovers of one shift at once on PostgreSQL: one locks it, the other is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db as _db
from frontdesk.models import ChainEntry, DutyHandoverItem, DutyShift, User
from frontdesk.services import DomainError, chain
from frontdesk.services.duty import entries, handover, shifts
from tests import factories
from tests.concurrency import run_together

pytestmark = pytest.mark.postgres

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 local, the 白班
LATER = datetime(2026, 12, 1, 9, 20, tzinfo=UTC)


def _hand_over(actor_id: int, shift_id: int, n: int):
    def attempt(barrier):
        actor = _db.session.get(User, actor_id)
        shift = _db.session.get(DutyShift, shift_id)
        _db.session.commit()  # loaded; no transaction is held at the barrier
        barrier.wait(timeout=30)
        try:
            handover.hand_over(actor, shift, {"notes": f"第 {n} 次交班", "cash_counted": "0"},
                               incoming_username="night", incoming_password=factories.PASSWORD,
                               now=LATER)
        except DomainError as e:
            return ("refused", str(e))
        return ("locked", n)
    return attempt


def test_two_handovers_of_one_shift_at_once_give_one_lock(app, db, world):
    desk = world.users["frontdesk"]
    factories.user("frontdesk", [world.estate], username="night", full_name="夜班乙")
    db.session.commit()
    entries.add_entry(desk, world.estate, {"kind": "巡查", "at": AT, "content": "巡查"}, AT)
    shift = shifts.shift_at(world.estate, AT, desk, AT)
    db.session.commit()
    results = run_together([_hand_over(desk.id, shift.id, n) for n in range(2)], app)
    locked = [r for r in results if r[0] == "locked"]
    refused = [r for r in results if r[0] == "refused"]
    assert len(locked) == 1 and len(refused) == 1, results
    assert "已交接" in refused[0][1]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(DutyHandoverItem.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(ChainEntry.id))
                             .where(ChainEntry.chain == "duty_shifts")) == 1
    assert chain.verify("duty_shifts").ok
