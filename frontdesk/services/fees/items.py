"""Keeping fee items (收费项目) and their tariff versions (收费标准): estate, building, unit."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk import labels
from frontdesk.extensions import db
from frontdesk.models import BillLine, Building, Estate, FeeItem, Tariff, Unit, User
from frontdesk.models.fees import AREA_BASES, FEE_METHODS, METER_KINDS, TARIFF_SCOPES, TIER_MODES
from frontdesk.services import DomainError, audit, transactional
from frontdesk.services.fees import tariffs
from frontdesk.services.fees.calc import Tier
from frontdesk.services.register.records import clean_text
from frontdesk.services.validation import record_id

METHOD_LABELS = labels.FEE_METHOD_LABELS
AREA_BASIS_LABELS = labels.AREA_BASIS_LABELS
METER_KIND_LABELS = labels.FEE_METER_KIND_LABELS
TIER_MODE_LABELS = labels.TIER_MODE_LABELS
SCOPE_LABELS = labels.TARIFF_SCOPE_LABELS
#: what consumption is counted in, by meter kind (symbols, the same in every language)
QUANTITY_UNITS = labels.METER_UNITS

CODE_RE = re.compile(r"[A-Za-z0-9]{1,16}")
NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)
MAX_PRICE = Decimal("100000")
MAX_TIER_UPTO = Decimal("1000000000")
MAX_TIERS = 10
RATE_PLACES = Decimal("0.0001")


def price_unit(item: FeeItem):
    """Return what the item's tariff price is counted in, e.g. 元/m²·月 or 元/kWh."""
    if item.method == "area":
        return _l("yuan per m² per month")
    if item.method == "fixed":
        return _l("yuan per unit per month") if item.cycle_months == 1 else _l(
            "yuan per unit per billing cycle")
    return _l("yuan per %(unit)s", unit=QUANTITY_UNITS.get(item.meter_kind or "", ""))


# parsing ---------------------------------------------------------------------------------------


def _int(value: Any, field_name: str, label, lo: int, hi: int) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise DomainError(_l("%(label)s must be a whole number.", label=label),
                          field_name) from None
    if not lo <= number <= hi:
        raise DomainError(_l("%(label)s must be between %(lo)s and %(hi)s.",
                             label=label, lo=lo, hi=hi), field_name)
    return number


def parse_decimal(value: Any, field_name: str, label, *, places: int = 4) -> Decimal | None:
    """Read a number typed by a user (full-width digits and thousands commas allowed).

    Blank gives None; letters, exponents, NaN and more than ``places`` decimals are refused.
    """
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("floats are not accepted; pass a Decimal or a string")
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)
        if not number.is_finite():
            raise DomainError(_l("%(label)s must be a number.", label=label), field_name)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        if not text:
            return None
        if not NUMBER_RE.fullmatch(text):
            raise DomainError(_l("%(label)s must be a number, e.g. 2.35.", label=label),
                              field_name)
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise DomainError(_l("%(label)s must be a number, e.g. 2.35.", label=label),
                              field_name) from None
    if abs(number) >= 10**12:
        raise DomainError(_l("%(label)s is far too large; please check it.", label=label),
                          field_name)
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise DomainError(_l("%(label)s may have at most %(n)s decimals.", label=label, n=places),
                          field_name)
    return number


def _ratio(value: Any, field_name: str, label, hi: Decimal, default: Decimal) -> Decimal:
    number = parse_decimal(value, field_name, label)
    if number is None:
        return default
    if not Decimal(0) <= number <= hi:
        raise DomainError(_l("%(label)s must be between 0 and %(hi)s.", label=label, hi=hi),
                          field_name)
    return number.quantize(RATE_PLACES)


def parse_price(value: Any, field_name: str = "price", label=None) -> Decimal:
    """Read a tariff price: more than 0, at most 100000, at most four decimals."""
    label = label if label is not None else _l("Price")
    price = parse_decimal(value, field_name, label)
    if price is None:
        raise DomainError(_l("Please enter the price."), field_name)
    if price <= 0:
        raise DomainError(_l("%(label)s must be greater than 0.", label=label), field_name)
    if price > MAX_PRICE:
        raise DomainError(_l("%(label)s must not be more than 100000; please check it.",
                             label=label), field_name)
    return price.quantize(RATE_PLACES)


