"""What the key pages, the unit card and the printed key documents show (read only).

The key list and a key's history with the actions its page offers (:class:`KeyActions`), a
custody and its 钥匙托管凭证, the unit card's keys tab, a loan's page and its 钥匙借用单, the open
and overdue loans, and what the lend and lost-key forms show beside their fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import (
    AuditEvent,
    Deposit,
    Estate,
    Key,
    KeyAuthorisation,
    KeyCustody,
    KeyLoan,
    KeyLossReport,
    Receipt,
    Refund,
    Unit,
    User,
)
from frontdesk.models.base import utcnow
from frontdesk.models.keys import KEY_STATUSES
from frontdesk.money import amount_in_words
from frontdesk.services import audit_names
from frontdesk.services.fees import bill_queries
from frontdesk.services.keys import borrowers, loans
from frontdesk.services.keys.custody import deposit_left, valid_authorisations
from frontdesk.services.keys.registry import normalise_tag, open_loan, tz_of
from frontdesk.services.validation import mask_phone


def _local(value: datetime | None, timezone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt) if value else ""


# --- the key register and custody --------------------------------------------------------------


def list_keys(estate_id: int, *, status: str | None = None, building_id: int | None = None,
              q: str = "", page: int = 1, per_page: int = 50):
    """Return a page of the estate's keys by tag, filtered by status, building and tag/unit."""
    stmt = (sa.select(Key).outerjoin(Unit, Unit.id == Key.unit_id)
            .where(Key.estate_id == estate_id))
    if status in KEY_STATUSES:
        stmt = stmt.where(Key.status == status)
    if building_id is not None:
        stmt = stmt.where(Unit.building_id == building_id)
    q = normalise_tag(q)[:40]
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(sa.or_(Key.tag.ilike(like), Unit.code.ilike(like),
                                 Key.area.ilike(like)))
    stmt = stmt.order_by(Key.tag)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def key_rows(keys: list[Key]) -> list[tuple[Key, str]]:
    """Return (key, unit code or area) for a page of keys, in one query."""
    codes = bill_queries.unit_codes(k.unit_id for k in keys if k.unit_id)
    return [(k, codes.get(k.unit_id, "") if k.unit_id else k.area) for k in keys]


def where(key: Key) -> str:
    """Name what the key opens: the unit's code or the public area."""
    if key.unit_id is None:
        return key.area
    return db.session.scalar(sa.select(Unit.code).where(Unit.id == key.unit_id)) or ""


@dataclass(frozen=True)
class KeyActions:
    """What may be done with a key now, as its page and the unit card offer it."""

    #: take it into custody: no custody open, not lost, not out on loan
    can_deposit: bool
    #: lend it: it is in the cabinet
    can_lend: bool
    #: report it lost: not lost already, not handed back to its owner
    can_report_lost: bool


def key_actions(key: Key, custody: KeyCustody | None) -> KeyActions:
    """Return what may be done with a key whose open custody (or None) is given."""
    return KeyActions(can_deposit=custody is None and key.status not in ("lost", "on_loan"),
                      can_lend=key.status == "in_cabinet",
                      can_report_lost=key.status not in ("lost", "returned"))


@dataclass
class CustodyInfo:
    """A custody with its deposit, receipt and the authorisations on it."""

    custody: KeyCustody
    deposit: Deposit | None = None
    receipt: Receipt | None = None
    received_by: str = ""
    ended_by: str = ""
    valid: list[KeyAuthorisation] = field(default_factory=list)
    #: how much of the deposit is still held (0 without one, or once refunded)
    deposit_left: Decimal = Decimal("0.00")
    refunds: list[Refund] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """The custody has not ended: people can be authorised and the key taken back."""
        return self.custody.ended_at is None

    @property
    def revocable(self) -> list[KeyAuthorisation]:
        """The authorisations that can still be revoked: not revoked, custody not ended."""
        if not self.is_open:
            return []
        return [a for a in self.custody.authorisations if a.revoked_at is None]


def _user_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.full_name)
                                   .where(User.id.in_(wanted))).all())


def custody_info(custody: KeyCustody, now: datetime) -> CustodyInfo:
    """Gather what the custody page shows (read only)."""
    deposit = db.session.get(Deposit, custody.deposit_id) if custody.deposit_id else None
    receipt = refunds = None
    if deposit is not None:
        receipt = db.session.scalar(sa.select(Receipt)
                                    .where(Receipt.payment_id == deposit.payment_id))
        refunds = list(db.session.scalars(sa.select(Refund).where(Refund.deposit_id == deposit.id)
                                          .order_by(Refund.id)))
    names = _user_names([custody.received_by_id, custody.ended_by_id])
    return CustodyInfo(custody=custody, deposit=deposit, receipt=receipt,
                       received_by=names.get(custody.received_by_id, ""),
                       ended_by=names.get(custody.ended_by_id, ""),
                       valid=valid_authorisations(custody, now),
                       deposit_left=deposit_left(custody) if deposit else Decimal("0.00"),
                       refunds=refunds or [])


