"""Test data built straight into the database (fast password hashes)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

from werkzeug.security import generate_password_hash

from frontdesk.extensions import db
from frontdesk.models import (
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
