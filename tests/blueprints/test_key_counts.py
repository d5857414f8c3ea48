"""The cabinet count (盘点): start, scan, mark, finish, and the report of expected against found."""

from __future__ import annotations

import html
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, Key, KeyCount, KeyCountItem, KeyLoan
from frontdesk.models.base import utcnow
from frontdesk.services import DomainError
from frontdesk.services.keys import counts
from tests import factories
from tests.pdf_text import pdf_text

# --- test data: keys and loans inserted directly (the keys pages make them in production) -----


def key(estate, tag, status="in_cabinet", *, unit=None, area="", kind="入户门", cabinet="A",
        slot="", copies=1) -> Key:
    k = Key(estate_id=estate.id, tag=tag, unit_id=unit.id if unit else None, area=area,
            kind=kind, copies=copies, cabinet=cabinet, slot=slot, status=status)
    factories.db.session.add(k)
    factories.db.session.flush()
    return k


def loan(k: Key, lender, borrower="李四", seq=1, *, lent=None, due=None) -> KeyLoan:
    now = utcnow()
    ln = KeyLoan(estate_id=k.estate_id, seq=seq, key_id=k.id, borrower_kind="owner",
                 borrower_name=borrower, borrower_phone="13900002222", borrower_id_tail="1234",
                 purpose="装修", lent_at=lent or now - timedelta(days=1),
                 expected_return_at=due or now + timedelta(days=2), lent_by_id=lender.id,
                 content={}, prev_hash="0" * 64, hash="1" * 64)
    factories.db.session.add(ln)
    factories.db.session.flush()
    return ln


@pytest.fixture
def keys(world, db):
    """Keys of every status in cabinets A and B, one out on loan to 李四, one of another estate."""
    desk_user = world.users["frontdesk"]
    ks = {
        "door": key(world.estate, "K-3-2-1502-01", unit=world.unit, slot="01"),
        "mailbox": key(world.estate, "K-3-2-1502-02", unit=world.unit, kind="信箱", slot="02"),
        "plant": key(world.estate, "K-GY-01", area="3号楼设备间", kind="设备间", cabinet="B",
                     copies=2),
        "lent": key(world.estate, "K-3-2-1502-03", "on_loan", unit=world.unit, kind="储藏室",
                    slot="03"),
        "lost": key(world.estate, "K-LOST-01", "lost", cabinet="B"),
        "lost_found": key(world.estate, "K-LOST-02", "lost", cabinet="B"),
        "returned": key(world.estate, "K-RET-01", "returned"),
        "other": key(world.other_estate, "K-OTHER-01"),
    }
    loan(ks["lent"], desk_user)
    db.session.commit()
    return ks


def start(client, note="月度盘点"):
    return client.post("/keys/counts/new", data={"note": note})


def started(client) -> int:
    r = start(client)
    assert r.status_code == 302, r.text[:2000]
    return int(re.search(r"/keys/counts/(\d+)$", r.headers["Location"]).group(1))


def items_by_tag(db, count_id) -> dict[str, KeyCountItem]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(KeyCountItem, Key.tag).join(Key).where(
        KeyCountItem.count_id == count_id))
    return {tag: item for item, tag in rows}


def item_id(db, count_id, tag) -> int:
    return items_by_tag(db, count_id)[tag].id


def scan(client, count_id, text, cabinet=""):
    return client.post(f"/keys/counts/{count_id}/scan", data={"tags": text, "cabinet": cabinet})


def mark(client, db, count_id, tag, found: bool, note=""):
    action = {"found": "1"} if found else {"missing": "1"}
    return client.post(f"/keys/count-items/{item_id(db, count_id, tag)}/mark",
                       data={"note": note, **action})


def section(page: str, group: str) -> str:
    """Return the HTML of one group of the report page."""
    match = re.search(rf'<section id="group-{group}".*?</section>', page, re.S)
    assert match, group
    return match.group(0)



def audit_actions(db, count_id) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "key_count", AuditEvent.object_id == count_id)
        .order_by(AuditEvent.id)))


# --- starting -----------------------------------------------------------------------------------


