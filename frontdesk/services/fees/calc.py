"""The arithmetic of fees, as pure functions of plain values: no database, no Flask.

Every amount is a Decimal; each bill line is rounded once, half up to the fen, by
``frontdesk.money.quantize_money``. Each function returns the amount together with the words
that explain it on screen and on paper.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from frontdesk.money import quantize_money


def fmt(value: Decimal, places: int = 2) -> str:
    """Show a number with thousands separators and a fixed number of decimals."""
    return f"{value:,.{places}f}"


@dataclass(frozen=True)
class Charge:
    """An amount, the quantity and unit price behind it, and its explanation."""

    quantity: Decimal
    price: Decimal
    amount: Decimal
    explanation: str
    detail: tuple = ()


def period_bounds(period: str) -> tuple[date, date]:
    """Return the first and last day of a YYYY-MM period."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def accrual_days(period: str, active_from: date | None,
                 active_to: date | None = None) -> tuple[int, int]:
    """Return (days on which a fee accrues, days in the period).

    Fees start on the handover date and stop after the last day of occupancy.
    """
    first, last = period_bounds(period)
    start = max(first, active_from) if active_from else first
    end = min(last, active_to) if active_to else last
    total = (last - first).days + 1
    return max(0, (end - start).days + 1), total


def next_period(period: str, months: int = 1) -> str:
    """Return the period ``months`` after a YYYY-MM period."""
    n = int(period[:4]) * 12 + int(period[5:7]) - 1 + months
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def accrual_months(period: str, months: int, active_from: date | None,
                   active_to: date | None = None) -> tuple[tuple[int, int], ...]:
    """Return (days accrued, days in the month) for each month of a cycle starting at a period.

    A cycle bills whole months and prorates a partial month by its own days, exactly as the
    monthly bills of the same months would.
    """
    return tuple(accrual_days(next_period(period, i), active_from, active_to)
                 for i in range(months))


def _month_text(months: tuple[tuple[int, int], ...]) -> str:
    """Say how many months a charge covers: "1 月", "15/30 月", "(11/31 + 2) 月"."""
    whole = sum(1 for used, total in months if used == total)
    parts = [f"{used}/{total}" for used, total in months if 0 < used < total]
    if not parts:
        return f"{whole} 月"
    if whole:
        parts.append(str(whole))
    return f"{parts[0]} 月" if len(parts) == 1 else f"({' + '.join(parts)}) 月"


def area_charge(area: Decimal, rate: Decimal,
                days: tuple[int, int] | tuple[tuple[int, int], ...] = (1, 1),
                discount: Decimal = Decimal(0), area_label: str = "m²") -> Charge:
    """Charge area × rate × months (prorated by days), less a vacancy discount (0.30 = 30 % off).

    ``days`` is (days accrued, days in the month) for one month, or one such pair per month of
    a longer cycle. The product is computed exactly (a Fraction) and rounded once, so
    63.90 m² × 2.35 元 for 10 of 30 days is 50.055 and bills 50.06.
    """
    months = (days,) if isinstance(days[0], int) else tuple(days)
    exact_months = sum((Fraction(used, total) for used, total in months), Fraction(0))
    raw = Fraction(area) * Fraction(rate) * exact_months * (1 - Fraction(discount))
    amount = quantize_money(raw)
    text = f"{fmt(area)} {area_label} × {rate:.4f} 元/m²·月 × {_month_text(months)}"
    if discount:
        text += f" × (1 − {discount:.2f} 空置优惠)"
    return Charge(quantity=area, price=rate, amount=amount, explanation=f"{text} = {fmt(amount)}")


@dataclass(frozen=True)
class Tier:
    """A price that holds up to ``upto`` units of consumption (None: no upper bound)."""

    upto: Decimal | None
    price: Decimal


def tiered_charge(consumption: Decimal, tiers: list[Tier], used_before: Decimal = Decimal(0),
                  unit: str = "") -> Charge:
    """Charge consumption over tiers; ``used_before`` counts earlier use of a cumulative year.

    With tiers ≤180 at 5.00, ≤260 at 7.00, above at 9.00, 170 used before and 25 now:
    10 × 5.00 + 15 × 7.00 = 155.00.
    """
    if consumption < 0:
        raise ValueError("consumption must not be negative")
    pieces = []
    start = used_before
    remaining = consumption
    lower = Decimal(0)
    for tier in tiers:
        upper = tier.upto
        if upper is not None and start >= upper:
            lower = upper
            continue
        room = remaining if upper is None else min(remaining, upper - max(start, lower))
        if room > 0:
            pieces.append((room, tier.price))
            remaining -= room
            start += room
        lower = upper if upper is not None else lower
        if remaining <= 0:
            break
    if remaining > 0:
        raise ValueError("tiers do not cover the whole consumption")
    raw = sum((q * p for q, p in pieces), Decimal(0))
    amount = quantize_money(raw)
    parts = " + ".join(f"{fmt(q)} × {p:.4f}" for q, p in pieces) or "0"
    price = (raw / consumption).quantize(Decimal("0.0001")) if consumption else (
        tiers[0].price if tiers else Decimal(0))
    return Charge(quantity=consumption, price=price, amount=amount,
                  explanation=f"{fmt(consumption)} {unit} 阶梯：{parts} = {fmt(amount)}",
                  detail=tuple(pieces))


def apportion(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split a total over weights, to the fen, so that the shares add up exactly.

    Largest remainder: each share is first rounded down; the fen left over go one each to the
    shares with the largest remainders (ties to the earlier one). 100.00 over three equal
    weights gives 33.34, 33.33, 33.33.
    """
    total = quantize_money(total)
    if not weights:
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    # exactly, in integers: the weights over a common denominator, the total in fen
    ratios = [w.as_integer_ratio() for w in weights]
    common = math.lcm(*{d for _n, d in ratios})
    scaled = [n * (common // d) for n, d in ratios]
    weight_sum = sum(scaled)
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    sign = -1 if total < 0 else 1
    cents = int(abs(total).scaleb(2))
    floors, remainders = [], []
    for w in scaled:
        floor, remainder = divmod(cents * w, weight_sum)
        floors.append(floor)
        remainders.append(remainder)
    left = cents - sum(floors)
    order = sorted(range(len(scaled)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(sign * f).scaleb(-2) for f in floors]


def late_fee(principal: Decimal, due: date, today: date, grace_days: int, daily_rate: Decimal,
             cap_ratio: Decimal = Decimal(1)) -> tuple[Decimal, int]:
    """Return the late fee and the days charged: rate per day after the grace period, capped.

    The cap is a share of the principal and never above the principal itself.
    """
    if principal <= 0:
        return Decimal("0.00"), 0
    start = due.toordinal() + grace_days
    days = max(0, today.toordinal() - start)
    if days == 0:
        return Decimal("0.00"), 0
    fee = quantize_money(principal * daily_rate * days)
    cap = quantize_money(principal * min(cap_ratio, Decimal(1)))
    return min(fee, cap), days
