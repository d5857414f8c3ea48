"""Photos of a work order: those of the report and those the engineer takes on completion.

An order holds at most :data:`MAX_PHOTOS` photos in all. The desk (or a manager) adds photos of
the report while the order is open; the engineer it is assigned to adds photos while working on
it (stage ``completion``) and with the completion itself (:func:`complete_with_photos`). Every
photo of a request is checked (:func:`frontdesk.services.photos.prepare`) before any is written;
the files written by a transaction that fails are removed again, so a refused request leaves
neither rows nor files.

``uploads`` are ``(filename, bytes)`` pairs read by the view with the size limit
(:func:`frontdesk.services.photos.read_limited`); ``root`` is the uploads folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import User
from frontdesk.models.workorders import OPEN_STATES, WorkOrder, WorkOrderPhoto
from frontdesk.services import DomainError, audit, photos, transactional
from frontdesk.services.workorders import orders

#: the most photos an order holds, report and completion together
MAX_PHOTOS = 5
#: states in which the engineer's photos are of the work (stage "completion")
WORKING = ("accepted", "in_progress", "paused")

Upload = tuple[str, bytes]


def is_desk(actor: User, estate_id: int) -> bool:
    return actor.has_role("frontdesk", "manager", estate_id=estate_id)


def may_add(actor: User, order: WorkOrder) -> bool:
    """Tell whether the user may add photos to the order now (the page shows the form)."""
    if order.state not in OPEN_STATES or len(order.photos) >= MAX_PHOTOS:
        return False
    return is_desk(actor, order.estate_id) or (order.assignee_id == actor.id
                                               and order.state in WORKING)


def room_left(order: WorkOrder) -> int:
    return max(0, MAX_PHOTOS - len(order.photos))


def _stage_for(actor: User, order: WorkOrder) -> str:
    if order.assignee_id == actor.id and order.state in WORKING:
        return "completion"
    if is_desk(actor, order.estate_id):
        return "report"
    raise DomainError(orders.NOT_YOURS if order.assignee_id not in (None, actor.id)
                      else _l("Photos are added by the desk, or by the engineer working on "
                              "the order."), "photos")


def check_uploads(uploads: Sequence[Upload], max_bytes: int) -> list[photos.Prepared]:
    """Check every photo of a request; refuse them all if one is not acceptable."""
    return [photos.prepare(data, name, max_bytes) for name, data in uploads]


def stage_photos(actor: User, order: WorkOrder, prepared: Sequence[photos.Prepared],
                 stage: str, root: Path, now: datetime, written: list[str]) -> list[WorkOrderPhoto]:
    """Store checked photos on a locked order (no commit); names written go to ``written``."""
    count = db.session.scalar(sa.select(sa.func.count(WorkOrderPhoto.id))
                              .where(WorkOrderPhoto.order_id == order.id)) or 0
    if count + len(prepared) > MAX_PHOTOS:
        raise DomainError(_l("An order holds at most %(n)s photos; %(left)s more can be added.",
                             n=MAX_PHOTOS, left=max(0, MAX_PHOTOS - count)), "photos")
    rows = []
    for photo in prepared:
        stored = photos.store(root, order.estate_id, photo)
        written.append(stored.stored_name)
        row = WorkOrderPhoto(estate_id=order.estate_id, order_id=order.id, stage=stage,
                             stored_name=stored.stored_name, original_name=stored.original_name,
                             width=stored.width, height=stored.height, size=stored.size,
                             uploaded_by_id=actor.id, uploaded_at=now.astimezone(UTC))
        db.session.add(row)
        db.session.flush()
        audit.record(actor, "create", row, before={}, after=audit.snapshot(row))
        rows.append(row)
    return rows


def report_with_photos(actor: User, estate, data: dict, uploads: Sequence[Upload], root: Path,
                       now: datetime, max_bytes: int = photos.DEFAULT_MAX_BYTES) -> WorkOrder:
    """Report a repair with up to five photos, all or nothing: every photo is checked before
    anything is written, and the order and its photos are one transaction."""
    prepared = check_uploads(uploads, max_bytes)
    return _cleaned_up(root, estate.id,
                       lambda written: _report(actor, estate, data, prepared, root, now, written))


@transactional
def _report(actor, estate, data, prepared, root, now, written):
    order = orders.report(actor, estate, data, now)
    if prepared:
        stage_photos(actor, order, prepared, "report", root, now, written)
    return order


def _cleaned_up(root: Path, estate_id: int, work):
    """Run the work with a list of written names; on any failure remove those files."""
    written: list[str] = []
    try:
        return work(written)
    except BaseException:
        photos.discard(root, estate_id, written)
        raise


def attach(actor: User, order: WorkOrder, uploads: Sequence[Upload], root: Path, now: datetime,
           max_bytes: int = photos.DEFAULT_MAX_BYTES) -> list[WorkOrderPhoto]:
    """Add photos to an open order: the desk's to the report, the assignee's to the work."""
    if not uploads:
        raise DomainError(_l("Choose one or more photos."), "photos")
    prepared = check_uploads(uploads, max_bytes)
    return _cleaned_up(root, order.estate_id,
                       lambda written: _attach(actor, order, prepared, root, now, written))


@transactional
def _attach(actor, order, prepared, root, now, written):
    order = orders._locked(order)
    if order.state not in OPEN_STATES:
        raise DomainError(_l("Photos can only be added while the order is open."), "photos")
    return stage_photos(actor, order, prepared, _stage_for(actor, order), root, now, written)


def complete_with_photos(actor: User, order: WorkOrder, note: str, uploads: Sequence[Upload],
                         root: Path, now: datetime,
                         max_bytes: int = photos.DEFAULT_MAX_BYTES) -> WorkOrder:
    """The engineer completes the order with a note and photos of the work, all or nothing."""
    prepared = check_uploads(uploads, max_bytes)
    return _cleaned_up(root, order.estate_id,
                       lambda written: _complete(actor, order, note, prepared, root, now,
                                                 written))


@transactional
def _complete(actor, order, note, prepared, root, now, written):
    order = orders.complete(actor, order, note, now)
    if prepared:
        stage_photos(actor, order, prepared, "completion", root, now, written)
    return order


def photo_path(root: Path, photo: WorkOrderPhoto) -> Path | None:
    """Return the stored file of a photo, or None when it is missing."""
    path = photos.path_of(root, photo.estate_id, photo.stored_name)
    return path if path is not None and path.is_file() else None
