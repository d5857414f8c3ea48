"""Who may borrow a key: its owners, the people on its custody's authorised list, or anyone
with a manager's approval (keys.approve) and a reason.

An owner is a person with a current owner occupancy of the key's unit whose phone and last four
ID characters match; an authorised person is on the key's current custody's list, not revoked,
valid until now or later, phone and ID tail matching. The manager approves logged in or by
typing their username and password on the front desk's form (:func:`approver_for`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Key, KeyAuthorisation, KeyCustody, Occupancy, Person, Unit, User
from frontdesk.services import DomainError, accounts
from frontdesk.services.keys.registry import local_input, tz_of
from frontdesk.services.validation import normalise_phone

ID_TAIL_RE = re.compile(r"[0-9X]{4}")


def current_custody(key_id: int) -> KeyCustody | None:
    """Return the key's custody that has not ended, if any."""
    return db.session.scalar(
        sa.select(KeyCustody).where(KeyCustody.key_id == key_id, KeyCustody.ended_at.is_(None))
        .order_by(KeyCustody.deposited_at.desc(), KeyCustody.id.desc()).limit(1))


def owners(unit_id: int, now: datetime) -> list[Person]:
    """Return the unit's current owners (an owner occupancy holding today)."""
    today = now.astimezone(_tz_of_unit(unit_id)).date()
    return list(db.session.scalars(
        sa.select(Person).join(Occupancy, Occupancy.person_id == Person.id)
        .where(Occupancy.unit_id == unit_id, Occupancy.role == "owner",
               Occupancy.start_date <= today,
               sa.or_(Occupancy.end_date.is_(None), Occupancy.end_date >= today))
        .order_by(Person.id)))


def _tz_of_unit(unit_id: int) -> ZoneInfo:
    return tz_of(db.session.get(Unit, unit_id).estate_id)


def authorisations(key_id: int) -> list[KeyAuthorisation]:
    """Return every authorisation of the key's current custody (valid or not)."""
    custody = current_custody(key_id)
    return list(custody.authorisations) if custody is not None else []


def borrower_kind(key: Key, phone: str, id_tail: str,
              now: datetime) -> tuple[str | None, KeyAuthorisation | None, object]:
    """Tell who the borrower is to the key: ("owner"|"authorised"|None, authorisation, why not)."""
    if key.unit_id is not None:
        for person in owners(key.unit_id, now):
            if (normalise_phone(person.phone) == phone
                    and (person.id_tail or "").upper() == id_tail):
                return "owner", None, None
    why_not = None
    for a in authorisations(key.id):
        if normalise_phone(a.phone) != phone or (a.id_tail or "").upper() != id_tail:
            continue
        if a.revoked_at is not None:
            why_not = _l("The authorisation of %(name)s was revoked.", name=a.name)
        elif a.valid_until < now:
            why_not = _l("The authorisation of %(name)s expired on %(date)s.", name=a.name,
                         date=local_input(a.valid_until, key.estate_id))
        else:
            return "authorised", a, None
    return None, None, why_not


def approver_for(actor: User, estate_id: int, username: str | None,
                 password: str | None, address: str | None = None) -> User | None:
    """Return the manager who approves a loan: the one whose credentials were typed, or the actor.

    Typed credentials are checked like a login (:func:`accounts.authenticate`, which counts
    failures with the logins of the account and of the client address); the user must
    hold keys.approve in the estate. Without credentials a manager acting themselves approves;
    anyone else gets None.
    """
    username = (username or "").strip()
    if username:
        user = accounts.authenticate(username, password or "", address)
        if user is None:
            raise DomainError(_l("The manager's username or password is wrong."),
                              "manager_password")
        if not user.can("keys.approve", estate_id):
            raise DomainError(_l("%(user)s may not approve key loans in this estate.",
                                 user=user.full_name or user.username), "manager_username")
        return user
    if actor is not None and actor.can("keys.approve", estate_id):
        return actor
    return None


@dataclass(frozen=True)
class BorrowerChoice:
    """Someone who may borrow a key without approval, as the lend form offers them."""

    #: "owner:<person id>" or "authorised:<authorisation id>"
    value: str
    #: "owner" or "authorised"
    kind: str
    name: str
    phone: str
    id_tail: str
    valid_until: datetime | None = None


def borrower_choices(key: Key, now: datetime) -> list[BorrowerChoice]:
    """Return the key's current owners and valid authorised people, with phone and ID tail.

    People without a phone or the last four ID characters on record cannot be checked and are
    left out: they borrow as anyone else does, typed, with a manager's approval.
    """
    now = now.astimezone(UTC)
    choices = []
    for person in owners(key.unit_id, now) if key.unit_id else []:
        tail = (person.id_tail or "").upper()
        if person.phone and ID_TAIL_RE.fullmatch(tail):
            choices.append(BorrowerChoice(f"owner:{person.id}", "owner", person.name,
                                          person.phone, tail))
    for a in authorisations(key.id):
        tail = (a.id_tail or "").upper()
        if (a.revoked_at is None and a.valid_until >= now and a.phone
                and ID_TAIL_RE.fullmatch(tail)):
            choices.append(BorrowerChoice(f"authorised:{a.id}", "authorised", a.name, a.phone,
                                          tail, a.valid_until))
    return choices


def check_approval(key: Key, approver: User | None, reason: str, why_not) -> None:
    """Refuse a loan to someone off the key's lists without a manager's approval and reason."""
    if approver is None or not approver.can("keys.approve", key.estate_id):
        message = _l("The borrower is neither the owner nor on the key's authorised list "
                     "(checked by phone and the last four ID characters): a manager must "
                     "approve the loan with a reason.")
        if why_not is not None:
            message = _l("%(why)s A manager must approve the loan with a reason.", why=why_not)
        raise DomainError(message, "manager_username")
    if not reason:
        raise DomainError(_l("Please give the reason for the manager's approval."),
                          "approve_reason")
