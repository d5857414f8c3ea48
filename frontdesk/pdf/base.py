"""Shared printing parts: CJK font, styles, A4 letterhead pages, form tables and signatures.

Every document is laid out here so that no content can break it: table cells wrap (a cell taller
than a page is split across pages), text drawn on the page's letterhead shrinks, wraps and at
worst is cut with an ellipsis, later pages repeat the document's running head (the unit and payer)
under the letterhead, and pages are numbered 第 N 页 共 M 页 within each part of a document.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import IO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
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
    NextPageTemplate,
    PageBreak,
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

#: the footer's page number, counted within a part of the document (one unit's notice)
PAGE_LABEL = "第 {page} 页 共 {pages} 页"
#: what follows the running head on the pages after a part's first
CONTINUED = "（续）"
#: the band under the letterhead where later pages repeat the running head
RUNNING_HEAD_HEIGHT = 10 * mm
ELLIPSIS = "…"
CELL_PADDING = 4

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
    cell_right: ParagraphStyle


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
        cell_right=ParagraphStyle("FDCellRight", parent=cell, alignment=TA_RIGHT),
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


def cell(value: object, width: float, style: ParagraphStyle,
         padding: float = CELL_PADDING) -> str | Paragraph:
    """Give a table cell: plain text where it fits on one line (fast to lay out), else a
    Paragraph that wraps.

    Plain text takes the table's font and ALIGN; the Paragraph the style's, so a table sets both.
    """
    text = printable("" if value is None else str(value), style.fontName)
    room = width - 2 * padding
    if "\n" not in text and (
        len(text) * style.fontSize <= room  # no glyph is wider than 1 em
        or pdfmetrics.stringWidth(text, style.fontName, style.fontSize) <= room
    ):
        return text
    paragraph = Paragraph(markup(text), style)
    paragraph.plain_text = text  # to cut it into pieces (see _pieces)
    return paragraph


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


# text drawn on the page (letterhead, running head, footer) ------------------------------------


def _wrap(text: str, font_name: str, size: float, width: float) -> list[str]:
    """Break text into lines of at most width, between any two characters (as CJK text breaks)."""
    lines: list[str] = []
    line, used = "", 0.0
    for ch in text:
        w = pdfmetrics.stringWidth(ch, font_name, size)
        if line and used + w > width:
            lines.append(line.rstrip())
            line, used = ("", 0.0) if ch == " " else (ch, w)
        else:
            line, used = line + ch, used + w
    if line.strip():
        lines.append(line)
    return lines


@lru_cache(maxsize=4096)
def fit_lines(
    text: str,
    font_name: str,
    size: float,
    width: float,
    max_lines: int = 1,
    min_size: float = 6,
    wrap_size: float | None = None,
) -> tuple[float, tuple[str, ...]]:
    """Fit text into at most max_lines lines of width: shrink it on one line, then wrap it
    (from wrap_size down), and only when it still does not fit at min_size cut the last line
    with an ellipsis.

    Return the font size and the lines.
    """
    text = " ".join(text.split())
    if not text:
        return size, ()
    # on one line, shrinking no further than where wrapped lines would read better
    floor = max(min_size, size * 0.7) if max_lines > 1 else min_size
    one = size
    while pdfmetrics.stringWidth(text, font_name, one) > width:
        if one - 0.5 < floor:
            break
        one -= 0.5
    else:
        return one, (text,)
    size = min(size, wrap_size or size)
    while True:
        lines = _wrap(text, font_name, size, width)
        if len(lines) <= max_lines:
            return size, tuple(lines)
        if size - 0.5 < min_size:
            break
        size -= 0.5
    lines = lines[:max_lines]
    last = lines[-1]
    while last and pdfmetrics.stringWidth(last + ELLIPSIS, font_name, size) > width:
        last = last[:-1]
    lines[-1] = last + ELLIPSIS
    return size, tuple(lines)


def draw_text(
    canvas: Canvas,
    align: str,
    x: float,
    y: float,
    text: str,
    font_name: str,
    size: float,
    width: float,
    *,
    max_lines: int = 1,
    min_size: float = 6,
    wrap_size: float | None = None,
    valign: str = "middle",
) -> float:
    """Draw text fitted into width (see fit_lines) and return the height of its lines.

    y is the baseline of a single line; several lines are centred on it (valign "middle") or
    hang from it (valign "top").
    """
    size, lines = fit_lines(printable(text, font_name), font_name, size, width, max_lines,
                            min(min_size, size), wrap_size)
    leading = size * 1.2
    top = y if valign == "top" else y + (len(lines) - 1) * leading / 2
    draw = {"left": canvas.drawString, "center": canvas.drawCentredString,
            "right": canvas.drawRightString}[align]
    canvas.setFont(font_name, size)
    for i, line in enumerate(lines):
        draw(x, top - i * leading, line)
    return len(lines) * leading


# pages: running head and page numbers ---------------------------------------------------------


class RunningHead(Flowable):
    """Set what later pages repeat under the letterhead (the unit and payer, say).

    With new_part, pages are counted afresh from here: a building's payment notices number
    each unit's pages 第 1 页 共 2 页 on their own.
    """

    def __init__(self, text: str, new_part: bool = False) -> None:
        super().__init__()
        self.text = text
        self.new_part = new_part
        self.width = self.height = 0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        pass


def numbered_parts(items: Iterable[tuple[str, Sequence[Flowable]]]) -> list[Flowable]:
    """Lay out documents in one PDF, each from a new page with its own running head and count."""
    story: list[Flowable] = []
    for i, (head, flowables) in enumerate(items):
        if i:
            story += [NextPageTemplate("first"), PageBreak()]
        story.append(RunningHead(head, new_part=True))
        story.extend(flowables)
    return story


class PagedCanvas(Canvas):
    """Hold the pages back until the end, so each can say 第 N 页 共 M 页 of its part."""

    def __init__(self, *args: object, doc: PagedDocTemplate, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._fd_doc = doc
        self._fd_pages: list[tuple[dict, int]] = []

    def showPage(self) -> None:
        self._fd_pages.append((dict(self.__dict__), self._fd_doc.part))
        self._startPage()

    def save(self) -> None:
        pages = self._fd_pages
        totals = Counter(part for _state, part in pages)
        seen: Counter[int] = Counter()
        for state, part in pages:
            self.__dict__.update(state)
            seen[part] += 1
            self.saveState()
            self._fd_doc.draw_page_number(self, seen[part], totals[part])
            self.restoreState()
            Canvas.showPage(self)
        Canvas.save(self)


class PagedDocTemplate(BaseDocTemplate):
    """Pages with a drawn header and footer, the running head repeated on every page after a
    part's first (the frame there starts lower) and 第 N 页 共 M 页 within each part.

    Subclasses draw their header and footer in draw_page and place the page number in
    draw_page_number.
    """

    def __init__(
        self,
        buffer: IO[bytes],
        *,
        font_name: str,
        pagesize: tuple[float, float] = A4,
        margin_x: float = MARGIN_X,
        header_height: float = HEADER_HEIGHT,
        footer_height: float = FOOTER_HEIGHT,
        running_head: str = "",
        **info: object,
    ) -> None:
        self.font_name = font_name
        self.running_head = running_head
        self.part = 0
        super().__init__(
            buffer,
            pagesize=pagesize,
            leftMargin=margin_x,
            rightMargin=margin_x,
            topMargin=header_height,
            bottomMargin=footer_height,
            creator="frontdesk",
            lang="zh-CN",
            displayDocTitle=True,
            initialFontName=font_name,
            **info,
        )

        def frame(height: float, name: str) -> Frame:
            return Frame(self.leftMargin, self.bottomMargin, self.width, height, leftPadding=0,
                         rightPadding=0, topPadding=0, bottomPadding=0, id=name)

        self.addPageTemplates([
            PageTemplate(id="first", frames=[frame(self.height, "body")], onPage=self._first,
                         onPageEnd=self._end, autoNextPageTemplate="later"),
            PageTemplate(id="later", frames=[frame(self.height - RUNNING_HEAD_HEIGHT, "body")],
                         onPage=self._later, onPageEnd=self._end, autoNextPageTemplate="later"),
        ])

    def build(self, flowables: list[Flowable], filename: str | None = None,
              canvasmaker: object = None) -> None:
        """Lay out the story on a canvas that numbers the pages at the end."""
        super().build(flowables, filename, canvasmaker or partial(PagedCanvas, doc=self))

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, RunningHead):
            self.running_head = flowable.text
            if flowable.new_part:
                self.part += 1

    def _first(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        self.draw_page(canvas)
        canvas.restoreState()

    def _later(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        self._first(canvas, doc)
        if self.running_head:
            canvas.saveState()
            self.draw_running_head(canvas)
            canvas.restoreState()

    def _end(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        self.draw_page_end(canvas)
        canvas.restoreState()

    def draw_page(self, canvas: Canvas) -> None:
        """Draw the page's header and footer (a subclass's part)."""

    def draw_page_end(self, canvas: Canvas) -> None:
        """Draw over the page's content once it is laid out (a watermark, say)."""

    def draw_running_head(self, canvas: Canvas) -> None:
        """Repeat the running head, marked 续, in the band above the frame."""
        top = self.pagesize[1] - self.topMargin
        canvas.setFillColor(colors.black)
        draw_text(canvas, "left", self.leftMargin, top - 10, f"{self.running_head}{CONTINUED}",
                  self.font_name, 9.5, self.width, max_lines=2, min_size=7, valign="top")
        canvas.setStrokeColor(colors.HexColor("#888888"))
        canvas.setLineWidth(0.4)
        y = top - RUNNING_HEAD_HEIGHT + 4
        canvas.line(self.leftMargin, y, self.leftMargin + self.width, y)

    def page_label(self, page: int, pages: int) -> str:
        return PAGE_LABEL.format(page=page, pages=pages)

    def draw_page_number(self, canvas: Canvas, page: int, pages: int) -> None:
        """Print 第 N 页 共 M 页 centred in the footer."""
        canvas.setFillColor(colors.black)
        width = self.width * 0.24
        draw_text(canvas, "center", self.pagesize[0] / 2, 8.5 * mm,
                  self.page_label(page, pages), self.font_name, 8, width)


