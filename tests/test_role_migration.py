"""The migration that puts roles into estate memberships keeps every role where it applied."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from frontdesk import create_app
from tests.revisions import revision_before

REVISION = "access_0001"


def _rows(conn, sql: str) -> set[tuple]:
    return {tuple(r) for r in conn.execute(sa.text(sql))}


def test_global_roles_move_onto_every_membership_and_back(tmp_path):
    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}"})
    with app.app_context():
        from frontdesk.extensions import db

        before = revision_before(app, REVISION)
        upgrade(revision=before)
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO estate (id, name, address, phone, timezone, receipt_prefix, "
                "created_at) VALUES (1, 'A', '', '', 'Asia/Shanghai', 'SJ', '2026-01-01'), "
                "(2, 'B', '', '', 'Asia/Shanghai', 'SJ', '2026-01-01')"))
            conn.execute(sa.text(
                "INSERT INTO user (id, username, full_name, password_hash, active, created_at) "
                "VALUES (1, 'both', 'x', 'h', 1, '2026-01-01'), (2, 'one', 'y', 'h', 1, "
                "'2026-01-01'), (3, 'none', 'z', 'h', 1, '2026-01-01')"))
            conn.execute(sa.text(
                "INSERT INTO user_estate (user_id, estate_id) VALUES (1, 1), (1, 2), (2, 2)"))
            conn.execute(sa.text(
                "INSERT INTO user_role (user_id, role) VALUES (1, 'admin'), (1, 'finance'), "
                "(2, 'frontdesk'), (3, 'manager')"))
        upgrade(revision=REVISION)
        with db.engine.connect() as conn:
            assert _rows(conn, "SELECT user_id, estate_id, role FROM user_role") == {
                (1, 1, "admin"), (1, 1, "finance"), (1, 2, "admin"), (1, 2, "finance"),
                (2, 2, "frontdesk")}
            assert _rows(conn, "SELECT user_id, estate_id FROM user_estate") == {
                (1, 1), (1, 2), (2, 2)}
        with db.engine.begin() as conn:  # a role now needs the membership
            try:
                conn.execute(sa.text(
                    "INSERT INTO user_role (user_id, estate_id, role) VALUES (2, 1, 'admin')"))
            except sa.exc.IntegrityError:
                pass
            else:
                raise AssertionError("a role outside a membership was accepted")
        downgrade(revision=before)
        with db.engine.connect() as conn:
            assert _rows(conn, "SELECT user_id, role FROM user_role") == {
                (1, "admin"), (1, "finance"), (2, "frontdesk")}
        db.engine.dispose()
