"""Where long jobs run: on RQ workers when Redis is configured, else in the app's own process.

Three backends share one interface (``enqueue``, ``report``, ``progress``, ``alive``):

- ``rq``: the job is put on an RQ queue in Redis and run by ``flask worker``; live progress is
  kept in the RQ job's meta, and a heartbeat key that expires tells a killed worker.
- ``thread``: the job runs on one background thread of the web process (the embedded default,
  ``make run``); live progress is kept in memory, and the job row names the process
  (host, pid, start token) so that another process, or this one restarted, tells it is gone.
- ``inline``: the job runs at once in the request that starts it (tests, scripts).

Live progress stays out of the database: a bill run posts in one transaction, and on SQLite that
transaction holds the write lock, so a progress row written from another connection would wait
for the run to end. The job row gets the final state.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import socket
import threading

from flask import Flask

log = logging.getLogger(__name__)

#: the function RQ workers run, by name (the worker imports it)
RQ_FUNCTION = "frontdesk.services.jobs.runner.perform_rq"
_PROCESS_TOKEN: tuple[int, str] | None = None
#: the pid of the process that runs the RQ worker loop: a job in another one is in a fork
WORKER_PID: int | None = None


class QueueUnavailable(Exception):
    """The job queue (Redis) cannot be reached."""


def process_id() -> str:
    """Name this process uniquely: host, pid and a token that a restart with the same pid lacks."""
    global _PROCESS_TOKEN
    pid = os.getpid()
    if _PROCESS_TOKEN is None or _PROCESS_TOKEN[0] != pid:  # a forked child gets its own
        _PROCESS_TOKEN = (pid, secrets.token_hex(4))
    return f"{socket.gethostname()}:{pid}:{_PROCESS_TOKEN[1]}"


def process_alive(runner: str | None) -> bool | None:
    """Tell whether the process a job row names still runs: None when it is on another host."""
    if not runner:
        return False
    host, _, rest = runner.partition(":")
    pid_text, _, token = rest.partition(":")
    if host != socket.gethostname():
        return None
    if runner == process_id():
        return True
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():  # this pid, an earlier process: the app was restarted
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _not_a_zombie(pid)


def _not_a_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True


class InlineBackend:
    """Run the job at once, in the caller's process (tests and scripts)."""

    name = "inline"

    def __init__(self, app: Flask):
        self.app = app
        self._progress: dict[int, tuple[int, int]] = {}
        self._running: set[int] = set()

    def enqueue(self, job_id: int) -> None:
        from frontdesk.services.jobs.runner import perform

        self._running.add(job_id)
        try:
            perform(self.app, job_id, self)
        finally:
            self._running.discard(job_id)
            self._progress.pop(job_id, None)

    def report(self, job_id: int, done: int, total: int) -> None:
        self._progress[job_id] = (done, total)

    def progress(self, job_id: int) -> tuple[int, int] | None:
        return self._progress.get(job_id)

    def runner_id(self) -> str:
        return process_id()

    def alive(self, job) -> bool | None:
        if job.runner == process_id():
            return job.id in self._running
        return process_alive(job.runner)


class ThreadBackend(InlineBackend):
    """Run jobs one after another on a background thread of this process (``make run``).

    One thread: two bill runs at once would only wait for each other's write lock on SQLite.
    """

    name = "thread"

    def __init__(self, app: Flask):
        super().__init__(app)
        self._queue: queue.Queue[int] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def enqueue(self, job_id: int) -> None:
        self._running.add(job_id)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="frontdesk-jobs",
                                                daemon=True)
                self._thread.start()
        self._queue.put(job_id)

    def _work(self) -> None:
        from frontdesk.services.jobs.runner import perform

        while True:
            job_id = self._queue.get()
            try:
                perform(self.app, job_id, self)
            except Exception:  # noqa: BLE001 - the loop must outlive one job's failure
                log.exception("job %s failed outside its own handling", job_id)
            finally:
                self._running.discard(job_id)
                self._progress.pop(job_id, None)
                self._queue.task_done()

    def wait(self) -> None:
        """Return when every job given to this process has ended (tests)."""
        self._queue.join()


