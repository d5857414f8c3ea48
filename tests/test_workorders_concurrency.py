"""Work orders under concurrent requests on PostgreSQL: of two phones accepting, one wins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db as _db
from frontdesk.models import User, WorkOrder, WorkOrderStep
from frontdesk.services import DomainError
from frontdesk.services.workorders import orders
from tests import factories
from tests.concurrency import run_together

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def _accept(actor_id: int, order_id: int):
    def attempt(barrier):
        actor = _db.session.get(User, actor_id)
        order = _db.session.get(WorkOrder, order_id)
        assert order.state == "dispatched"  # both phones show the order waiting
        _db.session.commit()  # loaded; no transaction is held at the barrier
        barrier.wait(timeout=30)
        try:
            orders.accept(actor, order, NOW)
        except DomainError as e:
            return ("refused", str(e))
        return ("accepted", order_id)
    return attempt


@pytest.mark.parametrize("phones", [2, 10])
def test_of_phones_accepting_one_order_at_once_exactly_one_wins(app, db, world, phones):
    engineer = factories.engineer(world.estate, "phone_eng", team="水电组")
    order = factories.work_order(world.estate, world.users["frontdesk"], state="dispatched",
                                 unit=world.unit, assignee=engineer, team="水电组")
    db.session.commit()
    results = run_together([_accept(engineer.id, order.id) for _ in range(phones)], app)
    won = [r for r in results if r[0] == "accepted"]
    refused = [r for r in results if r[0] == "refused"]
    assert len(won) == 1 and len(refused) == phones - 1, results
    assert {message for _, message in refused} == {"工单当前为“已接单”，不能执行此操作。"}
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).state == "accepted"
    assert db.session.scalar(sa.select(sa.func.count(WorkOrderStep.id))
                             .where(WorkOrderStep.action == "accept")) == 1


def test_two_engineers_taking_one_team_order_at_once_give_it_to_one(app, db, world):
    a = factories.engineer(world.estate, "eng_a", team="水电组")
    b = factories.engineer(world.estate, "eng_b", team="水电组")
    order = factories.work_order(world.estate, world.users["frontdesk"], state="pending",
                                 unit=world.unit, team="水电组")
    db.session.commit()

    def take(actor_id):
        def attempt(barrier):
            actor = _db.session.get(User, actor_id)
            target = _db.session.get(WorkOrder, order.id)
            _db.session.commit()
            barrier.wait(timeout=30)
            try:
                orders.take(actor, target, NOW)
            except DomainError:
                return None
            return actor_id
        return attempt

    results = run_together([take(a.id), take(b.id)], app)
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).assignee_id == winners[0]
