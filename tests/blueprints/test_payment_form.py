"""The payment form: ticked bills and their total, change for cash, transaction numbers for the
other methods, partial payments, and the receipt stating what the unit still owes."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, Payment, Receipt
from frontdesk.services.periods import estate_today
from tests import factories
from tests.conftest import count
from tests.pdf_text import pdf_text

D = Decimal


@pytest.fixture
def bills(world, db):
    """Three monthly bills of 210.33 and one of 100.00 (late fees off), oldest first."""
    item = factories.fee_item(world.estate)
    today = estate_today(world.estate)
    lines = [factories.bill_line(world.unit, item, period, amount, due=today - timedelta(days=days))
             for period, days, amount in (("2026-08", 90, "210.33"), ("2026-09", 60, "210.33"),
                                          ("2026-10", 30, "210.33"), ("2026-11", 5, "100.00"))]
    db.session.commit()
    return lines


def pay(client, unit, amount, *, method="cash", lines=(), **extra):
    data = {"amount": amount, "method": method, "purpose": "bills", "payer": "张三",
            "idempotency_key": secrets.token_hex(16), "line_ids": [str(i) for i in lines],
            **extra}
    return client.post(f"/payments/units/{unit.id}/new", data=data)


def receipt_of(db, response) -> Receipt:
    assert response.status_code == 302, response.text[:3000]
    rid = int(re.search(r"/payments/receipts/(\d+)$", response.headers["Location"]).group(1))
    db.session.expire_all()
    return db.session.get(Receipt, rid)


def printed(client, receipt: Receipt) -> str:
    response = client.post(f"/payments/receipts/{receipt.id}/print")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return pdf_text(response.data)


def test_the_form_starts_with_every_bill_ticked_and_their_total_as_the_amount(desk, world,
                                                                            bills):
    page = desk.get(f"/payments/units/{world.unit.id}/new").text
    ticks = re.findall(r'<input class="form-check-input line-tick"[^>]*>', page)
    assert len(ticks) == 4 and all("checked" in t for t in ticks)
    # each bill carries what it comes to, for the running total kept by the page's script
    assert sorted(re.search(r'data-total="([\d.]+)"', t).group(1) for t in ticks) == [
        "100.00", "210.33", "210.33", "210.33"]
    assert re.search(r'<input[^>]*id="amount"[^>]*value="730.99"', page)
    assert re.search(r'id="ticked-total">730.99<', page)
    # the aids are served as a static script (the CSP forbids inline ones), with their texts
    assert "/static/js/payment.js" in page and "<script>" not in page
    assert 'id="partial-warning"' in page and "部分缴费" in page
    assert 'id="change"' in page and "找零" in page
    assert 'name="tendered"' in page and 'name="reference"' in page and "交易单号" in page


def test_cash_handed_over_gives_the_change_on_the_receipt(desk, world, db, bills):
    receipt = receipt_of(db, pay(desk, world.unit, "730.99", tendered="800"))
    assert receipt.content["tendered"] == "800.00" and receipt.content["change"] == "69.01"
    page = desk.get(f"/payments/receipts/{receipt.id}").text
    assert "实收现金" in page and "800.00" in page and "69.01" in page
    assert "实收现金 800.00 元，找零 69.01 元" in printed(desk, receipt)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "payment"))
    assert event.after["tendered"] == "800.00" and event.after["change"] == "69.01"


def test_cash_handed_over_below_the_amount_is_refused(desk, world, db, bills):
    response = pay(desk, world.unit, "730.99", tendered="700")
    assert response.status_code == 422
    assert "实收现金（700.00 元）少于收款金额" in response.text
    assert count(db, Payment) == 0 and count(db, Receipt) == 0


@pytest.mark.parametrize("method", ["wechat", "alipay", "card"])
def test_the_transaction_number_is_kept_on_the_payment_and_printed(desk, world, db, bills,
                                                                   method):
    receipt = receipt_of(db, pay(desk, world.unit, "730.99", method=method,
                                 reference=" 4200001234 2026112500 01 "))
    payment = db.session.get(Payment, receipt.payment_id)
    assert payment.reference == "4200001234202611250001"
    assert receipt.content["reference"] == "4200001234202611250001"
    page = desk.get(f"/payments/receipts/{receipt.id}").text
    assert "交易单号" in page and "4200001234202611250001" in page
    assert "交易单号：4200001234202611250001" in printed(desk, receipt)


def test_cash_has_no_transaction_number_and_other_methods_no_change(desk, world, db, bills):
    cash = receipt_of(db, pay(desk, world.unit, "100.00", reference="X123"))
    assert db.session.get(Payment, cash.payment_id).reference == ""
    wechat = receipt_of(db, pay(desk, world.unit, "100.00", method="wechat", tendered="500"))
    assert wechat.content["tendered"] == "" and wechat.content["change"] == ""


def test_a_malformed_transaction_number_is_refused(desk, world, db, bills):
    response = pay(desk, world.unit, "100.00", method="alipay", reference="<script>单号</script>")
    assert response.status_code == 422 and "交易单号最多 64 位" in response.text
    assert count(db, Payment) == 0


def test_a_partial_payment_warns_and_the_receipt_says_what_is_still_owed(desk, world, db,
                                                                         bills):
    response = pay(desk, world.unit, "300.00", lines=[bills[0].id, bills[1].id])
    receipt = receipt_of(db, response)
    assert receipt.content["still_owed"] == "430.99"
    landing = desk.get(response.headers["Location"]).text
    assert "本次缴费后本户仍欠 430.99 元" in landing
    assert "本次缴费后尚欠" in landing and 'id="receipt-still-owed">430.99<' in landing
    assert "本次缴费后本户尚欠 430.99 元" in printed(desk, receipt)


def test_paying_everything_leaves_nothing_owed(desk, world, db, bills):
    response = pay(desk, world.unit, "730.99")
    receipt = receipt_of(db, response)
    assert receipt.content["still_owed"] == "0.00"
    landing = desk.get(response.headers["Location"]).text
    assert "仍欠" not in landing and 'id="receipt-still-owed">0.00<' in landing
    assert "本次缴费后本户尚欠 0.00 元" in printed(desk, receipt)


def test_a_form_sent_back_keeps_the_bills_the_clerk_ticked(desk, world, bills):
    response = pay(desk, world.unit, "abc", lines=[bills[1].id])
    assert response.status_code == 422
    ticked = re.findall(r'<input class="form-check-input line-tick"[^>]*checked[^>]*>',
                        response.text)
    assert len(ticked) == 1 and f'value="{bills[1].id}"' in ticked[0]
    assert 'id="ticked-total">210.33<' in response.text


def test_the_migration_keeps_payments_and_gives_them_no_transaction_number(tmp_path):
    """screens_0001 adds payment.reference: a downgrade keeps the rows, old rows get ""."""
    from flask_migrate import downgrade, upgrade

    from frontdesk import create_app
    from frontdesk.extensions import db
    from tests.revisions import revision_before

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrate.sqlite'}",
                      "TESTING": True})
    with app.app_context():
        upgrade()
        estate = factories.estate("迁移小区")
        unit = factories.unit(factories.building(estate, "1"))
        cashier = factories.user("frontdesk", [estate])
        db.session.add(Payment(estate_id=estate.id, unit_id=unit.id, amount=D("12.50"),
                               method="wechat", purpose="bills", payer="张三", note="",
                               reference="R1", cashier_id=cashier.id, idempotency_key="k1"))
        db.session.commit()
        rows = sa.text("SELECT amount, payer FROM payment")
        downgrade(revision=revision_before(app, "screens_0001"))
        with db.engine.connect() as conn:
            assert conn.execute(rows).all() == [(1250, "张三")]  # whole fen on SQLite
            assert "reference" not in [c["name"] for c in
                                       sa.inspect(conn).get_columns("payment")]
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT amount, payer, reference FROM payment")
                                ).all() == [(1250, "张三", "")]
        db.session.remove()
        db.engine.dispose()
