"""Tests for the resident registration form and the shared PDF parts it is built on."""

import logging
import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from frontdesk.pdf import base
from frontdesk.pdf.registration import registration_form
from tests.pdf_text import pdf_pages, squash

SCRIPT_NAME = "<script>alert(1)</script>"
SQL_NAME = "' OR 1=1 --"


def _data(residents: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return a unit's registration data as the views would pass it."""
    if residents is None:
        residents = [
            {
                "name": "张三",
                "role": "业主",
                "phone": "13812345678",
                "id_type": "居民身份证",
                "id_number": "110101199001011234",
                "since": date(2024, 5, 1),
                "primary": True,
                "emergency_contact": "李四 13900000000",
            },
            {
                "name": SCRIPT_NAME,
                "role": "家属",
                "phone": "138****5678",
                "id_type": "护照",
                "id_number": "E1234****",
                "since": "2024-06-01",
                "primary": False,
            },
            {
                "name": SQL_NAME,
                "role": "租户",
                "phone": "13700000000",
                "id_type": "港澳居民来往内地通行证",
                "id_number": "H12345678901",
                "since": date(2025, 1, 15),
                "primary": False,
                "emergency_contact": "Tom & Jerry 020-12345678",
            },
        ]
    return {
        "estate": {
            "name": "示例花园",
            "address": "北京市朝阳区示例路88号",
            "phone": "010-88886666",
        },
        "unit": {
            "code": "3-2-1502",
            "building": "3号楼",
            "entrance": "2",
            "floor": 15,
            "room": "1502",
            "gross_area": Decimal("89.50"),
            "inner_area": Decimal("72.30"),
            "usage": "住宅",
            "status": "已入住",
        },
        "residents": residents,
        "vehicles": [{"plate": "京A12345", "owner": "张三"}],
        "printed_at": "2026-11-24 09:30",
        "printed_by": "前台 王五",
        "document_no": "DJ-20261124-0001",
    }


def _pages_text(pdf: bytes) -> list[str]:
    """Return each page's text with all whitespace removed."""
    return [squash(text) for text in pdf_pages(pdf)]


def _pdffonts(pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """Run pdffonts on the PDF and return one dict per font line."""
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    fonts = []
    for line in out[2:]:
        cols = line.split()
        fonts.append({"name": cols[0], "emb": cols[-5], "sub": cols[-4], "uni": cols[-3]})
    return fonts


def test_form_prints_unit_residents_and_signatures() -> None:
    """The form carries the title, unit, areas, residents as given, and the signature lines."""
    pdf = registration_form(_data())
    assert pdf.startswith(b"%PDF")
    pages = _pages_text(pdf)
    assert len(pages) == 1
    text = pages[0]
    for expected in [
        "示例花园",
        "住户信息登记表",
        "DJ-20261124-0001",
        "房屋信息",
        "3-2-1502",
        "3号楼",
        "89.50m²",
        "72.30m²",
        "住宅",
        "已入住",
        "住户信息",
        "证件号码",
        "张三",
        "13812345678",
        "138****5678",
        "110101199001011234",
        "2024-05-01",
        "✓",
        squash(SCRIPT_NAME),
        squash(SQL_NAME),
        "车辆信息",
        "京A12345",
        "紧急联系人",
        "李四13900000000",
        "Tom&Jerry020-12345678",
        "本人确认以上信息真实有效",
        "业主签字：",
        "经办人：",
        "日期：",
        "第1页",
        "2026-11-24",
        "前台王五",
    ]:
        assert expected in text, expected
    assert "&lt;" not in text and "&amp;" not in text


def test_empty_sections_print_none() -> None:
    """A unit with no residents or vehicles still prints, with 无 in the empty lists."""
    data = _data(residents=[])
    data["vehicles"] = []
    text = _pages_text(registration_form(data))[0]
    assert "住户信息登记表" in text and text.count("无") >= 3


def test_long_resident_list_flows_onto_more_pages() -> None:
    """Sixty residents run past page one, the header row repeats and none is lost."""
    residents = [
        {
            "name": f"住户{i:02d}",
            "role": "家属",
            "phone": f"139{i:08d}",
            "id_type": "居民身份证",
            "id_number": f"11010119900101{i:04d}",
            "since": date(2024, 5, 1),
        }
        for i in range(60)
    ]
    pages = _pages_text(registration_form(_data(residents)))
    assert len(pages) >= 2
    assert "证件号码" in pages[1] and "入住日期" in pages[1]
    assert "住户信息登记表" in pages[1] and "第2页" in pages[1]
    everything = "".join(pages)
    assert all(f"住户{i:02d}" in everything for i in range(60))
    assert "业主签字：" in pages[-1]


def test_font_is_embedded(tmp_path: Path) -> None:
    """With the WenQuanYi font installed every font in the PDF is embedded."""
    if not os.path.isfile(base.DEFAULT_FONT_PATH):
        pytest.skip(f"{base.DEFAULT_FONT_PATH} (fonts-wqy-microhei) is not installed")
    fonts = _pdffonts(registration_form(_data()), tmp_path)
    assert fonts
    assert any("WenQuanYi" in f["name"] for f in fonts)
    assert all(f["emb"] == "yes" for f in fonts), fonts


def test_missing_font_falls_back_with_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without any TrueType CJK font the CID font is used, a warning is logged, and it renders."""
    monkeypatch.setattr(base, "DEFAULT_FONT_CANDIDATES", ())
    missing = str(tmp_path / "no-such-font.ttc")
    with caplog.at_level(logging.WARNING, logger="frontdesk.pdf.base"):
        pdf = registration_form(_data(), font_path=missing)
    assert pdf.startswith(b"%PDF")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any(base.CID_FONT_NAME in r.getMessage() for r in warnings)
    assert base.register_fonts(missing) == base.CID_FONT_NAME
    text = _pages_text(pdf)[0]
    assert "住户信息登记表" in text and "3-2-1502" in text
    if shutil.which("pdffonts"):
        fonts = _pdffonts(pdf, tmp_path)
        assert [f["name"] for f in fonts] == [base.CID_FONT_NAME]


def test_register_fonts_is_idempotent() -> None:
    """Registering twice gives the same font name and styles built on it."""
    first = base.register_fonts()
    assert base.register_fonts() == first
    assert base.make_styles(first).body.fontName == first


def test_para_escapes_markup() -> None:
    """Plain text with markup characters is shown literally, not parsed."""
    style = base.make_styles(base.register_fonts()).body
    paragraph = base.para("<b>A & B</b>\nnext", style)
    assert paragraph.text == "&lt;b&gt;A &amp; B&lt;/b&gt;<br/>next"


def test_base_parts_render() -> None:
    """kv_table, data_table and signature_block lay out on a letterhead page."""
    font = base.register_fonts()
    letterhead = base.Letterhead(estate_name="示例花园", title="测试单据", printed_at="今天")
    pdf = base.render(
        [
            base.kv_table([("甲", "1"), ("乙", "2"), ("丙", "3")], cols=2, font_name=font),
            base.data_table(["列一", "列二"], [], [100, 100], font_name=font),
            base.signature_block(["收款人", "交款人"], font_name=font),
        ],
        letterhead,
    )
    text = _pages_text(pdf)[0]
    for expected in ["示例花园", "测试单据", "甲", "丙", "无", "收款人：", "交款人：", "第1页"]:
        assert expected in text, expected
