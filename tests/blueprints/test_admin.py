"""Administration across estates: roles per estate, who may manage whom, estates, the audit list."""

from __future__ import annotations

import sqlalchemy as sa

from frontdesk.models import AuditEvent, Estate, User
from tests import factories
from tests.conftest import login


def logged_in(app, username: str, password: str = factories.PASSWORD):
    client = app.test_client()
    assert login(client, username, password).status_code == 302
    return client


def edit(client, user: User, **fields):
    data = {"username": user.username, "full_name": user.full_name, "active": "y"}
    data.update(fields)
    return client.post(f"/admin/users/{user.id}/edit", data=data)


def roles_of(db, username: str) -> dict[int, set[str]]:
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.username == username))
    return {m.estate_id: m.role_names for m in user.memberships}


def test_an_admin_cannot_reset_the_password_of_a_user_who_also_works_in_another_estate(
        app, db, world, admin):
    shared = factories.user("frontdesk", [world.estate, world.other_estate], username="shared")
    db.session.commit()
    assert admin.get(f"/admin/users/{shared.id}/edit").status_code == 403
    response = edit(admin, shared, password="taken0ver1", **{
        f"roles_{world.estate.id}": ["admin", "manager"]})
    assert response.status_code == 403
    assert login(app.test_client(), "shared", "taken0ver1").status_code == 422
    assert roles_of(db, "shared") == {world.estate.id: {"frontdesk"},
                                      world.other_estate.id: {"frontdesk"}}


def test_the_user_list_shows_shared_staff_without_an_edit_link_and_no_staff_of_only_others(
        db, world, admin):
    shared = factories.user("frontdesk", [world.estate, world.other_estate], username="shared")
    factories.user("finance", [world.other_estate], username="only_theirs")
    db.session.commit()
    page = admin.get("/admin/users").text
    assert "shared" in page and "only_theirs" not in page and "别家小区" not in page
    assert f"/admin/users/{shared.id}/edit" not in page
    assert f"/admin/users/{world.users['frontdesk'].id}/edit" in page
    assert "还在您不管理的小区工作" in page


def test_an_admin_of_both_estates_resets_the_shared_users_password(app, db, world, admin):
    shared = factories.user("frontdesk", [world.estate, world.other_estate], username="shared")
    factories.grant(world.users["admin"], "admin", world.other_estate)
    db.session.commit()
    response = edit(admin, shared, password="newpass789", **{
        f"roles_{world.estate.id}": ["frontdesk"], f"roles_{world.other_estate.id}": ["frontdesk"]})
    assert response.status_code == 302
    assert login(app.test_client(), "shared", "newpass789").status_code == 302


def test_roles_are_given_in_each_estate_apart(app, db, world, admin):
    factories.grant(world.users["admin"], "admin", world.other_estate)
    db.session.commit()
    form = admin.get("/admin/users/new").text
    assert "阳光花园 的角色" in form and "别家小区 的角色" in form
    response = admin.post("/admin/users/new", data={
        "username": "split", "full_name": "两边", "password": "secret123", "active": "y",
        f"roles_{world.estate.id}": ["frontdesk"],
        f"roles_{world.other_estate.id}": ["engineering"]})
    assert response.status_code == 302
    assert roles_of(db, "split") == {world.estate.id: {"frontdesk"},
                                     world.other_estate.id: {"engineering"}}
    split = logged_in(app, "split")
    assert split.get("/keys/").status_code == 200
    assert split.get("/meters/").status_code == 403
    assert split.post("/estate", data={"estate_id": world.other_estate.id}).status_code == 302
    assert split.get("/keys/").status_code == 403
    assert split.get("/meters/").status_code == 200


def test_an_admin_in_one_estate_is_not_an_admin_in_another(app, db, world, admin):
    user = factories.user("frontdesk", [world.estate, world.other_estate], username="promoted")
    factories.grant(world.users["admin"], "admin", world.other_estate)
    db.session.commit()
    response = edit(admin, user, **{f"roles_{world.estate.id}": ["frontdesk", "admin"],
                                    f"roles_{world.other_estate.id}": ["frontdesk"]})
    assert response.status_code == 302
    promoted = logged_in(app, "promoted")
    assert promoted.get("/admin/users").status_code == 200
    promoted.post("/estate", data={"estate_id": world.other_estate.id})
    assert promoted.get("/admin/users").status_code == 403
    assert "系统管理" not in promoted.get("/desk").text.split("</nav>")[0]


def test_roles_cannot_be_given_in_an_estate_the_admin_does_not_administer(db, world, admin):
    response = admin.post("/admin/users/new", data={
        "username": "sneaky", "full_name": "越权", "password": "secret123", "active": "y",
        f"roles_{world.estate.id}": ["frontdesk"],
        f"roles_{world.other_estate.id}": ["admin"]})
    assert response.status_code == 302
    assert roles_of(db, "sneaky") == {world.estate.id: {"frontdesk"}}


def test_a_user_needs_a_role_in_some_estate(db, world, admin):
    response = admin.post("/admin/users/new", data={
        "username": "nobody", "full_name": "无角色", "password": "secret123", "active": "y"})
    assert response.status_code == 422
    assert "请至少在一个小区选择一个角色" in response.text
    assert db.session.scalar(sa.select(User.id).where(User.username == "nobody")) is None


