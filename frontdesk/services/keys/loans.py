"""Key loans (借用): lending and returning keys, the loans' hash chain, and lost keys.

What the loan pages and the slip show (open and overdue loans, a loan's page, the lend and
lost forms' context) is in :mod:`frontdesk.services.keys.queries`.

Who may borrow: the unit's owner (a current owner occupancy whose person's phone and last four
ID characters match) or a person on the key's current custody's authorised list (not revoked,
valid until now or later, phone and ID tail matching). Anyone else needs a manager's approval
(keys.approve) with a reason (:mod:`frontdesk.services.keys.borrowers`).

One open loan per key: the key's row is locked (``SELECT … FOR UPDATE``) before its status is
checked, and the database's partial unique index ``uq_key_loan_open`` (key_id WHERE
returned_at IS NULL) refuses a second open loan whatever the code does; its IntegrityError
becomes the DomainError "This key is already out on loan." (the chaining runs in a savepoint,
so the refusal rolls back only the loan, never the caller's transaction).

The chain: loans are numbered per estate (``seq`` 1, 2, 3 …, unique with the estate) inside the
lending transaction, with the estate's row locked (``FOR NO KEY UPDATE`` on PostgreSQL, as
receipts do). Loans are the chain "key_loans" (:mod:`frontdesk.services.chain`): lending chains
every column of the loan as lent (key, borrower, proxy, purpose, times, staff, approval, and
``content``, the snapshot of them the audit trail shows); the return is chained when the key
comes back (time, condition, staff), after the loans and returns before it, so the chain's head
vouches for it too. ``hash``/``prev_hash`` keep a copy of the lending's link and
``return_hash`` of the return's; ``print_count`` is outside the chain.

Times: every function takes ``now`` (aware UTC) so that tests can freeze the clock; views get it
from :func:`clock`, which reads ``app.config["FRONTDESK_NOW"]`` (an aware datetime, for tests and
demos) and otherwise gives the real time. A naive datetime given to a service is a local time in
the estate's timezone, as typed in the forms (``YYYY-MM-DD HH:MM``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import (
    Estate,
    Key,
    KeyLoan,
    KeyLossReport,
    Unit,
    User,
)
from frontdesk.models.base import utcnow
from frontdesk.services import DomainError, audit, chain, transactional
from frontdesk.services.fees import corrections, items
from frontdesk.services.fees.payments import parse_amount
from frontdesk.services.keys import borrowers
from frontdesk.services.keys.registry import local_input, tz_of
from frontdesk.services.validation import normalise_phone, phone_error

LOAN_PREFIX = "JY"
#: the longest a key may be lent for
MAX_LOAN_DAYS = 30
#: the condition of a returned key (stored Chinese data), and that of a lost one
CONDITIONS = ("完好", "损坏")
LOST_CONDITION = "遗失"
#: the fee item a replacement charge is billed on, created on first use
REPLACEMENT_ITEM_CODE = "YSBP"
REPLACEMENT_ITEM_NAME = "钥匙补配费"
MAX_REPLACEMENT_CHARGE = Decimal("10000")
#: the config key that freezes the clock of the key views (an aware datetime)
CLOCK_CONFIG_KEY = "FRONTDESK_NOW"

ALREADY_OUT = _l("This key is already out on loan.")


# the clock and local times ----------------------------------------------------------------------


def clock(config: Mapping) -> datetime:
    """Return the time the key views act at: config FRONTDESK_NOW if set, else now (UTC)."""
    frozen = config.get(CLOCK_CONFIG_KEY)
    if frozen is None:
        return utcnow()
    if frozen.tzinfo is None:
        raise ValueError(f"{CLOCK_CONFIG_KEY} must be timezone-aware")
    return frozen.astimezone(UTC)


def _aware(value: datetime, estate_id: int) -> datetime:
    """Return a UTC datetime; a naive one is a local time in the estate's timezone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz_of(estate_id))
    return value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    """Write a UTC datetime the same way before storing and after loading it."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def loan_number(loan: KeyLoan) -> str:
    """Return the printed number of a loan, e.g. JY2026-000123 (year lent, estate sequence)."""
    return f"{LOAN_PREFIX}{loan.lent_at.astimezone(tz_of(loan.estate_id)).year}-{loan.seq:06d}"


# the hash chain ---------------------------------------------------------------------------------


def loan_content(loan: KeyLoan) -> dict:
    """Return the content of a loan as lent (the snapshot kept in ``content``)."""
    return {
        "estate_id": loan.estate_id,
        "seq": loan.seq,
        "key_id": loan.key_id,
        "borrower_kind": loan.borrower_kind,
        "borrower_name": loan.borrower_name,
        "borrower_phone": loan.borrower_phone,
        "borrower_id_tail": loan.borrower_id_tail,
        "authorisation_id": loan.authorisation_id,
        "proxy_name": loan.proxy_name or "",
        "proxy_phone": loan.proxy_phone or "",
        "proxy_id_tail": loan.proxy_id_tail or "",
        "purpose": loan.purpose,
        "lent_at": _iso(loan.lent_at),
        "expected_return_at": _iso(loan.expected_return_at),
        "lent_by_id": loan.lent_by_id,
        "approved_by_id": loan.approved_by_id,
        "approval_reason": loan.approval_reason or "",
    }


def lent_fields(loan: KeyLoan) -> dict:
    """Return the loan as lent: its columns and their stored snapshot (what its link covers)."""
    return {**loan_content(loan), "content": loan.content}


def return_fields(loan: KeyLoan) -> dict:
    """Return the loan's return record (what its return link covers)."""
    return {"returned_at": loan.returned_at, "returned_to_id": loan.returned_to_id,
            "return_condition": loan.return_condition}


