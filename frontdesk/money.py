"""Money values for the whole app: one rounding rule, half-up to the cent."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

CENT = Decimal("0.01")


def _round_fraction(value: Fraction) -> Decimal:
    """Round an exact rational amount half up (away from zero) to the cent, exactly."""
    cents, rest = divmod(abs(value) * 100, 1)
    if rest * 2 >= 1:
        cents += 1
    return Decimal(int(cents) * (-1 if value < 0 else 1)).scaleb(-2)


def quantize_money(value: int | str | Decimal | Fraction) -> Decimal:
    """Turn an int, str, Decimal or exact Fraction into a Decimal rounded half-up to 0.01.

    A computed amount (area × rate × days / days in the month) is passed in exactly, as a
    Fraction or a Decimal, and rounded here once.
    """
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal, int or str")
    if isinstance(value, Fraction):
        return _round_fraction(value)
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise TypeError(f"money must be a Decimal, int or str, not {type(value).__name__}")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation as exc:
        raise ValueError(f"not a money amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a finite money amount: {value!r}")
    try:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than Decimal holds, e.g. 1e309
        raise ValueError(f"not a money amount: {value!r}") from exc