def _plain_number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def parse_tiers(rows: list[dict] | None) -> list[dict] | None:
    """Check tier rows and return them as stored: ascending ``upto``, the last one open.

    Rows with neither a limit nor a price are ignored; no rows left gives None.
    """
    if not rows:
        return None
    cleaned: list[tuple[Decimal | None, Decimal]] = []
    filled = [r for r in rows
              if str(r.get("upto") or "").strip() or str(r.get("price") or "").strip()]
    if not filled:
        return None
    if len(filled) > MAX_TIERS:
        raise DomainError(_l("At most %(n)s tiers are allowed.", n=MAX_TIERS), "tiers")
    for n, row in enumerate(filled, 1):
        upto = parse_decimal(row.get("upto"), "tiers", _l("Tier %(n)s limit", n=n))
        price = parse_price(row.get("price"), "tiers", _l("Tier %(n)s price", n=n))
        last = n == len(filled)
        if upto is None and not last:
            raise DomainError(_l("Only the last tier may be open (without an upper limit); "
                                 "tier %(n)s needs one.", n=n), "tiers")
        if upto is not None and last:
            raise DomainError(_l("The last tier must be open: leave its upper limit blank so "
                                 "that it covers all further consumption."), "tiers")
        if upto is not None:
            if upto <= 0 or upto >= MAX_TIER_UPTO:
                raise DomainError(_l("The limit of tier %(n)s must be greater than 0 and less "
                                     "than 1000000000.", n=n), "tiers")
            if cleaned and cleaned[-1][0] is not None and upto <= cleaned[-1][0]:
                raise DomainError(_l("Tier limits must go up: tier %(n)s ends at %(upto)s, not "
                                     "above the %(prev)s of the tier before it.",
                                     n=n, upto=_plain_number(upto),
                                     prev=_plain_number(cleaned[-1][0])), "tiers")
        cleaned.append((upto, price))
    if len(cleaned) < 2:
        raise DomainError(_l("Tiers need at least two rows; for one price leave the tiers "
                             "blank and enter the price."), "tiers")
    return [{"upto": None if u is None else _plain_number(u), "price": _plain_number(p)}
            for u, p in cleaned]


# fee items -------------------------------------------------------------------------------------


def _fee_item_values(estate_id: int, data: dict, fee_item_id: int | None = None) -> dict:
    code = clean_text(data.get("code"), "code", _l("Code"), max_len=16).upper()
    if not CODE_RE.fullmatch(code):
        raise DomainError(_l("The code may hold only letters and digits (at most 16), e.g. WYF."),
                          "code")
    clash = db.session.scalar(sa.select(FeeItem.id).where(
        FeeItem.estate_id == estate_id, sa.func.upper(FeeItem.code) == code,
        FeeItem.id != (fee_item_id or 0)))
    if clash:
        raise DomainError(_l("The code %(code)s is already used in this estate.", code=code),
                          "code")
    name = clean_text(data.get("name"), "name", _l("Item name"), max_len=64)
    method = data.get("method") or ""
    if method not in FEE_METHODS:
        raise DomainError(_l("Please choose how the fee is computed."), "method")
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "method": method,
        "cycle_months": _int(data.get("cycle_months", 1), "cycle_months",
                             _l("Billing cycle (months)"), 1, 12),
        "due_day": _int(data.get("due_day", 15), "due_day", _l("Due day"), 1, 28),
        "late_grace_days": _int(data.get("late_grace_days", 0), "late_grace_days",
                                _l("Grace days"), 0, 365),
        "late_daily_rate": _ratio(data.get("late_daily_rate"), "late_daily_rate",
                                  _l("Late fee per day"), Decimal("0.01"), Decimal(0)),
        "late_cap_ratio": _ratio(data.get("late_cap_ratio"), "late_cap_ratio",
                                 _l("Late fee cap"), Decimal(1), Decimal(1)),
        "active": bool(data.get("active", True)),
    }
    area_basis = data.get("area_basis") or "gross"
    if method == "area" and area_basis not in AREA_BASES:
        raise DomainError(_l("Please choose the area the fee is computed on."), "area_basis")
    values["area_basis"] = area_basis if method == "area" else "gross"
    meter_kind = data.get("meter_kind") or None
    if method in ("metered", "apportioned"):
        if meter_kind not in METER_KINDS:
            raise DomainError(_l("Please choose the kind of meter the fee reads."), "meter_kind")
        values["meter_kind"] = meter_kind
    else:
        values["meter_kind"] = None
    tier_mode = data.get("tier_mode") or "none"
    if tier_mode not in TIER_MODES:
        raise DomainError(_l("Invalid tier mode."), "tier_mode")
    if method != "metered" and tier_mode != "none":
        raise DomainError(_l("Only fees by consumption can have tiered prices."), "tier_mode")
    values["tier_mode"] = tier_mode
    discount = _ratio(data.get("vacancy_discount"), "vacancy_discount",
                      _l("Vacancy discount"), Decimal(1), Decimal(0))
    if method != "area" and discount:
        raise DomainError(_l("Only fees by area can have a vacancy discount."),
                          "vacancy_discount")
    values["vacancy_discount"] = discount
    return values


