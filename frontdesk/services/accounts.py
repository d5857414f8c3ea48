"""Staff accounts: passwords, roles, estate membership, language."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from frontdesk.extensions import db, throttle
from frontdesk.models import ROLES, Estate, User, UserRole
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
    audit.record(user, "login", user, estate_id=None)


def end_sessions(user: User) -> None:
    """Give the user a new session token, which ends every session logged in with the old one."""
    user.session_token = new_session_token()


@transactional
def log_out_everywhere(user: User) -> None:
    """End every session of the user, the one logging out and any copy of its cookie."""
    end_sessions(user)


def _account_values(data: dict, estates: list[Estate], user_id: int | None = None) -> dict:
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
    roles = list(dict.fromkeys(data.get("roles") or []))
    if not roles:
        raise DomainError(_l("Choose at least one role."), "roles")
    if any(r not in ROLES for r in roles):
        raise DomainError(_l("Invalid role."), "roles")
    if not estates:
        raise DomainError(_l("Choose at least one estate."), "estates")
    return {"username": username, "full_name": full_name, "roles": roles}


def _snapshot(user: User) -> dict:
    data = audit.snapshot(user)
    data["roles"] = sorted(user.role_names)
    data["estates"] = sorted(user.estate_ids)
    return data


@transactional
def create_user(actor: User | None, data: dict, estates: list[Estate]) -> User:
    """Create a staff account with roles and estates."""
    values = _account_values(data, estates)
    if err := password_error(data.get("password") or ""):
        raise DomainError(err, "password")
    user = User(
        username=values["username"], full_name=values["full_name"],
        password_hash=generate_password_hash(data["password"]),
        locale=data.get("locale") if data.get("locale") in LOCALES else None,
        active=data.get("active", True),
    )
    user.roles = [UserRole(role=r) for r in values["roles"]]
    user.estates = list(estates)
    db.session.add(user)
    audit.record(actor, "create", user, estate_id=None, after=_snapshot(user))
    return user


@transactional
def update_user(actor: User, user: User, data: dict, estates: list[Estate]) -> User:
    """Change an account's name, roles, estates, active flag and (optionally) password."""
    before = _snapshot(user)
    values = _account_values(data, estates, user.id)
    if user.id == actor.id and (not data.get("active", True) or "admin" not in values["roles"]):
        raise DomainError(_l("You cannot deactivate your own account or remove your own "
                             "administrator role."), "roles")
    user.username = values["username"]
    user.full_name = values["full_name"]
    if user.active and not data.get("active", True):
        end_sessions(user)
    user.active = bool(data.get("active", True))
    current = {r.role: r for r in user.roles}
    user.roles = [current.get(r) or UserRole(role=r) for r in values["roles"]]
    user.estates = list(estates)
    if data.get("password"):
        if err := password_error(data["password"]):
            raise DomainError(err, "password")
        user.password_hash = generate_password_hash(data["password"])
        end_sessions(user)
    audit.record(actor, "update", user, estate_id=None, before=before, after=_snapshot(user))
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
    audit.record(user, "change_password", user, estate_id=None)


@transactional
def set_locale(user: User, locale: str) -> None:
    """Remember the user's language."""
    if locale not in LOCALES:
        raise DomainError(_l("Unsupported language."), "locale")
    user.locale = locale


def users_sharing_estates(estate_ids: set[int]) -> list[User]:
    """Return the users who belong to at least one of the estates."""
    from frontdesk.models import user_estates

    q = (
        sa.select(User)
        .join(user_estates, user_estates.c.user_id == User.id)
        .where(user_estates.c.estate_id.in_(estate_ids))
        .distinct()
        .order_by(User.username)
    )
    return list(db.session.scalars(q))
