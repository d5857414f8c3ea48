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
from frontdesk.services.fees.bill_preview import Preview
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
    period = check_period(estate, period, today)
    if building is not None and building.estate_id != estate.id:
        raise DomainError(_l("The building is not in this estate."), "building")
    return Plan(estate, period, building).compute(progress)


# posting ----------------------------------------------------------------------------------------


@transactional
def post_bill_run(actor: User | None, estate: Estate, period: str,
                  building: Building | None = None, today: date | None = None,
                  progress: Progress | None = None) -> BillRun:
    """Post the lines of a preview not yet billed, in one transaction, and apply prepaid balances.

    Lines held for unreviewed flagged readings are left out (a later post bills them). The run
    returned carries ``run.preview``, the preview it posted, to say what was left out. Raises
    NothingToPost when no line can be posted. A concurrent run that posted some of the same
    lines first makes the database refuse this one: nothing is written.
    """
    preview = preview_bill_run(estate, period, building, today, progress)
    if not preview.lines:
        if preview.total.held:
            raise NothingToPost(_l(
                "Nothing to post for %(period)s: %(held)s lines are held until their flagged "
                "readings are reviewed; %(n)s lines were already billed.",
                period=preview.period, held=preview.total.held, n=preview.already_billed))
        raise NothingToPost(_l("Nothing new to bill for %(period)s: %(n)s lines were already "
                               "billed.", period=preview.period, n=preview.already_billed))
    now = utcnow()
    run = BillRun(estate_id=estate.id, period=preview.period, building_id=preview.building_id,
                  lines=len(preview.lines), total=preview.total.amount,
                  posted_by_id=actor.id if actor else None, posted_at=now)
    db.session.add(run)
    db.session.flush()
    items = {i.id: i for i in preview.items}
    dues = {i.id: due_date(preview.period, i) for i in preview.items}
    lines = preview.lines
    varying = {name: [getattr(ln, name) for ln in lines] for name in (
        "unit_id", "fee_item_id", "quantity", "price", "amount", "explanation")}
    varying["due_date"] = [dues[i] for i in varying["fee_item_id"]]
    constants = {"estate_id": estate.id, "period": preview.period, "kind": "charge",
                 "settled": ZERO, "late_fee_waived": False, "bill_run_id": run.id,
                 "corrects_id": None, "reason": "", "created_by_id": run.posted_by_id,
                 "created_at": now}
    try:
        with db.session.begin_nested():
            _insert_many(BillLine.__table__, len(lines), varying, constants)
    except sa.exc.IntegrityError:
        raise DomainError(_l("Another bill run posted lines of %(period)s at the same time; "
                             "nothing was posted. Preview again to see what is left.",
                             period=preview.period)) from None
    del varying
    applied = _apply_prepaid(estate, run, {ln.unit_id for ln in preview.lines})
    audit.record(actor, "post", run, after={
        "period": preview.period, "building_id": preview.building_id,
        "lines": run.lines, "total": str(run.total),
        "by_item": {items[i].code: str(t.amount) for i, t in preview.by_item.items() if t.lines},
        "already_billed": preview.already_billed, "problems": len(preview.problems),
        "held": preview.total.held, "held_amount": str(preview.total.held_amount),
        "held_units": sorted({ln.unit_code for ln in preview.held})[:100],
        "prepaid_applied": str(applied),
    })
    run.preview = preview  # what was left out (held lines, problems), for the caller to say
    return run


def _insert_many(table: sa.Table, n: int, varying: dict[str, list],
                 constants: dict) -> None:
    """Insert ``n`` rows with one DB-API executemany: the same as ``execute(insert, rows)``.

    Values come by column (``varying``: a list per column; ``constants``: one value for every
    row), so each column's bind processor runs once per distinct value: a bill run's lines
    repeat few prices, amounts and dates.
    """
    conn = db.session.connection()
    dialect = conn.dialect
    keys = [*varying, *constants]
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    names = list(compiled.positiontup) if compiled.positional else keys
    columns = []
    for name in names:
        key = compiled.binds[name].key
        process = table.c[key].type.bind_processor(dialect)
        if key in constants:
            value = constants[key]
            columns.append(repeat(process(value) if process else value, n))
        elif process is None:
            columns.append(varying[key])
        else:
            columns.append(list(map(_memoised(process), varying[key])))
    params = list(zip(*columns, strict=False)) if compiled.positional else [
        dict(zip(names, row, strict=True)) for row in zip(*columns, strict=False)]
    conn.exec_driver_sql(compiled.string, params)


def _memoised(process):
    cache: dict = {}

    def convert(value):
        try:
            return cache[value]
        except KeyError:
            out = cache[value] = process(value)
            return out

    return convert

def _balances_query(estate: Estate):
    return (sa.select(PrepaidEntry.unit_id, sa.func.sum(PrepaidEntry.amount))
            .where(PrepaidEntry.estate_id == estate.id)
            .group_by(PrepaidEntry.unit_id).having(sa.func.sum(PrepaidEntry.amount) > 0))


def _lock_units(unit_ids: list[int]) -> None:
    """Take the units' money locks (as payments.lock_unit does), in id order against deadlocks."""
    if db.engine.dialect.name == "sqlite":
        return
    for start in range(0, len(unit_ids), 500):
        db.session.execute(sa.select(Unit.id).where(Unit.id.in_(unit_ids[start:start + 500]))
                           .order_by(Unit.id).with_for_update(key_share=True))


def _apply_prepaid(estate: Estate, run: BillRun, unit_ids: set[int]) -> Decimal:
    """Use each unit's prepaid balance on its new lines, oldest due first.

    The units holding a balance are locked first and their balances read again under the
    lock, so that a void or a refund approval cannot spend the same balance at the same time.
    """
    candidates = sorted(u for u, b in db.session.execute(_balances_query(estate))
                        if u in unit_ids and b and b > 0)
    if not candidates:
        return ZERO
    _lock_units(candidates)
    balances = {
        u: b for u, b in db.session.execute(
            _balances_query(estate).where(PrepaidEntry.unit_id.in_(candidates)))
        if b and b > 0
    }
    if not balances:
        return ZERO
    lines = []
    ids = sorted(balances)
    for start in range(0, len(ids), 500):
        lines += db.session.execute(
            sa.select(BillLine.id, BillLine.unit_id, BillLine.amount)
            .where(BillLine.bill_run_id == run.id, BillLine.unit_id.in_(ids[start:start + 500]))
            .order_by(BillLine.due_date, BillLine.id)).all()
    updates, entries, applied = [], [], ZERO
    now = utcnow()
    for line_id, unit_id, amount in lines:
        left = balances[unit_id]
        if left <= 0 or amount <= 0:
            continue
        x = min(left, amount)
        balances[unit_id] = left - x
        applied += x
        updates.append({"id": line_id, "settled": x})
        entries.append({"estate_id": estate.id, "unit_id": unit_id, "amount": -x,
                        "kind": "applied", "payment_id": None, "bill_line_id": line_id,
                        "refund_id": None, "created_at": now})
    if updates:
        db.session.execute(sa.update(BillLine), updates)
        db.session.execute(sa.insert(PrepaidEntry), entries)
    return applied


# corrections ------------------------------------------------------------------------------------
