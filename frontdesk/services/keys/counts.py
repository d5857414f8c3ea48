"""Counting the key cabinet (盘点): what the register expects against what is found.

A count snapshots every key the service centre should hold (all but those returned to their
owners) with the status the register gave it. Keys are then marked found or missing one by one
or by scanning tag numbers; finishing records every key expected in the cabinet and not found as
missing. The report accounts for keys out on loan with the loan that was open when the count
started.

Concurrency: starting a count takes the estate row's lock (``FOR NO KEY UPDATE`` on PostgreSQL),
so two desks cannot start two counts at once; marks and finishing lock the count's row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from frontdesk.extensions import db
from frontdesk.models import Estate, Key, KeyCount, KeyCountItem, KeyLoan, Unit, User
from frontdesk.services import DomainError, audit, transactional

#: the statuses a count expects; "returned" keys are no longer held and are left out
COUNTED_STATUSES = ("in_cabinet", "on_loan", "lost")
#: the report's groups, in the order they are shown and printed
GROUPS = ("cabinet_found", "cabinet_missing", "cabinet_unchecked", "on_loan", "discrepancy",
          "lost")
#: most tags one scan may hold (a cabinet is a few hundred keys)
MAX_SCAN_TAGS = 2000
MAX_SCAN_CHARS = 40000
TAG_MAX_LENGTH = 32
_TAG_SEPARATORS = re.compile(r"[\s,;，、；]+")


def parse_tags(text: str) -> list[str]:
    """Split typed or scanned tags (lines, spaces, commas) into tags, once each, in order.

    Full-width letters and digits from a Chinese input method become their ASCII forms.
    """
    text = unicodedata.normalize("NFKC", text or "")
    seen: set[str] = set()
    tags = []
    for tag in _TAG_SEPARATORS.split(text):
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    return tags


# --- reading ----------------------------------------------------------------------------------


def open_count(estate_id: int) -> KeyCount | None:
    """Return the estate's unfinished count, if any."""
    return db.session.scalar(sa.select(KeyCount).where(
        KeyCount.estate_id == estate_id, KeyCount.finished_at.is_(None)
    ).order_by(KeyCount.id.desc()).limit(1))


def countable_keys(estate_id: int) -> int:
    """Return how many keys a count started now would list."""
    return db.session.scalar(sa.select(sa.func.count(Key.id)).where(
        Key.estate_id == estate_id, Key.status.in_(COUNTED_STATUSES))) or 0


@dataclass
class Tally:
    """How far a count has got: items, and how many are found, missing and unmarked."""

    items: int = 0
    found: int = 0
    missing: int = 0
    unmarked: int = 0
    #: keys expected in the cabinet and not (yet) found
    cabinet_unmarked: int = 0
    cabinet_missing: int = 0


def tallies(count_ids: list[int]) -> dict[int, Tally]:
    """Return the tally of each count, in one query."""
    found = sa.case((KeyCountItem.found.is_(True), 1), else_=0)
    missing = sa.case((KeyCountItem.found.is_(False), 1), else_=0)
    unmarked = sa.case((KeyCountItem.found.is_(None), 1), else_=0)
    in_cabinet = KeyCountItem.expected_status == "in_cabinet"
    cab_unmarked = sa.case((sa.and_(in_cabinet, KeyCountItem.found.is_(None)), 1), else_=0)
    cab_missing = sa.case((sa.and_(in_cabinet, KeyCountItem.found.is_(False)), 1), else_=0)
    rows = db.session.execute(
        sa.select(KeyCountItem.count_id, sa.func.count(KeyCountItem.id), sa.func.sum(found),
                  sa.func.sum(missing), sa.func.sum(unmarked), sa.func.sum(cab_unmarked),
                  sa.func.sum(cab_missing))
        .where(KeyCountItem.count_id.in_(count_ids)).group_by(KeyCountItem.count_id))
    result = {cid: Tally() for cid in count_ids}
    for cid, *figures in rows:
        result[cid] = Tally(*(int(f or 0) for f in figures))
    return result


def list_counts(estate_id: int, page: int = 1, per_page: int = 30):
    """Return a page of the estate's counts, newest first."""
    q = sa.select(KeyCount).where(KeyCount.estate_id == estate_id).order_by(KeyCount.id.desc())
    return db.paginate(q, page=page, per_page=per_page, error_out=False)


@dataclass
class ItemRow:
    """One item of a count, with its key and where the key belongs."""

    item: KeyCountItem
    key: Key
    #: the unit code, or the public area
    place: str


