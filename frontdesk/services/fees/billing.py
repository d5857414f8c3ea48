"""Bill runs: preview a period's bill lines for an estate or a building, and post them.

A bill run computes one line per unit, period and fee item (the database's partial unique index
``uq_bill_line_charge`` guarantees it stays one); posting is one transaction. Posted lines are
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
from itertools import repeat

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


def _plan(estate: Estate, period: str, building: Building | None, today: date | None,
          keep: int | None = None) -> Plan:
    period = check_period(estate, period, today)
    if building is not None and building.estate_id != estate.id:
        raise DomainError(_l("The building is not in this estate."), "building")
    return Plan(estate, period, building, keep)


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
        preview = plan.compute(progress, posting.write)
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
        settled = _settle(lines, self.plan.unit_ids, self.dues)
        varying = {name: [getattr(ln, name) for ln in lines] for name in (
            "unit_id", "fee_item_id", "quantity", "price", "amount", "explanation")}
        dues = self.dues
        varying["due_date"] = [dues[i] for i in varying["fee_item_id"]]
        constants = {"estate_id": self.estate.id, "period": self.plan.period, "kind": "charge",
                     "late_fee_waived": False, "bill_run_id": self.run.id, "corrects_id": None,
                     "reason": "", "created_by_id": self.posted_by_id, "created_at": self.now}
        if settled:
            varying["settled"] = [settled.get(i, ZERO) for i in range(len(lines))]
        else:
            constants["settled"] = ZERO
        _insert_many(BillLine.__table__, len(lines), varying, constants)
        if settled:
            self.applied += _record_applied(self.run, lines, settled, self.now)

    def release(self) -> None:
        """Keep what was written (the enclosing transaction commits it)."""
        if self.savepoint is not None:
            self.savepoint.commit()

    def undo(self) -> None:
        if self.savepoint is not None and self.savepoint.is_active:
            self.savepoint.rollback()


def _insert_many(table: sa.Table, n: int, varying: dict[str, list],
                 constants: dict) -> None:
    """Insert ``n`` rows with one DB-API executemany (with psycopg, one COPY).

    Values come by column (``varying``: a list per column; ``constants``: one value for every
    row), so each column's bind processor runs once per distinct value: a bill run's lines
    repeat few prices, amounts and dates. The rows, constraints and triggers are those of an
    INSERT; a unique or foreign key violation raises sa.exc.IntegrityError either way.
    """
    conn = db.session.connection()
    dialect = conn.dialect
    keys = [*varying, *constants]
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy(conn, table, n, keys, varying, constants)
        return
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    names = list(compiled.positiontup) if compiled.positional else keys
    columns = _columns(table, dialect, n, [compiled.binds[name].key for name in names],
                       varying, constants)
    params = list(zip(*columns, strict=False)) if compiled.positional else [
        dict(zip(names, row, strict=True)) for row in zip(*columns, strict=False)]
    conn.exec_driver_sql(compiled.string, params)


def _columns(table: sa.Table, dialect, n: int, keys: list[str], varying: dict[str, list],
             constants: dict) -> list:
    """Return each column's values as the driver takes them (bind processors applied)."""
    columns = []
    for key in keys:
        process = table.c[key].type.bind_processor(dialect)
        if key in constants:
            value = constants[key]
            columns.append(repeat(process(value) if process else value, n))
        elif process is None:
            columns.append(varying[key])
        else:
            columns.append(list(map(_memoised(process), varying[key])))
    return columns


def _copy(conn: sa.Connection, table: sa.Table, n: int, keys: list[str],
          varying: dict[str, list], constants: dict) -> None:
    """Write the rows with PostgreSQL's COPY, on the session's connection and transaction."""
    quote = conn.dialect.identifier_preparer.quote
    sql = (f"COPY {quote(table.name)} ({', '.join(quote(table.c[k].name) for k in keys)}) "
           "FROM STDIN")
    columns = _columns(table, conn.dialect, n, keys, varying, constants)
    raw = conn.connection.driver_connection
    try:
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            write = copy.write_row
            for row in zip(*columns, strict=False):
                write(row)
    except conn.dialect.dbapi.IntegrityError as e:
        raise sa.exc.IntegrityError(sql, None, e) from e


def _memoised(process):
    cache: dict = {}

    def convert(value):
        try:
            return cache[value]
        except KeyError:
            out = cache[value] = process(value)
            return out

    return convert


# prepaid balances -------------------------------------------------------------------------------


def _balances(unit_ids: sa.Select | list[int]) -> dict[int, Decimal]:
    """Return the positive prepaid balances of some units (by unit: they are the estate's)."""
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


def _settle(lines: list[Line], unit_ids: sa.Select, dues: dict[int, date]) -> dict[int, Decimal]:
    """Use each unit's prepaid balance on its new lines, oldest due first, then in line order.

    ``unit_ids`` selects the units of the lines' buildings. Returns line index → the amount
    settled. The units holding a balance are locked first and their balances read again under
    the lock, so that a void or a refund approval cannot spend the same balance at the same time.
    """
    balances = _balances(unit_ids)
    if not balances:
        return {}
    if db.engine.dialect.name != "sqlite":
        holders = sorted(balances)
        _lock_units(holders)
        balances = {}
        for start in range(0, len(holders), 500):
            balances.update(_balances(holders[start:start + 500]))
    by_unit: dict[int, list[int]] = defaultdict(list)
    for index, ln in enumerate(lines):
        if ln.unit_id in balances:
            by_unit[ln.unit_id].append(index)
    settled: dict[int, Decimal] = {}
    for unit_id, indexes in by_unit.items():
        left = balances.get(unit_id, ZERO)
        for index in sorted(indexes, key=lambda i: (dues[lines[i].fee_item_id], i)):
            amount = lines[index].amount
            if left <= 0 or amount <= 0:
                continue
            x = min(left, amount)
            left -= x
            settled[index] = x
    return settled


def _record_applied(run: BillRun, lines: list[Line], settled: dict[int, Decimal],
                    now) -> Decimal:
    """Add the prepaid entries that pay the settled lines; return their total."""
    units = sorted({lines[i].unit_id for i in settled})
    rows = []
    for start in range(0, len(units), 500):
        # by unit and period (the charge index); the run's own lines picked out here
        rows += db.session.execute(
            sa.select(BillLine.id, BillLine.unit_id, BillLine.settled, BillLine.due_date,
                      BillLine.bill_run_id)
            .where(BillLine.unit_id.in_(units[start:start + 500]),
                   BillLine.period == run.period,
                   BillLine.kind == sa.literal_column("'charge'"))).all()
    rows = sorted((r for r in rows if r.bill_run_id == run.id and r.settled > 0),
                  key=lambda r: (r.due_date, r.id))
    estate_id = run.estate_id
    db.session.execute(sa.insert(PrepaidEntry), [
        {"estate_id": estate_id, "unit_id": r.unit_id, "amount": -r.settled, "kind": "applied",
         "payment_id": None, "bill_line_id": r.id, "refund_id": None, "created_at": now}
        for r in rows])
    return sum((r.settled for r in rows), ZERO)


# corrections ------------------------------------------------------------------------------------
