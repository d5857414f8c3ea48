"""Bill runs: every method through a posted run, problems, idempotency, corrections, prepaid."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from frontdesk.extensions import db as _db
from frontdesk.models import (
    AuditEvent,
    BillLine,
    BillRun,
    PrepaidEntry,
    Tariff,
)
from frontdesk.services import DomainError
from frontdesk.services.fees import billing, corrections, meters
from tests import factories
from tests.factories import fee_item, meter, reading, tariff

D = Decimal
PERIOD = "2026-11"
TODAY = date(2026, 11, 30)



# test data, inserted straight into the tables ---------------------------------------------------


@pytest.fixture(autouse=True)
def _chinese(app):
    """Give messages a locale outside requests (the app's selector reads the session)."""
    with force_locale("zh_CN"):
        yield


def post(estate, actor=None, period=PERIOD, **kw):
    return billing.post_bill_run(actor, estate, period, today=TODAY, **kw)


def line_of(unit, item, kind="charge") -> BillLine:
    return _db.session.scalars(sa.select(BillLine).where(
        BillLine.unit_id == unit.id, BillLine.fee_item_id == item.id,
        BillLine.kind == kind)).one()


# each method ------------------------------------------------------------------------------------


def test_area_fee_is_prorated_from_a_mid_month_handover(fees, db):
    fees.unit.handover_date = date(2026, 11, 16)
    db.session.commit()
    run = post(fees.estate)
    line = line_of(fees.unit, fees.area)
    assert line.amount == D("105.16")  # 89.50 × 2.35 × 15/30 = 105.1625
    assert line.explanation == "89.50 m² × 2.3500 元/m²·月 × 15/30 月 = 105.16"
    assert (line.quantity, line.price) == (D("89.50"), D("2.3500"))
    assert line.due_date == date(2026, 11, 15)
    assert line.bill_run_id == run.id and line.period == PERIOD


def test_area_fee_for_a_whole_month_and_none_before_handover(fees, db):
    later = fees.unit_in("1601", handover_date=date(2026, 12, 3))
    never = fees.unit_in("1701", handover_date=None)
    db.session.commit()
    post(fees.estate)
    line = line_of(fees.unit, fees.area)
    assert line.explanation == "89.50 m² × 2.3500 元/m²·月 × 1 月 = 210.33"
    for unit in (later, never):
        assert db.session.scalar(sa.select(sa.func.count(BillLine.id)).where(
            BillLine.unit_id == unit.id)) == 0


def test_inner_area_items_use_the_inner_area(fees, db):
    fees.area.area_basis = "inner"
    db.session.commit()
    post(fees.estate)
    assert line_of(fees.unit, fees.area).amount == D("169.91")  # 72.30 × 2.35


def test_vacant_units_get_the_vacancy_discount(fees, db):
    fees.unit.status = "空置"
    db.session.commit()
    post(fees.estate)
    line = line_of(fees.unit, fees.area)
    assert line.amount == D("147.23")  # 89.50 × 2.35 × 0.70 = 147.2275
    assert "空置优惠" in line.explanation


def test_metered_water_with_annual_tiers_shows_the_split(fees, db):
    m = meter(fees.estate, "water", "W-1502", unit=fees.unit)
    reading(m, "2026-01", "1000")
    reading(m, "2026-05", "1100", "1000")
    reading(m, "2026-10", "1170", "1100")
    reading(m, "2025-12", "900", "800")  # last year's use does not count
    reading(m, PERIOD, "1195", "1170")
    db.session.commit()
    assert meters.year_to_date(fees.unit.id, "water", PERIOD) == D("170")
    post(fees.estate)
    line = line_of(fees.unit, fees.water)
    assert line.amount == D("155.00")
    assert line.quantity == D("25")
    assert "(1,195 − 1,170) m³" in line.explanation
    assert "本年已用 170.00 m³" in line.explanation
    assert "10.00 × 5.0000 + 15.00 × 7.0000 = 155.00" in line.explanation
    assert line.due_date == date(2026, 11, 20)


def test_metered_electricity_with_period_tiers_starts_each_period_at_zero(fees, db):
    m = meter(fees.estate, "electricity", "E-1502", unit=fees.unit)
    reading(m, "2026-10", "1032", "500")  # 532 earlier this year: ignored for period tiers
    reading(m, PERIOD, "1268", "1032")
    db.session.commit()
    post(fees.estate)
    line = line_of(fees.unit, fees.power)
    assert line.amount == D("152.40")  # 200 × 0.60 + 36 × 0.90
    assert line.explanation.startswith("(1,268 − 1,032) kWh，236.00 kWh 阶梯：")
    assert line.explanation.endswith("200.00 × 0.6000 + 36.00 × 0.9000 = 152.40")


def test_metered_without_tiers_multiplies_with_the_meter_multiplier(fees, db):
    fees.power.tier_mode = "none"
    m = meter(fees.estate, "electricity", "E-1502", unit=fees.unit, multiplier="10")
    reading(m, PERIOD, "120", "100")
    db.session.commit()
    post(fees.estate)
    line = line_of(fees.unit, fees.power)
    assert line.amount == D("120.00")
    assert line.explanation == "(120 − 100) × 10 kWh × 0.6000 元/kWh = 120.00"


def shared_setup(fees, db, basis="area", used="3000", approved=True):
    """Three more units with meters; the building's shared meter used `used` in the period."""
    units = [fees.unit, fees.unit_in("1601", "100.00"), fees.unit_in("1701", "120.33")]
    for i, u in enumerate(units):
        m = meter(fees.estate, "electricity", f"E-{i}", unit=u)
        reading(m, PERIOD, "1100", "1000")  # 100 kWh each: 300 in all
    shared = meter(fees.estate, "electricity", "GT-3", building=fees.building, shared=True,
                   item=fees.shared, basis=basis)
    reading(shared, PERIOD, D("10000") + D(used), "10000", approved=approved)
    db.session.commit()
    return units, shared


def test_apportioned_loss_is_split_by_area_and_adds_up_exactly(fees, db):
    units, shared = shared_setup(fees, db, used="1000.01")
    assert meters.shared_loss(shared, PERIOD)[2] == D("700.01")
    post(fees.estate)
    lines = [line_of(u, fees.shared) for u in units]
    assert sum(ln.amount for ln in lines) == D("700.01")
    # exact shares 202.2051…, 225.9331…, 271.8717…: the odd fen goes to the largest remainder
    assert [ln.amount for ln in lines] == [D("202.21"), D("225.93"), D("271.87")]
    assert lines[0].explanation == "公摊 700.01 × 89.50 / 309.83 m² = 202.21"
    assert lines[0].price == D("1.0000")


def test_apportioned_equally_gives_the_remainder_to_the_first(fees, db):
    fees.shared.name = "公摊水费"
    tariff_row = db.session.scalars(sa.select(Tariff).where(
        Tariff.fee_item_id == fees.shared.id)).one()
    tariff_row.price = D("0.3333")
    units, _ = shared_setup(fees, db, basis="equal", used="600")
    # loss 300 kWh × 0.3333 = 99.99 over three units
    post(fees.estate)
    amounts = [line_of(u, fees.shared).amount for u in units]
    assert amounts == [D("33.33"), D("33.33"), D("33.33")]


def test_apportioned_hundred_over_three_gives_33_34_first(fees, db):
    units, _ = shared_setup(fees, db, basis="equal", used="400")  # loss 100 × 1.00
    post(fees.estate)
    # units are taken in code order: 3-1-1601 first, so it gets the odd fen
    amounts = {u.code: line_of(u, fees.shared).amount for u in units}
    assert amounts == {"3-1-1601": D("33.34"), "3-1-1701": D("33.33"), "3-2-1502": D("33.33")}
    assert line_of(units[1], fees.shared).explanation == "公摊 100.00 / 3 户 = 33.34"


def test_an_estate_shared_meter_is_split_over_every_building(fees, db):
    other = factories.building(fees.estate, "5")
    far = factories.unit(other, "1", 2, "201", "110.50", status="已入住",
                         handover_date=date(2025, 1, 1))
    shared = meter(fees.estate, "electricity", "GT-ALL", shared=True, item=fees.shared)
    reading(shared, PERIOD, "300", "100", approved=True)  # no sub-meter readings: loss 200
    db.session.commit()
    assert meters.shared_loss(shared, PERIOD) == (D("200"), D("0"), D("200"))
    post(fees.estate, building=other)  # one building: its share of the whole estate's split
    line = line_of(far, fees.shared)
    assert line.explanation == "公摊 200.00 × 110.50 / 200.00 m² = 110.50"
    assert db.session.scalar(sa.select(sa.func.count(BillLine.id)).where(
        BillLine.unit_id == fees.unit.id)) == 0
    post(fees.estate)
    assert line_of(fees.unit, fees.shared).amount == D("89.50")


def test_a_shared_meter_below_its_sub_meters_is_a_problem(fees, db):
    units, shared = shared_setup(fees, db, used="250")  # sub-meters used 300
    preview = billing.preview_bill_run(fees.estate, PERIOD, today=TODAY)
    assert [(p.kind, p.where) for p in preview.problems] == [("negative_loss", "GT-3")]
    assert not any(ln.fee_item_id == fees.shared.id for ln in preview.lines)


def test_fixed_items_charge_the_tariff_price(fees, db):
    post(fees.estate)
    line = line_of(fees.unit, fees.fixed)
    assert line.amount == D("20.00")
    assert line.explanation == "定额 20.0000 元/户 = 20.00"


def test_a_unit_tariff_wins_over_the_estate_tariff(fees, db):
    tariff(fees.area, "3.00", scope="unit", unit=fees.unit)
    db.session.commit()
    post(fees.estate)
    assert line_of(fees.unit, fees.area).amount == D("268.50")


# problems, scope, idempotency -------------------------------------------------------------------


def test_problems_are_listed_not_raised(fees, db):
    no_area = fees.unit_in("1601", None)
    no_reading = fees.unit_in("1701")
    meter(fees.estate, "water", "W-1701", unit=no_reading)
    shared = meter(fees.estate, "electricity", "GT-3", building=fees.building, shared=True,
                   item=fees.shared)
    reading(shared, PERIOD, "500", "100", approved=False)
    orphan = fee_item(fees.estate, "TC", method="fixed", name="停车费")
    db.session.commit()
    preview = billing.preview_bill_run(fees.estate, PERIOD, today=TODAY)
    kinds = {(p.kind, p.where, p.fee_item) for p in preview.problems}
    assert ("no_area", no_area.code, "物业费") in kinds
    assert ("missing_reading", no_reading.code, "水费") in kinds
    assert ("shared_unapproved", "GT-3", "公摊电费") in kinds
    assert ("no_tariff", fees.building.label, orphan.name) in kinds
    with force_locale("en"):
        messages = {p.kind: str(p.message) for p in preview.problems}
    assert messages["missing_reading"] == "No reading of meter W-1701 for 2026-11."
    assert messages["no_tariff"] == "No tariff in force on 2026-11-01 for 3 units."
    # the rest is still billed, and the preview wrote nothing
    assert preview.total.lines == 5  # area + fixed for 1502 and 1701, fixed for 1601
    assert db.session.scalar(sa.select(sa.func.count(BillLine.id))) == 0


def test_preview_totals_per_building_and_fee_item(fees, db):
    other = factories.building(fees.estate, "5")
    factories.unit(other, "1", 2, "201", "50.00", status="已入住",
                   handover_date=date(2025, 1, 1))
    db.session.commit()
    preview = billing.preview_bill_run(fees.estate, PERIOD, today=TODAY)
    assert preview.by_building[fees.building.id].amount == D("230.33")
    assert preview.by_building[other.id].amount == D("137.50")  # 117.50 + 20.00
    assert preview.by_item[fees.area.id].amount == D("327.83")
    assert preview.cells[(other.id, fees.fixed.id)] == D("20.00")
    assert preview.total.amount == D("367.83")
    scoped = billing.preview_bill_run(fees.estate, PERIOD, other, today=TODAY)
    assert {ln.building_id for ln in scoped.lines} == {other.id}


def test_progress_is_reported_per_building(fees, db):
    factories.building(fees.estate, "5")
    db.session.commit()
    calls = []
    billing.preview_bill_run(fees.estate, PERIOD, today=TODAY,
                             progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]


def test_running_again_bills_nothing_twice(fees, db):
    first = post(fees.estate)
    assert first.lines == 2 and first.total == D("230.33")
    with pytest.raises(billing.NothingToPost):
        post(fees.estate)
    newcomer = fees.unit_in("1601", "100.00")
    db.session.commit()
    preview = billing.preview_bill_run(fees.estate, PERIOD, today=TODAY)
    assert preview.already_billed == 2 and preview.total.lines == 2
    second = post(fees.estate)
    assert second.lines == 2
    assert {ln.unit_id for ln in db.session.scalars(
        sa.select(BillLine).where(BillLine.bill_run_id == second.id))} == {newcomer.id}
    assert db.session.scalar(sa.select(sa.func.count(BillLine.id))) == 4


def test_the_database_refuses_a_second_charge_line(fees, db):
    post(fees.estate)
    original = line_of(fees.unit, fees.area)
    db.session.add(BillLine(estate_id=original.estate_id, unit_id=original.unit_id,
                            fee_item_id=original.fee_item_id, period=PERIOD, kind="charge",
                            amount=D("1.00"), explanation="dup", due_date=original.due_date))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_posting_writes_one_audit_event_for_the_run(fees, db):
    run = post(fees.estate)
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "bill_run")).all()
    assert len(events) == 1
    assert events[0].object_id == run.id and events[0].user_name == "system"
    assert events[0].after["lines"] == 2 and events[0].after["total"] == "230.33"
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.object_type == "bill_line")) == 0


