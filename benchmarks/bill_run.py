"""Time posting one period's bills for a large estate, against a plain executemany of as many lines.

Usage: python benchmarks/bill_run.py [--units 10000] [--profile]
Builds a fresh SQLite database in a temporary folder (migrated with `flask db upgrade`), an estate
of 100-unit buildings with four fee items (area, tiered water, tiered electricity, a shared
electricity meter per building apportioned by area) and six months of readings, posts one period
with post_bill_run and prints a last line
`bill_run units=N lines=N seconds=S raw_insert_seconds=R ratio=S/R peak_mb=M`, where R is the
time to insert the same bill lines into a scratch copy of the table (same columns, indexes and
foreign keys, checked as on the app's connections) with a plain DB-API `executemany` on a
sqlite3 connection, and M the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import resource
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

PERIOD = "2026-06"
MONTHS = [f"2026-{m:02d}" for m in range(1, 7)]
PER_BUILDING = 100
WATER_TIERS = [{"upto": "180", "price": "5.00"}, {"upto": "260", "price": "7.00"},
               {"upto": None, "price": "9.00"}]
POWER_TIERS = [{"upto": "200", "price": "0.60"}, {"upto": "400", "price": "0.65"},
               {"upto": None, "price": "0.90"}]
AREAS = [Decimal(a) for a in ("89.50", "96.32", "112.08", "128.75", "143.60", "72.30")]


def build(n_units: int) -> int:
    """Create the estate, its units, fee items, tariffs, meters and readings; return its id."""
    from frontdesk.extensions import db
    from frontdesk.models import (
        Building,
        Estate,
        FeeItem,
        Meter,
        MeterReading,
        Tariff,
        Unit,
    )

    rnd = random.Random(20261124)
    s = db.session
    estate = Estate(name="基准花园")
    s.add(estate)
    s.flush()
    n_buildings = (n_units + PER_BUILDING - 1) // PER_BUILDING
    buildings = [Building(estate_id=estate.id, number=str(b + 1), name=f"{b + 1}号楼",
                          floors=25, sort_key=str(b + 1).zfill(8)) for b in range(n_buildings)]
    s.add_all(buildings)
    s.flush()
    unit_rows = []
    for i in range(n_units):
        b = buildings[i // PER_BUILDING]
        area = AREAS[i % len(AREAS)]
        k = i % PER_BUILDING
        entrance, floor, room = str(k // 50 + 1), k % 50 // 2 + 1, k % 2 + 1
        handover = date(2024, 5, 1) if i % 37 else date(2026, 6, 16)  # some mid-month
        unit_rows.append({
            "estate_id": estate.id, "building_id": b.id, "entrance": entrance, "floor": floor,
            "room": f"{floor}{room:02d}", "code": f"{b.number}-{entrance}-{floor}{room:02d}",
            "gross_area": area, "inner_area": (area * 8 / 10).quantize(Decimal("0.01")),
            "usage": "住宅", "status": "空置" if i % 23 == 0 else "已入住",
            "handover_date": handover})
    s.execute(sa.insert(Unit), unit_rows)
    items = {}
    for code, name, method, kind, mode in (
            ("WY", "物业费", "area", None, "none"), ("SF", "水费", "metered", "water", "annual"),
            ("DF", "电费", "metered", "electricity", "period"),
            ("GT", "公摊电费", "apportioned", "electricity", "none")):
        items[code] = FeeItem(estate_id=estate.id, code=code, name=name, method=method,
                              meter_kind=kind, tier_mode=mode, vacancy_discount=Decimal("0.3"))
    s.add_all(items.values())
    s.flush()
    for code, price, tiers in (("WY", "2.35", None), ("SF", "5.00", WATER_TIERS),
                               ("DF", "0.60", POWER_TIERS), ("GT", "0.80", None)):
        s.add(Tariff(estate_id=estate.id, fee_item_id=items[code].id, scope="estate",
                     valid_from=date(2026, 1, 1), price=Decimal(price), tiers=tiers))
    units = s.execute(sa.select(Unit.id, Unit.building_id).where(
        Unit.estate_id == estate.id).order_by(Unit.id)).all()
    meter_rows = []
    for uid, _bid in units:
        for kind in ("water", "electricity"):
            meter_rows.append({"estate_id": estate.id, "unit_id": uid, "building_id": None,
                               "kind": kind, "number": f"{kind[0].upper()}{uid}",
                               "multiplier": Decimal(1), "max_value": Decimal(99999),
                               "shared": False, "apportion_basis": "area", "fee_item_id": None,
                               "active": True})
    for b in buildings:
        meter_rows.append({"estate_id": estate.id, "unit_id": None, "building_id": b.id,
                           "kind": "electricity", "number": f"GT{b.number}",
                           "multiplier": Decimal(1), "max_value": Decimal(9999999),
                           "shared": True, "apportion_basis": "area",
                           "fee_item_id": items["GT"].id, "active": True})
    s.execute(sa.insert(Meter), meter_rows)
    meters = s.execute(sa.select(Meter.id, Meter.kind, Meter.shared, Meter.building_id).where(
        Meter.estate_id == estate.id)).all()
    approved = datetime(2026, 7, 2, tzinfo=UTC)
    per_building_use: dict[int, Decimal] = {}
    unit_building = dict(units)
    unit_of_meter = dict(s.execute(sa.select(Meter.id, Meter.unit_id).where(
        Meter.estate_id == estate.id)).all())
    reading_rows = []
    for mid, kind, shared, _ in meters:
        if shared:
            continue
        value = Decimal(rnd.randint(100, 5000))
        for month in MONTHS:
            used = Decimal(rnd.randint(5, 45) if kind == "water" else rnd.randint(80, 480))
            previous, value = value, value + used
            reading_rows.append({"estate_id": estate.id, "meter_id": mid, "period": month,
                                 "value": value, "previous_value": previous,
                                 "consumption": used, "kind": "normal", "flagged": False,
                                 "entered_at": approved})
            if month == PERIOD and kind == "electricity":
                bid = unit_building[unit_of_meter[mid]]
                per_building_use[bid] = per_building_use.get(bid, Decimal(0)) + used
    for mid, _kind, shared, bid in meters:
        if shared:
            used = per_building_use.get(bid, Decimal(0)) + Decimal(rnd.randint(1500, 3000))
            reading_rows.append({"estate_id": estate.id, "meter_id": mid, "period": PERIOD,
                                 "value": used, "previous_value": Decimal(0),
                                 "consumption": used, "kind": "normal", "flagged": False,
                                 "entered_at": approved, "approved_at": approved})
    s.execute(sa.insert(MeterReading), [r for r in reading_rows if "approved_at" not in r])
    s.execute(sa.insert(MeterReading), [r for r in reading_rows if "approved_at" in r])
    s.commit()
    return estate.id


def raw_insert_seconds(db_path: str) -> tuple[float, int]:
    """Copy bill_line's schema to a scratch table and time a plain executemany of its rows."""
    conn = sqlite3.connect(db_path)
    # the same settings as the app's connections: the table's foreign keys are checked
    conn.execute("PRAGMA foreign_keys=ON")
    try:
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE type='table' "
                           "AND name='bill_line'").fetchone()[0]
        conn.execute(ddl.replace("bill_line", "bill_line_scratch", 1)
                     .replace('"bill_line"', '"bill_line_scratch"', 1))
        for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type='index' "
                                   "AND tbl_name='bill_line' AND sql IS NOT NULL").fetchall():
            name = sql.split(" ON ")[0].split()[-1]
            conn.execute(sql.replace(name, name + "_scratch", 1)
                         .replace(" ON bill_line ", " ON bill_line_scratch ")
                         .replace(' ON "bill_line" ', ' ON bill_line_scratch '))
        conn.commit()
        columns = [r[1] for r in conn.execute("PRAGMA table_info(bill_line)") if r[1] != "id"]
        rows = conn.execute(f"SELECT {', '.join(columns)} FROM bill_line").fetchall()
        sql = (f"INSERT INTO bill_line_scratch ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        start = time.perf_counter()
        conn.executemany(sql, rows)
        conn.commit()
        return time.perf_counter() - start, len(rows)
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=10000)
    parser.add_argument("--profile", action="store_true", help="Print the top of a cProfile.")
    args = parser.parse_args()

    from flask_babel import force_locale
    from flask_migrate import upgrade

    from frontdesk import create_app
    from frontdesk.extensions import db
    from frontdesk.models import BillLine, Estate
    from frontdesk.services.fees import billing

    with tempfile.TemporaryDirectory() as tmp:
        db_path = f"{tmp}/bench.sqlite"
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
        with app.app_context(), force_locale("zh_CN"):
            upgrade()
            start = time.perf_counter()
            estate_id = build(args.units)
            print(f"setup units={args.units} seconds={time.perf_counter() - start:.2f}")
            db.session.expunge_all()
            estate = db.session.get(Estate, estate_id)
            profiler = cProfile.Profile() if args.profile else None
            start = time.perf_counter()
            if profiler:
                profiler.enable()
            run = billing.post_bill_run(None, estate, PERIOD, today=date(2026, 6, 30))
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - start
            lines = db.session.scalar(sa.select(sa.func.count(BillLine.id)))
            assert lines == run.lines
            db.session.remove()
            db.engine.dispose()
        raw, raw_rows = raw_insert_seconds(db_path)
        assert raw_rows == lines
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"bill_run units={args.units} lines={lines} seconds={seconds:.2f} "
              f"raw_insert_seconds={raw:.2f} ratio={seconds / raw:.1f} peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
