"""Login, logout, password, rate limit, CSRF, cookies, headers and the health check."""

from __future__ import annotations

import re

import sqlalchemy as sa

from frontdesk import create_app
from frontdesk.models import AuditEvent, User
from tests.conftest import login


def test_login_with_right_password_opens_the_desk(client, world):
    response = login(client, "frontdesk")
    assert response.status_code == 302
    assert client.get("/", follow_redirects=True).request.path == "/desk"


def test_login_with_wrong_password_is_refused_with_a_message(client, world):
    response = login(client, "frontdesk", "wrong-password")
    assert response.status_code == 422
    assert "用户名或密码不正确" in response.text
    assert client.get("/desk").status_code == 302


def test_sixth_failed_login_in_a_minute_is_refused(client, world):
    for _ in range(5):
        assert login(client, "frontdesk", "nope").status_code == 422
    response = login(client, "frontdesk", "nope")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.text


def test_successful_logins_do_not_count_towards_the_limit(app, world):
    for _ in range(7):
        c = app.test_client()
        assert login(c, "frontdesk").status_code == 302


def test_login_ignores_an_external_next_url(client, world):
    response = client.post("/login", data={"username": "frontdesk", "password": "secret123",
                                           "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(desk):
    assert desk.post("/logout").status_code == 302
    assert desk.get("/desk").status_code == 302


def test_change_password(desk, world, client):
    response = desk.post("/account", data={
        "pw-current_password": "secret123", "pw-new_password": "newpass456",
        "pw-confirm": "newpass456", "pw-submit": "1"})
    assert response.status_code == 302
    assert login(client, "frontdesk", "newpass456").status_code == 302


def test_change_password_refuses_wrong_current_and_weak_new(desk, db, world):
    before = db.session.scalar(sa.select(User.password_hash).where(User.username == "frontdesk"))
    r = desk.post("/account", data={"pw-current_password": "bad", "pw-new_password": "newpass456",
                                    "pw-confirm": "newpass456", "pw-submit": "1"})
    assert "当前密码不正确" in r.text
    r = desk.post("/account", data={"pw-current_password": "secret123", "pw-new_password": "short",
                                    "pw-confirm": "short", "pw-submit": "1"})
    assert "密码至少 8 位" in r.text
    db.session.expire_all()
    after = db.session.scalar(sa.select(User.password_hash).where(User.username == "frontdesk"))
    assert before == after


def test_passwords_are_stored_hashed(db, world):
    stored = db.session.scalar(sa.select(User.password_hash).where(User.username == "frontdesk"))
    assert "secret123" not in stored and stored.startswith("pbkdf2:")


def test_forms_need_a_csrf_token(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    c = app.test_client()
    response = c.post("/login", data={"username": "frontdesk", "password": "secret123"})
    assert response.status_code == 400
    page = c.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = c.post("/login", data={"username": "frontdesk", "password": "secret123",
                                      "csrf_token": token})
    assert response.status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, world):
    response = login(client, "frontdesk")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_allow_only_own_scripts_and_styles(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_load_no_assets_from_other_hosts(desk):
    page = desk.get("/desk").text
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok"}


def test_healthz_is_503_when_the_database_is_down(tmp_path):
    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["db"] == "down"


def test_login_is_audited(client, db, world):
    login(client, "frontdesk")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "login"))
    assert event.user_name == "frontdesk"


def test_inactive_user_cannot_log_in(client, db, world):
    world.users["frontdesk"].active = False
    db.session.commit()
    assert login(client, "frontdesk").status_code == 422