def stage_fee_item(actor: User | None, estate: Estate, data: dict) -> FeeItem:
    """Add a fee item to the current transaction, for callers that commit many at once."""
    item = FeeItem(estate_id=estate.id, **_fee_item_values(estate.id, data))
    db.session.add(item)
    audit.record(actor, "create", item, after=audit.snapshot(item))
    return item


def one_off_item(actor: User | None, estate: Estate, code: str, name: str) -> FeeItem:
    """Return the estate's fee item of this code, adding it if new: an item of one-off charges
    (a key replacement, a chargeable repair), inactive so that bill runs leave it out."""
    item = db.session.scalar(sa.select(FeeItem).where(
        FeeItem.estate_id == estate.id, sa.func.upper(FeeItem.code) == code.upper()))
    if item is not None:
        return item
    return stage_fee_item(actor, estate, {"code": code, "name": name, "method": "fixed",
                                          "cycle_months": 1, "due_day": 15, "active": False})


@transactional
def create_fee_item(actor: User, estate: Estate, data: dict) -> FeeItem:
    """Add a fee item to an estate."""
    return stage_fee_item(actor, estate, data)


@transactional
def update_fee_item(actor: User, fee_item: FeeItem, data: dict) -> FeeItem:
    """Change a fee item; its method stays as it is once it has been billed."""
    before = audit.snapshot(fee_item)
    values = _fee_item_values(fee_item.estate_id, data, fee_item.id)
    if values["method"] != fee_item.method:
        billed = db.session.scalar(
            sa.select(BillLine.id).where(BillLine.fee_item_id == fee_item.id).limit(1))
        if billed:
            raise DomainError(_l("The method cannot change: this fee item has already been "
                                 "billed. Create a new fee item instead."), "method")
    if values["tier_mode"] == "none" and fee_item.tier_mode != "none":
        tiered = db.session.scalar(sa.select(Tariff.id).where(
            Tariff.fee_item_id == fee_item.id, Tariff.tiers.is_not(None),
            Tariff.valid_to.is_(None)).limit(1))
        if tiered:
            raise DomainError(_l("A tariff without an end date has tiers: end it before turning "
                                 "tiers off."), "tier_mode")
    for key, value in values.items():
        setattr(fee_item, key, value)
    audit.record(actor, "update", fee_item, before=before, after=audit.snapshot(fee_item))
    return fee_item


def fee_items(estate_id: int) -> list[FeeItem]:
    """Return the estate's fee items, active ones first, by code."""
    return list(db.session.scalars(sa.select(FeeItem).where(FeeItem.estate_id == estate_id)
                                   .order_by(FeeItem.active.desc(), FeeItem.code)))


@dataclass(frozen=True)
class TierBand:
    """A tier as a page shows it: from the limit of the tier before (None for the first)."""

    lower: Decimal | None
    upto: Decimal | None
    price: Decimal


def tier_bands(tiers: list[Tier]) -> list[TierBand]:
    """Return tiers with the lower limit of each, the upper limit of the one before."""
    bands, lower = [], None
    for tier in tiers:
        bands.append(TierBand(lower, tier.upto, tier.price))
        lower = tier.upto
    return bands