def item_rows(count: KeyCount, cabinet: str | None = None,
              state: str | None = None) -> list[ItemRow]:
    """Return the count's items by cabinet, slot and tag; optionally of one cabinet or state.

    state: "unmarked", "found" or "missing".
    """
    q = (sa.select(KeyCountItem, Key, Unit.code)
         .join(Key, Key.id == KeyCountItem.key_id)
         .outerjoin(Unit, Unit.id == Key.unit_id)
         .where(KeyCountItem.count_id == count.id)
         .order_by(Key.cabinet, Key.slot, Key.tag))
    if cabinet is not None:
        q = q.where(Key.cabinet == cabinet)
    if state == "unmarked":
        q = q.where(KeyCountItem.found.is_(None))
    elif state == "found":
        q = q.where(KeyCountItem.found.is_(True))
    elif state == "missing":
        q = q.where(KeyCountItem.found.is_(False))
    return [ItemRow(item, key, code if key.unit_id else key.area)
            for item, key, code in db.session.execute(q)]


def count_item(count_item_id: int) -> KeyCountItem | None:
    """Return a count item by id, if there is one."""
    return db.session.get(KeyCountItem, count_item_id)


def cabinets(count: KeyCount) -> list[str]:
    """Return the cabinets of the count's keys, for the filter."""
    return list(db.session.scalars(
        sa.select(Key.cabinet).join(KeyCountItem, KeyCountItem.key_id == Key.id)
        .where(KeyCountItem.count_id == count.id).distinct().order_by(Key.cabinet)))


# --- starting, marking, finishing -------------------------------------------------------------


def _lock_count(count: KeyCount) -> None:
    """Lock the count's row and refuse changes to a finished count."""
    db.session.execute(sa.select(KeyCount.id).where(KeyCount.id == count.id)
                       .with_for_update(key_share=True))
    db.session.refresh(count)
    if count.finished_at is not None:
        raise DomainError(_l("This count is finished; it can no longer be changed."))


@transactional
def start_count(actor: User, estate: Estate, now: datetime, note: str = "") -> KeyCount:
    """Start a count of the estate's keys: every key not returned to its owner, as registered."""
    db.session.execute(sa.select(Estate.id).where(Estate.id == estate.id)
                       .with_for_update(key_share=True))
    if open_count(estate.id) is not None:
        raise DomainError(_l("A count is already in progress. Finish it before starting "
                             "another."))
    keys = db.session.execute(sa.select(Key.id, Key.status).where(
        Key.estate_id == estate.id, Key.status.in_(COUNTED_STATUSES)).order_by(Key.id)).all()
    if not keys:
        raise DomainError(_l("The estate holds no keys to count."))
    count = KeyCount(estate_id=estate.id, started_at=now, started_by_id=actor.id,
                     note=(note or "").strip()[:200])
    db.session.add(count)
    db.session.flush()
    db.session.add_all(KeyCountItem(count_id=count.id, key_id=key_id, expected_status=status)
                       for key_id, status in keys)
    by_status = {s: sum(1 for _, st in keys if st == s) for s in COUNTED_STATUSES}
    audit.record(actor, "start", count, after={
        "started_at": now.isoformat(), "items": len(keys), **by_status, "note": count.note})
    return count


@transactional
def mark_item(actor: User, item: KeyCountItem, found: bool, now: datetime,
              note: str = "") -> KeyCountItem:
    """Mark one key of an open count found in the cabinet or missing, with a note."""
    count = item.count
    _lock_count(count)
    was = item.found
    item.found = bool(found)
    item.marked_at = now
    item.note = (note or "").strip()[:200]
    audit.record(actor, "mark", count, after={
        "key_count_item": item.id, "tag": item.key.tag, "found": item.found,
        "was_found": was, "note": item.note})
    return item


@dataclass
class ScanResult:
    """What a scan did with each tag it held."""

    #: tags of keys now marked found
    found: list[str] = field(default_factory=list)
    #: tags already marked found (scanned twice): nothing changed
    already: list[str] = field(default_factory=list)
    #: tags of keys of the estate that are not in this count (returned, or added after start)
    not_in_count: list[str] = field(default_factory=list)
    #: tags no key of the estate has
    unknown: list[str] = field(default_factory=list)
    #: the tags of not_in_count and unknown, in the order they were scanned
    problems: list[str] = field(default_factory=list)


