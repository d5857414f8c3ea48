"""The 交房验收单 and the 入住登记表 of a move-in: what they print, and oversized content."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from frontdesk.pdf.handover_sheet import handover_sheet
from frontdesk.pdf.registration import registration_form
from tests.pdf_text import assert_paged, pdf_pages, squash

PERSON = "欧阳" + "长长的业主姓名" * 17
LONG = "墙面有明显裂缝需要整改" * 40


def sheet_data(n: int = 3, note: str = "墙面裂缝", owner: str = "李业主") -> dict:
    return {
        "estate": {"name": "阳光花园", "address": "上海市测试路 1 号", "phone": "021-1"},
        "unit": {"code": "3-1-501", "building": "3号楼", "gross_area": Decimal("100.00"),
                 "handover_date": date(2026, 10, 15)},
        "owner": {"name": owner, "phone": "139****1234"},
        "case_no": "RZ-1-000001",
        "steps": [{"step": "核验资料", "state": "已办", "by": "前台", "at": "2026-10-15 10:00",
                   "reason": ""}] * n,
        "readings": [{"kind": "水表", "number": f"W-{i}", "value": "100", "unit": "m³",
                      "period": "2026-10"} for i in range(n)],
        "inspection": [{"room": f"客厅{i}", "ok": "地面、门窗", "defects": f"墙面：{note}"}
                       for i in range(n)],
        "defects": [{"room": "客厅", "item": "墙面", "note": note, "order_no": f"GD2026-{i:06d}",
                     "order_state": "待派单", "state": "整改中", "accepted": ""}
                    for i in range(n)],
        "keys": [{"kind": "入户门", "handed": 2, "kept": 1, "tag": "3-1-501-RHM-01"}],
        "authorised": ["王五"] * n,
        "fees": {"months": 12, "prepaid": "2820.00", "deposit": "2000.00", "total": "4820.00",
                 "receipt_no": "SJ2026-000001"},
        "printed_at": "2026-10-15 10:00", "printed_by": "前台",
    }


def test_the_handover_sheet_prints_readings_defects_keys_fees_and_signatures():
    text = squash("".join(pdf_pages(handover_sheet(sheet_data()))))
    for expected in ("交房验收单", "W-0", "100m³", "墙面裂缝", "GD2026-000001", "入户门",
                     "3-1-501-RHM-01", "王五", "2,820.00", "4,820.00", "SJ2026-000001",
                     "业主签字", "经办人", "第1页共"):
        assert expected in text, expected


def test_an_oversized_handover_sheet_flows_onto_numbered_pages():
    pages = [squash(p) for p in pdf_pages(handover_sheet(sheet_data(200, LONG, PERSON)))]
    assert_paged(pages, "3-1-501")
    assert squash(PERSON)[:20] in pages[0]
    assert "GD2026-000199" in "".join(pages)


def test_the_move_in_registration_form_prints_the_move_in_details():
    data = {"estate": {"name": "阳光花园"}, "unit": {"code": "3-1-501", "building": "3号楼"},
            "residents": [{"name": PERSON, "role": "业主", "primary": True}] * 60,
            "vehicles": [], "title": "入住登记表",
            "movein": [("购房合同号", "HT-" + "9" * 300), ("入住日期", "2026-10-15")]}
    pages = [squash(p) for p in pdf_pages(registration_form(data))]
    assert_paged(pages, "3-1-501")
    assert "入住登记表" in pages[0] and "入住信息" in pages[0] and "HT-999" in pages[0]