def test_count_lists_every_held_key_with_its_registered_status(desk, db, keys):
    assert desk.get("/keys/counts/new").status_code == 200
    count_id = started(desk)
    items = items_by_tag(db, count_id)
    assert {t: i.expected_status for t, i in items.items()} == {
        "K-3-2-1502-01": "in_cabinet", "K-3-2-1502-02": "in_cabinet", "K-GY-01": "in_cabinet",
        "K-3-2-1502-03": "on_loan", "K-LOST-01": "lost", "K-LOST-02": "lost",
    }
    assert all(i.found is None for i in items.values())
    count = db.session.get(KeyCount, count_id)
    assert count.note == "月度盘点" and count.finished_at is None
    page = desk.get(f"/keys/counts/{count_id}").text
    assert "K-RET-01" not in page and "K-OTHER-01" not in page
    assert "K-3-2-1502-01" in page and "K-GY-01" in page


def test_second_count_while_one_is_open_is_refused(desk, db, keys):
    first = started(desk)
    r = start(desk)
    assert r.status_code == 422
    assert "盘点正在进行" in r.text
    assert db.session.scalar(sa.select(sa.func.count(KeyCount.id))) == 1
    finish_confirmed(desk, first)
    assert started(desk) != first


def test_count_of_an_estate_without_keys_is_refused(desk, db, world):
    r = start(desk)
    assert r.status_code == 422 and "没有可盘点的钥匙" in r.text
    assert db.session.scalar(sa.select(sa.func.count(KeyCount.id))) == 0


# --- scanning and marking -----------------------------------------------------------------------


def test_scanned_tags_are_marked_found_and_unknown_tags_reported(desk, db, keys):
    count_id = started(desk)
    r = scan(desk, count_id, "K-3-2-1502-01, k-3-2-1502-01\nK-NOPE-9  K-RET-01；K-LOST-02\n")
    assert r.status_code == 200
    result = re.search(r'<div id="scan-result".*?</div>\s*</div>', r.text, re.S).group(0)
    assert "K-NOPE-9" in result and "没有编号为" in result
    assert "K-RET-01" in result and "不在本次盘点" in result
    # the box keeps only the tags that matched nothing, to be corrected
    box = re.search(r"<textarea[^>]*>(.*?)</textarea>", r.text, re.S).group(1)
    assert box.split() == ["K-NOPE-9", "K-RET-01"]
    items = items_by_tag(db, count_id)
    assert items["K-3-2-1502-01"].found is True and items["K-3-2-1502-01"].marked_at
    assert items["K-LOST-02"].found is True
    assert items["K-3-2-1502-02"].found is None

    # scanning the same key again changes nothing and is no error
    again = scan(desk, count_id, "K-3-2-1502-01")
    assert again.status_code == 200 and "重复扫描" in again.text
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "scan")
                               .order_by(AuditEvent.id)).first()
    assert event.after["found"] == ["K-3-2-1502-01", "K-LOST-02"]
    assert event.after["unknown"] == ["K-NOPE-9"]
    assert event.after["not_in_count"] == ["K-RET-01"]
    assert audit_actions(db, count_id) == ["start", "scan", "scan"]


def test_full_width_tags_from_a_chinese_input_method_are_understood():
    assert counts.parse_tags("Ｋ－ＧＹ－０１，K-1、K-2 k-1\r\nK-3") == [
        "K-GY-01", "K-1", "K-2", "K-3"]


def test_empty_scan_box_is_refused_and_writes_nothing(desk, db, keys):
    count_id = started(desk)
    r = scan(desk, count_id, " ,\n ")
    assert r.status_code == 422 and "请扫描或输入至少一个钥匙编号" in r.text
    assert audit_actions(db, count_id) == ["start"]


def test_key_marked_missing_keeps_its_note(desk, db, keys):
    count_id = started(desk)
    r = mark(desk, db, count_id, "K-3-2-1502-02", False, "格内为空<script>alert(1)</script>")
    assert r.status_code == 302 and f"#item-{item_id(db, count_id, 'K-3-2-1502-02')}" in (
        r.headers["Location"])
    item = items_by_tag(db, count_id)["K-3-2-1502-02"]
    assert item.found is False and item.note.startswith("格内为空")
    page = desk.get(f"/keys/counts/{count_id}").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    # a key marked missing by mistake and then found is marked found
    mark(desk, db, count_id, "K-3-2-1502-02", True)
    assert items_by_tag(db, count_id)["K-3-2-1502-02"].found is True
    assert audit_actions(db, count_id) == ["start", "mark", "mark"]


