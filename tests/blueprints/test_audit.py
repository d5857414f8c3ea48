"""The audit trail: every change is recorded, the page filters, and events cannot be changed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent
from frontdesk.models.audit import AuditIsAppendOnly


def _edit_unit(desk, world, area="91.00"):
    return desk.post(f"/register/units/{world.unit.id}/edit", data={
        "entrance": "2", "floor": "15", "room": "1502", "gross_area": area, "inner_area": "72.30",
        "usage": "住宅", "status": "已入住"})


def test_a_change_records_who_what_before_and_after(desk, db, world):
    assert _edit_unit(desk, world).status_code == 302
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "unit",
                                                          AuditEvent.action == "update"))
    assert event.user_name == "frontdesk" and event.object_id == world.unit.id
    assert event.before == {"gross_area": "89.50", "status": "未交房"}
    assert event.after == {"gross_area": "91.00", "status": "已入住"}
    assert event.estate_id == world.estate.id and event.at.tzinfo is not None


def test_audit_page_filters_by_object_and_user(desk, manager, db, world):
    _edit_unit(desk, world)
    page = manager.get("/audit/", query_string={"object_type": "unit",
                                                "object_id": world.unit.id}).text
    assert "建筑面积" in page and "91.00" in page
    other_user = world.users["manager"].id
    page = manager.get("/audit/", query_string={"user_id": other_user}).text
    assert "91.00" not in page


def test_audit_page_shows_nothing_of_other_estates(manager, db, world):
    db.session.add(AuditEvent(estate_id=world.other_estate.id, object_type="unit", object_id=1,
                              action="update", user_name="secret-user", after={"x": "1"}))
    db.session.commit()
    assert "secret-user" not in manager.get("/audit/").text


def test_audit_events_cannot_be_changed_or_deleted(db, desk, world):
    _edit_unit(desk, world)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "update"))
    event.action = "nothing happened"
    with pytest.raises(AuditIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditIsAppendOnly):
        db.session.delete(db.session.get(AuditEvent, event.id))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditIsAppendOnly):
        db.session.execute(sa.delete(AuditEvent))
    db.session.rollback()
    with pytest.raises(AuditIsAppendOnly):
        db.session.execute(sa.update(AuditEvent).values(action="x"))
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == "update"


def test_refused_change_writes_no_audit_event(desk, db, world):
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    assert _edit_unit(desk, world, area="-1").status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before
