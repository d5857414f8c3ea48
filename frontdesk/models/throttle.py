"""Counts of failed password checks, shared by every worker of the app."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.models.base import Base, UTCDateTime


class LoginFailureCount(Base):
    """Failed password checks of one account or one client address in the current window."""

    __tablename__ = "login_failure_count"

    #: SHA-256 of the kind and the value ("account" and a username, "address" and an IP):
    #: what was typed into a username field is not kept
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: failures counted in the window (a check in progress counts until it succeeds)
    count: Mapped[int] = mapped_column(default=0)
    #: when the window ends and the count starts again from zero
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
