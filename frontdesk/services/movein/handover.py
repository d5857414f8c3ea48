"""What changes hands at a move-in: meter readings (交房抄表), keys (移交钥匙) and the first fees
(首期缴费), each through the area that keeps it (fees, keys), in the case's transaction.

Readings: a handover reading is recorded as the meter's reading of the handover month through
``fees.readings.record_reading``; on a meter without readings it is the first one (no
consumption), so the next month's bill charges from it. A reading below any reading the meter
already has is refused.

First fees: the prepaid management fee for N months (gross area × the tariff in force × N) and
the decoration deposit are proposed from the estate's setup and taken as ONE payment with ONE
receipt (``fees.payments.take_payment``, purpose prepaid with a deposit part).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk import labels
from frontdesk.extensions import db
from frontdesk.models import (
    Estate,
    FeeItem,
    Key,
    Meter,
    MeterReading,
    MoveinCase,
    Unit,
    User,
)
from frontdesk.models.keys import KEY_KINDS
from frontdesk.money import quantize_money
from frontdesk.services import DomainError, transactional
from frontdesk.services.fees import meters as fee_meters
from frontdesk.services.fees import payments, readings, tariffs
from frontdesk.services.fees.bill_queries import receipt_of
from frontdesk.services.keys import custody, registry
from frontdesk.services.movein import cases
from frontdesk.services.movein.setup import settings_of

#: the most kinds of key one handover records
MAX_KEY_ROWS = 9
MAX_KEYS = 99
#: the most months of management fee taken in advance
MAX_MONTHS = 36
DECORATION_DEPOSIT = "装修押金"


# 交房抄表 ---------------------------------------------------------------------------------------


def unit_meters(unit_id: int) -> list[Meter]:
    """Return a unit's active meters, water, electricity, gas."""
    order = sa.case({"water": 0, "electricity": 1, "gas": 2}, value=Meter.kind, else_=3)
    return list(db.session.scalars(sa.select(Meter).where(
        Meter.unit_id == unit_id, Meter.active.is_(True), Meter.shared.is_(False))
        .order_by(order, Meter.number)))


def last_reading(meter_id: int) -> MeterReading | None:
    """Return a meter's latest reading, of any period."""
    return db.session.scalars(sa.select(MeterReading).where(MeterReading.meter_id == meter_id)
                              .order_by(MeterReading.period.desc()).limit(1)).first()


def check_not_below(meter: Meter, value: Decimal) -> None:
    """Refuse a reading below the meter's existing latest reading."""
    last = last_reading(meter.id)
    if last is not None and value < last.value:
        raise DomainError(_l(
            "Meter %(n)s: the reading %(value)s is below its existing reading %(last)s "
            "(%(period)s). Check the dial and type it again.", n=meter.number,
            value=fee_meters.number_text(value), last=fee_meters.number_text(last.value),
            period=last.period), f"reading-{meter.id}")


def record_readings(actor: User, unit: Unit, values: dict, new_meters: dict,
                    now: datetime) -> list[dict]:
    """Record readings of a unit's meters for the current month, all or none (joins the
    caller's transaction); ``new_meters`` maps a kind to the number of a meter to add first.

    Returns what was recorded: [{meter_id, number, kind, value, period}].
    """
    estate = db.session.get(Estate, unit.estate_id)
    today = cases.local_date(unit.estate_id, now)
    period = f"{today:%Y-%m}"
    for kind, number in new_meters.items():
        if number:
            meter = fee_meters.create_meter(actor, estate, kind=kind, number=number,
                                            unit_code=unit.code)
            values[meter.id] = values.pop(f"new-{kind}", None)
    meters = {m.id: m for m in unit_meters(unit.id)}
    recorded = []
    for meter_id, raw in values.items():
        meter = meters.get(meter_id)
        if meter is None:
            raise DomainError(_l("The unit's meters have changed; reload the page."))
        if raw is None or not str(raw).strip():
            continue
        value = fee_meters.parse_reading(raw, f"reading-{meter.id}",
                                         _l("The reading of meter %(n)s", n=meter.number),
                                         max_value=meter.max_value)
        check_not_below(meter, value)
        try:
            readings.record_reading(actor, meter, period, value, today=today)
        except DomainError as e:
            raise DomainError(_l("Meter %(n)s: %(why)s", n=meter.number, why=e.message),
                              f"reading-{meter.id}") from None
        recorded.append({"meter_id": meter.id, "number": meter.number, "kind": meter.kind,
                         "unit": labels.METER_UNITS.get(meter.kind, ""),
                         "value": fee_meters.number_text(value), "period": period})
    if not recorded:
        raise DomainError(_l("Enter at least one reading, or skip the step with a reason."))
    return recorded


