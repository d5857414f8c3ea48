"""Naming what audit events are about, who did them and what they refer to, for their pages.

An event names its object by table and id ("receipt", 12) and its before/after refer to other
records by id (``cashier_id``, ``unit_id``, ``bill_line_id`` …). People read them by their
names: the receipt's number, the key's tag, the resident, the unit's code, the member of staff.
:func:`names_of` looks them all up for a page of events, a few queries per kind of record, and
returns ``{(kind, id): name}`` for :func:`frontdesk.labels.changes` and the pages' object column.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.labels import REFERENCE_FIELDS
from frontdesk.models import (
    AuditEvent,
    BillLine,
    Building,
    Deposit,
    FeeItem,
    Key,
    KeyAuthorisation,
    KeyCustody,
    KeyLoan,
    KeyLossReport,
    Occupancy,
    Person,
    Receipt,
    Unit,
    User,
    Vehicle,
)
from frontdesk.services.keys import loans

Names = dict[tuple[str, int], str]


def _references(value, field: str | None, found: dict[str, set[int]]) -> None:
    """Collect the ids a before/after value refers to, by kind of record."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _references(item, key, found)
    elif isinstance(value, list):
        for item in value:
            _references(item, field, found)
    elif isinstance(value, int) and not isinstance(value, bool) and field in REFERENCE_FIELDS:
        found[REFERENCE_FIELDS[field]].add(value)


def _pairs(stmt) -> Iterable[tuple[int, str]]:
    return db.session.execute(stmt).all()


def names_of(events: Iterable[AuditEvent]) -> Names:
    """Return the names of the events' objects and of the records their values refer to."""
    events = list(events)
    wanted: dict[str, set[int]] = defaultdict(set)
    for e in events:
        if e.object_id is not None:
            wanted[e.object_type].add(e.object_id)
        if e.user_id is not None:
            wanted["user"].add(e.user_id)
        _references(e.before, None, wanted)
        _references(e.after, None, wanted)
    names: Names = {}

    def add(kind: str, select) -> None:
        ids = wanted.get(kind)
        if ids:
            for object_id, name in _pairs(select(ids)):
                names[(kind, object_id)] = name or ""

    add("user", lambda ids: sa.select(User.id, sa.func.coalesce(
        sa.func.nullif(User.full_name, ""), User.username)).where(User.id.in_(ids)))
    add("unit", lambda ids: sa.select(Unit.id, Unit.code).where(Unit.id.in_(ids)))
    if wanted.get("building"):
        for building in db.session.scalars(
                sa.select(Building).where(Building.id.in_(wanted["building"]))):
            names[("building", building.id)] = building.label
    add("person", lambda ids: sa.select(Person.id, Person.name).where(Person.id.in_(ids)))
    add("occupancy", lambda ids: sa.select(Occupancy.id, Person.name)
        .join(Person, Person.id == Occupancy.person_id).where(Occupancy.id.in_(ids)))
    add("vehicle", lambda ids: sa.select(Vehicle.id, Vehicle.plate).where(Vehicle.id.in_(ids)))
    add("receipt", lambda ids: sa.select(Receipt.id, Receipt.number).where(Receipt.id.in_(ids)))
    add("payment", lambda ids: sa.select(Receipt.payment_id, Receipt.number)
        .where(Receipt.payment_id.in_(ids)))
    add("deposit", lambda ids: sa.select(Deposit.id, Deposit.kind).where(Deposit.id.in_(ids)))
    add("fee_item", lambda ids: sa.select(FeeItem.id, FeeItem.name).where(FeeItem.id.in_(ids)))
    add("key", lambda ids: sa.select(Key.id, Key.tag).where(Key.id.in_(ids)))
    add("key_custody", lambda ids: sa.select(KeyCustody.id, Key.tag)
        .join(Key, Key.id == KeyCustody.key_id).where(KeyCustody.id.in_(ids)))
    add("key_authorisation", lambda ids: sa.select(KeyAuthorisation.id, KeyAuthorisation.name)
        .where(KeyAuthorisation.id.in_(ids)))
    add("key_loss_report", lambda ids: sa.select(KeyLossReport.id, Key.tag)
        .join(Key, Key.id == KeyLossReport.key_id).where(KeyLossReport.id.in_(ids)))
    add("bill_line", lambda ids: sa.select(
        BillLine.id, BillLine.period + " " + FeeItem.name)
        .join(FeeItem, FeeItem.id == BillLine.fee_item_id).where(BillLine.id.in_(ids)))
    if wanted.get("key_loan"):
        for loan, tag in db.session.execute(
                sa.select(KeyLoan, Key.tag).join(Key, Key.id == KeyLoan.key_id)
                .where(KeyLoan.id.in_(wanted["key_loan"]))):
            names[("key_loan", loan.id)] = f"{loans.loan_number(loan)} · {tag}"
    return names

