"""Fixtures: one database migrated once per run, emptied after every test; clients per role."""

from __future__ import annotations

import os
import re
import secrets
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from frontdesk import create_app
from frontdesk.extensions import db as _db
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("FRONTDESK_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """Give an empty database, upgraded to the newest migration with `flask db upgrade`."""
    url = _database_url(tmp_path_factory)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
    except sa.exc.OperationalError as e:
        pytest.exit(f"test database {url} is not reachable: {e}", returncode=2)
    finally:
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        _db.engine.dispose()
    return url


def empty_all_tables() -> None:
    """Delete every row, children first, and start the ids again from 1.

    DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table costs about 0.25 s (it
    replaces each table's files), a DELETE of the few rows a test wrote about 0.01 s."""
    tables = [t for t in reversed(_db.metadata.sorted_tables)]
    for t in tables:
        _db.session.execute(sa.text(f'DELETE FROM "{t.name}"'))
    if _db.engine.dialect.name == "postgresql":
        serial = [t.name for t in tables if "id" in t.c and t.c.id.primary_key
                  and t.c.id.autoincrement in (True, "auto")
                  and isinstance(t.c.id.type, sa.Integer)]
        calls = ", ".join(f"setval(pg_get_serial_sequence('\"{name}\"', 'id'), 1, false)"
                          for name in serial)
        _db.session.execute(sa.text(f"SELECT {calls}"))
    _db.session.commit()


def make_app(database_url: str, instance_path) -> Flask:
    """Build the app on the test database, with CSRF off unless a test turns it on."""
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test",
        "RATELIMIT_STORAGE_URI": None,  # failed logins counted in the test database
        "JOBS_BACKEND": "inline",  # a job started by a request has ended when it answers
    })
    app.instance_path = str(instance_path)

    @app.before_request
    def _fresh_request_state():
        # Requests made while this fixture's app context is pushed reuse that context and its
        # `g`; drop what Flask-Login and the estate helper cache there so that each request
        # sees only its own user, as it would in production.
        from flask import g

        g.pop("_login_user", None)
        g.pop("current_estate", None)
        _db.session.expire_all()

    return app


@pytest.fixture(scope="session")
def shared_app(database_url, tmp_path_factory) -> Flask:
    """One app for the whole run: building an app compiles every URL rule and, for each app's
    own Jinja environment, every template again (most of a test's cost when done per test)."""
    return make_app(database_url, tmp_path_factory.mktemp("instance"))


@pytest.fixture
def app(shared_app, tmp_path):
    """Give the app on the test database with its own instance folder (uploads, imports);
    what a test sets in its config is undone and every table is emptied after the test."""
    app = shared_app
    saved = dict(app.config)
    app.instance_path = str(tmp_path)
    try:
        with app.app_context():
            yield app
            _db.session.rollback()
            _db.session.remove()
            empty_all_tables()
            _db.engine.dispose()
    finally:
        app.config.clear()
        app.config.update(saved)


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class World:
    """Two estates: A (ours) with a unit, a resident and a vehicle; B (another company's)."""

    def __init__(self):
        self.estate = factories.estate("阳光花园", address="上海市测试路 1 号")
        self.other_estate = factories.estate("别家小区")
        self.building = factories.building(self.estate, "3")
        self.unit = factories.unit(self.building, "2", 15, "1502")
        self.person = factories.person(self.estate)
        self.occupancy = factories.occupancy(self.unit, self.person, is_primary=True)
        self.vehicle = factories.vehicle(self.estate, "京A12345", self.person, self.unit)
        self.users = {
            role: factories.user(role, [self.estate], username=role, full_name=f"{role}测试")
            for role in ("frontdesk", "engineering", "finance", "manager", "admin")
        }
        _db.session.commit()


@pytest.fixture
def world(app) -> World:
    return World()


WATER_TIERS = [{"upto": "180", "price": "5.00"}, {"upto": "260", "price": "7.00"},
               {"upto": None, "price": "9.00"}]
POWER_TIERS = [{"upto": "200", "price": "0.60"}, {"upto": None, "price": "0.90"}]