def test_a_future_period_is_refused(fees, db):
    with pytest.raises(DomainError) as e:
        billing.preview_bill_run(fees.estate, "2026-12", today=TODAY)
    assert e.value.field == "period"
    with pytest.raises(DomainError):
        post(fees.estate, period="2026-12")
    assert db.session.scalar(sa.select(sa.func.count(BillRun.id))) == 0


@pytest.mark.parametrize("period", ["", "2026-13", "2026-1", "11/2026", "1999-01", "abc"])
def test_malformed_periods_are_refused(fees, period):
    with pytest.raises(DomainError):
        billing.preview_bill_run(fees.estate, period, today=TODAY)


def test_a_building_of_another_estate_is_refused(fees, world):
    stranger = factories.building(world.other_estate, "9")
    with pytest.raises(DomainError):
        billing.preview_bill_run(fees.estate, PERIOD, stranger, today=TODAY)


def test_quarterly_items_bill_three_months_in_the_cycles_first_month(fees, db):
    fees.area.cycle_months = 3
    db.session.commit()
    november = post(fees.estate)  # not a cycle's first month: only the monthly 垃圾费
    assert november.lines == 1
    post(fees.estate, period="2026-10")
    line = line_of(fees.unit, fees.area)
    assert line.period == "2026-10"
    assert line.amount == D("630.98")  # 89.50 × 2.35 × 3 = 630.975
    assert line.explanation == "89.50 m² × 2.3500 元/m²·月 × 3 月 = 630.98"