def test_note_of_more_than_200_characters_is_refused(desk, db, keys):
    count_id = started(desk)
    r = mark(desk, db, count_id, "K-GY-01", False, "长" * 201)
    assert r.status_code == 302
    assert items_by_tag(db, count_id)["K-GY-01"].found is None
    assert "200" in desk.get(r.headers["Location"]).text


def test_cabinet_filter_lists_only_that_cabinets_keys(desk, db, keys):
    count_id = started(desk)
    page = desk.get(f"/keys/counts/{count_id}?cabinet=B").text
    listed = re.search(r'<table[^>]*id="items".*?</table>', page, re.S).group(0)
    assert "K-GY-01" in listed and "K-LOST-01" in listed
    assert "K-3-2-1502-01" not in listed
    # marking from the filtered list comes back to it
    r = desk.post(f"/keys/count-items/{item_id(db, count_id, 'K-GY-01')}/mark",
                  data={"found": "1", "cabinet": "B"})
    assert "cabinet=B" in r.headers["Location"]


def finish_confirmed(client, count_id: int):
    """Finish a count, confirming the unmarked keys that will be recorded missing."""
    r = client.post(f"/keys/counts/{count_id}/finish")
    if r.status_code == 200 and 'id="confirm-missing"' in r.text:
        n = re.search(r'name="confirm_missing" type="hidden" value="(\d+)"', r.text).group(1)
        r = client.post(f"/keys/counts/{count_id}/finish", data={"confirm_missing": n})
    return r


# --- finishing and the report -------------------------------------------------------------------


def test_finished_count_reports_missing_keys_and_accounts_for_loans(desk, db, keys):
    count_id = started(desk)
    scan(desk, count_id, "K-3-2-1502-01 K-LOST-02")
    mark(desk, db, count_id, "K-3-2-1502-02", False, "格内为空")

    before = desk.get(f"/keys/counts/{count_id}/report").text
    assert "K-GY-01" in section(before, "cabinet_unchecked")

    r = finish_confirmed(desk, count_id)
    assert r.status_code == 302 and r.headers["Location"].endswith(
        f"/keys/counts/{count_id}/report")
    items = items_by_tag(db, count_id)
    assert items["K-GY-01"].found is False and items["K-GY-01"].marked_at
    # keys out on loan or lost were not expected in the cabinet: finishing leaves them unmarked
    assert items["K-3-2-1502-03"].found is None and items["K-LOST-01"].found is None
    assert db.session.get(KeyCount, count_id).finished_at is not None

    page = desk.get(r.headers["Location"]).text
    assert "K-3-2-1502-01" in section(page, "cabinet_found")
    missing = section(page, "cabinet_missing")
    assert "K-GY-01" in missing and "K-3-2-1502-02" in missing and "格内为空" in missing
    on_loan = section(page, "on_loan")
    assert "K-3-2-1502-03" in on_loan and "李四" in on_loan
    assert "K-LOST-02" in section(page, "discrepancy")
    assert "K-LOST-01" in section(page, "lost")
    assert 'id="group-cabinet_unchecked"' not in page
    summary = re.search(r'<table[^>]*id="summary".*?</table>', page, re.S).group(0)
    figures = [int(n) for n in re.findall(r'<td class="text-end">(\d+)</td>', summary)]
    # keys and copies per group, then the totals: found 1, missing 2 (3 copies), on loan 1,
    # discrepancy 1, lost 1
    assert figures == [1, 1, 2, 3, 1, 1, 1, 1, 1, 1, 6, 7]
    assert audit_actions(db, count_id) == ["start", "scan", "mark", "finish"]
    finish = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "finish"))
    assert finish.after["missing_at_finish"] == ["K-GY-01"]

    # a finished count can no longer change
    again = scan(desk, count_id, "K-GY-01")
    assert "盘点已结束" in html.unescape(again.text)
    assert items_by_tag(db, count_id)["K-GY-01"].found is False
    assert desk.post(f"/keys/counts/{count_id}/finish").status_code == 302
    assert audit_actions(db, count_id)[-1] == "finish"
    assert audit_actions(db, count_id).count("finish") == 1


