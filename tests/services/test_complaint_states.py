"""The table of a complaint's transitions: every (state, action) pair not in it is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frontdesk.models import ComplaintStep
from frontdesk.models.complaints import STATES
from frontdesk.services import DomainError
from frontdesk.services.complaints import complaints, states
from tests import factories

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
#: the data each action needs to pass its own checks
DATA = {"investigate": {"note": "查明"}, "propose": {"note": "道歉", "compensation": "100"},
        "approve": {"note": ""}, "send_back": {"note": "补偿过高"},
        "agree": {"note": "业主同意"}, "carry_out": {"note": "已处理"},
        "callback": {"satisfaction": "5"}, "reopen": {"satisfaction": "1", "comment": "仍有噪音"}}
EXPECTED = {
    ("registered", "investigate"): "investigated",
    ("investigated", "propose"): "proposed",
    ("proposed", "approve"): "approved",
    ("proposed", "send_back"): "investigated",
    ("approved", "agree"): "agreed",
    ("agreed", "carry_out"): "carried_out",
    ("carried_out", "callback"): "closed",
    ("carried_out", "reopen"): "agreed",
}


def test_the_table_is_the_seven_steps():
    assert {(t.source, t.action): t.target for t in states.TRANSITIONS.values()} == EXPECTED
    assert {t.action for t in states.TRANSITIONS.values() if t.actor == "manager"} == {
        "approve", "send_back"}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(DATA))
def test_every_pair_of_state_and_action(world, db, state, action):
    manager = world.users["manager"]
    c = factories.complaint(world.estate, world.users["frontdesk"], state=state, unit=world.unit)
    db.session.commit()
    verb = "callback" if action == "reopen" else action
    steps = db.session.query(ComplaintStep).count()
    if (state, action) in EXPECTED:
        complaints.take_step(manager, c, verb, DATA[action], NOW)
        assert c.state == EXPECTED[(state, action)]
        assert db.session.query(ComplaintStep).count() == steps + 1
    else:
        with pytest.raises(DomainError):
            complaints.take_step(manager, c, verb, DATA[action], NOW)
        db.session.expire_all()
        assert c.state == state
        assert db.session.query(ComplaintStep).count() == steps


def test_an_unknown_action_is_refused(world, db):
    c = factories.complaint(world.estate, world.users["frontdesk"])
    db.session.commit()
    for action in ("close", "register", "", "delete"):
        with pytest.raises(DomainError):
            complaints.take_step(world.users["manager"], c, action, {"note": "x"}, NOW)
    assert c.state == "registered"


def test_the_first_reply_is_due_at_the_end_of_the_local_day(world):
    # 2026-11-20 23:30 in Shanghai is 15:30 UTC: due at midnight local, 16:00 UTC
    due = complaints.reply_due(world.estate, datetime(2026, 11, 20, 15, 30, tzinfo=UTC))
    assert due == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    # 00:10 local on the 21st (16:10 UTC on the 20th): due at the end of the 21st
    due = complaints.reply_due(world.estate, datetime(2026, 11, 20, 16, 10, tzinfo=UTC))
    assert due == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
