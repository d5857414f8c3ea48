"""Test data built straight into the database (fast password hashes), one factory per model.

Each factory adds its row and flushes; the test commits. Amounts are given as str or Decimal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count

from werkzeug.security import generate_password_hash

from frontdesk.extensions import db
from frontdesk.models import (
    Allocation,
    BillLine,
    Building,
    Estate,
    FeeItem,
    Key,
    KeyAuthorisation,
    KeyCustody,
    Membership,
    Meter,
    MeterReading,
    Occupancy,
    Payment,
    Person,
    Receipt,
    Tariff,
    Unit,
    User,
    UserRole,
    Vehicle,
)
from frontdesk.models.workorders import Engineer, WorkOrder, WorkOrderCategory, WorkOrderStep

PASSWORD = "secret123"
_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_seq = count(1)


def estate(name: str | None = None, **kw) -> Estate:
    e = Estate(name=name or f"测试小区{next(_seq)}", **kw)
    db.session.add(e)
    db.session.flush()
    return e


def user(roles: list[str] | str, estates: list[Estate], username: str | None = None,
         **kw) -> User:
    """Make a user who holds the roles in each of the estates."""
    roles = [roles] if isinstance(roles, str) else roles
    u = User(username=username or f"user{next(_seq)}", full_name=kw.pop("full_name", "测试员"),
             password_hash=_HASH, **kw)
    u.memberships = [Membership(estate=e, roles=[UserRole(role=r) for r in roles])
                     for e in estates]
    db.session.add(u)
    db.session.flush()
    return u


def grant(u: User, roles: list[str] | str, est: Estate) -> User:
    """Give a user more roles in an estate, making them a member of it if need be."""
    roles = [roles] if isinstance(roles, str) else roles
    membership = next((m for m in u.memberships if m.estate_id == est.id), None)
    if membership is None:
        membership = Membership(estate=est)
        u.memberships.append(membership)
    membership.roles.extend(UserRole(role=r) for r in roles if r not in membership.role_names)
    db.session.flush()
    return u


def building(est: Estate, number: str = "1", floors: int = 18, **kw) -> Building:
    b = Building(estate_id=est.id, number=number, name=kw.pop("name", f"{number}号楼"),
                 floors=floors, sort_key=number.zfill(8), **kw)
    db.session.add(b)
    db.session.flush()
    return b


def unit(b: Building, entrance: str = "1", floor: int = 15, room: str = "1502",
         gross_area: str | None = "89.50", **kw) -> Unit:
    u = Unit(estate_id=b.estate_id, building_id=b.id, entrance=entrance, floor=floor, room=room,
             code=f"{b.number}-{entrance}-{room}",
             gross_area=Decimal(gross_area) if gross_area else None,
             inner_area=kw.pop("inner_area", Decimal("72.30")), **kw)
    db.session.add(u)
    db.session.flush()
    return u


def person(est: Estate, name: str = "张三", phone: str = "13812345678",
           id_number: str = "110101199003074477", **kw) -> Person:
    p = Person(estate_id=est.id, name=name, phone=phone, phone_tail=phone[-4:],
               id_number=id_number, id_tail=id_number[-4:], **kw)
    db.session.add(p)
    db.session.flush()
    return p


def occupancy(u: Unit, p: Person, role: str = "owner", start: date = date(2024, 5, 1),
              **kw) -> Occupancy:
    o = Occupancy(estate_id=u.estate_id, unit_id=u.id, person_id=p.id, role=role,
                  start_date=start, **kw)
    db.session.add(o)
    db.session.flush()
    return o


def vehicle(est: Estate, plate: str = "京A12345", p: Person | None = None,
            u: Unit | None = None) -> Vehicle:
    v = Vehicle(estate_id=est.id, plate=plate, person_id=p.id if p else None,
                unit_id=u.id if u else None)
    db.session.add(v)
    db.session.flush()
    return v


def _add(row):
    db.session.add(row)
    db.session.flush()
    return row


# --- fees ---------------------------------------------------------------------------------------


def fee_item(est: Estate, code: str = "WY", name: str = "物业费", method: str = "area",
             **kw) -> FeeItem:
    """A fee item; the model's defaults for the due day (15) and late fees (none)."""
    return _add(FeeItem(estate_id=est.id, code=code, name=name, method=method, **kw))


