"""Every printed document takes oversized content: long names, long explanations, many lines.

Each document is fed names of 100+ characters, explanations longer than a page and hundreds of
lines. It must print (no LayoutError), flow onto more pages that repeat who the document is for,
number them 第 N 页 共 M 页 and keep every amount.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from frontdesk.pdf import base
from frontdesk.pdf.arrears import arrears
from frontdesk.pdf.daily_report import daily_report
from frontdesk.pdf.key_count import key_count_report
from frontdesk.pdf.key_custody import custody_pdf
from frontdesk.pdf.key_loan import loan_slip
from frontdesk.pdf.notice import payment_notice
from frontdesk.pdf.receipt import receipt_pdf
from frontdesk.pdf.registration import registration_form
from frontdesk.pdf.statement import statement
from tests.pdf_text import assert_paged, pdf_pages, pdf_reader, squash

D = Decimal
ESTATE = "阳光花园" + "超长的小区名称" * 17
BUILDING = "九号楼" + "非常长的楼栋名称" * 13
PERSON = "欧阳" + "长长的业主姓名" * 17
CODE = "9-1-202"
THREE_TIERS = ("(1,039 − 139) m³，本年已用 19.00 m³，900.00 m³ 阶梯：161.00 × 5.0000 + "
               "80.00 × 7.0000 + 659.00 × 9.0000 = 7,296.00")
#: an explanation taller than a whole page in its column
TALLER_THAN_A_PAGE = "；".join([THREE_TIERS] * 40)
LONG_TEXT = "说明文字很长需要换行" * 30
MANY = 200



def pages_of(pdf: bytes) -> list[str]:
    """Return each page's text with all white space removed."""
    assert pdf.startswith(b"%PDF")
    return [squash(text) for text in pdf_pages(pdf)]


def estate() -> dict[str, str]:
    return {"name": ESTATE, "address": "上海市浦东新区" + "很长的路名" * 40 + "88 号",
            "phone": "021-50001234"}


# --- the documents ---------------------------------------------------------------------------


def notice_unit(code: str, lines: int, tall: bool = True) -> dict[str, Any]:
    rows = [{"item": "水费" + "（阶梯）" * 12, "period": "2026-12",
             "explanation": TALLER_THAN_A_PAGE if i == 0 and tall else THREE_TIERS,
             "amount": D("7296.00"), "paid": D("0.00"), "outstanding": D("7296.00"),
             "late_fee": D("12.50"), "waived": i % 2 == 1} for i in range(lines)]
    total = D("7296.00") * lines
    return {"code": code, "building": BUILDING, "gross_area": D("132.40"), "owner": PERSON,
            "lines": rows, "total_amount": total, "total_paid": D(0),
            "total_outstanding": total, "total_late_fee": D("12.50") * lines,
            "prepaid": D(0), "prepaid_used": D(0), "amount_due": total + D("12.50") * lines,
            "due_date": date(2027, 1, 15), "overdue": False}


def test_notice_of_a_unit_runs_on_with_its_unit_and_owner_on_every_page() -> None:
    pdf = payment_notice({"estate": estate(), "payment_methods": ["现金", "微信"],
                          "period": "2026-12", "notice_date": date(2026, 12, 2),
                          "printed_at": "2026-12-02 10:00", "printed_by": PERSON,
                          "units": [notice_unit(CODE, MANY)]})
    pages = pages_of(pdf)
    assert_paged(pages, CODE, PERSON[:30])
    everything = "".join(pages)
    assert everything.count("7,296.00") >= MANY
    assert "1,459,200.00" in everything  # the total of 200 lines
    assert squash("659.00 × 9.0000 = 7,296.00") in everything
    assert "回执" in pages[-1]


def test_building_notices_number_each_units_pages_on_their_own() -> None:
    pdf = payment_notice({"estate": estate(), "payment_methods": ["现金"], "period": "2026-12",
                          "notice_date": date(2026, 12, 2), "printed_at": "", "printed_by": "",
                          "units": [notice_unit("9-1-101", 60),
                                    notice_unit("9-1-102", 1, tall=False)]})
    pages = pages_of(pdf)
    first = [p for p in pages if "9-1-101" in p]
    last = pages[-1]
    assert len(first) > 1 and len(first) + 1 == len(pages)
    assert all(f"第{n}页共{len(first)}页" in p for n, p in enumerate(first, start=1))
    assert "9-1-102" in last and "第1页共1页" in last and "9-1-101" not in last


