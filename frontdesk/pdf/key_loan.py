"""The 钥匙借用单 (key loan slip) of one loan, as PDF bytes.

It carries the letterhead and loan number, the key (tag, unit or area), the borrower and the
person picking it up for them (代领), purpose and times, a manager's approval if any, the return
section (blank lines while the key is out) and the signature lines 借用人 / 经办人 / 归还确认.
A reprint is marked 补打 with its count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from frontdesk.pdf.base import (
    Letterhead,
    kv_table,
    make_styles,
    para,
    register_fonts,
    render,
    section,
    signature_block,
)

TITLE = "钥匙借用单"
SIGNATURE_LABELS = ["借用人", "经办人", "归还确认"]
BLANK = "____________________"
KIND_NAMES = {"owner": "业主本人", "authorised": "业主授权人", "approved": "经理批准"}
NOTICE = ("借用人应妥善保管所借钥匙，不得复制、转借，并于预计归还时间前交回物业服务中心；"
          "如有遗失或损坏，应立即告知并承担相应补配费用。")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _or_blank(value: Any) -> str:
    return _text(value) or BLANK


def _place(key: Mapping[str, Any]) -> tuple[str, str]:
    """Return the label and value of what the key opens: the unit, or a public area."""
    if key.get("unit_code"):
        return "房号", _text(key.get("unit_code"))
    return "区域", _text(key.get("area"))


def _letterhead(data: Mapping[str, Any]) -> Letterhead:
    estate: Mapping[str, Any] = data.get("estate") or {}
    key: Mapping[str, Any] = data.get("key") or {}
    borrower: Mapping[str, Any] = data.get("borrower") or {}
    return Letterhead(
        estate_name=_text(estate.get("name")), title=TITLE,
        address=_text(estate.get("address")), phone=_text(estate.get("phone")),
        document_no=_text(data.get("number")) or None,
        printed_at=_text(data.get("printed_at")),
        printed_by=_text(data.get("printed_by")) or None,
        running_head="　".join(f"{label}：{value}" for label, value in (
            ("借用单号", _text(data.get("number"))), ("钥匙编号", _text(key.get("tag"))),
            _place(key), ("借用人", _text(borrower.get("name")))) if value),
    )


def _sections(data: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the slip's four sections: the key, the borrower, the loan and the return."""
    key: Mapping[str, Any] = data.get("key") or {}
    borrower: Mapping[str, Any] = data.get("borrower") or {}
    proxy: Mapping[str, Any] | None = data.get("proxy")
    approval: Mapping[str, Any] | None = data.get("approval")
    cabinet = " ".join(p for p in (_text(key.get("cabinet")), _text(key.get("slot"))) if p)
    key_rows = [
        ("钥匙编号", _text(key.get("tag"))), _place(key),
        ("钥匙类别", _text(key.get("kind"))), ("数量", f"{_text(key.get('copies'))} 把"),
        ("存放位置", cabinet), ("借用单号", _text(data.get("number"))),
    ]
    borrower_rows = [
        ("借用人", _text(borrower.get("name"))), ("联系电话", _text(borrower.get("phone"))),
        ("证件后四位", _text(borrower.get("id_tail"))),
        ("身份", KIND_NAMES.get(borrower.get("kind"), _text(borrower.get("kind")))),
    ]
    if proxy:
        borrower_rows += [
            ("代领人", _text(proxy.get("name"))), ("代领人电话", _text(proxy.get("phone"))),
            ("代领人证件后四位", _text(proxy.get("id_tail"))), ("", ""),
        ]
    loan_rows = [
        ("借用事由", _text(data.get("purpose"))), ("经办人", _text(data.get("lent_by"))),
        ("借出时间", _text(data.get("lent_at"))),
        ("预计归还", _text(data.get("expected_return_at"))),
    ]
    if approval:
        loan_rows += [("批准人", _text(approval.get("by"))),
                      ("批准理由", _text(approval.get("reason")))]
    return_rows = [
        ("归还时间", _or_blank(data.get("returned_at"))),
        ("钥匙状况", _or_blank(data.get("return_condition"))),
        ("接收人", _or_blank(data.get("returned_to"))), ("", ""),
    ]
    return [("一、钥匙信息", key_rows), ("二、借用人", borrower_rows),
            ("三、借用信息", loan_rows), ("四、归还", return_rows)]


def loan_slip(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render a key loan slip and return PDF bytes."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    story: list[Flowable] = []
    if data.get("reprint"):
        mark = ParagraphStyle("FDReprint", parent=st.body, fontSize=12, leading=16,
                              textColor=colors.HexColor("#C0392B"))
        story += [para(_text(data["reprint"]), mark), Spacer(1, 2 * mm)]
    for title, rows in _sections(data):
        story += section(title, kv_table(rows, 2, font_name=font_name, label_width=28 * mm),
                         font_name=font_name)
    story.append(KeepTogether([
        Spacer(1, 5 * mm),
        para(NOTICE, st.small),
        signature_block(SIGNATURE_LABELS, font_name=font_name),
    ]))
    return render(story, _letterhead(data), font_path=font_path)