def test_loan_returned_after_the_count_started_stays_accounted_for(desk, db, world, keys):
    count_id = started(desk)
    ln = db.session.scalar(sa.select(KeyLoan))
    ln.returned_at = utcnow()
    db.session.commit()
    on_loan = section(desk.get(f"/keys/counts/{count_id}/report").text, "on_loan")
    assert "李四" in on_loan and "归还" in on_loan


def test_report_pdf_lists_groups_tags_and_signature_lines(desk, db, keys):
    count_id = started(desk)
    scan(desk, count_id, "K-3-2-1502-01 K-3-2-1502-02 K-LOST-02")
    finish_confirmed(desk, count_id)
    r = desk.get(f"/keys/counts/{count_id}/report.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    for words in ("钥匙盘点表", "阳光花园", "应在柜且已找到", "应在柜但未找到", "借出在外",
                  "账实不符", "登记遗失", "K-3-2-1502-01", "K-GY-01", "K-3-2-1502-03", "李四",
                  "K-LOST-01", "K-LOST-02", "盘点人", "复核人", "小计"):
        assert words in text, words
    assert "K-RET-01" not in text
    assert "尚未盘点" not in text


def test_report_pdf_of_a_count_in_progress_lists_unchecked_keys(desk, db, keys):
    count_id = started(desk)
    text = pdf_text(desk.get(f"/keys/counts/{count_id}/report.pdf").data)
    assert "盘点进行中" in text and "应在柜、尚未盘点" in text and "K-GY-01" in text


def test_count_list_shows_progress(desk, db, keys):
    count_id = started(desk)
    mark(desk, db, count_id, "K-GY-01", False)
    page = desk.get("/keys/counts").text
    assert f"/keys/counts/{count_id}" in page and "text-danger fw-bold\">1<" in page


# --- scoping ------------------------------------------------------------------------------------


def test_another_estates_count_is_not_found(desk, db, world, keys):
    stranger = factories.user("frontdesk", [world.other_estate], username="stranger")
    other = KeyCount(estate_id=world.other_estate.id, started_by_id=stranger.id)
    db.session.add(other)
    db.session.flush()
    item = KeyCountItem(count_id=other.id, key_id=keys["other"].id, expected_status="in_cabinet")
    db.session.add(item)
    db.session.commit()
    for url in (f"/keys/counts/{other.id}", f"/keys/counts/{other.id}/report",
                f"/keys/counts/{other.id}/report.pdf"):
        assert desk.get(url).status_code == 404, url
    assert desk.post(f"/keys/counts/{other.id}/scan", data={"tags": "K-OTHER-01"}
                     ).status_code == 404
    assert desk.post(f"/keys/counts/{other.id}/finish").status_code == 404
    assert desk.post(f"/keys/count-items/{item.id}/mark", data={"found": "1"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(KeyCountItem, item.id).found is None
    assert db.session.get(KeyCount, other.id).finished_at is None


def test_own_count_does_not_see_another_estates_tags(desk, db, keys):
    count_id = started(desk)
    r = scan(desk, count_id, "K-OTHER-01")
    assert "K-OTHER-01" in re.search(r'<div id="scan-result".*?</div>\s*</div>', r.text,
                                     re.S).group(0)
    assert "没有编号为" in r.text


def test_roles_without_keys_manage_are_refused(as_role, keys):
    for role in ("engineering", "finance"):
        assert as_role(role).get("/keys/counts").status_code == 403


# --- concurrency --------------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_desks_starting_a_count_at_once_start_one(app, db, world, keys):
    estate_id, user_id = world.estate.id, world.users["frontdesk"].id
    barrier = threading.Barrier(5)
    outcomes: list[str] = []

    def run():
        with app.app_context():
            from frontdesk.models import Estate, User

            estate, user = db.session.get(Estate, estate_id), db.session.get(User, user_id)
            barrier.wait(timeout=30)
            try:
                counts.start_count(user, estate, utcnow())
                outcomes.append("started")
            except DomainError:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["refused"] * 4 + ["started"]
    assert db.session.scalar(sa.select(sa.func.count(KeyCount.id))) == 1
