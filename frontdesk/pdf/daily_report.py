"""The 收费日报 (daily cashier report): payments of a day or shift by cashier and method."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table

from frontdesk.money import amount_in_words, format_money
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

TITLE = "收费日报"
SIGNATURE_LABELS = ["收款员", "财务"]
DETAIL_HEADERS = ["序号", "时间", "收据号", "房号", "方式", "类别", "金额"]
DETAIL_WIDTHS_MM = [12, 30, 34, 30, 18, 22, 34]
VOID_HEADERS = ["时间", "收据号", "房号", "方式", "金额", "收款员", "作废原因"]
VOID_WIDTHS_MM = [28, 30, 24, 14, 24, 22, 38]


def widths(widths_mm: Sequence[float]) -> list[float]:
    """Scale column widths in mm to fill the content width exactly."""
    total = sum(widths_mm)
    return [CONTENT_WIDTH * w / total for w in widths_mm]


def figure_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    col_widths: Sequence[float],
    *,
    font_name: str,
    right_cols: Iterable[int] = (),
    center_cols: Iterable[int] = (),
    wrap_cols: Iterable[int] = (),
    total_rows: int = 0,
    empty_text: str = "无",
) -> Table:
    """Lay out a bordered table of figures, amounts right-aligned and the last rows as totals.

    Any cell too long for its column wraps, so wrap_cols is no longer needed.
    """
    return data_table(headers, rows, col_widths, font_name=font_name, center_cols=center_cols,
                      right_cols=right_cols, total_rows=total_rows, empty_text=empty_text)


def _summary_cell(count: int, total: Decimal) -> str:
    return f"{format_money(total)}\n{count} 笔" if count else "—"


def letterhead_for(data: Mapping[str, Any], title: str, running_head: str = "") -> Letterhead:
    """Build the letterhead of a report from its estate and print stamp."""
    estate: Mapping[str, Any] = data.get("estate") or {}
    return Letterhead(
        estate_name=str(estate.get("name") or ""),
        title=title,
        address=str(estate.get("address") or ""),
        phone=str(estate.get("phone") or ""),
        printed_at=str(data.get("printed_at") or ""),
        printed_by=str(data.get("printed_by") or "") or None,
        running_head=running_head,
    )


def daily_report(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render the daily cashier report and return PDF bytes."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    story: list[Flowable] = [
        _head(data, font_name),
        *summary_section(data, font_name),
        *section("二、收款明细", font_name=font_name, min_space=30 * mm),
        *_cashier_details(data["cashiers"], font_name),
        *voided_section(data["voided"], font_name),
        *refunds_section(data, font_name),
        KeepTogether([Spacer(1, 8 * mm),
                      signature_block(SIGNATURE_LABELS, font_name=font_name)]),
        para("链头（防篡改校验）：" + "；".join(f"{h['name']} {h['text'] or '无'}"
                                      for h in data.get("chain_heads", ())), st.small),
    ]
    period = f"{'日期' if data['mode'] == 'day' else '班次'}：{data['range_text']}"
    return render(story, letterhead_for(data, TITLE, f"{TITLE}　{period}"), font_path=font_path)


def _head(data: Mapping[str, Any], font_name: str) -> Flowable:
    """The report's range, count, total and voids."""
    return kv_table(
        [
            ("日期" if data["mode"] == "day" else "班次", str(data["range_text"])),
            ("收款笔数", f"{data['count']} 笔"),
            ("收款合计", f"¥{format_money(data['total'])}"),
            ("作废", f"{len(data['voided'])} 笔，"
                     f"¥{format_money(data['voided_total'])}（不计入合计）"),
        ],
        2,
        font_name=font_name,
        label_width=20 * mm,
    )


def summary_section(data: Mapping[str, Any], font_name: str) -> list[Flowable]:
    """Takings by cashier and method, with the total in capitals."""
    methods: Sequence[Mapping[str, Any]] = data["methods"]
    cashiers: Sequence[Mapping[str, Any]] = data["cashiers"]
    total: Decimal = data["total"]
    summary_headers = ["收款员", *[m["name"] for m in methods], "合计"]
    summary_rows = [
        [c["name"], *[_summary_cell(m["count"], m["total"]) for m in c["methods"]],
         _summary_cell(c["count"], c["total"])]
        for c in cashiers
    ]
    if cashiers:
        summary_rows.append(
            ["合计", *[_summary_cell(m["count"], m["total"]) for m in methods],
             _summary_cell(data["count"], total)]
        )
    first = 26 * mm
    rest = (CONTENT_WIDTH - first) / (len(methods) + 1)
    summary = figure_table(
        summary_headers, summary_rows, [first] + [rest] * (len(methods) + 1),
        font_name=font_name, right_cols=range(1, len(methods) + 2), wrap_cols=(0,),
        total_rows=1, empty_text="本期间无收款",
    )
    in_words = kv_table(
        [("合计（大写）", amount_in_words(total)), ("合计（小写）", f"¥{format_money(total)}")],
        2, font_name=font_name, label_width=26 * mm,
    )
    return section("一、收款汇总（按收款员、收款方式）", summary, Spacer(1, 2 * mm), in_words,
                   font_name=font_name)


