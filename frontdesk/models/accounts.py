"""Staff accounts, their roles and the estates they work for."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from frontdesk.models.register import Estate

#: the roles of DESIGN.md section 1, in the order the admin pages list them
ROLES = ("frontdesk", "engineering", "finance", "manager", "admin")


def new_session_token() -> str:
    """Return a fresh, unguessable session token."""
    return secrets.token_urlsafe(32)


class User(UserMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: the name printed on receipts and forms
    full_name: Mapped[str] = mapped_column(sa.String(64))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    #: UI language chosen by the user; None follows the browser, then Chinese
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: what a login session stores instead of the id (as Flask-Security's fs_uniquifier);
    #: replacing it ends every session of the user
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, index=True,
                                               default=new_session_token)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin",
        order_by="Membership.estate_id",
    )

    #: the estate whose roles `has_role` and `can` answer for when none is named; the web layer
    #: sets it on each request (web.current_estate). Not stored.
    working_estate_id = None

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        """Give Flask-Login the session token, so that a new token ends old sessions."""
        return self.session_token

    @property
    def estates(self) -> list[Estate]:
        """Return the estates where the user holds a role, oldest first."""
        return [m.estate for m in self.memberships if m.roles]

    @property
    def estate_ids(self) -> set[int]:
        return {e.id for e in self.estates}

    def roles_in(self, estate_id: int | None) -> set[str]:
        """Return the names of the roles the user holds in an estate."""
        return next((m.role_names for m in self.memberships if m.estate_id == estate_id), set())

    @property
    def roles(self) -> list[UserRole]:
        """Return the roles held in the estate being worked in."""
        return next((list(m.roles) for m in self.memberships
                     if m.estate_id == self.working_estate_id), [])

    @property
    def role_names(self) -> set[str]:
        return self.roles_in(self.working_estate_id)

    def has_role(self, *roles: str, estate_id: int | None = None) -> bool:
        """Tell whether the user holds one of the roles in the estate (default: the working one)."""
        held = self.roles_in(self.working_estate_id if estate_id is None else estate_id)
        return bool(held.intersection(roles))

    def can(self, permission: str, estate_id: int | None = None) -> bool:
        """Tell whether a role held in the estate (default: the working one) grants it."""
        from frontdesk.permissions import roles_for

        return self.has_role(*roles_for(permission), estate_id=estate_id)

    def estate_ids_with(self, permission: str) -> set[int]:
        """Return the estates in which a role of the user grants the permission."""
        return {m.estate_id for m in self.memberships if self.can(permission, m.estate_id)}


class Membership(Base):
    """A user's place in one estate, with the roles held there."""

    __tablename__ = "user_estate"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id", ondelete="CASCADE"),
                                           primary_key=True)

    user: Mapped[User] = relationship(back_populates="memberships")
    estate: Mapped[Estate] = relationship(lazy="selectin")
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="membership", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}


#: the membership table, for queries that only need its two columns
user_estates = Membership.__table__


class UserRole(Base):
    """A role held by a user in one estate: it belongs to the user's membership there."""

    __tablename__ = "user_role"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "estate_id", "role"),
        sa.ForeignKeyConstraint(["user_id", "estate_id"],
                                ["user_estate.user_id", "user_estate.estate_id"],
                                ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    estate_id: Mapped[int]
    #: one of ROLES
    role: Mapped[str] = mapped_column(sa.String(16))

    membership: Mapped[Membership] = relationship(back_populates="roles")