@dataclass(frozen=True)
class ItemRow:
    """A fee item with its estate-wide tariff in force on a day."""

    item: FeeItem
    tariff: Tariff | None
    tiers: list[Tier] = field(default_factory=list)

    @property
    def bands(self) -> list[TierBand]:
        return tier_bands(self.tiers)

    @property
    def price_unit(self):
        return price_unit(self.item)

    @property
    def quantity_unit(self) -> str:
        return QUANTITY_UNITS.get(self.item.meter_kind or "", "")


def fee_items_with_current(estate: Estate, on: date) -> list[ItemRow]:
    """Return the estate's fee items with the estate-scope tariff in force on the day."""
    book = tariffs.TariffBook(estate.id, on)
    rows = []
    for item in fee_items(estate.id):
        current = book.for_building(item.id, None)
        rows.append(ItemRow(item, current,
                            tariffs.tiers_of(current) if current and current.tiers else []))
    return rows


# tariffs ---------------------------------------------------------------------------------------


def _scope_target(fee_item: FeeItem, data: dict) -> tuple[str, int | None, int | None]:
    scope = data.get("scope") or "estate"
    if scope not in TARIFF_SCOPES:
        raise DomainError(_l("Please choose what the tariff applies to."), "scope")
    if scope == "estate":
        return scope, None, None
    if scope == "building":
        building_id = record_id(data.get("building_id"))
        building = db.session.get(Building, building_id) if building_id else None
        if building is None or building.estate_id != fee_item.estate_id:
            raise DomainError(_l("Please choose a building of this estate."), "building_id")
        return scope, building.id, None
    code = clean_text(data.get("unit_code"), "unit_code", _l("Unit no."), max_len=40)
    unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == fee_item.estate_id,
                                                   Unit.code == code))
    if unit is None:
        raise DomainError(_l("There is no unit %(code)s in this estate.", code=code), "unit_code")
    return scope, None, unit.id


def _clash(tariff: Tariff) -> dict:
    """Return the words that name a clashing tariff: its dates and price."""
    return {"start": tariff.valid_from.isoformat(),
            "end": tariff.valid_to.isoformat() if tariff.valid_to else _l("open-ended"),
            "price": f"{tariff.price:.4f}"}


def _lock(fee_item: FeeItem) -> None:
    """Take the fee item's row lock so that two requests cannot add overlapping versions."""
    db.session.execute(sa.select(FeeItem.id).where(FeeItem.id == fee_item.id).with_for_update())


def stage_tariff(actor: User | None, fee_item: FeeItem, data: dict) -> Tariff:
    """Add a tariff version to the current transaction, for callers that commit many at once."""
    scope, building_id, unit_id = _scope_target(fee_item, data)
    valid_from = data.get("valid_from")
    valid_to = data.get("valid_to")
    if not isinstance(valid_from, date):
        raise DomainError(_l("Please enter the date the tariff starts."), "valid_from")
    if valid_to is not None and not isinstance(valid_to, date):
        raise DomainError(_l("Enter the date as year-month-day, e.g. 2026-11-24."), "valid_to")
    if valid_to is not None and valid_to < valid_from:
        raise DomainError(_l("The last day cannot be before the first day."), "valid_to")
    tiers = parse_tiers(data.get("tiers"))
    if tiers and fee_item.tier_mode not in ("period", "annual"):
        raise DomainError(_l("This fee item has no tiered prices: leave the tiers blank, or "
                             "first set the fee item's tier mode."), "tiers")
    raw_price = data.get("price")
    if tiers and (raw_price is None or not str(raw_price).strip()):
        price = parse_price(tiers[0]["price"])
    else:
        price = parse_price(raw_price)
    note = clean_text(data.get("note"), "note", _l("Note"), required=False, max_len=200)
    _lock(fee_item)
    clash = tariffs.overlapping(fee_item.id, scope, building_id, unit_id, valid_from, valid_to)
    if clash is not None:
        raise DomainError(_l("The dates overlap the tariff of %(start)s – %(end)s (price "
                             "%(price)s). End that one before this one starts, or choose other "
                             "dates.", **_clash(clash)), "valid_from")
    tariff = Tariff(estate_id=fee_item.estate_id, fee_item_id=fee_item.id, scope=scope,
                    building_id=building_id, unit_id=unit_id, valid_from=valid_from,
                    valid_to=valid_to, price=price, tiers=tiers, note=note,
                    created_by_id=actor.id if actor else None)
    db.session.add(tariff)
    audit.record(actor, "create", tariff, after=audit.snapshot(tariff))
    return tariff