# the A4 letterhead ------------------------------------------------------------------------------


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
    #: what pages after the first repeat at their top: the unit and payer, say
    running_head: str = ""


class LetterheadDocTemplate(PagedDocTemplate):
    """A4 document whose pages carry the estate letterhead, title and page footer."""

    def __init__(self, buffer: IO[bytes], letterhead: Letterhead, font_name: str) -> None:
        self.letterhead = letterhead
        super().__init__(
            buffer,
            font_name=font_name,
            running_head=letterhead.running_head,
            title=letterhead.title,
            author=letterhead.estate_name,
            subject=letterhead.document_no or letterhead.title,
        )

    def draw_page(self, canvas: Canvas) -> None:
        """Draw the letterhead, title and footer on one page."""
        lh = self.letterhead
        font = self.font_name
        left, right = MARGIN_X, PAGE_WIDTH - MARGIN_X
        center = PAGE_WIDTH / 2
        width = right - left

        canvas.setFillColor(colors.black)
        draw_text(canvas, "center", center, PAGE_HEIGHT - 13.5 * mm, lh.estate_name, font, 15,
                  width, max_lines=2, min_size=7, wrap_size=10.5)
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
            draw_text(canvas, "center", center, PAGE_HEIGHT - 19.7 * mm, contact, font, 8.5,
                      width, max_lines=2, min_size=5.5, wrap_size=7)
            canvas.setFillColor(colors.black)

        canvas.setLineWidth(1.2)
        canvas.line(left, PAGE_HEIGHT - 22.5 * mm, right, PAGE_HEIGHT - 22.5 * mm)
        canvas.setLineWidth(0.4)
        canvas.line(left, PAGE_HEIGHT - 23.3 * mm, right, PAGE_HEIGHT - 23.3 * mm)

        draw_text(canvas, "center", center, PAGE_HEIGHT - 31.5 * mm, lh.title, font, 17, width)
        if lh.document_no:
            draw_text(canvas, "right", right, PAGE_HEIGHT - 37.5 * mm, f"编号：{lh.document_no}",
                      font, 8.5, width * 0.4)

        canvas.setStrokeColor(colors.HexColor("#888888"))
        canvas.line(left, 12.5 * mm, right, 12.5 * mm)
        side = width * 0.37
        if lh.printed_at:
            draw_text(canvas, "left", left, 8.5 * mm, f"打印时间：{lh.printed_at}", font, 8, side)
        if lh.printed_by:
            draw_text(canvas, "right", right, 8.5 * mm, f"打印人：{lh.printed_by}", font, 8, side)


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