def test_a_quarter_from_a_mid_month_handover_agrees_with_the_monthly_bills(fees, db):
    """The cycle prorates its first month by that month's days, as the monthly bill does."""
    fees.area.cycle_months = 3
    fees.unit.handover_date = date(2026, 10, 21)
    db.session.commit()
    post(fees.estate, period="2026-10")
    line = line_of(fees.unit, fees.area)
    # 89.50 × 2.35 × (11/31 + 1 + 1) = 495.2815…; days over the quarter (72/92) gave 493.81
    assert line.amount == D("495.28")
    assert line.explanation == "89.50 m² × 2.3500 元/m²·月 × (11/31 + 2) 月 = 495.28"


# prepaid balance --------------------------------------------------------------------------------


def test_prepaid_balance_is_applied_to_new_lines_oldest_first(fees, db):
    db.session.add(PrepaidEntry(estate_id=fees.estate.id, unit_id=fees.unit.id,
                                amount=D("215.00"), kind="payment"))
    db.session.commit()
    post(fees.estate)
    area, fixed = line_of(fees.unit, fees.area), line_of(fees.unit, fees.fixed)
    # both are due on the 15th: then in the order they were posted (LJ before WY)
    assert fixed.settled == D("20.00")
    assert area.settled == D("195.00")
    entries = db.session.scalars(sa.select(PrepaidEntry).where(
        PrepaidEntry.kind == "applied").order_by(PrepaidEntry.id)).all()
    assert [(e.amount, e.bill_line_id) for e in entries] == [
        (D("-20.00"), fixed.id), (D("-195.00"), area.id)]
    balance = db.session.scalar(sa.select(sa.func.sum(PrepaidEntry.amount)).where(
        PrepaidEntry.unit_id == fees.unit.id))
    assert balance == D("0.00")


