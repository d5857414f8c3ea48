"""Starting jobs, finding them, and telling a job whose worker died."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db, jobs
from frontdesk.jobqueue import QueueUnavailable
from frontdesk.models import Building, Estate, Job, JobFile, User
from frontdesk.models.base import utcnow
from frontdesk.services import DomainError, transactional
from frontdesk.services.fees import billing, readings_import
from frontdesk.services.register import imports

log = logging.getLogger(__name__)

#: the permission that may start, see and re-run each kind of job
KIND_PERMISSIONS = {
    "bill_run": "billing.run",
    "notices": "fees.view",
    "register_import": "register.import",
    "readings_import": "meters.read",
}
INTERRUPTED = _l("The job was interrupted (its worker stopped) before it finished; nothing of "
                 "it was written. Run it again.")
QUEUE_DOWN = _l("The job queue cannot be reached, so the job was not started; nothing was "
                 "written. Try again in a moment, or tell the administrator.")
CANNOT_RERUN = _l("Only an interrupted or failed job can be run again.")


@transactional
def _create(actor: User, estate: Estate, kind: str, params: dict, backend, *,
            input_file: tuple[str, bytes] | None = None, rerun_of: Job | None = None) -> Job:
    job = Job(estate_id=estate.id, kind=kind, params=params, started_by_id=actor.id,
              status="queued", backend=backend.name, messages=[],
              rerun_of_id=rerun_of.id if rerun_of else None)
    if backend.name != "rq":
        job.runner = backend.runner_id()  # the process whose thread will take it
    db.session.add(job)
    db.session.flush()
    if input_file is not None:
        filename, content = input_file
        db.session.add(JobFile(job_id=job.id, role="input", filename=filename[:200],
                               mimetype="application/octet-stream", size=len(content),
                               content=content))
    return job


def _start(actor: User, estate: Estate, kind: str, params: dict, *,
           input_file: tuple[str, bytes] | None = None, rerun_of: Job | None = None) -> Job:
    backend = jobs.backend()
    job = _create(actor, estate, kind, params, backend, input_file=input_file,
                  rerun_of=rerun_of)
    try:
        backend.enqueue(job.id)
    except QueueUnavailable as e:
        log.exception("job %s could not be queued", job.id)
        _end(job, "failed", str(QUEUE_DOWN))
        raise DomainError(QUEUE_DOWN) from e
    db.session.refresh(job)  # an inline job has ended by now, written by its own session
    return job


def start_bill_run(actor: User, estate: Estate, period: str, building: Building | None) -> Job:
    """Queue the post of a bill run; a period in the future is refused at once."""
    period = billing.check_scope(estate, period, building)
    return _start(actor, estate, "bill_run",
                  {"period": period, "building_id": building.id if building else None})


def start_notices(actor: User, building: Building, period: str) -> Job:
    """Queue the printing of a building's payment notices for a period, as one PDF."""
    return _start(actor, building.estate, "notices",
                  {"building_id": building.id, "period": period})


def start_register_import(actor: User, estate: Estate, token: str, *, folder: Path) -> Job:
    """Claim a checked register file (a second confirm finds it gone) and queue its import."""
    kind, data, filename = imports.claim_import(actor, estate, token, folder=folder)
    return _start(actor, estate, "register_import", {"kind": kind, "filename": filename},
                  input_file=(filename, data))


def start_readings_import(actor: User, estate: Estate, token: str, *, folder: Path) -> Job:
    """Claim a checked file of readings and queue its import."""
    data, filename = readings_import.claim_import(actor, estate, token, folder=folder)
    return _start(actor, estate, "readings_import", {"filename": filename},
                  input_file=(filename, data))


def rerun(actor: User, job: Job) -> Job:
    """Start an interrupted or failed job again, with the same parameters (and file)."""
    refresh(job)
    if job.status not in ("interrupted", "failed"):
        raise DomainError(CANNOT_RERUN)
    source = job_file(job, "input")
    input_file = (source.filename, source.content) if source is not None else None
    if job.kind.endswith("_import") and input_file is None:
        raise DomainError(_l("The file of this import is no longer kept: upload it again."))
    return _start(actor, db.session.get(Estate, job.estate_id), job.kind, dict(job.params),
                  input_file=input_file, rerun_of=job)


def job_file(job: Job, role: str = "result") -> JobFile | None:
    """Return the job's input file or the file it made."""
    return db.session.scalar(sa.select(JobFile).where(JobFile.job_id == job.id,
                                                      JobFile.role == role))


def jobs_of(estate_id: int, kinds: list[str], limit: int) -> list[Job]:
    """Return the estate's most recent jobs of these kinds, newest first, as they stand now."""
    found = list(db.session.scalars(
        sa.select(Job).where(Job.estate_id == estate_id, Job.kind.in_(kinds))
        .order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)))
    for job in found:
        refresh(job)
    return found


def live_progress(job: Job) -> tuple[int, int]:
    """Return (done, total) of a job: live from its backend while it runs, else as recorded."""
    if job.status == "running":
        backend = jobs.backend(job.backend)
        live = backend.progress(job.id) if backend is not None else None
        if live is not None:
            return live
    return job.done, job.total


def refresh(job: Job) -> Job:
    """Mark a queued or running job interrupted if the process that held it is gone."""
    if job.ended:
        return job
    backend = jobs.backend(job.backend)
    # None: running, waiting, or on a backend this process cannot ask (or Redis is down)
    if backend is not None and backend.alive(job) is False:
        _end(job, "interrupted", str(INTERRUPTED))
    return job


@transactional
def _end(job: Job, status: str, error: str) -> None:
    """End a queued or running job that will not run (on), unless it has ended meanwhile."""
    fresh = db.session.execute(
        sa.update(Job).where(Job.id == job.id, Job.status.in_(("queued", "running")))
        .values(status=status, error=error, finished_at=utcnow()))
    if fresh.rowcount:
        db.session.expire(job)