@transactional
def handover_readings(actor: User, case: MoveinCase, values: dict, now: datetime,
                      new_meters: dict | None = None):
    """交房抄表: the readings at handover, the meters' first readings for billing."""
    case = cases.check_workable(case)
    unit = db.session.get(Unit, case.unit_id)
    recorded = record_readings(actor, unit, dict(values), dict(new_meters or {}), now)
    return cases.mark_done(actor, case, "readings", {"readings": recorded}, now)


# 移交钥匙 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRow:
    """Keys of one kind at handover: how many the owner takes and how many the desk keeps."""

    kind: str
    handed: int
    kept: int


def _count(value, field: str) -> int:
    return registry.whole_number(value if value not in (None, "") else 0, field, low=0,
                                 high=MAX_KEYS,
                                 message=_l("A number of keys is a whole number from 0 to 99."))


def key_rows(rows: list[dict]) -> list[KeyRow]:
    """Check the typed rows of keys (kind, handed, kept); blank rows are left out."""
    out: list[KeyRow] = []
    for i, row in enumerate(rows[:MAX_KEY_ROWS]):
        handed = _count(row.get("handed"), f"handed-{i}")
        kept = _count(row.get("kept"), f"kept-{i}")
        if not handed and not kept:
            continue
        kind = (row.get("kind") or "").strip()
        if kind not in KEY_KINDS:
            raise DomainError(_l("Choose the kind of key."), f"kind-{i}")
        if any(r.kind == kind for r in out):
            raise DomainError(_l("Each kind of key is listed once."), f"kind-{i}")
        out.append(KeyRow(kind, handed, kept))
    if not out:
        raise DomainError(_l("Enter the keys handed over, or skip the step with a reason."))
    return out


def _free_tag(estate_id: int, unit: Unit, kind: str) -> str:
    code = registry.KIND_CODES.get(kind, "QT")
    for n in range(1, 100):
        tag = registry.normalise_tag(f"{unit.code}-{code}-{n:02d}")
        if not db.session.scalar(sa.select(Key.id).where(Key.estate_id == estate_id,
                                                         Key.tag == tag)):
            return tag
    raise DomainError(_l("No free tag number for the key of this unit."))


def _valid_until(estate_id: int, value) -> datetime:
    tz = ZoneInfo(db.session.get(Estate, estate_id).timezone)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    return datetime.combine(value, time(23, 59), tz) if value else None


@transactional
def hand_over_keys(actor: User, case: MoveinCase, rows: list[dict], authorised: list[dict],
                   now: datetime, *, cabinet: str = "", slot: str = "") -> object:
    """移交钥匙: record the keys handed over; those the owner leaves go into custody.

    Kept keys are registered (tag 房号-类型代码-NN) with the copies kept, deposited by the case's
    owner, and the people of ``authorised`` (name, phone, id_tail, valid_until) may borrow them.
    """
    checked = key_rows(rows)
    case = cases.check_workable(case)
    unit = db.session.get(Unit, case.unit_id)
    kept_rows = [r for r in checked if r.kept]
    owner = None
    if kept_rows:
        owners = custody.unit_owners(unit.id)
        owner = next((p for p in owners if p.id == case.person_id), owners[0] if owners else None)
        if owner is None:
            raise DomainError(_l("Keys left with the desk are deposited by the owner: register "
                                 "the owner (登记住户) first."))
    estate = db.session.get(Estate, unit.estate_id)
    people = [a for a in authorised if any(str(v or "").strip() for v in a.values())]
    keys = []
    for row in checked:
        entry = {"kind": row.kind, "handed": row.handed, "kept": row.kept}
        if row.kept:
            key = registry.register_key(actor, estate, {
                "tag": _free_tag(estate.id, unit, row.kind), "unit_code": unit.code,
                "kind": row.kind, "copies": row.kept, "cabinet": cabinet, "slot": slot,
                "note": "入住移交"})
            held = custody.deposit_key(actor, key, depositor=owner, copies=row.kept,
                                       note="入住时业主留存", now=now)
            for i, person in enumerate(people):
                data = dict(person)
                data["valid_until"] = _valid_until(estate.id, data.get("valid_until"))
                if data["valid_until"] is None:
                    raise DomainError(_l("Enter until when the authorisation holds, e.g. "
                                         "2026-12-31 18:00."), f"valid_until-{i}")
                try:
                    custody.authorise(actor, held, data, now=now)
                except DomainError as e:
                    raise DomainError(e.message, f"{e.field}-{i}" if e.field else None) from None
            entry.update(key_id=key.id, tag=key.tag, custody_id=held.id)
        keys.append(entry)
    data = {"keys": keys, "authorised": [str(p.get("name") or "").strip() for p in people]}
    return cases.mark_done(actor, case, "keys", data, now)


