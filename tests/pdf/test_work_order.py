"""The printed 派工单: what it says, read back from the PDF, and oversized content."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from frontdesk.pdf.work_order import work_order_slip
from tests.pdf_text import assert_paged, pdf_pages, squash

D = Decimal
PERSON = "欧阳" + "长长的报修人姓名" * 13
ENGINEER = "司马" + "长长的维修人员姓名" * 12
PLACE = "九号楼" + "非常长的公共区域名称" * 11
#: a description taller than a page in its cell
TALLER_THAN_A_PAGE = "；".join(["厨房水槽下方的进水软管接头处持续滴水，柜体底板已经泡胀发霉，"
                               "需要更换软管和角阀并检查台面下方是否有其他渗漏点"] * 60)
MANY = 200


def slip(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "estate": {"name": "阳光花园", "address": "上海市测试路 1 号", "phone": "021-50001234"},
        "number": "GD2026-000042", "state": "已完工", "source": "电话", "priority": "紧急",
        "reporter": "张三", "reporter_phone": "13812345678", "location": "3-2-1502",
        "category": "水电", "description": "厨房水管漏水", "photos": {"report": 2, "completion": 1},
        "created_by": "王前台", "engineer": "王师傅", "team": "水电组",
        "reported_at": "2026-11-02 10:00", "appointment_at": "2026-11-02 14:00",
        "dispatched_at": "2026-11-02 10:05", "accepted_at": "2026-11-02 10:12",
        "started_at": "2026-11-02 14:03", "completed_at": "2026-11-02 15:30",
        "response_due_at": "2026-11-02 10:15", "completion_due_at": "2026-11-02 14:00",
        "response_breached": False, "completion_breached": True,
        "paused_time": "", "pause_reason": "",
        "costs": [{"kind": "材料", "name": "角阀", "quantity": "2", "unit_name": "个",
                   "unit_price": D("35.00"), "amount": D("70.00")},
                  {"kind": "人工", "name": "更换角阀", "quantity": "1", "unit_name": "次",
                   "unit_price": D("50.50"), "amount": D("50.50")}],
        "costs_total": D("120.50"), "chargeable": False, "quote_amount": None,
        "quote_confirmed_by": "", "quote_confirmed_at": "", "charge_amount": None,
        "billed": "", "completion_note": "已更换两个角阀，试水无渗漏",
        "callback": {"score": 5, "comment": "很满意", "by": "王前台", "at": "2026-11-03 09:00"},
        "print_no": 1, "reprint": "", "printed_at": "2026-11-03 10:00", "printed_by": "王前台",
    }
    data.update(changes)
    return data


def text_of(pdf: bytes) -> str:
    return squash("".join(pdf_pages(pdf)))


def test_the_slip_says_what_was_reported_done_and_charged():
    text = text_of(work_order_slip(slip()))
    for expected in ("派工单", "GD2026-000042", "3-2-1502", "张三", "13812345678", "水电",
                     "紧急", "电话", "厨房水管漏水", "报修2张，完工1张", "王师傅", "水电组",
                     "2026-11-0210:00", "2026-11-0210:05", "2026-11-0210:12",
                     "2026-11-0215:30", "2026-11-0214:00(已超时)", "角阀", "70.00", "50.50",
                     "120.50", "已更换两个角阀", "5分", "很满意", "维修人员签字",
                     "业主（住户）签字", "日期", "第1页共1页"):
        assert squash(expected).replace("(", "（").replace(")", "）") in text, expected
    assert "大写" not in text and "补打" not in text


def test_a_chargeable_repair_prints_its_amount_in_capitals():
    text = text_of(work_order_slip(slip(
        chargeable=True, quote_amount=D("150.00"), quote_confirmed_by="张三",
        quote_confirmed_at="2026-11-02 10:30", charge_amount=D("120.50"),
        billed="已计入本户账单")))
    assert "金额大写壹佰贰拾元零伍角整" in text
    assert "￥120.50" in text and "￥150.00" in text
    assert "张三（2026-11-0210:30）" in text and "已计入本户账单" in text


def test_a_new_order_leaves_room_to_write_in_and_a_reprint_is_marked():
    text = text_of(work_order_slip(slip(
        state="待派单", engineer="", team="", dispatched_at="", accepted_at="", started_at="",
        completed_at="", costs=[], costs_total=D(0), completion_note="", callback=None,
        print_no=3, reprint="补打（第 2 次补打）")))
    assert "补打（第2次补打）" in text
    assert "□5□4□3□2□1" in text and "____" in text


def test_oversized_content_runs_on_with_number_place_and_reporter_on_every_page():
    costs = [{"kind": "材料", "name": "进口铜芯角阀" + "（加长型）" * 12, "quantity": "9999.99",
              "unit_name": "个", "unit_price": D("99999.99"), "amount": D("999999.00")}
             for _ in range(MANY)]
    pdf = work_order_slip(slip(
        estate={"name": "阳光花园" + "超长的小区名称" * 17, "address": "很长的路名" * 40,
                "phone": "021-50001234"},
        reporter=PERSON, engineer=ENGINEER, location=PLACE, category="水电" * 16,
        description=TALLER_THAN_A_PAGE, completion_note=TALLER_THAN_A_PAGE,
        pause_reason=TALLER_THAN_A_PAGE, paused_time="2 天 3 小时",
        costs=costs, costs_total=D("199999800.00"), chargeable=True,
        quote_amount=D("100000.00"), charge_amount=D("199999800.00"),
        callback={"score": 1, "comment": TALLER_THAN_A_PAGE, "by": ENGINEER, "at": "x"}))
    pages = [squash(p) for p in pdf_pages(pdf)]
    assert len(pages) > 3
    assert_paged(pages, "GD2026-000042", PLACE[:20], PERSON[:20])
    everything = "".join(pages)
    assert everything.count("999,999.00") == MANY
    assert "199,999,800.00" in everything and "壹亿玖仟玖佰玖拾玖万玖仟捌佰元整" in everything
    assert "维修人员签字" in pages[-1]
