"""The work-order report as an .xlsx workbook, from the same data as its page.

Sheets: 汇总 (the whole estate), 按类别, 按维修人员 and 超时工单 (the late orders). Times are
hours with one decimal; headers and names are the printed Chinese ones, as in the finance
exports (:mod:`frontdesk.services.fees.reports_xlsx`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl

from frontdesk.extensions import db
from frontdesk.labels import PRINTED_PRIORITIES, PRINTED_WORK_ORDER_STATES
from frontdesk.models import Estate, User
from frontdesk.services.fees.reports_xlsx import XLSX_MIMETYPE, _append, _save, _sheet
from frontdesk.services.workorders import orders
from frontdesk.services.workorders.reports import Row

__all__ = ["XLSX_MIMETYPE", "report_workbook"]

UNASSIGNED = "未派单"
HEADERS = ["期末未完成", "报修", "完工", "响应超时", "完工超时", "平均响应（小时）",
           "平均完工（小时）", "回访", "平均满意度", "不满意（1–2 分）"]


def _hours(seconds: int | None) -> float | None:
    if seconds is None:
        return None
    return float((Decimal(seconds) / 3600).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _figures(row: Row) -> list[Any]:
    return [row.open, row.reported, row.completed, row.response_breaches,
            row.completion_breaches, _hours(row.avg_response_seconds),
            _hours(row.avg_completion_seconds), row.callbacks,
            None if row.satisfaction is None else float(row.satisfaction), row.unsatisfied]


def report_workbook(data: dict[str, Any]) -> bytes:
    """Export the work-order report of a date range."""
    estate = db.session.get(Estate, data["estate"]["id"])
    tz = ZoneInfo(estate.timezone)

    def local(value) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

    workbook = openpyxl.Workbook(write_only=True)
    span = f"{data['start'].isoformat()} 至 {data['end'].isoformat()}"
    ws = _sheet(workbook, "汇总", [22, 14])
    _append(ws, [f"{estate.name} 工单报表"], bold=True)
    _append(ws, ["报修日期", span])
    _append(ws, ["期末时点", local(data["as_of"])])
    _append(ws, [])
    for header, value in zip(HEADERS, _figures(data["totals"]), strict=True):
        _append(ws, [header, value])
    _append(ws, [])
    _append(ws, ["说明", "期末未完成：期末时点仍未完工或取消的工单（不论何时报修）；报修、完工、"
                 "超时及平均时长：报修日期在范围内的工单，超时只计运行时间（暂停不计），"
                 "未完成且已过时限的工单也计为超时；平均完工时长已扣除暂停时间；"
                 "回访及满意度：范围内的回访。"])

    for title, first, rows in (("按类别", "类别", data["categories"]),
                               ("按维修人员", "维修人员", data["engineers"])):
        ws = _sheet(workbook, title, [18] + [12] * len(HEADERS))
        _append(ws, [first, *HEADERS], bold=True)
        for row in rows:
            _append(ws, [row.name or UNASSIGNED, *_figures(row)])
        _append(ws, ["合计", *_figures(data["totals"])], bold=True)

    ws = _sheet(workbook, "超时工单", [16, 18, 20, 10, 8, 16, 10, 18, 18, 10, 10])
    _append(ws, ["工单编号", "报修时间", "地点", "类别", "紧急程度", "维修人员", "状态",
                 "响应时限", "完工时限", "响应超时", "完工超时"], bold=True)
    for item in data["breached"]:
        order = item["order"]
        engineer = db.session.get(User, order.assignee_id) if order.assignee_id else None
        _append(ws, [orders.order_number(order), local(order.created_at),
                     orders.location_text(order), order.category.name,
                     PRINTED_PRIORITIES.get(order.priority, order.priority),
                     engineer.full_name if engineer else UNASSIGNED,
                     PRINTED_WORK_ORDER_STATES.get(order.state, order.state),
                     local(order.response_due_at), local(order.completion_due_at),
                     "是" if item["response"] else "", "是" if item["completion"] else ""])
    return _save(workbook)