@transactional
def scan_tags(actor: User, count: KeyCount, text: str, now: datetime) -> ScanResult:
    """Mark found the keys whose tags were scanned or typed; report tags that match no item."""
    if len(text or "") > MAX_SCAN_CHARS:
        raise DomainError(_l("Too much text at once: scan at most %(n)s tags per batch.",
                             n=MAX_SCAN_TAGS), field="tags")
    tags = parse_tags(text)
    if not tags:
        raise DomainError(_l("Scan or type at least one tag number."), field="tags")
    if len(tags) > MAX_SCAN_TAGS:
        raise DomainError(_l("Too much text at once: scan at most %(n)s tags per batch.",
                             n=MAX_SCAN_TAGS), field="tags")
    _lock_count(count)
    items = {key_tag.lower(): item for item, key_tag in db.session.execute(
        sa.select(KeyCountItem, Key.tag).join(Key, Key.id == KeyCountItem.key_id)
        .where(KeyCountItem.count_id == count.id))}
    result = ScanResult()
    elsewhere = [t.lower() for t in tags if t.lower() not in items and len(t) <= TAG_MAX_LENGTH]
    in_estate: set[str] = set()
    if elsewhere:
        in_estate = {tag.lower() for tag in db.session.scalars(sa.select(Key.tag).where(
            Key.estate_id == count.estate_id, sa.func.lower(Key.tag).in_(elsewhere)))}
    for tag in tags:
        item = items.get(tag.lower())
        if item is None:
            (result.not_in_count if tag.lower() in in_estate else result.unknown).append(tag)
            result.problems.append(tag)
        elif item.found:
            result.already.append(tag)
        else:
            item.found = True
            item.marked_at = now
            result.found.append(tag)
    audit.record(actor, "scan", count, after={
        "found": result.found, "already": result.already,
        "not_in_count": result.not_in_count, "unknown": result.unknown})
    return result


class MissingNotConfirmed(DomainError):
    """Finishing would record unmarked keys missing, and the user has not confirmed that number."""

    def __init__(self, tags: list[str]):
        super().__init__(_l("%(n)s keys expected in the cabinet are not marked: finishing "
                            "records them as missing. Please confirm.", n=len(tags)))
        #: the tags of the keys that would be recorded missing
        self.tags = tags


@transactional
def finish_count(actor: User, count: KeyCount, now: datetime,
                 confirmed_missing: int | None = None) -> KeyCount:
    """Close a count: every key expected in the cabinet and not marked is recorded missing.

    When there are such keys, ``confirmed_missing`` must be their number, as the user was shown
    it; otherwise :class:`MissingNotConfirmed` names them and nothing changes (a key marked or
    scanned meanwhile changes the number, and the user is asked again).
    """
    _lock_count(count)
    unmarked = db.session.execute(
        sa.select(KeyCountItem, Key.tag).join(Key, Key.id == KeyCountItem.key_id).where(
            KeyCountItem.count_id == count.id, KeyCountItem.found.is_(None),
            KeyCountItem.expected_status == "in_cabinet").order_by(Key.tag)).all()
    if unmarked and confirmed_missing != len(unmarked):
        raise MissingNotConfirmed([tag for _item, tag in unmarked])
    for item, _tag in unmarked:
        item.found = False
        item.marked_at = now
    count.finished_at = now
    db.session.flush()
    tally = tallies([count.id])[count.id]
    audit.record(actor, "finish", count, after={
        "finished_at": now.isoformat(), "items": tally.items, "found": tally.found,
        "missing": tally.missing, "missing_at_finish": [tag for _item, tag in unmarked]})
    return count


# --- the report -------------------------------------------------------------------------------


@dataclass
class ReportRow:
    """One key in the report, with its loan where it is out."""

    tag: str
    place: str
    kind: str
    cabinet: str
    slot: str
    copies: int
    expected_status: str
    found: bool | None
    marked_at: datetime | None
    note: str
    #: the loan open when the count started (for keys out on loan)
    loan: KeyLoan | None = None
    #: the loan is still out past its expected return
    overdue: bool = False


@dataclass
class ReportGroup:
    code: str
    rows: list[ReportRow]

    @property
    def keys(self) -> int:
        return len(self.rows)

    @property
    def copies(self) -> int:
        return sum(r.copies for r in self.rows)


