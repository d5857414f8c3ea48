"""Time posting one period's bills for a large estate, against a plain executemany of as many lines.

Usage: python benchmarks/bill_run.py [--units 10000] [--profile]
       [--backend sqlite|postgres] [--database-url URL]

Builds an estate of 100-unit buildings with four fee items (area, tiered water, tiered
electricity, a shared electricity meter per building apportioned by area) and six months of
readings, posts one period with post_bill_run and prints a last line
`bill_run units=N lines=N seconds=S raw_insert_seconds=R ratio=S/R peak_mb=M`.

- The database: with ``--backend sqlite`` (the default) a fresh file in a temporary folder; with
  ``--backend postgres`` the database of ``--database-url`` (default ``bench_billrun`` on the
  local server), dropped if it exists, created, and dropped again at the end, so name one that
  nobody else uses. Either way the schema comes from ``flask db upgrade``. On PostgreSQL the data
  is ANALYZEd after it is built, as autovacuum would have done on a live installation.
- S: the seconds of post_bill_run alone (the data is built beforehand, with bulk inserts).
- R: the seconds to insert the same bill lines into a scratch copy of ``bill_line`` (same columns,
  indexes and foreign keys) with a plain DB-API ``executemany``: sqlite3 on SQLite, psycopg on
  PostgreSQL, committed.
- ``--profile`` prints a cProfile of the post's own thread; the lines are written by a worker
  thread of the post (an executemany or a COPY per chunk), which it does not show.
- M: the peak resident memory, in MB, of the process that posts. The data is built and migrated
  in a separate process, so M is the app's own footprint (imports, an app context) plus what the
  post needs at its peak; the line above the last says how much of it was there before the post.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import multiprocessing
import os
import pstats
import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

# this tree's frontdesk, whichever checkout the environment's editable install points at
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PERIOD = "2026-06"
MONTHS = [f"2026-{m:02d}" for m in range(1, 7)]
PER_BUILDING = 100
WATER_TIERS = [{"upto": "180", "price": "5.00"}, {"upto": "260", "price": "7.00"},
               {"upto": None, "price": "9.00"}]
POWER_TIERS = [{"upto": "200", "price": "0.60"}, {"upto": "400", "price": "0.65"},
               {"upto": None, "price": "0.90"}]
AREAS = [Decimal(a) for a in ("89.50", "96.32", "112.08", "128.75", "143.60", "72.30")]
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_billrun"
#: databases the benchmark never creates or drops
PROTECTED = {"postgres", "template0", "template1", "test"}
BATCH = 20000


def _bulk(table, rows) -> None:
    """Insert dict rows in batches: COPY on PostgreSQL, an executemany on SQLite."""
    from frontdesk.extensions import db

    conn = db.session.connection()
    rows = iter(rows)
    while batch := list(itertools.islice(rows, BATCH)):
        if conn.dialect.name != "postgresql":
            conn.execute(sa.insert(table), batch)
            continue
        keys = list(batch[0])
        columns = ", ".join(f'"{k}"' for k in keys)
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(
                f'COPY "{table.__tablename__}" ({columns}) FROM STDIN') as copy:
            for row in batch:
                copy.write_row([row[k] for k in keys])


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

    def unit_rows():
        for i in range(n_units):
            b = buildings[i // PER_BUILDING]
            area = AREAS[i % len(AREAS)]
            k = i % PER_BUILDING
            entrance, floor, room = str(k // 50 + 1), k % 50 // 2 + 1, k % 2 + 1
            handover = date(2024, 5, 1) if i % 37 else date(2026, 6, 16)  # some mid-month
            yield {
                "estate_id": estate.id, "building_id": b.id, "entrance": entrance,
                "floor": floor, "room": f"{floor}{room:02d}",
                "code": f"{b.number}-{entrance}-{floor}{room:02d}",
                "gross_area": area, "inner_area": (area * 8 / 10).quantize(Decimal("0.01")),
                "usage": "住宅", "status": "空置" if i % 23 == 0 else "已入住",
                "handover_date": handover}

    _bulk(Unit, unit_rows())
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
    s.flush()
    units = s.execute(sa.select(Unit.id, Unit.building_id).where(
        Unit.estate_id == estate.id).order_by(Unit.id)).all()

    def meter_rows():
        for uid, _bid in units:
            for kind in ("water", "electricity"):
                yield {"estate_id": estate.id, "unit_id": uid, "building_id": None,
                       "kind": kind, "number": f"{kind[0].upper()}{uid}",
                       "multiplier": Decimal(1), "max_value": Decimal(99999),
                       "shared": False, "apportion_basis": "area", "fee_item_id": None,
                       "active": True}
        for b in buildings:
            yield {"estate_id": estate.id, "unit_id": None, "building_id": b.id,
                   "kind": "electricity", "number": f"GT{b.number}",
                   "multiplier": Decimal(1), "max_value": Decimal(9999999),
                   "shared": True, "apportion_basis": "area",
                   "fee_item_id": items["GT"].id, "active": True}

    _bulk(Meter, meter_rows())
    meters = s.execute(sa.select(Meter.id, Meter.kind, Meter.shared, Meter.building_id,
                                 Meter.unit_id).where(Meter.estate_id == estate.id)
                       .order_by(Meter.id)).all()
    approved = datetime(2026, 7, 2, tzinfo=UTC)
    per_building_use: dict[int, Decimal] = {}
    unit_building = dict(units)

    def unit_readings():
        for mid, kind, shared, _bid, uid in meters:
            if shared:
                continue
            value = Decimal(rnd.randint(100, 5000))
            for month in MONTHS:
                used = Decimal(rnd.randint(5, 45) if kind == "water" else rnd.randint(80, 480))
                previous, value = value, value + used
                yield {"estate_id": estate.id, "meter_id": mid, "period": month,
                       "value": value, "previous_value": previous,
                       "consumption": used, "kind": "normal", "flagged": False,
                       "entered_at": approved}
                if month == PERIOD and kind == "electricity":
                    bid = unit_building[uid]
                    per_building_use[bid] = per_building_use.get(bid, Decimal(0)) + used

    def shared_readings():
        for mid, _kind, shared, bid, _uid in meters:
            if shared:
                used = per_building_use.get(bid, Decimal(0)) + Decimal(rnd.randint(1500, 3000))
                yield {"estate_id": estate.id, "meter_id": mid, "period": PERIOD,
                       "value": used, "previous_value": Decimal(0),
                       "consumption": used, "kind": "normal", "flagged": False,
                       "entered_at": approved, "approved_at": approved}

    _bulk(MeterReading, unit_readings())
    _bulk(MeterReading, shared_readings())
    s.commit()
    return estate.id


def _app(url: str):
    from frontdesk import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def setup(url: str, n_units: int, out) -> None:
    """Migrate the empty database and build the estate (run in a process of its own)."""
    from flask_migrate import upgrade

    from frontdesk.extensions import db

    app = _app(url)
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        estate_id = build(n_units)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        out.put((estate_id, time.perf_counter() - start))
        db.engine.dispose()


def raw_insert_seconds_sqlite(db_path: str) -> tuple[float, int]:
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


def raw_insert_seconds_postgres(url: str) -> tuple[float, int]:
    """The same on PostgreSQL: a scratch table LIKE bill_line with its foreign keys, psycopg."""
    import psycopg

    with psycopg.connect(_libpq_url(url)) as conn:
        conn.execute("CREATE TABLE bill_line_scratch (LIKE bill_line INCLUDING ALL)")
        for name, definition in conn.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'bill_line'::regclass AND contype = 'f'").fetchall():
            definition = definition.replace("REFERENCES bill_line(", "REFERENCES "
                                            "bill_line_scratch(")
            conn.execute(f'ALTER TABLE bill_line_scratch ADD CONSTRAINT "{name}_scratch" '
                         f"{definition}")
        conn.commit()
        columns = [name for (name,) in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'bill_line'::regclass "
            "AND attnum > 0 AND NOT attisdropped AND attname <> 'id' ORDER BY attnum")]
        quoted = ", ".join(f'"{c}"' for c in columns)
        rows = conn.execute(f"SELECT {quoted} FROM bill_line ORDER BY id").fetchall()
        conn.commit()
        sql = (f"INSERT INTO bill_line_scratch ({quoted}) "
               f"VALUES ({', '.join('%s' for _ in columns)})")
        start = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany(sql, rows)
        conn.commit()
        return time.perf_counter() - start, len(rows)


def _libpq_url(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def _admin_engine(url: str) -> tuple[sa.Engine, str]:
    """An engine on the server's maintenance database, and the benchmark database's name."""
    parsed = sa.engine.make_url(url)
    name = parsed.database or ""
    if name in PROTECTED or name.startswith("test"):
        sys.exit(f"refusing to create and drop the database {name!r}: name another one")
    engine = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    return engine, name


def _recreate(url: str) -> None:
    engine, name = _admin_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


def _drop(url: str) -> None:
    engine, name = _admin_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def post(url: str, estate_id: int, profile: bool) -> tuple[float, int, float, float]:
    """Post the period; return its seconds, lines, RSS before it and the peak RSS (MB)."""
    from flask_babel import force_locale

    from frontdesk.extensions import db
    from frontdesk.models import BillLine, Estate
    from frontdesk.services.fees import billing

    app = _app(url)
    with app.app_context(), force_locale("zh_CN"):
        estate = db.session.get(Estate, estate_id)
        before = _rss_mb()
        profiler = cProfile.Profile() if profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        run = billing.post_bill_run(None, estate, PERIOD, today=date(2026, 6, 30))
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        lines = db.session.scalar(sa.select(sa.func.count(BillLine.id)))
        assert lines == run.lines, (lines, run.lines)
        db.session.remove()
        db.engine.dispose()
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return seconds, lines, before, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=10000)
    parser.add_argument("--profile", action="store_true", help="Print the top of a cProfile.")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL,
                        help="PostgreSQL only: a database to create, use and drop.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "sqlite":
            db_path = f"{tmp}/bench.sqlite"
            url = f"sqlite:///{db_path}"
        else:
            url = args.database_url
            _recreate(url)
        try:
            spawn = multiprocessing.get_context("spawn")
            out = spawn.Queue()
            child = spawn.Process(target=setup, args=(url, args.units, out))
            child.start()
            estate_id, setup_seconds = out.get()
            child.join()
            print(f"setup units={args.units} seconds={setup_seconds:.2f}")
            os.sync()  # the setup's writes reach the disk before the post is timed, not during
            seconds, lines, before, peak_mb = post(url, estate_id, args.profile)
            print(f"memory before_post_mb={before:.0f} peak_mb={peak_mb:.0f}")
            if args.backend == "sqlite":
                raw, raw_rows = raw_insert_seconds_sqlite(db_path)
            else:
                raw, raw_rows = raw_insert_seconds_postgres(url)
            assert raw_rows == lines
        finally:
            if args.backend == "postgres":
                _drop(url)
        print(f"bill_run units={args.units} lines={lines} seconds={seconds:.2f} "
              f"raw_insert_seconds={raw:.2f} ratio={seconds / raw:.1f} peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
