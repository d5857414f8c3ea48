"""The refund voucher (退款单) lays out long content and reads back its amount in capitals."""

from __future__ import annotations

from decimal import Decimal

from frontdesk.money import amount_in_words
from frontdesk.pdf.refund_voucher import refund_voucher
from tests.pdf_text import pdf_pages, pdf_text


def voucher_data(**kw) -> dict:
    amount = kw.pop("amount", Decimal("1500.00"))
    return {
        "estate": {"name": "阳光花园", "address": "上海市测试路 1 号", "phone": "021-12345678"},
        "number": "TK000001", "unit_code": "3-2-1502", "payee": "张三", "source": "预存款",
        "amount": amount, "in_words": amount_in_words(amount), "method": "现金",
        "reason": "业主搬离", "requested_by": "前台", "requested_at": "2026-12-01 09:30",
        "approved_by": "经理", "approved_at": "2026-12-01 10:00", "paid": False,
        "paid_by": "", "paid_at": "", "printed_at": "2026-12-02 14:01", "printed_by": "前台",
        **kw,
    }


def test_an_approved_refund_prints_to_be_signed_before_it_is_paid():
    text = pdf_text(refund_voucher(voucher_data()))
    assert "已审批，待付款" in text and "壹仟伍佰元整" in text and "¥1,500.00" in text
    assert "领款人签字" in text and "待付款" in text


def test_long_names_and_reasons_wrap_instead_of_breaking_the_page():
    data = voucher_data(amount=Decimal("9999999.99"), payee="欧阳" * 32, reason="退" * 200,
                        unit_code="12-3-" + "9" * 20, requested_by="很长的名字" * 12,
                        paid=True, paid_by="付款人" * 20, paid_at="2026-12-02 14:00")
    text = pdf_text(refund_voucher(data))
    assert "玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分" in text.replace("\n", "")
    assert "审批人" in text


def test_a_reason_longer_than_a_page_goes_on_with_the_voucher_named_on_every_page():
    pages = [text.replace("\n", "").replace(" ", "")
             for text in pdf_pages(refund_voucher(voucher_data(reason="退款说明" * 1500)))]
    assert len(pages) > 1
    for n, text in enumerate(pages, start=1):
        assert "TK000001" in text and "3-2-1502" in text
        assert f"第{n}页共{len(pages)}页" in text
    assert "领款人签字" in pages[-1]
