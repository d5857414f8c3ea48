"""The engineer's day through HTTP: the queue, the steps of an order, costs, photos, the count."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from frontdesk.models import WorkOrder, WorkOrderCost, WorkOrderPhoto, WorkOrderStep
from frontdesk.services.workorders import crew, orders
from tests import factories
from tests.conftest import count, login

#: the orders are reported at 02:00 UTC (due: accepted by 04:00, completed 48 h later)
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
TEAM = "水电组"


@pytest.fixture
def people(app, world, db):
    """The world's engineer in the plumbing team, a team mate, and one of the building team."""
    app.config["FRONTDESK_NOW"] = NOW
    me = world.users["engineering"]
    profile = crew.profile(world.estate.id, me)
    profile.team = TEAM
    mate = factories.engineer(world.estate, "mate", team=TEAM, full_name="同组")
    other = factories.engineer(world.estate, "builder", team="土建组", full_name="土建")
    db.session.commit()
    return {"me": me, "mate": mate, "other": other, "desk": world.users["frontdesk"]}


def order(world, people, state="dispatched", assignee="me", team=TEAM, **kw) -> WorkOrder:
    o = factories.work_order(world.estate, people["desk"], state=state, unit=world.unit,
                             assignee=people[assignee] if assignee else None, team=team, **kw)
    factories.db.session.commit()
    return o


def jpeg(size=(400, 300), colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="JPEG")
    return buf.getvalue()


def uploads(app) -> list[Path]:
    root = Path(app.instance_path) / "uploads"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def text(response) -> str:
    return response.get_data(as_text=True)


# the queue ---------------------------------------------------------------------------------------


def test_the_engineer_s_home_is_their_queue(world, people, engineer):
    response = engineer.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/workorders/my")


def test_queue_shows_mine_then_my_team_s_and_not_another_team_s(world, people, engineer, db):
    new = order(world, people, "dispatched", description="新派给我的")
    working = order(world, people, "in_progress", description="我在修的")
    waiting = order(world, people, "pending", assignee=None, description="组里待派的")
    theirs = order(world, people, "pending", assignee=None, team="土建组", description="别组的")
    mates = order(world, people, "dispatched", assignee="mate", description="同事的")
    page = text(engineer.get("/workorders/my"))
    positions = [page.index(f'id="order-{o.id}"') for o in (new, working, waiting)]
    assert positions == sorted(positions)
    assert f'id="order-{theirs.id}"' not in page and "别组的" not in page
    assert f'id="order-{mates.id}"' not in page
    assert 'href="tel:13812345678"' in page
    assert "接单" in page and "领取" in page


def test_an_overdue_order_is_shown_in_red(app, world, people, engineer):
    late = order(world, people, "dispatched")
    app.config["FRONTDESK_NOW"] = NOW + timedelta(hours=2)  # accept by 04:00 has passed
    page = text(engineer.get("/workorders/my"))
    card = page[page.index(f'id="order-{late.id}"'):]
    assert "border-danger" in page and "text-danger" in card[:3000]
    assert "已超时" in card[:3000]


# the steps ---------------------------------------------------------------------------------------