@dataclass
class CountReport:
    count: KeyCount
    groups: list[ReportGroup]
    started_by: str
    #: the moment the report describes: the finish, or now for a count in progress
    as_of: datetime

    def group(self, code: str) -> ReportGroup:
        return next(g for g in self.groups if g.code == code)

    @property
    def items(self) -> int:
        return sum(g.keys for g in self.groups)

    @property
    def copies(self) -> int:
        return sum(g.copies for g in self.groups)

    @property
    def shown(self) -> list[ReportGroup]:
        """The groups the report shows: all but an empty "not checked" group."""
        return [g for g in self.groups if g.rows or g.code != "cabinet_unchecked"]


def _group_of(expected: str, found: bool | None) -> str:
    if expected == "in_cabinet":
        return {True: "cabinet_found", False: "cabinet_missing"}.get(found, "cabinet_unchecked")
    if found:
        return "discrepancy"
    return "on_loan" if expected == "on_loan" else "lost"


def _loans_at(count: KeyCount, key_ids: list[int]) -> dict[int, KeyLoan]:
    """Return the loan of each key that was open when the count started (the latest one)."""
    if not key_ids:
        return {}
    loans = db.session.scalars(sa.select(KeyLoan).where(
        KeyLoan.estate_id == count.estate_id, KeyLoan.key_id.in_(key_ids),
        KeyLoan.lent_at <= count.started_at,
        sa.or_(KeyLoan.returned_at.is_(None), KeyLoan.returned_at > count.started_at),
    ).order_by(KeyLoan.lent_at, KeyLoan.id))
    return {loan.key_id: loan for loan in loans}


def report(count: KeyCount, now: datetime) -> CountReport:
    """Return the count's keys in groups: expected in the cabinet and found or missing, out on
    loan (with the open loan), found though registered out or lost, and lost."""
    rows = db.session.execute(
        sa.select(KeyCountItem, Key, Unit.code)
        .join(Key, Key.id == KeyCountItem.key_id)
        .outerjoin(Unit, Unit.id == Key.unit_id)
        .where(KeyCountItem.count_id == count.id)
        .order_by(Key.cabinet, Key.slot, Key.tag)).all()
    loans = _loans_at(count, [key.id for item, key, _ in rows
                              if item.expected_status == "on_loan"])
    as_of = count.finished_at or now
    groups = {code: ReportGroup(code, []) for code in GROUPS}
    for item, key, code in rows:
        loan = loans.get(key.id) if item.expected_status == "on_loan" else None
        groups[_group_of(item.expected_status, item.found)].rows.append(ReportRow(
            tag=key.tag, place=code if key.unit_id else key.area, kind=key.kind,
            cabinet=key.cabinet, slot=key.slot, copies=key.copies,
            expected_status=item.expected_status, found=item.found, marked_at=item.marked_at,
            note=item.note, loan=loan,
            overdue=bool(loan and loan.returned_at is None and loan.expected_return_at < as_of)))
    started_by = db.session.get(User, count.started_by_id)
    return CountReport(count=count, groups=[groups[c] for c in GROUPS],
                       started_by=started_by.full_name if started_by else "", as_of=as_of)


def _report_row(row: ReportRow, local) -> dict:
    loan = row.loan
    return {
        "tag": row.tag, "place": row.place, "kind": row.kind, "cabinet": row.cabinet,
        "slot": row.slot, "copies": row.copies, "expected_status": row.expected_status,
        "note": row.note, "marked_at": local(row.marked_at),
        "borrower": loan.borrower_name if loan else "",
        "lent_at": local(loan.lent_at) if loan else "",
        "expected_return_at": local(loan.expected_return_at) if loan else "",
        "returned_at": local(loan.returned_at) if loan else "",
        "overdue": row.overdue,
    }


def report_document(report: CountReport, *, printed_by: str) -> dict:
    """Return the plain data of the printed count report (:func:`frontdesk.pdf.key_count`),
    in the estate's local time."""
    count = report.count
    estate = db.session.get(Estate, count.estate_id)
    tz = ZoneInfo(estate.timezone)

    def local(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

    groups = [{"code": group.code, "rows": [_report_row(r, local) for r in group.rows],
               "keys": group.keys, "copies": group.copies} for group in report.groups]
    return {
        "estate": {"name": estate.name, "address": estate.address, "phone": estate.phone},
        "count_id": count.id, "started_at": local(count.started_at),
        "finished_at": local(count.finished_at), "started_by": report.started_by,
        "note": count.note, "items": report.items, "groups": groups,
        "printed_at": datetime.now(tz).strftime("%Y-%m-%d %H:%M"),
        "printed_by": printed_by,
    }
