"""Shared printing parts: CJK font, styles, A4 letterhead pages, form tables and signatures."""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import IO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

logger = logging.getLogger(__name__)

TTF_FONT_NAME = "WenQuanYi"
CID_FONT_NAME = "STSong-Light"
DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
DEFAULT_FONT_CANDIDATES: tuple[str, ...] = (
    DEFAULT_FONT_PATH,
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 15 * mm
HEADER_HEIGHT = 41 * mm
FOOTER_HEIGHT = 16 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

GRID_COLOR = colors.HexColor("#555555")
LABEL_FILL = colors.HexColor("#EFEFEF")
HEADER_FILL = colors.HexColor("#E2E2E2")

_lock = threading.Lock()
_registered: dict[tuple[str | None, tuple[str, ...]], str] = {}
_ttf_names: dict[str, str] = {}


def _register_ttf(path: str) -> str:
    """Register one TrueType/TTC file once and return its font name."""
    real = os.path.realpath(path)
    if real in _ttf_names:
        return _ttf_names[real]
    name = TTF_FONT_NAME if not _ttf_names else f"{TTF_FONT_NAME}-{len(_ttf_names) + 1}"
    pdfmetrics.registerFont(TTFont(name, real, subfontIndex=0))
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    _ttf_names[real] = name
    return name


def _register_cid() -> str:
    """Register the non-embedded Adobe CID font viewers supply for Simplified Chinese."""
    if CID_FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT_NAME))
        pdfmetrics.registerFontFamily(
            CID_FONT_NAME,
            normal=CID_FONT_NAME,
            bold=CID_FONT_NAME,
            italic=CID_FONT_NAME,
            boldItalic=CID_FONT_NAME,
        )
    return CID_FONT_NAME


def register_fonts(font_path: str | None = None) -> str:
    """Register the CJK font for printing and return the font name to use."""
    path = os.fspath(font_path) if font_path else None
    key = (path, DEFAULT_FONT_CANDIDATES)
    with _lock:
        if key in _registered:
            return _registered[key]
        if path and not os.path.isfile(path):
            logger.warning("PDF font %s not found; trying the usual locations", path)
        candidates = ([path] if path else []) + [c for c in DEFAULT_FONT_CANDIDATES if c != path]
        name: str | None = None
        for candidate in candidates:
            if not os.path.isfile(candidate):
                continue
            try:
                name = _register_ttf(candidate)
                break
            except Exception:
                logger.warning("PDF font %s could not be loaded", candidate, exc_info=True)
        if name is None:
            logger.warning(
                "No CJK TrueType font found (tried %s); using the non-embedded CID font %s",
                ", ".join(candidates),
                CID_FONT_NAME,
            )
            name = _register_cid()
        _registered[key] = name
        return name


def is_embedded_font(font_name: str) -> bool:
    """Tell whether a registered font is embedded in the PDF (TrueType) or not (CID)."""
    return isinstance(pdfmetrics.getFont(font_name), TTFont)


_CID_SUBSTITUTES = str.maketrans({"²": "2", "³": "3", "·": "・", "•": "・", "✓": "√", "✔": "√"})


def printable(text: str, font_name: str) -> str:
    """Swap characters the CID fallback font lacks for ones it has (m² becomes ㎡)."""
    if font_name != CID_FONT_NAME:
        return text
    return text.replace("m²", "㎡").translate(_CID_SUBSTITUTES)


def check_mark(font_name: str) -> str:
    """Return a tick the font can draw."""
    return printable("✓", font_name)


@dataclass(frozen=True)
class Styles:
    """Paragraph styles of printed documents, all on one CJK font."""

    font_name: str
    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_center: ParagraphStyle
    cell_header: ParagraphStyle


@lru_cache(maxsize=8)
def make_styles(font_name: str) -> Styles:
    """Build the paragraph styles for a registered font name."""
    body = ParagraphStyle(
        "FDBody", fontName=font_name, fontSize=10, leading=14, wordWrap="CJK", alignment=TA_LEFT
    )
    cell = ParagraphStyle("FDCell", parent=body, fontSize=9, leading=11.5)
    return Styles(
        font_name=font_name,
        title=ParagraphStyle(
            "FDTitle", parent=body, fontSize=16, leading=22, alignment=TA_CENTER, spaceAfter=6
        ),
        heading=ParagraphStyle(
            "FDHeading",
            parent=body,
            fontSize=11.5,
            leading=16,
            spaceBefore=9,
            spaceAfter=4,
        ),
        body=body,
        small=ParagraphStyle("FDSmall", parent=body, fontSize=8, leading=10.5),
        cell=cell,
        cell_center=ParagraphStyle("FDCellCenter", parent=cell, alignment=TA_CENTER),
        cell_header=ParagraphStyle("FDCellHeader", parent=cell, alignment=TA_CENTER),
    )


