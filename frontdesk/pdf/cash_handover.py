"""The 交班收款单 (cash handover slip): a shift's takings, receipts, refunds and counted cash."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from frontdesk.money import amount_in_words, format_money
from frontdesk.pdf.base import (
    kv_table,
    make_styles,
    para,
    register_fonts,
    render,
    section,
    signature_block,
)
from frontdesk.pdf.daily_report import (
    figure_table,
    letterhead_for,
    refunds_section,
    summary_section,
    voided_section,
    widths,
)

TITLE = "交班收款单"
RECEIPT_HEADERS = ["序号", "时间", "收据号", "房号", "方式", "收款员", "金额"]
RECEIPT_WIDTHS_MM = [12, 30, 34, 28, 18, 24, 34]


def receipts_section(cashiers: Sequence[Mapping[str, Any]], font_name: str) -> list[Flowable]:
    """Every receipt of the shift, in time order, with the cashier."""
    payments = sorted((p for c in cashiers for p in c["payments"]),
                      key=lambda p: (p["time"], p["id"]))
    rows = [[str(i), p["time"], p["receipt_no"], p["unit_code"], p["method_name"], p["cashier"],
             format_money(p["amount"])] for i, p in enumerate(payments, start=1)]
    return section("二、收据明细",
                   figure_table(RECEIPT_HEADERS, rows, widths(RECEIPT_WIDTHS_MM),
                                font_name=font_name, right_cols=(6,), center_cols=(0, 4),
                                empty_text="本班无收据"),
                   font_name=font_name, min_space=30 * mm)


def cash_section(shift: Mapping[str, Any], font_name: str) -> list[Flowable]:
    """The cash expected (cash received less cash refunds), counted, and over or short."""
    counted = shift["cash_counted"]
    expected = shift["cash_expected"]
    return section("六、现金交接", kv_table([
        ("应有现金", f"¥{format_money(expected)}"),
        ("应有（大写）", amount_in_words(expected)),
        ("实点现金", f"¥{format_money(counted)}" if counted is not None else "未清点"),
        ("长短款", shift["over_short_text"]),
        ("说明", shift["cash_note"] or "—"),
        ("", ""),
    ], 2, font_name=font_name, label_width=24 * mm), font_name=font_name)


def cash_handover_slip(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render a shift's cash handover slip and return PDF bytes."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    shift = data["shift"]
    report = shift["takings"]
    head = kv_table([
        ("班次", f"{shift['day']} {shift['name']}"), ("状态", shift["state"]),
        ("收款时段", shift["cash_window"]), ("值班人员", shift["staff"]),
        ("交班人", shift["handed_over_by"] or "—"), ("接班人", shift["received_by"] or "—"),
        ("交班时间", shift["locked_at"] or "—"), ("", ""),
    ], 2, font_name=font_name, label_width=20 * mm)
    story: list[Flowable] = [
        head,
        *summary_section(report, font_name),
        *receipts_section(report["cashiers"], font_name),
        *voided_section(report["voided"], font_name),
        *refunds_section(report, font_name),
        *cash_section(shift, font_name),
        KeepTogether([Spacer(1, 8 * mm),
                      signature_block(["交班人（收款员）", "接班人"], font_name=font_name)]),
    ]
    if shift["hash"]:
        story.append(para(f"交班校验：{shift['label']}:{shift['hash']}", st.small))
    return render(story, letterhead_for(data, TITLE, f"{TITLE}　{shift['label']}"),
                  font_path=font_path)