class RQBackend:
    """Put jobs on an RQ queue in Redis, for ``flask worker`` processes on any host."""

    name = "rq"

    def __init__(self, app: Flask, url: str, queue_name: str, heartbeat: int, timeout: int):
        from redis import Redis
        from rq import Queue

        self.app = app
        self.redis = Redis.from_url(url)
        self.queue_name = queue_name
        self.queue = Queue(queue_name, connection=self.redis)
        #: seconds without a heartbeat after which a running job counts as interrupted
        self.heartbeat = heartbeat
        self.timeout = timeout

    def rq_id(self, job_id: int) -> str:
        return f"{self.queue_name}-{job_id}"

    def heartbeat_key(self, job_id: int) -> str:
        return f"frontdesk:{self.queue_name}:job:{job_id}:alive"

    def enqueue(self, job_id: int) -> None:
        from redis.exceptions import RedisError

        try:
            self.queue.enqueue(RQ_FUNCTION, job_id, job_id=self.rq_id(job_id),
                               job_timeout=self.timeout, result_ttl=24 * 3600,
                               failure_ttl=7 * 24 * 3600)
        except RedisError as e:
            raise QueueUnavailable(str(e)) from e

    def beat(self, job_id: int) -> None:
        self.redis.set(self.heartbeat_key(job_id), "1", ex=self.heartbeat)

    def report(self, job_id: int, done: int, total: int) -> None:
        from rq import get_current_job

        rq_job = get_current_job()
        if rq_job is not None:
            rq_job.meta["progress"] = [done, total]
            rq_job.save_meta()
        self.beat(job_id)

    def _rq_job(self, job_id: int):
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            return Job.fetch(self.rq_id(job_id), connection=self.redis)
        except NoSuchJobError:
            return None

    def progress(self, job_id: int) -> tuple[int, int] | None:
        from redis.exceptions import RedisError

        try:
            rq_job = self._rq_job(job_id)
        except RedisError:
            return None
        value = rq_job.get_meta().get("progress") if rq_job is not None else None
        return (int(value[0]), int(value[1])) if value else None

    def runner_id(self) -> str:
        return process_id()

    def alive(self, job) -> bool | None:
        """Tell a job still waiting or running from one whose worker died (None: Redis is down)."""
        from redis.exceptions import RedisError

        try:
            return self._alive(job)
        except RedisError:
            log.warning("cannot ask Redis about job %s", job.id)
            return None

    def _alive(self, job) -> bool:
        """Tell a job still waiting or running from one whose worker died.

        RQ's own failed and abandoned registries say so after its heartbeat timeout (a minute
        or more); the job's heartbeat key says it within JOB_HEARTBEAT_SECONDS.
        """
        from rq.job import JobStatus
        from rq.registry import StartedJobRegistry

        rq_job = self._rq_job(job.id)
        if rq_job is None:
            return False
        status = rq_job.get_status()
        if status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
            return True
        if status != JobStatus.STARTED:  # failed (a killed work-horse), stopped, canceled
            return False
        if self.redis.exists(self.heartbeat_key(job.id)):
            return True
        StartedJobRegistry(self.queue_name, connection=self.redis).cleanup()
        if rq_job.get_status() != JobStatus.STARTED:
            return False
        # started by RQ but not yet by the job itself: a moment ago, or a worker that died
        # at once (RQ's cleanup above moves that one to the failed registry in time)
        return job.status == "queued"


class JobQueue:
    """The app's job backends, chosen from the configuration (created unbound in extensions)."""

    def init_app(self, app: Flask) -> None:
        app.extensions["frontdesk.jobs"] = {}

    def backend(self, name: str | None = None, app: Flask | None = None):
        """Return the named backend of the app, or the configured one: one of each per app."""
        from flask import current_app

        app = app or current_app._get_current_object()
        cfg = app.config
        if name is None:
            name = cfg.get("JOBS_BACKEND") or ("rq" if cfg.get("REDIS_URL") else "thread")
        key = (name, cfg.get("REDIS_URL"), cfg["JOBS_QUEUE"], cfg["JOB_HEARTBEAT_SECONDS"])
        backends = app.extensions["frontdesk.jobs"]
        if key not in backends:
            if name == "rq":
                if not cfg.get("REDIS_URL"):
                    return None  # a job queued on Redis, looked at by an app without it
                backends[key] = RQBackend(app, cfg["REDIS_URL"], cfg["JOBS_QUEUE"],
                                          int(cfg["JOB_HEARTBEAT_SECONDS"]),
                                          int(cfg["JOB_TIMEOUT_SECONDS"]))
            elif name == "thread":
                backends[key] = ThreadBackend(app)
            else:
                backends[key] = InlineBackend(app)
        return backends[key]


def run_worker(app: Flask, *, burst: bool = False, fork: bool = True,
               logging_level: str = "INFO") -> bool:
    """Work the app's RQ queue: each job in a forked work-horse (memory back after every job).

    ``fork=False`` runs the jobs in this process (RQ's SimpleWorker). Returns RQ's answer,
    True when the worker did any job.
    """
    from rq import SimpleWorker, Worker

    from frontdesk.extensions import jobs

    global WORKER_PID
    backend = jobs.backend("rq", app)
    if backend is None:
        raise RuntimeError("REDIS_URL is not set: without Redis, jobs run in the web process")
    WORKER_PID = os.getpid()
    worker_class = Worker if fork else SimpleWorker
    worker = worker_class([backend.queue], connection=backend.redis)
    with app.app_context():
        return worker.work(burst=burst, logging_level=logging_level)
