"""The 钥匙托管凭证 (key custody receipt) an owner signs when depositing a key, as PDF bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from frontdesk.pdf.base import (
    CONTENT_WIDTH,
    Letterhead,
    data_table,
    kv_table,
    make_styles,
    para,
    register_fonts,
    render,
    section,
    signature_block,
)

TITLE = "钥匙托管凭证"
SIGNATURE_LABELS = ["业主签字", "经办人"]
RULES = (
    "1. 托管钥匙由物业服务中心存放于钥匙柜，凭本凭证及业主本人有效身份证件办理取回。",
    "2. 借用钥匙须凭本人身份证件或授权信息（姓名、联系电话、证件号码后四位）办理，"
    "并在钥匙借用单上签字；代领须登记代领人信息。",
    "3. 授权借用人员以本凭证及服务中心登记的名单和有效期为准；"
    "增加或撤销授权须由业主到服务中心办理。",
    "4. 非业主本人或授权人员借用钥匙，须经服务中心经理审批。",
    "5. 借用人应按约定时间归还钥匙；钥匙遗失的，应立即告知服务中心，补配费用按规定收取。",
    "6. 业主取回钥匙即托管结束；已交钥匙押金凭收据原件按规定办理退还。",
)
AUTHORISED_HEADERS = ["序号", "姓名", "联系电话", "证件号后四位", "有效期至"]
AUTHORISED_WIDTHS_MM = [14, 46, 46, 34, 40]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _widths(widths_mm: Sequence[float]) -> list[float]:
    total = sum(widths_mm)
    return [CONTENT_WIDTH * w / total for w in widths_mm]


def _key_rows(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    place = " / ".join(p for p in (_text(data.get("cabinet")), _text(data.get("slot"))) if p)
    opens = ("房号", _text(data.get("unit_code"))) if data.get("unit_code") else \
        ("区域", _text(data.get("area")))
    return [
        ("钥匙编号", _text(data.get("tag"))),
        opens,
        ("钥匙类型", _text(data.get("kind"))),
        ("托管份数", f"{_text(data.get('copies'))} 把"),
        ("柜号/格位", place),
        ("托管时间", _text(data.get("deposited_at"))),
    ]


def _depositor_rows(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    deposit: Mapping[str, Any] | None = data.get("deposit")
    rows = [
        ("托管人", _text(data.get("depositor"))),
        ("联系电话", _text(data.get("depositor_phone"))),
        ("经办人", _text(data.get("received_by"))),
    ]
    if deposit:
        amount = f"¥{deposit.get('amount')}（{_text(deposit.get('in_words'))}）"
        if deposit.get("voided"):
            amount += "（收据已作废）"
        rows += [("钥匙押金", amount), ("收据号", _text(deposit.get("receipt_number")))]
    else:
        rows.append(("钥匙押金", "未收取"))
    if data.get("ended_at"):
        rows.append(("取回时间", _text(data.get("ended_at"))))
    return rows


def custody_pdf(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render the key custody receipt of one custody and return PDF bytes."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    estate: Mapping[str, Any] = data.get("estate") or {}
    authorised: Sequence[Mapping[str, Any]] = data.get("authorised") or []
    letterhead = Letterhead(
        estate_name=_text(estate.get("name")),
        title=TITLE,
        address=_text(estate.get("address")),
        phone=_text(estate.get("phone")),
        document_no=_text(data.get("document_no")) or None,
        printed_at=_text(data.get("printed_at")),
        printed_by=_text(data.get("printed_by")) or None,
        running_head="　".join(f"{label}：{value}" for label, value in (
            ("钥匙编号", _text(data.get("tag"))), _key_rows(data)[1],
            ("托管人", _text(data.get("depositor")))) if value),
    )
    authorised_rows = [
        [str(i), _text(a.get("name")), _text(a.get("phone")), _text(a.get("id_tail")),
         _text(a.get("valid_until"))]
        for i, a in enumerate(authorised, start=1)
    ]
    story: list[Flowable] = [
        *section("一、钥匙信息", kv_table(_key_rows(data), 2, font_name=font_name),
                 font_name=font_name),
        *section("二、托管人及押金", kv_table(_depositor_rows(data), 2, font_name=font_name),
                 font_name=font_name),
        *section(
            "三、授权借用人员",
            data_table(AUTHORISED_HEADERS, authorised_rows, _widths(AUTHORISED_WIDTHS_MM),
                       font_name=font_name, center_cols=(0, 3, 4),
                       empty_text="无（仅限业主本人借用）"),
            font_name=font_name, min_space=35 * mm,
        ),
    ]
    if data.get("note"):
        story += section("备注", para(data.get("note"), st.body), font_name=font_name)
    story += [
        *section("四、托管须知", *[para(rule, st.body) for rule in RULES], font_name=font_name),
        KeepTogether([
            Spacer(1, 6 * mm),
            para("本人已阅读并同意以上托管须知，确认以上信息无误。", st.body),
            signature_block(SIGNATURE_LABELS, font_name=font_name),
        ]),
    ]
    return render(story, letterhead, font_path=font_path)
