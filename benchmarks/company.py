"""Build a property company's worth of data in a database, for the benchmarks.

A company runs many estates from one installation (DESIGN.md section 10: ~30 estates of ~3,000
units). `build_company` fills a freshly migrated database with estates, buildings, units, people
(phones, ID numbers and their indexed tails as the register writes them), occupancies, vehicles,
fee items and tariffs, two months of unpaid bill lines, work-order categories and desk users, all
with bulk inserts: 50,000 people (about 20,000 units) take a few seconds.

Usage as a library (the desk-search and load benchmarks)::

    from benchmarks.company import build_company
    company = build_company("postgresql+psycopg://postgres@127.0.0.1:5432/bench", people=50000)
    company.logins          # [(username, estate_id), …], password company.password
    company.samples[eid]    # {"code": [...], "name": [...], "phone_tail": [...], …}
    company.owing[eid]      # ids of units with unpaid bill lines

From the shell (the database must exist; it is migrated if empty)::

    python benchmarks/company.py --database-url sqlite:////tmp/company.sqlite --people 50000

Prints what it built and a last line `company estates=E units=U people=P seconds=S`.
"""

from __future__ import annotations

import argparse
import calendar
import math
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: kinds of desk search the samples cover
SEARCH_KINDS = ("code", "code_prefix", "name", "surname", "phone_tail", "id_tail", "plate")
#: floors, entrances and rooms per floor of a residential building (144 units)
FLOORS, ENTRANCES, PER_FLOOR = 18, 2, 4
#: people per unit on average, so that 50,000 people live in 20,000 units
PEOPLE_PER_UNIT = 2.5
#: units per estate, as in DESIGN.md section 10
UNITS_PER_ESTATE = 3000


@dataclass
class Company:
    """What a benchmark driver needs from the data built."""

    url: str
    password: str
    estate_ids: list[int]
    #: (username, estate_id) of the desk users (role frontdesk), estate by estate
    logins: list[tuple[str, int]]
    #: estate_id → search kind → sample queries that find something in that estate
    samples: dict[int, dict[str, list[str]]]
    #: estate_id → ids of the units that have unpaid bill lines
    owing: dict[int, list[int]]
    #: estate_id → ids of every unit
    units: dict[int, list[int]]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def queries(self, estate_id: int | None = None) -> dict[str, str]:
        """One query per search kind in an estate (default: the first)."""
        eid = self.estate_ids[0] if estate_id is None else estate_id
        return {kind: qs[0] for kind, qs in self.samples[eid].items() if qs}


def _periods(today: date) -> list[str]:
    """The two months before today's."""
    out = []
    index = today.year * 12 + today.month - 1
    for back in (2, 1):
        i = index - back
        out.append(f"{i // 12:04d}-{i % 12 + 1:02d}")
    return out


class _Rows:
    """Rows waiting to be inserted, table by table, with the ids given to them."""

    def __init__(self, ids: dict[str, int], rows: dict[str, list[dict]]):
        self.ids, self.rows = ids, rows

    def __call__(self, table: str, **values) -> int:
        values.setdefault("id", self.ids[table])
        self.ids[table] += 1
        self.rows[table].append(values)
        return values["id"]


def _next_ids(conn, tables) -> dict[str, int]:
    return {t.name: (conn.scalar(sa.select(sa.func.max(t.c.id))) or 0) + 1 for t in tables}


