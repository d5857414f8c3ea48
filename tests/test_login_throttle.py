"""Failed password checks are counted per account and per address, in the shared database."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from frontdesk import create_app
from frontdesk.extensions import db as _db
from frontdesk.models import Key, LoginFailureCount
from frontdesk.models.base import utcnow
from frontdesk.services import accounts
from tests import factories
from tests.conftest import login

REFUSED = "登录失败次数过多"


def client_at(app, address: str = "10.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def second_app(app):
    """Another instance of the app on the same database, as a second worker would be."""
    other = create_app({key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED", "SECRET_KEY",
        "RATELIMIT_STORAGE_URI")})
    yield other
    with other.app_context():
        _db.engine.dispose()


def test_two_workers_on_one_database_share_the_count(app, second_app, world):
    first, second = client_at(app), client_at(second_app)
    for n in range(5):
        assert login(first if n % 2 else second, "frontdesk", "nope").status_code == 422
    for worker in (first, second):
        response = login(worker, "frontdesk")  # even the right password waits now
        assert response.status_code == 429 and REFUSED in response.text
    assert login(client_at(second_app), "finance").status_code == 302  # other accounts log in


def test_an_account_is_protected_whatever_address_the_guesses_come_from(app, world):
    for n in range(5):
        assert login(client_at(app, f"10.0.1.{n}"), "manager", "nope").status_code == 422
    response = login(client_at(app, "10.0.1.99"), "manager")
    assert response.status_code == 429 and REFUSED in response.text
    assert login(client_at(app, "10.0.1.0"), "frontdesk").status_code == 302


def test_an_address_guessing_many_accounts_is_stopped(app, world):
    guesser = client_at(app, "10.0.2.1")
    for n in range(20):
        assert login(guesser, f"nobody{n}", "nope").status_code == 422
    response = login(guesser, "frontdesk")
    assert response.status_code == 429 and REFUSED in response.text
    assert login(client_at(app, "10.0.2.2"), "frontdesk").status_code == 302


def test_right_passwords_and_refused_tries_are_not_counted(app, world):
    desk = client_at(app)
    for _ in range(4):
        assert login(desk, "frontdesk", "nope").status_code == 422
    for _ in range(3):
        assert login(client_at(app), "frontdesk").status_code == 302
    assert login(desk, "frontdesk", "nope").status_code == 422  # the fifth failure
    for _ in range(3):
        assert login(desk, "frontdesk").status_code == 429
    assert _db.session.scalar(sa.select(sa.func.max(LoginFailureCount.count))) == 5


def test_the_count_starts_again_when_the_window_ends(app, db, world):
    for _ in range(5):
        login(client_at(app), "frontdesk", "nope")
    assert login(client_at(app), "frontdesk").status_code == 429
    db.session.execute(sa.update(LoginFailureCount)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert login(client_at(app), "frontdesk").status_code == 302
    assert db.session.scalar(sa.select(sa.func.max(LoginFailureCount.count))) in (None, 0)


def test_what_was_typed_as_a_username_is_not_stored(app, db, world):
    login(client_at(app), "secret123-typed-here", "nope")
    rows = db.session.scalars(sa.select(LoginFailureCount)).all()
    assert len(rows) == 2  # the account and the address
    assert all(len(r.key) == 64 and "secret123" not in r.key and "10.0.0.1" not in r.key
               for r in rows)


def test_an_unknown_username_costs_a_hash_check_like_a_known_one(app, world, monkeypatch):
    checked = []
    real = accounts.check_password_hash

    def spy(pwhash, password):
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", spy)
    assert login(client_at(app), "nobody-here", "nope").status_code == 422
    assert checked == [accounts.DUMMY_HASH]
    # the dummy hash is made as a real user's password is (method and cost)
    method = accounts.DUMMY_HASH.split("$", 1)[0]
    assert method == generate_password_hash("x").split("$", 1)[0]
    world.users["finance"].active = False
    _db.session.commit()
    checked.clear()
    assert login(client_at(app), "finance").status_code == 422  # inactive: refused, after a check
    assert len(checked) == 1
    checked.clear()
    assert login(client_at(app), "frontdesk", "nope").status_code == 422
    assert len(checked) == 1


def test_a_limits_store_such_as_redis_is_used_when_configured(app, db, world):
    shared = create_app({key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED", "SECRET_KEY")}
        | {"RATELIMIT_STORAGE_URI": "memory://"})
    try:
        for _ in range(5):
            assert login(client_at(shared), "frontdesk", "nope").status_code == 422
        response = login(client_at(shared), "frontdesk")
        assert response.status_code == 429 and REFUSED in response.text
        with shared.app_context():
            from frontdesk.extensions import throttle

            assert throttle.failures("frontdesk") == 5
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailureCount)) == 0
    finally:
        with shared.app_context():
            _db.engine.dispose()


@pytest.mark.postgres
def test_twenty_guesses_at_once_get_five_checks(app, second_app, world):
    """The count is taken before the password is checked, so racing guesses do not slip by."""
    clients = [client_at(app if n % 2 else second_app, f"10.0.4.{n}") for n in range(20)]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def guess(client, n):
        barrier.wait(timeout=30)
        statuses.append(login(client, "frontdesk", f"guess-{n}").status_code)

    threads = [threading.Thread(target=guess, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(statuses) == [422] * 5 + [429] * 15


# --- the manager's password on the key lend form --------------------------------------------


@pytest.fixture
def key(world, db):
    k = factories.key(world.estate, world.unit, "K-1")
    db.session.commit()
    return k


def lend_as_stranger(client, key, password):
    return client.post(f"/keys/{key.id}/lend", data={
        "borrower_name": "王五", "borrower_phone": "13900001111", "borrower_id_tail": "5678",
        "purpose": "维修", "expected_return_at": "2099-01-01 18:00",
        "manager_username": "manager", "manager_password": password,
        "approve_reason": "业主来电委托"})


def test_the_lend_form_counts_with_the_managers_logins(app, second_app, world, key):
    desk = client_at(app, "10.0.3.1")
    assert login(desk, "frontdesk").status_code == 302
    for n in range(3):
        assert lend_as_stranger(desk, key, f"guess-{n}").status_code == 422
    for _ in range(2):
        assert login(client_at(second_app, "10.0.3.2"), "manager", "nope").status_code == 422
    refused = lend_as_stranger(desk, key, factories.PASSWORD)
    assert refused.status_code == 429 and "经理密码错误次数过多" in refused.text
    assert login(client_at(second_app, "10.0.3.2"), "manager").status_code == 429
    assert _db.session.scalar(sa.select(Key.status).where(Key.id == key.id)) == "in_cabinet"


# --- responses with personal data are not kept by browsers or proxies -----------------------


def test_logged_in_pages_pdfs_and_exports_are_not_stored(desk, world):
    for url in ("/desk", f"/desk/units/{world.unit.id}", "/register/people",
                f"/desk/units/{world.unit.id}/registration.pdf", "/register/export.xlsx"):
        response = desk.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    assert desk.get(f"/desk/units/{world.unit.id}/registration.pdf").mimetype == \
        "application/pdf"
    with desk.get("/static/app.css") as asset:  # assets stay cacheable
        assert "no-store" not in asset.headers.get("Cache-Control", "")
