"""The 交房验收单 (handover sheet) of a move-in: readings, inspection, defects, keys and first
fees, with signature lines for the resident and the staff, as PDF bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from frontdesk.money import format_money
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

TITLE = "交房验收单"
SIGNATURE_LABELS = ["业主签字", "经办人"]
DECLARATION = ("业主已现场查验房屋并确认以上抄表读数、验房结果及钥匙数量无误；"
               "所列问题由物业服务中心派工整改，整改完成后由业主验收。")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _widths(widths_mm: Sequence[float]) -> list[float]:
    total = sum(widths_mm)
    return [CONTENT_WIDTH * w / total for w in widths_mm]


def _fees_rows(fees: Mapping[str, Any]) -> list[tuple[str, str]]:
    if not fees:
        return [("首期缴费", "未办理")]
    return [
        ("预交物业费", f"{format_money(fees.get('prepaid') or '0')} 元"
                       f"（{_text(fees.get('months'))} 个月）"),
        ("装修押金", f"{format_money(fees.get('deposit') or '0')} 元"),
        ("合计", f"{format_money(fees.get('total') or '0')} 元"),
        ("收据号", _text(fees.get("receipt_no"))),
    ]


def handover_sheet(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render the handover sheet of one move-in case and return PDF bytes."""
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    estate: Mapping[str, Any] = data.get("estate") or {}
    unit: Mapping[str, Any] = data.get("unit") or {}
    owner: Mapping[str, Any] = data.get("owner") or {}
    letterhead = Letterhead(
        estate_name=_text(estate.get("name")), title=TITLE, address=_text(estate.get("address")),
        phone=_text(estate.get("phone")), document_no=_text(data.get("case_no")) or None,
        printed_at=_text(data.get("printed_at")), printed_by=_text(data.get("printed_by")) or None,
        running_head=f"房号：{_text(unit.get('code'))}　业主：{_text(owner.get('name'))}",
    )
    area = unit.get("gross_area")
    head = [("房号", _text(unit.get("code"))), ("楼栋", _text(unit.get("building"))),
            ("业主", _text(owner.get("name"))), ("联系电话", _text(owner.get("phone"))),
            ("建筑面积", f"{area:.2f} m²" if area is not None else ""),
            ("交房日期", _text(unit.get("handover_date")))]
    readings = [[r["kind"], r["number"], f"{r['value']} {r.get('unit', '')}".strip(),
                 r["period"]] for r in data.get("readings") or []]
    inspected = [[i["room"], i["ok"], i["defects"]] for i in data.get("inspection") or []]
    defects = [[str(n), f"{d['room']} {d['item']}", d["note"], d["order_no"], d["order_state"],
                d["state"], d["accepted"]] for n, d in enumerate(data.get("defects") or [], 1)]
    keys = [[k["kind"], str(k["handed"]), str(k["kept"]), k.get("tag", "")]
            for k in data.get("keys") or []]
    steps = [[s["step"], s["state"], s["by"], s["at"], s["reason"]]
             for s in data.get("steps") or []]
    authorised = "、".join(data.get("authorised") or []) or "无"
    story: list[Flowable] = [
        *section("一、房屋及业主", kv_table(head, 2, font_name=font_name), font_name=font_name),
        *section("二、交房抄表", data_table(["表计", "表号", "读数", "抄表月份"], readings,
                                       _widths([30, 50, 60, 40]), font_name=font_name,
                                       right_cols=(2,), center_cols=(0, 3)),
                 font_name=font_name, min_space=30 * mm),
        *section("三、验房结果", data_table(["房间", "合格项目", "不合格项目及说明"], inspected,
                                       _widths([24, 60, 96]), font_name=font_name,
                                       center_cols=(0,)),
                 font_name=font_name, min_space=30 * mm),
        *section("四、整改问题", data_table(
            ["序号", "位置", "问题", "整改工单", "工单状态", "整改情况", "业主验收"], defects,
            _widths([12, 28, 50, 30, 20, 22, 18]), font_name=font_name, center_cols=(0,)),
            font_name=font_name, min_space=30 * mm),
        *section("五、钥匙移交", data_table(["钥匙类型", "交业主（把）", "留存服务中心（把）",
                                           "托管编号"], keys, _widths([40, 35, 45, 60]),
                                          font_name=font_name, center_cols=(1, 2)),
                 Spacer(1, 2 * mm), para(f"授权借用人：{authorised}", st.small),
                 font_name=font_name,
                 min_space=30 * mm),
        *section("六、首期缴费", kv_table(_fees_rows(data.get("fees") or {}), 2,
                                       font_name=font_name), font_name=font_name),
        *section("七、办理记录", data_table(["步骤", "状态", "经办人", "时间", "说明"], steps,
                                       _widths([24, 16, 30, 36, 74]), font_name=font_name,
                                       center_cols=(1,)),
                 font_name=font_name, min_space=30 * mm),
        KeepTogether([Spacer(1, 6 * mm), para(DECLARATION, st.body),
                      signature_block(SIGNATURE_LABELS, font_name=font_name)]),
    ]
    return render(story, letterhead, font_path=font_path)
