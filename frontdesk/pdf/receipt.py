"""The 收据 (receipt) of a payment, as PDF bytes: A5 landscape, one receipt per sheet.

It carries the letterhead, the number, the unit and payer, the lines paid (with late fees),
the total in figures and in capitals (大写), the method, the cashier and signature lines; a
reprint is marked 补打 with its count, and a void receipt carries a 作废 watermark.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from frontdesk.pdf.base import (
    GRID_COLOR,
    LABEL_FILL,
    data_table,
    kv_table,
    make_styles,
    para,
    printable,
    register_fonts,
)

TITLE = "收据"
PAGE_WIDTH, PAGE_HEIGHT = landscape(A5)
MARGIN_X = 10 * mm
HEADER_HEIGHT = 30 * mm
FOOTER_HEIGHT = 11 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
LINE_HEADERS = ["序号", "收费项目", "期间", "说明", "应收（元）", "实收（元）"]
LINE_WIDTHS_MM = [10, 30, 17, 85, 23, 25]
RED = colors.HexColor("#C0392B")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def money_text(value: Any) -> str:
    """Show an amount as 1,234.50; blank stays blank."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


def _widths(widths_mm: Sequence[float]) -> list[float]:
    total = sum(widths_mm)
    return [CONTENT_WIDTH * w / total for w in widths_mm]


class ReceiptDocTemplate(BaseDocTemplate):
    """A5 landscape pages with the estate's letterhead, the 补打 mark and the 作废 watermark."""

    def __init__(self, buffer, data: Mapping[str, Any], font_name: str) -> None:
        self.data = data
        self.font_name = font_name
        estate = data.get("estate") or {}
        super().__init__(
            buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), leftMargin=MARGIN_X,
            rightMargin=MARGIN_X, topMargin=HEADER_HEIGHT, bottomMargin=FOOTER_HEIGHT,
            title=f"收据 {_text(data.get('number'))}", author=_text(estate.get("name")),
            subject=_text(data.get("number")), creator="frontdesk", lang="zh-CN",
            displayDocTitle=True, initialFontName=font_name,
        )
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height,
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
        self.addPageTemplates([PageTemplate(id="receipt", frames=[frame], onPage=self._page,
                                            onPageEnd=self._watermark)])

    def _draw(self, canvas: Canvas, align: str, x: float, y: float, text: str,
              size: float) -> None:
        text = printable(text, self.font_name)
        canvas.setFont(self.font_name, size)
        {"left": canvas.drawString, "center": canvas.drawCentredString,
         "right": canvas.drawRightString}[align](x, y, text)

    def _page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """Draw the letterhead, title, number and footer."""
        data = self.data
        estate = data.get("estate") or {}
        left, right, center = MARGIN_X, PAGE_WIDTH - MARGIN_X, PAGE_WIDTH / 2
        top = PAGE_HEIGHT
        canvas.saveState()
        self._draw(canvas, "center", center, top - 10 * mm, _text(estate.get("name")), 13)
        contact = "    ".join(p for p in (
            f"地址：{estate['address']}" if estate.get("address") else "",
            f"电话：{estate['phone']}" if estate.get("phone") else "") if p)
        if contact:
            canvas.setFillColor(colors.HexColor("#333333"))
            self._draw(canvas, "center", center, top - 14.5 * mm, contact, 7.5)
            canvas.setFillColor(colors.black)
        canvas.setLineWidth(1)
        canvas.line(left, top - 16.5 * mm, right, top - 16.5 * mm)
        self._draw(canvas, "center", center, top - 24 * mm, TITLE, 17)
        self._draw(canvas, "right", right, top - 22 * mm, f"NO. {_text(data.get('number'))}",
                   10)
        self._draw(canvas, "left", left, top - 22 * mm,
                   f"收款日期：{_text(data.get('issued_at'))}", 8.5)
        if data.get("reprint"):
            canvas.setFillColor(RED)
            self._draw(canvas, "right", right, top - 27 * mm, _text(data["reprint"]), 9)
            canvas.setFillColor(colors.black)
        canvas.setStrokeColor(colors.HexColor("#888888"))
        canvas.setLineWidth(0.4)
        canvas.line(left, 8.5 * mm, right, 8.5 * mm)
        footer = f"打印时间：{_text(data.get('printed_at'))}"
        if data.get("printed_by"):
            footer += f"    打印人：{data['printed_by']}"
        self._draw(canvas, "left", left, 5 * mm, footer, 7)
        copy = "原件" if not data.get("reprint") else _text(data.get("reprint"))
        self._draw(canvas, "right", right, 5 * mm,
                   f"第 {canvas.getPageNumber()} 页    {copy}", 7)
        canvas.restoreState()

    def _watermark(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """Stamp 作废 across a void receipt, over its content."""
        if not self.data.get("voided"):
            return
        canvas.saveState()
        canvas.setFillColor(RED)
        canvas.setFillAlpha(0.28)
        canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2 - 8 * mm)
        canvas.rotate(22)
        canvas.setFont(self.font_name, 96)
        canvas.drawCentredString(0, -30, printable("作废", self.font_name))
        canvas.restoreState()


