"""The 住户信息登记表 (resident registration form) of one unit, as PDF bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from frontdesk.pdf.base import (
    CONTENT_WIDTH,
    Letterhead,
    check_mark,
    data_table,
    kv_table,
    make_styles,
    para,
    register_fonts,
    render,
    section,
    signature_block,
)

TITLE = "住户信息登记表"
DECLARATION = "本人确认以上信息真实有效。如有变更，将及时到物业服务中心办理变更登记。"
SIGNATURE_LABELS = ["业主签字", "经办人"]

RESIDENT_HEADERS = ["姓名", "身份", "联系电话", "证件类型", "证件号码", "入住日期", "主要联系人"]
RESIDENT_WIDTHS_MM = [27, 15, 28, 24, 41, 24, 21]
VEHICLE_HEADERS = ["序号", "车牌号", "车主"]
VEHICLE_WIDTHS_MM = [16, 70, 94]
EMERGENCY_HEADERS = ["住户", "紧急联系人"]
EMERGENCY_WIDTHS_MM = [50, 130]


def _text(value: Any) -> str:
    """Show a value as printed text: dates as YYYY-MM-DD, None as blank."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _area(value: Any) -> str:
    """Show an area in square metres with two decimals."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal | int):
        return f"{Decimal(value):.2f} m²"
    return f"{value} m²"


def _widths(widths_mm: Sequence[float]) -> list[float]:
    """Scale column widths in mm to fill the content width exactly."""
    total = sum(widths_mm)
    return [CONTENT_WIDTH * w / total for w in widths_mm]


def _unit_rows(unit: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return the 房屋信息 label/value pairs."""
    return [
        ("房号", _text(unit.get("code"))),
        ("楼栋", _text(unit.get("building"))),
        ("单元", _text(unit.get("entrance"))),
        ("楼层", _text(unit.get("floor"))),
        ("建筑面积", _area(unit.get("gross_area"))),
        ("套内面积", _area(unit.get("inner_area"))),
        ("用途", _text(unit.get("usage"))),
        ("状态", _text(unit.get("status"))),
    ]


def _running_head(unit: Mapping[str, Any], residents: Sequence[Mapping[str, Any]]) -> str:
    """Say whose form a page after the first belongs to: the unit and its primary contact."""
    primary = next((r for r in residents if r.get("primary")), residents[0] if residents else {})
    head = f"房号：{_text(unit.get('code'))}　楼栋：{_text(unit.get('building'))}"
    if primary.get("name"):
        head += f"　住户：{_text(primary.get('name'))}"
    return head


def registration_form(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render the resident registration form of one unit and return PDF bytes.

    ``data["title"]`` prints another title (入住登记表 at a move-in) and ``data["movein"]``, label
    and value pairs, adds the move-in's details after the unit's.
    """
    font_name = register_fonts(font_path)
    st = make_styles(font_name)
    estate: Mapping[str, Any] = data.get("estate") or {}
    unit: Mapping[str, Any] = data.get("unit") or {}
    residents: Sequence[Mapping[str, Any]] = data.get("residents") or []
    letterhead = Letterhead(
        estate_name=_text(estate.get("name")),
        title=_text(data.get("title")) or TITLE,
        address=_text(estate.get("address")),
        phone=_text(estate.get("phone")),
        document_no=_text(data.get("document_no")) or None,
        printed_at=_text(data.get("printed_at")),
        printed_by=_text(data.get("printed_by")) or None,
        running_head=_running_head(unit, residents),
    )
    story: list[Flowable] = [
        *section(
            "一、房屋信息", kv_table(_unit_rows(unit), 2, font_name=font_name), font_name=font_name
        ),
        *_movein_section(data.get("movein") or [], font_name),
        *_people_sections(residents, data.get("vehicles") or [], font_name),
        KeepTogether(
            [
                Spacer(1, 6 * mm),
                para(DECLARATION, st.body),
                signature_block(SIGNATURE_LABELS, font_name=font_name),
            ]
        ),
    ]
    return render(story, letterhead, font_path=font_path)


def _movein_section(pairs: Sequence[tuple[str, Any]], font_name: str) -> list[Flowable]:
    """The 入住信息 of a move-in (contract, agreements, handover and move-in dates), if any."""
    if not pairs:
        return []
    rows = [(label, _text(value)) for label, value in pairs]
    return section("入住信息", kv_table(rows, 2, font_name=font_name), font_name=font_name)


def _people_sections(residents: Sequence[Mapping[str, Any]],
                     vehicles: Sequence[Mapping[str, Any]], font_name: str) -> list[Flowable]:
    """The residents, vehicles and emergency contacts of the unit."""
    tick = check_mark(font_name)
    resident_rows = [
        [_text(r.get("name")), _text(r.get("role")), _text(r.get("phone")),
         _text(r.get("id_type")), _text(r.get("id_number")), _text(r.get("since")),
         tick if r.get("primary") else ""]
        for r in residents
    ]
    vehicle_rows = [
        [str(i), _text(v.get("plate")), _text(v.get("owner"))]
        for i, v in enumerate(vehicles, start=1)
    ]
    emergency_rows = [
        [_text(r.get("name")), _text(r.get("emergency_contact"))]
        for r in residents
        if r.get("emergency_contact")
    ]
    return [
        *section(
            "二、住户信息",
            data_table(RESIDENT_HEADERS, resident_rows, _widths(RESIDENT_WIDTHS_MM),
                       font_name=font_name, center_cols=(1, 5, 6)),
            font_name=font_name,
            min_space=40 * mm,
        ),
        *section(
            "三、车辆信息",
            data_table(VEHICLE_HEADERS, vehicle_rows, _widths(VEHICLE_WIDTHS_MM),
                       font_name=font_name, center_cols=(0,)),
            font_name=font_name,
        ),
        *section(
            "四、紧急联系人",
            data_table(EMERGENCY_HEADERS, emergency_rows, _widths(EMERGENCY_WIDTHS_MM),
                       font_name=font_name),
            font_name=font_name,
        ),
    ]
