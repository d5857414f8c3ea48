"""Reading a printed PDF back: its pages' text, for tests of what a document says."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader


def pdf_reader(pdf) -> PdfReader:
    """Open a PDF given as bytes or as a test response."""
    return PdfReader(io.BytesIO(getattr(pdf, "data", pdf)))


def pdf_pages(pdf) -> list[str]:
    """Return each page's text (bytes or a test response)."""
    return [page.extract_text() for page in pdf_reader(pdf).pages]


def pdf_text(pdf, sep: str = "\n") -> str:
    """Return the whole document's text, its pages joined by ``sep``."""
    return sep.join(pdf_pages(pdf))


def squash(text: str) -> str:
    """Drop the white space pypdf puts between characters and lines."""
    return re.sub(r"\s+", "", text)


def assert_paged(pages: list[str], *marks: str) -> None:
    """More than one page (squashed text), each naming whose document it is and numbered N of M."""
    assert len(pages) > 1
    for n, page in enumerate(pages, start=1):
        for mark in marks:
            assert squash(mark) in page, (n, mark)
        assert f"第{n}页共{len(pages)}页" in page, n


def printed_pages(response) -> list[str]:
    """Check that a response is a PDF and return each page's text."""
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/pdf"
    return pdf_pages(response)
