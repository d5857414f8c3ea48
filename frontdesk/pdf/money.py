"""Amounts in Chinese capitals (大写) for receipts and bills, per the PBoC filling rules."""

from decimal import Decimal

from frontdesk.money import quantize_money

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
    """Return the amount in 大写 as written on bills, e.g. 壹仟零壹元整."""
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
