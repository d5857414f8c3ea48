"""The 派工单 (work order slip) of one repair, as PDF bytes.

It carries the letterhead and the order's number, the report (source, reporter and contact,
place, category, priority, description, photos' count), the dispatch and its times against the
service-level due times, the materials and labour with their total — for a chargeable repair
(有偿维修) the amount in capitals (大写) and the resident's confirmation of the quote — the
completion note and the callback, and the signature lines 维修人员签字 / 业主（住户）签字 with
their dates. While nothing is recorded yet the slip leaves blank rows and lines for the engineer
to fill in by hand. A reprint is marked 补打 with its count. Pages after the first repeat the
number, the place and the reporter; every page is numbered 第 N 页 共 M 页.

Takes plain data (:func:`frontdesk.services.workorders.slip.slip_data`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
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

TITLE = "派工单"
SIGNATURE_LABELS = ["维修人员签字", "业主（住户）签字"]
COST_HEADERS = ["序号", "类别", "名称", "数量", "单位", "单价（元）", "金额（元）"]
COST_WIDTHS_MM = [10, 14, 66, 18, 14, 29, 29]
#: rows left blank for materials written in by hand while none are recorded
BLANK_COST_ROWS = 4
BLANK_LINE = "_" * 56
RED = colors.HexColor("#C0392B")
NOTICE = ("请维修人员持本单上门，完工后请业主（住户）核对维修内容及费用并签字确认；"
          "有偿维修费用计入本户账单，于服务中心缴纳并开具收据。")
LABEL_WIDTH = 24 * mm
#: the characters of the place and of the reporter repeated on later pages
RUNNING_HEAD_ROOM = 28


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _widths(widths_mm: Sequence[float]) -> list[float]:
    total = sum(widths_mm)
    return [CONTENT_WIDTH * w / total for w in widths_mm]


def _short(value: Any, room: int = RUNNING_HEAD_ROOM) -> str:
    text = " ".join(_text(value).split())
    return text if len(text) <= room else text[:room - 1] + "…"


def running_head(data: Mapping[str, Any]) -> str:
    """Say whose slip a page after the first belongs to: number, place and reporter (each cut
    short, so that all three fit in the band)."""
    return "　".join(f"{label}：{value}" for label, value in (
        ("派工单号", _text(data.get("number"))), ("维修地点", _short(data.get("location"))),
        ("报修人", _short(data.get("reporter")))) if value)


def _letterhead(data: Mapping[str, Any]) -> Letterhead:
    estate: Mapping[str, Any] = data.get("estate") or {}
    return Letterhead(
        estate_name=_text(estate.get("name")), title=TITLE,
        address=_text(estate.get("address")), phone=_text(estate.get("phone")),
        document_no=_text(data.get("number")) or None,
        printed_at=_text(data.get("printed_at")),
        printed_by=_text(data.get("printed_by")) or None,
        running_head=running_head(data),
    )


def _due(due: Any, breached: Any) -> str:
    text = _text(due)
    if text and breached:
        text += "（已超时）"
    return text


def _photos(data: Mapping[str, Any]) -> str:
    photos: Mapping[str, Any] = data.get("photos") or {}
    report, done = int(photos.get("report") or 0), int(photos.get("completion") or 0)
    if not report and not done:
        return "无"
    return f"报修 {report} 张，完工 {done} 张"


def _report_rows(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("工单编号", _text(data.get("number"))), ("当前状态", _text(data.get("state"))),
        ("报修来源", _text(data.get("source"))), ("紧急程度", _text(data.get("priority"))),
        ("报修人", _text(data.get("reporter"))), ("联系电话", _text(data.get("reporter_phone"))),
        ("维修地点", _text(data.get("location"))), ("维修类别", _text(data.get("category"))),
        ("报修时间", _text(data.get("reported_at"))),
        ("预约时间", _text(data.get("appointment_at")) or "—"),
        ("受理人", _text(data.get("created_by"))), ("现场照片", _photos(data)),
    ]


def _dispatch_rows(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("维修人员", _text(data.get("engineer")) or BLANK_LINE[:20]),
        ("班组", _text(data.get("team")) or "—"),
        ("派单时间", _text(data.get("dispatched_at"))),
        ("接单时间", _text(data.get("accepted_at"))),
        ("开工时间", _text(data.get("started_at"))),
        ("完工时间", _text(data.get("completed_at"))),
        ("响应时限", _due(data.get("response_due_at"), data.get("response_breached"))),
        ("完工时限", _due(data.get("completion_due_at"), data.get("completion_breached"))),
    ]
    if data.get("paused_time"):
        rows.append(("暂停合计", _text(data.get("paused_time"))))
        rows.append(("暂停原因", _text(data.get("pause_reason"))))
    return rows


def _cost_rows(data: Mapping[str, Any]) -> tuple[list[list[str]], int]:
    """Return the table's rows (the recorded costs and their total, or blank rows)."""
    costs: Sequence[Mapping[str, Any]] = data.get("costs") or []
    if not costs:
        blank = [[""] * len(COST_HEADERS) for _ in range(BLANK_COST_ROWS)]
        return blank + [["", "合计", "", "", "", "", ""]], 1
    rows = [[str(i), _text(c.get("kind")), _text(c.get("name")), _text(c.get("quantity")),
             _text(c.get("unit_name")), format_money(c.get("unit_price")),
             format_money(c.get("amount"))] for i, c in enumerate(costs, start=1)]
    rows.append(["", "合计", "", "", "", "", format_money(data.get("costs_total"))])
    return rows, 1


