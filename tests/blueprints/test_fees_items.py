"""Fee items and tariff versions through their pages: each method, tiers, overlaps, scopes."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, BillLine, FeeItem, Tariff
from frontdesk.services.demo.fees import load_demo_fees
from frontdesk.services.fees.tariffs import TariffBook, tiers_of
from tests import factories
from tests.conftest import count, login

WATER_TIERS = {"tiers-0-upto": "180", "tiers-0-price": "5.00",
               "tiers-1-upto": "260", "tiers-1-price": "7.00",
               "tiers-2-upto": "", "tiers-2-price": "9.00"}


def item_form(**over) -> dict:
    data = {"code": "WYF", "name": "物业费", "method": "area", "cycle_months": "1",
            "due_day": "15", "area_basis": "gross", "meter_kind": "", "tier_mode": "none",
            "vacancy_discount": "0.30", "late_grace_days": "30", "late_daily_rate": "0.0005",
            "late_cap_ratio": "1", "active": "y"}
    data.update(over)
    return data


METHOD_FORMS = {
    "area": item_form(),
    "metered": item_form(code="SF", name="水费", method="metered", meter_kind="water",
                         tier_mode="annual", vacancy_discount="0"),
    "apportioned": item_form(code="GTDF", name="公摊电费", method="apportioned",
                             meter_kind="electricity", vacancy_discount="0"),
    "fixed": item_form(code="LJF", name="垃圾清运费", method="fixed", vacancy_discount="0"),
}


def tariff_form(**over) -> dict:
    data = {"scope": "estate", "building_id": "", "unit_code": "", "valid_from": "2026-01-01",
            "valid_to": "", "price": "2.35", "note": ""}
    data.update(over)
    return data


def make_item(finance, db, method: str = "area", **over) -> FeeItem:
    r = finance.post("/fees/items/new", data={**METHOD_FORMS[method], **over})
    assert r.status_code == 302, r.text[:2000]
    return db.session.scalar(sa.select(FeeItem).order_by(FeeItem.id.desc()).limit(1))


def add(finance, item: FeeItem, **over):
    return finance.post(f"/fees/items/{item.id}/tariffs", data=tariff_form(**over))


# fee items -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["area", "metered", "apportioned", "fixed"])
def test_finance_creates_a_fee_item_of_each_method(finance, db, world, method):
    item = make_item(finance, db, method)
    assert item.method == method and item.estate_id == world.estate.id
    assert item.meter_kind == {"metered": "water", "apportioned": "electricity"}.get(method)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "fee_item"))
    assert event.action == "create" and event.user_name == "finance"
    label = {"area": "按面积", "metered": "按用量", "apportioned": "公摊", "fixed": "定额"}[method]
    page = finance.get("/fees/items").text
    assert item.name in page and label in page and "无现行收费标准" in page


def test_area_item_keeps_its_late_fee_policy_and_vacancy_discount(finance, db, world):
    item = make_item(finance, db, "area")
    assert item.area_basis == "gross" and item.due_day == 15
    assert item.vacancy_discount == Decimal("0.3000")
    assert (item.late_grace_days, item.late_daily_rate, item.late_cap_ratio) == (
        30, Decimal("0.0005"), Decimal("1"))
    page = finance.get(f"/fees/items/{item.id}").text
    assert "建筑面积" in page and "宽限 30 天" in page and "30 %" in page


def test_editing_a_fee_item_is_audited(finance, db, world):
    item = make_item(finance, db, "fixed")
    r = finance.post(f"/fees/items/{item.id}/edit",
                     data={**METHOD_FORMS["fixed"], "name": "生活垃圾清运费", "due_day": "20"})
    assert r.status_code == 302
    db.session.refresh(item)
    assert (item.name, item.due_day) == ("生活垃圾清运费", 20)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "update",
                                                          AuditEvent.object_type == "fee_item"))
    assert event.before == {"name": "垃圾清运费", "due_day": 15}


def test_method_cannot_change_once_the_item_has_been_billed(finance, db, world):
    item = make_item(finance, db, "fixed")
    db.session.add(BillLine(estate_id=world.estate.id, unit_id=world.unit.id,
                            fee_item_id=item.id, period="2026-01", amount=Decimal("10.00"),
                            explanation="10.00", due_date=date(2026, 1, 15)))
    db.session.commit()
    r = finance.post(f"/fees/items/{item.id}/edit",
                     data={**METHOD_FORMS["area"], "code": "LJF", "name": "垃圾清运费"})
    assert r.status_code == 422 and "计费方式不能修改" in r.text
    db.session.refresh(item)
    assert item.method == "fixed"
    # other fields may still change
    r = finance.post(f"/fees/items/{item.id}/edit", data={**METHOD_FORMS["fixed"], "due_day": "10"})
    assert r.status_code == 302


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"code": ""}, "请填写编码"),
        ({"code": "物业"}, "编码只能包含字母和数字"),
        ({"code": "A-1"}, "编码只能包含字母和数字"),
        ({"code": "X" * 17}, "16"),
        ({"name": "x" * 65}, "64"),
        ({"method": "hourly"}, ""),
        ({"due_day": "29"}, "缴费截止日应在 1 到 28 之间"),
        ({"due_day": "abc"}, "不是有效的整数"),
        ({"vacancy_discount": "1.5"}, "空置优惠应在 0 到 1 之间"),
        ({"vacancy_discount": "abc"}, "空置优惠必须是数字"),
        ({"late_grace_days": "400"}, "宽限天数应在 0 到 365 之间"),
        ({"late_daily_rate": "0.02"}, "滞纳金日费率应在 0 到 0.01 之间"),
        ({"late_daily_rate": "0.000001"}, "最多保留 4 位小数"),
        ({"late_cap_ratio": "2"}, "滞纳金上限应在 0 到 1 之间"),
        ({"late_cap_ratio": "-0.1"}, "滞纳金上限应在 0 到 1 之间"),
        ({"tier_mode": "annual"}, "只有按用量收费的项目才能设置阶梯价格"),
        ({"method": "metered", "meter_kind": ""}, "请选择表计类型"),
        ({"method": "fixed", "vacancy_discount": "0.3"}, "只有按面积收费的项目才能设置空置优惠"),
    ],
)
def test_bad_fee_item_input_gets_a_message_and_writes_nothing(finance, db, world, over, message):
    events = count(db, AuditEvent)
    r = finance.post("/fees/items/new", data=item_form(**over))
    assert r.status_code == 422
    assert message in r.text
    assert count(db, FeeItem) == 0 and count(db, AuditEvent) == events


def test_fee_item_code_is_unique_in_the_estate_but_not_across_estates(finance, db, world):
    make_item(finance, db, "area")
    r = finance.post("/fees/items/new", data=item_form(code="wyf", name="另一个"))
    assert "本小区已有编码为 WYF 的收费项目" in r.text
    assert count(db, FeeItem) == 1
    db.session.add(FeeItem(estate_id=world.other_estate.id, code="SF", name="水费",
                           method="metered", meter_kind="water"))
    db.session.commit()
    make_item(finance, db, "metered")
    assert count(db, FeeItem) == 3


def test_html_in_a_name_is_shown_as_text(finance, db, world):
    make_item(finance, db, "fixed", name="<script>alert(1)</script>")
    page = finance.get("/fees/items").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# tariffs ---------------------------------------------------------------------------------------


def test_a_tariff_is_added_shown_and_audited(finance, db, world):
    item = make_item(finance, db, "area")
    r = add(finance, item, valid_from="2025-01-01", note="2025 年标准")
    assert r.status_code == 302
    tariff = db.session.scalar(sa.select(Tariff))
    assert (tariff.scope, tariff.price, tariff.valid_to) == ("estate", Decimal("2.3500"), None)
    assert tariff.created_by_id == world.users["finance"].id
    page = finance.get(f"/fees/items/{item.id}").text
    assert "2025-01-01" in page and "2.3500" in page and "finance测试" in page
    assert "元/m²·月" in page and "现行" in page
    assert "2.3500" in finance.get("/fees/items").text
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "tariff"))


def test_prices_typed_with_full_width_digits_or_commas_are_read(finance, db, world):
    item = make_item(finance, db, "fixed")
    assert add(finance, item, valid_from="2025-01-01", valid_to="2025-12-31",
               price="１０.５").status_code == 302
    assert add(finance, item, valid_from="2026-01-01", price="1,234.5").status_code == 302
    prices = db.session.scalars(sa.select(Tariff.price).order_by(Tariff.valid_from)).all()
    assert prices == [Decimal("10.5"), Decimal("1234.5")]


def test_tiers_are_saved_and_shown(finance, db, world):
    item = make_item(finance, db, "metered")
    r = add(finance, item, price="", **WATER_TIERS)
    assert r.status_code == 302, r.text[:3000]
    tariff = db.session.scalar(sa.select(Tariff))
    assert tariff.tiers == [{"upto": "180", "price": "5"}, {"upto": "260", "price": "7"},
                            {"upto": None, "price": "9"}]
    assert tariff.price == Decimal("5")
    assert [(t.upto, t.price) for t in tiers_of(tariff)] == [
        (Decimal(180), Decimal(5)), (Decimal(260), Decimal(7)), (None, Decimal(9))]
    page = finance.get(f"/fees/items/{item.id}").text
    assert "180 m³ 及以下" in page and "180–260 m³" in page and "260 m³ 以上" in page
    assert "9.0000" in page
    assert "260 m³ 以上: 9.0000" in finance.get("/fees/items").text


def test_overlapping_tariff_is_refused_and_writes_nothing(finance, db, world):
    item = make_item(finance, db, "area")
    assert add(finance, item, valid_from="2026-01-01").status_code == 302
    events = count(db, AuditEvent)
    r = add(finance, item, valid_from="2026-06-01", price="2.80")
    assert r.status_code == 422
    assert "日期与 2026-01-01 – 长期有效 的收费标准（单价 2.3500）重叠" in r.text
    assert 'value="2.80"' in r.text  # the form keeps what was typed
    r = add(finance, item, valid_from="2025-01-01", valid_to="2026-01-01", price="2.80")
    assert r.status_code == 422 and "重叠" in r.text
    assert count(db, Tariff) == 1 and count(db, AuditEvent) == events
    # an earlier version that ends the day before is fine
    assert add(finance, item, valid_from="2025-01-01", valid_to="2025-12-31",
               price="2.10").status_code == 302


def test_ending_a_tariff_lets_the_next_version_start(finance, db, world):
    item = make_item(finance, db, "area")
    add(finance, item, valid_from="2025-01-01")
    first = db.session.scalar(sa.select(Tariff))
    assert "2025-01-01" in finance.get(f"/fees/tariffs/{first.id}/end").text
    r = finance.post(f"/fees/tariffs/{first.id}/end", data={"valid_to": "2024-12-31"})
    assert r.status_code == 422 and "截止日期不能早于生效日期" in r.text
    r = finance.post(f"/fees/tariffs/{first.id}/end", data={"valid_to": "2026-06-30"})
    assert r.status_code == 302
    assert add(finance, item, valid_from="2026-07-01", price="2.80").status_code == 302
    assert TariffBook(world.estate.id, date(2026, 6, 30)).for_unit(
        item.id, world.unit).price == Decimal("2.35")
    assert TariffBook(world.estate.id, date(2026, 7, 1)).for_unit(
        item.id, world.unit).price == Decimal("2.80")
    # the old version cannot be stretched back over the new one
    r = finance.post(f"/fees/tariffs/{first.id}/end", data={"valid_to": "2026-12-31"})
    assert "重叠" in r.text
    db.session.refresh(first)
    assert first.valid_to == date(2026, 6, 30)
    page = finance.get(f"/fees/items/{item.id}").text
    assert page.index("2025-01-01") < page.index("2026-07-01")
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "end")).after == {
        "valid_to": "2026-06-30"}


def test_most_specific_tariff_in_force_wins(finance, db, world):
    item = make_item(finance, db, "area")
    neighbour = factories.unit(world.building, "2", 15, "1501")
    elsewhere = factories.unit(factories.building(world.estate, "5"), "1", 2, "201")
    db.session.commit()
    assert add(finance, item, valid_from="2025-01-01", price="2.35").status_code == 302
    assert add(finance, item, scope="building", building_id=str(world.building.id),
               valid_from="2025-01-01", price="3.10").status_code == 302
    assert add(finance, item, scope="unit", unit_code="3-2-1502", valid_from="2026-01-01",
               price="1.80").status_code == 302
    # a unit tariff of another unit does not clash with this one
    assert add(finance, item, scope="unit", unit_code="3-2-1501", valid_from="2026-01-01",
               price="1.90").status_code == 302
    book = TariffBook(world.estate.id, date(2026, 3, 1))
    assert book.for_unit(item.id, world.unit).price == Decimal("1.80")
    assert book.for_unit(item.id, neighbour).price == Decimal("1.90")
    assert book.for_unit(item.id, elsewhere).price == Decimal("2.35")
    earlier = TariffBook(world.estate.id, date(2025, 6, 1))
    assert earlier.for_unit(item.id, world.unit).price == Decimal("3.10")
    page = finance.get(f"/fees/items/{item.id}").text
    assert "全小区" in page and "3号楼" in page and "3-2-1502" in page


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"price": "abc"}, "单价必须是数字"),
        ({"price": "1e3"}, "单价必须是数字"),
        ({"price": "-1"}, "单价必须大于 0"),
        ({"price": "0"}, "单价必须大于 0"),
        ({"price": ""}, "请填写单价"),
        ({"price": "100000.01"}, "不能超过 100000"),
        ({"price": "99999999999999999999"}, "数值过大"),
        ({"price": "2.35001"}, "最多保留 4 位小数"),
        ({"valid_from": "2026-07-01", "valid_to": "2026-06-30"}, "截止日期不能早于生效日期"),
        ({"valid_from": ""}, "请填写生效日期"),
        ({"valid_from": "2026-02-30"}, "日期"),
        ({"scope": "building", "building_id": ""}, "请选择本小区的楼栋"),
        ({"scope": "building", "building_id": "abc"}, "请选择本小区的楼栋"),
        ({"scope": "unit", "unit_code": "9-9-999"}, "本小区没有房号 9-9-999"),
        ({"scope": "region"}, "请选择适用范围"),
        ({"note": "x" * 201}, "200"),
        ({"tiers-0-upto": "180", "tiers-0-price": "5",
          "tiers-1-upto": "", "tiers-1-price": "9"}, "此收费项目不分阶梯"),
    ],
)
def test_bad_tariff_input_gets_a_message_and_writes_nothing(finance, db, world, over, message):
    item = make_item(finance, db, "area")
    events = count(db, AuditEvent)
    r = add(finance, item, **over)
    assert r.status_code == 422
    assert message in r.text
    assert count(db, Tariff) == 0 and count(db, AuditEvent) == events


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ({"tiers-0-upto": "260", "tiers-0-price": "5", "tiers-1-upto": "180",
          "tiers-1-price": "7", "tiers-2-upto": "", "tiers-2-price": "9"}, "阶梯上限必须递增"),
        ({"tiers-0-upto": "180", "tiers-0-price": "5", "tiers-1-upto": "260",
          "tiers-1-price": "7"}, "最后一个阶梯不能设上限"),
        ({"tiers-0-upto": "", "tiers-0-price": "5", "tiers-1-upto": "",
          "tiers-1-price": "7"}, "第 1 阶梯需要填写上限"),
        ({"tiers-0-upto": "180", "tiers-0-price": "0", "tiers-1-upto": "",
          "tiers-1-price": "7"}, "第 1 阶梯单价必须大于 0"),
        ({"tiers-0-upto": "abc", "tiers-0-price": "5", "tiers-1-upto": "",
          "tiers-1-price": "7"}, "第 1 阶梯上限必须是数字"),
        ({"tiers-0-upto": "-5", "tiers-0-price": "5", "tiers-1-upto": "",
          "tiers-1-price": "7"}, "第 1 阶梯的上限应大于 0"),
        ({"tiers-0-upto": "", "tiers-0-price": "5"}, "阶梯至少需要两行"),
    ],
)
def test_bad_tiers_get_a_message_and_write_nothing(finance, db, world, tiers, message):
    item = make_item(finance, db, "metered")
    r = add(finance, item, price="", **tiers)
    assert r.status_code == 422
    assert message in r.text
    assert count(db, Tariff) == 0


def test_building_of_another_estate_is_refused(finance, db, world):
    item = make_item(finance, db, "area")
    other_building = factories.building(world.other_estate, "7")
    db.session.commit()
    r = add(finance, item, scope="building", building_id=str(other_building.id))
    assert r.status_code == 422 and "请选择本小区的楼栋" in r.text
    assert count(db, Tariff) == 0


def test_another_estates_fee_item_and_tariff_give_404(finance, db, world):
    other = factories.fee_item(world.other_estate, "WYF")
    tariff = factories.tariff(other, "2.00")
    db.session.commit()
    assert finance.get(f"/fees/items/{other.id}").status_code == 404
    assert finance.get(f"/fees/items/{other.id}/edit").status_code == 404
    assert finance.post(f"/fees/items/{other.id}/edit", data=item_form()).status_code == 404
    assert add(finance, other).status_code == 404
    assert finance.post(f"/fees/tariffs/{tariff.id}/end",
                        data={"valid_to": "2026-03-31"}).status_code == 404
    db.session.refresh(tariff)
    assert tariff.valid_to is None and count(db, Tariff) == 1


def test_every_fees_page_gives_404_for_another_estates_ids(app, finance, db, world):
    other = factories.fee_item(world.other_estate, "WYF")
    tariff = factories.tariff(other, "2.00")
    db.session.commit()
    ids = {"fee_item_id": other.id, "tariff_id": tariff.id}
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("fees.") and set(r.arguments) & set(ids)]
    assert len(rules) >= 4
    for rule in rules:
        url = rule.build({a: ids[a] for a in rule.arguments}, append_unknown=False)[1]
        for method in {"GET", "POST"} & rule.methods:
            assert finance.open(url, method=method).status_code == 404, (rule.endpoint, method)


def test_front_desk_reads_fees_but_gets_403_on_the_configure_pages(finance, desk, db, world):
    item = make_item(finance, db, "area")
    add(finance, item)
    tariff = db.session.scalar(sa.select(Tariff))
    assert desk.get("/fees/items").status_code == 200
    page = desk.get(f"/fees/items/{item.id}")
    assert page.status_code == 200 and "新增收费标准版本" not in page.text
    assert desk.get("/fees/items/new").status_code == 403
    assert desk.post("/fees/items/new", data=item_form(code="X")).status_code == 403
    assert desk.get(f"/fees/items/{item.id}/edit").status_code == 403
    assert add(desk, item, valid_from="2030-01-01").status_code == 403
    assert desk.post(f"/fees/tariffs/{tariff.id}/end",
                     data={"valid_to": "2026-12-31"}).status_code == 403
    assert count(db, FeeItem) == 1 and count(db, Tariff) == 1


# demo ------------------------------------------------------------------------------------------


def test_demo_fees_show_each_method_and_a_building_tariff(app, db, world):
    nine = factories.building(world.estate, "9", usage="商业")
    shop = factories.unit(nine, "1", 1, "101")
    db.session.commit()
    items = load_demo_fees(world.users["finance"], world.estate)
    assert {i.method for i in items.values()} == {"area", "metered", "apportioned", "fixed"}
    assert items["WYF"].vacancy_discount == Decimal("0.30")
    book = TariffBook(world.estate.id, date(2026, 11, 1))
    assert book.for_unit(items["WYF"].id, world.unit).price == Decimal("2.35")
    assert book.for_unit(items["WYF"].id, shop).price == Decimal("4.50")
    water = book.for_unit(items["SF"].id, world.unit)
    assert [t.upto for t in tiers_of(water)] == [Decimal(180), Decimal(260), None]
    assert book.for_unit(items["DF"].id, world.unit).tiers is None
    assert book.for_unit(items["LJF"].id, world.unit).price == Decimal("10.00")
    assert load_demo_fees(world.users["finance"], world.estate).keys() == items.keys()
    assert count(db, FeeItem) == 5 and count(db, Tariff) == 6


# concurrency -----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_same_tariff_posted_twice_at_once_is_added_once(app, finance, db, world):
    item = make_item(finance, db, "area")
    clients = []
    for _ in range(2):
        c = app.test_client()
        assert login(c, "finance").status_code == 302
        clients.append(c)
    barrier = threading.Barrier(2)
    codes = []

    def post(c):
        with app.app_context():
            barrier.wait()
            codes.append(add(c, item).status_code)
            db.session.remove()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [302, 422]
    assert count(db, Tariff) == 1
