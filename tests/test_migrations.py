"""`flask db upgrade` from an empty database gives exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from frontdesk.models import Base
from tests.revisions import revision_before, scripts


def _made_here(dialect: str):
    """Leave out what the models create on another database only (``Index.ddl_if``)."""

    def include_object(obj, name, type_, reflected, compare_to):
        ddl_if = getattr(obj, "_ddl_if", None)
        return ddl_if is None or ddl_if.dialect is None or dialect in (
            [ddl_if.dialect] if isinstance(ddl_if.dialect, str) else ddl_if.dialect)

    return include_object


def test_upgrade_from_empty_matches_the_models(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True,
                        "include_object": _made_here(conn.dialect.name)}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_database_is_at_the_newest_revision(db, app):
    heads = scripts(app).get_heads()
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert set(current) == set(heads) and len(heads) == 1


def test_session_tokens_are_backfilled_and_the_users_rows_survive(tmp_path):
    """Upgrading a database that has users gives each a token; nothing that refers to them goes."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from frontdesk import create_app
    from frontdesk.extensions import db

    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}"})
    with app.app_context():
        before = revision_before(app, "session_0001")
        upgrade(revision=before)
        with db.engine.begin() as conn:
            for n in (1, 2):
                conn.execute(sa.text(
                    "INSERT INTO \"user\" (id, username, full_name, password_hash, active, "
                    "created_at) VALUES (:n, :u, '测试', 'x', 1, '2026-11-01 00:00:00')"),
                    {"n": n, "u": f"user{n}"})
                conn.execute(sa.text(
                    "INSERT INTO audit_event (at, user_id, user_name, object_type, action) "
                    "VALUES ('2026-11-01 00:00:00', :n, 'x', 'user', 'login')"), {"n": n})
        upgrade(revision="session_0001")
        with db.engine.connect() as conn:
            tokens = conn.execute(sa.text('SELECT session_token FROM "user"')).scalars().all()
            events = conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar()
        assert len(set(tokens)) == 2 and all(len(t) >= 40 for t in tokens)
        assert events == 2
        downgrade(revision=before)
        with db.engine.connect() as conn:
            assert conn.execute(sa.text('SELECT count(*) FROM "user"')).scalar() == 2
            assert conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar() == 2
        db.engine.dispose()
