"""Demo data: the estate 示例花园 with 1,000+ units, residents and one user per role."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from frontdesk.extensions import db
from frontdesk.models import (
    ROLES,
    Building,
    Estate,
    Membership,
    Occupancy,
    Person,
    Unit,
    User,
    UserRole,
    Vehicle,
)
from frontdesk.services import audit, transactional
from frontdesk.services.register.records import sort_key, unit_code
from frontdesk.services.validation import ID18_CHECK, ID18_WEIGHTS

DEMO_ESTATE = "示例花园"
DEMO_PASSWORD = "demo1234"
DEMO_USERS = {
    "frontdesk": ("desk", "王前台"),
    "engineering": ("engineer", "李工程"),
    "finance": ("finance", "赵财务"),
    "manager": ("manager", "陈主管"),
    "admin": ("admin", "系统管理员"),
}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋"
    "唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文斌宇浩然子涵欣怡梓轩"
PLATE_PROVINCES = "京沪粤浙苏川鄂"


def _id_number(rng: random.Random) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
    body = f"110101{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    total = sum(int(d) * w for d, w in zip(body, ID18_WEIGHTS, strict=True))
    return body + ID18_CHECK[total % 11]


def demo_exists() -> bool:
    """Tell whether the demo estate has been loaded."""
    return db.session.scalar(sa.select(Estate.id).where(Estate.name == DEMO_ESTATE)) is not None


@transactional
def load_demo(seed: int = 2026) -> dict[str, str]:
    """Create the demo estate and users; return the logins (username → role)."""
    rng = random.Random(seed)
    estate = Estate(name=DEMO_ESTATE, address="上海市浦东新区示例路 88 号", phone="021-50001234",
                    timezone="Asia/Shanghai", receipt_prefix="SJ")
    db.session.add(estate)
    db.session.flush()
    units = _buildings_and_units(rng, estate)
    people = _residents(rng, estate, units)
    logins = {}
    for role in ROLES:
        username, name = DEMO_USERS[role]
        user = User(username=username, full_name=name,
                    password_hash=generate_password_hash(DEMO_PASSWORD))
        user.memberships = [Membership(estate=estate, roles=[UserRole(role=role)])]
        db.session.add(user)
        logins[username] = role
    audit.record(None, "demo_data", estate, estate_id=estate.id,
                 after={"units": len(units), "people": len(people)})
    return logins


def _buildings_and_units(rng: random.Random, estate: Estate) -> list[Unit]:
    """Eight residential buildings and a commercial one, with their units."""
    layout = [(str(n), 18 if n <= 6 else 11, 2, 4) for n in range(1, 9)]
    layout += [("9", 3, 1, 4)]
    units: list[Unit] = []
    for number, floors, entrances, per_floor in layout:
        building = Building(estate_id=estate.id, number=number, name=f"{number}号楼",
                            usage="住宅" if number != "9" else "商业", floors=floors,
                            elevator=floors > 6, sort_key=sort_key(number))
        db.session.add(building)
        db.session.flush()
        for entrance in range(1, entrances + 1):
            for floor in range(1, floors + 1):
                for k in range(1, per_floor + 1):
                    room = f"{floor}{k:02d}"
                    gross = Decimal(rng.choice(["89.50", "96.32", "118.75", "132.40", "143.08"]))
                    units.append(Unit(
                        estate_id=estate.id, building_id=building.id, entrance=str(entrance),
                        floor=floor, room=room, code=unit_code(number, str(entrance), room),
                        gross_area=gross, inner_area=(gross * Decimal("0.80")).quantize(
                            Decimal("0.01")),
                        usage=building.usage, status="未交房",
                    ))
    db.session.add_all(units)
    db.session.flush()
    return units


def _residents(rng: random.Random, estate: Estate, units: list[Unit]) -> list[Person]:
    """Owners, tenants, household members and vehicles of the units handed over."""
    start = date(2022, 6, 1)
    people = []
    for unit in units:
        if rng.random() < 0.12:
            continue
        unit.handover_date = start + timedelta(days=rng.randrange(0, 400))
        unit.status = rng.choices(["已入住", "出租", "装修中", "空置"], [70, 15, 5, 10])[0]
        owner = _person(rng, estate.id)
        people.append(owner)
        db.session.add(owner)
        db.session.add(Occupancy(estate_id=estate.id, unit=unit, person=owner, role="owner",
                                 start_date=unit.handover_date, is_primary=True))
        if unit.status == "出租":
            tenant = _person(rng, estate.id)
            db.session.add(tenant)
            db.session.add(Occupancy(estate_id=estate.id, unit=unit, person=tenant, role="tenant",
                                     start_date=unit.handover_date + timedelta(days=90)))
        elif rng.random() < 0.5:
            member = _person(rng, estate.id, surname=owner.name[0])
            db.session.add(member)
            db.session.add(Occupancy(estate_id=estate.id, unit=unit, person=member, role="member",
                                     start_date=unit.handover_date))
        if rng.random() < 0.4:
            plate = (rng.choice(PLATE_PROVINCES) + rng.choice("ABCDEFG")
                     + f"{rng.randrange(10000, 99999)}")
            db.session.add(Vehicle(estate_id=estate.id, plate=plate, person=owner, unit=unit))
    db.session.flush()
    return people


def _person(rng: random.Random, estate_id: int, surname: str | None = None) -> Person:
    name = (surname or rng.choice(SURNAMES)) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
    phone = "1" + rng.choice("3589") + "".join(str(rng.randrange(10)) for _ in range(9))
    id_number = _id_number(rng)
    return Person(estate_id=estate_id, name=name, phone=phone, phone_tail=phone[-4:],
                  id_type="居民身份证", id_number=id_number, id_tail=id_number[-4:])


def _months_before(period: str, n: int) -> str:
    year, month = int(period[:4]), int(period[5:7])
    index = year * 12 + month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def load_demo_finance(today: date | None = None, payments: int = 250,
                      seed: int = 2026) -> dict[str, int]:
    """Give the demo estate fee items, meters and readings, three posted bill runs and payments.

    The three months before ``today``'s are billed; a sample of units has paid, oldest first, so
    that the dashboard, arrears and receipts have something to show.
    """
    from frontdesk.services.demo.fees import load_demo_fees
    from frontdesk.services.demo.meters import load_demo_meters
    from frontdesk.services.fees import billing, late_fees
    from frontdesk.services.fees.payments import take_payment

    estate = db.session.scalar(sa.select(Estate).where(Estate.name == DEMO_ESTATE))
    if today is None:
        today = datetime.now(ZoneInfo(estate.timezone)).date()
    cashier = db.session.scalar(sa.select(User).where(User.username == DEMO_USERS["frontdesk"][0]))
    current = f"{today:%Y-%m}"
    periods = [_months_before(current, n) for n in (3, 2, 1)]
    load_demo_fees(None, estate)
    load_demo_meters(None, estate, periods=tuple(periods))
    lines = 0
    for period in periods:
        lines += billing.post_bill_run(None, estate, period, today=today).lines
    rng = random.Random(seed)
    owing = list(db.session.scalars(
        sa.select(Unit).where(Unit.estate_id == estate.id, Unit.handover_date.is_not(None))
        .order_by(Unit.id)))
    methods = ["wechat", "alipay", "cash", "card", "transfer"]
    taken = 0
    for unit in rng.sample(owing, min(payments, len(owing))):
        due = sum((line.total for line in late_fees.open_lines(unit, today)), Decimal(0))
        if due <= 0:
            continue
        share = rng.choice([Decimal("1"), Decimal("1"), Decimal("0.5")])
        amount = max(Decimal("0.01"), (due * share).quantize(Decimal("0.01")))
        take_payment(
            cashier, unit, amount=amount, method=rng.choice(methods),
            idempotency_key=f"demo-{unit.id}", payer="", today=today)
        taken += 1
    return {"periods": len(periods), "lines": lines, "payments": taken}


def load_demo_keys(now: datetime | None = None, seed: int = 2026) -> dict[str, int]:
    """Give the demo estate a key cabinet: building 1's keys, some in custody, some out on loan."""
    from datetime import UTC

    from frontdesk.services.keys import custody, loans, registry

    now = now or datetime.now(UTC)
    estate = db.session.scalar(sa.select(Estate).where(Estate.name == DEMO_ESTATE))
    desk = db.session.scalar(sa.select(User).where(User.username == DEMO_USERS["frontdesk"][0]))
    building = db.session.scalar(sa.select(Building).where(Building.estate_id == estate.id,
                                                           Building.number == "1"))
    registered = registry.bulk_register(desk, building, kind="入户门", cabinet="A1")
    for n, (area, kind) in enumerate([("1号楼设备间", "设备间"), ("2号楼配电房", "配电房"),
                                      ("3号楼楼顶", "楼顶")], 1):
        registry.register_key(desk, estate, {"tag": f"GG-{n:02d}", "area": area, "kind": kind,
                                         "cabinet": "B1", "slot": str(n), "copies": 2})
    rng = random.Random(seed)
    deposited = lent = 0
    for key in rng.sample(registered, min(30, len(registered))):
        owners = custody.unit_owners(key.unit_id)
        if not owners:
            continue
        owner = owners[0]
        custody.deposit_key(desk, key, depositor=owner, now=now - timedelta(days=60))
        deposited += 1
        if lent < 5 and owner.id_number:
            overdue = lent < 2
            lent_at = now - timedelta(days=3 if overdue else 0, hours=2)
            loans.lend_key(
                desk, key, borrower_name=owner.name, borrower_phone=owner.phone,
                borrower_id_tail=owner.id_number[-4:], purpose="装修工人进场",
                expected_return_at=lent_at + timedelta(hours=8), now=lent_at)
            lent += 1
    return {"keys": len(registered) + 3, "deposited": deposited, "lent": lent}
