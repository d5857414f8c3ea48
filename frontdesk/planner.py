"""Keep the database's statistics fresh, so that its query planner picks the indexes.

SQLite has no statistics until ``ANALYZE`` runs; without them it guesses, and the desk search
walked every unit of an estate instead of reading the phone-tail index (30 ms against 0.5 ms
at 50,000 people). PostgreSQL's autovacuum analyses tables by itself, but only some time
after a bulk write.

- :func:`analyze` after bulk writes (imports, demo data): both databases.
- On SQLite, ``PRAGMA optimize`` (with ``analysis_limit``, as SQLite's documentation
  recommends for long-lived connections) before a connection closes and, on a connection kept
  open by the pool, once an hour when it is returned; it analyses only the tables whose
  statistics are missing or out of date, and is usually a no-op.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

#: tables the desk and the register read by index: analysed after a register import
REGISTER_TABLES = ("building", "unit", "person", "person_name_gram", "occupancy", "vehicle")
#: seconds between two ``PRAGMA optimize`` on one pooled SQLite connection
OPTIMIZE_EVERY = 3600
#: rows SQLite's ANALYZE reads per index when ``PRAGMA optimize`` runs it
ANALYSIS_LIMIT = 400


def analyze(session, tables: tuple[str, ...] | list[str] | None = None) -> None:
    """Gather the planner's statistics of the tables (all when None) and commit."""
    if tables is None:
        session.execute(sa.text("ANALYZE"))
    else:
        for table in tables:
            session.execute(sa.text(f'ANALYZE "{table}"'))
    session.commit()


def _optimize(dbapi_connection) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("PRAGMA optimize")
    finally:
        cursor.close()


def optimize_sqlite(engine: sa.Engine) -> None:
    """Run SQLite's ``PRAGMA optimize`` on the engine's connections: before each closes, and
    hourly on those the pool keeps."""

    @sa.event.listens_for(engine, "connect")
    def _opened(_dbapi_connection, record):
        record.info["optimized_at"] = time.monotonic()

    @sa.event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record):
        if dbapi_connection is None:
            return
        if time.monotonic() - record.info.get("optimized_at", 0) >= OPTIMIZE_EVERY:
            record.info["optimized_at"] = time.monotonic()
            try:
                _optimize(dbapi_connection)
            except Exception:  # busy or read-only: the next hour tries again
                pass

    @sa.event.listens_for(engine, "close")
    def _closing(dbapi_connection, _record):
        try:
            _optimize(dbapi_connection)
        except Exception:  # closing anyway
            pass
