"""Demo fee items and tariffs: what a typical Shanghai residential estate charges."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Building, Estate, FeeItem, User
from frontdesk.services import transactional
from frontdesk.services.fees.items import stage_fee_item, stage_tariff

#: the day the demo tariffs start
DEMO_TARIFF_START = date(2025, 1, 1)

#: code, fields of the fee item, estate-wide price, tiers
DEMO_FEES = [
    ("WYF", {"name": "物业费", "method": "area", "area_basis": "gross", "due_day": 15,
             "late_grace_days": 30, "late_daily_rate": "0.0005", "late_cap_ratio": "1",
             "vacancy_discount": "0.30"}, "2.35", None),
    ("SF", {"name": "水费", "method": "metered", "meter_kind": "water", "tier_mode": "annual",
            "due_day": 15, "late_grace_days": 30, "late_daily_rate": "0.0005"}, "5.00",
     [{"upto": "180", "price": "5.00"}, {"upto": "260", "price": "7.00"},
      {"upto": None, "price": "9.00"}]),
    ("DF", {"name": "电费", "method": "metered", "meter_kind": "electricity", "tier_mode": "none",
            "due_day": 15, "late_grace_days": 30, "late_daily_rate": "0.0005"}, "0.6170", None),
    ("GTDF", {"name": "公摊电费", "method": "apportioned", "meter_kind": "electricity",
              "due_day": 15}, "0.6170", None),
    ("LJF", {"name": "垃圾清运费", "method": "fixed", "due_day": 15}, "10.00", None),
]


@transactional
def load_demo_fees(actor: User | None, estate: Estate) -> dict[str, FeeItem]:
    """Create the demo fee items and tariffs of an estate; return them by code.

    Building 9 (商业) gets its own 物业费 of 4.50 to show that the most specific tariff wins.
    Nothing is created when the estate already has fee items.
    """
    existing = list(db.session.scalars(sa.select(FeeItem).where(FeeItem.estate_id == estate.id)))
    if existing:
        return {item.code: item for item in existing}
    items: dict[str, FeeItem] = {}
    for code, fields, price, tiers in DEMO_FEES:
        item = stage_fee_item(actor, estate, {"code": code, "cycle_months": 1, **fields})
        stage_tariff(actor, item, {"scope": "estate", "valid_from": DEMO_TARIFF_START,
                                  "price": price, "tiers": tiers})
        items[code] = item
    building = db.session.scalar(sa.select(Building).where(Building.estate_id == estate.id,
                                                           Building.number == "9"))
    if building is not None:
        stage_tariff(actor, items["WYF"], {
            "scope": "building", "building_id": building.id, "valid_from": DEMO_TARIFF_START,
            "price": "4.50", "note": "商业楼栋物业费"})
    return items