def styles_for(font_name: str | None = None) -> Styles:
    """Return the styles for a font name, registering the default font when none is given."""
    return make_styles(font_name or register_fonts())


def markup(text: object) -> str:
    """Escape plain text for Paragraph markup, keeping line breaks."""
    if text is None:
        return ""
    return escape(str(text)).replace("\r\n", "\n").replace("\n", "<br/>")


def para(text: object, style: ParagraphStyle) -> Paragraph:
    """Make a Paragraph from plain (unescaped) text."""
    return Paragraph(markup(printable("" if text is None else str(text), style.fontName)), style)


def section(
    heading: str,
    *content: Flowable,
    font_name: str | None = None,
    min_space: float | None = None,
) -> list[Flowable]:
    """Keep a heading with its content, or with min_space let long content flow on."""
    title = para(heading, styles_for(font_name).heading)
    if min_space is None:
        return [KeepTogether([title, *content])]
    return [CondPageBreak(min_space), title, *content]


@dataclass(frozen=True)
class Letterhead:
    """What the page template prints around every page of a document."""

    estate_name: str
    title: str
    address: str = ""
    phone: str = ""
    document_no: str | None = None
    printed_at: str = ""
    printed_by: str | None = None


def _fit_size(text: str, font_name: str, size: float, width: float, minimum: float = 7) -> float:
    """Shrink a font size until the text fits the width."""
    while size > minimum and pdfmetrics.stringWidth(text, font_name, size) > width:
        size -= 0.5
    return size


class LetterheadDocTemplate(BaseDocTemplate):
    """A4 document whose pages carry the estate letterhead, title and page footer."""

    def __init__(self, buffer: IO[bytes], letterhead: Letterhead, font_name: str) -> None:
        self.letterhead = letterhead
        self.font_name = font_name
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=HEADER_HEIGHT,
            bottomMargin=FOOTER_HEIGHT,
            title=letterhead.title,
            author=letterhead.estate_name,
            subject=letterhead.document_no or letterhead.title,
            creator="frontdesk",
            lang="zh-CN",
            displayDocTitle=True,
            initialFontName=font_name,
        )
        frame = Frame(
            self.leftMargin,
            self.bottomMargin,
            self.width,
            self.height,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
        )
        self.addPageTemplates([PageTemplate(id="letterhead", frames=[frame], onPage=self._page)])

    def _page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """Draw the letterhead, title and footer on one page."""
        lh = self.letterhead
        font = self.font_name
        left, right = MARGIN_X, PAGE_WIDTH - MARGIN_X
        center = PAGE_WIDTH / 2
        width = right - left

        def draw(align: str, x: float, y: float, text: str, size: float, room: float) -> None:
            text = printable(text, font)
            canvas.setFont(font, _fit_size(text, font, size, room, minimum=min(size, 6)))
            if align == "left":
                canvas.drawString(x, y, text)
            elif align == "center":
                canvas.drawCentredString(x, y, text)
            else:
                canvas.drawRightString(x, y, text)

        canvas.saveState()
        canvas.setFillColor(colors.black)
        draw("center", center, PAGE_HEIGHT - 14 * mm, lh.estate_name, 15, width)
        contact = "    ".join(
            part
            for part in (
                f"地址：{lh.address}" if lh.address else "",
                f"电话：{lh.phone}" if lh.phone else "",
            )
            if part
        )
        if contact:
            canvas.setFillColor(colors.HexColor("#333333"))
            draw("center", center, PAGE_HEIGHT - 19.5 * mm, contact, 8.5, width)
            canvas.setFillColor(colors.black)

        canvas.setLineWidth(1.2)
        canvas.line(left, PAGE_HEIGHT - 22.5 * mm, right, PAGE_HEIGHT - 22.5 * mm)
        canvas.setLineWidth(0.4)
        canvas.line(left, PAGE_HEIGHT - 23.3 * mm, right, PAGE_HEIGHT - 23.3 * mm)

        draw("center", center, PAGE_HEIGHT - 31.5 * mm, lh.title, 17, width)
        if lh.document_no:
            draw("right", right, PAGE_HEIGHT - 37.5 * mm, f"编号：{lh.document_no}", 8.5, width)

        canvas.setStrokeColor(colors.HexColor("#888888"))
        canvas.line(left, 12.5 * mm, right, 12.5 * mm)
        side = width * 0.38
        draw("center", center, 8.5 * mm, f"第 {canvas.getPageNumber()} 页", 8, width - 2 * side)
        if lh.printed_at:
            draw("left", left, 8.5 * mm, f"打印时间：{lh.printed_at}", 8, side)
        if lh.printed_by:
            draw("right", right, 8.5 * mm, f"打印人：{lh.printed_by}", 8, side)
        canvas.restoreState()


