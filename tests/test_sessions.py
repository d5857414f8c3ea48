"""Sessions end when they should: logout, a new password and deactivation end every copy."""

from __future__ import annotations

import sqlalchemy as sa

from frontdesk.models import AuditEvent, User
from tests import factories
from tests.conftest import login

NEW_PASSWORD = "newpass456"


def logged_in(app, username: str = "frontdesk", password: str = factories.PASSWORD):
    client = app.test_client()
    assert login(client, username, password).status_code == 302
    return client


def copy_of(app, client):
    """Return another client holding the same session cookie, as a stolen copy would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def is_logged_in(client) -> bool:
    response = client.get("/account")  # open to every role
    assert response.status_code in (200, 302)
    return response.status_code == 200


def edit_user(admin, user: User, **changes):
    data = {"username": user.username, "full_name": user.full_name,
            "active": "y", "password": ""}
    data.update({f"roles_{m.estate_id}": sorted(m.role_names) for m in user.memberships})
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    response = admin.post(f"/admin/users/{user.id}/edit", data=data)
    assert response.status_code == 302, response.text[:2000]


def test_a_copied_session_cookie_stops_working_after_logout(app, world):
    desk = logged_in(app)
    thief = copy_of(app, desk)
    assert is_logged_in(thief)
    response = desk.post("/logout", follow_redirects=True)
    assert "您已退出登录" in response.text
    assert not is_logged_in(desk)
    assert not is_logged_in(thief)


def test_logging_out_ends_the_users_other_sessions_and_no_one_elses(app, world):
    first, second = logged_in(app), logged_in(app)
    finance = logged_in(app, "finance")
    first.post("/logout")
    assert not is_logged_in(second)
    assert is_logged_in(finance)
    assert is_logged_in(logged_in(app))  # logging in again works at once


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(app, db, world):
    desk, elsewhere = logged_in(app), logged_in(app)
    copied = copy_of(app, desk)
    response = desk.post("/account", data={
        "pw-current_password": factories.PASSWORD, "pw-new_password": NEW_PASSWORD,
        "pw-confirm": NEW_PASSWORD, "pw-submit": "1"})
    assert response.status_code == 302
    assert is_logged_in(desk)
    assert not is_logged_in(elsewhere)
    assert not is_logged_in(copied)  # the cookie from before the change is worth nothing
    assert is_logged_in(logged_in(app, password=NEW_PASSWORD))
    events = db.session.scalars(sa.select(AuditEvent)).all()
    token = db.session.scalar(sa.select(User.session_token).where(User.username == "frontdesk"))
    assert events and all(token not in str((e.before, e.after)) for e in events)


def test_a_failed_password_change_keeps_the_other_sessions(app, world):
    desk, elsewhere = logged_in(app), logged_in(app)
    response = desk.post("/account", data={
        "pw-current_password": "wrong-password", "pw-new_password": NEW_PASSWORD,
        "pw-confirm": NEW_PASSWORD, "pw-submit": "1"})
    assert "当前密码不正确" in response.text
    assert is_logged_in(elsewhere)


def test_deactivation_ends_the_sessions_and_reactivation_does_not_revive_them(app, db, world,
                                                                             admin):
    user = world.users["frontdesk"]
    desk = logged_in(app)
    edit_user(admin, user, active=None)  # the unticked box
    assert not is_logged_in(desk)
    assert login(app.test_client(), "frontdesk").status_code == 422  # refused
    db.session.expire_all()
    edit_user(admin, db.session.get(User, user.id))
    assert not is_logged_in(desk)  # the session from before stays dead
    assert is_logged_in(logged_in(app))
    assert is_logged_in(admin)


def test_a_password_set_by_the_administrator_ends_the_users_sessions(app, world, admin):
    desk = logged_in(app)
    edit_user(admin, world.users["frontdesk"], password=NEW_PASSWORD)
    assert not is_logged_in(desk)
    assert is_logged_in(logged_in(app, password=NEW_PASSWORD))


def test_saving_a_user_without_changes_keeps_their_sessions(app, world, admin):
    desk = logged_in(app)
    edit_user(admin, world.users["frontdesk"], full_name="前台二号")
    assert is_logged_in(desk)


def test_the_session_holds_the_users_token_not_the_id(app, db, world):
    desk = logged_in(app)
    with desk.session_transaction() as session:
        held = session["_user_id"]
    user = world.users["frontdesk"]
    db.session.refresh(user)
    assert held == user.session_token and held != str(user.id) and len(held) >= 40
    forged = app.test_client()  # a session naming the id, as before, is nobody's
    with forged.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert not is_logged_in(forged)


def test_every_user_gets_a_token_of_their_own(db, world):
    tokens = db.session.scalars(sa.select(User.session_token)).all()
    assert len(tokens) == len(set(tokens)) == 5 and all(tokens)
