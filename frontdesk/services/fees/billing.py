"""Bill runs: preview a period's bill lines for an estate or a building, and post them.

A bill run computes one line per unit, period and fee item (the database's partial unique index
``uq_bill_line_charge`` guarantees it stays one); posting is one transaction, however many
chunks of buildings it writes (a process killed half-way leaves nothing). Posted lines are
never edited: corrections are credit notes (冲红) and adjustments (:mod:`corrections`).

A line computed from a flagged reading (consumption far above the meter's average) that nobody
has reviewed yet is held: the preview lists it as a problem and posting leaves it out. Once the
reading is reviewed (or corrected), the next post of the same period and scope bills it. The
arithmetic of a run is in :mod:`billrun`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from operator import attrgetter

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import (
    BillLine,
    BillRun,
    Building,
    Estate,
    PrepaidEntry,
    Unit,
    User,
)
from frontdesk.models.base import utcnow
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees.bill_preview import Line, Preview
from frontdesk.services.fees.billrun import Plan, Progress, due_date
from frontdesk.services.fees.bulk import RowWriter
from frontdesk.services.periods import estate_today, parse_period

ZERO = Decimal("0.00")


class NothingToPost(DomainError):
    """Every line of the period and scope is already billed (or none can be computed)."""



def check_period(estate: Estate, period: str, today: date | None) -> str:
    """Return the period if it is not in the future for the estate, or raise DomainError."""
    period = parse_period(period)
    today = today or estate_today(estate)
    if period > f"{today.year:04d}-{today.month:02d}":
        raise DomainError(_l("%(period)s is in the future: bills are run for the current or an "
                             "earlier month.", period=period), "period")
    return period


def preview_bill_run(estate: Estate, period: str, building: Building | None = None,
                     today: date | None = None, progress: Progress | None = None) -> Preview:
    """Compute the bill lines of a period for an estate or one building, writing nothing.

    ``progress(done, total)`` is called after each building.
    """
    return _plan(estate, period, building, today).compute(progress)


#: a bill run's building of another estate
OTHER_ESTATES_BUILDING = _l("The building is not in this estate.")


def check_scope(estate: Estate, period: str, building: Building | None,
                today: date | None = None) -> str:
    """Return the period if a bill run of it may run for the estate or one of its buildings,
    or raise DomainError."""
    period = check_period(estate, period, today)
    if building is not None and building.estate_id != estate.id:
        raise DomainError(OTHER_ESTATES_BUILDING, "building")
    return period


def _plan(estate: Estate, period: str, building: Building | None, today: date | None,
          keep: int | None = None) -> Plan:
    return Plan(estate, check_scope(estate, period, building, today), building, keep)


# posting ----------------------------------------------------------------------------------------

#: problems and held lines a post keeps to say what it left out (the counts cover them all)
POST_KEEPS = 1000


@transactional
def post_bill_run(actor: User | None, estate: Estate, period: str,
                  building: Building | None = None, today: date | None = None,
                  progress: Progress | None = None) -> BillRun:
    """Post the lines of a period not yet billed, in one transaction, and apply prepaid balances.

    The lines are computed and written a chunk of buildings at a time, so that a whole estate
    takes no more memory than a chunk; everything commits together. Lines held for unreviewed
    flagged readings are left out (a later post bills them). The run returned carries
    ``run.preview``, with the totals, the counts of problems and held lines and the first
    POST_KEEPS of them (not the posted lines), to say what was left out. Raises NothingToPost
    when no line can be posted. A concurrent run that posted some of the same lines first makes
    the database refuse this one: nothing is written.
    """
    plan = _plan(estate, period, building, today, POST_KEEPS)
    posting = _Posting(actor, plan)
    try:
        try:
            preview = plan.compute(progress, posting.write)
        except BaseException:
            posting.abandon()  # a refusal of the lines being written explains what followed
            raise
        posting.finish()
        posting.release()
    except sa.exc.IntegrityError:
        posting.undo()
        raise DomainError(_l("Another bill run posted lines of %(period)s at the same time; "
                             "nothing was posted. Preview again to see what is left.",
                             period=plan.period)) from None
    run = posting.run
    if run is None:  # nothing was written
        if preview.total.held:
            raise NothingToPost(_l(
                "Nothing to post for %(period)s: %(held)s lines are held until their flagged "
                "readings are reviewed; %(n)s lines were already billed.",
                period=preview.period, held=preview.total.held, n=preview.already_billed))
        raise NothingToPost(_l("Nothing new to bill for %(period)s: %(n)s lines were already "
                               "billed.", period=preview.period, n=preview.already_billed))
    run.lines = preview.total.lines
    run.total = preview.total.amount
    items = {i.id: i for i in preview.items}
    audit.record(actor, "post", run, after={
        "period": preview.period, "building_id": preview.building_id,
        "lines": run.lines, "total": str(run.total),
        "by_item": {items[i].code: str(t.amount) for i, t in preview.by_item.items() if t.lines},
        "already_billed": preview.already_billed, "problems": preview.problem_total,
        "held": preview.total.held, "held_amount": str(preview.total.held_amount),
        "held_units": preview.held_units(),
        "prepaid_applied": str(posting.applied),
    })
    run.preview = preview  # what was left out (held lines, problems), for the caller to say
    return run


class _Posting:
    """Writes a run's lines as its plan computes them, a chunk at a time.

    The first chunk adds the run; its lines and those of every later chunk are inserted inside
    one savepoint, each with what its unit's prepaid balance settles.
    """

    def __init__(self, actor: User | None, plan: Plan):
        self.plan = plan
        self.estate = plan.estate
        self.posted_by_id = actor.id if actor else None
        self.now = utcnow()
        self.dues = {i.id: due_date(plan.period, i) for i in plan.items}
        self.run: BillRun | None = None
        self.savepoint = None
        self.writer = RowWriter(BillLine.__table__)
        #: prepaid entries of the lines being written, added once they are in
        self.entries: list[dict] = []
        #: the units of the scope with a prepaid balance (read again, locked, when billed)
        self.holders = _holders(plan)
        #: prepaid balances used so far
        self.applied = ZERO

    def write(self, lines: list[Line]) -> None:
        if self.run is None:
            self.run = BillRun(estate_id=self.estate.id, period=self.plan.period,
                               building_id=self.plan.preview.building_id, lines=0, total=ZERO,
                               posted_by_id=self.posted_by_id, posted_at=self.now)
            db.session.add(self.run)
            db.session.flush()
            self.savepoint = db.session.begin_nested()
        self.writer.wait()  # the previous lines are in: their prepaid entries may follow
        self._add_entries()
        holders = sorted({ln.unit_id for ln in lines} & self.holders)
        settled = _settle(lines, holders, self.dues) if holders else {}
        varying = {name: list(map(attrgetter(name), lines)) for name in (
            "unit_id", "fee_item_id", "quantity", "price", "amount", "explanation")}
        dues = self.dues
        varying["due_date"] = [dues[i] for i in varying["fee_item_id"]]
        constants = {"estate_id": self.estate.id, "period": self.plan.period, "kind": "charge",
                     "late_fee_waived": False, "bill_run_id": self.run.id, "corrects_id": None,
                     "reason": "", "created_by_id": self.posted_by_id, "created_at": self.now}
        if settled:
            # the lines' ids taken beforehand, in order: the entries name them, unread
            varying["id"] = ids = _new_line_ids(len(lines))
            varying["settled"] = [settled.get(i, ZERO) for i in range(len(lines))]
        else:
            constants["settled"] = ZERO
        self.writer.write(len(lines), varying, constants)
        if settled:
            self.entries = _applied_entries(self.estate.id, lines, ids, settled, self.dues,
                                            self.now)
            self.applied += sum(settled.values(), ZERO)

    def _add_entries(self) -> None:
        if self.entries:
            db.session.execute(sa.insert(PrepaidEntry), self.entries)
            self.entries = []

    def finish(self) -> None:
        """Wait for the last lines to be written, then add their prepaid entries."""
        self.abandon()
        self._add_entries()

    def abandon(self) -> None:
        """Wait for the lines being written; raise IntegrityError if they were refused."""
        try:
            self.writer.wait()
        finally:
            self.writer.close()

    def release(self) -> None:
        """Keep what was written (the enclosing transaction commits it)."""
        if self.savepoint is not None:
            self.savepoint.commit()

    def undo(self) -> None:
        if self.savepoint is not None and self.savepoint.is_active:
            self.savepoint.rollback()


def _holders(plan: Plan) -> set[int]:
    """Return the units of a run's scope that have a prepaid balance."""
    total = sa.func.sum(PrepaidEntry.amount)
    q = sa.select(PrepaidEntry.unit_id).where(PrepaidEntry.estate_id == plan.estate.id)
    if plan.building is not None:
        q = q.join(Unit, Unit.id == PrepaidEntry.unit_id).where(
            Unit.building_id == plan.building.id)
    return set(db.session.scalars(q.group_by(PrepaidEntry.unit_id).having(total > 0)))


