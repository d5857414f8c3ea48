"""Failed password checks counted per account and per client address, shared by every worker.

A password check first takes a place in two counters, the account's and the address's, for
the current window (``LOGIN_FAILURE_LIMIT``, ``LOGIN_ADDRESS_FAILURE_LIMIT``: "5 per minute").
If either counter is then above its limit the check is refused before the password is looked
at, and the places are given back; a check that succeeds gives them back too, so only failures
stay counted. Taking the place before checking keeps the limit also under concurrent guesses.

The counters live in the database (table ``login_failure_count``), so every worker and host
sees the same counts; with ``RATELIMIT_STORAGE_URI`` set (``redis://host:6379``) they live in
that store instead, through the ``limits`` library. Counters are keyed by a SHA-256 of what
was typed: a password typed into the username field is not stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk.models.base import utcnow
from frontdesk.models.throttle import LoginFailureCount

_EXTENSION = "frontdesk.throttle"


class TooManyFailures(Exception):
    """The account or the address failed too often in this window; the check was not made."""


@dataclass
class Attempt:
    """The counter places a password check holds, to be given back if it succeeds."""

    #: (key, limit) pairs counted by this check
    places: list[tuple[str, RateLimitItem]] = field(default_factory=list)


@dataclass
class _Settings:
    account_limit: RateLimitItem
    address_limit: RateLimitItem
    #: a `limits` storage, or None for the database
    storage: Storage | None


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()


class FailureThrottle:
    """Count failed password checks; bound to the app in create_app."""

    def init_app(self, app: Flask) -> None:
        uri = app.config.get("RATELIMIT_STORAGE_URI")
        app.extensions[_EXTENSION] = _Settings(
            account_limit=parse(app.config["LOGIN_FAILURE_LIMIT"]),
            address_limit=parse(app.config["LOGIN_ADDRESS_FAILURE_LIMIT"]),
            storage=storage_from_string(uri) if uri else None,
        )

    @staticmethod
    def _settings() -> _Settings:
        return current_app.extensions[_EXTENSION]

    def begin(self, account: str, address: str | None = None) -> Attempt:
        """Take a place for a password check, or raise TooManyFailures if a limit is reached."""
        settings = self._settings()
        attempt = Attempt()
        wanted = [(_key("account", account), settings.account_limit)]
        if address:
            wanted.append((_key("address", address), settings.address_limit))
        over = False
        for key, limit in wanted:
            count = self._hit(settings, key, limit)
            attempt.places.append((key, limit))
            over = over or count > limit.amount
        if settings.storage is None:
            _forget_expired()
        if over:
            self.forgive(attempt)  # a refused check is not a failure of its own
            raise TooManyFailures
        return attempt

    def forgive(self, attempt: Attempt) -> None:
        """Give back the places of a check that succeeded (or was refused)."""
        settings = self._settings()
        for key, limit in attempt.places:
            self._give_back(settings, key, limit)
        attempt.places.clear()

    def failures(self, account: str) -> int:
        """Return the failures of an account counted in the current window."""
        settings = self._settings()
        key = _key("account", account)
        if settings.storage is not None:
            return settings.storage.get(self._storage_key(key, settings.account_limit))
        from frontdesk.extensions import db

        with db.engine.connect() as conn:
            return conn.scalar(sa.select(LoginFailureCount.count).where(
                LoginFailureCount.key == key, LoginFailureCount.expires_at > utcnow())) or 0

    # --- the stores ---------------------------------------------------------------------------

    @staticmethod
    def _storage_key(key: str, limit: RateLimitItem) -> str:
        return f"frontdesk-login/{limit.get_expiry()}/{key}"

    def _hit(self, settings: _Settings, key: str, limit: RateLimitItem) -> int:
        if settings.storage is not None:
            return settings.storage.incr(self._storage_key(key, limit), limit.get_expiry())
        return _hit_database(key, limit)

    def _give_back(self, settings: _Settings, key: str, limit: RateLimitItem) -> None:
        if settings.storage is not None:
            storage_key = self._storage_key(key, limit)
            if settings.storage.get(storage_key) > 0:
                settings.storage.incr(storage_key, limit.get_expiry(), amount=-1)
            return
        _give_back_database(key)


# The database store works on a connection of its own, committed at once: a count must
# outlive the request's transaction, which a refused form rolls back.


def _hit_database(key: str, limit: RateLimitItem) -> int:
    """Add one to the key's count in the current window (a new window if it ran out)."""
    from frontdesk.extensions import db

    table = LoginFailureCount.__table__
    now = utcnow()
    with db.engine.begin() as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(table).values(
            key=key, count=1, expires_at=now + timedelta(seconds=limit.get_expiry()))
        live = table.c.expires_at > now
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"count": sa.case((live, table.c.count + 1), else_=1),
                  "expires_at": sa.case((live, table.c.expires_at),
                                        else_=stmt.excluded.expires_at)},
        ).returning(table.c.count)
        return conn.execute(stmt).scalar_one()


def _forget_expired() -> None:
    """Delete the counts of windows that ran out (a transaction of its own: no lock waits)."""
    from frontdesk.extensions import db

    table = LoginFailureCount.__table__
    with db.engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.expires_at <= utcnow()))


def _give_back_database(key: str) -> None:
    from frontdesk.extensions import db

    table = LoginFailureCount.__table__
    with db.engine.begin() as conn:
        conn.execute(sa.update(table)
                     .where(table.c.key == key, table.c.count > 0,
                            table.c.expires_at > utcnow())
                     .values(count=table.c.count - 1))
