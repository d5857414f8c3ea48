"""Money for the whole app: one rounding rule (half-up to the cent), reading a typed amount,
showing an amount, and the amount in Chinese capitals for receipts and bills."""

import re
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


# --- reading a typed amount ------------------------------------------------------------------

#: an amount as typed once spaces, thousands separators, ¥ and 元 are taken off
_AMOUNT_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def read_amount(value: object) -> Decimal | None:
    """Read an amount typed in yuan ("1,234.50", "¥80", "-12.50元"), exactly as typed.

    Blank gives None; text that is not a plain number of yuan (letters, 1e3, nan, more than
    20 characters) raises ValueError. The caller applies its own bounds and rounding rule.
    """
    text = "" if value is None else str(value)
    text = re.sub(r"[\s,，¥￥]", "", text).removesuffix("元")
    if not text:
        return None
    if len(text) > 20 or not _AMOUNT_TEXT.match(text):
        raise ValueError(f"not a money amount: {value!r}")
    return Decimal(text)


# --- showing an amount -----------------------------------------------------------------------


def format_money(value: object) -> str:
    """Show an amount as 1,234.50 (thousands separators, two decimals); blank stays blank."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


def money_text(value: object) -> str:
    """Write an amount as stored in records and form boxes: 1234.50, no separators."""
    return f"{Decimal(str(value)):.2f}"


# --- amounts in Chinese capitals (大写) -------------------------------------------------------

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")


def _section(number: int) -> str:
    """Write 1..9999 in capitals, one 零 for each run of inner zeros."""
    parts: list[str] = []
    pending_zero = False
    for place in range(3, -1, -1):
        digit = number // 10**place % 10
        if digit == 0:
            if parts:
                pending_zero = True
            continue
        if pending_zero:
            parts.append(DIGITS[0])
            pending_zero = False
        parts.append(DIGITS[digit] + _PLACES[place])
    return "".join(parts)


def _integer(number: int) -> str:
    """Write a positive integer in capitals with 万 and 亿 groups."""
    for size, unit in ((10**8, "亿"), (10**4, "万")):
        if number >= size:
            high, low = divmod(number, size)
            text = _integer(high) + unit
            if low == 0:
                return text
            if low < size // 10:
                text += DIGITS[0]
            return text + _integer(low)
    return _section(number)


def amount_in_words(amount: Decimal) -> str:
    """Return the amount in 大写 as written on bills (PBoC filling rules), e.g. 壹仟零壹元整."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    cents = int(quantize_money(amount) * 100)
    sign = "负" if cents < 0 else ""
    yuan, rest = divmod(abs(cents), 100)
    jiao, fen = divmod(rest, 10)
    if yuan == 0 and rest == 0:
        return "零元整"
    text = ""
    if yuan:
        text = _integer(yuan) + "元"
        if rest and (yuan % 10 == 0 or jiao == 0):
            text += DIGITS[0]
    if jiao:
        text += DIGITS[jiao] + "角"
    text += DIGITS[fen] + "分" if fen else "整"
    return sign + text
