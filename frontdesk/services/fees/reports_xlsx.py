"""The finance reports as .xlsx workbooks, from the same data as their pages and PDFs."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from frontdesk.money import amount_in_words

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"


def _cell(ws, value: Any, *, bold: bool = False):
    """Make a cell: amounts as numbers with two decimals, text never read as a formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    if isinstance(value, Decimal):
        cell.number_format = MONEY_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def _sheet(workbook, title: str, widths: Sequence[int]):
    ws = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    return ws


def _append(ws, values: Iterable[Any], *, bold: bool = False) -> None:
    ws.append([_cell(ws, v, bold=bold) for v in values])


def _save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def daily_report_workbook(data: dict[str, Any]) -> bytes:
    """Export the daily cashier report: a summary sheet, the payments and the voided ones."""
    workbook = openpyxl.Workbook(write_only=True)
    methods = [m["name"] for m in data["methods"]]

    ws = _sheet(workbook, "汇总", [16] + [14] * (2 * len(methods) + 2))
    _append(ws, [f"{data['estate']['name']} 收费日报"], bold=True)
    _append(ws, ["日期" if data["mode"] == "day" else "班次", data["range_text"]])
    _append(ws, [])
    _append(ws, ["收款员"] + [f"{name}{what}" for name in methods for what in ("笔数", "金额")]
            + ["合计笔数", "合计金额"], bold=True)
    for cashier in data["cashiers"]:
        _append(ws, [cashier["name"]]
                + [v for m in cashier["methods"] for v in (m["count"], m["total"])]
                + [cashier["count"], cashier["total"]])
    _append(ws, ["合计"] + [v for m in data["methods"] for v in (m["count"], m["total"])]
            + [data["count"], data["total"]], bold=True)
    _append(ws, ["合计（大写）", amount_in_words(data["total"])])
    if data["voided"]:
        _append(ws, ["作废（不计入合计）", len(data["voided"]), data["voided_total"]])
    _append(ws, ["退款（已付出）"]
            + [v for m in data["refund_methods"] for v in (m["count"], m["total"])]
            + [data["refund_count"], data["refund_total"]])
    _append(ws, ["净额（收款 − 退款）"] + [v for m in data["net_methods"] for v in ("", m["net"])]
            + ["", data["net_total"]], bold=True)

    headers = ["收款员", "时间", "收据号", "房号", "收款方式", "类别", "交款人", "金额"]
    ws = _sheet(workbook, "收款明细", [12, 18, 16, 14, 10, 10, 14, 14])
    _append(ws, headers, bold=True)
    for cashier in data["cashiers"]:
        for p in cashier["payments"]:
            _append(ws, [cashier["name"], p["time"], p["receipt_no"], p["unit_code"],
                         p["method_name"], p["purpose_name"], p["payer"], p["amount"]])

    ws = _sheet(workbook, "作废", [12, 18, 16, 14, 10, 14, 18, 12, 30])
    _append(ws, ["收款员", "时间", "收据号", "房号", "收款方式", "金额", "作废时间", "作废人",
                 "作废原因"], bold=True)
    for v in data["voided"]:
        _append(ws, [v["cashier"], v["time"], v["receipt_no"], v["unit_code"],
                     v["method_name"], v["amount"], v["voided_at"], v["voided_by"],
                     v["void_reason"]])

    ws = _sheet(workbook, "退款", [12, 18, 12, 14, 12, 10, 14, 12, 12, 30])
    _append(ws, ["退款单号", "付款时间", "房号", "类别", "领款人", "方式", "金额", "付款人",
                 "审批人", "原因"], bold=True)
    for r in data["refunds"]:
        _append(ws, [r["number"], r["time"], r["unit_code"], r["source_name"], r["payee"],
                     r["method_name"], r["amount"], r["paid_by"], r["approved_by"], r["reason"]])
    return _save(workbook)


def arrears_workbook(data: dict[str, Any]) -> bytes:
    """Export arrears: one row per unit with its building, the age buckets and its total."""
    workbook = openpyxl.Workbook(write_only=True)
    names = data["bucket_names"]
    ws = _sheet(workbook, "欠费明细", [12, 16, 16] + [14] * (len(names) + 1))
    _append(ws, [f"{data['estate']['name']} 欠费明细（截至 {data['as_of'].isoformat()}）"],
            bold=True)
    _append(ws, ["楼栋", "房号", "业主"] + names + ["合计"], bold=True)
    for building in data["buildings"]:
        for u in building["units"]:
            _append(ws, [building["label"], u["code"], u["owner"], *u["buckets"], u["total"]])
        _append(ws, [building["label"], "小计", f"{building['unit_count']} 户",
                     *building["buckets"], building["total"]], bold=True)
    _append(ws, ["合计", "", f"{data['unit_count']} 户", *data["buckets"], data["total"]],
            bold=True)
    return _save(workbook)
