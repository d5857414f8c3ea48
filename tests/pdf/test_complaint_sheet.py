"""The 投诉处理单 takes oversized content: long texts, very many steps and work orders."""

from __future__ import annotations

from frontdesk.pdf.complaint import complaint_sheet
from tests.pdf_text import assert_paged, pdf_pages, squash

LONG = "楼上装修噪音从早到晚持续不断，影响休息；" * 100  # 2,000 characters


def data(steps: int, orders: int) -> dict:
    return {
        "estate": {"name": "阳光花园" + "超长的小区名称" * 17, "address": "上海市" * 40,
                   "phone": "021-12345678"},
        "number": "TS2026-000123", "reprint": "", "printed_by": "前台" * 30,
        "printed_at": "2026-11-20 10:00", "name": "欧阳" + "长长的姓名" * 12,
        "phone": "13812345678", "unit": "9-1-202", "channel": "电话", "category": "噪音",
        "registered_at": "2026-11-20 09:00", "registered_by": "王前台",
        "reply_due_at": "2026-11-21 00:00", "first_reply_at": "2026-11-20 11:00",
        "state": "已落实", "content": LONG, "request": LONG[:1000], "findings": LONG,
        "proposal": LONG, "compensation": "100,000.00 元", "approved_by": "陈主管",
        "agreement": LONG[:1000], "outcome": LONG[:1000], "satisfaction": 2,
        "callback_comment": LONG[:500],
        "steps": [{"action": "回访（不满意）", "by": "王前台" * 10, "at": "2026-11-20 10:00",
                   "detail": f"第{n}步 " + LONG} for n in range(steps)],
        "orders": [{"number": f"GD2026-{n:06d}", "category": "水电", "state": "completed",
                    "completed_at": "2026-11-21 10:00"} for n in range(orders)],
    }


def test_long_texts_and_many_steps_flow_onto_numbered_pages():
    pdf = complaint_sheet(data(steps=60, orders=80))
    pages = [squash(p) for p in pdf_pages(pdf)]
    assert len(pages) > 10
    assert_paged(pages, "TS2026-000123")
    text = "".join(pages)
    assert "第59步" in text and "GD2026-000079" in text and "审批人" in text
    assert "100,000.00元" in text


def test_a_short_sheet_is_one_page():
    small = data(steps=0, orders=0)
    for key in ("content", "request", "findings", "proposal", "agreement", "outcome",
                "callback_comment"):
        small[key] = "短"
    small["estate"]["name"] = "阳光花园"
    pages = pdf_pages(complaint_sheet(small))
    assert len(pages) == 1 and "第1页共1页" in squash(pages[0])
