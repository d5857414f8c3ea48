"""Refunds are asked for, approved and paid out: the paid step records who, when, how and to
whom, prints a refund voucher (退款单), and puts the refund on that day's cashier report (收费日报)
by method, so that the net per method is what the drawer should hold."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import sqlalchemy as sa

from frontdesk.models import AuditEvent, PrepaidEntry, Refund
from frontdesk.services.fees import bill_queries
from tests import factories
from tests.conftest import pay, receipt_id
from tests.pdf_text import pdf_text

D = Decimal



def ask(desk, unit, amount="50", method="cash", reason="业主搬离，退还预存款") -> Refund:
    r = desk.post(f"/payments/units/{unit.id}/refunds/new",
                  data={"source": "prepaid", "amount": amount, "method": method,
                        "reason": reason})
    assert r.status_code == 302, r.text[:2000]
    return factories.db.session.scalars(sa.select(Refund).order_by(Refund.id.desc())).first()


def approve(manager, refund) -> None:
    r = manager.post(f"/payments/refunds/{refund.id}/decide", data={"approve": "1"})
    assert r.status_code == 302


def test_a_refund_is_paid_out_with_its_people_and_prints_a_voucher(
        desk, manager, world, db, bills):  # noqa: F811
    receipt_id(pay(desk, world.unit, "700.00", method="cash"))  # 69.01 left as prepaid
    refund = ask(desk, world.unit)
    # not approved yet: it cannot be paid out, nor printed
    r = desk.post(f"/payments/refunds/{refund.id}/pay", data={"method": "cash", "payee": "张三"})
    assert r.status_code == 422 and "只有已审批的退款才能付款" in r.text
    r = desk.get(f"/payments/refunds/{refund.id}/voucher.pdf", follow_redirects=True)
    assert "只有已审批的退款才能打印退款单" in r.text
    approve(manager, refund)

    listing = desk.get("/payments/refunds").text
    assert "已审批，待付款" in listing and f"/payments/refunds/{refund.id}/pay" in listing
    assert "申请人：frontdesk测试" in listing and "审核人：manager测试" in listing
    page = desk.get(f"/payments/refunds/{refund.id}/pay").text
    assert 'value="张三"' in page  # the unit's primary contact, to be confirmed
    r = desk.post(f"/payments/refunds/{refund.id}/pay", data={"method": "cash", "payee": ""})
    assert r.status_code == 422 and "请填写领款人" in r.text
    r = desk.post(f"/payments/refunds/{refund.id}/pay", data={"method": "cash", "payee": "张三"})
    assert r.status_code == 302

    db.session.expire_all()
    refund = db.session.get(Refund, refund.id)
    assert refund.state == "paid" and refund.paid_by_id == world.users["frontdesk"].id
    assert refund.paid_method == "cash" and refund.payee == "张三"
    assert refund.paid_at is not None
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "pay")).one()
    assert event.object_id == refund.id and event.after["payee"] == "张三"
    assert event.after["paid_method"] == "cash" and event.after["amount"] == "50.00"
    # paid once: the balance was taken at approval, paying does not take it again
    assert bill_queries.prepaid_balance(world.unit.id) == D("19.01")
    r = desk.post(f"/payments/refunds/{refund.id}/pay", data={"method": "cash", "payee": "张三"})
    assert r.status_code == 422 and "该退款已付款" in r.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrepaidEntry).where(
        PrepaidEntry.kind == "refund")) == 1

    listing = desk.get("/payments/refunds?state=paid").text
    assert "付款人：frontdesk测试，领款人：张三" in listing

    r = desk.get(f"/payments/refunds/{refund.id}/voucher.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    for expected in ("退款单", f"TK{refund.id:06d}", "阳光花园", "3-2-1502", "张三", "预存款",
                     "现金", "¥50.00", "伍拾元整", "业主搬离，退还预存款", "frontdesk测试",
                     "manager测试", "已付款", "领款人签字", "经办人（付款）", "审批人"):
        assert expected in text, expected


def test_the_daily_report_takes_paid_refunds_off_by_method(
        desk, manager, finance, world, db, bills):  # noqa: F811
    receipt_id(pay(desk, world.unit, "700.00", method="cash"))
    receipt_id(pay(desk, world.unit, "100.00", method="wechat"))
    paid = ask(desk, world.unit, "50.00")
    waiting = ask(desk, world.unit, "10.00", reason="待付款的退款")
    approve(manager, paid)
    approve(manager, waiting)
    desk.post(f"/payments/refunds/{paid.id}/pay", data={"method": "cash", "payee": "张三"})
    # another estate's refund paid out the same day stays in its own report
    b = factories.building(world.other_estate, "9")
    unit = factories.unit(b, "1", 2, "202")
    stranger = factories.user("frontdesk", [world.other_estate], username="stranger")
    db.session.add(PrepaidEntry(estate_id=world.other_estate.id, unit_id=unit.id,
                                amount=D("300.00"), kind="payment"))
    db.session.add(Refund(estate_id=world.other_estate.id, unit_id=unit.id, source="prepaid",
                          amount=D("300.00"), method="cash", reason="别家退款", state="paid",
                          requested_by_id=stranger.id, paid_by_id=stranger.id,
                          paid_at=datetime.now(UTC), paid_method="cash", payee="外人"))
    db.session.commit()

    report = finance.get("/reports/daily").text
    refunds = report[report.index('id="refunds"'):report.index('id="net"')]
    assert f"TK{paid.id:06d}" in refunds and "张三" in refunds and "50.00" in refunds
    assert "待付款的退款" not in report and "别家" not in report and "300.00" not in refunds
    net = report[report.index('id="net"'):]
    cash = net[net.index("现金"):net.index("</tr>", net.index("现金"))]
    assert "700.00" in cash and "50.00" in cash and "650.00" in cash
    assert "750.00" in net  # 800.00 received, 50.00 refunded

    r = finance.get("/reports/daily.pdf")
    assert r.status_code == 200
    text = pdf_text(r.data)
    refunds = text[text.index("四、退款"):]
    assert f"TK{paid.id:06d}" in refunds and "50.00" in refunds
    assert "650.00" in text and "750.00" in text and "柒佰伍拾元整" in text
    assert "别家" not in text and "待付款" not in text

    r = finance.get("/reports/daily.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(r.data))
    rows = list(book["退款"].iter_rows(values_only=True))
    assert rows[1][0] == f"TK{paid.id:06d}" and rows[1][4] == "张三"
    assert rows[1][6] == 50 and len(rows) == 2


def test_only_cashiers_pay_out_and_only_in_their_estate(as_role, desk, manager, world, db,
                                                       bills):  # noqa: F811
    receipt_id(pay(desk, world.unit, "700.00"))
    refund = ask(desk, world.unit)
    approve(manager, refund)
    engineer = as_role("engineering")
    assert engineer.post(f"/payments/refunds/{refund.id}/pay",
                         data={"method": "cash", "payee": "x"}).status_code == 403
    assert manager.post(f"/payments/refunds/{refund.id}/pay",
                        data={"method": "cash", "payee": "x"}).status_code == 403
    r = desk.post(f"/payments/refunds/{refund.id}/pay", data={"method": "bitcoin", "payee": "x"})
    assert r.status_code == 422
    b = factories.building(world.other_estate, "9")
    unit = factories.unit(b, "1", 2, "202")
    stranger = factories.user("frontdesk", [world.other_estate], username="stranger")
    theirs = Refund(estate_id=world.other_estate.id, unit_id=unit.id, source="prepaid",
                    amount=D("5.00"), method="cash", reason="x", state="approved",
                    requested_by_id=stranger.id)
    db.session.add(theirs)
    db.session.commit()
    assert desk.post(f"/payments/refunds/{theirs.id}/pay",
                     data={"method": "cash", "payee": "x"}).status_code == 404
    assert desk.get(f"/payments/refunds/{theirs.id}/voucher.pdf").status_code == 404
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).state == "approved"
    assert db.session.get(Refund, theirs.id).state == "approved"
