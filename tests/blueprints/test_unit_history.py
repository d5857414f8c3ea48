"""The unit card's 历史 tab: payments, receipts, voids, refunds, key loans and resident changes
of the unit, named and labelled, in the estate's local time."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, KeyLoan, Receipt
from frontdesk.services.periods import estate_today
from tests import factories

D = Decimal
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def bill(world, db):
    line = factories.bill_line(world.unit, factories.fee_item(world.estate), explanation="物业费",
                               due=estate_today(world.estate) - timedelta(days=20))
    db.session.commit()
    return line


@pytest.fixture
def key(world, db, app):
    app.config["FRONTDESK_NOW"] = NOW
    k = factories.key(world.estate, world.unit)
    db.session.commit()
    return k


def history(client, unit) -> str:
    """Return the text of the unit card's history table, tags left out."""
    page = client.get(f"/desk/units/{unit.id}").text
    table = re.search(r'<table[^>]*id="unit-history".*?</table>', page, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table))


def test_history_lists_payments_receipts_voids_and_refunds(desk, as_role, world, db, bill):
    r = desk.post(f"/payments/units/{world.unit.id}/new", data={
        "amount": "300.00", "method": "wechat", "purpose": "bills", "payer": "张三",
        "reference": "4200009999", "idempotency_key": secrets.token_hex(16)})
    assert r.status_code == 302
    receipt = db.session.scalar(sa.select(Receipt))
    finance = as_role("finance")
    assert finance.post(f"/payments/receipts/{receipt.id}/void",
                        data={"reason": "收错房号"}).status_code == 302
    r = desk.post(f"/payments/units/{world.unit.id}/new", data={
        "amount": "50.00", "method": "cash", "purpose": "prepaid", "payer": "张三",
        "idempotency_key": secrets.token_hex(16)})
    assert r.status_code == 302
    assert desk.post(f"/payments/units/{world.unit.id}/refunds/new", data={
        "source": "prepaid", "amount": "20.00", "method": "cash",
        "reason": "业主要求退回"}).status_code == 302

    table = history(desk, world.unit)
    for words in (receipt.number, "收款", "收据", "开具", "作废", "收错房号", "退款", "申请",
                  "业主要求退回", "收款方式", "微信", "交易单号", "4200009999", "预存款",
                  "frontdesk测试", "finance测试"):
        assert words in table, words
    # labelled and local: no raw codes, no UTC ISO times
    for raw in ("wechat", "method", "voided", "T0", "+00:00", "#"):
        assert raw not in table, raw
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "receipt",
                                                          AuditEvent.action == "void"))
    local = event.at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert local in table


def test_history_lists_key_loans_and_returns(desk, world, db, key, app):
    owner = f"owner:{world.person.id}"
    r = desk.post(f"/keys/{key.id}/lend", data={
        "borrower": owner, "purpose": "忘带钥匙", "expected_return_at": "2026-11-20 18:00"})
    assert r.status_code == 302, r.text[:2000]
    loan = db.session.scalar(sa.select(KeyLoan))
    app.config["FRONTDESK_NOW"] = NOW + timedelta(hours=3)
    assert desk.post(f"/keys/loans/{loan.id}/return", data={
        "returned_at": "2026-11-20 12:45", "condition": "完好"}).status_code == 302

    table = history(desk, world.unit)
    for words in ("钥匙借用", "JY2026-000001", "K-3-2-1502-01", "借出", "归还", "张三",
                  "忘带钥匙", "在柜 → 借出", "借出 → 在柜", "2026-11-20 10:00",
                  "2026-11-20 12:45", "完好"):
        assert words in table, words
    assert "on_loan" not in table and "in_cabinet" not in table
    assert loan.hash not in table and "13812345678" not in table


def test_history_lists_resident_changes(desk, world, db):
    assert desk.post(f"/register/occupancies/{world.occupancy.id}/end",
                     data={"end_date": "2026-11-30"}).status_code == 302
    assert desk.post(f"/register/units/{world.unit.id}/edit", data={
        "entrance": "2", "floor": "15", "room": "1502", "gross_area": "91.00",
        "inner_area": "72.30", "usage": "住宅", "status": "空置"}).status_code == 302
    table = history(desk, world.unit)
    assert "住户" in table and "张三" in table and "结束日期" in table and "2026-11-30" in table
    assert "建筑面积" in table and "89.50 → 91.00" in table and "空置" in table
    assert "gross_area" not in table and "end_date" not in table
