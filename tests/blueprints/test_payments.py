"""Payments at the desk: allocation, prepaid balance, late fees, receipts, voids, refunds."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.models import (
    Allocation,
    AuditEvent,
    BillLine,
    Deposit,
    FeeItem,
    Payment,
    PrepaidEntry,
    Receipt,
    ReceiptCounter,
    Refund,
)
from frontdesk.services.chain import verify
from frontdesk.services.fees import bill_queries, late_fees, payments, refunds
from frontdesk.services.periods import estate_today
from tests import factories
from tests.conftest import count, monthly_line, pay, receipt_id
from tests.factories import fee_item
from tests.pdf_text import pdf_text

D = Decimal


# --- test data: bills and the payment helpers are in tests/conftest.py -----------------------


@pytest.fixture
def late_bills(world, db, today):
    """Bills of an item with 10 grace days, 0.05 % a day and a cap of 10 % of the principal."""
    item = fee_item(world.estate, code="WYL", late_grace_days=10,
                    late_daily_rate=D("0.0005"), late_cap_ratio=D("0.1"))
    old = monthly_line(world.unit, item, "2024-02", "210.33", today - timedelta(days=1000))
    late = monthly_line(world.unit, item, "2026-09", "210.33", today - timedelta(days=40))
    grace = monthly_line(world.unit, item, "2026-10", "210.33", today - timedelta(days=8))
    db.session.commit()
    return old, late, grace


def settled(db, line) -> Decimal:
    db.session.expire_all()
    return db.session.get(BillLine, line.id).settled


# --- allocation and prepaid balance ----------------------------------------------------------


def test_payment_goes_to_the_oldest_bills_first(desk, world, db, bills, today):
    rid = receipt_id(pay(desk, world.unit, "300.00"))
    assert [settled(db, ln) for ln in bills] == [D("210.33"), D("89.67"), D("0.00")]
    receipt = db.session.get(Receipt, rid)
    assert receipt.number == f"SJ{today.year}-000001"
    assert receipt.amount == D("300.00")
    assert [ln["amount"] for ln in receipt.content["lines"]] == ["210.33", "89.67"]
    assert bill_queries.prepaid_balance(world.unit.id) == 0
    page = desk.get(f"/payments/receipts/{rid}").text
    assert receipt.number in page and "3-2-1502" in page and "叁佰元整" in page


def test_payment_goes_only_to_the_ticked_bills(desk, world, db, bills):
    receipt_id(pay(desk, world.unit, "420.66", lines=[bills[1].id, bills[2].id]))
    assert [settled(db, ln) for ln in bills] == [D("0.00"), D("210.33"), D("210.33")]


def test_overpayment_becomes_prepaid_balance(desk, world, db, bills):
    rid = receipt_id(pay(desk, world.unit, "700.00"))
    assert all(settled(db, ln) == D("210.33") for ln in bills)
    assert bill_queries.prepaid_balance(world.unit.id) == D("69.01")
    entry = db.session.scalar(sa.select(PrepaidEntry))
    assert (entry.kind, entry.amount) == ("payment", D("69.01"))
    lines = db.session.get(Receipt, rid).content["lines"]
    assert lines[-1]["item"] == "预存款" and lines[-1]["amount"] == "69.01"
    card = desk.get(f"/desk/units/{world.unit.id}").text
    assert "账单/缴费" in card and "69.01" in card


def test_prepaid_purpose_puts_everything_in_the_balance(desk, world, db, bills):
    receipt_id(pay(desk, world.unit, "1000", purpose="prepaid"))
    assert all(settled(db, ln) == 0 for ln in bills)
    assert bill_queries.prepaid_balance(world.unit.id) == D("1000.00")


def test_deposit_is_held_and_pays_no_bills(desk, world, db, bills):
    rid = receipt_id(pay(desk, world.unit, "2000", purpose="deposit", deposit_kind="装修押金"))
    assert all(settled(db, ln) == 0 for ln in bills)
    deposit = db.session.scalar(sa.select(Deposit))
    assert (deposit.kind, deposit.amount, deposit.refunded) == ("装修押金", D("2000.00"), 0)
    assert bill_queries.prepaid_balance(world.unit.id) == 0
    assert db.session.get(Receipt, rid).content["lines"][0]["item"] == "装修押金"
    r = pay(desk, world.unit, "2000", purpose="deposit")
    assert r.status_code == 422 and "请选择押金类别" in r.text


# --- late fees -------------------------------------------------------------------------------


def test_late_fee_with_grace_and_cap_is_charged_on_payment(desk, world, db, late_bills, today):
    old, late, grace = late_bills
    page = desk.get(f"/payments/units/{world.unit.id}/new").text
    assert "滞纳金 210.33 × 0.05% × 30 天 = 3.15" in page
    assert "封顶 21.03" in page  # 990 days would be 104.11; the cap is 10 % of 210.33
    assert "655.17" in page  # 3 × 210.33 + 21.03 + 3.15 + 0 within the grace period

    rid = receipt_id(pay(desk, world.unit, "655.17"))
    fees = db.session.scalars(sa.select(BillLine).where(BillLine.kind == "late_fee")
                              .order_by(BillLine.id)).all()
    assert [(f.corrects_id, f.amount, f.settled) for f in fees] == [
        (old.id, D("21.03"), D("21.03")), (late.id, D("3.15"), D("3.15"))]
    assert fees[1].explanation == "滞纳金 210.33 × 0.05% × 30 天 = 3.15"
    assert fees[1].due_date == today and fees[1].period == "2026-09"
    assert all(settled(db, ln) == D("210.33") for ln in late_bills)
    content = db.session.get(Receipt, rid).content
    assert content["late_fee_total"] == "24.18"
    assert [ln["item"] for ln in content["lines"]] == [
        "物业费滞纳金", "物业费", "物业费滞纳金", "物业费", "物业费"]
    assert late_fees.open_lines(world.unit, today) == []


def test_partial_payment_charges_the_late_fee_once(desk, world, db, late_bills, today):
    _old, late, _grace = late_bills
    receipt_id(pay(desk, world.unit, "100.00", lines=[late.id]))
    assert settled(db, late) == D("96.85")
    after = {ol.line.id: ol for ol in late_fees.open_lines(world.unit, today)}
    assert after[late.id].late_fee == 0  # charged up to today already
    # thirty days on, the rest runs up a fee from the day of the payment only
    later = {ol.line.id: ol for ol in late_fees.open_lines(world.unit, today + timedelta(30))}
    assert later[late.id].late_fee == D("1.70")  # 113.48 × 0.05 % × 30 = 1.70
    # never above the cap: 10 % of what is unpaid
    far = {ol.line.id: ol for ol in late_fees.open_lines(world.unit, today + timedelta(3000))}
    assert far[late.id].late_fee == D("11.35")


def test_manager_waives_a_late_fee_with_a_reason(manager, desk, world, db, late_bills, today):
    _old, late, _grace = late_bills
    url = f"/payments/lines/{late.id}/waive"
    assert desk.get(url).status_code == 403
    page = manager.get(url).text
    assert "3.15" in page
    r = manager.post(url, data={"reason": ""})
    assert r.status_code == 422 and "请说明原因" in r.text
    assert not db.session.get(BillLine, late.id).late_fee_waived
    r = manager.post(url, data={"reason": "业主长期出差，经主管同意减免"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(BillLine, late.id).late_fee_waived
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "waive_late_fee"))
    assert event.user_name == "manager" and event.object_id == late.id
    assert event.after["reason"] == "业主长期出差，经主管同意减免"
    assert event.after["late_fee"] == "3.15" and event.after["as_of"] == today.isoformat()
    again = manager.post(url, data={"reason": "again"})
    assert again.status_code == 422 and "已减免" in again.text

    receipt_id(pay(desk, world.unit, "210.33", lines=[late.id]))
    assert settled(db, late) == D("210.33")
    assert not db.session.scalar(sa.select(BillLine).where(BillLine.corrects_id == late.id))


# --- idempotency -----------------------------------------------------------------------------


def test_the_same_form_posted_twice_records_one_payment(desk, world, db, bills):
    page = desk.get(f"/payments/units/{world.unit.id}/new").text
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page).group(1)
    first = receipt_id(pay(desk, world.unit, "300.00", key=key))
    second = receipt_id(pay(desk, world.unit, "300.00", key=key))
    assert first == second
    assert count(db, Payment) == 1 and count(db, Receipt) == 1 and count(db, Allocation) == 2
    assert settled(db, bills[0]) == D("210.33") and settled(db, bills[1]) == D("89.67")


# --- voids -----------------------------------------------------------------------------------


def test_void_restores_the_lines_and_a_second_void_is_refused(as_role, desk, world, db,
                                                                late_bills):
    finance = as_role("finance")
    rid = receipt_id(pay(desk, world.unit, "500.00"))
    fee_lines = db.session.scalars(sa.select(BillLine).where(BillLine.kind == "late_fee")).all()
    assert len(fee_lines) == 2
    url = f"/payments/receipts/{rid}/void"
    assert desk.post(url, data={"reason": "收错户"}).status_code == 403
    r = finance.post(url, data={"reason": "  "})
    assert r.status_code == 422 and "请填写作废原因" in r.text
    assert db.session.get(Receipt, rid).voided_at is None

    r = finance.post(url, data={"reason": "收错户"})
    assert r.status_code == 302
    db.session.expire_all()
    receipt = db.session.get(Receipt, rid)
    assert receipt.voided_at is not None and receipt.void_reason == "收错户"
    assert receipt.voided_by_id == world.users["finance"].id
    assert receipt.number.endswith("-000001") and receipt.payment.voided
    assert all(settled(db, ln) == 0 for ln in [*late_bills, *fee_lines])
    # the late fees posted by the payment stay owed; the lines' fees run on from that day
    open_ = late_fees.open_lines(world.unit, estate_today(world.estate))
    assert sum(ol.total for ol in open_) == D("655.17")

    again = finance.post(url, data={"reason": "再次作废"})
    assert again.status_code == 422 and "已作废" in again.text
    db.session.expire_all()
    assert db.session.get(Receipt, rid).void_reason == "收错户"
    assert all(settled(db, ln) == 0 for ln in late_bills)
    assert verify().ok  # voiding is chained and holds


def test_void_is_refused_when_the_prepaid_it_added_was_used(as_role, desk, world, db, bills):
    rid = receipt_id(pay(desk, world.unit, "700.00"))
    db.session.add(PrepaidEntry(estate_id=world.estate.id, unit_id=world.unit.id,
                                amount=D("-50.00"), kind="applied"))
    db.session.commit()
    r = as_role("finance").post(f"/payments/receipts/{rid}/void", data={"reason": "重复收费"})
    assert r.status_code == 422 and "已被使用" in r.text
    db.session.expire_all()
    assert db.session.get(Receipt, rid).voided_at is None
    assert all(settled(db, ln) == D("210.33") for ln in bills)
    assert bill_queries.prepaid_balance(world.unit.id) == D("19.01")


def test_void_takes_back_the_prepaid_balance_it_added(as_role, desk, world, db, bills):
    rid = receipt_id(pay(desk, world.unit, "700.00"))
    assert as_role("finance").post(f"/payments/receipts/{rid}/void",
                                   data={"reason": "重复收费"}).status_code == 302
    assert bill_queries.prepaid_balance(world.unit.id) == 0
    assert all(settled(db, ln) == 0 for ln in bills)


# --- refunds ---------------------------------------------------------------------------------


def test_refund_larger_than_the_balance_is_refused(desk, world, db, bills):
    receipt_id(pay(desk, world.unit, "700.00"))
    url = f"/payments/units/{world.unit.id}/refunds/new"
    r = desk.post(url, data={"source": "prepaid", "amount": "69.02", "method": "cash",
                             "reason": "搬离"})
    assert r.status_code == 422 and "69.01" in r.text and "大于" in r.text
    assert count(db, Refund) == 0
    r = desk.post(url, data={"source": "prepaid", "amount": "0", "method": "cash",
                             "reason": "搬离"})
    assert r.status_code == 422 and count(db, Refund) == 0


def test_manager_approves_a_prepaid_refund(desk, manager, world, db, bills):
    receipt_id(pay(desk, world.unit, "700.00"))
    r = desk.post(f"/payments/units/{world.unit.id}/refunds/new",
                  data={"source": "prepaid", "amount": "50", "method": "cash",
                        "reason": "业主要求退还预存款"})
    assert r.status_code == 302
    refund = db.session.scalar(sa.select(Refund))
    assert refund.state == "pending"
    assert bill_queries.prepaid_balance(world.unit.id) == D("69.01")  # nothing paid out yet
    decide = f"/payments/refunds/{refund.id}/decide"
    assert desk.post(decide, data={"approve": "1"}).status_code == 403
    assert "业主要求退还预存款" in manager.get("/payments/refunds").text
    assert manager.post(decide, data={"approve": "1"}).status_code == 302
    db.session.expire_all()
    refund = db.session.get(Refund, refund.id)
    assert refund.state == "approved" and refund.decided_by_id == world.users["manager"].id
    assert bill_queries.prepaid_balance(world.unit.id) == D("19.01")
    r = manager.post(decide, data={"reject": "1"}, follow_redirects=True)
    assert "已经处理" in r.text
    assert db.session.get(Refund, refund.id).state == "approved"


def test_approval_checks_the_balance_again(desk, manager, world, db, bills):
    receipt_id(pay(desk, world.unit, "700.00"))
    desk.post(f"/payments/units/{world.unit.id}/refunds/new",
              data={"source": "prepaid", "amount": "60", "method": "cash", "reason": "退款"})
    db.session.add(PrepaidEntry(estate_id=world.estate.id, unit_id=world.unit.id,
                                amount=D("-30.00"), kind="applied"))
    db.session.commit()
    refund = db.session.scalar(sa.select(Refund))
    manager.post(f"/payments/refunds/{refund.id}/decide", data={"approve": "1"})
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).state == "pending"
    assert bill_queries.prepaid_balance(world.unit.id) == D("39.01")


def test_deposit_refund_approved_and_rejected(desk, manager, world, db):
    receipt_id(pay(desk, world.unit, "2000", purpose="deposit", deposit_kind="装修押金"))
    deposit = db.session.scalar(sa.select(Deposit))
    url = f"/payments/units/{world.unit.id}/refunds/new"
    r = desk.post(url, data={"source": "deposit", "deposit_id": str(deposit.id),
                             "amount": "2000.01", "method": "transfer", "reason": "装修完毕"})
    assert r.status_code == 422 and count(db, Refund) == 0
    desk.post(url, data={"source": "deposit", "deposit_id": str(deposit.id), "amount": "1500",
                         "method": "transfer", "reason": "装修完毕，扣除损坏赔偿"})
    desk.post(url, data={"source": "deposit", "deposit_id": str(deposit.id), "amount": "500",
                         "method": "transfer", "reason": "余款"})
    first, second = db.session.scalars(sa.select(Refund).order_by(Refund.id)).all()
    manager.post(f"/payments/refunds/{first.id}/decide", data={"approve": "1"})
    manager.post(f"/payments/refunds/{second.id}/decide", data={"reject": "1"})
    db.session.expire_all()
    assert db.session.get(Deposit, deposit.id).refunded == D("1500.00")
    assert db.session.get(Refund, second.id).state == "rejected"
    assert [h.held for h in bill_queries.deposits_held(world.unit.id)] == [D("500.00")]


# --- receipts: printing, numbering and the hash chain ---------------------------------------


def test_receipt_pdf_reads_back_and_reprints_are_marked(desk, world, db, late_bills):
    rid = receipt_id(pay(desk, world.unit, "1300.00"))
    number = db.session.get(Receipt, rid).number
    original = desk.post(f"/payments/receipts/{rid}/print")
    assert original.status_code == 200 and original.mimetype == "application/pdf"
    text = pdf_text(original.data)
    for expected in (number, "收据", "3-2-1502", "张三", "微信", "物业费滞纳金",
                     "滞纳金 210.33 × 0.05% × 30 天 = 3.15", "21.03", "210.33", "1,300.00",
                     "壹仟叁佰元整", "交款人", "收款人", "frontdesk测试", "阳光花园"):
        assert expected in text, expected
    assert "补打" not in text and "作废" not in text
    reprint = pdf_text(desk.post(f"/payments/receipts/{rid}/print").data)
    assert "补打（第 1 次补打）" in reprint and number in reprint
    assert "补打（第 2 次补打）" in pdf_text(desk.post(f"/payments/receipts/{rid}/print").data)
    db.session.expire_all()
    assert db.session.get(Receipt, rid).print_count == 3
    assert verify().ok  # printing does not touch the hash


def test_void_receipt_prints_with_a_watermark(as_role, desk, world, db, bills):
    rid = receipt_id(pay(desk, world.unit, "100"))
    as_role("finance").post(f"/payments/receipts/{rid}/void", data={"reason": "收错户"})
    text = pdf_text(desk.post(f"/payments/receipts/{rid}/print").data)
    assert "作废" in text and "收错户" in text


def test_receipts_are_numbered_per_estate_and_chained(desk, world, db, bills, today):
    ids = [receipt_id(pay(desk, world.unit, a)) for a in ("10", "20", "30.5")]
    receipts = [db.session.get(Receipt, i) for i in ids]
    assert [r.number for r in receipts] == [f"SJ{today.year}-00000{n}" for n in (1, 2, 3)]
    assert receipts[0].prev_hash == "0" * 64
    assert receipts[1].prev_hash == receipts[0].hash
    assert receipts[2].prev_hash == receipts[1].hash
    counter = db.session.get(ReceiptCounter, (world.estate.id, today.year))
    assert counter.last_seq == 3


def test_verify_receipts_names_the_receipt_whose_amount_was_changed(desk, world, db, runner,
                                                                   bills):
    ids = [receipt_id(pay(desk, world.unit, a)) for a in ("10", "20", "30")]
    ok = runner.invoke(args=["verify-receipts"])
    assert ok.exit_code == 0 and "OK" in ok.output and "3 receipts" in ok.output
    db.session.execute(sa.text("UPDATE receipt SET amount = amount * 2 WHERE id = :id"),
                       {"id": ids[1]})
    db.session.commit()
    altered = db.session.get(Receipt, ids[1]).number
    result = runner.invoke(args=["verify-receipts"])
    assert result.exit_code == 1
    assert altered in result.output and "ALTERED" in result.output


def test_verify_receipts_sees_a_deleted_receipt(desk, world, db, runner, bills):
    ids = [receipt_id(pay(desk, world.unit, a)) for a in ("10", "20", "30")]
    db.session.execute(sa.text("DELETE FROM receipt WHERE id = :id"), {"id": ids[1]})
    db.session.commit()
    result = runner.invoke(args=["verify-receipts"])
    assert result.exit_code == 1
    assert "ALTERED: receipt SJ" in result.output and "-000002" in result.output
    assert "row was deleted" in result.output and "-000003" not in result.output


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "message"), [
    ("0", "必须大于 0"),
    ("-5", "必须大于 0"),
    ("abc", "请按元填写金额"),
    ("12元3角", "请按元填写金额"),
    ("10000000.01", "不能超过 10,000,000"),
    ("99999999999999999999", "不能超过 10,000,000"),
    ("1.234", "最多两位小数"),
    ("", "请填写金额"),
    ("1e3", "请按元填写金额"),
    ("NaN", "请按元填写金额"),
])
def test_bad_payments_are_refused_and_nothing_is_written(desk, world, db, bills, amount,
                                                         message):
    r = pay(desk, world.unit, amount)
    assert r.status_code == 422
    assert message in r.text
    assert count(db, Payment) == 0 and count(db, Receipt) == 0 and count(db, Allocation) == 0
    assert count(db, ReceiptCounter) == 0 and count(db, PrepaidEntry) == 0
    assert all(settled(db, ln) == 0 for ln in bills)


def test_bad_method_and_foreign_lines_are_refused(desk, world, db, bills):
    assert pay(desk, world.unit, "10", method="bitcoin").status_code == 422
    other_unit = factories.unit(world.building, "1", 3, "301")
    item = db.session.get(FeeItem, bills[0].fee_item_id)
    foreign = monthly_line(other_unit, item, "2026-10", "99.00", date(2026, 10, 15))
    db.session.commit()
    r = pay(desk, world.unit, "10", lines=[foreign.id])
    assert r.status_code == 422 and "不是本户的未缴账单" in r.text
    r = pay(desk, world.unit, "10", lines=["1 OR 1=1"])
    assert r.status_code == 422
    assert count(db, Payment) == 0 and settled(db, foreign) == 0


def test_payer_text_with_html_is_kept_as_text(desk, world, db, bills):
    rid = receipt_id(pay(desk, world.unit, "10", payer="<script>alert(1)</script>"))
    page = desk.get(f"/payments/receipts/{rid}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_another_estates_records_give_404(desk, as_role, world, db):
    other_building = factories.building(world.other_estate, "9")
    other_unit = factories.unit(other_building, "1", 2, "201")
    stranger = factories.user("frontdesk", [world.other_estate], username="stranger")
    item = fee_item(world.other_estate, code="X")
    line = monthly_line(other_unit, item, "2026-10", "50.00", date(2026, 10, 15))
    db.session.commit()
    payment = payments.take_payment(stranger, other_unit, amount=D("80"), method="cash",
                                    idempotency_key="other-estate")
    receipt = bill_queries.receipt_of(payment)
    refund = refunds.request_refund(stranger, other_unit, source="prepaid", amount=D("10"),
                                     method="cash", reason="test")
    manager, finance = as_role("manager"), as_role("finance")
    assert desk.get(f"/payments/units/{other_unit.id}/new").status_code == 404
    assert pay(desk, other_unit, "10").status_code == 404
    assert desk.get(f"/payments/receipts/{receipt.id}").status_code == 404
    assert desk.post(f"/payments/receipts/{receipt.id}/print").status_code == 404
    assert finance.post(f"/payments/receipts/{receipt.id}/void",
                        data={"reason": "x"}).status_code == 404
    assert manager.post(f"/payments/refunds/{refund.id}/decide",
                        data={"approve": "1"}).status_code == 404
    assert manager.get(f"/payments/lines/{line.id}/waive").status_code == 404
    assert desk.get(f"/payments/units/{other_unit.id}/refunds/new").status_code == 404
    assert "SJ" not in desk.get("/payments/receipts").text.split("<table")[1]
    db.session.expire_all()
    assert db.session.get(Receipt, receipt.id).voided_at is None
    assert db.session.get(Refund, refund.id).state == "pending"


def test_unit_card_shows_bills_and_the_take_payment_button(desk, world, late_bills):
    card = desk.get(f"/desk/units/{world.unit.id}").text
    assert "账单/缴费" in card
    assert f"/payments/units/{world.unit.id}/new" in card
    assert "滞纳金 210.33 × 0.05% × 30 天 = 3.15" in card
    assert "655.17" in card


def test_bulk_charged_late_fees_agree_with_the_per_unit_ones(desk, world, db, late_bills, today):
    old, late, grace = late_bills
    other = factories.unit(world.building, "1", 1, "101")
    item = db.session.get(FeeItem, late.fee_item_id)
    their = monthly_line(other, item, "2026-09", "100.00", today - timedelta(days=40))
    db.session.commit()
    receipt_id(pay(desk, world.unit, "10.00", lines=[late.id]))
    receipt_id(pay(desk, other, "1.00", lines=[their.id]))
    ids = [old.id, late.id, grace.id, their.id]
    bulk = late_fees.charged_late_fees_bulk(ids)
    assert bulk == {late.id: (D("3.15"), today), their.id: (D("1.50"), today)}
    assert late_fees.charged_late_fees_bulk(
        sa.select(BillLine.id).where(BillLine.id.in_(ids)),
        unit_ids=[world.unit.id, other.id]) == bulk
    assert late_fees._charged_late_fees(world.unit.id, ids) == {late.id: bulk[late.id]}
    assert late_fees.charged_late_fees_bulk(ids, as_of=today - timedelta(days=1)) == {}
    assert late_fees.charged_late_fees_bulk([]) == {}
    # the fee of a loaded line and of its plain values is the one rule
    db.session.expire_all()
    for line_id in (old.id, late.id, their.id):
        line = db.session.get(BillLine, line_id)
        before, last = bulk.get(line_id, (D("0.00"), None))
        later = today + timedelta(days=30)
        outstanding = line.amount - line.settled
        fi = line.fee_item
        assert late_fees.late_fee_of(line, outstanding, later, charged_before=before,
                                    last_charged=last) == late_fees.late_fee_for(
            kind=line.kind, amount=line.amount, outstanding=outstanding,
            due_date=line.due_date, waived=line.late_fee_waived, grace_days=fi.late_grace_days,
            daily_rate=fi.late_daily_rate, cap_ratio=fi.late_cap_ratio, today=later,
            charged_before=before, last_charged=last)
    # 1.00 paid 1.00 of the 1.50 posted on their line: 100.00 × 0.05 % × 30 days from then,
    # and the 0.50 still owed on the late-fee line runs up nothing itself
    month_on = {ol.line.id: ol for ol in late_fees.open_lines(other, today + timedelta(days=30))}
    assert month_on[their.id].late_fee == D("1.50")
    (fee_line,) = [ol for ol in month_on.values() if ol.line.kind == "late_fee"]
    assert (fee_line.outstanding, fee_line.late_fee) == (D("0.50"), D("0.00"))


# --- a second estate -------------------------------------------------------------------------


def test_a_second_estate_with_the_default_prefix_takes_its_first_payment(admin, desk, app, world,
                                                                         db, bills, today):
    first = db.session.get(Receipt, receipt_id(pay(desk, world.unit, "100")))
    assert first.number == f"SJ{today.year}-000001"
    form = admin.get("/admin/estates/new").text
    assert re.search(r'name="receipt_prefix"[^>]*value="SJ"', form)  # the prefix it defaults to
    created = admin.post("/admin/estates/new", data={
        "name": "新开小区", "address": "", "phone": "", "timezone": "Asia/Shanghai",
        "receipt_prefix": "SJ"})
    assert created.status_code == 302
    from frontdesk.models import Estate

    estate = db.session.scalar(sa.select(Estate).where(Estate.name == "新开小区"))
    unit = factories.unit(factories.building(estate, "1"), "1", 1, "101")
    factories.user("frontdesk", [estate], username="desk2")
    db.session.commit()
    desk2 = app.test_client()
    assert desk2.post("/login", data={"username": "desk2",
                                      "password": factories.PASSWORD}).status_code == 302
    response = pay(desk2, unit, "300.00", purpose="prepaid")
    rid = receipt_id(response)
    receipt = db.session.get(Receipt, rid)
    assert (receipt.estate_id, receipt.number) == (estate.id, f"SJ{today.year}-000001")
    assert f"SJ{today.year}-000001" in desk2.get(f"/payments/receipts/{rid}").text
    second = db.session.get(Receipt, receipt_id(pay(desk, world.unit, "100")))
    assert second.number == f"SJ{today.year}-000002"  # each estate counts on by itself
    assert verify("receipts").ok
