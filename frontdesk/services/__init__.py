"""The domain, as plain functions over the database session.

Transactions: one service call is one transaction. A service that changes data is wrapped in
:func:`transactional`, which commits when it returns and rolls back when it raises, so a
:class:`DomainError` (or anything else) leaves nothing half-written. A service called by another
service joins the caller's transaction: only the outermost one commits. Views never commit.
Services never read ``flask.request``, ``session``, ``flash`` or ``current_user``: the acting
user is an argument.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from frontdesk.extensions import db

P = ParamSpec("P")
_IN_SERVICE = "frontdesk.in_service"
R = TypeVar("R")


class DomainError(Exception):
    """A rule of the domain refused the operation; the message is shown to the user."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        #: a lazy translation: it becomes text in the reader's language when shown
        self.message = message
        #: the form field the message belongs to, if any
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """Commit when the service returns, roll back when it raises."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        info = db.session.info
        if info.get(_IN_SERVICE):
            return fn(*args, **kwargs)  # the outermost service commits or rolls back
        info[_IN_SERVICE] = True
        try:
            result = fn(*args, **kwargs)
            db.session.commit()
            return result
        except BaseException:
            db.session.rollback()
            raise
        finally:
            info.pop(_IN_SERVICE, None)

    return wrapper
