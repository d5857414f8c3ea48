"""Declarative base with a naming convention, and the column types shared by every area."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class ExactDecimal(TypeDecorator):
    """A fixed-point decimal that round-trips exactly on every database.

    PostgreSQL gets ``NUMERIC(precision, scale)``. SQLite has no exact decimal type (SQLAlchemy
    would pass values through float), so there the value is stored as a scaled integer:
    yuan × 100 for money, × 10,000 for rates. ``SUM`` keeps the column's type, so totals
    computed by the database come back exact too.
    """

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 12, scale: int = 2):
        super().__init__(precision, scale)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)
        self._factor = Decimal(10) ** scale

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("floats are not accepted for exact decimal columns")
        value = Decimal(value)
        if value != value.quantize(self._quantum):
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        if dialect.name == "sqlite":
            return int(value * self._factor)
        return value.quantize(self._quantum)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, float):  # an aggregate such as AVG
                value = Decimal(repr(value))
            return (Decimal(value) / self._factor).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)

    def result_processor(self, dialect, coltype):
        """Convert as process_result_value does, with no per-value overhead on the common path
        (a bill run reads hundreds of thousands of these)."""
        general = super().result_processor(dialect, coltype)
        if dialect.name == "sqlite":
            exponent = -self.scale

            def process(value):
                if value.__class__ is int:
                    return Decimal(value).scaleb(exponent)  # exact: the stored integer, scaled
                return general(value)

            return process
        if self.impl_instance.result_processor(dialect, coltype) is None:
            quantum = self._quantum

            def process(value):
                if value.__class__ is Decimal:
                    return value.quantize(quantum)
                return general(value)

            return process
        return general

    @property
    def python_type(self):
        return Decimal


def Money() -> ExactDecimal:  # noqa: N802 - reads as a type in column declarations
    """Money in yuan with two decimals (分)."""
    return ExactDecimal(12, 2)


def Rate() -> ExactDecimal:  # noqa: N802
    """A unit price or rate with four decimals."""
    return ExactDecimal(12, 4)


class UTCDateTime(TypeDecorator):
    """A datetime stored in UTC and always returned timezone-aware in UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a timezone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def python_type(self):
        return datetime
