"""The arithmetic of fees: areas, proration, tiers, apportionment, late fees."""

from __future__ import annotations

import calendar
import math
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from frontdesk.services.fees.calc import (
    Tier,
    accrual_days,
    accrual_months,
    apportion,
    area_charge,
    late_fee,
    tiered_charge,
)

D = Decimal
WATER = [Tier(D(180), D("5.00")), Tier(D(260), D("7.00")), Tier(None, D("9.00"))]


def test_area_charge_explains_itself():
    charge = area_charge(D("89.50"), D("2.35"))
    assert charge.amount == D("210.33")
    assert charge.explanation == "89.50 m² × 2.3500 元/m²·月 × 1 月 = 210.33"


def test_vacancy_discount():
    assert area_charge(D("100.00"), D("2.00"), discount=D("0.30")).amount == D("140.00")


def test_proration_from_the_handover_date():
    days = accrual_days("2026-11", date(2026, 11, 16))
    assert days == (15, 30)
    charge = area_charge(D("90.00"), D("2.00"), days)
    assert charge.amount == D("90.00")
    assert charge.explanation == "90.00 m² × 2.0000 元/m²·月 × 15/30 月 = 90.00"
    assert accrual_days("2026-11", date(2026, 12, 1))[0] == 0
    assert accrual_days("2026-02", None, date(2026, 2, 14)) == (14, 28)


def half_up(value: Fraction) -> Decimal:
    """Round an exact amount half up to the fen, the way a cashier would by hand."""
    fen = math.floor(value * 100 + Fraction(1, 2))
    return Decimal(fen) / 100


def test_an_exact_half_fen_is_rounded_up_once():
    # 63.90 m² × 2.35 元 from the 21st of a 30-day month: 10 of 30 days = 50.055
    days = accrual_days("2026-11", date(2026, 11, 21))
    assert days == (10, 30)
    charge = area_charge(D("63.90"), D("2.35"), days)
    assert charge.amount == D("50.06")
    assert charge.explanation == "63.90 m² × 2.3500 元/m²·月 × 10/30 月 = 50.06"


AREAS = st.decimals(min_value=D("1.00"), max_value=D("999.99"), places=2)
RATES = st.decimals(min_value=D("0.0001"), max_value=D("30.0000"), places=4)
DISCOUNTS = st.sampled_from([D(0), D("0.30"), D("0.50"), D("0.15")])


@settings(max_examples=50, deadline=None)
@given(area=AREAS, rate=RATES, month=st.integers(1, 12), day=st.integers(1, 31),
       discount=DISCOUNTS)
@example(area=D("63.90"), rate=D("2.3500"), month=11, day=21, discount=D(0))
def test_prorated_area_charge_is_the_exact_product_rounded_once(area, rate, month, day,
                                                                 discount):
    length = calendar.monthrange(2026, month)[1]
    handover = date(2026, month, min(day, length))
    days = accrual_days(f"2026-{month:02d}", handover)
    exact = (Fraction(area) * Fraction(rate) * Fraction(length - handover.day + 1, length)
             * (1 - Fraction(discount)))
    assert area_charge(area, rate, days, discount).amount == half_up(exact)


@settings(max_examples=50, deadline=None)
@given(area=AREAS, rate=RATES, start=st.sampled_from([1, 4, 7, 10]),
       offset=st.integers(0, 91), cycle=st.sampled_from([2, 3]))
def test_a_cycle_charges_its_months_as_the_monthly_bills_would(area, rate, start, offset,
                                                              cycle):
    """A cycle's months are each prorated by their own days; the sum is rounded once."""
    period = f"2026-{start:02d}"
    handover = date.fromordinal(date(2026, start, 1).toordinal() + offset)
    months = accrual_months(period, cycle, handover)
    exact = Fraction(0)
    for i in range(cycle):
        year, month = divmod(start - 1 + i, 12)
        first = date(2026 + year, month + 1, 1)
        length = calendar.monthrange(first.year, first.month)[1]
        used = max(0, min(length, length - (handover - first).days))
        exact += Fraction(area) * Fraction(rate) * Fraction(used, length)
    assert area_charge(area, rate, months).amount == half_up(exact)
    monthly = [area_charge(area, rate, m).amount for m in months if m[0]]
    assert abs(area_charge(area, rate, months).amount - sum(monthly, D(0))) <= D("0.01") * cycle