def build_document(
    buffer: IO[bytes], letterhead: Letterhead, *, font_path: str | None = None
) -> LetterheadDocTemplate:
    """Create an A4 document template with the letterhead page layout."""
    return LetterheadDocTemplate(buffer, letterhead, register_fonts(font_path))


def render(
    flowables: Iterable[Flowable], letterhead: Letterhead, font_path: str | None = None
) -> bytes:
    """Lay out flowables on letterhead pages and return the PDF bytes."""
    buffer = io.BytesIO()
    build_document(buffer, letterhead, font_path=font_path).build(list(flowables))
    return buffer.getvalue()


def _grid_style(font_name: str, extra: Sequence[tuple] = ()) -> TableStyle:
    """Return the bordered grid style shared by form tables."""
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font_name),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOR),
            ("BOX", (0, 0), (-1, -1), 0.9, GRID_COLOR),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 3.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
            *extra,
        ]
    )


def kv_table(
    rows: Sequence[tuple[str, str]],
    cols: int = 2,
    *,
    font_name: str | None = None,
    width: float = CONTENT_WIDTH,
    label_width: float = 22 * mm,
) -> Table:
    """Lay out label/value pairs as a bordered form grid, `cols` pairs per line."""
    if cols < 1:
        raise ValueError("cols must be at least 1")
    st = styles_for(font_name)
    value_width = (width - cols * label_width) / cols
    if value_width <= 0:
        raise ValueError("table is too narrow for its labels")
    pairs = list(rows) or [("", "")]
    pairs += [("", "")] * (-len(pairs) % cols)
    data = [
        [
            cell
            for label, value in pairs[start : start + cols]
            for cell in (para(label, st.cell_center), para(value, st.cell))
        ]
        for start in range(0, len(pairs), cols)
    ]
    label_fill = [("BACKGROUND", (2 * i, 0), (2 * i, -1), LABEL_FILL) for i in range(cols)]
    table = Table(data, colWidths=[label_width, value_width] * cols, hAlign="LEFT")
    table.setStyle(_grid_style(st.font_name, label_fill))
    return table


def data_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    col_widths: Sequence[float],
    *,
    font_name: str | None = None,
    center_cols: Iterable[int] = (),
    empty_text: str = "无",
) -> Table:
    """Lay out a bordered list with a shaded header row that repeats on each page."""
    st = styles_for(font_name)
    centered = set(center_cols)
    data: list[list[Paragraph]] = [[para(h, st.cell_header) for h in headers]]
    for row in rows:
        data.append(
            [
                para(value, st.cell_center if i in centered else st.cell)
                for i, value in enumerate(row)
            ]
        )
    extra: list[tuple] = [("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL)]
    if not rows:
        data.append([para(empty_text, st.cell_center)] + [""] * (len(headers) - 1))
        extra.append(("SPAN", (0, 1), (-1, 1)))
    table = Table(data, colWidths=list(col_widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(_grid_style(st.font_name, extra))
    return table


def signature_block(
    labels: list[str], *, font_name: str | None = None, width: float = CONTENT_WIDTH
) -> Flowable:
    """Give one signature line with a date line for each label, e.g. 业主签字 and 经办人."""
    if not labels:
        return Spacer(0, 0)
    st = styles_for(font_name)
    sign_style = ParagraphStyle("FDSign", parent=st.body, fontSize=10.5, leading=15)
    label_width = min(
        max(pdfmetrics.stringWidth(f"{lb}：", st.font_name, sign_style.fontSize) for lb in labels),
        width * 0.3,
    )
    line_width = width * 0.55 - label_width
    data = [
        [
            para(f"{label}：", sign_style),
            para("_" * 18, sign_style),
            para("日期：______年____月____日", sign_style),
        ]
        for label in labels
    ]
    table = Table(data, colWidths=[label_width + 2, line_width - 2, width * 0.45], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), st.font_name),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 16),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table
