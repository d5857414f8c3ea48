"""Key custody (托管): an owner deposits a key with the service centre, with an optional deposit
(押金), names the people who may borrow it, revokes them, and takes the key back.

Money: a custody deposit (钥匙押金) is taken as a payment with a receipt in the SAME transaction as
the custody (``payments.record_payment``, the non-committing body of ``take_payment``), and
taking the key back asks for the deposit's refund in the same transaction too (the body of the
``@transactional`` ``refunds.request_refund``), so either all of it is written or nothing.

Concurrency: every change of a key's custody locks the key's row first (``FOR UPDATE`` on
PostgreSQL), so a deposit posted twice, or a take-back racing a deposit, run one after the other.
A deposit posted twice with the same idempotency key gives back the custody the first one wrote:
the second's attempt is rolled back to a savepoint, never the caller's transaction.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import (
    Deposit,
    Estate,
    Key,
    KeyAuthorisation,
    KeyCustody,
    Occupancy,
    Payment,
    Person,
    Refund,
    Unit,
    User,
)
from frontdesk.models.fees import PAYMENT_METHODS
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees import bill_queries, payments, refunds
from frontdesk.services.keys.registry import (
    COPIES_MESSAGE,
    MAX_COPIES,
    clean_text,
    lock_key,
    open_custody,
    open_loan,
    whole_number,
)
from frontdesk.services.validation import normalise_phone, phone_error

DEPOSIT_KIND = "钥匙押金"
#: how far ahead an authorisation may run
MAX_AUTHORISATION = timedelta(days=366 * 10)

_ID_TAIL_RE = re.compile(r"^[0-9]{3}[0-9X]$")


def local_to_utc(value: datetime, timezone: str) -> datetime:
    """Read a naive local time typed in a form as the estate's time, and return it in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(ZoneInfo("UTC"))


def is_valid(authorisation: KeyAuthorisation, now: datetime) -> bool:
    """Tell whether an authorisation lets its person borrow now (not revoked, not expired)."""
    return authorisation.revoked_at is None and authorisation.valid_until > now


def valid_authorisations(custody: KeyCustody, now: datetime) -> list[KeyAuthorisation]:
    """Return the authorisations of an open custody that hold now; none once it has ended."""
    if custody.ended_at is not None:
        return []
    return [a for a in custody.authorisations if is_valid(a, now)]


def unit_owners(unit_id: int | None) -> list[Person]:
    """Return the current owners of a unit (who may deposit its keys), primary contact first."""
    if unit_id is None:
        return []
    return list(db.session.scalars(
        sa.select(Person).join(Occupancy, Occupancy.person_id == Person.id)
        .where(Occupancy.unit_id == unit_id, Occupancy.role == "owner",
               Occupancy.end_date.is_(None))
        .order_by(Occupancy.is_primary.desc(), Occupancy.id)))

@dataclass(frozen=True)
class Depositor:
    """Someone who is not a registered owner depositing a key: a name and a phone."""

    name: str
    phone: str = ""


def _custody_by_payment_key(key: str | None) -> KeyCustody | None:
    if not key:
        return None
    return db.session.scalar(
        sa.select(KeyCustody).join(Deposit, Deposit.id == KeyCustody.deposit_id)
        .join(Payment, Payment.id == Deposit.payment_id)
        .where(Payment.idempotency_key == key)
        .execution_options(populate_existing=True))


@transactional
def deposit_key(actor: User, key: Key, *, depositor: Person | Depositor, copies=1,
                deposit_amount=None, method: str | None = None,
                idempotency_key: str | None = None, note: str = "",
                now: datetime) -> KeyCustody:
    """Take a key into custody from its owner (托管), with an optional deposit (押金).

    The deposit is taken as a payment with a receipt in the same transaction and linked as
    ``custody.deposit_id``. The same idempotency key gives back the custody already recorded.
    """
    copies = whole_number(copies, "copies", low=1, high=MAX_COPIES, message=COPIES_MESSAGE)
    note = clean_text(note, 200, "note")
    amount, idempotency_key = _deposit_amount(key, deposit_amount, method, idempotency_key)
    person_id, name, phone = _depositor(key, depositor)
    try:
        with db.session.begin_nested():
            return _deposit(actor, key, person_id=person_id, name=name, phone=phone,
                            copies=copies, amount=amount, method=method,
                            idempotency_key=idempotency_key, note=note, now=now)
    except sa.exc.IntegrityError:
        # the same form posted again while this one ran: the other post recorded it
        existing = _custody_by_payment_key(idempotency_key)
        if existing is None:
            raise
        return existing