def receipt_data(lines: int) -> dict[str, Any]:
    rows = [{"item": "物业费" + "（含公摊）" * 10, "period": f"2026-{i % 12 + 1:02d}",
             "explanation": TALLER_THAN_A_PAGE if i == 0 else THREE_TIERS,
             "due": "7296.00", "amount": "7296.00", "kind": "charge"} for i in range(lines)]
    rows.append({"item": "滞纳金", "period": "2026-01", "explanation": "逾期",
                 "due": "", "amount": "3.15", "kind": "late_fee"})
    return {"estate": estate(), "number": "SJ2026-000123", "issued_at": "2026-12-02 10:00",
            "unit_code": CODE, "payer": PERSON, "method": "现金", "purpose": "物业费",
            "cashier": PERSON, "lines": rows, "total": f"{D('7296.00') * lines + D('3.15'):,.2f}",
            "in_words": "壹佰肆拾伍万玖仟贰佰零叁元壹角伍分", "note": LONG_TEXT,
            "print_no": 2, "reprint": "补打（第 1 次补打）", "voided": False,
            "printed_at": "2026-12-02 10:01", "printed_by": PERSON}


def test_receipt_runs_on_with_number_unit_and_payer_on_every_page() -> None:
    pages = pages_of(receipt_pdf(receipt_data(MANY)))
    assert_paged(pages, "SJ2026-000123", CODE, PERSON[:30])
    everything = "".join(pages)
    assert everything.count("7,296.00") >= 2 * MANY and "1,459,203.15" in everything
    assert "盖章处" in pages[-1]
    assert all("补打" in p for p in pages)


def test_statement_runs_on_with_unit_and_owner_on_every_page() -> None:
    rows = [{"date": date(2026, 1, 1), "kind": "账单", "description": THREE_TIERS,
             "reference": "SJ2026-" + "0" * 40, "charge": D("7296.00"), "credit": None,
             "balance": D("7296.00") * (i + 1)} for i in range(MANY)]
    rows[0]["description"] = TALLER_THAN_A_PAGE
    pdf = statement({"estate": estate(), "printed_at": "2026-12-02 10:00", "printed_by": PERSON,
                     "unit": {"code": CODE, "owner": PERSON, "building": BUILDING,
                              "gross_area": D("132.40")},
                     "start": date(2026, 1, 1), "end": date(2026, 12, 2),
                     "opening_balance": D(0), "total_charges": D("1459200.00"),
                     "total_credits": D(0), "closing_balance": D("1459200.00"),
                     "prepaid_opening": D(0), "prepaid_closing": D(0),
                     "accrued_late_fee": D("12.50"), "accrued_as_of": date(2026, 12, 2),
                     "rows": rows})
    pages = pages_of(pdf)
    assert_paged(pages, CODE, PERSON[:30])
    everything = "".join(pages)
    assert everything.count("7,296.00") >= MANY and "1,459,200.00" in everything