@dataclass
class KeyHistory:
    """Everything that happened to a key, for its page."""

    key: Key
    where: str
    custodies: list[CustodyInfo]
    loans: list[KeyLoan]
    loss_reports: list[KeyLossReport]
    events: list[AuditEvent]
    users: dict[int, str]
    #: names of what the events are about and refer to (:func:`audit_names.names_of`)
    names: dict = field(default_factory=dict)

    @property
    def current(self) -> CustodyInfo | None:
        return next((c for c in self.custodies if c.custody.ended_at is None), None)

    @property
    def actions(self) -> KeyActions:
        current = self.current
        return key_actions(self.key, current.custody if current else None)


def key_history(key: Key, now: datetime, event_limit: int = 500) -> KeyHistory:
    """Gather a key's custody periods, authorisations, loans, loss reports and audit events."""
    custodies = list(db.session.scalars(sa.select(KeyCustody).where(KeyCustody.key_id == key.id)
                                        .order_by(KeyCustody.deposited_at.desc(),
                                                  KeyCustody.id.desc())))
    loans = list(db.session.scalars(sa.select(KeyLoan).where(KeyLoan.key_id == key.id)
                                    .order_by(KeyLoan.lent_at.desc(), KeyLoan.id.desc())))
    losses = list(db.session.scalars(sa.select(KeyLossReport)
                                     .where(KeyLossReport.key_id == key.id)
                                     .order_by(KeyLossReport.reported_at.desc())))
    auth_ids = [a.id for c in custodies for a in c.authorisations]
    touched = [sa.and_(AuditEvent.object_type == "key", AuditEvent.object_id == key.id)]
    for object_type, ids in (("key_custody", [c.id for c in custodies]),
                             ("key_authorisation", auth_ids),
                             ("key_loan", [ln.id for ln in loans]),
                             ("key_loss_report", [r.id for r in losses])):
        if ids:
            touched.append(sa.and_(AuditEvent.object_type == object_type,
                                   AuditEvent.object_id.in_(ids)))
    events = list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.estate_id == key.estate_id, sa.or_(*touched))
        .order_by(AuditEvent.id.desc()).limit(event_limit)))
    users = _user_names([ln.lent_by_id for ln in loans] + [ln.returned_to_id for ln in loans]
                        + [ln.approved_by_id for ln in loans]
                        + [r.reported_by_id for r in losses])
    return KeyHistory(key=key, where=where(key),
                      custodies=[custody_info(c, now) for c in custodies], loans=loans,
                      loss_reports=losses, events=events, users=users,
                      names=audit_names.names_of(events))


@dataclass
class UnitKey:
    """A key on the unit card, with its open custody and the authorisations valid now."""

    key: Key
    custody: KeyCustody | None
    authorised: list[KeyAuthorisation]
    actions: KeyActions


def unit_keys(unit: Unit, now: datetime) -> list[UnitKey]:
    """Return the keys of a unit for the desk's unit card (read only)."""
    keys = list(db.session.scalars(sa.select(Key).where(Key.unit_id == unit.id)
                                   .order_by(Key.tag)))
    if not keys:
        return []
    custodies = {c.key_id: c for c in db.session.scalars(
        sa.select(KeyCustody).where(KeyCustody.key_id.in_([k.id for k in keys]),
                                    KeyCustody.ended_at.is_(None)))}
    return [UnitKey(key=k, custody=custodies.get(k.id),
                    authorised=valid_authorisations(custodies[k.id], now)
                    if k.id in custodies else [],
                    actions=key_actions(k, custodies.get(k.id))) for k in keys]


@dataclass
class UnitKeyTab:
    """The unit card's keys tab: the unit's keys, those that can be lent, and their open loans."""

    keys: list[UnitKey]
    lendable: list[UnitKey]
    open_loans: list[OpenLoan]


def unit_key_tab(unit: Unit, now: datetime) -> UnitKeyTab:
    """Gather the unit card's keys tab (read only)."""
    keys = unit_keys(unit, now)
    return UnitKeyTab(keys=keys, lendable=[uk for uk in keys if uk.actions.can_lend],
                      open_loans=open_loans(unit.estate_id, now, unit_id=unit.id))


