"""The 退款单 (refund voucher) handed over with a refund's money, as PDF bytes.

It says what is refunded to whom, the amount in figures and in capitals (大写), who asked for it,
who approved it and who paid it out, with signature lines for the payee, the cashier and the
approver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from frontdesk.money import format_money
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

TITLE = "退款单"
SIGNATURE_LABELS = ["领款人签字", "经办人（付款）", "审批人"]
STEP_HEADERS = ["环节", "经办人", "时间"]
STEP_WIDTHS = [CONTENT_WIDTH * 0.2, CONTENT_WIDTH * 0.4, CONTENT_WIDTH * 0.4]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def refund_voucher(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render the refund voucher of one refund (``services.fees.refunds.refund_voucher_data``)."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    estate: Mapping[str, Any] = data.get("estate") or {}
    letterhead = Letterhead(
        estate_name=_text(estate.get("name")),
        title=TITLE,
        address=_text(estate.get("address")),
        phone=_text(estate.get("phone")),
        document_no=_text(data.get("number")) or None,
        printed_at=_text(data.get("printed_at")),
        printed_by=_text(data.get("printed_by")) or None,
        running_head=f"退款单 {_text(data.get('number'))}　房号：{_text(data.get('unit_code'))}"
                     f"　领款人：{_text(data.get('payee'))}（续）",
    )
    paid = bool(data.get("paid"))
    refund_rows = [
        ("房号", _text(data.get("unit_code"))),
        ("领款人", _text(data.get("payee"))),
        ("退款类别", _text(data.get("source"))),
        ("退款方式", _text(data.get("method"))),
        ("金额（小写）", f"¥{format_money(data['amount'])}"),
        ("状态", "已付款" if paid else "已审批，待付款"),
    ]
    words = kv_table([("金额（大写）", _text(data.get("in_words")))], 1, font_name=font_name,
                     label_width=26 * mm)
    reason = kv_table([("退款原因", _text(data.get("reason")))], 1, font_name=font_name,
                      label_width=26 * mm)
    steps = [
        ["申请", _text(data.get("requested_by")), _text(data.get("requested_at"))],
        ["审批", _text(data.get("approved_by")), _text(data.get("approved_at"))],
        ["付款", _text(data.get("paid_by")) if paid else "待付款",
         _text(data.get("paid_at")) if paid else ""],
    ]
    story: list[Flowable] = [
        *section("一、退款信息",
                 kv_table(refund_rows, 2, font_name=font_name, label_width=26 * mm),
                 words, reason, font_name=font_name),
        *section("二、办理经过",
                 data_table(STEP_HEADERS, steps, STEP_WIDTHS, font_name=font_name,
                            center_cols=(0,)),
                 font_name=font_name),
        KeepTogether([
            Spacer(1, 6 * mm),
            para(f"领款人确认已收到上述退款¥{format_money(data['amount'])}"
                 f"（{_text(data.get('in_words'))}）。", st.body),
            signature_block(SIGNATURE_LABELS, font_name=font_name),
        ]),
    ]
    return render(story, letterhead, font_path=font_path)
