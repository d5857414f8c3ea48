"""Run a bill-run job in this process and stop it halfway, to be killed by the test that started it.

python -m tests.job_pause thread|rq DATABASE_URL QUEUE REACHED_FILE [ESTATE_ID USER_ID PERIOD]

``thread``: start the bill run on the thread backend, as a web process would, and wait.
``rq``: work the queue as ``flask worker`` does (a forked work-horse per job).
When the run reports a step with more to do, a bill run and a bill line are written in the run's
own open transaction, REACHED_FILE is written, and the job waits forever until the process is
killed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from frontdesk import create_app
from frontdesk.services.jobs import runner


def write_in_the_runs_transaction(job_id: int) -> None:
    """Write a bill run and a bill line in the open transaction of the run being posted, as a
    run that posts building by building has when it is halfway: the kill must take them too."""
    from datetime import date
    from decimal import Decimal

    import sqlalchemy as sa

    from frontdesk.extensions import db
    from frontdesk.models import BillLine, BillRun, FeeItem, Job, Unit

    job = db.session.get(Job, job_id)
    unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == job.estate_id)
                             .order_by(Unit.id.desc()))
    item = db.session.scalar(sa.select(FeeItem).where(FeeItem.estate_id == job.estate_id))
    run = BillRun(estate_id=job.estate_id, period=job.params["period"])
    db.session.add(run)
    db.session.flush()
    db.session.add(BillLine(estate_id=job.estate_id, unit_id=unit.id, fee_item_id=item.id,
                            period=job.params["period"], amount=Decimal("1.00"),
                            explanation="halfway", due_date=date(2026, 1, 1),
                            bill_run_id=run.id))
    db.session.flush()
    assert db.session.info.get("frontdesk.in_service"), "not inside the bill run's transaction"


def main() -> None:
    mode, url, queue, reached = sys.argv[1:5]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "JOBS_BACKEND": mode,
                      "REDIS_URL": "redis://127.0.0.1:6379/0", "JOBS_QUEUE": queue,
                      "JOB_HEARTBEAT_SECONDS": 1})
    report = runner.Progress.__call__

    def pause_halfway(self, done: int, total: int) -> None:
        report(self, done, total)
        if 0 < done < total:
            write_in_the_runs_transaction(self.job_id)
            Path(reached).write_text(f"{os.getpid()} {done} {total}", encoding="utf-8")
            while True:
                time.sleep(1)

    runner.Progress.__call__ = pause_halfway
    if mode == "rq":
        from frontdesk.jobqueue import run_worker

        run_worker(app, burst=True, fork=True, logging_level="WARNING")
        return
    estate_id, user_id, period = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
    with app.app_context():
        from frontdesk.extensions import db
        from frontdesk.models import Estate, User
        from frontdesk.services import jobs

        job = jobs.start_bill_run(db.session.get(User, user_id), db.session.get(Estate, estate_id),
                                  period, None)
        print(job.id, flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