def test_cycle_explanations_name_the_partial_month():
    months = accrual_months("2026-10", 3, date(2026, 10, 21))
    assert months == ((11, 31), (30, 30), (31, 31))
    charge = area_charge(D("89.50"), D("2.35"), months)
    # 89.50 × 2.35 × (11/31 + 2) = 495.28…
    assert charge.amount == half_up(Fraction("89.50") * Fraction("2.35") * (Fraction(11, 31) + 2))
    assert charge.explanation == (
        f"89.50 m² × 2.3500 元/m²·月 × (11/31 + 2) 月 = {charge.amount:,.2f}")
    full = area_charge(D("89.50"), D("2.35"), accrual_months("2026-10", 3, date(2024, 1, 1)))
    assert full.explanation == "89.50 m² × 2.3500 元/m²·月 × 3 月 = 630.98"


def test_cumulative_tiers_cross_a_boundary():
    charge = tiered_charge(D(25), WATER, used_before=D(170))
    assert charge.amount == D("155.00")
    assert charge.detail == ((D(10), D("5.00")), (D(15), D("7.00")))


def test_period_tiers_span_all_three():
    charge = tiered_charge(D(300), WATER)
    assert charge.amount == D(180 * 5 + 80 * 7 + 40 * 9).quantize(D("0.01"))


def test_tiers_after_the_top_boundary():
    assert tiered_charge(D(10), WATER, used_before=D(400)).amount == D("90.00")


def test_apportion_remainder_goes_to_the_largest_remainders():
    assert apportion(D("100.00"), [D(1), D(1), D(1)]) == [D("33.34"), D("33.33"), D("33.33")]


@given(
    total=st.decimals(min_value=D("0.00"), max_value=D("9999999.99"), places=2),
    weights=st.lists(st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2),
                     min_size=1, max_size=60),
)
def test_apportioned_shares_always_add_up_exactly(total, weights):
    shares = apportion(total, weights)
    assert sum(shares, D(0)) == total
    assert all(s >= 0 and s == s.quantize(D("0.01")) for s in shares)
    exact = [total * w / sum(weights) for w in weights]
    assert all(abs(s - e) < D("0.01") for s, e in zip(shares, exact, strict=True))


def _largest_remainder(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """The rule written out in exact fractions: floors, then a fen each by remainder."""
    fen = int(abs(total) * 100)
    shares = [Fraction(fen) * Fraction(w) / sum(map(Fraction, weights)) for w in weights]
    floors = [math.floor(s) for s in shares]
    ranked = sorted(range(len(weights)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in ranked[:fen - sum(floors)]:
        floors[i] += 1
    sign = -1 if total < 0 else 1
    return [D(sign * f) / 100 for f in floors]


@given(
    total=st.decimals(min_value=D("-9999999.99"), max_value=D("9999999.99"), places=2),
    weights=st.lists(st.sampled_from([D(1), D(5), D("1.00"), D("39.43"), D("89.50"),
                                      D("0.0001"), D("143.6"), D("72.30")]),
                     min_size=1, max_size=40),
)
@example(total=D("0.02"), weights=[D(1), D(1), D(1)])
def test_apportion_is_the_exact_largest_remainder_rule(total, weights):
    assert apportion(total, weights) == _largest_remainder(total, weights)


def test_apportion_gives_tied_remainders_to_the_earlier_share():
    # 0.05 over 1 : 2 : 1 : 2 is 0.8333… : 1.666… : 0.8333… : 1.666… fen
    assert apportion(D("0.05"), [D(1), D(2), D(1), D(2)]) == [
        D("0.01"), D("0.02"), D("0.01"), D("0.01")]


def test_late_fee_grace_and_cap():
    due = date(2026, 10, 31)
    assert late_fee(D("100.00"), due, date(2026, 11, 10), 10, D("0.0005")) == (D("0.00"), 0)
    assert late_fee(D("100.00"), due, date(2026, 11, 20), 10, D("0.0005")) == (D("0.50"), 10)
    fee, days = late_fee(D("100.00"), due, date(2036, 1, 1), 0, D("0.01"))
    assert fee == D("100.00") and days > 100
    assert late_fee(D("100.00"), due, date(2036, 1, 1), 0, D("0.01"), D("0.2"))[0] == D("20.00")


@pytest.mark.parametrize("bad", [D(-1)])
def test_negative_consumption_is_refused(bad):
    with pytest.raises(ValueError):
        tiered_charge(bad, WATER)


def test_meter_consumption_normal_rollover_replacement():
    from frontdesk.services.fees.meters import ReadingError, consumption

    assert consumption(D(1032), D(1268)) == D(236)
    assert consumption(D(1032), D(1268), multiplier=D(40)) == D(9440)
    with pytest.raises(ReadingError):
        consumption(D(1268), D(1032))
    assert consumption(D(99990), D(15), kind="rollover", max_value=D(99999)) == D(25)
    assert consumption(D(500), D(30), kind="replacement", old_final=D(520), new_start=D(0)) == D(50)
    assert consumption(None, D(100)) == 0
