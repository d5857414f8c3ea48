"""Intake under concurrent submits on PostgreSQL: one form's key sent ten times at once makes one
order; the other nine find it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db as _db
from frontdesk.models import Estate, User, WorkOrder, WorkOrderStep
from frontdesk.services.workorders import crew, orders
from tests.concurrency import run_together

pytestmark = pytest.mark.postgres

THREADS = 10
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def _submit(actor_id: int, estate_id: int, data: dict):
    def attempt(barrier):
        actor = _db.session.get(User, actor_id)
        estate = _db.session.get(Estate, estate_id)
        _db.session.commit()  # loaded; no transaction is held at the barrier
        barrier.wait(timeout=30)
        return orders.report(actor, estate, data, NOW).id
    return attempt


def test_ten_submits_of_one_intake_form_at_once_make_one_order(app, db, world):
    category = crew.categories(world.estate.id)[0]
    db.session.commit()
    data = {"source": "来访", "reporter_name": "张三", "reporter_phone": "13812345678",
            "unit_id": world.unit.id, "category_id": category.id, "description": "漏水",
            "intake_key": "b" * 32}
    ids = run_together([_submit(world.users["frontdesk"].id, world.estate.id, data)
                        for _ in range(THREADS)], app)
    assert len(set(ids)) == 1, ids
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(WorkOrder.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(WorkOrderStep.id))) == 1