# 首期缴费 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeProposal:
    """The first fees proposed from the tariffs: prepaid management fee and deposit."""

    months: int
    fee_item: FeeItem | None
    rate: Decimal | None
    area: Decimal | None
    prepaid: Decimal
    deposit: Decimal
    explanation: str
    problem: str = ""

    @property
    def total(self) -> Decimal:
        return self.prepaid + self.deposit


def management_item(estate_id: int) -> FeeItem | None:
    """Return the fee item of the management fee: the one set up, else the first area item."""
    setup = settings_of(estate_id)
    if setup.fee_item_id:
        item = db.session.get(FeeItem, setup.fee_item_id)
        if item is not None and item.active:
            return item
    return db.session.scalars(sa.select(FeeItem).where(
        FeeItem.estate_id == estate_id, FeeItem.method == "area", FeeItem.active.is_(True))
        .order_by(FeeItem.code, FeeItem.id).limit(1)).first()


def propose_fees(unit: Unit, months: int | None, today) -> FeeProposal:
    """Propose the prepaid management fee for N months and the decoration deposit."""
    setup = settings_of(unit.estate_id)
    months = months or setup.prepaid_months
    item = management_item(unit.estate_id)
    deposit = setup.decoration_deposit or Decimal("0.00")
    if item is None:
        return FeeProposal(months, None, None, None, Decimal("0.00"), deposit, "",
                           str(_l("No management fee item by area is set up.")))
    tariff = tariffs.TariffBook(unit.estate_id, today).for_unit(item.id, unit)
    area = unit.gross_area if item.area_basis != "inner" else unit.inner_area
    if tariff is None or not area:
        why = _l("No tariff of %(item)s is in force.", item=item.name) if tariff is None \
            else _l("The unit has no area recorded.")
        return FeeProposal(months, item, None, area, Decimal("0.00"), deposit, "", str(why))
    amount = quantize_money(area * tariff.price * months)
    text = (f"{item.name} {area:,.2f} m² × {tariff.price:.4f} 元/m²·月 × {months} 月 = "
            f"{amount:,.2f}")
    return FeeProposal(months, item, tariff.price, area, amount, deposit, text)


@transactional
def take_first_fees(actor: User, case: MoveinCase, *, months, prepaid, deposit, method: str,
                    idempotency_key: str, payer: str = "", reference: str = "",
                    now: datetime):
    """首期缴费: the prepaid management fee and the decoration deposit, one payment, one receipt.

    Either part may be 0 (not both); a form posted twice records one payment.
    """
    months = registry.whole_number(months, "months", low=1, high=MAX_MONTHS,
                                   message=_l("The months paid in advance are a whole number "
                                              "from 1 to 36."))
    prepaid = _money(prepaid, "prepaid")
    deposit = _money(deposit, "deposit")
    if prepaid + deposit <= 0:
        raise DomainError(_l("Enter the prepaid management fee, the decoration deposit or "
                             "both."), "prepaid")
    case = cases.check_workable(case)
    unit = db.session.get(Unit, case.unit_id)
    today = cases.local_date(case.estate_id, now)
    item = management_item(case.estate_id)
    label = f"预交{item.name if item else '物业费'}（{months}个月）"
    if prepaid > 0:
        payment = payments.take_payment(
            actor, unit, amount=prepaid + deposit, method=method,
            idempotency_key=idempotency_key, payer=payer, reference=reference,
            purpose="prepaid", deposit_amount=deposit if deposit > 0 else None,
            deposit_kind=DECORATION_DEPOSIT, prepaid_label=label,
            note="入住首期缴费", today=today)
    else:
        payment = payments.take_payment(
            actor, unit, amount=deposit, method=method, idempotency_key=idempotency_key,
            payer=payer, reference=reference, purpose="deposit",
            deposit_kind=DECORATION_DEPOSIT, note="入住首期缴费", today=today)
    receipt = receipt_of(payment)
    return cases.mark_done(actor, case, "fees", {
        "months": months, "prepaid": f"{prepaid:.2f}", "deposit": f"{deposit:.2f}",
        "total": f"{payment.amount:.2f}", "payment_id": payment.id,
        "receipt_id": receipt.id, "receipt_no": receipt.number,
        "method": payment.method}, now)


def _money(value, field: str) -> Decimal:
    if value in (None, ""):
        return Decimal("0.00")
    if isinstance(value, Decimal) and value == 0:
        return Decimal("0.00")
    return payments.check_amount(value, field)