def _new_line_ids(n: int) -> list[int]:
    """Take the ids of ``n`` new bill lines, in increasing order."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        return sorted(conn.execute(sa.text(
            "SELECT nextval(pg_get_serial_sequence('bill_line', 'id')) "
            "FROM generate_series(1, :n)"), {"n": n}).scalars())
    # SQLite has one writer at a time, and this transaction has written (the run) already
    last = conn.execute(sa.select(sa.func.max(BillLine.id))).scalar() or 0
    return list(range(last + 1, last + n + 1))


# prepaid balances -------------------------------------------------------------------------------


def _balances(unit_ids: list[int]) -> dict[int, Decimal]:
    """Return the positive prepaid balances of some units."""
    return dict(db.session.execute(
        sa.select(PrepaidEntry.unit_id, sa.func.sum(PrepaidEntry.amount))
        .where(PrepaidEntry.unit_id.in_(unit_ids))
        .group_by(PrepaidEntry.unit_id).having(sa.func.sum(PrepaidEntry.amount) > 0)).all())


def _lock_units(unit_ids: list[int]) -> None:
    """Take the units' money locks (as payments.lock_unit does), in id order against deadlocks."""
    if db.engine.dialect.name == "sqlite":
        return
    for start in range(0, len(unit_ids), 500):
        db.session.execute(sa.select(Unit.id).where(Unit.id.in_(unit_ids[start:start + 500]))
                           .order_by(Unit.id).with_for_update(key_share=True))


