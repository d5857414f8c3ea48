"""Money and time columns are exact and UTC on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from frontdesk.models import AuditEvent, Unit
from frontdesk.models.base import ExactDecimal, UTCDateTime

probe = sa.Table(
    "type_probe",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", ExactDecimal(12, 2)),
    sa.Column("rate", ExactDecimal(12, 4)),
    sa.Column("at", UTCDateTime()),
)


@pytest.fixture
def probe_table(db):
    probe.create(db.engine)
    yield probe
    probe.drop(db.engine)


def test_money_round_trips_exactly(db, probe_table):
    total = Decimal("0.10") + Decimal("0.20")
    with db.engine.begin() as conn:
        conn.execute(probe_table.insert(), [{"id": 1, "amount": Decimal("12345678.91")},
                                            {"id": 2, "amount": total},
                                            {"id": 3, "amount": Decimal("-0.01")}])
    with db.engine.connect() as conn:
        rows = dict(conn.execute(sa.select(probe_table.c.id, probe_table.c.amount)).all())
        summed = conn.execute(sa.select(sa.func.sum(probe_table.c.amount))).scalar_one()
    assert rows[1] == Decimal("12345678.91") and isinstance(rows[1], Decimal)
    assert str(rows[1]) == "12345678.91"
    assert rows[2] == Decimal("0.30") and str(rows[2]) == "0.30"
    assert summed == Decimal("12345679.20")


def test_rates_keep_four_decimals(db, probe_table):
    with db.engine.begin() as conn:
        conn.execute(probe_table.insert(), {"id": 1, "rate": Decimal("2.3500")})
    with db.engine.connect() as conn:
        assert str(conn.execute(sa.select(probe_table.c.rate)).scalar_one()) == "2.3500"


def test_floats_and_extra_decimals_are_refused(db, probe_table):
    with pytest.raises(sa.exc.StatementError), db.engine.begin() as conn:
        conn.execute(probe_table.insert(), {"id": 1, "amount": 0.1})
    with pytest.raises(sa.exc.StatementError), db.engine.begin() as conn:
        conn.execute(probe_table.insert(), {"id": 2, "amount": Decimal("0.001")})


def test_datetimes_come_back_aware_in_utc(db, probe_table):
    shanghai = timezone(timedelta(hours=8))
    local = datetime(2026, 11, 24, 9, 30, 15, tzinfo=shanghai)
    with db.engine.begin() as conn:
        conn.execute(probe_table.insert(), {"id": 1, "at": local})
    with db.engine.connect() as conn:
        value = conn.execute(sa.select(probe_table.c.at)).scalar_one()
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
    assert value == datetime(2026, 11, 24, 1, 30, 15, tzinfo=UTC)


def test_naive_datetimes_are_refused(db, probe_table):
    with pytest.raises(sa.exc.StatementError), db.engine.begin() as conn:
        conn.execute(probe_table.insert(), {"id": 1, "at": datetime(2026, 1, 1)})


def test_model_areas_and_timestamps_round_trip(db, world):
    db.session.expire_all()
    unit = db.session.get(Unit, world.unit.id)
    assert unit.gross_area == Decimal("89.50") and isinstance(unit.gross_area, Decimal)
    event = db.session.scalars(sa.select(AuditEvent)).first()
    if event is not None:
        assert event.at.tzinfo is not None