class Fees:
    """The world's estate with an area, a water, an electricity, a shared and a fixed item,
    each with its tariff."""

    def __init__(self, world):
        e = self.estate = world.estate
        self.building = world.building
        self.unit = world.unit
        self.unit.status = "已入住"
        self.unit.handover_date = date(2024, 5, 1)
        item, tariff = factories.fee_item, factories.tariff
        self.area = item(e, "WY", method="area", name="物业费", due_day=15,
                         vacancy_discount=Decimal("0.30"))
        tariff(self.area, "2.35")
        self.water = item(e, "SF", method="metered", name="水费", meter_kind="water",
                          tier_mode="annual", due_day=20)
        tariff(self.water, "5.00", tiers=WATER_TIERS)
        self.power = item(e, "DF", method="metered", name="电费", meter_kind="electricity",
                          tier_mode="period", due_day=20)
        tariff(self.power, "0.60", tiers=POWER_TIERS)
        self.shared = item(e, "GT", method="apportioned", name="公摊电费",
                           meter_kind="electricity")
        tariff(self.shared, "1.00")
        self.fixed = item(e, "LJ", method="fixed", name="垃圾费")
        tariff(self.fixed, "20.00")
        _db.session.commit()

    def unit_in(self, room, gross="100.00", **kw):
        kw.setdefault("status", "已入住")
        kw.setdefault("handover_date", date(2024, 5, 1))
        return factories.unit(self.building, "1", int(room[:-2]), room, gross, **kw)


@pytest.fixture
def fees(world) -> Fees:
    return Fees(world)


def count(db, model, *where) -> int:
    """Count the rows of a model (that match ``where``)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def login(client, username: str, password: str = factories.PASSWORD):
    """Log in through the login form and return the response."""
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def as_role(app, world):
    """Return a function giving a client logged in as the world's user of a role."""

    def make(role: str):
        c = app.test_client()
        r = login(c, role)
        assert r.status_code == 302, r.data[:500]
        return c

    return make


@pytest.fixture
def desk(as_role):
    return as_role("frontdesk")


@pytest.fixture
def finance(as_role):
    return as_role("finance")


@pytest.fixture
def engineer(as_role):
    return as_role("engineering")


@pytest.fixture
def manager(as_role):
    return as_role("manager")


@pytest.fixture
def admin(as_role):
    return as_role("admin")


# --- bills and payments through the desk's form ---------------------------------------------


def monthly_line(unit, item, period, amount, due, **kw):
    """A monthly area charge of the unit (89.50 m² at 2.35), due on ``due``."""
    return factories.bill_line(unit, item, period, amount, due=due,
                               **factories.area_charge(amount), **kw)


@pytest.fixture
def today(world):
    """The estate's today."""
    from frontdesk.services.periods import estate_today

    return estate_today(world.estate)


@pytest.fixture
def bills(world, db, today):
    """Three monthly bills of 210.33 without late fees, oldest first."""
    item = factories.fee_item(world.estate)
    lines = [monthly_line(world.unit, item, p, "210.33", today - timedelta(days=d))
             for p, d in (("2026-08", 90), ("2026-09", 60), ("2026-10", 30))]
    db.session.commit()
    return lines


def pay(client, unit, amount, *, key=None, lines=(), method="wechat", purpose="bills", **extra):
    """Post the payment form of a unit; the default is a WeChat payment of the bills."""
    data = {"amount": amount, "method": method, "purpose": purpose, "payer": "张三",
            "idempotency_key": key or secrets.token_hex(16),
            "line_ids": [str(i) for i in lines], **extra}
    return client.post(f"/payments/units/{unit.id}/new", data=data)


def receipt_id(response) -> int:
    """Return the id of the receipt a payment redirected to."""
    assert response.status_code == 302, response.text[:2000]
    return int(re.search(r"/payments/receipts/(\d+)$", response.headers["Location"]).group(1))


def pytest_collection_modifyitems(config, items):
    """Mark PostgreSQL-only tests to skip on SQLite (and fail loudly under CI if PG is absent)."""
    on_pg = os.environ.get("FRONTDESK_TEST_DATABASE_URL", "").startswith("postgresql")
    for item in items:
        if "postgres" in item.keywords and not on_pg:
            item.add_marker(pytest.mark.skip(reason="needs FRONTDESK_TEST_DATABASE_URL=postgresql"))


def building_notices(client, building_id: int, period: str):
    """Start the payment notices of a building (a job) and return the PDF it made.

    Returns the building's page instead when the job made no PDF (its message is there).
    """
    r = client.post(f"/statements/buildings/{building_id}/notices", data={"period": period})
    assert r.status_code == 302, r.status_code
    page = client.get(r.headers["Location"])
    job_id = re.search(r"job=(\d+)", r.headers["Location"]).group(1)
    pdf = client.get(f"/jobs/{job_id}/file")
    return pdf if pdf.status_code == 200 else page


@contextmanager
def statements(db):
    """Collect the SQL statements sent while the block runs, transaction control aside."""
    sent: list[str] = []

    def collect(_conn, _cursor, statement, *_args):
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE: not a query
            sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", collect)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", collect)


@pytest.fixture
def two_buildings(fees, db):
    """The fees estate with a second building and one billed unit in it: a bill run of two
    buildings reports progress twice."""
    other = factories.building(fees.estate, "5")
    factories.unit(other, "1", 2, "201", "50.00", status="已入住",
                   handover_date=date(2024, 5, 1))
    db.session.commit()
    return fees
