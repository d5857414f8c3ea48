"""The reading-review and refund-payout migration keeps existing data and says what it was."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from frontdesk import create_app
from tests.revisions import revision_before

REVISION = "fees_0001"
ROWS = [
    "INSERT INTO estate (id, name, address, phone, timezone, receipt_prefix, created_at) "
    "VALUES (1, '阳光花园', '', '', 'Asia/Shanghai', 'SJ', '2026-11-01 00:00:00')",
    "INSERT INTO user (id, username, full_name, password_hash, active, created_at) "
    "VALUES (1, 'manager', '经理', 'x', 1, '2026-11-01 00:00:00')",
    "INSERT INTO building (id, estate_id, number, name, usage, floors, elevator, sort_key) "
    "VALUES (1, 1, '3', '3号楼', '住宅', 18, 1, '00000003')",
    "INSERT INTO unit (id, estate_id, building_id, entrance, floor, room, code, usage, status) "
    "VALUES (1, 1, 1, '2', 15, '1502', '3-2-1502', '住宅', '已入住')",
    # an approved refund was paid out when it was approved; a pending one was not
    "INSERT INTO refund (id, estate_id, unit_id, source, amount, method, reason, state, "
    "requested_by_id, requested_at, decided_by_id, decided_at) VALUES (1, 1, 1, 'prepaid', "
    "5000, 'cash', '搬离', 'approved', 1, '2026-11-20 01:00:00', 1, '2026-11-20 02:00:00')",
    "INSERT INTO refund (id, estate_id, unit_id, source, amount, method, reason, state, "
    "requested_by_id, requested_at) VALUES (2, 1, 1, 'prepaid', 1000, 'wechat', '多交', "
    "'pending', 1, '2026-11-21 01:00:00')",
    "INSERT INTO meter (id, estate_id, unit_id, kind, number, multiplier, max_value, shared, "
    "apportion_basis, active) VALUES (1, 1, 1, 'water', 'W1', 10000, 999990000, 0, 'area', 1)",
    "INSERT INTO meter_reading (id, estate_id, meter_id, period, value, consumption, kind, "
    "flagged, entered_at) VALUES (1, 1, 1, '2026-11', 10600000, 9000000, 'normal', 1, "
    "'2026-11-30 01:00:00')",
]


def test_upgrade_marks_approved_refunds_paid_and_downgrade_restores_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrate.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    engine = sa.create_engine(url)
    try:
        with app.app_context():
            before = revision_before(app, REVISION)
            upgrade(revision=before)
            with engine.begin() as conn:
                for row in ROWS:
                    conn.execute(sa.text(row))
            upgrade(revision=REVISION)
            with engine.connect() as conn:
                refunds = conn.execute(sa.text(
                    "SELECT id, state, paid_at, paid_method, paid_by_id, payee, decided_at "
                    "FROM refund ORDER BY id")).all()
                reading = conn.execute(sa.text(
                    "SELECT flagged, reviewed_by_id, reviewed_at FROM meter_reading")).one()
            (paid, pending) = refunds
            assert paid.state == "paid" and paid.paid_at == paid.decided_at
            assert paid.paid_method == "cash" and paid.paid_by_id is None and paid.payee == ""
            assert pending.state == "pending" and pending.paid_at is None
            assert tuple(reading) == (1, None, None)  # flagged, to be reviewed
            downgrade(revision=before)
            with engine.connect() as conn:
                states = conn.execute(sa.text("SELECT state FROM refund ORDER BY id")).scalars()
                assert list(states) == ["approved", "pending"]
                columns = {c["name"] for c in sa.inspect(conn).get_columns("refund")}
                assert "paid_at" not in columns
            from frontdesk.extensions import db

            db.engine.dispose()
    finally:
        engine.dispose()
