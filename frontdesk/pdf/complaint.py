"""The 投诉处理单 (complaint handling sheet) of one complaint, as PDF bytes.

It carries the letterhead and complaint number, the complainant and the complaint (channel,
category, content, what they ask for, the first reply's due time), the handling (findings,
proposal and compensation, approval, agreement, what was done, the callback), every step with
who and when, the work orders opened to carry it out, and the signature lines 投诉人 / 经办人 /
审批人. Long texts wrap and flow on to further pages. A reprint is marked 补打 with its count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from frontdesk.labels import PRINTED_SATISFACTION, PRINTED_WORK_ORDER_STATES
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

TITLE = "投诉处理单"
SIGNATURE_LABELS = ["投诉人", "经办人", "审批人"]
NOTICE = "本单一式两份，服务中心存档一份；投诉人对处理结果如有异议，可向物业服务中心经理反映。"
#: the least room a section's heading needs with its first lines before a page break
MIN_SPACE = 30 * mm


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _letterhead(data: Mapping[str, Any]) -> Letterhead:
    estate: Mapping[str, Any] = data.get("estate") or {}
    return Letterhead(
        estate_name=_text(estate.get("name")), title=TITLE,
        address=_text(estate.get("address")), phone=_text(estate.get("phone")),
        document_no=_text(data.get("number")) or None,
        printed_at=_text(data.get("printed_at")),
        printed_by=_text(data.get("printed_by")) or None,
        running_head="　".join(f"{label}：{value}" for label, value in (
            ("投诉编号", _text(data.get("number"))), ("房号", _text(data.get("unit"))),
            ("投诉人", _text(data.get("name")))) if value),
    )


def _satisfaction(value: Any) -> str:
    if value in (None, ""):
        return ""
    return f"{value}/5 {PRINTED_SATISFACTION.get(int(value), '')}".strip()


def complaint_sheet(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render a complaint's handling sheet and return PDF bytes."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    story: list[Flowable] = []
    if data.get("reprint"):
        mark = ParagraphStyle("FDReprint", parent=st.body, fontSize=12, leading=16,
                              textColor=colors.HexColor("#C0392B"))
        story += [para(_text(data["reprint"]), mark), Spacer(1, 2 * mm)]
    registration = [
        ("投诉编号", _text(data.get("number"))), ("状态", _text(data.get("state"))),
        ("投诉人", _text(data.get("name"))), ("联系电话", _text(data.get("phone"))),
        ("房号", _text(data.get("unit")) or "—"), ("投诉渠道", _text(data.get("channel"))),
        ("投诉类别", _text(data.get("category"))), ("登记人", _text(data.get("registered_by"))),
        ("登记时间", _text(data.get("registered_at"))),
        ("答复时限", _text(data.get("reply_due_at"))),
        ("首次答复", _text(data.get("first_reply_at")) or "—"), ("", ""),
    ]
    story += section("一、投诉登记", kv_table(registration, 2, font_name=font_name,
                                          label_width=24 * mm), font_name=font_name)
    complaint = [("投诉内容", _text(data.get("content"))),
                 ("诉求", _text(data.get("request")) or "—")]
    story += section("二、投诉内容", kv_table(complaint, 1, font_name=font_name,
                                          label_width=24 * mm),
                     font_name=font_name, min_space=MIN_SPACE)
    handling = [
        ("调查情况", _text(data.get("findings"))), ("处理意见", _text(data.get("proposal"))),
        ("补偿金额", _text(data.get("compensation")) or "—"),
        ("审批人", _text(data.get("approved_by"))),
        ("协商结果", _text(data.get("agreement"))), ("落实情况", _text(data.get("outcome"))),
        ("回访满意度", _satisfaction(data.get("satisfaction"))),
        ("回访意见", _text(data.get("callback_comment"))),
    ]
    story += section("三、处理情况", kv_table(handling, 1, font_name=font_name,
                                          label_width=24 * mm),
                     font_name=font_name, min_space=MIN_SPACE)
    widths = [24 * mm, 24 * mm, 30 * mm, CONTENT_WIDTH - 78 * mm]
    steps = [[s.get("action"), s.get("by"), s.get("at"), s.get("detail")]
             for s in data.get("steps") or []]
    story += section("四、处理过程", data_table(["步骤", "经办人", "时间", "内容"], steps, widths,
                                            font_name=font_name, center_cols=(0, 1, 2)),
                     font_name=font_name, min_space=MIN_SPACE)
    orders = data.get("orders") or []
    if orders:
        rows = [[o.get("number"), o.get("category"),
                 PRINTED_WORK_ORDER_STATES.get(o.get("state"), _text(o.get("state"))),
                 o.get("completed_at")] for o in orders]
        story += section("五、落实工单", data_table(
            ["工单号", "类别", "状态", "完工时间"], rows,
            [40 * mm, 30 * mm, 30 * mm, CONTENT_WIDTH - 100 * mm], font_name=font_name,
            center_cols=(1, 2, 3)), font_name=font_name, min_space=MIN_SPACE)
    story.append(KeepTogether([
        Spacer(1, 5 * mm),
        para(NOTICE, st.small),
        signature_block(SIGNATURE_LABELS, font_name=font_name),
    ]))
    return render(story, _letterhead(data), font_path=font_path)
