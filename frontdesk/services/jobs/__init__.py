"""Long jobs: bill runs, bulk payment notices and imports, run off the request.

A job is a row (:class:`frontdesk.models.Job`) per estate: what to do, who asked, its status
and, when it ends, its result (messages, the bill run posted, a PDF kept as a
:class:`frontdesk.models.JobFile`) or its error. ``start_*`` verbs write the row and hand it
to the configured backend (:mod:`frontdesk.jobqueue`); :func:`runner.perform` runs it there.
A job whose process died shows as interrupted and can be run again; the work of each kind is
one transaction, so an interrupted job leaves nothing half-written.
"""

from frontdesk.services.jobs.records import (
    KIND_PERMISSIONS,
    job_file,
    jobs_of,
    live_progress,
    refresh,
    rerun,
    start_bill_run,
    start_notices,
    start_readings_import,
    start_register_import,
)

__all__ = [
    "KIND_PERMISSIONS",
    "job_file",
    "jobs_of",
    "live_progress",
    "refresh",
    "rerun",
    "start_bill_run",
    "start_notices",
    "start_readings_import",
    "start_register_import",
]
