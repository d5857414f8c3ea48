"""The complaint register of a month as an .xlsx workbook, from the same data as its page."""

from __future__ import annotations

from typing import Any

import openpyxl

from frontdesk.labels import PRINTED_COMPLAINT_STATES
from frontdesk.services.fees.reports_xlsx import _append, _save, _sheet


def register_workbook(data: dict[str, Any], estate_name: str, tz) -> bytes:
    """Export the month's register: 汇总 (by category) and 明细 (every complaint)."""
    workbook = openpyxl.Workbook(write_only=True)
    ws = _sheet(workbook, "汇总", [14, 10, 10, 10, 12, 10, 12, 12])
    _append(ws, [f"{estate_name} 投诉登记汇总 {data['period']}"], bold=True)
    _append(ws, ["类别", "登记数", "已结案", "超时", "补偿金额", "回访数", "满意率", "平均满意度"],
            bold=True)
    for line in [*data["lines"], data["total"]]:
        rate = line.callbacks.rate
        _append(ws, [line.category, line.registered, line.closed, line.overdue,
                     line.compensation, line.callbacks.count,
                     None if rate is None else float(rate),
                     None if not line.callbacks.count else float(line.callbacks.average)],
                bold=line is data["total"])
    ws = _sheet(workbook, "明细", [16, 18, 12, 14, 12, 8, 12, 50, 30, 10, 10, 8])
    _append(ws, ["投诉编号", "登记时间", "投诉人", "电话", "房号", "渠道", "类别", "投诉内容",
                 "诉求", "状态", "首次答复超时", "满意度"], bold=True)
    for row in data["rows"]:
        c = row.complaint
        _append(ws, [row.number, c.registered_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                     c.name, c.phone, c.unit.code if c.unit else "", c.channel, c.category,
                     c.content, c.request, PRINTED_COMPLAINT_STATES.get(c.state, c.state),
                     "是" if row.overdue else "否", c.satisfaction])
    return _save(workbook)