CHAIN = chain.register(chain.Chain(
    name="key_loans", model=KeyLoan, noun="key loan", plural="key loans",
    printed_name="钥匙借用", label=loan_number, rank=20,
    events=(
        chain.Event("lend", lent_fields, "the loan as lent", "借出",
                    hash_column="hash", prev_column="prev_hash"),
        chain.Event("return", return_fields, "its return", "归还", hash_column="return_hash",
                    happened=lambda: sa.or_(KeyLoan.returned_at.is_not(None),
                                            KeyLoan.returned_to_id.is_not(None),
                                            KeyLoan.return_hash.is_not(None),
                                            KeyLoan.return_condition != "")),
    ),
))


# checks of the values typed ---------------------------------------------------------------------


def _text(value, field_name: str, message, max_len: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(message, field_name)
    if len(text) > max_len:
        raise DomainError(_l("At most %(n)s characters.", n=max_len), field_name)
    return text


def _phone(value, field_name: str) -> str:
    phone = normalise_phone(value or "")
    if not phone:
        raise DomainError(_l("Please enter the phone number."), field_name)
    error = phone_error(phone)
    if error:
        raise DomainError(error, field_name)
    return phone


def _id_tail(value, field_name: str) -> str:
    tail = (value or "").strip().upper()
    if not borrowers.ID_TAIL_RE.fullmatch(tail):
        raise DomainError(_l("Enter the last four characters of the ID number (digits or X)."),
                          field_name)
    return tail


def _proxy(name, phone, id_tail) -> tuple[str, str, str]:
    """Return the 代领 person's name, phone and ID tail, or blanks when nobody picks up for them."""
    if not any((v or "").strip() for v in (name, phone, id_tail)):
        return "", "", ""
    return (_text(name, "proxy_name", _l("Please enter the name of the person picking it up."),
                  64),
            _phone(phone, "proxy_phone"),
            _id_tail(id_tail, "proxy_id_tail"))


# lending ----------------------------------------------------------------------------------------


def _locked_key(key_id: int) -> Key:
    """Load a key afresh with its row locked until the transaction ends."""
    return db.session.scalar(sa.select(Key).where(Key.id == key_id).with_for_update()
                             .execution_options(populate_existing=True))


def _check_in_cabinet(key: Key) -> None:
    if key.status == "lost":
        raise DomainError(_l("This key is reported lost and cannot be lent."))
    if key.status == "on_loan":
        raise DomainError(ALREADY_OUT)
    if key.status == "returned":
        raise DomainError(_l("This key was handed back to its owner and is not in the cabinet."))
    if key.status != "in_cabinet":
        raise DomainError(_l("This key is not in the cabinet."))


def _lock_estate(estate_id: int) -> None:
    # FOR NO KEY UPDATE: loans of one estate are chained one at a time; rows that merely
    # refer to the estate can still be inserted meanwhile.
    db.session.execute(sa.select(Estate.id).where(Estate.id == estate_id)
                       .with_for_update(key_share=True))


def _last_loan(estate_id: int) -> KeyLoan | None:
    return db.session.scalar(sa.select(KeyLoan).where(KeyLoan.estate_id == estate_id)
                             .order_by(KeyLoan.seq.desc()).limit(1))


def _chain_or_refuse(key: Key, loan: KeyLoan, now: datetime) -> None:
    """Put the key out and chain its loan in a savepoint; a second open loan of the key (or a
    seq taken) rolls the savepoint back and is a DomainError."""
    try:
        with db.session.begin_nested():
            key.status = "on_loan"
            chain.append(CHAIN.name, loan, "lend", at=now)
    except sa.exc.IntegrityError as e:
        if "uq_key_loan_open" in str(e.orig) or "key_loan.key_id" in str(e.orig):
            raise DomainError(ALREADY_OUT) from None
        raise DomainError(_l("Another loan was being recorded at the same moment. "
                             "Please submit the form again.")) from None


def _borrower_details(key: Key, now: datetime, borrower: str | None, name: str, phone: str,
                      id_tail: str) -> tuple[str, str, str]:
    """Return the borrower's name, phone and ID tail: of the person picked, or as typed."""
    if borrower:
        chosen = {c.value: c for c in borrowers.borrower_choices(key, now)}.get(borrower)
        if chosen is None:
            raise DomainError(_l("The person chosen may not borrow this key (any more). Please "
                                 "choose again."), "borrower")
        name, phone, id_tail = chosen.name, chosen.phone, chosen.id_tail
    return (_text(name, "borrower_name", _l("Please enter the borrower's name."), 64),
            _phone(phone, "borrower_phone"),
            _id_tail(id_tail, "borrower_id_tail"))


def _expected_return(key: Key, expected_return_at: datetime | None, now: datetime) -> datetime:
    """Return the expected return in UTC: in the future, at most MAX_LOAN_DAYS ahead."""
    if expected_return_at is None:
        raise DomainError(_l("Please enter when the key will be returned."),
                          "expected_return_at")
    expected = _aware(expected_return_at, key.estate_id)
    if expected <= now:
        raise DomainError(_l("The expected return must be in the future."), "expected_return_at")
    if expected > now + timedelta(days=MAX_LOAN_DAYS):
        raise DomainError(_l("A key is lent for at most %(n)s days.", n=MAX_LOAN_DAYS),
                          "expected_return_at")
    return expected


@transactional
def lend_key(actor: User, key: Key, *, borrower_name: str = "", borrower_phone: str = "",
             borrower_id_tail: str = "", purpose: str, expected_return_at: datetime,
             now: datetime, proxy_name: str = "", proxy_phone: str = "",
             proxy_id_tail: str = "", approve_reason: str | None = None,
             approver: User | None = None, borrower: str | None = None) -> KeyLoan:
    """Lend a key in the cabinet to its owner, an authorised person, or with a manager's approval.

    ``borrower`` picks an owner or authorised person from :func:`borrower_choices` (its
    ``value``): their name, phone and ID tail are taken from the record, nothing is retyped.
    Without it the borrower is the one typed. The key must be in the cabinet. Purpose is
    required; the expected return lies in the future and at most 30 days ahead; ID tails are
    four digits or X. A borrower who is neither the owner nor validly authorised needs
    ``approver`` (a user holding keys.approve, see :func:`approver_for`) and ``approve_reason``.
    """
    now = now.astimezone(UTC)
    key = _locked_key(key.id)
    _check_in_cabinet(key)
    name, phone, id_tail = _borrower_details(key, now, borrower, borrower_name, borrower_phone,
                                             borrower_id_tail)
    proxy = _proxy(proxy_name, proxy_phone, proxy_id_tail)
    purpose = _text(purpose, "purpose", _l("Please enter what the key is borrowed for."), 200)
    expected = _expected_return(key, expected_return_at, now)
    reason = _text(approve_reason, "approve_reason", "", 200, required=False)
    kind, authorisation, why_not = borrowers.borrower_kind(key, phone, id_tail, now)
    approved_by_id = None
    if kind is None:
        borrowers.check_approval(key, approver, reason, why_not)
        kind, approved_by_id = "approved", approver.id
    else:
        reason = ""

    _lock_estate(key.estate_id)
    previous = _last_loan(key.estate_id)
    loan = KeyLoan(
        estate_id=key.estate_id, seq=previous.seq + 1 if previous else 1, key_id=key.id,
        borrower_kind=kind, borrower_name=name, borrower_phone=phone, borrower_id_tail=id_tail,
        authorisation_id=authorisation.id if authorisation else None,
        proxy_name=proxy[0], proxy_phone=proxy[1], proxy_id_tail=proxy[2], purpose=purpose,
        lent_at=now, expected_return_at=expected, lent_by_id=actor.id,
        approved_by_id=approved_by_id, approval_reason=reason,
        print_count=0, returned_at=None, returned_to_id=None, return_condition="",
    )
    loan.content = loan_content(loan)
    before = audit.snapshot(key, ["status"])
    _chain_or_refuse(key, loan, now)
    after = dict(loan.content, hash=loan.hash, number=loan_number(loan))
    audit.record(actor, "lend", loan, after=after)
    audit.record(actor, "update", key, before=before, after=audit.snapshot(key, ["status"]))
    return loan


# returning --------------------------------------------------------------------------------------


def _locked_loan(loan_id: int) -> KeyLoan:
    return db.session.scalar(sa.select(KeyLoan).where(KeyLoan.id == loan_id).with_for_update()
                             .execution_options(populate_existing=True))


def _close(actor: User, loan: KeyLoan, returned_at: datetime, condition: str,
           now: datetime) -> None:
    loan.returned_at = returned_at
    loan.returned_to_id = actor.id
    loan.return_condition = condition
    chain.append(CHAIN.name, loan, "return", at=now)


@transactional
def return_key(actor: User, loan: KeyLoan, *, returned_at: datetime, condition: str,
               now: datetime, note: str = "") -> KeyLoan:
    """Take a lent key back: the time (not before the loan, not in the future) and condition.

    ``condition`` is 完好 or 损坏 (damage needs a note); the member of staff who took it back is
    the actor. The key goes back into the cabinet.
    """
    now = now.astimezone(UTC)
    key = _locked_key(loan.key_id)
    loan = _locked_loan(loan.id)
    if loan.returned_at is not None:
        raise DomainError(_l("This loan was already returned."))
    if returned_at is None:
        raise DomainError(_l("Please enter when the key was returned."), "returned_at")
    when = _aware(returned_at, loan.estate_id)
    if when < loan.lent_at.replace(second=0, microsecond=0):
        raise DomainError(_l("The key cannot come back before it was lent (%(at)s).",
                             at=local_input(loan.lent_at, loan.estate_id)), "returned_at")
    if when > now:
        raise DomainError(_l("The return time must not be in the future."), "returned_at")
    when = max(when, loan.lent_at)  # typed to the minute: the minute it was lent counts
    if condition not in CONDITIONS:
        raise DomainError(_l("Please choose the condition of the key."), "condition")
    note = _text(note, "note", _l("Please describe the damage."), 150,
                 required=condition == "损坏")
    text = f"{condition}：{note}" if note else condition
    before = audit.snapshot(loan, ["returned_at", "returned_to_id", "return_condition"])
    _close(actor, loan, when, text, now)
    audit.record(actor, "return", loan, before=before,
                 after={**audit.snapshot(loan, ["returned_at", "returned_to_id",
                                                "return_condition"]),
                        "return_hash": loan.return_hash})
    if key.status == "on_loan":
        key_before = audit.snapshot(key, ["status"])
        key.status = "in_cabinet"
        audit.record(actor, "update", key, before=key_before,
                     after=audit.snapshot(key, ["status"]))
    return loan


# lost keys --------------------------------------------------------------------------------------


@transactional
def report_lost(actor: User, key: Key, *, circumstances: str, now: datetime,
                charge_amount=None) -> KeyLossReport:
    """Report a key lost: its status, the circumstances, its open loan closed as 遗失, a charge.

    With ``charge_amount`` the unit's bill gets an adjustment line on the estate's fee item
    YSBP 钥匙补配费 (created on first use), in this same transaction.
    """
    now = now.astimezone(UTC)
    key = _locked_key(key.id)
    if key.status == "lost":
        raise DomainError(_l("This key is already reported lost."))
    if key.status == "returned":
        raise DomainError(_l("This key was handed back to its owner and is not in the cabinet."))
    text = _text(circumstances, "circumstances",
                 _l("Please describe how the key was lost."), 500)
    amount = None
    if charge_amount is not None and str(charge_amount).strip():
        amount = parse_amount(charge_amount, "charge_amount")
        if amount > MAX_REPLACEMENT_CHARGE:
            raise DomainError(_l("A replacement charge must not be more than 10,000 yuan."),
                              "charge_amount")
        if key.unit_id is None:
            raise DomainError(_l("This key opens a public area, not a unit: there is no bill to "
                                 "charge."))
    loan = db.session.scalar(sa.select(KeyLoan).where(
        KeyLoan.key_id == key.id, KeyLoan.returned_at.is_(None)).with_for_update())
    report = KeyLossReport(estate_id=key.estate_id, key_id=key.id,
                           loan_id=loan.id if loan else None, reported_at=now,
                           reported_by_id=actor.id, circumstances=text)
    if loan is not None:
        _close(actor, loan, now, LOST_CONDITION, now)
        audit.record(actor, "return", loan,
                     after={"returned_at": _iso(now), "return_condition": LOST_CONDITION,
                            "returned_to_id": actor.id, "return_hash": loan.return_hash})
    if amount is not None:
        estate = db.session.get(Estate, key.estate_id)
        unit = db.session.get(Unit, key.unit_id)
        item = items.one_off_item(actor, estate, REPLACEMENT_ITEM_CODE, REPLACEMENT_ITEM_NAME)
        today = now.astimezone(ZoneInfo(estate.timezone)).date()
        # adjust joins this transaction (services nest): the charge is written with the report
        line = corrections.adjust(
            actor, unit, item, f"{today:%Y-%m}", amount, f"钥匙补配：{key.tag} 遗失",
            today=today)
        report.bill_line_id = line.id
    before = audit.snapshot(key, ["status"])
    key.status = "lost"
    db.session.add(report)
    db.session.flush()
    audit.record(actor, "lost", report, after=audit.snapshot(report))
    audit.record(actor, "update", key, before=before, after=audit.snapshot(key, ["status"]))
    return report


# printing ---------------------------------------------------------------------------------------


@transactional
def print_loan(actor: User, loan: KeyLoan) -> int:
    """Count a print of a loan slip and return its number: 1 is the original, later ones 补打."""
    return audit.count_print(actor, loan)