def _deposit_amount(key: Key, deposit_amount, method: str | None,
                    idempotency_key: str | None) -> tuple[Decimal | None, str | None]:
    """Check the deposit typed (blank for none), how it was paid and the form's key."""
    if deposit_amount in (None, ""):
        return None, idempotency_key
    amount = payments.check_amount(deposit_amount, "deposit_amount")
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Choose how the deposit was paid."), "method")
    idempotency_key = (idempotency_key or "").strip()
    if not idempotency_key or len(idempotency_key) > 64:
        raise DomainError(_l("The form has expired. Please reload the page and submit it "
                             "again."))
    if key.unit_id is None:
        raise DomainError(_l("A deposit can only be taken for the key of a unit."),
                          "deposit_amount")
    return amount, idempotency_key


def _depositor(key: Key, depositor: Person | Depositor) -> tuple[int | None, str, str]:
    """Return the depositor's person id (None when typed), name and phone, checked."""
    if isinstance(depositor, Person):
        if depositor.id not in {p.id for p in unit_owners(key.unit_id)}:
            raise DomainError(_l("%(name)s is not a current owner of the key's unit.",
                                 name=depositor.name), "depositor")
        return depositor.id, depositor.name, depositor.phone
    name = clean_text(depositor.name, 64, "name",
                      required_message=_l("Please enter the depositor's name."))
    phone = normalise_phone(depositor.phone)
    if not phone:
        raise DomainError(_l("Please enter the depositor's phone."), "phone")
    error = phone_error(phone)
    if error:
        raise DomainError(error, "phone")
    return None, name, phone


def _check_depositable(key: Key) -> None:
    if key.status == "lost":
        raise DomainError(_l("Key %(tag)s is reported lost; it cannot be deposited.",
                             tag=key.tag))
    if open_custody(key) is not None:
        raise DomainError(_l("Key %(tag)s is already in custody; take it back first.",
                             tag=key.tag))
    if key.status == "on_loan" or open_loan(key) is not None:
        raise DomainError(_l("Key %(tag)s is out on loan; it can be deposited once it is back.",
                             tag=key.tag))


def _deposit(actor: User, key: Key, *, person_id, name, phone, copies, amount, method,
             idempotency_key, note, now) -> KeyCustody:
    """Write the custody and its deposit with the key's row locked (the checked values)."""
    key = lock_key(key)
    if amount is not None:
        existing = _custody_by_payment_key(idempotency_key)
        if existing is not None:
            if existing.key_id != key.id:
                raise DomainError(_l("This form was already used for another key. Please open "
                                     "the page again."))
            return existing
    _check_depositable(key)
    custody = KeyCustody(estate_id=key.estate_id, key_id=key.id, person_id=person_id,
                         depositor_name=name, depositor_phone=phone, copies=copies,
                         deposited_at=now, received_by_id=actor.id, note=note)
    db.session.add(custody)
    db.session.flush()
    if amount is not None:
        custody.deposit_id = _take_deposit(actor, key, amount=amount, method=method,
                                           idempotency_key=idempotency_key, payer=name,
                                           now=now).id
    before = audit.snapshot(key, ["status", "copies"])
    key.status = "in_cabinet"
    key.copies = copies
    db.session.flush()
    audit.record(actor, "create", custody, after=audit.snapshot(custody))
    audit.record(actor, "update", key, before=before,
                 after={**audit.snapshot(key, ["status", "copies"]), "custody_id": custody.id})
    return custody


def _take_deposit(actor: User, key: Key, *, amount, method, idempotency_key, payer,
                  now) -> Deposit:
    """Take the key deposit as a payment with a receipt, in the caller's transaction."""
    unit = db.session.get(Unit, key.unit_id)
    estate = db.session.get(Estate, key.estate_id)
    payment = payments.record_payment(
        actor, unit, amount=amount, method=method, key=idempotency_key, line_ids=None,
        payer=payer, note=f"钥匙托管押金 {key.tag}", purpose="deposit",
        deposit_kind=DEPOSIT_KIND, today=now.astimezone(ZoneInfo(estate.timezone)).date())
    return db.session.scalar(sa.select(Deposit).where(Deposit.payment_id == payment.id))


def _authorisation_values(data: dict, now: datetime) -> dict:
    name = clean_text(data.get("name"), 64, "name",
                 required_message=_l("Please enter the name of the authorised person."))
    phone = normalise_phone(data.get("phone") or "")
    if not phone:
        raise DomainError(_l("Please enter the phone of the authorised person."), "phone")
    error = phone_error(phone)
    if error:
        raise DomainError(error, "phone")
    id_tail = unicodedata.normalize("NFKC", data.get("id_tail") or "").strip().upper()
    if not _ID_TAIL_RE.match(id_tail):
        raise DomainError(_l("Enter the last four characters of the ID number: four digits, "
                             "the last of which may be X."), "id_tail")
    valid_until = data.get("valid_until")
    if not isinstance(valid_until, datetime) or valid_until.tzinfo is None:
        raise DomainError(_l("Enter until when the authorisation holds, e.g. 2026-12-31 18:00."),
                          "valid_until")
    if valid_until <= now:
        raise DomainError(_l("The authorisation must hold until a time in the future."),
                          "valid_until")
    if valid_until > now + MAX_AUTHORISATION:
        raise DomainError(_l("An authorisation may run at most ten years."), "valid_until")
    return {"name": name, "phone": phone, "id_tail": id_tail, "valid_until": valid_until}