def _cashier_details(cashiers: Sequence[Mapping[str, Any]], font_name: str) -> list[Flowable]:
    """Every payment, cashier by cashier, with a subtotal each."""
    st = make_styles(font_name)
    if not cashiers:
        return [para("无", st.body)]
    story: list[Flowable] = []
    for cashier in cashiers:
        rows = [
            [str(i), p["time"], p["receipt_no"], p["unit_code"], p["method_name"],
             p["purpose_name"], format_money(p["amount"])]
            for i, p in enumerate(cashier["payments"], start=1)
        ]
        rows.append(["", "小计", "", "", "", f"{cashier['count']} 笔",
                     format_money(cashier["total"])])
        story += [
            CondPageBreak(25 * mm),
            para(f"收款员：{cashier['name']}", st.body),
            Spacer(1, 1 * mm),
            figure_table(DETAIL_HEADERS, rows, widths(DETAIL_WIDTHS_MM), font_name=font_name,
                         right_cols=(6,), center_cols=(0, 4, 5), total_rows=1),
            Spacer(1, 3 * mm),
        ]
    return story


def voided_section(voided: Sequence[Mapping[str, Any]], font_name: str) -> list[Flowable]:
    """The receipts voided in the range, outside the total."""
    void_rows = [
        [v["time"], v["receipt_no"], v["unit_code"], v["method_name"], format_money(v["amount"]),
         v["cashier"], v["void_reason"]]
        for v in voided
    ]
    return section(
        "三、作废收据（不计入合计）",
        figure_table(VOID_HEADERS, void_rows, widths(VOID_WIDTHS_MM), font_name=font_name,
                     right_cols=(4,), center_cols=(3,), wrap_cols=(5, 6)),
        font_name=font_name, min_space=30 * mm,
    )


REFUND_HEADERS = ["退款单号", "付款时间", "房号", "类别", "方式", "金额", "付款人"]
REFUND_WIDTHS_MM = [24, 30, 24, 24, 14, 24, 24]
NET_HEADERS = ["收款方式", "收款", "退款", "净额（应存）"]


def refunds_section(data: Mapping[str, Any], font_name: str) -> list[Flowable]:
    """List the refunds paid out and the net per method: what the drawer should hold."""
    refund_rows = [
        [r["number"], r["time"], r["unit_code"], r["source_name"], r["method_name"],
         format_money(r["amount"]), r["paid_by"]]
        for r in data.get("refunds", ())
    ]
    if refund_rows:
        refund_rows.append(["合计", "", "", "", f"{data['refund_count']} 笔",
                            format_money(data["refund_total"]), ""])
    net_rows = [[m["name"], format_money(m["received"]), format_money(m["refunded"]),
                 format_money(m["net"])]
                for m in data.get("net_methods", ()) if m["received"] or m["refunded"]]
    net_rows.append(["合计", format_money(data["total"]),
                     format_money(data.get("refund_total", Decimal(0))),
                     format_money(data.get("net_total", data["total"]))])
    net_total = data.get("net_total", data["total"])
    return [
        *section(
            "四、退款（已付出，从收款中扣减）",
            figure_table(REFUND_HEADERS, refund_rows, widths(REFUND_WIDTHS_MM),
                         font_name=font_name, right_cols=(5,), center_cols=(4,),
                         wrap_cols=(6,), total_rows=1 if refund_rows else 0,
                         empty_text="本期间无退款"),
            font_name=font_name, min_space=30 * mm,
        ),
        *section(
            "五、按收款方式轧差（收款 − 退款）",
            figure_table(NET_HEADERS, net_rows, widths([30, 40, 40, 46]), font_name=font_name,
                         right_cols=(1, 2, 3), total_rows=1),
            Spacer(1, 2 * mm),
            kv_table([("净额（大写）", amount_in_words(net_total)),
                      ("净额（小写）", f"¥{format_money(net_total)}")],
                     2, font_name=font_name, label_width=26 * mm),
            font_name=font_name,
        ),
    ]
