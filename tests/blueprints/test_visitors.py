"""The visitor log: in and out, who is still inside, only the ID's last four kept, the purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, Visit
from tests import factories
from tests.conftest import count

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
GOOD = {"name": "李四", "id_tail": "123X", "phone": "13900002222", "unit_code": "3-2-1502",
        "purpose": "探亲", "note": ""}


@pytest.fixture
def clock(app):
    app.config["FRONTDESK_NOW"] = NOW
    return app.config


def test_a_visitor_in_and_out(world, db, desk, clock):
    page = desk.get("/visitors/new").get_data(as_text=True)
    assert "只保存后四位" in page
    r = desk.post("/visitors/new", data=GOOD)
    assert r.status_code == 302
    v = db.session.scalars(sa.select(Visit)).one()
    assert (v.name, v.id_tail, v.unit_id, v.in_at, v.out_at) == ("李四", "123X", world.unit.id,
                                                                 NOW, None)
    assert v.received_by_id == world.users["frontdesk"].id
    inside = desk.get("/visitors/").get_data(as_text=True)
    assert "李四" in inside.split('id="visitors-inside"')[1].split("</table>")[0]
    clock["FRONTDESK_NOW"] = NOW + timedelta(hours=1)
    assert desk.post(f"/visitors/{v.id}/out").status_code == 302
    db.session.expire_all()
    assert v.out_at == NOW + timedelta(hours=1)
    page = desk.get("/visitors/").get_data(as_text=True)
    assert "李四" not in page.split('id="visitors-inside"')[1].split("</table>")[0]
    assert "李四" in page.split('id="visitors-day"')[1]
    # out twice: a clear message, nothing written
    events = db.session.query(AuditEvent).count()
    r = desk.post(f"/visitors/{v.id}/out", follow_redirects=True)
    assert "已经登记离开" in r.get_data(as_text=True)
    db.session.expire_all()
    assert v.out_at == NOW + timedelta(hours=1)
    assert db.session.query(AuditEvent).count() == events


def test_a_full_id_number_keeps_only_its_last_four(world, db, desk, clock):
    r = desk.post("/visitors/new", data={**GOOD, "id_tail": "11010119900307447X"})
    assert r.status_code == 302
    v = db.session.scalars(sa.select(Visit)).one()
    assert v.id_tail == "447X"
    stored = db.session.execute(sa.text("SELECT * FROM visit")).one()
    assert "110101" not in repr(stored)
    audit = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "visit")).one()
    assert "110101" not in repr(audit.after)
    # a failed form shows at most the last four again
    r = desk.post("/visitors/new", data={**GOOD, "id_tail": "110101199003074477", "name": ""})
    assert r.status_code == 422
    assert "110101199003074477" not in r.get_data(as_text=True)


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "访客姓名"), ({"purpose": ""}, "来访事由"), ({"id_tail": "12"}, "后四位"),
    ({"id_tail": "abcd"}, "后四位"), ({"phone": "12345"}, ""),
    ({"unit_code": "9-9-9999"}, "9-9-9999"), ({"name": "x" * 65}, "64"),
])
def test_bad_visits_write_nothing(world, db, desk, clock, changes, message):
    r = desk.post("/visitors/new", data={**GOOD, **changes})
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert count(db, Visit) == 0


def test_markup_is_kept_as_text(world, db, desk, clock):
    assert desk.post("/visitors/new", data={**GOOD, "name": "<b>王</b>",
                                            "purpose": "' OR 1=1 --"}).status_code == 302
    page = desk.get("/visitors/").get_data(as_text=True)
    assert "&lt;b&gt;王&lt;/b&gt;" in page and "<b>王</b>" not in page


def test_another_estates_visits_are_404(world, db, desk, clock):
    stranger = factories.user("frontdesk", [world.other_estate], username="b_desk")
    theirs = factories.visit(world.other_estate, stranger, NOW, name="别家访客")
    db.session.commit()
    assert desk.post(f"/visitors/{theirs.id}/out").status_code == 404
    assert "别家访客" not in desk.get("/visitors/").get_data(as_text=True)
    assert db.session.get(Visit, theirs.id).out_at is None


def test_the_purge_deletes_old_visits_and_is_audited(app, world, db, runner, clock):
    fd = world.users["frontdesk"]
    old = factories.visit(world.estate, fd, NOW - timedelta(days=181), name="旧访客")
    factories.visit(world.estate, fd, NOW - timedelta(days=179), name="近访客")
    factories.visit(world.other_estate, fd, NOW - timedelta(days=400), name="别家旧访客")
    db.session.commit()
    old_id = old.id
    result = runner.invoke(args=["purge-visitors"])
    assert result.exit_code == 0, result.output
    assert "Purged 2 visitor records" in result.output
    db.session.expire_all()
    assert db.session.get(Visit, old_id) is None
    assert [v.name for v in db.session.scalars(sa.select(Visit))] == ["近访客"]
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "purge")
                                .order_by(AuditEvent.estate_id)).all()
    cutoff = (NOW - timedelta(days=180)).isoformat()
    assert [(e.estate_id, e.after["count"], e.after["cutoff"]) for e in events] == [
        (world.estate.id, 1, cutoff), (world.other_estate.id, 1, cutoff)]
    # a shorter retention from the config
    app.config["FRONTDESK_VISITOR_RETENTION_DAYS"] = 30
    assert "Purged 1 visitor records" in runner.invoke(args=["purge-visitors"]).output
    assert count(db, Visit) == 0
    assert runner.invoke(args=["purge-visitors", "--days", "0"]).exit_code != 0
