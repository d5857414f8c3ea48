"""The first fees of a move-in: one payment holding a prepaid part and a deposit part."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.models import Deposit, PrepaidEntry, Receipt
from frontdesk.services import DomainError
from frontdesk.services.fees import payments
from frontdesk.services.fees.bill_queries import deposits_held, prepaid_balance
from frontdesk.services.fees.statements import unit_statement


def take(world, key="k-1", deposit=Decimal("2000.00")):
    return payments.take_payment(
        world.users["frontdesk"], world.unit, amount=Decimal("4820.00"), method="wechat",
        idempotency_key=key, purpose="prepaid", deposit_amount=deposit,
        deposit_kind="装修押金", prepaid_label="预交物业费（12个月）")


def test_one_payment_holds_prepaid_fee_and_deposit_and_voids_as_one(world, db):
    payment = take(world)
    assert prepaid_balance(world.unit.id) == Decimal("2820.00")
    assert [h.held for h in deposits_held(world.unit.id)] == [Decimal("2000.00")]
    receipt = db.session.scalar(sa.select(Receipt).where(Receipt.payment_id == payment.id))
    assert [ln["item"] for ln in receipt.content["lines"]] == ["预交物业费（12个月）", "装修押金"]
    payments.void_receipt(world.users["finance"], receipt, "录错")
    assert prepaid_balance(world.unit.id) == Decimal("0.00")
    assert deposits_held(world.unit.id) == []
    assert db.session.scalar(sa.select(sa.func.count(PrepaidEntry.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(Deposit.id))) == 1


def test_the_statement_says_what_went_to_the_deposit(world, db, today):
    take(world)
    from datetime import timedelta

    data = unit_statement(world.unit, today - timedelta(days=1), today)
    text = " ".join(str(e.get("description")) for e in data["rows"])
    assert "转入预存款 2,820.00" in text and "其中押金 2,000.00" in text


@pytest.mark.parametrize("deposit", [Decimal("4820.00"), Decimal("-1"), Decimal("0.001")])
def test_a_deposit_part_must_be_less_than_the_amount(world, db, deposit):
    with pytest.raises(DomainError):
        take(world, deposit=deposit)
    assert db.session.scalar(sa.select(sa.func.count(Deposit.id))) == 0
