"""Run one job in whichever process a backend chose, and record how it ended."""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from frontdesk import jobqueue
from frontdesk.extensions import db, jobs
from frontdesk.models import Estate, Job, JobFile, User
from frontdesk.models.base import utcnow
from frontdesk.services import DomainError, uploads
from frontdesk.services.jobs.work import KINDS, Outcome

log = logging.getLogger(__name__)
#: errors listed with a refused import, as its preview page lists them
LISTED_ROW_ERRORS = 20


class Progress:
    """The ``progress(done, total)`` a job's work calls: it tells the backend, not the database.

    A bill run calls it inside its one transaction; on SQLite a write to the job row from
    another connection would wait for that transaction, so live progress stays in the backend.
    """

    def __init__(self, backend, job_id: int):
        self.backend = backend
        self.job_id = job_id
        self.last = (0, 0)

    def __call__(self, done: int, total: int) -> None:
        self.last = (done, total)
        self.backend.report(self.job_id, done, total)


def perform(app: Flask, job_id: int, backend) -> None:
    """Run a queued job in a fresh app context (its own database session) and record the end."""
    with app.app_context():
        job = db.session.get(Job, job_id)
        if job is None or job.status != "queued":
            return  # taken by another worker, or marked interrupted meanwhile
        job.status = "running"
        job.started_at = utcnow()
        job.runner = backend.runner_id()
        db.session.commit()
        actor = db.session.get(User, job.started_by_id)
        estate = db.session.get(Estate, job.estate_id)
        source = db.session.scalar(db.select(JobFile).where(JobFile.job_id == job.id,
                                                            JobFile.role == "input"))
        data = source.content if source is not None else None
        kind, params = job.kind, dict(job.params)
        progress = Progress(backend, job_id)
        locale = (actor.locale if actor is not None else None) \
            or app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale(locale):
            outcome, error = _run(kind, actor, estate, params, progress, data)
        _record(job_id, outcome, error, progress.last)


def _run(kind, actor, estate, params, progress, data) -> tuple[Outcome | None, str | None]:
    try:
        return KINDS[kind](actor, estate, params, progress, data), None
    except uploads.ImportRefused as e:
        db.session.rollback()
        rows = [_("Row %(row)s, %(column)s: %(reason)s", row=r.row, column=r.column,
                  reason=r.reason) for r in e.preview.errors[:LISTED_ROW_ERRORS]]
        return Outcome(messages=[["danger", text] for text in rows]), str(e.message)
    except DomainError as e:
        db.session.rollback()
        return None, str(e.message)
    except Exception as e:  # noqa: BLE001 - any failure ends the job with its reason shown
        db.session.rollback()
        log.exception("job %s failed", kind)
        return None, _("The job failed unexpectedly (%(error)s); nothing of it was written. "
                       "The details are in the application's log.", error=type(e).__name__)


def _record(job_id: int, outcome: Outcome | None, error: str | None,
            progress: tuple[int, int]) -> None:
    job = db.session.get(Job, job_id)
    job.status = "failed" if error else "done"
    job.error = error
    job.done, job.total = progress
    job.finished_at = utcnow()
    if outcome is not None:
        job.messages = outcome.messages
        job.bill_run_id = outcome.bill_run_id
        job.result_page = outcome.result_page
        if outcome.file is not None:
            name, mimetype, content = outcome.file
            db.session.add(JobFile(job_id=job.id, role="result", filename=name,
                                   mimetype=mimetype, size=len(content), content=content))
    if not error:  # the input is kept only while the job may be run again
        db.session.execute(db.delete(JobFile).where(JobFile.job_id == job_id,
                                                    JobFile.role == "input"))
    db.session.commit()


def perform_rq(job_id: int) -> None:
    """Run a job on an RQ worker (``flask worker``), beating its heartbeat while it runs."""
    app = current_app._get_current_object()
    backend = jobs.backend("rq", app)
    if jobqueue.WORKER_PID not in (None, os.getpid()):
        with app.app_context():  # a forked work-horse must not use the parent's connections
            db.engine.dispose(close=False)
    stop = threading.Event()

    def beat():
        while not stop.wait(max(backend.heartbeat / 3, 0.2)):
            backend.beat(job_id)

    backend.beat(job_id)
    beating = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    beating.start()
    try:
        perform(app, job_id, backend)
    finally:
        stop.set()
        backend.redis.delete(backend.heartbeat_key(job_id))
