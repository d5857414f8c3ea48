"""Long jobs through their pages: start, progress, result, the list, the PDF, a re-run, scoping.

The app under test runs jobs inline (JOBS_BACKEND="inline"): a request that starts a job answers
when the job has ended. The thread and RQ backends are tested in tests/test_job_backends.py.
"""

from __future__ import annotations

import re
import socket
from datetime import date

import pytest
import sqlalchemy as sa

from frontdesk.models import BillLine, BillRun, Job, JobFile
from tests import factories
from tests.conftest import count, login
from tests.test_imports import UNIT_HEADER, csv_bytes, token_of, upload

PERIOD = "2026-10"
POST = {"period": PERIOD, "building": "", "confirm": "y"}


def job_id_of(response) -> int:
    return int(re.search(r"[?&]job=(\d+)", response.headers["Location"]).group(1))


def test_a_bill_run_job_shows_its_result_on_the_page_that_started_it(finance, two_buildings,
                                                                      db):
    r = finance.post("/billing/post", data=POST)
    job = db.session.get(Job, job_id_of(r))
    run = db.session.scalars(sa.select(BillRun)).one()
    assert (job.kind, job.status, job.bill_run_id, job.params) == (
        "bill_run", "done", run.id, {"period": PERIOD, "building_id": None})
    assert (job.done, job.total) == (2, 2)  # one step per building
    assert job.started_at <= job.finished_at and job.finished_at.tzinfo is not None
    page = finance.get(r.headers["Location"]).text
    assert "已完成" in page and "生成 4 条账单" in page
    assert f'href="/billing/runs/{run.id}"' in page
    assert 'id="totals"' not in page  # the preview is not computed again under the result
    status = finance.get(f"/jobs/{job.id}/status.json").get_json()
    assert status == {"status": "done", "label": "已完成", "ended": True, "done": 2,
                      "total": 2, "percent": 100}
    listing = finance.get("/jobs/").text
    assert f'href="/jobs/{job.id}"' in listing and "finance测试" in listing
    assert f'href="/billing/runs/{run.id}"' in listing


def test_nothing_new_to_post_is_the_jobs_message(finance, fees, db):
    finance.post("/billing/post", data=POST)
    r = finance.post("/billing/post", data=POST, follow_redirects=True)
    assert "没有新的账单" in r.text
    again = db.session.scalars(sa.select(Job).order_by(Job.id.desc())).first()
    assert again.status == "done" and again.bill_run_id is None
    assert again.messages[0][0] == "warning"
    assert count(db, BillRun) == 1 and count(db, BillLine) == 2


@pytest.mark.parametrize("period", ["2099-01", "2026-13", "", "abc", "2026-1" * 100])
def test_a_bad_period_is_refused_at_once_and_starts_no_job(finance, fees, db, period):
    r = finance.post("/billing/post", data={**POST, "period": period}, follow_redirects=True)
    assert r.status_code in (200, 422) and "job-panel" not in r.text
    assert count(db, Job) == 0 and count(db, BillLine) == 0


def test_building_notices_are_a_pdf_for_those_who_may_see_them(world, desk, as_role, db,
                                                               fees):
    factories.bill_line(world.unit, fees.area, PERIOD, "210.33", "物业费", date(2026, 10, 15))
    db.session.commit()
    r = desk.post(f"/statements/buildings/{world.building.id}/notices", data={"period": PERIOD})
    assert r.headers["Location"].endswith(
        f"/statements/buildings/{world.building.id}?job={job_id_of(r)}")
    job_id = job_id_of(r)
    page = desk.get(r.headers["Location"]).text
    assert f'href="/jobs/{job_id}/file"' in page and "1 户的缴费通知单已生成" in page
    pdf = desk.get(f"/jobs/{job_id}/file")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    stored = db.session.scalars(sa.select(JobFile).where(JobFile.job_id == job_id)).one()
    assert stored.role == "result" and stored.size == len(pdf.data)
    assert as_role("finance").get(f"/jobs/{job_id}/file").status_code == 200
    engineer = as_role("engineering")  # no fees.view: the job is not theirs to see
    for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/file", f"/jobs/{job_id}/status.json"):
        assert engineer.get(url).status_code == 404, url
    assert as_role("admin").get(f"/jobs/{job_id}/file").status_code == 403


def test_a_bad_period_for_notices_is_a_form_error_and_starts_no_job(world, desk, db):
    for period in ["", "2026-13", "<script>", "9" * 500]:
        r = desk.post(f"/statements/buildings/{world.building.id}/notices",
                      data={"period": period})
        assert r.status_code == 422 and "<script>" not in r.text
    assert count(db, Job) == 0