def tariff(item: FeeItem, price, *, scope: str = "estate", building: Building | None = None,
           unit: Unit | None = None, tiers=None, valid_from: date = date(2026, 1, 1),
           valid_to: date | None = None) -> Tariff:
    return _add(Tariff(estate_id=item.estate_id, fee_item_id=item.id, scope=scope,
                       building_id=building.id if building else None,
                       unit_id=unit.id if unit else None, valid_from=valid_from,
                       valid_to=valid_to, price=Decimal(price), tiers=tiers))


def meter(est: Estate, kind: str, number: str, *, unit: Unit | None = None,
          building: Building | None = None, shared: bool = False, item: FeeItem | None = None,
          basis: str = "area", multiplier: str = "1", **kw) -> Meter:
    return _add(Meter(estate_id=est.id, unit_id=unit.id if unit else None,
                      building_id=building.id if building else None, kind=kind, number=number,
                      shared=shared, fee_item_id=item.id if item else None,
                      apportion_basis=basis, multiplier=Decimal(multiplier), **kw))


def reading(m: Meter, period: str, value, previous=None, *, approved: bool = False
            ) -> MeterReading:
    """A reading with its consumption worked out from the previous value."""
    value = Decimal(value)
    previous = Decimal(previous) if previous is not None else None
    used = (value - previous) * m.multiplier if previous is not None else Decimal(0)
    return _add(MeterReading(
        estate_id=m.estate_id, meter_id=m.id, period=period, value=value,
        previous_value=previous, consumption=used,
        approved_at=datetime(2026, 12, 1, tzinfo=UTC) if approved else None))


def area_charge(amount: str) -> dict:
    """The quantity, price and explanation of a monthly area charge of 89.50 m² at 2.35."""
    return {"quantity": Decimal("89.50"), "price": Decimal("2.3500"),
            "explanation": f"89.50 m² × 2.3500 元/m²·月 × 1 月 = {amount}"}


def bill_line(u: Unit, item: FeeItem, period: str = "2026-10", amount: str = "210.33",
              explanation: str | None = None, due: date = date(2026, 10, 15), *,
              settled: str = "0", kind: str = "charge", waived: bool = False,
              **kw) -> BillLine:
    """A bill line of a unit; the explanation is "<item> <period>" unless given."""
    return _add(BillLine(
        estate_id=u.estate_id, unit_id=u.id, fee_item_id=item.id, period=period, kind=kind,
        amount=Decimal(amount), settled=Decimal(settled), due_date=due,
        explanation=f"{item.name} {period}" if explanation is None else explanation,
        late_fee_waived=waived, **kw))


def payment(u: Unit, cashier: User, amount: str, received_at: datetime, *,
            method: str = "cash", number: str | None = None, seq: int | None = None,
            voided: bool = False, voided_at: datetime | None = None, void_reason: str = "",
            content=None,
            allocations=(), settle: bool = True, **kw) -> Payment:
    """A payment with its receipt (numbered SJ<year>-<seq> unless given) and its allocations.

    The receipt's hash is a stand-in (the chain is not built); allocations settle their lines
    unless the payment is voided or ``settle`` is false.
    """
    if seq is None:
        seq = int(number[-6:]) if number else next(_seq)
    pay = _add(Payment(estate_id=u.estate_id, unit_id=u.id, amount=Decimal(amount),
                       method=method, cashier_id=cashier.id, received_at=received_at,
                       idempotency_key=f"key-{seq}", voided=voided, **kw))
    year = int(number[2:6]) if number else received_at.year
    db.session.add(Receipt(
        estate_id=u.estate_id, year=year, seq=seq, number=number or f"SJ{year}-{seq:06d}",
        payment_id=pay.id, unit_id=u.id, amount=pay.amount, issued_at=received_at,
        cashier_id=cashier.id, content=content if content is not None else {},
        prev_hash="0" * 64, hash=f"{seq:064d}",
        voided_at=(voided_at or received_at) if voided else None,
        voided_by_id=cashier.id if voided and voided_at else None, void_reason=void_reason))
    for line, part in allocations:
        db.session.add(Allocation(payment_id=pay.id, bill_line_id=line.id, amount=Decimal(part)))
        if settle and not voided:
            line.settled += Decimal(part)
    db.session.flush()
    return pay