def test_removing_a_users_last_role_in_an_estate_ends_the_membership(app, db, world, admin):
    factories.grant(world.users["admin"], "admin", world.other_estate)
    user = factories.user("finance", [world.estate, world.other_estate], username="leaver")
    db.session.commit()
    response = edit(admin, user, **{f"roles_{world.estate.id}": ["finance"]})
    assert response.status_code == 302
    assert roles_of(db, "leaver") == {world.estate.id: {"finance"}}
    page = logged_in(app, "leaver").get("/desk").text
    assert "别家小区" not in page


def test_an_admin_keeps_their_own_admin_role_and_account(db, world, admin):
    me = world.users["admin"]
    response = edit(admin, me, **{f"roles_{world.estate.id}": ["manager"]})
    assert "不能停用自己的账户或取消自己的管理员角色" in response.text
    response = edit(admin, me, active="", **{f"roles_{world.estate.id}": ["admin"]})
    assert response.status_code == 422
    assert roles_of(db, "admin") == {world.estate.id: {"admin"}}


def test_a_new_estate_is_administered_by_its_creator_only(app, db, world, admin):
    response = admin.post("/admin/estates/new", data={
        "name": "新建小区", "timezone": "Asia/Shanghai", "receipt_prefix": "NX"})
    assert response.status_code == 302
    new = db.session.scalar(sa.select(Estate).where(Estate.name == "新建小区"))
    assert roles_of(db, "admin")[new.id] == {"admin"}
    assert "新建小区" in admin.get("/admin/estates").text
    assert "新建小区" not in logged_in(app, "manager").get("/desk").text


def test_the_estate_list_and_edit_are_for_administered_estates_only(db, world, admin):
    factories.grant(world.users["admin"], "frontdesk", world.other_estate)
    db.session.commit()
    assert "别家小区" not in admin.get("/admin/estates").text.split("</nav>")[1]
    assert admin.get(f"/admin/estates/{world.other_estate.id}/edit").status_code == 404
    assert admin.get(f"/admin/estates/{world.estate.id}/edit").status_code == 200


def test_the_roles_page_lists_holders_of_the_current_estate(db, world, admin):
    factories.user("finance", [world.other_estate], username="theirs", full_name="别家财务")
    db.session.commit()
    page = admin.get("/admin/roles").text
    assert "finance测试" in page and "别家财务" not in page


def test_a_user_with_a_membership_but_no_role_cannot_log_in(app, db, world):
    user = factories.user([], [world.estate], username="roleless")
    db.session.commit()
    assert user.memberships
    response = login(app.test_client(), "roleless")
    assert response.status_code == 422 and "尚未分配角色或小区" in response.text


# the audit list -------------------------------------------------------------------------------


def test_account_events_are_written_into_each_estate_of_the_account(db, world, admin):
    factories.grant(world.users["admin"], "admin", world.other_estate)
    user = factories.user("frontdesk", [world.estate, world.other_estate], username="shared")
    db.session.commit()
    edit(admin, user, **{f"roles_{world.estate.id}": ["frontdesk"],
                         f"roles_{world.other_estate.id}": ["frontdesk", "finance"]})
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == user.id)).all()
    assert [(e.estate_id, e.before, e.after) for e in events] == [
        (world.other_estate.id, {"roles": ["frontdesk"]}, {"roles": ["finance", "frontdesk"]})]


def test_an_admin_sees_no_users_or_events_of_another_estate(app, db, world, admin):
    b_admin = factories.user("admin", [world.other_estate], username="their_admin")
    shared = factories.user("frontdesk", [world.estate, world.other_estate], username="shared")
    factories.user("frontdesk", [world.other_estate], username="their_clerk",
                   full_name="别家前台")
    db.session.commit()
    logged_in(app, "their_clerk")
    theirs = logged_in(app, "their_admin")
    edit(theirs, b_admin, full_name="别家管理员", **{f"roles_{world.other_estate.id}": ["admin"]})
    assert theirs.get(f"/admin/users/{shared.id}/edit").status_code == 403
    logged_in(app, "shared")
    page = admin.get("/audit/").text
    assert "their_clerk" not in page and "别家前台" not in page
    assert "their_admin" not in page and "别家管理员" not in page
    assert "shared" in page  # the shared colleague's login into our estate
    [event] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "login", AuditEvent.user_name == "their_clerk")).all()
    assert event.estate_id == world.other_estate.id
    assert admin.get("/audit/", query_string={"user_id": b_admin.id}).text.count("<tr>") == 2


def test_a_manager_sees_the_estates_events_but_not_account_events(app, db, world, manager):
    logged_in(app, "frontdesk")
    page = manager.get("/audit/", query_string={"object_type": "user"}).text
    assert "frontdesk" not in page.split("<tbody>")[1]


def test_account_events_without_an_estate_show_only_to_admins_of_all_the_users_estates(
        app, db, world, admin):
    shared = factories.user("frontdesk", [world.estate, world.other_estate], username="shared")
    ours = world.users["frontdesk"]
    db.session.add_all([
        AuditEvent(object_type="user", object_id=shared.id, action="update",
                   user_name="old-shared", after={"roles": ["admin"]}),
        AuditEvent(object_type="user", object_id=ours.id, action="update",
                   user_name="old-ours", after={"roles": ["frontdesk"]}),
    ])
    db.session.commit()
    page = admin.get("/audit/").text
    assert "old-ours" in page and "old-shared" not in page
    factories.grant(world.users["admin"], "admin", world.other_estate)
    db.session.commit()
    assert "old-shared" in admin.get("/audit/").text