def custody_document(custody: KeyCustody, *, now: datetime, printed_by: str) -> dict:
    """Return the plain data of the 钥匙托管凭证 (:func:`frontdesk.pdf.key_custody.custody_pdf`)."""
    key = custody.key
    estate = db.session.get(Estate, custody.estate_id)
    tz = estate.timezone
    info = custody_info(custody, now)
    deposit = None
    if info.deposit is not None:
        deposit = {"amount": f"{info.deposit.amount:.2f}",
                   "in_words": amount_in_words(info.deposit.amount),
                   "receipt_number": info.receipt.number if info.receipt else "",
                   "voided": bool(info.receipt and info.receipt.voided_at)}
    return {
        "estate": {"name": estate.name, "address": estate.address, "phone": estate.phone},
        "document_no": f"TG{custody.id:06d}",
        "tag": key.tag,
        "unit_code": where(key) if key.unit_id else "",
        "area": key.area,
        "kind": key.kind,
        "copies": custody.copies,
        "cabinet": key.cabinet,
        "slot": key.slot,
        "depositor": custody.depositor_name,
        "depositor_phone": mask_phone(custody.depositor_phone),
        "deposited_at": _local(custody.deposited_at, tz),
        "received_by": info.received_by,
        "deposit": deposit,
        "authorised": [{"name": a.name, "phone": mask_phone(a.phone), "id_tail": a.id_tail,
                        "valid_until": _local(a.valid_until, tz)} for a in info.valid],
        "ended_at": _local(custody.ended_at, tz),
        "note": custody.note,
        "printed_at": _local(now, tz),
        "printed_by": printed_by,
    }


# --- loans -----------------------------------------------------------------------------------