# tables ----------------------------------------------------------------------------------------


def _grid_style(font_name: str, extra: Sequence[tuple] = ()) -> TableStyle:
    """Return the style shared by form tables: the box, font and padding; the grid lines come
    in extra.

    Few commands over all cells, as each visits every cell (top and bottom padding stay 3).
    """
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font_name, 9, 11.5),
            ("BOX", (0, 0), (-1, -1), 0.9, GRID_COLOR),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            *extra,
        ]
    )


#: a table cell's text taller than this is cut into pieces, one row each, so that every row
#: fits on any page (an A5 receipt's page holds about 250 points of table)
TALL_CELL = 160


def _fits(text: str, style: ParagraphStyle, room: float) -> bool:
    return Paragraph(markup(text), style).wrap(room, 1e9)[1] <= TALL_CELL


def _pieces(cell: object, width: float) -> list[object]:
    """Cut a Paragraph taller than TALL_CELL into pieces that are not; other cells stay whole."""
    if not isinstance(cell, Paragraph):
        return [cell]
    style = cell.style
    room = width - 2 * CELL_PADDING
    text = getattr(cell, "plain_text", None)
    # no glyph is wider than 1 em: most cells are surely short without laying them out
    if text is None or (len(text) * style.fontSize / room + 1) * style.leading <= TALL_CELL:
        return [cell]
    if _fits(text, style, room):
        return [cell]
    pieces: list[object] = []
    while text:
        if _fits(text, style, room):
            pieces.append(Paragraph(markup(text), style))
            break
        # the longest beginning that fits, found by halving
        lo, hi = 1, len(text) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if _fits(text[:mid], style, room):
                lo = mid
            else:
                hi = mid - 1
        pieces.append(Paragraph(markup(text[:lo]), style))
        text = text[lo:].lstrip()
    return pieces


