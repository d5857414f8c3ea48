"""What a request costs in statements: the user loaded once, writes without reloads.

A desk at company size serves many clerks from few cores; every statement is a round trip to the
database. These tests count the statements of the busiest pages through the HTTP routes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from frontdesk.models import Receipt, WorkOrder
from tests import factories
from tests.conftest import pay, receipt_id, statements

USER_TABLES = re.compile(r'\bFROM "user"|\buser_estate\b|\buser_role\b')




def user_reads(sent: list[str]) -> list[str]:
    return [s for s in sent if USER_TABLES.search(s) and not s.lstrip().upper().startswith(
        ("INSERT", "UPDATE"))]


def test_a_page_reads_the_user_with_estates_and_roles_in_one_statement(world, db, desk):
    factories.grant(world.users["frontdesk"], "frontdesk", world.other_estate)
    db.session.commit()
    with statements(db) as sent:
        assert desk.get(f"/desk/units/{world.unit.id}").status_code == 200
    assert len(user_reads(sent)) == 1, user_reads(sent)
    # both estates are there: the estate switcher lists them
    page = desk.get(f"/desk/units/{world.unit.id}").text
    assert world.other_estate.name in page


def test_a_deactivated_user_is_logged_out_on_the_next_request(world, db, desk):
    world.users["frontdesk"].active = False
    db.session.commit()
    r = desk.get(f"/desk/units/{world.unit.id}")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def _loaded(*objects):
    """Read the ids now, so that the test's own reloads are not counted as the request's."""
    return [o.id for o in objects]


def test_a_payment_sends_a_bounded_number_of_statements(world, db, desk, bills):
    first_bill, _ = _loaded(bills[0], world.unit)
    with statements(db) as sent:
        r = pay(desk, world.unit, "210.33", lines=[first_bill])
    rid = receipt_id(r)
    # the user is read once: neither the commit nor the response's headers read it again
    assert len(user_reads(sent)) == 1, user_reads(sent)
    assert len(sent) <= 27, "\n".join(sent)
    # the receipt counter is taken with one statement
    assert len([s for s in sent if "receipt_counter" in s]) == 1
    # a second payment of the year continues the numbering
    second = receipt_id(pay(desk, world.unit, "210.33", lines=[bills[1].id]))
    first, then = db.session.get(Receipt, rid), db.session.get(Receipt, second)
    assert (first.year, then.seq) == (then.year, first.seq + 1)


def test_paying_more_bills_reads_them_no_more_often(world, db, desk, bills):
    def reads(sent):
        return [s for s in sent if s.lstrip().startswith("SELECT") and "FROM bill_line" in s]

    ids = _loaded(*bills, world.unit)
    with statements(db) as one:
        receipt_id(pay(desk, world.unit, "210.33", lines=ids[:1]))
    ids = _loaded(*bills, world.unit)
    with statements(db) as two:
        receipt_id(pay(desk, world.unit, "420.66", lines=ids[1:3]))
    assert len(reads(two)) <= len(reads(one)) <= 4, "\n".join(reads(two))


def test_printing_a_receipt_sends_a_bounded_number_of_statements(world, db, desk, bills):
    rid = receipt_id(pay(desk, world.unit, "210.33", lines=[bills[0].id]))
    with statements(db) as sent:
        r = desk.post(f"/payments/receipts/{rid}/print")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert len(user_reads(sent)) <= 2, user_reads(sent)
    assert len(sent) <= 8, "\n".join(sent)


def _intake(desk, world, category_id):
    page = desk.get(f"/workorders/new?unit_id={world.unit.id}")
    key = re.search(r'name="intake_key" type="hidden" value="([0-9a-f]{32})"', page.text)
    return {"source": "来访", "reporter_name": "张三", "reporter_phone": "13812345678",
            "area": "厨房", "category_id": str(category_id), "priority": "normal",
            "description": "厨房水管漏水", "appointment_at": "", "quote_amount": "",
            "intake_key": key.group(1), "building_id": ""}


def test_the_intake_form_costs_the_same_whatever_the_number_of_categories(world, db, desk):
    from frontdesk.services.workorders import crew

    url = f"/workorders/new?unit_id={world.unit.id}"
    assert desk.get(url).status_code == 200  # the default list is made on first use
    with statements(db) as few:
        assert desk.get(url).status_code == 200
    for n in range(10):
        factories.category(world.estate, f"类别{n}")
    db.session.commit()
    with statements(db) as more:
        page = desk.get(url)
    assert page.status_code == 200 and "类别9" in page.text
    assert len(more) == len(few) <= 8, "\n".join(more)
    # reading the list commits nothing: no COMMIT expires what the request loaded
    assert not any(s.lstrip().upper().startswith("INSERT") for s in more)
    assert len(crew.categories(world.estate.id)) == 17


def test_recording_a_work_order_sends_a_bounded_number_of_statements(world, db, desk):
    from frontdesk.services.workorders import crew

    categories = crew.ensure_categories(world.estate.id)
    data = _intake(desk, world, categories[0].id)
    for n in range(10):
        factories.category(world.estate, f"类别{n}")
    db.session.commit()
    with statements(db) as sent:
        r = desk.post(f"/workorders/new?unit_id={world.unit.id}", data=data)
    assert r.status_code == 302, r.text[:2000]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 1
    assert len(sent) <= 20, "\n".join(sent)
    assert len([s for s in sent if "FROM work_order_category" in s]) <= 2


def test_the_intake_refuses_another_estates_or_a_retired_category(world, db, desk):
    from frontdesk.services.workorders import crew

    ours = crew.ensure_categories(world.estate.id)
    theirs = crew.ensure_categories(world.other_estate.id)
    ours[1].active = False
    db.session.commit()
    for bad in (theirs[0].id, ours[1].id, "abc", "-1", "9" * 30, ""):
        r = desk.post(f"/workorders/new?unit_id={world.unit.id}",
                      data=_intake(desk, world, bad))
        assert r.status_code == 422, bad
        assert "请选择" in r.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 0


def test_responses_to_a_logged_in_user_are_not_stored_after_a_commit(world, db, desk, bills,
                                                                     client):
    r = pay(desk, world.unit, "210.33", lines=[bills[0].id])
    assert r.status_code == 302 and r.headers["Cache-Control"] == "no-store"
    assert "no-store" in desk.get(r.headers["Location"]).headers["Cache-Control"]
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")


def test_the_desk_page_costs_the_same_whatever_the_open_work_orders(app, world, db, desk):
    # 10:00 in Shanghai: the day shift is on duty
    app.config["FRONTDESK_NOW"] = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    reporter = world.users["frontdesk"]
    first = factories.unit(world.building, "1", 3, "301")
    factories.work_order(world.estate, reporter, unit=first, description="一号漏水")
    db.session.commit()
    assert desk.get("/desk").status_code == 200  # the clerk opens (joins) the shift on duty
    with statements(db) as few:
        page = desk.get("/desk")
    assert page.status_code == 200
    assert "一号漏水" in page.text
    for n in range(10):
        u = factories.unit(world.building, "1", 4 + n, f"{4 + n}01")
        factories.work_order(world.estate, reporter, unit=u, description=f"第{n}单漏水")
    db.session.commit()
    with statements(db) as more:
        page = desk.get("/desk")
    assert page.status_code == 200
    # each order's unit is not read on its own, and a clerk already on the shift writes nothing
    assert len(more) == len(few), "\n".join(more)
    assert not [s for s in more if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert "第0单漏水" in page.text
