"""The hash chains: every printed fact covered, every alteration named, printed heads anchor."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from frontdesk.models import (
    Allocation,
    ChainEntry,
    KeyLoan,
    Payment,
    Receipt,
)
from frontdesk.services import chain
from frontdesk.services.fees import bill_queries, payments, receipts
from frontdesk.services.keys import loans
from tests import factories
from tests.pdf_text import pdf_text

D = Decimal
#: the key loans' frozen clock: 2026-11-20 10:00 in Shanghai
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
OWNER = {"borrower_name": "张三", "borrower_phone": "13812345678", "borrower_id_tail": "4477"}
TABLES = {"receipt": Receipt, "payment": Payment, "allocation": Allocation,
          "key_loan": KeyLoan, "chain_entry": ChainEntry}


# --- test data ---------------------------------------------------------------------------------




@pytest.fixture
def t(world, db):
    """Three receipts (prepaid 10, a bill of 210.33, prepaid 30) and rows to point columns at."""
    item = factories.fee_item(world.estate)
    charge = factories.area_charge("210.33")
    bill, spare_line = [factories.bill_line(world.unit, item, period, **charge)
                        for period in ("2026-10", "2026-11")]
    other_unit = factories.unit(world.building, "2", 16, "1602")
    db.session.commit()
    desk = world.users["frontdesk"]
    made = []
    for n, (amount, purpose) in enumerate([("10", "prepaid"), ("210.33", "bills"),
                                           ("30", "prepaid")]):
        paid = payments.take_payment(desk, world.unit, amount=amount, method="wechat",
                                     idempotency_key=f"chain-test-{n}", purpose=purpose,
                                     payer="张三", line_ids=[bill.id] if n == 1 else None)
        made.append(bill_queries.receipt_of(paid))
    spare_payment = Payment(estate_id=world.estate.id, unit_id=world.unit.id, amount=D("5"),
                            method="cash", purpose="prepaid", payer="", note="",
                            cashier_id=desk.id, received_at=NOW, idempotency_key="spare",
                            voided=False)
    db.session.add(spare_payment)
    db.session.commit()
    first, middle, last = (r.number for r in made)
    return SimpleNamespace(world=world, first=made[0], receipt=made[1], last=made[2],
                           numbers=SimpleNamespace(first=first, middle=middle, last=last),
                           other_unit=other_unit, spare_line=spare_line,
                           spare_payment=spare_payment)


def alter(db, table: str, column: str, value, **where) -> None:
    """Change one column directly in the database, as SQL would, past the services."""
    cols = TABLES[table].__table__.c
    stmt = sa.update(TABLES[table].__table__).values({column: value})
    for name, v in where.items():
        stmt = stmt.where(cols[name] == v)
    assert db.session.execute(stmt).rowcount >= 1
    db.session.commit()
    db.session.expire_all()


def verify_output(runner, *args: str):
    return runner.invoke(args=["verify-receipts", *args])


def assert_names_only(result, named: str, *others: str) -> None:
    assert result.exit_code == 1, result.output
    assert f"ALTERED: {named} " in result.output, result.output
    for other in others:
        assert other not in result.output, result.output


# --- receipts: every column that states a fact on the receipt ------------------------------------


RECEIPT_ALTERATIONS = [
    ("receipt", "estate_id", lambda t: t.world.other_estate.id),
    ("receipt", "year", lambda t: t.receipt.year + 1),
    ("receipt", "seq", lambda t: 7),
    ("receipt", "number", lambda t: "SJ2099-000007"),
    ("receipt", "payment_id", lambda t: t.spare_payment.id),
    ("receipt", "unit_id", lambda t: t.other_unit.id),
    ("receipt", "amount", lambda t: D("2103.30")),
    ("receipt", "issued_at", lambda t: t.receipt.issued_at - timedelta(hours=3)),
    ("receipt", "cashier_id", lambda t: t.world.users["finance"].id),
    ("receipt", "content", lambda t: {**t.receipt.content, "payer": "李四"}),
    ("receipt", "content", lambda t: {**t.receipt.content, "method_label": "现金"}),
    ("receipt", "content", lambda t: {**t.receipt.content, "lines": []}),
    ("receipt", "content", lambda t: {**t.receipt.content, "in_words": "贰仟元整"}),
    ("receipt", "hash", lambda t: "e" * 64),
    ("receipt", "prev_hash", lambda t: "f" * 64),
    ("receipt", "voided_at", lambda t: NOW),
    ("receipt", "voided_by_id", lambda t: t.world.users["finance"].id),
    ("receipt", "void_reason", lambda t: "收错户"),
    ("payment", "estate_id", lambda t: t.world.other_estate.id),
    ("payment", "unit_id", lambda t: t.other_unit.id),
    ("payment", "amount", lambda t: D("21.03")),
    ("payment", "method", lambda t: "cash"),
    ("payment", "purpose", lambda t: "prepaid"),
    ("payment", "payer", lambda t: "李四"),
    ("payment", "note", lambda t: "改过"),
    ("payment", "cashier_id", lambda t: t.world.users["finance"].id),
    ("payment", "received_at", lambda t: t.receipt.issued_at - timedelta(days=1)),
    ("payment", "voided", lambda t: True),
    ("allocation", "amount", lambda t: D("1.00")),
    ("allocation", "bill_line_id", lambda t: t.spare_line.id),
]


def _where(t, table: str) -> dict:
    if table == "receipt":
        return {"id": t.receipt.id}
    return {"id" if table == "payment" else "payment_id": t.receipt.payment_id}


@pytest.mark.parametrize(("table", "column", "value"), RECEIPT_ALTERATIONS,
                         ids=[f"{a}.{c}-{n}" for n, (a, c, _) in enumerate(RECEIPT_ALTERATIONS)])
def test_an_altered_receipt_column_names_that_receipt(db, runner, t, table, column, value):
    ok = verify_output(runner)
    assert ok.exit_code == 0 and "OK: 3 receipts" in ok.output, ok.output
    alter(db, table, column, value(t), **_where(t, table))
    assert_names_only(verify_output(runner), f"receipt {t.numbers.middle}", t.numbers.first,
                      t.numbers.last)


VOID_ALTERATIONS = [
    ("receipt", "voided_at", lambda t: NOW),
    ("receipt", "voided_at", lambda t: None),
    ("receipt", "voided_by_id", lambda t: t.world.users["frontdesk"].id),
    ("receipt", "void_reason", lambda t: "另一个原因"),
    ("receipt", "void_reason", lambda t: ""),
    ("payment", "voided", lambda t: False),
]


@pytest.mark.parametrize(("table", "column", "value"), VOID_ALTERATIONS,
                         ids=[f"{a}.{c}-{n}" for n, (a, c, _) in enumerate(VOID_ALTERATIONS)])
def test_an_altered_void_names_the_receipt(db, runner, t, table, column, value):
    payments.void_receipt(t.world.users["finance"], t.receipt, "收错户")
    assert verify_output(runner).exit_code == 0
    alter(db, table, column, value(t), **_where(t, table))
    assert_names_only(verify_output(runner), f"receipt {t.numbers.middle}", t.numbers.first,
                      t.numbers.last)


def test_a_receipt_unvoided_in_the_database_is_named(db, runner, t):
    payments.void_receipt(t.world.users["finance"], t.receipt, "收错户")
    db.session.execute(sa.update(Receipt).where(Receipt.id == t.receipt.id)
                       .values(voided_at=None, voided_by_id=None, void_reason=""))
    db.session.execute(sa.update(Payment).where(Payment.id == t.receipt.payment_id)
                       .values(voided=False))
    db.session.commit()
    result = verify_output(runner)
    assert_names_only(result, f"receipt {t.numbers.middle}", t.numbers.first,
                      t.numbers.last)
    assert "its void no longer matches" in result.output


def test_printing_is_outside_the_chain(db, runner, t):
    alter(db, "receipt", "print_count", 5, id=t.receipt.id)
    assert verify_output(runner).exit_code == 0


LINK_ALTERATIONS = [
    ("seq", lambda t: 99),
    ("label", lambda t: "SJ2099-000001"),
    ("hash", lambda t: "a" * 64),
    ("prev_hash", lambda t: "b" * 64),
    ("at", lambda t: NOW),
    ("event", lambda t: "void"),
    ("record_id", lambda t: 999999),
]


@pytest.mark.parametrize(("column", "value"), LINK_ALTERATIONS,
                         ids=[c for c, _ in LINK_ALTERATIONS])
def test_an_altered_link_names_its_receipt(db, runner, t, column, value):
    alter(db, "chain_entry", column, value(t), chain="receipts", record_id=t.receipt.id,
          event="issue")
    assert_names_only(verify_output(runner), f"receipt {t.numbers.middle}", t.numbers.first,
                      t.numbers.last)


def test_a_deleted_link_names_the_receipt_left_without_it(db, runner, t):
    db.session.execute(sa.delete(ChainEntry).where(ChainEntry.record_id == t.receipt.id,
                                                   ChainEntry.chain == "receipts"))
    db.session.commit()
    result = verify_output(runner)
    assert_names_only(result, f"receipt {t.numbers.middle}", t.numbers.first)
    assert "not in the chain" in result.output


def test_a_link_rewritten_with_a_fresh_hash_names_its_receipt(db, runner, t):
    _rewrite(db, t.receipt, {**t.receipt.content, "payer": "李四"})
    result = verify_output(runner)
    # its own hash now holds over the new content, but the next receipt was chained to the old
    assert_names_only(result, f"receipt {t.numbers.middle}", t.numbers.first)
    assert "rewritten" in result.output


# --- the head, printed on the daily report ----------------------------------------------------


def _rewrite(db, receipt: Receipt, content: dict) -> str:
    """Alter a receipt and give its link (and copy) the hash the new content gives."""
    db.session.execute(sa.update(Receipt).where(Receipt.id == receipt.id)
                       .values(content=content))
    db.session.expire_all()
    receipt = db.session.get(Receipt, receipt.id)
    link = db.session.scalar(sa.select(ChainEntry).where(
        ChainEntry.chain == "receipts", ChainEntry.record_id == receipt.id))
    digest = chain.link_hash(chain=link.chain, estate_id=link.estate_id, seq=link.seq,
                             event=link.event, label=link.label, at=link.at,
                             version=link.version, fields=receipts.issued_fields(receipt),
                             prev_hash=link.prev_hash)
    db.session.execute(sa.update(ChainEntry.__table__).where(ChainEntry.id == link.id)
                       .values(hash=digest))
    db.session.execute(sa.update(Receipt).where(Receipt.id == receipt.id).values(hash=digest))
    db.session.commit()
    db.session.expire_all()
    return digest


def printed_heads(as_role) -> dict[str, str]:
    """Print the daily report and read each chain's head off it: {label prefix: LABEL:HASH}."""
    response = as_role("finance").get("/reports/daily.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data, sep="")
    assert "链头" in text
    flat = re.sub(r"\s+", "", text)
    return {m[:2]: m for m in re.findall(r"(?:SJ|JY)\d{4}-\d{6}:[0-9a-f]{64}", flat)}


def test_the_daily_report_prints_the_head_and_verify_checks_it(db, runner, as_role, t):
    head = printed_heads(as_role)["SJ"]
    last_link = chain.last_link("receipts", t.world.estate.id)
    assert head == f"{t.numbers.last}:{last_link.hash}"
    ok = verify_output(runner, "--head", head)
    assert ok.exit_code == 0 and f"HEAD OK: {head}" in ok.output, ok.output
    # later receipts do not unsettle a head printed before them
    payments.take_payment(t.world.users["frontdesk"], t.world.unit, amount="5",
                          method="cash", idempotency_key="later", purpose="prepaid")
    later = runner.invoke(args=["verify-chains", "--head", head])
    assert later.exit_code == 0 and "1 links chained since" in later.output, later.output


def test_a_latest_receipt_rewritten_with_a_fresh_hash_is_caught_by_the_printed_head(
        db, runner, as_role, t):
    head = printed_heads(as_role)["SJ"]
    _rewrite(db, t.last, {**t.last.content, "payer": "李四"})
    # nothing after the latest receipt vouches for it: only the printed head does
    assert verify_output(runner).exit_code == 0
    result = verify_output(runner, "--head", head)
    assert_names_only(result, f"receipt {t.numbers.last}", t.numbers.first,
                      t.numbers.middle)
    assert "printed head" in result.output


def test_the_stored_hash_of_the_latest_receipt_changed_is_named(db, runner, t):
    alter(db, "receipt", "hash", "c" * 64, id=t.last.id)
    assert_names_only(verify_output(runner), f"receipt {t.numbers.last}", t.numbers.first,
                      t.numbers.middle)


def test_receipts_dropped_at_the_end_are_caught_by_the_printed_head(db, runner, as_role, t):
    head = printed_heads(as_role)["SJ"]
    db.session.execute(sa.delete(ChainEntry).where(ChainEntry.chain == "receipts",
                                                   ChainEntry.record_id == t.last.id))
    db.session.execute(sa.delete(Receipt).where(Receipt.id == t.last.id))
    db.session.commit()
    assert verify_output(runner).exit_code == 0  # the rest of the chain holds by itself
    result = verify_output(runner, "--head", head)
    assert result.exit_code == 1 and f"ALTERED: {t.numbers.last}" in result.output
    assert "dropped" in result.output


def test_a_head_is_typed_with_or_without_its_label_and_shortened(db, runner, t):
    digest = chain.last_link("receipts", t.world.estate.id).hash
    assert verify_output(runner, "--head", digest[:16]).exit_code == 0
    wrong = verify_output(runner, "--head", "0" * 16)
    assert wrong.exit_code == 1 and "in no chain" in wrong.output
    bad = verify_output(runner, "--head", "SJ2026-000003:xyz")
    assert bad.exit_code == 2 and "LABEL:HASH" in bad.output


# --- key loans: every column of the loan and its return ---------------------------------------


@pytest.fixture
def lt(world, db):
    """Three loans of three keys; the middle one returned."""
    keys = [factories.key(world.estate, world.unit, f"K-3-2-1502-0{n}", slot=str(n))
            for n in range(1, 5)]
    custody = factories.custody(keys[0], world.person, world.users["frontdesk"],
                                NOW - timedelta(days=60))
    authorisation = factories.authorisation(custody, NOW + timedelta(days=90))
    db.session.commit()
    desk = world.users["frontdesk"]
    lent = [loans.lend_key(desk, k, **OWNER, purpose="忘带钥匙开门",
                           expected_return_at=NOW + timedelta(hours=8), now=NOW)
            for k in keys[:3]]
    loans.return_key(desk, lent[1], returned_at=NOW + timedelta(hours=1),
                     condition="完好", now=NOW + timedelta(hours=2))
    numbers = [loans.loan_number(loan) for loan in lent]
    return SimpleNamespace(world=world, loans=lent, loan=lent[1], numbers=numbers,
                           spare_key=keys[3], authorisation=authorisation)


LOAN_ALTERATIONS = [
    ("estate_id", lambda lt: lt.world.other_estate.id),
    ("seq", lambda lt: 7),
    ("key_id", lambda lt: lt.spare_key.id),
    ("borrower_kind", lambda lt: "approved"),
    ("borrower_name", lambda lt: "李四"),
    ("borrower_phone", lambda lt: "13900002222"),
    ("borrower_id_tail", lambda lt: "123X"),
    ("authorisation_id", lambda lt: lt.authorisation.id),
    ("proxy_name", lambda lt: "赵六"),
    ("proxy_phone", lambda lt: "13600004444"),
    ("proxy_id_tail", lambda lt: "9999"),
    ("purpose", lambda lt: "搬家"),
    ("lent_at", lambda lt: NOW - timedelta(days=1)),
    ("expected_return_at", lambda lt: NOW + timedelta(days=3)),
    ("lent_by_id", lambda lt: lt.world.users["manager"].id),
    ("approved_by_id", lambda lt: lt.world.users["manager"].id),
    ("approval_reason", lambda lt: "物业检修"),
    ("content", lambda lt: {**lt.loan.content, "borrower_name": "李四"}),
    ("hash", lambda lt: "e" * 64),
    ("prev_hash", lambda lt: "f" * 64),
    ("returned_at", lambda lt: NOW + timedelta(hours=5)),
    ("returned_at", lambda lt: None),
    ("returned_to_id", lambda lt: lt.world.users["manager"].id),
    ("return_condition", lambda lt: "损坏：门卡断裂"),
    ("return_hash", lambda lt: "d" * 64),
    ("return_hash", lambda lt: None),
]


@pytest.mark.parametrize(("column", "value"), LOAN_ALTERATIONS,
                         ids=[f"{c}-{n}" for n, (c, _) in enumerate(LOAN_ALTERATIONS)])
def test_an_altered_loan_column_names_that_loan(db, runner, lt, column, value):
    ok = verify_output(runner)
    assert ok.exit_code == 0 and "OK: 3 key loans" in ok.output, ok.output
    alter(db, "key_loan", column, value(lt), id=lt.loan.id)
    first, number, last = lt.numbers
    assert_names_only(verify_output(runner), f"key loan {number}", first, last)


def test_a_loan_unreturned_in_the_database_is_named(db, runner, lt):
    db.session.execute(sa.update(KeyLoan).where(KeyLoan.id == lt.loan.id).values(
        returned_at=None, returned_to_id=None, return_condition="", return_hash=None))
    db.session.commit()
    result = verify_output(runner)
    first, number, last = lt.numbers
    assert_names_only(result, f"key loan {number}", first, last)
    assert "its return no longer matches" in result.output


def test_a_return_forged_in_the_database_is_named(db, runner, lt):
    alter(db, "key_loan", "returned_at", NOW + timedelta(hours=3), id=lt.loans[2].id)
    first, middle, number = lt.numbers
    result = verify_output(runner)
    assert_names_only(result, f"key loan {number}", first, middle)
    assert "its return is not in the chain" in result.output


def test_a_return_rewritten_with_a_fresh_hash_is_caught_by_the_printed_head(
        db, runner, as_role, lt):
    head = printed_heads(as_role)["JY"]
    return_link = chain.last_link("key_loans", lt.world.estate.id)
    assert return_link.event == "return" and return_link.record_id == lt.loan.id
    assert head == f"{lt.numbers[1]}:{return_link.hash}"
    # rewrite the return as if the key had come back damaged, with the hash that gives
    loan = db.session.get(KeyLoan, lt.loan.id)
    fields = {**loans.return_fields(loan), "return_condition": "损坏"}
    digest = chain.link_hash(chain="key_loans", estate_id=loan.estate_id, seq=return_link.seq,
                             event="return", label=return_link.label, at=return_link.at,
                             version=return_link.version, fields=fields,
                             prev_hash=return_link.prev_hash)
    db.session.execute(sa.update(KeyLoan).where(KeyLoan.id == loan.id)
                       .values(return_condition="损坏", return_hash=digest))
    db.session.execute(sa.update(ChainEntry.__table__)
                       .where(ChainEntry.id == return_link.id).values(hash=digest))
    db.session.commit()
    assert verify_output(runner).exit_code == 0  # nothing after it vouches for it
    result = verify_output(runner, "--head", head)
    assert_names_only(result, f"key loan {lt.numbers[1]}", lt.numbers[0], lt.numbers[2])


# --- registration ---------------------------------------------------------------------------


def test_receipts_and_key_loans_are_registered_chains(app):
    names = [c.name for c in chain.registered()]
    assert names[:2] == ["receipts", "key_loans"]
    for spec in chain.registered():
        assert spec.events and spec.label and spec.printed_name


def test_links_of_an_unregistered_chain_are_reported(db, runner, t):
    db.session.add(ChainEntry(chain="shifts", estate_id=t.world.estate.id, seq=1, record_id=1,
                              event="lock", label="BC1", at=NOW, version=1,
                              prev_hash=chain.GENESIS_HASH, hash="0" * 64))
    db.session.commit()
    result = verify_output(runner)
    assert result.exit_code == 1 and "not registered" in result.output


def test_links_are_append_only_for_the_orm(db, t):
    link = chain.last_link("receipts", t.world.estate.id)
    link.label = "changed"
    with pytest.raises(Exception, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()