def _rows_in_pieces(
    data: Sequence[Sequence[object]], col_widths: Sequence[float]
) -> tuple[list[list[object]], list[int]]:
    """Give each piece of a tall cell a row of its own; return the rows and those that continue
    the row above (drawn without a line between)."""
    rows: list[list[object]] = []
    joined: list[int] = []
    for row in data:
        cells = [_pieces(c, w) for c, w in zip(row, col_widths, strict=False)]
        depth = max((len(c) for c in cells), default=1)
        if depth == 1:
            rows.append(list(row))
            continue
        for k in range(depth):
            if k:
                joined.append(len(rows))
            rows.append([c[k] if k < len(c) else "" for c in cells])
    return rows, joined


def _lines(joined: Sequence[int], nrows: int) -> list[tuple]:
    """Draw the grid without the lines (and padding) between a row and those continuing it."""
    if not joined:
        return [("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOR)]
    lines: list[tuple] = [("LINEAFTER", (0, 0), (-2, -1), 0.5, GRID_COLOR)]
    for r in joined:
        lines += [("BOTTOMPADDING", (0, r - 1), (-1, r - 1), 0), ("TOPPADDING", (0, r), (-1, r), 0)]
    cut = set(range(nrows - 1)) - {r - 1 for r in joined}
    start = None
    for r in range(nrows):
        if r in cut and start is None:
            start = r
        if r not in cut and start is not None:
            lines.append(("LINEBELOW", (0, start), (-1, r - 1), 0.5, GRID_COLOR))
            start = None
    return lines


def grid_table(
    data: Sequence[Sequence[object]],
    col_widths: Sequence[float],
    *,
    font_name: str,
    extra: Sequence[tuple] = (),
    repeat_rows: int = 0,
) -> Table:
    """Lay out a bordered grid whose rows all fit on a page: text too tall for one goes on in
    the rows below it, which page breaks may fall between."""
    rows, joined = _rows_in_pieces(data, col_widths)
    table = Table(rows, colWidths=list(col_widths), repeatRows=repeat_rows, hAlign="LEFT")
    table.setStyle(_grid_style(font_name, [*_lines(joined, len(rows)), *extra]))
    return table


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
            c
            for label, value in pairs[start : start + cols]
            for c in (cell(label, label_width, st.cell_center), cell(value, value_width, st.cell))
        ]
        for start in range(0, len(pairs), cols)
    ]
    labels = [
        s
        for i in range(cols)
        for s in (
            ("BACKGROUND", (2 * i, 0), (2 * i, -1), LABEL_FILL),
            ("ALIGN", (2 * i, 0), (2 * i, -1), "CENTER"),
        )
    ]
    return grid_table(data, [label_width, value_width] * cols, font_name=st.font_name,
                      extra=labels)


def data_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    col_widths: Sequence[float],
    *,
    font_name: str | None = None,
    center_cols: Iterable[int] = (),
    right_cols: Iterable[int] = (),
    total_rows: int = 0,
    empty_text: str = "无",
) -> Table:
    """Lay out a bordered list with a shaded header row that repeats on each page.

    Amounts go in right_cols (aligned right), the last total_rows rows are shaded as totals,
    and any cell too long for its column wraps.
    """
    st = styles_for(font_name)
    widths = list(col_widths)
    centered, righted = set(center_cols), set(right_cols)
    styles = [
        st.cell_right if i in righted else st.cell_center if i in centered else st.cell
        for i in range(len(widths))
    ]
    data: list[list[object]] = [[para(h, st.cell_header) for h in headers]]
    data += [[cell(v, widths[i], styles[i]) for i, v in enumerate(row)] for row in rows]
    extra: list[tuple] = [("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL)]
    extra += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i in sorted(righted)]
    extra += [("ALIGN", (i, 1), (i, -1), "CENTER") for i in sorted(centered - righted)]
    if not rows:
        data.append([para(empty_text, st.cell_center)] + [""] * (len(headers) - 1))
        extra.append(("SPAN", (0, 1), (-1, 1)))
    elif total_rows:
        extra.append(("BACKGROUND", (0, -total_rows), (-1, -1), LABEL_FILL))
    return grid_table(data, widths, font_name=st.font_name, extra=extra, repeat_rows=1)


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
