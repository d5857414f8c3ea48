"""The hash chains' links: one append-only row per chained event of a record."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.models.base import Base, UTCDateTime, utcnow


class ChainEntry(Base):
    """A link of an estate's hash chain: one event of a record (issued, voided, lent, returned).

    Its hash covers the record's canonical fields for the event (see ``services/chain.py``), the
    link's own position and the previous link's hash, so the last link's hash (the chain's
    head) vouches for every record and event before it.
    """

    __tablename__ = "chain_entry"
    __table_args__ = (
        sa.UniqueConstraint("chain", "estate_id", "seq"),
        sa.UniqueConstraint("chain", "record_id", "event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the registered chain's name, e.g. "receipts", "key_loans"
    chain: Mapped[str] = mapped_column(sa.String(24))
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    #: position in the estate's chain: 1, 2, 3 … without gaps
    seq: Mapped[int]
    #: the id of the chained record in the chain's table (no foreign key: any table may chain)
    record_id: Mapped[int]
    #: what happened to the record, e.g. "issue", "void", "lend", "return"
    event: Mapped[str] = mapped_column(sa.String(16))
    #: the record's printed number, which names it even if its row is gone
    label: Mapped[str] = mapped_column(sa.String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: the version of the chain's canonical form the hash was taken with
    version: Mapped[int] = mapped_column(default=1)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), index=True)


class ChainIsAppendOnly(Exception):
    """Raised when code tries to change or delete a link of a hash chain."""


@event.listens_for(ChainEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise ChainIsAppendOnly("chain entries cannot be changed")


@event.listens_for(ChainEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise ChainIsAppendOnly("chain entries cannot be deleted")
