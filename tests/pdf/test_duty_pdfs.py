"""The 值班记录 and 交班收款单 print oversized shifts: a 3,000-character entry, 300 entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontdesk.pdf.cash_handover import cash_handover_slip
from frontdesk.pdf.duty_log import duty_log
from frontdesk.services.duty import entries, handover, queries, shifts
from tests import factories
from tests.pdf_text import assert_paged, pdf_pages, squash

START = datetime(2026, 12, 1, 0, 31, tzinfo=UTC)  # 08:31 local, in the 白班
LOCKED_AT = datetime(2026, 12, 1, 9, 20, tzinfo=UTC)
LONG = ("三号楼二单元电梯井道内有异响，现场检查后联系维保单位，" * 120)[:3000]
MANY = 300


def test_a_shift_of_300_entries_and_a_3000_character_entry_prints(db, world):
    desk = world.users["frontdesk"]
    factories.user("frontdesk", [world.estate], username="night", full_name="夜班乙" * 20)
    db.session.commit()
    estate = world.estate
    entries.add_entry(desk, estate, {"kind": "事件", "at": START, "content": LONG,
                                     "handling": "处理" * 900}, START)
    for n in range(MANY - 1):
        at = START + timedelta(minutes=1 + n)
        entries.add_entry(desk, estate, {"kind": "巡查", "at": at,
                                         "content": f"第{n + 1}次巡查<b>&amp;</b>"}, at)
    shift = shifts.shift_at(estate, START, desk, START)
    handover.hand_over(desk, shift, {"notes": "\n".join(f"交接事项{n}" + "很长" * 200
                                                        for n in range(20)),
                                     "cash_counted": "0", "handover_note": "说明" * 400},
                       incoming_username="night", incoming_password=factories.PASSWORD,
                       now=LOCKED_AT)
    data = queries.log_sheet(estate, shift.day, now=LOCKED_AT, printed_at="2026-12-01 17:30",
                             printed_by="前台")
    pages = pdf_pages(duty_log(data))
    assert len(pages) > 10
    assert_paged([squash(p) for p in pages], "值班记录", "2026-12-01")
    text = "".join(squash(p) for p in pages)
    assert squash(LONG[:200]) in text and squash(LONG[-100:]) in text
    assert "第300次巡查" not in text and "第299次巡查<b>&amp;</b>" in text
    assert "交接事项19" in text and "交班人" in text and "值班主管" in text
    slip = pdf_pages(cash_handover_slip(queries.slip(
        shift, now=LOCKED_AT, printed_at="2026-12-01 17:30", printed_by="前台")))
    joined = "".join(squash(p) for p in slip)
    assert "交班收款单" in joined and "本班无收据" in joined and "相符" in joined


def test_a_day_without_shifts_prints_an_empty_sheet(db, world):
    data = queries.log_sheet(world.estate, datetime(2026, 12, 1).date(),
                             now=LOCKED_AT, printed_at="", printed_by="前台")
    text = squash("".join(pdf_pages(duty_log(data))))
    assert "当日无值班记录" in text and "第1页共1页" in text
