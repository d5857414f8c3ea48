"""Payment notices of many units whose lines end where a page does: every notice prints."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from frontdesk.pdf.notice import payment_notice
from tests.pdf_text import pdf_pages


def unit_with(n: int, code: str) -> dict:
    line = {"item": "物业费", "period": "2026-11", "explanation": "89.50 m² × 2.3500 元/m²·月",
            "amount": Decimal("210.33"), "paid": Decimal("0.00"),
            "outstanding": Decimal("210.33"), "late_fee": Decimal("0.00")}
    total = Decimal("210.33") * n
    return {"code": code, "building": "3号楼", "gross_area": Decimal("89.50"), "owner": "张三",
            "lines": [line] * n, "total_amount": total, "total_paid": Decimal("0.00"),
            "total_outstanding": total, "total_late_fee": Decimal("0.00"),
            "prepaid": Decimal("0.00"), "prepaid_used": Decimal("0.00"), "amount_due": total,
            "due_date": None, "overdue": True}


def test_notices_whose_payment_instructions_fall_on_a_page_break_all_print():
    """Two units with the same number of lines lay out alike: where the instructions move to
    the next page for the first, they move for the second too (a shared paragraph refused it)."""
    estate = {"name": "阳光花园", "address": "上海市浦东新区示例路 88 号", "phone": "021-1234"}
    for n in range(14, 30):
        pdf = payment_notice({"estate": estate, "payment_methods": ["现金", "微信"],
                              "period": "2026-11", "notice_date": date(2026, 11, 24),
                              "units": [unit_with(n, "3-1-101"), unit_with(n, "3-1-102")]})
        pages = pdf_pages(pdf)
        assert sum("缴费方式" in p for p in pages) == 2, n
