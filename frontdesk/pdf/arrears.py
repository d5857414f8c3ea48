"""The 欠费明细 (arrears by building): open amounts per unit by age past the due date."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from frontdesk.money import amount_in_words, format_money
from frontdesk.pdf.base import (
    CONTENT_WIDTH,
    kv_table,
    register_fonts,
    render,
    section,
    signature_block,
)
from frontdesk.pdf.daily_report import figure_table, letterhead_for

TITLE = "欠费明细"
SIGNATURE_LABELS = ["制表", "财务审核"]
_CHINESE_NUMERALS = "一二三四五六七八九十"


def _heading_number(n: int) -> str:
    """Number a section 一, 二 … 十, then in digits."""
    return _CHINESE_NUMERALS[n - 1] if 1 <= n <= len(_CHINESE_NUMERALS) else str(n)


def arrears(data: Mapping[str, Any], *, font_path: str | None = None) -> bytes:
    """Render arrears by building, one section per building with its totals, as PDF bytes."""
    font_name = register_fonts(font_path)
    names: Sequence[str] = data["bucket_names"]
    buildings: Sequence[Mapping[str, Any]] = data["buildings"]
    figures = len(names) + 1

    head = kv_table(
        [
            ("截至日期", data["as_of"].isoformat()),
            ("欠费户数", f"{data['unit_count']} 户"),
            ("欠费合计", f"¥{format_money(data['total'])}"),
            ("合计（大写）", amount_in_words(data["total"])),
        ],
        2, font_name=font_name, label_width=24 * mm,
    )

    label_width = 28 * mm
    figure_width = (CONTENT_WIDTH - label_width - 16 * mm) / figures
    summary_rows = [
        [b["label"], str(b["unit_count"]), *[format_money(v) for v in b["buckets"]],
         format_money(b["total"])]
        for b in buildings
    ]
    if buildings:
        summary_rows.append(["合计", str(data["unit_count"]),
                             *[format_money(v) for v in data["buckets"]],
                             format_money(data["total"])])
    summary = figure_table(
        ["楼栋", "户数", *names, "合计"], summary_rows,
        [label_width, 16 * mm] + [figure_width] * figures,
        font_name=font_name, right_cols=range(2, figures + 2), center_cols=(1,), wrap_cols=(0,),
        total_rows=1, empty_text="截至该日无欠费",
    )
    story: list[Flowable] = [head, *section("一、各楼栋汇总", summary, font_name=font_name)]

    code_width, owner_width = 26 * mm, 34 * mm
    unit_figure = (CONTENT_WIDTH - code_width - owner_width) / figures
    for n, building in enumerate(buildings, start=2):
        rows = [[u["code"], u["owner"], *[format_money(v) for v in u["buckets"]],
                 format_money(u["total"])]
                for u in building["units"]]
        rows.append(["小计", f"{building['unit_count']} 户",
                     *[format_money(v) for v in building["buckets"]],
                     format_money(building["total"])])
        table = figure_table(
            ["房号", "业主", *names, "合计"], rows,
            [code_width, owner_width] + [unit_figure] * figures,
            font_name=font_name, right_cols=range(2, figures + 2), wrap_cols=(1,), total_rows=1,
        )
        story += section(f"{_heading_number(n)}、{building['label']}", table,
                         font_name=font_name, min_space=35 * mm)
    story.append(KeepTogether([Spacer(1, 8 * mm),
                               signature_block(SIGNATURE_LABELS, font_name=font_name)]))
    head = f"{TITLE}　截至日期：{data['as_of'].isoformat()}"
    return render(story, letterhead_for(data, TITLE, head), font_path=font_path)
