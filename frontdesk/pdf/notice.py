"""The 缴费通知单 (payment notice): one A4 page per unit, one PDF for a unit or a whole building."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, HRFlowable, PageBreak, Spacer, Table, TableStyle

from frontdesk.pdf.base import (
    CONTENT_WIDTH,
    GRID_COLOR,
    HEADER_FILL,
    LABEL_FILL,
    Letterhead,
    Styles,
    build_document,
    make_styles,
    para,
    printable,
    register_fonts,
)
from frontdesk.pdf.money import amount_in_words

TITLE = "缴费通知单"
LINE_HEADERS = ["项目", "期间", "计费说明", "应收", "已收", "欠费", "滞纳金"]
LINE_WIDTHS_MM = [22, 16, 68, 18.5, 18.5, 18.5, 18.5]
CELL_FONT_SIZE = 9
CELL_PADDING = 4
STUB_GREY = colors.HexColor("#555555")
STUB_BLANKS = "实缴金额：____________　收款人：____________　缴费日期：______年____月____日"
STUB_NOTE = "（请沿虚线剪下，缴费时交物业服务中心前台留存）"


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _yuan(value: Decimal) -> str:
    return f"¥{value:,.2f}"


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
        # the same on every page: made once and drawn on each (as Table does with repeatRows)
        self.instructions = para(f"缴费方式：{methods}。{where}。如已缴费，请忽略本通知。",
                                 self.st.body)
        self.stub_note = para(STUB_NOTE, self.center_small)
        self.stub_blanks = para(STUB_BLANKS, self.st.body)
        self.period = str(data.get("period") or "")
        self.notice_date = _day(data.get("notice_date"))


def _cell(text: str, width: float, parts: _Parts):
    """Return plain text where it fits on one line (fast to lay out), else a wrapping Paragraph."""
    text = printable(text, parts.font_name)
    room = width - 2 * CELL_PADDING
    if (len(text) * CELL_FONT_SIZE <= room  # no glyph is wider than 1 em
            or pdfmetrics.stringWidth(text, parts.font_name, CELL_FONT_SIZE) <= room):
        return text
    return para(text, parts.st.cell)


def _grid(rows: list[list], widths: Sequence[float], parts: _Parts, extra: Sequence[tuple] = (),
          repeat_rows: int = 0) -> Table:
    """Lay out a bordered grid like the shared form tables, with mostly plain-text cells."""
    table = Table(rows, colWidths=list(widths), repeatRows=repeat_rows, hAlign="LEFT")
    table.setStyle(TableStyle([
        # few commands over all cells: each one visits every cell (TOP/BOTTOMPADDING stay 3)
        ("FONT", (0, 0), (-1, -1), parts.font_name, CELL_FONT_SIZE, 11.5),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOR),
        ("BOX", (0, 0), (-1, -1), 0.9, GRID_COLOR),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        *extra,
    ]))
    return table


def _pairs(pairs: Sequence[tuple[str, str]], cols: int, label_width: float,
           parts: _Parts) -> Table:
    """Lay out label/value pairs, `cols` pairs per line, as kv_table does."""
    value_width = (CONTENT_WIDTH - cols * label_width) / cols
    items = list(pairs) + [("", "")] * (-len(pairs) % cols)
    rows = [
        [cell for label, value in items[i:i + cols]
         for cell in (_cell(label, label_width, parts), _cell(value, value_width, parts))]
        for i in range(0, len(items), cols)
    ]
    extra = [s for i in range(cols) for s in (
        ("BACKGROUND", (2 * i, 0), (2 * i, -1), LABEL_FILL),
        ("ALIGN", (2 * i, 0), (2 * i, -1), "CENTER"),
    )]
    return _grid(rows, [label_width, value_width] * cols, parts, extra)


def _lines_table(unit: Mapping[str, Any], parts: _Parts) -> Table:
    """The bill lines with their totals; the explanation wraps, the figures align right."""
    w = parts.widths
    rows: list[list] = [list(LINE_HEADERS)]
    for ln in unit.get("lines") or []:
        late = _money(ln.get("late_fee")) + ("（已减免）" if ln.get("waived") else "")
        rows.append([
            _cell(str(ln.get("item", "")), w[0], parts),
            str(ln.get("period", "")),
            _cell(str(ln.get("explanation", "")), w[2], parts),
            _cell(_money(ln.get("amount")), w[3], parts),
            _cell(_money(ln.get("paid")), w[4], parts),
            _cell(_money(ln.get("outstanding")), w[5], parts),
            _cell(late, w[6], parts),
        ])
    rows.append([
        "合计", "", "", _money(unit.get("total_amount")), _money(unit.get("total_paid")),
        _money(unit.get("total_outstanding")), _money(unit.get("total_late_fee")),
    ])
    return _grid(rows, w, parts, [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("ALIGN", (1, 1), (1, -1), "CENTER"),
        ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
        ("SPAN", (0, -1), (2, -1)),
        ("ALIGN", (0, -1), (2, -1), "CENTER"),
        ("BACKGROUND", (0, -1), (-1, -1), LABEL_FILL),
    ], repeat_rows=1)


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
        _pairs([("房号", code), ("业主", owner),
                ("楼栋", str(unit.get("building", ""))),
                ("建筑面积", _area(unit.get("gross_area"))),
                ("账期", parts.period), ("通知日期", parts.notice_date)], 2, 22 * mm, parts),
        Spacer(1, 3 * mm),
        para(f"尊敬的{owner}业主/住户：", st.body),
        para(f"截至 {parts.notice_date}，贵户 {code} 尚有以下费用未缴清，明细如下：", st.body),
        Spacer(1, 2 * mm),
        _lines_table(unit, parts),
        Spacer(1, 3 * mm),
        _pairs([("欠费合计", _yuan(unit["total_outstanding"])),
                ("滞纳金合计", _yuan(unit["total_late_fee"])),
                ("预存款余额", _yuan(unit["prepaid"])),
                ("预存款抵扣", _yuan(unit["prepaid_used"])),
                ("应缴金额", _yuan(due)),
                ("大写", amount_in_words(due))], 2, 24 * mm, parts),
        Spacer(1, 3 * mm),
        para(deadline, st.body),
        parts.instructions,
        Spacer(1, 8 * mm),
        HRFlowable(width="100%", thickness=0.6, dash=(4, 3), color=colors.HexColor("#777777"),
                   spaceBefore=0, spaceAfter=1 * mm),
        parts.stub_note,
        Spacer(1, 2 * mm),
        para(f"回执　房号：{code}　业主：{owner}　账期：{parts.period}　应缴金额：{_yuan(due)}",
             st.body),
        parts.stub_blanks,
    ]


def payment_notice(units_data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render the payment notices of one or more units, one page each, and return PDF bytes.

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
    story: list[Flowable] = []
    for i, unit in enumerate(units):
        if i:
            story.append(PageBreak())
        story.extend(_unit_page(unit, parts))
    if not story:
        story.append(para("无欠费单元。", parts.st.body))
    buffer = io.BytesIO()
    build_document(buffer, letterhead, font_path=font_path).build(story)
    return buffer.getvalue()
