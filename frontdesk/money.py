"""Money values for the whole app: one rounding rule, half-up to the cent."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def quantize_money(value: int | str | Decimal) -> Decimal:
    """Turn an int, str or Decimal into a Decimal rounded half-up to 0.01."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal, int or str")
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