def _charge_rows(data: Mapping[str, Any]) -> tuple[list[tuple[str, str]], str | None]:
    """The chargeable repair's quote, its confirmation and the amount, with its 大写."""
    quote = data.get("quote_amount")
    confirmed = _text(data.get("quote_confirmed_by"))
    if confirmed and data.get("quote_confirmed_at"):
        confirmed += f"（{_text(data.get('quote_confirmed_at'))}）"
    amount = data.get("charge_amount")
    rows = [
        ("报价金额", f"￥{format_money(quote)}" if quote not in (None, "") else "—"),
        ("住户确认", confirmed or "未确认"),
    ]
    words = None
    if amount not in (None, ""):
        rows += [("收费金额" if data.get("costs") else "应收金额", f"￥{format_money(amount)}"),
                 ("计费", _text(data.get("billed")) or "完工后计入本户账单")]
        words = amount_in_words(Decimal(str(amount)))
    return rows, words


def _callback_rows(data: Mapping[str, Any]) -> tuple[list[tuple[str, str]], str]:
    """The callback's score, who called and when (two a line), and the resident's comment."""
    callback: Mapping[str, Any] | None = data.get("callback")
    if not callback:
        return [("回访满意度", "□ 5　□ 4　□ 3　□ 2　□ 1（分）"), ("回访人", "")], BLANK_LINE
    by = " ".join(p for p in (_text(callback.get("by")), _text(callback.get("at"))) if p)
    return ([("回访满意度", f"{_text(callback.get('score'))} 分（满分 5 分）"), ("回访人", by)],
            _text(callback.get("comment")) or "—")


def work_order_slip(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render a 派工单 and return PDF bytes."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    story: list[Flowable] = []
    if data.get("reprint"):
        mark = ParagraphStyle("FDReprint", parent=st.body, fontSize=12, leading=16,
                              textColor=RED)
        story += [para(_text(data["reprint"]), mark), Spacer(1, 2 * mm)]

    def pairs(rows: list[tuple[str, str]], cols: int = 2):
        return kv_table(rows, cols, font_name=font_name, label_width=LABEL_WIDTH)

    story += section("一、报修信息", pairs(_report_rows(data)), font_name=font_name,
                     min_space=60 * mm)
    story.append(pairs([("报修内容", _text(data.get("description")))], 1))
    story += section("二、派工及时限", pairs(_dispatch_rows(data)), font_name=font_name,
                     min_space=40 * mm)
    rows, totals = _cost_rows(data)
    story += section("三、材料及人工", data_table(
        COST_HEADERS, rows, _widths(COST_WIDTHS_MM), font_name=font_name,
        center_cols=(0, 1, 3, 4), right_cols=(5, 6), total_rows=totals),
        font_name=font_name, min_space=40 * mm)
    if data.get("chargeable"):
        charge, words = _charge_rows(data)
        story += [Spacer(1, 2 * mm), pairs(charge)]
        if words:
            story.append(pairs([("金额大写", words)], 1))
    callback, comment = _callback_rows(data)
    note = _text(data.get("completion_note")) or f"{BLANK_LINE}\n{BLANK_LINE}"
    story += section("四、完工及回访", pairs([("完工说明", note)], 1), font_name=font_name,
                     min_space=40 * mm)
    story += [pairs(callback), pairs([("回访意见", comment)], 1)]
    story.append(KeepTogether([
        Spacer(1, 5 * mm),
        para(NOTICE, st.small),
        signature_block(SIGNATURE_LABELS, font_name=font_name),
    ]))
    return render(story, _letterhead(data), font_path=font_path)