@transactional
def add_tariff(actor: User, fee_item: FeeItem, data: dict) -> Tariff:
    """Add a tariff version for the estate, a building or a unit, refusing overlapping dates."""
    return stage_tariff(actor, fee_item, data)


@transactional
def end_tariff(actor: User, tariff: Tariff, valid_to: date | None) -> Tariff:
    """Set a tariff version's last day, so that a new version can start after it."""
    if not isinstance(valid_to, date):
        raise DomainError(_l("Please enter the last day of the tariff."), "valid_to")
    if valid_to < tariff.valid_from:
        raise DomainError(_l("The last day cannot be before the first day (%(d)s).",
                             d=tariff.valid_from.isoformat()), "valid_to")
    _lock(tariff.fee_item)
    clash = tariffs.overlapping(tariff.fee_item_id, tariff.scope, tariff.building_id,
                                tariff.unit_id, tariff.valid_from, valid_to, exclude_id=tariff.id)
    if clash is not None:
        raise DomainError(_l("The dates overlap the tariff of %(start)s – %(end)s (price "
                             "%(price)s).", **_clash(clash)), "valid_to")
    before = audit.snapshot(tariff)
    tariff.valid_to = valid_to
    audit.record(actor, "end", tariff, before=before, after=audit.snapshot(tariff))
    return tariff


@dataclass(frozen=True)
class TariffRow:
    """One version of a tariff as the history shows it."""

    tariff: Tariff
    tiers: list[Tier]
    created_by: str
    in_force: bool

    @property
    def bands(self) -> list[TierBand]:
        return tier_bands(self.tiers)


@dataclass
class TariffGroup:
    """The versions of one scope target (the estate, one building or one unit), oldest first."""

    scope: str
    target: str
    rows: list[TariffRow]


def tariff_history(fee_item: FeeItem, on: date) -> list[TariffGroup]:
    """Return the item's tariff versions grouped by estate, building and unit, oldest first."""
    by_scope = tariffs.history(fee_item.id)
    versions = [t for scope in TARIFF_SCOPES for t in by_scope.get(scope, [])]
    user_ids = {t.created_by_id for t in versions if t.created_by_id}
    names = {row.id: row.full_name for row in db.session.execute(
        sa.select(User.id, User.full_name).where(User.id.in_(user_ids)))} if user_ids else {}
    building_ids = {t.building_id for t in versions if t.building_id}
    unit_ids = {t.unit_id for t in versions if t.unit_id}
    buildings = {b.id: b for b in db.session.scalars(
        sa.select(Building).where(Building.id.in_(building_ids)))} if building_ids else {}
    units = {u.id: u for u in db.session.scalars(
        sa.select(Unit).where(Unit.id.in_(unit_ids)))} if unit_ids else {}
    groups: dict[tuple, TariffGroup] = {}
    for t in versions:
        if t.scope == "building":
            b = buildings.get(t.building_id)
            key, target = ("building", b.sort_key if b else ""), b.label if b else ""
        elif t.scope == "unit":
            u = units.get(t.unit_id)
            key, target = ("unit", u.code if u else ""), u.code if u else ""
        else:
            key, target = ("estate", ""), ""
        group = groups.setdefault(key, TariffGroup(t.scope, target, []))
        in_force = t.valid_from <= on and (t.valid_to is None or t.valid_to >= on)
        group.rows.append(TariffRow(t, tariffs.tiers_of(t) if t.tiers else [],
                                    names.get(t.created_by_id, ""), in_force))
    order = {s: n for n, s in enumerate(TARIFF_SCOPES)}
    return [groups[k] for k in sorted(groups, key=lambda k: (order[k[0]], k[1]))]


def buildings_of(estate_id: int) -> list[Building]:
    """Return the estate's buildings, for choosing a tariff's building."""
    return list(db.session.scalars(sa.select(Building).where(Building.estate_id == estate_id)
                                   .order_by(Building.sort_key)))