@transactional
def authorise(actor: User, custody: KeyCustody, data: dict, *, now: datetime
              ) -> KeyAuthorisation:
    """Add a person the owner allows to borrow the key: name, phone, ID last four, valid until.

    ``data["valid_until"]`` is a timezone-aware datetime.
    """
    values = _authorisation_values(data, now)
    lock_key(custody.key)
    db.session.refresh(custody)
    if custody.ended_at is not None:
        raise DomainError(_l("This custody has ended; the owner has taken the key back."))
    for other in valid_authorisations(custody, now):
        if other.phone == values["phone"] and other.id_tail == values["id_tail"]:
            raise DomainError(_l("%(name)s is already authorised for this key.",
                                 name=other.name), "name")
    authorisation = KeyAuthorisation(estate_id=custody.estate_id, custody_id=custody.id,
                                     created_at=now, **values)
    db.session.add(authorisation)
    db.session.flush()
    audit.record(actor, "create", authorisation, after=audit.snapshot(authorisation))
    return authorisation


@transactional
def revoke(actor: User, authorisation: KeyAuthorisation, *, now: datetime) -> KeyAuthorisation:
    """Withdraw an authorisation at the owner's request; it stays on record as revoked."""
    custody = authorisation.custody
    lock_key(custody.key)
    db.session.refresh(authorisation)
    if authorisation.revoked_at is not None:
        raise DomainError(_l("This authorisation has already been revoked."))
    authorisation.revoked_at = now
    audit.record(actor, "revoke", authorisation, before={"revoked_at": None},
                 after={"revoked_at": now.isoformat(), "name": authorisation.name})
    return authorisation


@dataclass(frozen=True)
class TakeBack:
    """A custody ended, with the refund of its deposit asked for (None if there was none)."""

    custody: KeyCustody
    refund: Refund | None = None


def deposit_left(custody: KeyCustody) -> Decimal:
    """Return how much of the custody's deposit can still be refunded (0 without one)."""
    if custody.deposit_id is None:
        return Decimal("0.00")
    deposit = db.session.get(Deposit, custody.deposit_id)
    held = {h.deposit.id: h for h in bill_queries.deposits_held(deposit.unit_id)}.get(deposit.id)
    return held.held - held.pending if held else Decimal("0.00")


@transactional
def take_back(actor: User, custody: KeyCustody, *, now: datetime,
              refund_method: str | None = None) -> TakeBack:
    """The owner takes the key back: custody ends, status 已归还业主, deposit refund requested.

    Refused while the key is on loan. The refund waits for a manager's approval on the refunds
    page; it is paid back the way the deposit was paid unless ``refund_method`` says otherwise.
    """
    key = lock_key(custody.key)
    db.session.refresh(custody)
    if custody.ended_at is not None:
        raise DomainError(_l("This key has already been taken back."))
    if key.status == "on_loan" or open_loan(key) is not None:
        raise DomainError(_l("Key %(tag)s is out on loan; it can be taken back once it is "
                             "returned.", tag=key.tag))
    if refund_method and refund_method not in PAYMENT_METHODS:
        raise DomainError(_l("Choose how the deposit is paid back."), "refund_method")
    before_key = audit.snapshot(key, ["status"])
    custody.ended_at = now
    custody.ended_by_id = actor.id
    if key.status != "lost":
        key.status = "returned"
    audit.record(actor, "end", custody, before={"ended_at": None},
                 after={"ended_at": now.isoformat(), "ended_by": actor.username})
    audit.record(actor, "update", key, before=before_key,
                 after={**audit.snapshot(key, ["status"]), "custody_id": custody.id})
    refund = None
    left = deposit_left(custody)
    if left > 0:
        deposit = db.session.get(Deposit, custody.deposit_id)
        payment = db.session.get(Payment, deposit.payment_id)
        unit = db.session.get(Unit, deposit.unit_id)
        # request_refund joins this transaction (services nest)
        refund = refunds.request_refund(
            actor, unit, source="deposit", amount=left, method=refund_method or payment.method,
            reason=f"钥匙 {key.tag} 业主取回，退还钥匙押金", deposit=deposit)
    return TakeBack(custody=custody, refund=refund)