# --- keys ---------------------------------------------------------------------------------------


def key(est: Estate, u: Unit | None = None, tag: str = "K-3-2-1502-01", **kw) -> Key:
    """A key in the cabinet: a unit's front door, or a public area's when no unit is given."""
    return _add(Key(estate_id=est.id, tag=tag, unit_id=u.id if u else None,
                    area=kw.pop("area", "" if u else "3号楼设备间"),
                    kind=kw.pop("kind", "入户门" if u else "设备间"), copies=kw.pop("copies", 1),
                    cabinet=kw.pop("cabinet", "A"), slot=kw.pop("slot", "1"),
                    status=kw.pop("status", "in_cabinet"), **kw))


def custody(k: Key, p: Person | None, received_by: User, deposited_at: datetime,
            **kw) -> KeyCustody:
    """A key left in custody by a resident (张三 unless named)."""
    return _add(KeyCustody(estate_id=k.estate_id, key_id=k.id, person_id=p.id if p else None,
                           depositor_name=kw.pop("depositor_name", "张三"),
                           depositor_phone=kw.pop("depositor_phone", "13812345678"),
                           copies=kw.pop("copies", 1), deposited_at=deposited_at,
                           received_by_id=received_by.id, **kw))


def authorisation(c: KeyCustody, valid_until: datetime, name: str = "李四",
                  phone: str = "13900002222", id_tail: str = "123X", **kw) -> KeyAuthorisation:
    return _add(KeyAuthorisation(estate_id=c.estate_id, custody_id=c.id, name=name, phone=phone,
                                 id_tail=id_tail, valid_until=valid_until, **kw))


def engineer(est: Estate, username: str | None = None, *, team: str = "", skills=(),
             on_duty: bool = True, is_lead: bool = False, full_name: str = "工程师") -> User:
    """Make a user with the engineering role in the estate, with their crew profile."""
    u = user("engineering", [est], username=username, full_name=full_name)
    _add(Engineer(estate_id=est.id, user_id=u.id, team=team, skills=list(skills),
                  on_duty=on_duty, is_lead=is_lead))
    return u


def category(est: Estate, name: str = "水电", team: str = "") -> WorkOrderCategory:
    """Return the estate's category of that name, adding it if missing."""
    from sqlalchemy import select

    found = db.session.scalar(select(WorkOrderCategory).where(
        WorkOrderCategory.estate_id == est.id, WorkOrderCategory.name == name))
    return found or _add(WorkOrderCategory(estate_id=est.id, name=name, team=team))