def test_the_list_shows_each_role_the_kinds_of_jobs_it_may_start(finance, desk, as_role,
                                                                  world, fees, db):
    finance.post("/billing/post", data=POST)
    desk.post(f"/statements/buildings/{world.building.id}/notices", data={"period": PERIOD})
    bill_job, notices_job = db.session.scalars(sa.select(Job).order_by(Job.id)).all()
    assert (bill_job.kind, notices_job.kind) == ("bill_run", "notices")
    mine = desk.get("/jobs/").text
    assert f'href="/jobs/{notices_job.id}"' in mine and f'href="/jobs/{bill_job.id}"' not in mine
    theirs = finance.get("/jobs/").text
    assert f'href="/jobs/{bill_job.id}"' in theirs and f'href="/jobs/{notices_job.id}"' in theirs
    assert desk.get(f"/jobs/{bill_job.id}").status_code == 404
    empty = as_role("engineering").get("/jobs/").text
    assert "还没有任务" in empty
    assert 'href="/jobs/"' in mine  # reachable from the navigation
    assert as_role("admin").get("/jobs/").status_code == 403


def test_another_estates_jobs_give_404_and_are_not_listed(finance, world, fees, db):
    factories.user("finance", [world.other_estate], username="stranger_finance")
    db.session.commit()
    finance.post("/billing/post", data=POST)
    job = db.session.scalars(sa.select(Job)).one()
    other = login_client(finance, "stranger_finance")
    for url in (f"/jobs/{job.id}", f"/jobs/{job.id}/status.json", f"/jobs/{job.id}/file"):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/jobs/{job.id}/again").status_code == 404
    assert f'href="/jobs/{job.id}"' not in other.get("/jobs/").text
    page = other.get(f"/billing/preview?period={PERIOD}&building=&job={job.id}").text
    assert "job-panel" not in page  # another estate's job id on a starting page shows nothing


def login_client(client, username):
    fresh = client.application.test_client()
    assert login(fresh, username).status_code == 302
    return fresh


@pytest.mark.parametrize("job_id", ["abc", "0", "-1", "99999999999", "1.5"])
def test_bad_job_ids_are_404(finance, job_id):
    assert finance.get(f"/jobs/{job_id}").status_code == 404
    assert finance.get(f"/jobs/{job_id}/status.json").status_code == 404


def test_a_finished_job_is_not_run_again(finance, fees, db):
    finance.post("/billing/post", data=POST)
    job = db.session.scalars(sa.select(Job)).one()
    r = finance.post(f"/jobs/{job.id}/again", follow_redirects=True)
    assert "只有已中断或失败的任务可以重新运行" in r.text
    assert count(db, Job) == 1 and count(db, BillRun) == 1


def test_a_job_whose_process_is_gone_shows_interrupted_and_runs_again(finance, two_buildings,
                                                                      world, db):
    # a job row left "running" by a web process that no longer exists (pid 2**22 + 1 is
    # beyond Linux's pid range)
    job = Job(estate_id=two_buildings.estate.id, kind="bill_run", status="running",
              params={"period": PERIOD, "building_id": None}, backend="thread",
              started_by_id=world.users["finance"].id,
              runner=f"{socket.gethostname()}:{2**22 + 1}:dead")
    db.session.add(job)
    db.session.commit()
    page = finance.get(f"/jobs/{job.id}").text
    assert "已中断" in page and f'action="/jobs/{job.id}/again"' in page
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "interrupted"
    r = finance.post(f"/jobs/{job.id}/again")
    fresh = db.session.scalars(sa.select(Job).where(Job.rerun_of_id == job.id)).one()
    assert r.headers["Location"].endswith(f"/jobs/{fresh.id}")
    assert fresh.status == "done" and count(db, BillLine) == 4 and count(db, BillRun) == 1


def test_a_refused_import_fails_with_its_rows_and_runs_again_once_fixed(desk, world, db):
    from frontdesk.models import Unit

    token = token_of(upload(desk, "unit", csv_bytes([UNIT_HEADER[:4], ["3", "1", "1", "101"]]),
                            "units.csv"))
    clash = factories.unit(world.building, "1", 1, "101")
    db.session.commit()
    r = desk.post("/register/import/confirm", data={"token": token})
    job = db.session.get(Job, job_id_of(r))
    assert job.status == "failed" and "房号 3-1-101 在本小区已存在" in desk.get(
        r.headers["Location"]).text
    assert db.session.scalars(sa.select(JobFile.role).where(JobFile.job_id == job.id)).all() \
        == ["input"]  # kept, so that the job can run again
    db.session.delete(clash)
    db.session.commit()
    desk.post(f"/jobs/{job.id}/again")
    fresh = db.session.scalars(sa.select(Job).where(Job.rerun_of_id == job.id)).one()
    assert fresh.status == "done", fresh.error
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "3-1-101")) is not None
    assert count(db, JobFile, JobFile.job_id == fresh.id) == 0  # the input goes once done