def build_company(url: str, people: int = 50000, *, estates: int | None = None,
                  units: int | None = None, users_per_estate: int = 8, seed: int = 2026,
                  today: date | None = None, migrate: bool = True,
                  verbose: bool = False) -> Company:
    """Fill the database at ``url`` with a company's estates; return what a driver needs.

    ``units`` defaults to people / 2.5 and ``estates`` to one per ~3,000 units. The database is
    migrated first (``flask_migrate.upgrade``) unless ``migrate`` is false; it should hold no
    company yet (estate names 华景苑 1 … are unique).
    """
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from frontdesk import create_app
    from frontdesk.extensions import db
    from frontdesk.models import (
        BillLine,
        BillRun,
        Building,
        Estate,
        FeeItem,
        Membership,
        Occupancy,
        Person,
        Tariff,
        Unit,
        User,
        UserRole,
        Vehicle,
        WorkOrderCategory,
    )
    from frontdesk.models.workorders import DEFAULT_CATEGORIES
    from frontdesk.services.demo import (
        DEMO_PASSWORD,
        GIVEN,
        PLATE_PROVINCES,
        SURNAMES,
        _id_number,
    )
    from frontdesk.services.register.records import sort_key, unit_code

    started = time.perf_counter()
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    units = units or max(1, round(people / PEOPLE_PER_UNIT))
    estates = estates or max(1, round(units / UNITS_PER_ESTATE))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    t = {m.__tablename__: m.__table__ for m in (
        Estate, Building, Unit, Person, Occupancy, Vehicle, FeeItem, Tariff, BillRun, BillLine,
        User, Membership, UserRole, WorkOrderCategory)}
    periods = _periods(today)
    password_hash = generate_password_hash(DEMO_PASSWORD)  # hashed once: it is slow on purpose
    now = datetime.now(UTC)

    with app.app_context():
        if migrate:
            upgrade()
        engine = db.engine
        with engine.begin() as conn:
            ids = _next_ids(conn, [t[n] for n in t if n != "user_estate"])
            rows: dict[str, list[dict]] = {name: [] for name in t}
            samples: dict[int, dict[str, list[str]]] = {}
            owing: dict[int, list[int]] = {}
            unit_ids: dict[int, list[int]] = {}
            logins: list[tuple[str, int]] = []

            new = _Rows(ids, rows)

            people_left, units_left = people, units
            estate_ids = []
            for e in range(estates):
                n_units = units_left // (estates - e)
                n_people = people_left // (estates - e)
                units_left -= n_units
                people_left -= n_people
                eid = new("estate", name=f"华景苑{e + 1:02d}", address=f"上海市示例路 {e + 1} 号",
                          phone=f"021-5000{e:04d}", timezone="Asia/Shanghai",
                          receipt_prefix=f"H{e + 1:02d}"[:8], created_at=now)
                estate_ids.append(eid)
                kinds = {k: [] for k in SEARCH_KINDS}
                samples[eid] = kinds
                estate_units = _estate_units(rng, eid, n_units, new, sort_key, unit_code)
                unit_ids[eid] = [u["id"] for u in estate_units]
                people_rows = _estate_people(rng, eid, estate_units, n_people, new, today,
                                             (SURNAMES, GIVEN, PLATE_PROVINCES, _id_number),
                                             kinds)
                kinds["code"] = [u["code"] for u in rng.sample(estate_units,
                                                               min(20, len(estate_units)))]
                kinds["code_prefix"] = sorted({c.rsplit("-", 1)[0] for c in kinds["code"]})
                picked = rng.sample(people_rows, min(20, len(people_rows)))
                kinds["name"] = [p["name"] for p in picked]
                kinds["surname"] = sorted({p["name"][0] for p in picked})
                kinds["phone_tail"] = [p["phone_tail"] for p in picked]
                kinds["id_tail"] = [p["id_tail"] for p in picked]
                owing[eid] = _estate_fees(eid, estate_units, new, periods, now)
                for k in range(users_per_estate):
                    username = f"desk{e + 1:02d}{k + 1:02d}"
                    uid = new("user", username=username, full_name=f"前台{e + 1}-{k + 1}",
                              password_hash=password_hash, active=True, created_at=now,
                              session_token=f"bench-{username}-{rng.getrandbits(64):x}")
                    rows["user_estate"].append({"user_id": uid, "estate_id": eid})
                    new("user_role", user_id=uid, estate_id=eid, role="frontdesk")
                    logins.append((username, eid))
                for i, name in enumerate(DEFAULT_CATEGORIES):
                    new("work_order_category", estate_id=eid, name=name, team="", sort_order=i,
                        active=True)

            order = ["estate", "building", "unit", "person", "occupancy", "vehicle", "fee_item",
                     "tariff", "bill_run", "bill_line", "user", "user_estate", "user_role",
                     "work_order_category"]
            for name in order:
                chunk = 5000
                for i in range(0, len(rows[name]), chunk):
                    conn.execute(t[name].insert(), rows[name][i:i + chunk])
                if verbose:
                    print(f"  {name:20s} {len(rows[name]):7d} rows "
                          f"{time.perf_counter() - started:5.1f} s", flush=True)
            if engine.dialect.name == "postgresql":
                calls = ", ".join(
                    f"setval(pg_get_serial_sequence('\"{name}\"', 'id'), {ids[name]}, false)"
                    for name in order if name != "user_estate")
                conn.execute(sa.text(f"SELECT {calls}"))
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
        engine.dispose()
    return Company(url=url, password=DEMO_PASSWORD, estate_ids=estate_ids, logins=logins,
                   samples=samples, owing=owing, units=unit_ids,
                   counts={name: len(r) for name, r in rows.items()},
                   seconds=time.perf_counter() - started)


