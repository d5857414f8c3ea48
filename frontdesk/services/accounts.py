"""Staff accounts: passwords, roles, estate membership, language."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from frontdesk.extensions import db, throttle
from frontdesk.models import ROLES, Estate, Membership, User, UserRole
from frontdesk.models.accounts import new_session_token
from frontdesk.models.base import utcnow
from frontdesk.services import DomainError, audit, transactional

MIN_PASSWORD = 8
LOCALES = ("zh_CN", "en")


def password_error(password: str):
    """Return why a password is too weak, or None."""
    if len(password or "") < MIN_PASSWORD:
        return _l("The password must be at least %(n)s characters long.", n=MIN_PASSWORD)
    if len(password) > 128:
        return _l("The password must not be longer than 128 characters.")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        return _l("The password must contain both letters and digits.")
    return None


#: checked instead of a user's hash when the username is unknown, so that a wrong username
#: takes as long as a wrong password: a hash of a forgotten random password, made with the
#: method and cost of generate_password_hash's default (a test keeps the two the same)
DUMMY_HASH = (
    "scrypt:32768:8:1$Vl1JNSvABJKfepSX$a7813df304ca6a88ce583a5bcce89f68cd97afd68495e5818838bb"
    "517b7a4de2df4a0435587ccb1ff80d98ca054e9b493fdd34b71fe7f7ea4b30ea62bcb8ee1e"
)


def authenticate(username: str, password: str, address: str | None = None) -> User | None:
    """Return the active user with these credentials, or None.

    The check is counted per account and per client address (:mod:`frontdesk.throttle`) and
    raises :class:`~frontdesk.throttle.TooManyFailures` once either has failed too often. An
    unknown username costs one hash check like a known one, so timing does not tell them apart.
    """
    username = (username or "").strip()
    attempt = throttle.begin(username, address)
    user = db.session.scalar(sa.select(User).where(User.username == username))
    matches = check_password_hash(user.password_hash if user else DUMMY_HASH, password or "")
    if user is None or not user.active or not matches:
        return None
    throttle.forgive(attempt)
    return user


@transactional
def note_login(user: User, locale: str | None = None) -> None:
    """Remember when the user last logged in, and the language chosen on the login page."""
    user.last_login_at = utcnow()
    if locale in LOCALES:
        user.locale = locale
    for estate_id in sorted(user.estate_ids):
        audit.record(user, "login", user, estate_id=estate_id)


def end_sessions(user: User) -> None:
    """Give the user a new session token, which ends every session logged in with the old one."""
    user.session_token = new_session_token()


@transactional
def log_out_everywhere(user: User) -> None:
    """End every session of the user, the one logging out and any copy of its cookie."""
    end_sessions(user)


def _account_values(data: dict, roles: dict[Estate, list[str]],
                    user_id: int | None = None) -> dict:
    username = (data.get("username") or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{3,32}", username):
        raise DomainError(
            _l("A username is 3–32 letters, digits, underscores, dots or hyphens."), "username"
        )
    clash = db.session.scalar(
        sa.select(User.id).where(User.username == username, User.id != (user_id or 0))
    )
    if clash:
        raise DomainError(_l("The username %(u)s is already taken.", u=username), "username")
    full_name = (data.get("full_name") or "").strip()
    if not full_name or len(full_name) > 64:
        raise DomainError(_l("Name is required and must not exceed 64 characters."), "full_name")
    chosen = {estate: list(dict.fromkeys(names)) for estate, names in roles.items() if names}
    if any(r not in ROLES for names in chosen.values() for r in names):
        raise DomainError(_l("Invalid role."))
    if not chosen:
        raise DomainError(_l("Choose at least one role in at least one estate."))
    return {"username": username, "full_name": full_name, "roles": chosen}


def administered_estate_ids(actor: User) -> set[int]:
    """Return the estates whose staff the actor administers."""
    return actor.estate_ids_with("admin.users")


def can_manage(actor: User, user: User) -> bool:
    """Tell whether the actor administers every estate the user works in.

    Only then may the actor change the account (name, password, status, roles): an
    administrator of one estate cannot reach a colleague who also works in another.
    """
    estate_ids = {m.estate_id for m in user.memberships}
    return bool(estate_ids) and estate_ids <= administered_estate_ids(actor)


def _check_administers(actor: User | None, estates) -> None:
    if actor is None:  # the command line
        return
    for estate in estates:
        if not actor.can("admin.users", estate.id):
            raise DomainError(_l("You do not administer the estate %(e)s.", e=estate.name))


def _set_roles(user: User, roles: dict[Estate, list[str]]) -> None:
    """Make the user a member of exactly these estates, with these roles in each."""
    current = {m.estate_id: m for m in user.memberships}
    memberships = []
    for estate, names in roles.items():
        membership = current.get(estate.id) or Membership(estate=estate)
        held = {r.role: r for r in membership.roles}
        membership.roles = [held.get(r) or UserRole(role=r) for r in names]
        memberships.append(membership)
    user.memberships = memberships


def join_estate(user: User, estate: Estate, roles: list[str]) -> None:
    """Give the user these roles (besides those held) in an estate; for composing verbs."""
    membership = next((m for m in user.memberships if m.estate_id == estate.id), None)
    if membership is None:
        membership = Membership(estate=estate)
        user.memberships.append(membership)
    for role in roles:
        if role not in membership.role_names:
            membership.roles.append(UserRole(role=role))


def _roles_by_estate(user: User) -> dict[int, list[str]]:
    return {m.estate_id: sorted(m.role_names) for m in user.memberships}


def _record_per_estate(actor: User | None, action: str, user: User, before: dict | None,
                       before_roles: dict[int, list[str]]) -> None:
    """Write an account event into the trail of each estate it concerns, and only there.

    Each estate's event shows the roles held in that estate alone; an estate whose view of the
    account did not change gets no event.
    """
    after = audit.snapshot(user)
    after_roles = _roles_by_estate(user)
    for estate_id in sorted(before_roles.keys() | after_roles.keys()):
        new = {**after, "roles": after_roles.get(estate_id, [])}
        if before is None:
            audit.record(actor, action, user, estate_id=estate_id, after=new)
            continue
        old = {**before, "roles": before_roles.get(estate_id, [])}
        if old != new:
            audit.record(actor, action, user, estate_id=estate_id, before=old, after=new)


@transactional
def create_user(actor: User | None, data: dict, roles: dict[Estate, list[str]]) -> User:
    """Create a staff account with its roles in each estate (estates with none are left out)."""
    values = _account_values(data, roles)
    _check_administers(actor, values["roles"])
    if err := password_error(data.get("password") or ""):
        raise DomainError(err, "password")
    user = User(
        username=values["username"], full_name=values["full_name"],
        password_hash=generate_password_hash(data["password"]),
        locale=data.get("locale") if data.get("locale") in LOCALES else None,
        active=data.get("active", True),
    )
    _set_roles(user, values["roles"])
    db.session.add(user)
    db.session.flush()
    _record_per_estate(actor, "create", user, None, {})
    return user


@transactional
def update_user(actor: User, user: User, data: dict, roles: dict[Estate, list[str]]) -> User:
    """Change an account's name, roles in each estate, active flag and (optionally) password.

    The actor must administer every estate the account works in, before and after.
    """
    if not can_manage(actor, user):
        raise DomainError(_l("%(u)s also works in an estate you do not administer.",
                             u=user.username))
    values = _account_values(data, roles, user.id)
    _check_administers(actor, values["roles"])
    before, before_roles = audit.snapshot(user), _roles_by_estate(user)
    if user.id == actor.id:
        new_roles = {e.id: names for e, names in values["roles"].items()}
        if not data.get("active", True) or any(
                "admin" in names and "admin" not in new_roles.get(estate_id, [])
                for estate_id, names in before_roles.items()):
            raise DomainError(_l("You cannot deactivate your own account or remove your own "
                                 "administrator role."))
    user.username = values["username"]
    user.full_name = values["full_name"]
    if user.active and not data.get("active", True):
        end_sessions(user)
    user.active = bool(data.get("active", True))
    _set_roles(user, values["roles"])
    if data.get("password"):
        if err := password_error(data["password"]):
            raise DomainError(err, "password")
        user.password_hash = generate_password_hash(data["password"])
        end_sessions(user)
    db.session.flush()
    _record_per_estate(actor, "update", user, before, before_roles)
    if data.get("password"):
        for estate_id in sorted(user.estate_ids):
            audit.record(actor, "change_password", user, estate_id=estate_id)
    return user


@transactional
def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password after checking the current one."""
    if not check_password_hash(user.password_hash, current or ""):
        raise DomainError(_l("The current password is incorrect."), "current_password")
    if err := password_error(new):
        raise DomainError(err, "new_password")
    if current == new:
        raise DomainError(_l("The new password must differ from the current one."), "new_password")
    user.password_hash = generate_password_hash(new)
    end_sessions(user)  # the caller keeps its own session by logging in again
    for estate_id in sorted(user.estate_ids):
        audit.record(user, "change_password", user, estate_id=estate_id)


@transactional
def set_locale(user: User, locale: str) -> None:
    """Remember the user's language."""
    if locale not in LOCALES:
        raise DomainError(_l("Unsupported language."), "locale")
    user.locale = locale


def users_sharing_estates(estate_ids: set[int]) -> list[User]:
    """Return the users who belong to at least one of the estates."""
    q = (
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.estate_id.in_(estate_ids))
        .distinct()
        .order_by(User.username)
    )
    return list(db.session.scalars(q))


def user_by_id(user_id: int) -> User | None:
    """Return the user with this id, or None."""
    return db.session.get(User, user_id)