def test_no_prepaid_balance_leaves_lines_open(fees, db):
    db.session.add(PrepaidEntry(estate_id=fees.estate.id, unit_id=fees.unit.id,
                                amount=D("-5.00"), kind="refund"))
    db.session.commit()
    post(fees.estate)
    assert line_of(fees.unit, fees.area).settled == D("0.00")


# corrections ------------------------------------------------------------------------------------


def test_credit_note_reverses_the_unpaid_part_and_is_audited(fees, world, db):
    post(fees.estate)
    line = line_of(fees.unit, fees.area)
    line.settled = D("10.33")
    db.session.commit()
    finance = world.users["finance"]
    credit = corrections.credit_line(finance, line, "面积登记错误")
    assert credit.kind == "credit" and credit.corrects_id == line.id
    assert credit.amount == D("-200.00") and credit.reason == "面积登记错误"
    assert line.settled == line.amount == D("210.33")
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "credit")).one()
    assert event.object_id == line.id and event.user_name == "finance"
    assert event.before == {"settled": "10.33"}
    assert event.after["settled"] == "210.33" and event.after["credit_line_id"] == credit.id
    with pytest.raises(DomainError):
        corrections.credit_line(finance, line, "again")


def test_credit_note_needs_a_reason(fees, world, db):
    post(fees.estate)
    line = line_of(fees.unit, fees.area)
    for reason in ("", "   ", "x" * 201):
        with pytest.raises(DomainError) as e:
            corrections.credit_line(world.users["finance"], line, reason)
        assert e.value.field == "reason"
    assert db.session.scalar(sa.select(sa.func.count(BillLine.id)).where(
        BillLine.kind == "credit")) == 0
    assert line_of(fees.unit, fees.area).settled == D("0.00")