def _name_of(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return (user.full_name or user.username) if user else ""


def slip_data(loan: KeyLoan, *, print_no: int, printed_by: str,
              printed_at: datetime | None = None) -> dict:
    """Return the plain data of a loan's 钥匙借用单 for :func:`frontdesk.pdf.key_loan.loan_slip`."""
    estate = db.session.get(Estate, loan.estate_id)
    tz = ZoneInfo(estate.timezone)
    key = db.session.get(Key, loan.key_id)

    def local(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

    return {
        "estate": {"name": estate.name, "address": estate.address, "phone": estate.phone},
        "number": loans.loan_number(loan),
        "key": {"tag": key.tag, "kind": key.kind, "copies": key.copies,
                "unit_code": where(key) if key.unit_id else "",
                "area": "" if key.unit_id else key.area,
                "cabinet": key.cabinet, "slot": key.slot},
        # phones masked as on the custody voucher: the slip leaves the desk with the borrower
        "borrower": {"name": loan.borrower_name, "phone": mask_phone(loan.borrower_phone),
                     "id_tail": loan.borrower_id_tail, "kind": loan.borrower_kind},
        "proxy": {"name": loan.proxy_name, "phone": mask_phone(loan.proxy_phone),
                  "id_tail": loan.proxy_id_tail} if loan.proxy_name else None,
        "purpose": loan.purpose,
        "lent_at": local(loan.lent_at),
        "expected_return_at": local(loan.expected_return_at),
        "lent_by": _name_of(loan.lent_by_id),
        "approval": {"by": _name_of(loan.approved_by_id), "reason": loan.approval_reason}
        if loan.approved_by_id else None,
        "returned_at": local(loan.returned_at),
        "return_condition": loan.return_condition or "",
        "returned_to": _name_of(loan.returned_to_id),
        "print_no": print_no,
        "reprint": f"补打（第 {print_no - 1} 次补打）" if print_no > 1 else "",
        "printed_at": local(printed_at or utcnow()),
        "printed_by": printed_by,
    }


# reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueLoan:
    """An open loan past its expected return, and how late it is."""

    loan: KeyLoan
    key: Key
    where: str
    number: str
    #: whole days and the hours beyond them
    days: int
    hours: int

    @property
    def total_hours(self) -> int:
        return self.days * 24 + self.hours


def overdue_loans(estate_id: int, now: datetime, limit: int | None = None) -> list[OverdueLoan]:
    """Return the estate's open loans past their expected return, the latest overdue first."""
    now = now.astimezone(UTC)
    q = (sa.select(KeyLoan, Key, Unit.code)
         .join(Key, Key.id == KeyLoan.key_id).outerjoin(Unit, Unit.id == Key.unit_id)
         .where(KeyLoan.estate_id == estate_id, KeyLoan.returned_at.is_(None),
                KeyLoan.expected_return_at < now)
         .order_by(KeyLoan.expected_return_at, KeyLoan.id))
    if limit:
        q = q.limit(limit)
    rows = []
    tz = tz_of(estate_id)
    for loan, key, unit_code in db.session.execute(q):
        late = now - loan.expected_return_at
        hours = int(late.total_seconds() // 3600)
        rows.append(OverdueLoan(loan=loan, key=key, where=unit_code or key.area or "",
                                number=f"{loans.LOAN_PREFIX}{loan.lent_at.astimezone(tz).year}-"
                                       f"{loan.seq:06d}",
                                days=hours // 24, hours=hours % 24))
    return rows


@dataclass(frozen=True)
class OpenLoan:
    """An open loan with its key, what the key opens and whether it is overdue."""

    loan: KeyLoan
    key: Key
    where: str
    number: str
    overdue: bool


def open_loans(estate_id: int, now: datetime, *, unit_id: int | None = None,
               key_id: int | None = None) -> list[OpenLoan]:
    """Return the open loans of an estate (or of one unit's or one key's), oldest first."""
    now = now.astimezone(UTC)
    q = (sa.select(KeyLoan, Key, Unit.code)
         .join(Key, Key.id == KeyLoan.key_id).outerjoin(Unit, Unit.id == Key.unit_id)
         .where(KeyLoan.estate_id == estate_id, KeyLoan.returned_at.is_(None))
         .order_by(KeyLoan.lent_at, KeyLoan.id))
    if unit_id is not None:
        q = q.where(Key.unit_id == unit_id)
    if key_id is not None:
        q = q.where(KeyLoan.key_id == key_id)
    tz = tz_of(estate_id)
    return [OpenLoan(loan=loan, key=key, where=code or key.area or "",
                     number=f"{loans.LOAN_PREFIX}{loan.lent_at.astimezone(tz).year}-{loan.seq:06d}",
                     overdue=loan.expected_return_at < now)
            for loan, key, code in db.session.execute(q)]


def loans_of_key(key_id: int, limit: int = 50) -> list[KeyLoan]:
    """Return a key's loans, newest first."""
    return list(db.session.scalars(sa.select(KeyLoan).where(KeyLoan.key_id == key_id)
                                   .order_by(KeyLoan.seq.desc()).limit(limit)))


@dataclass(frozen=True)
class LendContext:
    """What the lend form shows beside the fields: who may borrow the key without approval."""

    key: Key
    where: str
    owners: list[str]
    authorised: list[KeyAuthorisation]
    open_loan: KeyLoan | None
    #: whom the form offers to pick as the borrower
    choices: list[borrowers.BorrowerChoice] = field(default_factory=list)


def lend_context(key: Key, now: datetime) -> LendContext:
    """Return the owners' names and the valid authorised people of a key (read only)."""
    now = now.astimezone(UTC)
    owners = [p.name for p in borrowers.owners(key.unit_id, now)] if key.unit_id else []
    valid = [a for a in borrowers.authorisations(key.id)
             if a.revoked_at is None and a.valid_until >= now]
    return LendContext(key=key, where=where(key), owners=owners, authorised=valid,
                       open_loan=open_loan(key), choices=borrowers.borrower_choices(key, now))


@dataclass(frozen=True)
class LoanView:
    """A loan with the names and places its page shows."""

    loan: KeyLoan
    key: Key
    where: str
    number: str
    unit_id: int | None
    lent_by: str
    approved_by: str
    returned_to: str
    overdue: bool
    loss_report: KeyLossReport | None


def loan_view(loan: KeyLoan, now: datetime) -> LoanView:
    """Gather what a loan's page shows (read only)."""
    key = db.session.get(Key, loan.key_id)
    loss = db.session.scalar(sa.select(KeyLossReport).where(KeyLossReport.loan_id == loan.id))
    return LoanView(loan=loan, key=key, where=where(key), number=loans.loan_number(loan),
                    unit_id=key.unit_id, lent_by=_name_of(loan.lent_by_id),
                    approved_by=_name_of(loan.approved_by_id),
                    returned_to=_name_of(loan.returned_to_id),
                    overdue=loan.returned_at is None
                    and loan.expected_return_at < now.astimezone(UTC),
                    loss_report=loss)


@dataclass(frozen=True)
class LossView:
    """What the lost-key form shows: the key, its open loan and whether a charge is possible."""

    key: Key
    where: str
    open_loan: KeyLoan | None
    can_charge: bool


def loss_context(key: Key) -> LossView:
    """Gather what the lost-key form shows (read only)."""
    return LossView(key=key, where=where(key), open_loan=open_loan(key),
                    can_charge=key.unit_id is not None)