def describe_company(url: str, samples_per_kind: int = 20, seed: int = 2026) -> Company:
    """Read back what a driver needs from a database `build_company` filled before.

    The units owing are those with an open bill line now (earlier runs may have paid some)."""
    from frontdesk.models import BillLine, Estate, Occupancy, Person, Unit, User, UserRole, Vehicle
    from frontdesk.services.demo import DEMO_PASSWORD

    rng = random.Random(seed)
    engine = sa.create_engine(url)
    samples: dict[int, dict[str, list[str]]] = {}
    owing: dict[int, list[int]] = {}
    units: dict[int, list[int]] = {}
    try:
        with engine.connect() as conn:
            estate_ids = list(conn.scalars(sa.select(Estate.id).order_by(Estate.id)))
            logins = [tuple(r) for r in conn.execute(
                sa.select(User.username, UserRole.estate_id).join(UserRole)
                .where(UserRole.role == "frontdesk", User.username.like("desk%"))
                .order_by(UserRole.estate_id, User.username))]
            for eid in estate_ids:
                units[eid] = list(conn.scalars(sa.select(Unit.id).where(Unit.estate_id == eid)
                                               .order_by(Unit.id)))
                owing[eid] = list(conn.scalars(
                    sa.select(BillLine.unit_id).where(BillLine.estate_id == eid,
                                                      BillLine.settled < BillLine.amount)
                    .distinct().order_by(BillLine.unit_id)))
                codes = list(conn.scalars(sa.select(Unit.code).where(Unit.estate_id == eid)))
                people = list(conn.execute(
                    sa.select(Person.name, Person.phone_tail, Person.id_tail)
                    .where(Person.estate_id == eid,
                           Person.id.in_(sa.select(Occupancy.person_id)))))
                plates = list(conn.scalars(sa.select(Vehicle.plate)
                                           .where(Vehicle.estate_id == eid)))
                n = samples_per_kind
                picked_codes = rng.sample(codes, min(n, len(codes)))
                picked = rng.sample(people, min(n, len(people)))
                samples[eid] = {
                    "code": picked_codes,
                    "code_prefix": sorted({c.rsplit("-", 1)[0] for c in picked_codes}),
                    "name": [p.name for p in picked],
                    "surname": sorted({p.name[0] for p in picked}),
                    "phone_tail": [p.phone_tail for p in picked],
                    "id_tail": [p.id_tail for p in picked],
                    "plate": rng.sample(plates, min(n, len(plates))),
                }
    finally:
        engine.dispose()
    return Company(url=url, password=DEMO_PASSWORD, estate_ids=estate_ids, logins=logins,
                   samples=samples, owing=owing, units=units,
                   counts={"estate": len(estate_ids), "unit": sum(map(len, units.values()))})


