"""The 收据 (receipt) of a payment, as PDF bytes: A5 landscape, one receipt per sheet.

It carries the letterhead, the number, the unit and payer, the lines paid (with late fees),
the total in figures and in capitals (大写), the method, the cashier, signature lines and the
place for the seal (盖章处); a reprint is marked 补打 with its count, and a void receipt carries
a 作废 watermark. Lines that run past the sheet go on to more, each repeating the number, unit
and payer, numbered 第 N 页 共 M 页.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from frontdesk.money import format_money
from frontdesk.pdf.base import (
    LABEL_FILL,
    PagedDocTemplate,
    cell,
    data_table,
    draw_text,
    grid_table,
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
#: where the estate's seal goes, with room under it for the stamp
SEAL = "收款单位（盖章处）："
SEAL_ROOM = 14 * mm


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _widths(widths_mm: Sequence[float]) -> list[float]:
    total = sum(widths_mm)
    return [CONTENT_WIDTH * w / total for w in widths_mm]


def running_head(data: Mapping[str, Any]) -> str:
    """Say whose receipt a page after the first belongs to."""
    return (f"收据 NO. {_text(data.get('number'))}　房号：{_text(data.get('unit_code'))}　"
            f"交款人：{_text(data.get('payer')) or '—'}")


class ReceiptDocTemplate(PagedDocTemplate):
    """A5 landscape pages with the estate's letterhead, the 补打 mark and the 作废 watermark."""

    def __init__(self, buffer, data: Mapping[str, Any], font_name: str) -> None:
        self.data = data
        estate = data.get("estate") or {}
        super().__init__(
            buffer, font_name=font_name, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), margin_x=MARGIN_X,
            header_height=HEADER_HEIGHT, footer_height=FOOTER_HEIGHT,
            running_head=running_head(data),
            title=f"收据 {_text(data.get('number'))}", author=_text(estate.get("name")),
            subject=_text(data.get("number")),
        )

    def _draw(self, canvas: Canvas, align: str, x: float, y: float, text: str,
              size: float, room: float = CONTENT_WIDTH, **fit: float) -> None:
        draw_text(canvas, align, x, y, text, self.font_name, size, room, **fit)

    def draw_page(self, canvas: Canvas) -> None:
        """Draw the letterhead, title, number and footer."""
        data = self.data
        estate = data.get("estate") or {}
        left, right, center = MARGIN_X, PAGE_WIDTH - MARGIN_X, PAGE_WIDTH / 2
        top = PAGE_HEIGHT
        side = CONTENT_WIDTH * 0.4
        self._draw(canvas, "center", center, top - 9.5 * mm, _text(estate.get("name")), 13,
                   max_lines=2, wrap_size=9)
        contact = "    ".join(p for p in (
            f"地址：{estate['address']}" if estate.get("address") else "",
            f"电话：{estate['phone']}" if estate.get("phone") else "") if p)
        if contact:
            canvas.setFillColor(colors.HexColor("#333333"))
            self._draw(canvas, "center", center, top - 14.3 * mm, contact, 7.5)
            canvas.setFillColor(colors.black)
        canvas.setLineWidth(1)
        canvas.line(left, top - 16.5 * mm, right, top - 16.5 * mm)
        self._draw(canvas, "center", center, top - 24 * mm, TITLE, 17)
        self._draw(canvas, "right", right, top - 22 * mm, f"NO. {_text(data.get('number'))}",
                   10, side)
        self._draw(canvas, "left", left, top - 22 * mm,
                   f"收款日期：{_text(data.get('issued_at'))}", 8.5, side)
        if data.get("reprint"):
            canvas.setFillColor(RED)
            self._draw(canvas, "right", right, top - 27 * mm, _text(data["reprint"]), 9, side)
            canvas.setFillColor(colors.black)
        canvas.setStrokeColor(colors.HexColor("#888888"))
        canvas.setLineWidth(0.4)
        canvas.line(left, 8.5 * mm, right, 8.5 * mm)
        footer = f"打印时间：{_text(data.get('printed_at'))}"
        if data.get("printed_by"):
            footer += f"    打印人：{data['printed_by']}"
        self._draw(canvas, "left", left, 5 * mm, footer, 7, CONTENT_WIDTH * 0.55)

    def draw_page_number(self, canvas: Canvas, page: int, pages: int) -> None:
        """Print 第 N 页 共 M 页 and whether this is the original, bottom right."""
        copy = "原件" if not self.data.get("reprint") else _text(self.data.get("reprint"))
        self._draw(canvas, "right", PAGE_WIDTH - MARGIN_X, 5 * mm,
                   f"{self.page_label(page, pages)}    {copy}", 7, CONTENT_WIDTH * 0.4)

    def draw_page_end(self, canvas: Canvas) -> None:
        """Stamp 作废 across a void receipt, over its content."""
        if not self.data.get("voided"):
            return
        canvas.setFillColor(RED)
        canvas.setFillAlpha(0.28)
        canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2 - 8 * mm)
        canvas.rotate(22)
        canvas.setFont(self.font_name, 96)
        canvas.drawCentredString(0, -30, printable("作废", self.font_name))


def _total_table(data: Mapping[str, Any], font_name: str) -> Table:
    st = make_styles(font_name)
    widths = _widths([27, 95, 27, 41])
    rows = [[cell("合计（大写）", widths[0], st.cell_center),
             cell(_text(data.get("in_words")), widths[1], st.cell),
             cell("合计（小写）", widths[2], st.cell_center),
             cell(f"￥{format_money(data.get('total'))}", widths[3], st.cell_right)]]
    return grid_table(rows, widths, font_name=font_name, extra=[
        ("BACKGROUND", (0, 0), (0, 0), LABEL_FILL),
        ("BACKGROUND", (2, 0), (2, 0), LABEL_FILL),
        ("ALIGN", (0, 0), (0, 0), "CENTER"),
        ("ALIGN", (2, 0), (2, 0), "CENTER"),
        ("ALIGN", (3, 0), (3, 0), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ])


def _signatures(cashier: str, font_name: str) -> Table:
    """The cashier, the two signature lines and the place for the estate's seal."""
    st = make_styles(font_name)
    rows = [[para(f"收款人（经办）：{cashier}", st.body),
             para("交款人签字：______________", st.body),
             para("收款人签字：______________", st.body),
             para(SEAL, st.body)]]
    table = Table(rows, colWidths=_widths([27, 25, 25, 23]), hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font_name),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 12),
        ("BOTTOMPADDING", (0, 0), (-1, -1), SEAL_ROOM),
    ]))
    return table


def receipt_pdf(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render a receipt from plain data (``services.receipts.document_data``) to PDF bytes."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    lines: Sequence[Mapping[str, Any]] = data.get("lines") or []
    rows = [
        [str(i), _text(ln.get("item")), _text(ln.get("period")), _text(ln.get("explanation")),
         format_money(ln.get("due")), format_money(ln.get("amount"))]
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
                   center_cols=(0, 2), right_cols=(4, 5)),
        Spacer(1, 1.5 * mm),
        _total_table(data, font_name),
    ]
    notes = []
    if late > 0:
        notes.append(f"其中滞纳金 {format_money(late)} 元。")
    if data.get("reference"):
        notes.append(f"交易单号：{data['reference']}")
    if data.get("tendered"):
        notes.append(f"实收现金 {format_money(data['tendered'])} 元，"
                     f"找零 {format_money(data.get('change'))} 元。")
    if data.get("still_owed") not in (None, ""):
        notes.append(f"本次缴费后本户尚欠 {format_money(data['still_owed'])} 元。")
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
