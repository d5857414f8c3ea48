"""The 对账单 (statement) of one unit for a date range: bills, payments, late fees and balance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from frontdesk.money import amount_in_words, format_money
from frontdesk.pdf.base import (
    CONTENT_WIDTH,
    Letterhead,
    data_table,
    kv_table,
    make_styles,
    para,
    register_fonts,
    render,
    section,
    signature_block,
)

TITLE = "对账单"
HEADERS = ["日期", "类型", "摘要", "收据号", "应收", "实收", "余额"]
WIDTHS_MM = [20, 20, 59, 27, 18, 18, 18]
SIGNATURE_LABELS = ["业主签字", "经办人"]
NOTE = ("说明：余额为正数表示尚欠金额，为负数表示多缴金额；“实收”为冲抵账单的金额，"
        "转入预存款的部分另列于预存款余额；已作废的收款不计入。如有疑问，请于收到本对账单后"
        "七日内与物业服务中心联系。")


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _widths(widths_mm: Sequence[float]) -> list[float]:
    total = sum(widths_mm)
    return [CONTENT_WIDTH * w / total for w in widths_mm]


def _balance_words(value: Decimal) -> str:
    """Say the closing balance in capitals, with whether it is owed or overpaid."""
    if value > 0:
        return f"尚欠 {amount_in_words(value)}"
    if value < 0:
        return f"多缴 {amount_in_words(-value)}"
    return "已结清"


def statement(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render a unit's statement (as ``services.statements.unit_statement`` gives it) as PDF."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    estate: Mapping[str, Any] = data.get("estate") or {}
    unit: Mapping[str, Any] = data.get("unit") or {}
    start, end = data.get("start"), data.get("end")
    letterhead = Letterhead(
        estate_name=str(estate.get("name") or ""),
        title=TITLE,
        address=str(estate.get("address") or ""),
        phone=str(estate.get("phone") or ""),
        printed_at=str(data.get("printed_at") or ""),
        printed_by=data.get("printed_by") or None,
        running_head=f"房号：{unit.get('code') or ''}　业主：{unit.get('owner') or ''}　"
                     f"对账期间：{_day(start)} 至 {_day(end)}",
    )
    area = unit.get("gross_area")
    head = kv_table(
        [("房号", str(unit.get("code") or "")), ("业主", str(unit.get("owner") or "")),
         ("楼栋", str(unit.get("building") or "")),
         ("建筑面积", f"{area:.2f} m²" if area is not None else ""),
         ("对账期间", f"{_day(start)} 至 {_day(end)}"),
         ("打印时间", str(data.get("printed_at") or ""))],
        2, font_name=font_name,
    )
    ledger, totals = _ledger(data, font_name), _totals(data, font_name)
    story: list[Flowable] = [
        head,
        *section("一、账务明细", ledger, font_name=font_name, min_space=40 * mm),
        *section("二、汇总", totals, font_name=font_name),
        KeepTogether([
            Spacer(1, 3 * mm),
            para(NOTE, st.small),
            signature_block(SIGNATURE_LABELS, font_name=font_name),
        ]),
    ]
    return render(story, letterhead, font_path=font_path)


def _ledger(data: Mapping[str, Any], font_name: str) -> Flowable:
    """Every charge and credit of the range between the opening and closing balances."""
    start, end = data.get("start"), data.get("end")
    rows = [[_day(start), "期初", "期初余额", "", "", "", format_money(data["opening_balance"])]]
    for r in data.get("rows") or []:
        rows.append([
            _day(r.get("date")), r.get("kind", ""), r.get("description", ""),
            r.get("reference", ""), format_money(r.get("charge")), format_money(r.get("credit")),
            format_money(r.get("balance")),
        ])
    rows.append([_day(end), "期末", "本期合计 / 期末余额", "", format_money(data["total_charges"]),
                 format_money(data["total_credits"]), format_money(data["closing_balance"])])
    return data_table(HEADERS, rows, _widths(WIDTHS_MM), font_name=font_name,
                      center_cols=(0, 1, 3), right_cols=(4, 5, 6), total_rows=1)


def _totals(data: Mapping[str, Any], font_name: str) -> Flowable:
    """The balances, prepaid balance and late fees not yet charged, and the balance in words."""
    closing = data["closing_balance"]
    return kv_table(
        [("期初余额", format_money(data["opening_balance"])),
         ("本期应收", format_money(data["total_charges"])),
         ("本期实收", format_money(data["total_credits"])),
         ("期末余额", format_money(closing)),
         ("期初预存款", format_money(data.get("prepaid_opening"))),
         ("期末预存款", format_money(data.get("prepaid_closing"))),
         ("未入账滞纳金", f"{format_money(data.get('accrued_late_fee'))}"
                         f"（截至 {_day(data.get('accrued_as_of'))}）"),
         ("期末余额大写", _balance_words(closing))],
        2, font_name=font_name, label_width=26 * mm,
    )
