"""The key screens: lending picks the borrower from the key's lists, finishing a count with
unmarked keys asks for confirmation, and the loan slip masks phones."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from frontdesk.models import Key, KeyAuthorisation, KeyCount, KeyCountItem, KeyLoan
from tests import factories
from tests.pdf_text import pdf_text

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
WHEN = {"purpose": "忘带钥匙", "expected_return_at": "2026-11-20 18:00"}


@pytest.fixture
def key(world, db, app) -> Key:
    app.config["FRONTDESK_NOW"] = NOW
    k = factories.key(world.estate, world.unit)
    db.session.commit()
    return k


@pytest.fixture
def friend(world, db, key) -> KeyAuthorisation:
    """李四, whom the owner authorised to borrow the key for 90 days."""
    custody = factories.custody(key, world.person, world.users["frontdesk"],
                                NOW - timedelta(days=60))
    a = factories.authorisation(custody, NOW + timedelta(days=90))
    db.session.commit()
    return a


def loans(db) -> list[KeyLoan]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(KeyLoan).order_by(KeyLoan.seq)))


# --- lending: pick the borrower ------------------------------------------------------------


def test_the_lend_form_offers_the_owner_and_the_authorised_people(desk, world, key, friend):
    page = desk.get(f"/keys/{key.id}/lend").text
    select = re.search(r'<select[^>]*name="borrower".*?</select>', page, re.S).group(0)
    assert f'value="owner:{world.person.id}"' in select and "张三" in select
    assert f'value="authorised:{friend.id}"' in select and "李四" in select
    assert "2027-02-18" in select  # authorised until, local time
    assert 'value="other"' in select
    assert "/static/js/lend.js" in page


def test_lending_to_the_owner_picked_needs_no_retyping(desk, db, world, key):
    r = desk.post(f"/keys/{key.id}/lend", data={"borrower": f"owner:{world.person.id}", **WHEN})
    assert r.status_code == 302, r.text[:2000]
    [loan] = loans(db)
    assert (loan.borrower_kind, loan.borrower_name, loan.borrower_phone,
            loan.borrower_id_tail) == ("owner", "张三", "13812345678", "4477")


def test_lending_to_an_authorised_person_picked(desk, db, key, friend):
    r = desk.post(f"/keys/{key.id}/lend", data={"borrower": f"authorised:{friend.id}", **WHEN})
    assert r.status_code == 302
    [loan] = loans(db)
    assert (loan.borrower_kind, loan.borrower_name, loan.authorisation_id) == (
        "authorised", "李四", friend.id)


def test_a_revoked_or_foreign_pick_is_refused(desk, db, world, key, friend):
    friend.revoked_at = NOW - timedelta(hours=1)
    other_person = factories.person(world.other_estate, "外人", "13600006666")
    db.session.commit()
    for pick in (f"authorised:{friend.id}", f"owner:{other_person.id}", "owner:abc"):
        r = desk.post(f"/keys/{key.id}/lend", data={"borrower": pick, **WHEN})
        assert r.status_code == 422 and "所选人员（已）无权借用此钥匙" in r.text, pick
    assert loans(db) == [] and db.session.get(Key, key.id).status == "in_cabinet"


def test_nobody_picked_nor_typed_asks_for_the_borrower(desk, db, key):
    r = desk.post(f"/keys/{key.id}/lend", data={"borrower": "", **WHEN})
    assert r.status_code == 422 and "请选择借用人" in r.text
    assert loans(db) == []


def test_someone_else_still_borrows_with_a_managers_approval(desk, db, key):
    stranger = {"borrower": "other", "borrower_name": "王五", "borrower_phone": "13700003333",
                "borrower_id_tail": "5555", **WHEN}
    r = desk.post(f"/keys/{key.id}/lend", data=stranger)
    assert r.status_code == 422 and "经理" in r.text
    r = desk.post(f"/keys/{key.id}/lend", data={
        **stranger, "manager_username": "manager", "manager_password": factories.PASSWORD,
        "approve_reason": "物业检修"})
    assert r.status_code == 302
    [loan] = loans(db)
    assert (loan.borrower_kind, loan.borrower_name) == ("approved", "王五")


# --- the loan slip -------------------------------------------------------------------------


def test_the_loan_slip_masks_the_phones_as_the_custody_voucher_does(desk, db, key, friend):
    desk.post(f"/keys/{key.id}/lend", data={
        "borrower": f"authorised:{friend.id}", "proxy_name": "赵六",
        "proxy_phone": "13600004444", "proxy_id_tail": "8888", **WHEN})
    [loan] = loans(db)
    r = desk.post(f"/keys/loans/{loan.id}/slip.pdf")
    text = pdf_text(r.data, sep="")
    assert "139****2222" in text and "136****4444" in text
    assert "13900002222" not in text and "13600004444" not in text
    voucher = desk.get(f"/keys/custodies/{friend.custody_id}/receipt.pdf")
    voucher_text = pdf_text(voucher.data, sep="")
    assert "139****2222" in voucher_text and "13900002222" not in voucher_text


# --- finishing a count ---------------------------------------------------------------------


@pytest.fixture
def count_id(desk, world, db, key) -> int:
    factories.key(world.estate, world.unit, "K-3-2-1502-02", kind="信箱")
    db.session.commit()
    r = desk.post("/keys/counts/new", data={"note": "月度盘点"})
    return int(re.search(r"/keys/counts/(\d+)$", r.headers["Location"]).group(1))


def finished(db, count_id) -> bool:
    db.session.expire_all()
    return db.session.get(KeyCount, count_id).finished_at is not None


def test_finishing_with_unmarked_keys_asks_to_confirm_first(desk, db, count_id):
    r = desk.post(f"/keys/counts/{count_id}/finish")
    assert r.status_code == 200 and 'id="confirm-missing"' in r.text
    assert "有 2 把应在柜的钥匙尚未标记" in r.text
    assert "K-3-2-1502-01" in r.text and "K-3-2-1502-02" in r.text
    assert 'name="confirm_missing" type="hidden" value="2"' in r.text
    assert not finished(db, count_id)
    assert all(i.found is None for i in db.session.scalars(sa.select(KeyCountItem)))

    # a key marked meanwhile changes the number: the user is asked again
    item = db.session.scalar(sa.select(KeyCountItem).join(Key).where(
        Key.tag == "K-3-2-1502-01"))
    desk.post(f"/keys/count-items/{item.id}/mark", data={"found": "1"})
    r = desk.post(f"/keys/counts/{count_id}/finish", data={"confirm_missing": "2"})
    assert r.status_code == 200 and "有 1 把应在柜的钥匙尚未标记" in r.text
    assert not finished(db, count_id)

    r = desk.post(f"/keys/counts/{count_id}/finish", data={"confirm_missing": "1"})
    assert r.status_code == 302 and finished(db, count_id)
    items = {k.tag: i.found for i, k in db.session.execute(
        sa.select(KeyCountItem, Key).join(Key))}
    assert items == {"K-3-2-1502-01": True, "K-3-2-1502-02": False}


def test_a_count_with_every_key_marked_finishes_at_once(desk, db, count_id):
    desk.post(f"/keys/counts/{count_id}/scan", data={"tags": "K-3-2-1502-01 K-3-2-1502-02"})
    r = desk.post(f"/keys/counts/{count_id}/finish")
    assert r.status_code == 302 and finished(db, count_id)