def test_adjustment_is_added_and_audited(fees, world, db):
    line = corrections.adjust(world.users["finance"], fees.unit, fees.water, "2026-10", "-12.50",
                          "水表故障估抄多收", today=TODAY)
    assert line.kind == "adjustment" and line.amount == D("-12.50")
    assert line.due_date == date(2026, 10, 20)
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "adjust")).one()
    assert event.after["amount"] == "-12.50" and event.after["reason"] == "水表故障估抄多收"


@pytest.mark.parametrize("amount", ["0", "abc", "1000000.01", "-2000000", "1.005", "", "NaN"])
def test_bad_adjustments_write_nothing(fees, world, db, amount):
    with pytest.raises(DomainError) as e:
        corrections.adjust(world.users["finance"], fees.unit, fees.water, "2026-10", amount,
                       "原因", today=TODAY)
    assert e.value.field == "amount"
    assert db.session.scalar(sa.select(sa.func.count(BillLine.id))) == 0


# concurrency ------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_runs_posted_at_once_bill_each_line_once(app, fees, db):
    estate_id = fees.estate.id
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        with app.app_context(), force_locale("zh_CN"):
            from frontdesk.models import Estate

            estate = _db.session.get(Estate, estate_id)
            preview = billing.preview_bill_run(estate, PERIOD, today=TODAY)
            assert preview.total.lines == 2
            barrier.wait()
            try:
                billing.post_bill_run(None, estate, PERIOD, today=TODAY)
                outcomes.append("posted")
            except DomainError as e:
                outcomes.append(str(e.message))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("posted") == 1, outcomes
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(BillLine.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(BillRun.id))) == 1
