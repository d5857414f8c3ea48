"""The thread and RQ backends for real, and a worker killed in the middle of a bill run.

RQ tests need Redis at 127.0.0.1:6379 (there in CI); each uses a queue of its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db as _db
from frontdesk.extensions import jobs
from frontdesk.models import BillLine, BillRun, Job
from frontdesk.services.jobs import runner
from tests.conftest import ROOT, count

PERIOD = "2026-10"
POST = {"period": PERIOD, "building": "", "confirm": "y"}
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_or_skip():
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisDown:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis at 127.0.0.1:6379")
    return connection


@pytest.fixture
def rq_queue(app):
    """Point the app at Redis with a queue of this test's own; empty it afterwards."""
    connection = redis_or_skip()
    name = f"test-{uuid.uuid4().hex[:12]}"
    app.config.update(REDIS_URL=REDIS_URL, JOBS_BACKEND="rq", JOBS_QUEUE=name,
                      JOB_HEARTBEAT_SECONDS=1)
    yield name
    from rq import Queue, Worker

    queue = Queue(name, connection=connection)
    for worker in Worker.all(connection=connection, queue=queue):
        worker.register_death()  # a killed worker's registration would linger for minutes
    queue.delete(delete_jobs=True)
    for key in connection.scan_iter(f"*{name}*"):
        connection.delete(key)


def job_id_of(response) -> int:
    return int(re.search(r"[?&]job=(\d+)", response.headers["Location"]).group(1))


def fresh_job(job_id: int) -> Job:
    _db.session.expire_all()
    return _db.session.get(Job, job_id)


def test_the_thread_backend_runs_the_job_off_the_request_with_live_progress(
        app, finance, two_buildings, db, monkeypatch):
    app.config["JOBS_BACKEND"] = "thread"
    halfway, go_on = threading.Event(), threading.Event()
    report = runner.Progress.__call__

    def held_halfway(self, done, total):
        report(self, done, total)
        if done == 1:
            halfway.set()
            assert go_on.wait(30)

    monkeypatch.setattr(runner.Progress, "__call__", held_halfway)
    r = finance.post("/billing/post", data=POST)
    job_id = job_id_of(r)
    assert halfway.wait(30)
    # inside the bill run's transaction: progress comes from memory, the page answers
    status = finance.get(f"/jobs/{job_id}/status.json").get_json()
    assert (status["status"], status["done"], status["total"], status["percent"]) == (
        "running", 1, 2, 50)
    page = finance.get(r.headers["Location"]).text
    assert "job-panel" in page and 'data-ended="0"' in page and "js/jobs.js" in page
    go_on.set()
    jobs.backend("thread").wait()
    job = fresh_job(job_id)
    assert job.status == "done" and job.backend == "thread", job.error
    assert count(db, BillLine) == 4 and job.bill_run_id is not None
    assert "生成 4 条账单" in finance.get(r.headers["Location"]).text


def test_the_rq_backend_queues_the_job_for_a_burst_worker(app, finance, two_buildings, db,
                                                          rq_queue):
    from frontdesk.jobqueue import run_worker

    r = finance.post("/billing/post", data=POST)
    job_id = job_id_of(r)
    assert fresh_job(job_id).status == "queued" and count(db, BillLine) == 0
    status = finance.get(f"/jobs/{job_id}/status.json").get_json()
    assert status["status"] == "queued" and not status["ended"]
    assert "等待执行" in finance.get(r.headers["Location"]).text
    assert run_worker(app, burst=True, fork=False, logging_level="WARNING")
    job = fresh_job(job_id)
    assert (job.status, job.backend, job.done, job.total) == ("done", "rq", 2, 2), job.error
    assert count(db, BillLine) == 4
    assert jobs.backend("rq").progress(job_id) == (2, 2)  # the live progress, kept in Redis


def test_flask_worker_refuses_to_start_without_redis(app):
    app.config["REDIS_URL"] = None
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


# a worker killed in the middle of a bill run -------------------------------------------------