def _estate_units(rng, estate_id, n_units, new, sort_key, unit_code) -> list[dict]:
    """Residential buildings of 144 units until the estate has ``n_units``."""
    out: list[dict] = []
    per_building = FLOORS * ENTRANCES * PER_FLOOR
    for b in range(math.ceil(n_units / per_building)):
        number = str(b + 1)
        bid = new("building", estate_id=estate_id, number=number, name=f"{number}号楼",
                  usage="住宅", floors=FLOORS, elevator=True, sort_key=sort_key(number))
        for entrance in range(1, ENTRANCES + 1):
            for floor in range(1, FLOORS + 1):
                for k in range(1, PER_FLOOR + 1):
                    if len(out) == n_units:
                        return out
                    room = f"{floor}{k:02d}"
                    gross = Decimal(rng.choice(["89.50", "96.32", "118.75", "132.40", "143.08"]))
                    unit = {"estate_id": estate_id, "building_id": bid, "entrance": str(entrance),
                            "floor": floor, "room": room,
                            "code": unit_code(number, str(entrance), room), "gross_area": gross,
                            "inner_area": (gross * Decimal("0.80")).quantize(Decimal("0.01")),
                            "usage": "住宅", "status": "未交房", "handover_date": None}
                    unit["id"] = new("unit", **unit)
                    out.append(unit)
    return out


def _estate_people(rng, estate_id, units, n_people, new, today, words, kinds) -> list[dict]:
    """Spread the people over the units: an owner first, then a tenant or household members."""
    surnames, given, provinces, id_number = words
    start = today - timedelta(days=3 * 365)
    handed = [u for u in units if rng.random() < 0.92] or units[:1]
    for u in handed:
        u["handover_date"] = start + timedelta(days=rng.randrange(0, 400))
        u["status"] = rng.choices(["已入住", "出租", "装修中", "空置"], [70, 15, 5, 10])[0]
    # how many people each unit gets: at least one, the rest spread at random
    per_unit = [1] * len(handed)
    for _ in range(max(0, n_people - len(handed))):
        per_unit[rng.randrange(len(handed))] += 1
    people: list[dict] = []
    plates: set[str] = set()
    for u, count in zip(handed, per_unit, strict=True):
        owner_surname = None
        for i in range(min(count, n_people - len(people))):
            surname = owner_surname if (i > 0 and rng.random() < 0.6) else None
            name = (surname or rng.choice(surnames)) + "".join(rng.sample(given,
                                                                          rng.choice([1, 2])))
            phone = "1" + rng.choice("3589") + f"{rng.randrange(10 ** 9):09d}"
            idn = id_number(rng)
            person = {"estate_id": estate_id, "name": name, "phone": phone,
                      "phone_tail": phone[-4:], "id_type": "居民身份证", "id_number": idn,
                      "id_tail": idn[-4:], "emergency_contact": "", "emergency_phone": "",
                      "note": ""}
            person["id"] = new("person", **person)
            people.append(person)
            if i == 0:
                owner_surname = name[0]
                role = "owner"
            elif i == 1 and u["status"] == "出租":
                role = "tenant"
            else:
                role = "member"
            new("occupancy", estate_id=estate_id, unit_id=u["id"], person_id=person["id"],
                role=role, start_date=u["handover_date"], end_date=None, is_primary=i == 0)
            if i == 0 and rng.random() < 0.4:
                while True:
                    plate = (rng.choice(provinces) + rng.choice("ABCDEFG")
                             + f"{rng.randrange(10000, 99999)}")
                    if plate not in plates:
                        break
                plates.add(plate)
                new("vehicle", estate_id=estate_id, person_id=person["id"], unit_id=u["id"],
                    plate=plate, note="")
                if len(kinds["plate"]) < 20:
                    kinds["plate"].append(plate)
    return people