def _settle(lines: list[Line], holders: list[int], dues: dict[int, date]) -> dict[int, Decimal]:
    """Use each unit's prepaid balance on its new lines, oldest due first, then in line order.

    ``holders`` are the lines' units that had a balance. Returns line index → the amount
    settled. The units are locked first and their balances read again under the lock, so that
    a void or a refund approval cannot spend the same balance at the same time.
    """
    _lock_units(holders)
    balances: dict[int, Decimal] = {}
    for start in range(0, len(holders), 500):
        balances.update(_balances(holders[start:start + 500]))
    settled: dict[int, Decimal] = {}
    if not balances:
        return settled
    by_unit: dict[int, list[int]] = defaultdict(list)
    for index, ln in enumerate(lines):
        if ln.unit_id in balances:
            by_unit[ln.unit_id].append(index)
    for unit_id, indexes in by_unit.items():
        left = balances[unit_id]
        for index in sorted(indexes, key=lambda i: (dues[lines[i].fee_item_id], i)):
            amount = lines[index].amount
            if left <= 0 or amount <= 0:
                continue
            x = min(left, amount)
            left -= x
            settled[index] = x
    return settled


def _applied_entries(estate_id: int, lines: list[Line], ids: list[int],
                     settled: dict[int, Decimal], dues: dict[int, date], now) -> list[dict]:
    """Return the prepaid entries that pay the settled lines, oldest due first."""
    order = sorted(settled, key=lambda i: (dues[lines[i].fee_item_id], i))
    return [{"estate_id": estate_id, "unit_id": lines[i].unit_id, "amount": -settled[i],
             "kind": "applied", "payment_id": None, "bill_line_id": ids[i], "refund_id": None,
             "created_at": now} for i in order]
