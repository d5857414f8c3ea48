"""Long jobs (bill runs, bulk notices, imports) run off the request, with their results."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.models.base import Base, UTCDateTime, utcnow

JOB_KINDS = ("bill_run", "notices", "register_import", "readings_import")
JOB_STATUSES = ("queued", "running", "done", "failed", "interrupted")
#: the statuses of a job that has ended, one way or another
JOB_ENDED = ("done", "failed", "interrupted")


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (sa.Index("ix_job_estate_created", "estate_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"))
    #: one of JOB_KINDS: what the job does, and which permission may see it
    kind: Mapped[str] = mapped_column(sa.String(24))
    #: what the job was asked to do (period, building id, import kind ...), plain JSON values
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: one of JOB_STATUSES
    status: Mapped[str] = mapped_column(sa.String(12), default="queued")
    #: the last progress recorded here (live progress is kept by the backend while running)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    #: messages for the reader as [category, text] pairs, in the starter's language
    messages: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: the bill run a bill-run job posted
    bill_run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bill_run.id", ondelete="SET NULL"))
    #: the page that shows what an import wrote ("people", "buildings", "meters")
    result_page: Mapped[str | None] = mapped_column(sa.String(16))
    #: why the job failed or was interrupted, in the starter's language
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: which backend took the job: "inline", "thread" or "rq"
    backend: Mapped[str] = mapped_column(sa.String(8), default="inline")
    #: the process that holds a thread-backend job ("host:pid:token"), to tell a dead one
    runner: Mapped[str | None] = mapped_column(sa.String(120))
    #: the job this one runs again, if it is a re-run
    rerun_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    #: who started it, loaded with the job (the list of jobs names every starter)
    started_by = relationship("User", lazy="joined")

    @property
    def ended(self) -> bool:
        return self.status in JOB_ENDED

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class JobFile(Base):
    """A file a job takes (an import's upload) or makes (a PDF), kept in the database.

    In the database, so that any web host behind the proxy can serve it and any worker host
    can read it, with no shared folder to set up.
    """

    __tablename__ = "job_file"
    __table_args__ = (sa.UniqueConstraint("job_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("job.id", ondelete="CASCADE"))
    #: "input" (what the job reads) or "result" (what it made, to download)
    role: Mapped[str] = mapped_column(sa.String(8))
    filename: Mapped[str] = mapped_column(sa.String(200))
    mimetype: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