def start_paused(mode: str, url: str, queue: str, reached: Path, *extra: str):
    env = {**os.environ, "FRONTDESK_INSTANCE_PATH": str(reached.parent)}
    return subprocess.Popen([sys.executable, "-m", "tests.job_pause", mode, url, queue,
                             str(reached), *extra], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def wait_for(path: Path, proc, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the job process ended: {proc.stderr.read()[-3000:]}")
        assert time.monotonic() < deadline, "the bill run never reached its halfway step"
        time.sleep(0.1)


def kill(proc, reached: Path) -> None:
    """Kill the process running the job: the worker first, then its work-horse (RQ forks one
    per job, in a process group of its own), as a host that dies takes both."""
    os.killpg(proc.pid, signal.SIGKILL)
    if reached.exists():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(reached.read_text().split()[0]), signal.SIGKILL)
    proc.communicate(timeout=10)  # reaps it and closes its pipes


@pytest.mark.parametrize("mode", ["thread", "rq"])
def test_a_killed_worker_posts_nothing_and_the_job_runs_again(app, finance, two_buildings,
                                                              world, db, database_url,
                                                              tmp_path, request, mode):
    reached = tmp_path / "reached"
    if mode == "rq":
        queue = request.getfixturevalue("rq_queue")
        job_id = job_id_of(finance.post("/billing/post", data=POST))
        proc = start_paused("rq", database_url, queue, reached)
    else:
        proc = start_paused("thread", database_url, "unused", reached,
                            str(two_buildings.estate.id), str(world.users["finance"].id),
                            PERIOD)
    try:
        wait_for(reached, proc)
        if mode == "thread":
            job_id = int(proc.stdout.readline())
        assert fresh_job(job_id).status == "running"
        if mode == "rq":  # live progress from Redis while the run's transaction is open
            status = finance.get(f"/jobs/{job_id}/status.json").get_json()
            assert (status["done"], status["total"]) == (1, 2)
    finally:
        kill(proc, reached)

    deadline = time.monotonic() + 15  # RQ: until the job's heartbeat key expires
    while finance.get(f"/jobs/{job_id}/status.json").get_json()["status"] != "interrupted":
        assert time.monotonic() < deadline, "the killed job never showed as interrupted"
        time.sleep(0.2)
    _db.session.expire_all()
    assert count(db, BillLine) == 0
    assert count(db, BillRun, BillRun.period == PERIOD) == 0
    page = finance.get(f"/jobs/{job_id}").text
    assert "已中断" in page and "未写入任何内容" in page

    r = finance.post(f"/jobs/{job_id}/again")
    assert r.status_code == 302
    again = db.session.scalars(sa.select(Job).where(Job.rerun_of_id == job_id)).one()
    if mode == "rq":  # the real command, as a deployment runs it
        env = {**os.environ, "FRONTDESK_SQLALCHEMY_DATABASE_URI": database_url,
               "FRONTDESK_REDIS_URL": REDIS_URL, "FRONTDESK_JOBS_QUEUE": app.config["JOBS_QUEUE"],
               "FRONTDESK_INSTANCE_PATH": str(tmp_path)}
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "frontdesk", "worker",
                               "--burst"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
    again = fresh_job(again.id)
    assert again.status == "done", again.error
    assert count(db, BillLine) == 4
    run = db.session.scalars(sa.select(BillRun).where(BillRun.period == PERIOD)).one()
    assert again.bill_run_id == run.id and run.lines == 4


def test_with_redis_unreachable_the_post_says_so_and_writes_nothing(app, finance,
                                                                    two_buildings, db):
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0", JOBS_BACKEND="rq",
                      JOBS_QUEUE=f"test-{uuid.uuid4().hex[:12]}")
    r = finance.post("/billing/post", data=POST, follow_redirects=True)
    assert "无法连接任务队列" in r.text
    job = db.session.scalars(sa.select(Job)).one()
    assert job.status == "failed" and count(db, BillLine) == 0
    assert finance.get(f"/jobs/{job.id}").status_code == 200
    assert "无法连接任务队列" in finance.get("/jobs/").text
