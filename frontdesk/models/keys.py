"""Key custody: keys held by the service centre, custody, authorised borrowers, loans, counts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, UTCDateTime, utcnow

#: 在柜 / 借出 / 已归还业主 / 遗失
KEY_STATUSES = ("in_cabinet", "on_loan", "returned", "lost")
KEY_KINDS = ("入户门", "信箱", "储藏室", "车库", "设备间", "配电房", "水泵房", "楼顶", "其他")
#: who borrowed: the owner, a person on the authorised list, or someone a manager approved
BORROWER_KINDS = ("owner", "authorised", "approved")


class Key(Base):
    """A key (or a set of copies of one key) the service centre holds."""

    __tablename__ = "key"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "tag"),
        sa.CheckConstraint("copies >= 1", name="copies_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    #: the number on the key's tag, unique in the estate, e.g. K-3-2-1502-01
    tag: Mapped[str] = mapped_column(sa.String(32))
    #: the unit it opens; None for a public area
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: the public area it opens (设备间 of building 3 …) when it belongs to no unit
    area: Mapped[str] = mapped_column(sa.String(64), default="")
    #: one of KEY_KINDS (free text allowed for 其他)
    kind: Mapped[str] = mapped_column(sa.String(16))
    copies: Mapped[int] = mapped_column(default=1)
    cabinet: Mapped[str] = mapped_column(sa.String(16), default="")
    slot: Mapped[str] = mapped_column(sa.String(16), default="")
    #: one of KEY_STATUSES
    status: Mapped[str] = mapped_column(sa.String(12), default="in_cabinet")
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    custodies: Mapped[list[KeyCustody]] = relationship(back_populates="key",
                                                       order_by="KeyCustody.deposited_at")


class KeyCustody(Base):
    """An owner's deposit of a key with the service centre (托管), until taken back."""

    __tablename__ = "key_custody"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("key.id"), index=True)
    #: the owner (or their agent) who deposited it
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    depositor_name: Mapped[str] = mapped_column(sa.String(64))
    depositor_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    copies: Mapped[int] = mapped_column(default=1)
    deposited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: the deposit (押金) taken for it, if any
    deposit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deposit.id"))
    #: when the owner took the key back
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    key: Mapped[Key] = relationship(back_populates="custodies")
    authorisations: Mapped[list[KeyAuthorisation]] = relationship(
        back_populates="custody", order_by="KeyAuthorisation.id")


class KeyAuthorisation(Base):
    """A person the owner allows to borrow the key, until a date."""

    __tablename__ = "key_authorisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    custody_id: Mapped[int] = mapped_column(sa.ForeignKey("key_custody.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    phone: Mapped[str] = mapped_column(sa.String(20))
    #: last four characters of the ID number, checked when lending
    id_tail: Mapped[str] = mapped_column(sa.String(4))
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    custody: Mapped[KeyCustody] = relationship(back_populates="authorisations")


class KeyLoan(Base):
    """A loan of a key, hash-chained per estate like receipts."""

    __tablename__ = "key_loan"
    __table_args__ = (
        # at most one open loan per key, kept by the database
        sa.Index("uq_key_loan_open", "key_id", unique=True,
                 sqlite_where=sa.text("returned_at IS NULL"),
                 postgresql_where=sa.text("returned_at IS NULL")),
        sa.UniqueConstraint("estate_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    #: position in the estate's chain of loans (1, 2, 3 …)
    seq: Mapped[int]
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("key.id"), index=True)
    #: one of BORROWER_KINDS
    borrower_kind: Mapped[str] = mapped_column(sa.String(12))
    borrower_name: Mapped[str] = mapped_column(sa.String(64))
    borrower_phone: Mapped[str] = mapped_column(sa.String(20))
    borrower_id_tail: Mapped[str] = mapped_column(sa.String(4))
    authorisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("key_authorisation.id"))
    #: 代领: the person who actually picked the key up for the borrower
    proxy_name: Mapped[str] = mapped_column(sa.String(64), default="")
    proxy_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    proxy_id_tail: Mapped[str] = mapped_column(sa.String(4), default="")
    purpose: Mapped[str] = mapped_column(sa.String(200))
    lent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expected_return_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    lent_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    #: a manager's approval for a borrower who is neither the owner nor authorised
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approval_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    returned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    return_condition: Mapped[str] = mapped_column(sa.String(200), default="")
    #: the hashed content of the loan as lent
    content: Mapped[dict] = mapped_column(sa.JSON)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    #: hash of the return record, chained to the loan's hash, set when the key comes back
    return_hash: Mapped[str | None] = mapped_column(sa.String(64))
    print_count: Mapped[int] = mapped_column(default=0)

    key: Mapped[Key] = relationship()


class KeyLossReport(Base):
    """A key reported lost, with the circumstances and any replacement charge."""

    __tablename__ = "key_loss_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("key.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("key_loan.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    circumstances: Mapped[str] = mapped_column(sa.String(500))
    #: the replacement charge raised on the unit's bill, if any
    bill_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bill_line.id"))


class KeyCount(Base):
    """A count of the key cabinet (盘点)."""

    __tablename__ = "key_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    items: Mapped[list[KeyCountItem]] = relationship(back_populates="count",
                                                     order_by="KeyCountItem.id")


class KeyCountItem(Base):
    """One key in a count: what the register expected and whether it was found."""

    __tablename__ = "key_count_item"
    __table_args__ = (sa.UniqueConstraint("count_id", "key_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(sa.ForeignKey("key_count.id"), index=True)
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("key.id"))
    #: the key's status when the count started
    expected_status: Mapped[str] = mapped_column(sa.String(12))
    #: None until marked; True found in the cabinet, False missing
    found: Mapped[bool | None]
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    count: Mapped[KeyCount] = relationship(back_populates="items")
    key: Mapped[Key] = relationship()
