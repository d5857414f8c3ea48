"""The planner's statistics: gathered after an import, and by SQLite's PRAGMA optimize."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from frontdesk import planner
from tests.test_imports import PEOPLE_HEADER, csv_bytes, import_file


def test_an_import_leaves_sqlite_statistics_of_the_register(desk, world, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's own autovacuum gathers them as well")
    db.session.execute(sa.text("DELETE FROM sqlite_stat1"))
    db.session.commit()
    data = csv_bytes([PEOPLE_HEADER, ["诸葛亮", "13700001234", "", "", "3-2-1502", "家庭成员",
                                      "2024-06-01", "", "", ""]])
    assert import_file(desk, "person", data, "people.csv").status_code == 302
    analysed = set(db.session.scalars(sa.text("SELECT DISTINCT tbl FROM sqlite_stat1")))
    assert {"person", "person_name_gram", "occupancy", "unit"} <= analysed


def test_sqlite_connections_optimize_before_they_close(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'plan.sqlite'}")
    planner.optimize_sqlite(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, e INTEGER, a TEXT)"))
        conn.execute(sa.text("CREATE INDEX ix_t_e ON t (e)"))
        conn.execute(sa.text("INSERT INTO t (e, a) VALUES (:e, :a)"),
                     [{"e": i % 7, "a": str(i)} for i in range(2000)])
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT a FROM t WHERE e = 3")).all()
        assert conn.execute(sa.text(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 0
    engine.dispose()  # closes the pooled connection: PRAGMA optimize runs first
    with sa.create_engine(f"sqlite:///{tmp_path / 'plan.sqlite'}").connect() as conn:
        assert conn.execute(sa.text("SELECT idx FROM sqlite_stat1")).scalars().all() == ["ix_t_e"]
