"""The 钥匙盘点表 (key cabinet count report): expected against found, with signature lines."""

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

TITLE = "钥匙盘点表"
SIGNATURE_LABELS = ["盘点人", "复核人"]
#: the report's groups as printed, in GROUPS order of services.keys.counts
GROUP_TITLES = {
    "cabinet_found": "应在柜且已找到",
    "cabinet_missing": "应在柜但未找到（缺失）",
    "cabinet_unchecked": "应在柜、尚未盘点",
    "on_loan": "借出在外",
    "discrepancy": "账实不符：登记为借出或遗失却在柜",
    "lost": "登记遗失",
}
EXPECTED_NAMES = {"in_cabinet": "在柜", "on_loan": "借出", "lost": "遗失"}
_CHINESE_NUMERALS = "一二三四五六七八九十"

KEY_HEADERS = ["序号", "钥匙编号", "房号/区域", "类型", "柜/格", "把数", "备注"]
KEY_WIDTHS_MM = [11, 34, 33, 18, 22, 11, 51]
LOAN_HEADERS = ["序号", "钥匙编号", "房号/区域", "借用人", "借出时间", "应还时间", "备注"]
LOAN_WIDTHS_MM = [10, 30, 25, 21, 31, 31, 32]
DISCREPANCY_HEADERS = ["序号", "钥匙编号", "房号/区域", "登记状态", "柜/格", "借用人", "备注"]
DISCREPANCY_WIDTHS_MM = [11, 34, 30, 18, 22, 25, 40]


def _widths(widths_mm: Sequence[float]) -> list[float]:
    total = sum(widths_mm)
    return [CONTENT_WIDTH * w / total for w in widths_mm]


def _numeral(n: int) -> str:
    return _CHINESE_NUMERALS[n - 1] if 1 <= n <= len(_CHINESE_NUMERALS) else str(n)


def _place(row: Mapping[str, Any]) -> str:
    return "/".join(p for p in (row.get("cabinet") or "", row.get("slot") or "") if p)


def _loan_note(row: Mapping[str, Any]) -> str:
    parts = []
    if row.get("returned_at"):
        parts.append(f"已于 {row['returned_at']} 归还")
    elif row.get("overdue"):
        parts.append("已逾期")
    if not row.get("borrower"):
        parts.append("无借用记录")
    if row.get("note"):
        parts.append(str(row["note"]))
    return "；".join(parts)


def _group_table(code: str, rows: Sequence[Mapping[str, Any]], font_name: str):
    numbered = list(enumerate(rows, start=1))
    if code == "on_loan":
        data = [[str(i), r["tag"], r["place"], r["borrower"], r["lent_at"],
                 r["expected_return_at"], _loan_note(r)] for i, r in numbered]
        return data_table(LOAN_HEADERS, data, _widths(LOAN_WIDTHS_MM), font_name=font_name,
                          center_cols=(0,))
    if code == "discrepancy":
        data = [[str(i), r["tag"], r["place"], EXPECTED_NAMES.get(r["expected_status"], ""),
                 _place(r), r["borrower"], r["note"]] for i, r in numbered]
        return data_table(DISCREPANCY_HEADERS, data, _widths(DISCREPANCY_WIDTHS_MM),
                          font_name=font_name, center_cols=(0, 3))
    data = [[str(i), r["tag"], r["place"], r["kind"], _place(r), str(r["copies"]), r["note"]]
            for i, r in numbered]
    return data_table(KEY_HEADERS, data, _widths(KEY_WIDTHS_MM), font_name=font_name,
                      center_cols=(0, 5))


def key_count_report(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render a count's report, one section per group with its total, and return PDF bytes."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    estate: Mapping[str, Any] = data.get("estate") or {}
    # keys not yet checked can only be left while the count is in progress
    groups: Sequence[Mapping[str, Any]] = [
        g for g in data["groups"] if g["rows"] or g["code"] != "cabinet_unchecked"]
    letterhead = Letterhead(
        estate_name=str(estate.get("name") or ""), title=TITLE,
        address=str(estate.get("address") or ""), phone=str(estate.get("phone") or ""),
        document_no=f"PD-{data['count_id']:06d}",
        printed_at=str(data.get("printed_at") or ""),
        printed_by=str(data.get("printed_by") or "") or None,
        running_head=f"盘点编号：PD-{data['count_id']:06d}　开始时间：{data['started_at']}",
    )
    head = kv_table([
        ("开始时间", data["started_at"]),
        ("结束时间", data["finished_at"] or "盘点进行中"),
        ("发起人", data["started_by"]),
        ("盘点钥匙", f"{data['items']} 把（套）"),
        ("备注", data.get("note") or ""),
    ], 2, font_name=font_name, label_width=22 * mm)

    summary_rows = [[GROUP_TITLES[g["code"]], str(g["keys"]), str(g["copies"])]
                    for g in groups]
    summary_rows.append(["合计", str(sum(g["keys"] for g in groups)),
                         str(sum(g["copies"] for g in groups))])
    summary = data_table(["类别", "钥匙数", "把数"], summary_rows, _widths([120, 30, 30]),
                         font_name=font_name, center_cols=(1, 2))
    story: list[Flowable] = [head, *section("一、汇总", summary, font_name=font_name)]

    for n, group in enumerate(groups, start=2):
        table = _group_table(group["code"], group["rows"], font_name)
        total = para(f"小计：{group['keys']} 个钥匙，共 {group['copies']} 把", st.small)
        story += section(f"{_numeral(n)}、{GROUP_TITLES[group['code']]}", table,
                         Spacer(1, 1.5 * mm), total,
                         font_name=font_name, min_space=30 * mm)
    story.append(KeepTogether([
        Spacer(1, 8 * mm),
        para("以上盘点结果经盘点人、复核人核对无误。", st.body),
        signature_block(SIGNATURE_LABELS, font_name=font_name),
    ]))
    return render(story, letterhead, font_path=font_path)
