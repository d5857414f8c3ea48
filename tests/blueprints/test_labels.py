"""Chinese screens show labels, not codes: the audit log and a key's changes give translated
field and value labels before → after in local time; roles name their rights; the bulk key form
speaks Chinese; late fees read as per cent."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk import labels
from frontdesk.models import Key, KeyLoan
from frontdesk.permissions import PERMISSIONS
from tests import factories
from tests.conftest import login

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def text_of(html: str) -> str:
    """Return a page's text: tags left out, runs of white space as one space."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def table(page: str, table_id: str) -> str:
    return text_of(re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0))


@pytest.fixture
def lost_loan(world, db, app, desk):
    """A key lent to its owner at 10:00 local time and then reported lost."""
    app.config["FRONTDESK_NOW"] = NOW
    key = factories.key(world.estate, world.unit)
    db.session.commit()
    assert desk.post(f"/keys/{key.id}/lend", data={
        "borrower": f"owner:{world.person.id}", "purpose": "忘带钥匙",
        "expected_return_at": "2026-11-20 18:00"}).status_code == 302
    assert desk.post(f"/keys/{key.id}/lost", data={"circumstances": "业主丢失"}
                     ).status_code == 302
    return key, db.session.scalar(sa.select(KeyLoan))


RAW = ("on_loan", "in_cabinet", "status", "lent_at", "borrower_kind", "T02:00", "+00:00",
       "2026-11-20 02:00")


def test_the_audit_log_shows_labelled_values_before_and_after_in_local_time(manager,
                                                                            lost_loan):
    key, loan = lost_loan
    page = text_of(manager.get("/audit/").text)
    assert "状态：借出 → 遗失" in page
    assert "借出时间" in page and "2026-11-20 10:00" in page and "业主" in page
    assert f"钥匙借用 JY2026-000001 · {key.tag}" in page and "frontdesk测试" in page
    for raw in RAW:
        assert raw not in page, raw
    assert loan.hash not in page and loan.hash[:12] in page


def test_the_keys_changes_are_labelled_too(desk, lost_loan):
    key, loan = lost_loan
    changes = table(desk.get(f"/keys/{key.id}").text, "key-events")
    assert "借出 → 遗失" in changes and "在柜 → 借出" in changes
    assert "遗失报告" in changes and "业主丢失" in changes and "2026-11-20 10:00" in changes
    for raw in RAW:
        assert raw not in changes, raw
    assert loan.hash not in changes and "#" not in changes


def test_english_users_read_the_same_in_english(app, db, world, lost_loan):
    key, _loan = lost_loan
    client = app.test_client()
    world.users["manager"].locale = "en"
    db.session.commit()
    assert login(client, "manager").status_code == 302
    changes = table(client.get(f"/keys/{key.id}").text, "key-events")
    assert "Status: On loan → Lost" in changes and "on_loan" not in changes


def test_roles_name_their_rights_not_permission_codes(admin):
    page = admin.get("/admin/roles").text
    assert "业务受理和查询" in page and "收款" in page and "批准钥匙借用" in page
    assert "desk.use" not in page and "keys.approve" not in page
    assert set(labels.PERMISSION_LABELS) >= set(PERMISSIONS)


def test_the_bulk_key_form_shows_and_takes_chinese_placeholders(desk, world, db):
    page = desk.get("/keys/bulk").text
    assert "{房屋编号}-{类型代码}-{序号}" in page and "3-2-1502-RHM-01" in page
    assert "{code}" not in page and "{kind_code}" not in page
    r = desk.post("/keys/bulk", data={
        "building_id": world.building.id, "kind": "入户门", "per_unit": "2",
        "pattern": "{房屋编号}-{类型代码}-{序号}", "cabinet": "A", "copies": "1"})
    assert r.status_code == 302, r.text[:2000]
    assert sorted(db.session.scalars(sa.select(Key.tag))) == ["3-2-1502-RHM-01",
                                                              "3-2-1502-RHM-02"]


def test_late_fee_rules_read_as_per_cent(as_role, world, db):
    item = factories.fee_item(world.estate, late_grace_days=30,
                              late_daily_rate=Decimal("0.0005"), late_cap_ratio=Decimal("0.1"),
                              vacancy_discount=Decimal("0.3"))
    db.session.commit()
    page = text_of(as_role("finance").get(f"/fees/items/{item.id}").text)
    assert "每天按欠费金额的 0.05 % 计收" in page and "最高为欠费金额的 10 %" in page
    assert "30 %" in page and "0.0005" not in page


def test_percent_and_change_labels():
    assert labels.percent(Decimal("0.0005"), per_day=True) == "0.05 %/day"
    assert labels.percent("1") == "100 %"
    rows = labels.changes("key", {"status": "on_loan"}, {"status": "lost"}, "Asia/Shanghai")
    assert [(r.label, r.before, r.after) for r in rows] == [("Status", "On loan", "Lost")]
    rows = labels.changes("key_loan", None, {"lent_at": "2026-11-20T02:00:00.000000Z",
                                             "hash": "a" * 64, "note": "", "content": {}},
                          "Asia/Shanghai")
    assert [(r.field, r.after) for r in rows] == [("lent_at", "2026-11-20 10:00"),
                                                  ("hash", "a" * 12 + "…")]


def test_every_audited_field_of_the_new_areas_has_a_label():
    """The audit log names each field of work orders, complaints and visits in words."""
    from frontdesk import labels
    from frontdesk.models import (
        Complaint,
        Engineer,
        Visit,
        WorkOrder,
        WorkOrderCategory,
        WorkOrderCost,
        WorkOrderPhoto,
    )

    missing = [f"{m.__tablename__}.{c.key}"
               for m in (WorkOrder, Complaint, Visit, WorkOrderCost, Engineer,
                         WorkOrderCategory, WorkOrderPhoto)
               for c in m.__table__.columns
               if c.key not in labels.FIELD_LABELS and c.key not in labels.HIDDEN_FIELDS
               and (m.__tablename__, c.key) not in labels.OBJECT_FIELD_LABELS]
    assert missing == []
