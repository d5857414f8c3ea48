"""The 值班记录 (daily duty log sheet): every shift of a day with its entries, handover, takings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from frontdesk.money import format_money
from frontdesk.pdf.base import (
    data_table,
    kv_table,
    make_styles,
    para,
    register_fonts,
    render,
    signature_block,
)
from frontdesk.pdf.daily_report import letterhead_for, widths

TITLE = "值班记录"
ENTRY_HEADERS = ["时间", "类别", "内容", "处理情况", "关联", "记录人"]
ENTRY_WIDTHS_MM = [14, 12, 60, 42, 32, 20]
ITEM_HEADERS = ["序号", "类别", "交接事项"]
ITEM_WIDTHS_MM = [12, 24, 144]
TAKING_HEADERS = ["收款员", "收款方式", "笔数", "金额"]
NUMERALS = "一二三四五六七八九十"


def _numeral(n: int) -> str:
    return NUMERALS[n] if n < len(NUMERALS) else str(n + 1)


def entry_table(entries: Sequence[Mapping[str, Any]], font_name: str) -> Flowable:
    """Every entry of a shift, each followed by its addenda (补记)."""
    rows: list[list[object]] = []
    for e in entries:
        rows.append([e["time"], e["kind"], e["content"], e["handling"], e["links"],
                     e["author"]])
        for a in e["addenda"]:
            mark = "交班后补记" if a["late"] else "补记"
            rows.append([a["time"], mark, a["content"], "", "", a["author"]])
    return data_table(ENTRY_HEADERS, rows, widths(ENTRY_WIDTHS_MM), font_name=font_name,
                      center_cols=(0, 1), empty_text="本班无记录")


def item_table(items: Sequence[Mapping[str, Any]], font_name: str) -> Flowable:
    rows = [[str(i), item["kind"], item["text"]] for i, item in enumerate(items, start=1)]
    return data_table(ITEM_HEADERS, rows, widths(ITEM_WIDTHS_MM), font_name=font_name,
                      center_cols=(0, 1), empty_text="无交接事项")


def takings_table(report: Mapping[str, Any], font_name: str) -> Flowable:
    """The shift's takings by cashier and method, and the refunds paid out."""
    rows: list[list[object]] = []
    for c in report["cashiers"]:
        for m in c["methods"]:
            if m["count"]:
                rows.append([c["name"], m["name"], f"{m['count']} 笔", format_money(m["total"])])
    if report.get("refund_count"):
        rows.append(["退款", "", f"{report['refund_count']} 笔",
                     f"-{format_money(report['refund_total'])}"])
    if rows:
        rows.append(["合计（净额）", "", f"{report['count']} 笔",
                     format_money(report.get("net_total", report["total"]))])
    return data_table(TAKING_HEADERS, rows, widths([40, 40, 30, 70]), font_name=font_name,
                      right_cols=(3,), center_cols=(2,), total_rows=1 if rows else 0,
                      empty_text="本班无收款")


def cash_table(shift: Mapping[str, Any], font_name: str) -> Flowable:
    counted = shift["cash_counted"]
    return kv_table([
        ("应有现金", f"¥{format_money(shift['cash_expected'])}"),
        ("实点现金", f"¥{format_money(counted)}" if counted is not None else "未清点"),
        ("长短款", shift["over_short_text"]),
        ("说明", shift["cash_note"] or "—"),
    ], 2, font_name=font_name, label_width=22 * mm)


def shift_story(n: int, shift: Mapping[str, Any], font_name: str) -> list[Flowable]:
    """One shift: its head, entries, handover items, takings and cash, signature lines."""
    st = make_styles(font_name)
    head = kv_table([
        ("班次", f"{shift['name']}（{shift['hours']}）"), ("状态", shift["state"]),
        ("值班人员", shift["staff"]), ("交班时间", shift["locked_at"] or "—"),
        ("交班人", shift["handed_over_by"] or "—"), ("接班人", shift["received_by"] or "—"),
    ], 2, font_name=font_name, label_width=20 * mm)
    story: list[Flowable] = [
        CondPageBreak(40 * mm),
        para(f"{_numeral(n)}、{shift['name']}", st.heading), head, Spacer(1, 3 * mm),
        para("值班记录", st.body), Spacer(1, 1 * mm), entry_table(shift["entries"], font_name),
        Spacer(1, 3 * mm), CondPageBreak(25 * mm), para("交接事项", st.body), Spacer(1, 1 * mm),
        item_table(shift["items"], font_name),
    ]
    if shift["handover_note"]:
        story += [Spacer(1, 1 * mm), para(f"交班说明：{shift['handover_note']}", st.body)]
    story += [
        Spacer(1, 3 * mm), CondPageBreak(30 * mm),
        para(f"本班收款（{shift['cash_window']}）", st.body), Spacer(1, 1 * mm),
        takings_table(shift["takings"], font_name), Spacer(1, 2 * mm),
        cash_table(shift, font_name),
        KeepTogether([Spacer(1, 4 * mm),
                      signature_block(["交班人", "接班人"], font_name=font_name)]),
    ]
    if shift["hash"]:
        story.append(para(f"交班校验：{shift['label']}:{shift['hash']}", st.small))
    story.append(Spacer(1, 6 * mm))
    return story


def duty_log(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render the daily duty log sheet of a day and return PDF bytes."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    story: list[Flowable] = [para(f"日期：{data['day']}　共 {len(data['shifts'])} 个班次",
                                  st.body), Spacer(1, 2 * mm)]
    if not data["shifts"]:
        story.append(para("当日无值班记录。", st.body))
    for n, shift in enumerate(data["shifts"]):
        story += shift_story(n, shift, font_name)
    story.append(KeepTogether([Spacer(1, 4 * mm),
                               signature_block(["值班主管"], font_name=font_name)]))
    return render(story, letterhead_for(data, TITLE, f"{TITLE}　日期：{data['day']}"),
                  font_path=font_path)
