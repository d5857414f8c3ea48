"""The 缴费通知单 (payment notice): one A4 page per unit, one PDF for a unit or a whole building.

A unit whose lines run past a page goes on to more pages, each repeating the unit and owner and
numbered 第 N 页 共 M 页 within that unit's notice.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, HRFlowable, KeepTogether, Spacer, Table

from frontdesk.money import amount_in_words, format_money
from frontdesk.pdf.base import (
    CONTENT_WIDTH,
    HEADER_FILL,
    LABEL_FILL,
    Letterhead,
    Styles,
    build_document,
    cell,
    grid_table,
    kv_table,
    make_styles,
    numbered_parts,
    para,
    register_fonts,
)

TITLE = "缴费通知单"
LINE_HEADERS = ["项目", "期间", "计费说明", "应收", "已收", "欠费", "滞纳金"]
LINE_WIDTHS_MM = [22, 16, 68, 18.5, 18.5, 18.5, 18.5]
STUB_GREY = colors.HexColor("#555555")
STUB_BLANKS = "实缴金额：____________　收款人：____________　缴费日期：______年____月____日"
STUB_NOTE = "（请沿虚线剪下，缴费时交物业服务中心前台留存）"


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _area(value: Decimal | None) -> str:
    return f"{value:.2f} m²" if value is not None else ""


def _widths(widths_mm: Sequence[float]) -> list[float]:
    total = sum(widths_mm)
    return [CONTENT_WIDTH * w / total for w in widths_mm]


class _Parts:
    """What every page of a notice shares, made once per document."""

    def __init__(self, data: Mapping[str, Any], font_name: str) -> None:
        self.font_name = font_name
        self.st: Styles = make_styles(font_name)
        self.center_small = ParagraphStyle("FDNoticeStub", parent=self.st.small,
                                           alignment=TA_CENTER, textColor=STUB_GREY)
        self.widths = _widths(LINE_WIDTHS_MM)
        estate: Mapping[str, Any] = data.get("estate") or {}
        methods = "、".join(data.get("payment_methods") or [])
        where = "请到物业服务中心前台缴费"
        if estate.get("address"):
            where += f"（地址：{estate['address']}）"
        if estate.get("phone"):
            where += f"，咨询电话：{estate['phone']}"
        # the same on every page: made once, and each page draws a shallow copy (the layout
        # marks a flowable it moves to the next page; one instance on every page would be
        # "moved" twice and refused as too large)
        self.instructions = para(f"缴费方式：{methods}。{where}。如已缴费，请忽略本通知。",
                                 self.st.body)
        self.stub_note = para(STUB_NOTE, self.center_small)
        self.stub_blanks = para(STUB_BLANKS, self.st.body)
        self.period = str(data.get("period") or "")
        self.notice_date = _day(data.get("notice_date"))


def _lines_table(unit: Mapping[str, Any], parts: _Parts) -> Table:
    """The bill lines with their totals; the explanation wraps, the figures align right."""
    w = parts.widths
    st = parts.st
    rows: list[list] = [list(LINE_HEADERS)]
    for ln in unit.get("lines") or []:
        late = format_money(ln.get("late_fee")) + ("（已减免）" if ln.get("waived") else "")
        rows.append([
            cell(ln.get("item", ""), w[0], st.cell),
            cell(ln.get("period", ""), w[1], st.cell_center),
            cell(ln.get("explanation", ""), w[2], st.cell),
            cell(format_money(ln.get("amount")), w[3], st.cell_right),
            cell(format_money(ln.get("paid")), w[4], st.cell_right),
            cell(format_money(ln.get("outstanding")), w[5], st.cell_right),
            cell(late, w[6], st.cell_right),
        ])
    totals = ("total_amount", "total_paid", "total_outstanding", "total_late_fee")
    rows.append(["合计", "", "", *(cell(format_money(unit.get(key)), w[i], st.cell_right)
                                   for i, key in enumerate(totals, start=3))])
    return grid_table(rows, w, font_name=parts.font_name, repeat_rows=1, extra=[
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("ALIGN", (1, 1), (1, -1), "CENTER"),
        ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
        ("SPAN", (0, -1), (2, -1)),
        ("ALIGN", (0, -1), (2, -1), "CENTER"),
        ("BACKGROUND", (0, -1), (-1, -1), LABEL_FILL),
    ])


def _running_head(unit: Mapping[str, Any], parts: _Parts) -> str:
    """Say whose notice a page after the first belongs to."""
    return f"房号：{unit.get('code', '')}　业主：{unit.get('owner') or ''}　账期：{parts.period}"


def _unit_page(unit: Mapping[str, Any], parts: _Parts) -> list[Flowable]:
    """Lay out one unit's notice."""
    st = parts.st
    owner = unit.get("owner") or ""
    code = str(unit.get("code", ""))
    due = unit["amount_due"]
    due_date = unit.get("due_date")
    if due_date is not None and not unit.get("overdue"):
        deadline = (f"缴费期限：请于 {_day(due_date)} 前缴纳。"
                    "逾期未缴的，将按各收费项目的规定计收滞纳金。")
    elif due_date is not None:
        deadline = (f"缴费期限：本期费用已于 {_day(due_date)} 到期，请于收到本通知后尽快缴纳，"
                    "逾期部分按规定计收滞纳金。")
    else:
        deadline = "缴费期限：以上为往期欠费，请于收到本通知后尽快缴纳，逾期部分按规定计收滞纳金。"

    return [
        kv_table([("房号", code), ("业主", owner),
                  ("楼栋", str(unit.get("building", ""))),
                  ("建筑面积", _area(unit.get("gross_area"))),
                  ("账期", parts.period), ("通知日期", parts.notice_date)], 2,
                 font_name=parts.font_name, label_width=22 * mm),
        Spacer(1, 3 * mm),
        para(f"尊敬的{owner}业主/住户：", st.body),
        para(f"截至 {parts.notice_date}，贵户 {code} 尚有以下费用未缴清，明细如下：", st.body),
        Spacer(1, 2 * mm),
        _lines_table(unit, parts),
        Spacer(1, 3 * mm),
        kv_table([("欠费合计", "¥" + format_money(unit["total_outstanding"])),
                  ("滞纳金合计", "¥" + format_money(unit["total_late_fee"])),
                  ("预存款余额", "¥" + format_money(unit["prepaid"])),
                  ("预存款抵扣", "¥" + format_money(unit["prepaid_used"])),
                  ("应缴金额", "¥" + format_money(due)),
                  ("大写", amount_in_words(due))], 2,
                 font_name=parts.font_name, label_width=24 * mm),
        Spacer(1, 3 * mm),
        para(deadline, st.body),
        copy.copy(parts.instructions),
        Spacer(1, 8 * mm),
        # the stub is cut off along the dashed line: never part of it on another page
        KeepTogether([
            HRFlowable(width="100%", thickness=0.6, dash=(4, 3), color=colors.HexColor("#777777"),
                       spaceBefore=0, spaceAfter=1 * mm),
            copy.copy(parts.stub_note),
            Spacer(1, 2 * mm),
            para(f"回执　房号：{code}　业主：{owner}　账期：{parts.period}　"
                 f"应缴金额：¥{format_money(due)}", st.body),
            copy.copy(parts.stub_blanks),
        ]),
    ]


def payment_notice(units_data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render the payment notices of one or more units, each from a new page, as PDF bytes.

    ``units_data`` is what ``services.statements.unit_notice`` or ``building_notices`` gives:
    the estate, period, notice date, payment methods and a list of ``units``.
    """
    font_name = register_fonts(font_path)
    parts = _Parts(units_data, font_name)
    estate: Mapping[str, Any] = units_data.get("estate") or {}
    units: Sequence[Mapping[str, Any]] = units_data.get("units") or []
    letterhead = Letterhead(
        estate_name=str(estate.get("name") or ""),
        title=TITLE,
        address=str(estate.get("address") or ""),
        phone=str(estate.get("phone") or ""),
        printed_at=str(units_data.get("printed_at") or ""),
        printed_by=units_data.get("printed_by") or None,
    )
    story = numbered_parts((_running_head(unit, parts), _unit_page(unit, parts))
                           for unit in units)
    if not story:
        story.append(para("无欠费单元。", parts.st.body))
    buffer = io.BytesIO()
    build_document(buffer, letterhead, font_path=font_path).build(story)
    return buffer.getvalue()