def _estate_fees(estate_id, units, new, periods, now) -> list[int]:
    """物业费 (by area) and 垃圾清运费 (fixed), billed and unpaid for two months."""
    wyf = new("fee_item", estate_id=estate_id, code="WYF", name="物业费", method="area",
              cycle_months=1, due_day=15, area_basis="gross", meter_kind=None, tier_mode="none",
              vacancy_discount=Decimal("0.30"), late_grace_days=30,
              late_daily_rate=Decimal("0.0005"), late_cap_ratio=Decimal("1"), active=True)
    ljf = new("fee_item", estate_id=estate_id, code="LJF", name="垃圾清运费", method="fixed",
              cycle_months=1, due_day=15, area_basis="gross", meter_kind=None, tier_mode="none",
              vacancy_discount=Decimal("0"), late_grace_days=0, late_daily_rate=Decimal("0"),
              late_cap_ratio=Decimal("1"), active=True)
    wyf_price, ljf_price = Decimal("2.3500"), Decimal("10.0000")
    for item, price in ((wyf, wyf_price), (ljf, ljf_price)):
        new("tariff", estate_id=estate_id, fee_item_id=item, scope="estate", building_id=None,
            unit_id=None, valid_from=date(2020, 1, 1), valid_to=None, price=price, tiers=None,
            note="", created_by_id=None, created_at=now)
    owing = [u for u in units if u["handover_date"] is not None]
    for period in periods:
        year, month = int(period[:4]), int(period[5:])
        due = date(year, month, min(15, calendar.monthrange(year, month)[1]))
        lines, total = 0, Decimal(0)
        run = new("bill_run", estate_id=estate_id, period=period, building_id=None, lines=0,
                  total=Decimal(0), posted_by_id=None, posted_at=now)
        for u in owing:
            area = u["gross_area"]
            amount = (area * wyf_price).quantize(Decimal("0.01"))
            new("bill_line", estate_id=estate_id, unit_id=u["id"], fee_item_id=wyf,
                period=period, kind="charge", quantity=area, price=wyf_price, amount=amount,
                explanation=f"{area} m² × {wyf_price} 元/m²·月 × 1 月 = {amount}", due_date=due,
                settled=Decimal(0), late_fee_waived=False, bill_run_id=run, corrects_id=None,
                reason="", created_by_id=None, created_at=now)
            new("bill_line", estate_id=estate_id, unit_id=u["id"], fee_item_id=ljf,
                period=period, kind="charge", quantity=Decimal(1), price=ljf_price,
                amount=Decimal("10.00"), explanation="1 × 10.0000 元 = 10.00", due_date=due,
                settled=Decimal(0), late_fee_waived=False, bill_run_id=run, corrects_id=None,
                reason="", created_by_id=None, created_at=now)
            lines += 2
            total += amount + Decimal("10.00")
        # the run's totals, now that its lines are known
        new.rows["bill_run"][-1].update(lines=lines, total=total)
    return [u["id"] for u in owing]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--people", type=int, default=50000)
    parser.add_argument("--estates", type=int, default=None)
    parser.add_argument("--units", type=int, default=None)
    parser.add_argument("--users-per-estate", type=int, default=8)
    args = parser.parse_args()
    company = build_company(args.database_url, args.people, estates=args.estates,
                            units=args.units, users_per_estate=args.users_per_estate,
                            verbose=True)
    for eid in company.estate_ids[:3]:
        print(f"estate {eid}: {company.queries(eid)}")
    c = company.counts
    print(f"company estates={c['estate']} units={c['unit']} people={c['person']} "
          f"seconds={company.seconds:.1f}")


if __name__ == "__main__":
    main()
