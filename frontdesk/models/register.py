"""The property register: estates, buildings, units, people, occupancies and vehicles."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, ExactDecimal, UTCDateTime, utcnow

BUILDING_USAGES = ("住宅", "商业", "办公", "车库")
UNIT_STATUSES = ("未交房", "已交房", "已入住", "出租", "装修中", "空置")
OCCUPANCY_ROLES = ("owner", "tenant", "member")
ID_TYPES = ("居民身份证", "护照", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "其他")


class Estate(Base):
    __tablename__ = "estate"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    phone: Mapped[str] = mapped_column(sa.String(32), default="")
    #: IANA timezone in which times are shown and printed
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")
    #: prefix of receipt numbers, e.g. SJ → SJ2026-000001
    receipt_prefix: Mapped[str] = mapped_column(sa.String(8), default="SJ")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    buildings: Mapped[list[Building]] = relationship(
        back_populates="estate", order_by="Building.sort_key"
    )


class Building(Base):
    __tablename__ = "building"
    __table_args__ = (sa.UniqueConstraint("estate_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    #: the number used in unit codes: "3" in 3-2-1502
    number: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(64), default="")
    #: one of BUILDING_USAGES
    usage: Mapped[str] = mapped_column(sa.String(8), default="住宅")
    floors: Mapped[int] = mapped_column(default=1)
    elevator: Mapped[bool] = mapped_column(default=False)
    #: zero-padded number so that 2 sorts before 10
    sort_key: Mapped[str] = mapped_column(sa.String(32), default="")

    estate: Mapped[Estate] = relationship(back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(back_populates="building", order_by="Unit.code")

    @property
    def label(self) -> str:
        return self.name or f"{self.number}号楼"


class Unit(Base):
    __tablename__ = "unit"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "code"),
        # code-prefix search (3-2-…) as a byte range: under a database collation other than C
        # the unique index above cannot serve it on PostgreSQL; SQLite uses the unique index
        sa.Index("ix_unit_estate_code_pattern", "estate_id", "code",
                 postgresql_ops={"code": "text_pattern_ops"}).ddl_if(dialect="postgresql"),
        sa.CheckConstraint("gross_area IS NULL OR gross_area > 0", name="gross_area_positive"),
        sa.CheckConstraint("inner_area IS NULL OR inner_area > 0", name="inner_area_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: repeated from the building so that every query can be scoped by estate directly
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id"), index=True)
    #: 单元 (entrance / stairwell)
    entrance: Mapped[str] = mapped_column(sa.String(8))
    floor: Mapped[int]
    room: Mapped[str] = mapped_column(sa.String(16))
    #: display code 楼栋-单元-房号, e.g. 3-2-1502
    code: Mapped[str] = mapped_column(sa.String(40))
    #: 建筑面积 in m²
    gross_area: Mapped[Decimal | None] = mapped_column(ExactDecimal(10, 2))
    #: 套内面积 in m²
    inner_area: Mapped[Decimal | None] = mapped_column(ExactDecimal(10, 2))
    usage: Mapped[str] = mapped_column(sa.String(8), default="住宅")
    #: one of UNIT_STATUSES
    status: Mapped[str] = mapped_column(sa.String(8), default="未交房")
    #: date the keys were handed over; fees accrue from it
    handover_date: Mapped[date | None]

    building: Mapped[Building] = relationship(back_populates="units")
    occupancies: Mapped[list[Occupancy]] = relationship(
        back_populates="unit", order_by="Occupancy.start_date"
    )


class Person(Base):
    """A resident or owner of one estate.

    The desk search finds people by name through :class:`PersonNameGram`, which database
    triggers keep in step with every write of ``name`` (migration search_0001). On SQLite a
    table rebuild drops a table's triggers: a migration that rebuilds ``person``
    (``batch_alter_table``) must create them again.
    """

    __tablename__ = "person"
    __table_args__ = (
        # every lookup is within one estate: the desk search and the people list
        sa.Index("ix_person_estate_name", "estate_id", "name"),
        sa.Index("ix_person_estate_phone_tail", "estate_id", "phone_tail"),
        sa.Index("ix_person_estate_id_tail", "estate_id", "id_tail"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    phone: Mapped[str] = mapped_column(sa.String(20), default="", index=True)
    #: last four digits of the phone, indexed for the desk search
    phone_tail: Mapped[str] = mapped_column(sa.String(4), default="")
    id_type: Mapped[str] = mapped_column(sa.String(16), default="居民身份证")
    id_number: Mapped[str] = mapped_column(sa.String(32), default="")
    #: last four characters of the ID number, indexed for the desk search
    id_tail: Mapped[str] = mapped_column(sa.String(4), default="")
    emergency_contact: Mapped[str] = mapped_column(sa.String(64), default="")
    emergency_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    occupancies: Mapped[list[Occupancy]] = relationship(back_populates="person")
    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="person")


class PersonNameGram(Base):
    """The pieces of a person's name the desk search looks up: the first character (the
    surname) and every two adjacent characters (张三丰 → 张, 张三, 三丰).

    Written only by database triggers on ``person`` (insert, update of the name or estate,
    delete), so that every path that writes people — forms, imports, bulk inserts, demo data,
    SQL — keeps it in step; never written by the application. The name is repeated so that
    the rows of one piece come in name order.
    """

    __tablename__ = "person_name_gram"
    __table_args__ = ({"sqlite_with_rowid": False},)

    estate_id: Mapped[int] = mapped_column(primary_key=True)
    #: one character: the first of the name; two: any two adjacent characters
    gram: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)


class Occupancy(Base):
    __tablename__ = "occupancy"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    #: one of OCCUPANCY_ROLES: 业主 / 租户 / 家庭成员
    role: Mapped[str] = mapped_column(sa.String(8))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    #: the unit's primary contact (one at a time per unit)
    is_primary: Mapped[bool] = mapped_column(default=False)

    unit: Mapped[Unit] = relationship(back_populates="occupancies")
    person: Mapped[Person] = relationship(back_populates="occupancies")


class Vehicle(Base):
    __tablename__ = "vehicle"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "plate"),
        # a plate from its province on (京A1…) as a byte range, as for unit codes
        sa.Index("ix_vehicle_estate_plate_pattern", "estate_id", "plate",
                 postgresql_ops={"plate": "text_pattern_ops"}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: licence plate, upper case without spaces, e.g. 京A12345
    plate: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    person: Mapped[Person | None] = relationship(back_populates="vehicles")
    unit: Mapped[Unit | None] = relationship()