def test_accept_start_pause_resume_cost_and_complete_with_photos(app, world, people, engineer,
                                                                  db):
    o = order(world, people, "dispatched")
    base = f"/workorders/my/{o.id}"
    assert "接单" in text(engineer.get(base))
    assert engineer.post(f"{base}/accept", data={"back": "queue"}).headers["Location"] \
        .endswith("/workorders/my")
    assert engineer.post(f"{base}/start", data={"back": "order"}).headers["Location"] \
        .endswith(base)
    assert engineer.post(f"{base}/pause", data={"reason": ""}).status_code == 422
    assert engineer.post(f"{base}/pause", data={"reason": "等配件"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(WorkOrder, o.id).state == "paused"
    assert "暂停" in text(engineer.get(base))
    assert engineer.post(f"{base}/resume").status_code == 302
    response = engineer.post(f"{base}/costs", data={
        "kind": "material", "name": "角阀", "quantity": "2", "unit_name": "个",
        "unit_price": "18.50"})
    assert response.status_code == 302
    engineer.post(f"{base}/costs", data={"kind": "labour", "name": "更换", "quantity": "1",
                                         "unit_name": "次", "unit_price": "50"})
    page = text(engineer.get(base))
    assert "角阀" in page and "87.00" in page
    response = engineer.post(f"{base}/complete", data={
        "note": "更换角阀，试水无漏", "photos": [(io.BytesIO(jpeg()), "after.jpg"),
                                           (io.BytesIO(jpeg(colour=(0, 90, 0))), "b.png")]},
        content_type="multipart/form-data")
    assert response.status_code == 302, text(response)[:3000]
    db.session.expire_all()
    done = db.session.get(WorkOrder, o.id)
    assert done.state == "completed" and done.completion_note == "更换角阀，试水无漏"
    assert [p.stage for p in done.photos] == ["completion", "completion"]
    assert len(uploads(app)) == 2
    assert [s.action for s in done.steps] == ["create", "accept", "start", "pause", "resume",
                                             "complete"]
    assert all(s.user_id == people["me"].id for s in done.steps[1:])
    assert "已完工" in text(engineer.get(base))


def test_decline_needs_a_reason_and_gives_the_order_back(world, people, engineer, db):
    o = order(world, people, "dispatched")
    response = engineer.post(f"/workorders/my/{o.id}/decline", data={"reason": "  "})
    assert response.status_code == 422 and "请填写原因" in text(response)
    db.session.expire_all()
    assert db.session.get(WorkOrder, o.id).state == "dispatched"
    response = engineer.post(f"/workorders/my/{o.id}/decline", data={"reason": "不是我的工种"})
    assert response.headers["Location"].endswith("/workorders/my")
    db.session.expire_all()
    back = db.session.get(WorkOrder, o.id)
    assert (back.state, back.assignee_id, back.reason) == ("pending", None, "不是我的工种")


def test_an_engineer_takes_a_waiting_order_of_their_team(world, people, engineer, db):
    o = order(world, people, "pending", assignee=None)
    response = engineer.post(f"/workorders/my/{o.id}/take", data={"back": "queue"})
    assert response.status_code == 302
    db.session.expire_all()
    taken = db.session.get(WorkOrder, o.id)
    assert (taken.state, taken.assignee_id) == ("accepted", people["me"].id)


def test_completing_an_order_never_accepted_is_refused(app, world, people, engineer, db):
    o = order(world, people, "dispatched")
    response = engineer.post(f"/workorders/my/{o.id}/complete", data={
        "note": "修好了", "photos": [(io.BytesIO(jpeg()), "a.jpg")]},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "已派单" in text(response)
    db.session.expire_all()
    assert db.session.get(WorkOrder, o.id).state == "dispatched"
    assert count(db, WorkOrderPhoto) == 0 and uploads(app) == []


def test_a_second_accept_is_refused_with_a_message(world, people, engineer, db):
    o = order(world, people, "dispatched")
    engineer.post(f"/workorders/my/{o.id}/accept")
    response = engineer.post(f"/workorders/my/{o.id}/accept", follow_redirects=True)
    assert "已接单" in text(response)
    assert count(db, WorkOrderStep, WorkOrderStep.action == "accept") == 1


@pytest.mark.parametrize("field,value", [
    ("quantity", "-1"), ("quantity", "abc"), ("quantity", "0"), ("unit_price", "99999999"),
    ("unit_price", "-5"), ("unit_price", "1e309"), ("name", ""), ("name", "x" * 65),
])
def test_bad_cost_lines_are_refused_and_write_nothing(world, people, engineer, db, field, value):
    o = order(world, people, "in_progress")
    data = {"kind": "material", "name": "角阀", "quantity": "1", "unit_price": "18.50",
            field: value}
    response = engineer.post(f"/workorders/my/{o.id}/costs", data=data)
    assert response.status_code == 422
    assert "is-invalid" in text(response)
    assert count(db, WorkOrderCost) == 0


def test_a_cost_line_is_removed(world, people, engineer, db):
    o = order(world, people, "in_progress")
    cost = factories.work_order_cost(o, people["me"])
    db.session.commit()
    assert engineer.post(f"/workorders/my/{o.id}/costs/{cost.id}/remove").status_code == 302
    assert count(db, WorkOrderCost) == 0


def test_an_engineer_cannot_act_on_an_order_not_theirs(world, people, engineer, db):
    mates = order(world, people, "dispatched", assignee="mate")
    response = engineer.post(f"/workorders/my/{mates.id}/accept", follow_redirects=True)
    assert "该工单不是派给您的" in text(response)
    cost = factories.work_order_cost(order(world, people, "in_progress", assignee="mate"),
                                     people["mate"])
    db.session.commit()
    response = engineer.post(f"/workorders/my/{cost.order_id}/costs", data={
        "kind": "material", "name": "角阀", "quantity": "1", "unit_price": "1"})
    assert response.status_code == 422
    assert engineer.post(f"/workorders/my/{cost.order_id}/costs/{cost.id}/remove") \
        .status_code == 302
    db.session.expire_all()
    assert db.session.get(WorkOrder, mates.id).state == "dispatched"
    assert count(db, WorkOrderCost) == 1
    assert count(db, WorkOrderStep, WorkOrderStep.action != "create") == 0


def test_another_team_s_order_and_its_photo_are_404(app, world, people, engineer, db):
    theirs = order(world, people, "in_progress", assignee="other", team="土建组")
    photo = factories.work_order_photo(theirs, people["desk"],
                                       root=Path(app.instance_path) / "uploads")
    db.session.commit()
    for url in (f"/workorders/my/{theirs.id}", f"/workorders/photos/{photo.id}"):
        assert engineer.get(url).status_code == 404, url
    for action in ("accept", "start", "pause", "complete", "costs"):
        assert engineer.post(f"/workorders/my/{theirs.id}/{action}").status_code == 404
    assert engineer.post(f"/workorders/{theirs.id}/photos").status_code == 404
    assert count(db, WorkOrderStep, WorkOrderStep.action != "create") == 0


# photos ------------------------------------------------------------------------------------------


def test_the_desk_sees_a_photo_anonymous_users_log_in_other_estates_get_404(app, world, people,
                                                                            desk, client, db):
    o = order(world, people, "dispatched")
    photo = factories.work_order_photo(o, people["desk"], root=Path(app.instance_path) / "uploads")
    stranger = factories.user(["frontdesk", "engineering"], [world.other_estate],
                              username="stranger")
    db.session.commit()
    url = f"/workorders/photos/{photo.id}"
    response = desk.get(url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.data[:2] == b"\xff\xd8"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    other = app.test_client()
    login(other, stranger.username)
    assert other.get(url).status_code == 404
    assert other.post(f"/workorders/{o.id}/photos").status_code == 404


def test_the_desk_adds_report_photos_and_the_sixth_is_refused(app, world, people, desk, db):
    o = order(world, people, "pending", assignee=None)
    files = [(io.BytesIO(jpeg()), f"{n}.jpg") for n in range(4)]
    response = desk.post(f"/workorders/{o.id}/photos", data={"photos": files},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    assert [p.stage for p in db.session.get(WorkOrder, o.id).photos] == ["report"] * 4
    files = [(io.BytesIO(jpeg()), f"{n}.jpg") for n in range(2)]
    response = desk.post(f"/workorders/{o.id}/photos", data={"photos": files},
                         content_type="multipart/form-data", follow_redirects=True)
    assert "最多 5 张照片" in text(response)
    assert count(db, WorkOrderPhoto) == 4 and len(uploads(app)) == 4


@pytest.mark.parametrize("name,data,message", [
    ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 2000,
     "不是照片"),
    ("notes.png", "这不是图片，是一段文字。".encode() * 50, "不是照片"),
    ("huge.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * (5 * 1024 * 1024), "大于 5 MB"),
])
def test_a_renamed_executable_a_text_file_and_a_large_file_are_refused(
        app, world, people, engineer, db, name, data, message):
    o = order(world, people, "in_progress")
    response = engineer.post(f"/workorders/{o.id}/photos", data={
        "back": "order", "photos": [(io.BytesIO(jpeg()), "good.jpg"), (io.BytesIO(data), name)]},
        content_type="multipart/form-data", follow_redirects=True)
    assert message in text(response)
    assert count(db, WorkOrderPhoto) == 0 and uploads(app) == []


def test_a_50_mb_photo_is_refused_before_it_reaches_the_order(app, world, people, engineer, db):
    o = order(world, people, "in_progress")
    huge = b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 1024 * 1024)
    for url, data in ((f"/workorders/{o.id}/photos", {}),
                      (f"/workorders/my/{o.id}/complete", {"note": "修好了"})):
        # encoded in memory: the test client would spool a body this large to a file it leaves
        boundary, body = encode_multipart(MultiDict({**data, "photos": FileStorage(
            io.BytesIO(huge), "big.jpg", content_type="image/jpeg")}))
        response = engineer.post(url, data=body,
                                 content_type=f"multipart/form-data; boundary={boundary}")
        assert response.status_code == 413 and "上传的文件太大" in text(response)
    db.session.expire_all()
    assert db.session.get(WorkOrder, o.id).state == "in_progress"
    assert count(db, WorkOrderPhoto) == 0 and uploads(app) == []


def test_a_heic_photo_is_stored_as_a_resized_jpeg(app, world, people, engineer, db):
    o = order(world, people, "in_progress")
    buf = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (3000, 2000), (30, 60, 200))).save(buf, quality=60)
    response = engineer.post(f"/workorders/{o.id}/photos", data={
        "back": "order", "photos": [(io.BytesIO(buf.getvalue()), "IMG_0001.HEIC")]},
        content_type="multipart/form-data")
    assert response.headers["Location"].endswith(f"/workorders/my/{o.id}")
    photo = db.session.get(WorkOrder, o.id).photos[0]
    assert (photo.stage, photo.width, photo.height) == ("completion", 1600, 1067)
    [path] = uploads(app)
    assert path.parent.name == str(world.estate.id) and path.name == photo.stored_name
    assert "IMG_0001" not in path.name
    with Image.open(path) as stored:
        assert stored.format == "JPEG" and stored.size == (1600, 1067)
    served = engineer.get(f"/workorders/photos/{photo.id}")
    assert served.status_code == 200 and served.data == path.read_bytes()


def test_a_team_mate_sees_the_photos_but_adds_none(app, world, people, engineer, db):
    o = order(world, people, "in_progress", assignee="mate")
    page = text(engineer.get(f"/workorders/my/{o.id}"))
    assert 'id="photo-upload"' not in page and 'id="engineer-actions"' not in page
    response = engineer.post(f"/workorders/{o.id}/photos", data={
        "photos": [(io.BytesIO(jpeg()), "a.jpg")]}, content_type="multipart/form-data",
        follow_redirects=True)
    assert "该工单不是派给您的" in text(response)
    assert count(db, WorkOrderPhoto) == 0


# the count -------------------------------------------------------------------------------------


def test_the_count_of_new_orders_changes_when_one_is_dispatched(world, people, engineer, db):
    order(world, people, "pending", assignee=None)  # waiting in my team: 1
    order(world, people, "in_progress")  # mine, not new
    response = engineer.get("/workorders/my/count")
    assert response.json == {"count": 1}
    assert response.headers["Cache-Control"] == "no-store"
    pending = order(world, people, "pending", assignee=None, team="")
    assert engineer.get("/workorders/my/count").json == {"count": 1}
    orders.dispatch(people["desk"], pending, people["me"], NOW)
    assert engineer.get("/workorders/my/count").json == {"count": 2}
    page = text(engineer.get("/workorders/my"))
    assert 'data-count-url="/workorders/my/count"' in page and "workorder_count.js" in page


def test_the_count_is_the_engineer_s_only(world, people, desk, as_role):
    assert desk.get("/workorders/my/count").status_code == 403
    assert "workorder_count.js" not in text(desk.get("/desk"))


# the partials the desk's order page includes ---------------------------------------------------


def _render_partials(app, world, user, o) -> str:
    """Render the two partials as the desk's page does: with nothing but ``order``."""
    from flask import render_template_string
    from flask_login import login_user

    with app.test_request_context("/"):
        login_user(user)
        return render_template_string(
            '{% include "workorders/_engineer_actions.html" %}'
            '{% include "workorders/_photos.html" %}', order=o)


def test_the_partials_show_the_desk_photos_and_the_assignee_their_steps(app, world, people,
                                                                        engineer, db):
    o = order(world, people, "dispatched")
    factories.work_order_photo(o, people["desk"])
    db.session.commit()
    as_desk = _render_partials(app, world, people["desk"], o)
    assert 'id="engineer-actions"' not in as_desk
    assert f'/workorders/photos/{o.photos[0].id}' in as_desk and 'id="photo-upload"' in as_desk
    as_engineer = _render_partials(app, world, people["me"], o)
    assert f'action="/workorders/my/{o.id}/accept"' in as_engineer
    assert 'name="back" value="detail"' in as_engineer
    assert 'id="photo-upload"' not in as_engineer  # photos of the work once it is accepted
    # from the desk's page, a step returns there when it exists, else to the engineer's page
    response = engineer.post(f"/workorders/my/{o.id}/accept", data={"back": "detail"})
    from flask import url_for

    with app.test_request_context("/"):
        expected = url_for("workorders.detail" if "workorders.detail" in app.view_functions
                           else "workorders.work_order", order_id=o.id)
    assert response.headers["Location"].endswith(expected)


def test_the_order_page_shows_its_history(world, people, engineer):
    o = order(world, people, "dispatched")
    engineer.post(f"/workorders/my/{o.id}/accept")
    page = text(engineer.get(f"/workorders/my/{o.id}"))
    history = page[page.index('id="order-steps"'):]
    assert "已接单" in history and "已报修" in history