def test_daily_report_runs_on_with_its_day_on_every_page() -> None:
    methods = [{"method": "cash", "name": "现金", "count": MANY, "total": D("1459200.00")}]
    cashiers = [{"id": i, "name": f"{PERSON}{i}", "count": MANY // 2,
                 "total": D("729600.00"), "methods": methods,
                 "payments": [{"time": "2026-12-01 10:00", "receipt_no": f"SJ2026-{n:06d}",
                               "unit_code": f"{BUILDING}-{n}", "method_name": "现金",
                               "purpose_name": "物业费" * 10, "amount": D("7296.00")}
                              for n in range(MANY // 2)]} for i in range(2)]
    voided = [{"time": "2026-12-01 11:00", "receipt_no": "SJ2026-999999", "unit_code": CODE,
               "method_name": "现金", "amount": D("7296.00"), "cashier": PERSON,
               "void_reason": TALLER_THAN_A_PAGE}]
    pdf = daily_report({"estate": estate(), "printed_at": "2026-12-02", "printed_by": PERSON,
                        "mode": "day", "range_text": "2026-12-01", "methods": methods,
                        "cashiers": cashiers, "count": MANY, "total": D("1459200.00"),
                        "voided": voided, "voided_total": D("7296.00")})
    pages = pages_of(pdf)
    assert_paged(pages, "2026-12-01")
    everything = "".join(pages)
    assert everything.count("7,296.00") >= MANY and "1,459,200.00" in everything


def test_arrears_run_on_with_their_date_on_every_page() -> None:
    names = ["未到期", "1–30 天", "31–90 天", "91–180 天", "181–365 天", "一年以上"]
    buckets = [D("7296.00")] * len(names)
    units = [{"code": f"9-1-{n:03d}", "owner": PERSON, "buckets": buckets,
              "total": D("43776.00")} for n in range(MANY)]
    buildings = [{"id": i, "label": f"{BUILDING}{i}", "units": units, "unit_count": MANY,
                  "buckets": [b * MANY for b in buckets], "total": D("8755200.00")}
                 for i in range(2)]
    pdf = arrears({"estate": estate(), "printed_at": "2026-12-02", "printed_by": PERSON,
                   "as_of": date(2026, 12, 2), "bucket_names": names, "buildings": buildings,
                   "buckets": [b * 2 * MANY for b in buckets], "total": D("17510400.00"),
                   "unit_count": 2 * MANY})
    pages = pages_of(pdf)
    assert_paged(pages, "2026-12-02")
    everything = "".join(pages)
    assert everything.count("7,296.00") >= MANY and "17,510,400.00" in everything


def test_registration_form_runs_on_with_its_unit_on_every_page() -> None:
    residents = [{"name": f"{PERSON}{i}", "role": "家属", "phone": "13812345678",
                  "id_type": "居民身份证", "id_number": "110101199001011234",
                  "since": date(2024, 5, 1), "primary": i == 0,
                  "emergency_contact": LONG_TEXT} for i in range(MANY)]
    pdf = registration_form({"estate": estate(), "document_no": "DJ-" + "9" * 60,
                             "printed_at": "2026-12-02", "printed_by": PERSON,
                             "unit": {"code": CODE, "building": BUILDING, "entrance": "1",
                                      "floor": 2, "gross_area": D("132.40"),
                                      "usage": "住宅", "status": "已入住"},
                             "residents": residents,
                             "vehicles": [{"plate": "沪A12345", "owner": PERSON}] * MANY})
    pages = pages_of(pdf)
    assert_paged(pages, CODE)
    assert "".join(pages).count("110101199001011234") == MANY


def test_key_custody_runs_on_with_its_key_and_depositor_on_every_page() -> None:
    pdf = custody_pdf({"estate": estate(), "document_no": "TG000001", "tag": "K-0001",
                       "unit_code": CODE, "area": "", "kind": "入户门", "copies": 2,
                       "cabinet": "A" * 80, "slot": "12", "depositor": PERSON,
                       "depositor_phone": "138****5678", "deposited_at": "2026-12-01 10:00",
                       "received_by": PERSON,
                       "deposit": {"amount": "7296.00", "in_words": "柒仟贰佰玖拾陆元整",
                                   "receipt_number": "SJ2026-000001", "voided": False},
                       "authorised": [{"name": f"{PERSON}{i}", "phone": "138****5678",
                                       "id_tail": "1234", "valid_until": "2027-12-31"}
                                      for i in range(MANY)],
                       "note": TALLER_THAN_A_PAGE, "ended_at": "",
                       "printed_at": "2026-12-02", "printed_by": PERSON})
    pages = pages_of(pdf)
    assert_paged(pages, "K-0001", CODE)
    assert "7296.00" in pages[0]


def test_key_loan_slip_runs_on_with_its_number_and_borrower_on_every_page() -> None:
    pdf = loan_slip({"estate": estate(), "number": "JY000001",
                     "key": {"tag": "K-0001", "kind": "入户门", "copies": 1, "unit_code": CODE,
                             "area": "", "cabinet": "A", "slot": "1"},
                     "borrower": {"name": PERSON, "phone": "138****5678", "id_tail": "1234",
                                  "kind": "authorised"},
                     "proxy": {"name": PERSON, "phone": "139****0000", "id_tail": "9999"},
                     "purpose": TALLER_THAN_A_PAGE, "lent_at": "2026-12-01 10:00",
                     "expected_return_at": "2026-12-01 18:00", "lent_by": PERSON,
                     "approval": {"by": PERSON, "reason": TALLER_THAN_A_PAGE},
                     "returned_at": "", "return_condition": "", "returned_to": "",
                     "print_no": 1, "reprint": "", "printed_at": "2026-12-02",
                     "printed_by": PERSON})
    pages = pages_of(pdf)
    assert_paged(pages, "JY000001", "K-0001", PERSON[:20])


def test_key_count_report_runs_on_with_its_count_on_every_page() -> None:
    rows = [{"tag": f"K-{i:04d}", "place": f"{BUILDING}-{i}", "kind": "入户门",
             "cabinet": "A", "slot": str(i), "copies": 2, "expected_status": "on_loan",
             "note": LONG_TEXT, "borrower": PERSON, "lent_at": "2026-12-01 10:00",
             "expected_return_at": "2026-12-01 18:00", "returned_at": "", "overdue": True}
            for i in range(MANY)]
    groups = [{"code": code, "rows": rows, "keys": MANY, "copies": 2 * MANY}
              for code in ("cabinet_found", "on_loan", "discrepancy")]
    pdf = key_count_report({"estate": estate(), "count_id": 1,
                            "started_at": "2026-12-01 09:00", "finished_at": "",
                            "started_by": PERSON, "note": TALLER_THAN_A_PAGE, "items": MANY,
                            "groups": groups, "printed_at": "2026-12-02",
                            "printed_by": PERSON})
    pages = pages_of(pdf)
    assert_paged(pages, "PD-000001")
    assert "K-0199" in pages[-1] or "K-0199" in "".join(pages[-3:])


# --- the shared parts ------------------------------------------------------------------------


def money_x(pdf: bytes, page: int = 0) -> dict[str, list[float]]:
    """Return where each piece of text starts on a page (x in points)."""
    found: dict[str, list[float]] = {}

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            found.setdefault(text.strip(), []).append(tm[4] * cm[0] + cm[4])

    pdf_reader(pdf).pages[page].extract_text(visitor_text=visit)
    return found


def test_money_columns_are_right_aligned() -> None:
    """A long amount starts further left than a short one in the same column."""
    data = receipt_data(3)
    data.update(payer="张三", cashier="王五", note="")
    data["lines"][0].update(explanation=THREE_TIERS, due="1234567.80", amount="1234567.80")
    xs = money_x(receipt_pdf(data))
    # 应收 and 实收 of the long amount, and of the short ones (not the explanation's)
    long = sorted(set(xs["1,234,567.80"]))
    short = sorted({x for x in xs["7,296.00"] if x > base.CONTENT_WIDTH / 2})
    assert len(long) == len(short) == 2
    assert all(x < y - 10 for x, y in zip(long, short, strict=True))


def test_letterhead_text_never_runs_off_the_page() -> None:
    """A name too long for a line wraps and shrinks; past two lines it is cut with …."""
    font = base.register_fonts()
    size, lines = base.fit_lines(ESTATE * 3, font, 15, 300, max_lines=2, min_size=7)
    assert len(lines) == 2 and lines[-1].endswith(base.ELLIPSIS) and size == 7
    assert all(base.pdfmetrics.stringWidth(line, font, size) <= 300 for line in lines)
    size, lines = base.fit_lines("示例花园", font, 15, 300, max_lines=2)
    assert (size, lines) == (15, ("示例花园",))


@pytest.mark.parametrize("font_fallback", [False, True])
def test_oversized_notice_prints_with_either_font(monkeypatch, tmp_path, font_fallback) -> None:
    """The CID fallback font lays out oversized content as well."""
    font_path = None
    if font_fallback:
        monkeypatch.setattr(base, "DEFAULT_FONT_CANDIDATES", ())
        font_path = str(tmp_path / "missing.ttc")
    pdf = payment_notice({"estate": estate(), "payment_methods": ["现金"], "period": "2026-12",
                          "notice_date": date(2026, 12, 2), "printed_at": "", "printed_by": "",
                          "units": [notice_unit(CODE, 30)]}, font_path=font_path)
    assert_paged(pages_of(pdf), CODE)
