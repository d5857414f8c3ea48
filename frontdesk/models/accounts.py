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


user_estates = sa.Table(
    "user_estate",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("estate_id", sa.ForeignKey("estate.id", ondelete="CASCADE"), primary_key=True),
)


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

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    estates: Mapped[list[Estate]] = relationship(secondary=user_estates, lazy="selectin")

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        """Give Flask-Login the session token, so that a new token ends old sessions."""
        return self.session_token

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    @property
    def estate_ids(self) -> set[int]:
        return {e.id for e in self.estates}

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    def can(self, permission: str) -> bool:
        """Tell whether one of the user's roles grants the permission."""
        from frontdesk.permissions import roles_for

        return self.has_role(*roles_for(permission))


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (sa.UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: one of ROLES
    role: Mapped[str] = mapped_column(sa.String(16))

    user: Mapped[User] = relationship(back_populates="roles")
