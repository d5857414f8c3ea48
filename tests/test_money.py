"""Tests for amounts in Chinese capitals and the app's money rounding helper."""

from decimal import Decimal

import cn2an
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from frontdesk.money import CENT, amount_in_words, quantize_money


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.00", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("0.15", "壹角伍分"),
        ("10.00", "壹拾元整"),
        ("10.01", "壹拾元零壹分"),
        ("100.10", "壹佰元零壹角整"),
        ("1001.00", "壹仟零壹元整"),
        ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
        ("100000.05", "壹拾万元零伍分"),
        ("12345678.90", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角整"),
    ],
)
def test_required_results(amount: str, words: str) -> None:
    """The results the front desk's receipts must print."""
    assert amount_in_words(Decimal(amount)) == words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1409.50", "壹仟肆佰零玖元伍角整"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
    ],
)
def test_pboc_rule_examples(amount: str, words: str) -> None:
    """The worked examples of the PBoC rules for writing amounts on bills."""
    assert amount_in_words(Decimal(amount)) == words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("20", "贰拾元整"),
        ("110.00", "壹佰壹拾元整"),
        ("100010.00", "壹拾万零壹拾元整"),
        ("101000.00", "壹拾万壹仟元整"),
        ("100000000.00", "壹亿元整"),
        ("100100000.00", "壹亿零壹拾万元整"),
        ("1000010000.00", "壹拾亿零壹万元整"),
        ("1000000000000.01", "壹万亿元零壹分"),
    ],
)
def test_zero_runs_and_large_units(amount: str, words: str) -> None:
    """Runs of zeros across 万 and 亿 groups give a single 零."""
    assert amount_in_words(Decimal(amount)) == words


def test_negative_amount_has_leading_fu() -> None:
    """Refunds and credits print with 负."""
    assert amount_in_words(Decimal("-3.20")) == "负叁元贰角整"
    assert amount_in_words(Decimal("-0.05")) == "负伍分"


def test_rounds_half_up_to_the_cent() -> None:
    """Sub-cent amounts round half-up before writing, and tiny negatives become zero."""
    assert amount_in_words(Decimal("0.005")) == "壹分"
    assert amount_in_words(Decimal("0.004")) == "零元整"
    assert amount_in_words(Decimal("-0.004")) == "零元整"
    assert amount_in_words(Decimal("9.995")) == "壹拾元整"


@pytest.mark.parametrize("bad", [1.5, 10, "10.00", None])
def test_amount_in_words_accepts_decimal_only(bad: object) -> None:
    """Floats and other non-Decimal values are refused."""
    with pytest.raises(TypeError):
        amount_in_words(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10, Decimal("10.00")),
        ("2.675", Decimal("2.68")),
        (" 1.005 ", Decimal("1.01")),
        (Decimal("-2.675"), Decimal("-2.68")),
        (Decimal("0.004"), Decimal("0.00")),
        (Decimal("12.3"), Decimal("12.30")),
    ],
)
def test_quantize_money(value: object, expected: Decimal) -> None:
    """Values become Decimals with two places, rounded half-up (away from zero on .5)."""
    result = quantize_money(value)  # type: ignore[arg-type]
    assert result == expected
    assert result.as_tuple().exponent == CENT.as_tuple().exponent


@pytest.mark.parametrize("bad", [2.675, True, None, [1]])
def test_quantize_money_rejects_non_money_types(bad: object) -> None:
    """Floats (and bools, None, lists) are refused with TypeError."""
    with pytest.raises(TypeError):
        quantize_money(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["abc", "", "NaN", "Infinity"])
def test_quantize_money_rejects_non_amounts(bad: str) -> None:
    """Text that is not a finite number is refused with ValueError."""
    with pytest.raises(ValueError):
        quantize_money(bad)


def _cn2an_normalised(amount: Decimal) -> str:
    """Return cn2an's 大写 with the two spellings frontdesk chooses differently made alike."""
    words = cn2an.an2cn(str(amount), "rmb")
    cents = int(amount * 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    if yuan and yuan % 10 == 0 and jiao:
        words = words.replace("元", "元零", 1)
    if jiao and not fen:
        words += "整"
    return words


_zero_heavy_cents = st.lists(st.sampled_from("0000000123456789"), min_size=1, max_size=10).map(
    lambda digits: int("".join(digits))
)


@given(st.one_of(st.integers(0, 9_999_999_999), _zero_heavy_cents))
@example(0)
@example(1_001)
@example(10_010)
@example(9_999_999_999)
@example(10_000_005)
def test_agrees_with_cn2an(cents: int) -> None:
    """Compare with cn2an's rmb mode for 0.00 .. 99,999,999.99.

    Known differences, both allowed by the PBoC rules for filling in bills, are normalised:

    * 整 after a final 角: cn2an writes 壹佰元壹角, frontdesk writes 壹佰元零壹角整. The rules
      put 整 after 元 and allow it after 角 ("在角之后，可以不写整字"); bills in use print it.
    * 零 after 元 when the 元 digit is 0 and 角 is not: cn2an writes 壹仟陆佰捌拾元叁角贰分,
      frontdesk writes 壹仟陆佰捌拾元零叁角贰分. The rules allow either ("可以只写一个零字，
      也可以不写零字"); frontdesk always writes it, as the brief's 100.10 → 壹佰元零壹角整 does.

    The leading 壹拾 form needs no normalising: cn2an's rmb mode also writes 壹拾元整 for 10.
    With these two normalised, cn2an and frontdesk agreed on every amount tried, including
    zero-heavy ones (e.g. 壹拾万零壹拾元整, 壹拾万壹仟元整, 壹拾万元零伍分).
    """
    amount = Decimal(cents).scaleb(-2)
    assert amount_in_words(amount) == _cn2an_normalised(amount)