def _total_table(data: Mapping[str, Any], font_name: str) -> Table:
    st = make_styles(font_name)
    rows = [[para("合计（大写）", st.cell_center), para(_text(data.get("in_words")), st.cell),
             para("合计（小写）", st.cell_center),
             para(f"￥{money_text(data.get('total'))}", st.cell)]]
    widths = _widths([27, 95, 27, 41])
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font_name),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOR),
        ("BOX", (0, 0), (-1, -1), 0.9, GRID_COLOR),
        ("BACKGROUND", (0, 0), (0, 0), LABEL_FILL),
        ("BACKGROUND", (2, 0), (2, 0), LABEL_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _signatures(cashier: str, font_name: str) -> Table:
    st = make_styles(font_name)
    rows = [[para(f"收款人（经办）：{cashier}", st.body),
             para("交款人签字：__________________", st.body),
             para("收款人签字：__________________", st.body)]]
    table = Table(rows, colWidths=_widths([1, 1, 1]), hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font_name),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 12),
    ]))
    return table


def receipt_pdf(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render a receipt from plain data (``services.receipts.document_data``) to PDF bytes."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    lines: Sequence[Mapping[str, Any]] = data.get("lines") or []
    rows = [
        [str(i), _text(ln.get("item")), _text(ln.get("period")), _text(ln.get("explanation")),
         money_text(ln.get("due")), money_text(ln.get("amount"))]
        for i, ln in enumerate(lines, start=1)
    ]
    late = sum((Decimal(str(ln.get("amount") or 0)) for ln in lines
                if ln.get("kind") == "late_fee"), Decimal(0))
    head = [
        ("房号", _text(data.get("unit_code"))),
        ("交款人", _text(data.get("payer")) or "—"),
        ("付款方式", _text(data.get("method"))),
        ("款项类别", _text(data.get("purpose"))),
        ("收款人", _text(data.get("cashier"))),
        ("收据编号", _text(data.get("number"))),
    ]
    story: list[Flowable] = [
        kv_table(head, 3, font_name=font_name, width=CONTENT_WIDTH, label_width=17 * mm),
        Spacer(1, 2.5 * mm),
        data_table(LINE_HEADERS, rows, _widths(LINE_WIDTHS_MM), font_name=font_name,
                   center_cols=(0, 2)),
        Spacer(1, 1.5 * mm),
        _total_table(data, font_name),
    ]
    notes = []
    if late > 0:
        notes.append(f"其中滞纳金 {late:,.2f} 元。")
    if data.get("reference"):
        notes.append(f"交易单号：{data['reference']}")
    if data.get("tendered"):
        notes.append(f"实收现金 {money_text(data['tendered'])} 元，"
                     f"找零 {money_text(data.get('change'))} 元。")
    if data.get("still_owed") not in (None, ""):
        notes.append(f"本次缴费后本户尚欠 {money_text(data['still_owed'])} 元。")
    if data.get("note"):
        notes.append(f"备注：{data['note']}")
    if data.get("voided"):
        notes.append(f"本收据已作废。作废原因：{_text(data.get('void_reason'))}；"
                     f"作废人：{_text(data.get('voided_by'))}；"
                     f"作废时间：{_text(data.get('voided_at'))}。")
    for text in notes:
        story.append(para(text, st.small))
    story.append(KeepTogether([_signatures(_text(data.get("cashier")), font_name)]))
    buffer = io.BytesIO()
    ReceiptDocTemplate(buffer, data, font_name).build(story)
    return buffer.getvalue()