def work_order(est: Estate, reporter: User, *, state: str = "pending", unit: Unit | None = None,
               area: str = "", category_name: str = "水电", assignee: User | None = None,
               created_at: datetime | None = None, team: str = "", **kw) -> WorkOrder:
    """Make an order straight in a state (due in 2 h / 48 h), with its report step."""
    from datetime import timedelta

    from sqlalchemy import func, select

    created_at = created_at or datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    seq = (db.session.scalar(select(func.max(WorkOrder.seq)).where(
        WorkOrder.estate_id == est.id)) or 0) + 1
    order = _add(WorkOrder(
        estate_id=est.id, seq=seq, source=kw.pop("source", "电话"),
        reporter_name=kw.pop("reporter_name", "张三"),
        reporter_phone=kw.pop("reporter_phone", "13812345678"),
        unit_id=unit.id if unit else None, building_id=unit.building_id if unit else None,
        area=area or ("" if unit else "大堂"), category_id=category(est, category_name).id,
        description=kw.pop("description", "厨房水管漏水"), state=state, team=team,
        assignee_id=assignee.id if assignee else None, created_at=created_at,
        created_by_id=reporter.id, response_due_at=created_at + timedelta(hours=2),
        completion_due_at=created_at + timedelta(hours=48), **kw))
    _add(WorkOrderStep(estate_id=est.id, order_id=order.id, action="create", from_state="",
                       to_state="pending", at=created_at, user_id=reporter.id))
    return order


def work_order_cost(order: WorkOrder, user: User, *, name: str = "水龙头", quantity: str = "1",
                    unit_price: str = "35.00", kind: str = "material"):
    """Record a cost line straight on an order."""
    from decimal import Decimal

    from frontdesk.models import WorkOrderCost

    q, p = Decimal(quantity), Decimal(unit_price)
    return _add(WorkOrderCost(estate_id=order.estate_id, order_id=order.id, kind=kind, name=name,
                              quantity=q, unit_name="个", unit_price=p, amount=q * p,
                              added_by_id=user.id))


def work_order_photo(order: WorkOrder, user: User, *, stage: str = "report", root=None):
    """Add a photo row to an order; with `root` (the uploads folder) also a small JPEG file."""
    import io
    import secrets

    from PIL import Image

    from frontdesk.models import WorkOrderPhoto

    name = f"{secrets.token_hex(16)}.jpg"
    if root is not None:
        folder = root / str(order.estate_id)
        folder.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        Image.new("RGB", (40, 30), (10, 120, 200)).save(buf, format="JPEG")
        (folder / name).write_bytes(buf.getvalue())
    return _add(WorkOrderPhoto(estate_id=order.estate_id, order_id=order.id, stage=stage,
                               stored_name=name, original_name="现场.jpg", width=40, height=30,
                               size=1000, uploaded_by_id=user.id))
def complaint(est: Estate, registered_by: User, *, state: str = "registered",
              unit: Unit | None = None, registered_at: datetime | None = None,
              **kw):
    """Make a complaint straight in a state (its first reply due at the end of that day)."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from frontdesk.models import Complaint, ComplaintStep

    registered_at = registered_at or datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    seq = (db.session.scalar(select(func.max(Complaint.seq)).where(
        Complaint.estate_id == est.id)) or 0) + 1
    c = _add(Complaint(
        estate_id=est.id, seq=seq, name=kw.pop("name", "张三"),
        phone=kw.pop("phone", "13812345678"), unit_id=unit.id if unit else None,
        channel=kw.pop("channel", "电话"), category=kw.pop("category", "噪音"),
        content=kw.pop("content", "楼上装修噪音"), state=state, registered_at=registered_at,
        registered_by_id=registered_by.id,
        reply_due_at=kw.pop("reply_due_at", registered_at + timedelta(hours=14)), **kw))
    _add(ComplaintStep(estate_id=est.id, complaint_id=c.id, action="register", from_state="",
                       to_state="registered", at=registered_at, user_id=registered_by.id))
    return c


def visit(est: Estate, received_by: User, in_at: datetime, *, unit: Unit | None = None,
          out_at: datetime | None = None, name: str = "访客甲", **kw):
    """A visitor logged in (and out, with out_at)."""
    from frontdesk.models import Visit

    return _add(Visit(estate_id=est.id, name=name, purpose=kw.pop("purpose", "拜访"),
                      unit_id=unit.id if unit else None, in_at=in_at, out_at=out_at,
                      received_by_id=received_by.id, **kw))
