"""Hash chains: record types register here, are chained per estate and verified by one walker.

A record type registers a :class:`Chain`: its model, the printed number that names a record
(``label``) and its events, what happens to a record that the chain vouches for (a receipt is
issued and may be voided; a key is lent and comes back). An event's canonical fields are every
column that states a fact on the printed document. :func:`append` adds a link
(:class:`~frontdesk.models.ChainEntry`) for an event in the caller's transaction, with the
estate's row locked (``FOR NO KEY UPDATE`` on PostgreSQL) so that an estate's links are chained
one at a time::

    hash = SHA-256(canonical {chain, estate_id, seq, event, label, at, version, fields, prev_hash})

``prev_hash`` is the hash of the estate's link before it in the same chain (``"0" * 64`` for the
first). A record may keep copies of its links' hashes in its own columns (``Receipt.hash``).

:func:`verify` walks every registered chain of every estate and names the record of each
alteration:

1. each link's hash is recomputed from its record's current columns: an UPDATE of a covered
   column, of the record's copy of the hash or of the link itself names that record; a deleted
   record is named by the link's label;
2. every record has the links its columns call for (a voided receipt a "void" link): a record
   inserted, voided or returned behind the chain's back is named;
3. only when 1 and 2 hold for an estate's chain are the links walked in order: a gap in ``seq``
   (links deleted) or a ``prev_hash`` that is not its predecessor's hash (a link rewritten with
   a fresh hash) is reported, naming the neighbouring records.

The head, the last link's hash, is anchored outside the database: the 收费日报 prints each
chain's head (:func:`printed_heads`) as ``LABEL:HASH``, and :func:`verify` takes printed heads.
A printed head that is no longer a link of its chain means that its record (or one before it,
the chain rehashed from there) was altered, or that the links at the end were dropped.

Canonical form: JSON with sorted keys and no spaces, UTF-8; datetimes in UTC as
``YYYY-MM-DDTHH:MM:SS.ffffffZ``; decimals without trailing zeros (``Decimal("10.00")`` and
``Decimal("10")`` hash alike, as databases may give either). Each link stores the ``version`` of
its chain's canonical form: a later form is added beside the old one (:attr:`Event.legacy`) and
old links keep verifying without being rehashed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import ChainEntry, Estate
from frontdesk.models.base import utcnow

GENESIS_HASH = "0" * 64
#: the fewest hex digits of a printed head that verify accepts (64 bits)
MIN_HEAD_DIGITS = 16
#: the most problems reported per chain and estate
MAX_PROBLEMS = 100

Fields = Callable[[Any], dict[str, Any]]


# registration -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """Something that happens to a chained record and is chained when it happens."""

    name: str
    #: the record's canonical fields for this event (what the hash covers)
    fields: Fields
    #: how a problem names it, e.g. "the receipt as issued", "its void"
    what: str
    #: printed beside the head on paper, e.g. 开具, 作废
    printed_name: str = ""
    #: for an event that happens after the record is written: the SQL condition under which the
    #: record's columns say it happened (so a record without its link is found); None: always
    happened: Callable[[], sa.ColumnElement[bool]] | None = None
    #: the record's columns that keep a copy of the link's hash and prev_hash, if any
    hash_column: str | None = None
    prev_column: str | None = None
    #: the canonical fields of older versions of the chain's form, by version
    legacy: Mapping[int, Fields] = field(default_factory=dict)


@dataclass(frozen=True)
class Chain:
    """A record type whose events are hash-chained per estate."""

    name: str
    #: the model; it has ``id`` and ``estate_id``
    model: type
    #: "receipt", "receipts": how the verify command names records
    noun: str
    plural: str
    #: the chain's name on printed documents, e.g. 收据
    printed_name: str
    #: the record's printed number, e.g. SJ2026-000001
    label: Callable[[Any], str]
    #: the first event writes the record; later ones change it
    events: tuple[Event, ...]
    #: the version of the canonical form new links are hashed with
    version: int = 1
    #: loader options for walking records (related rows the fields read, loaded in batches)
    load: tuple = ()
    #: where the chain comes in lists and on paper (lower first)
    rank: int = 100

    def event(self, name: str) -> Event | None:
        return next((e for e in self.events if e.name == name), None)


_REGISTRY: dict[str, Chain] = {}


def register(chain: Chain) -> Chain:
    """Register a chain (again, if its module is reloaded) and return it."""
    if len(chain.name) > 24 or not chain.events:
        raise ValueError(f"bad chain {chain.name!r}")
    _REGISTRY[chain.name] = chain
    return chain


def registered() -> list[Chain]:
    """Return the registered chains, by rank."""
    return sorted(_REGISTRY.values(), key=lambda c: (c.rank, c.name))


def chain_named(name: str) -> Chain:
    return _REGISTRY[name]


# the canonical form and the hash ----------------------------------------------------------------


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not hashed; attach a timezone")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, float):
        raise TypeError("floats are not hashed; use Decimal")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical(payload: Mapping[str, Any]) -> str:
    """Write data as the canonical JSON that is hashed."""
    return json.dumps(_plain(payload), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def link_hash(*, chain: str, estate_id: int, seq: int, event: str, label: str, at: datetime,
              version: int, fields: Mapping[str, Any], prev_hash: str) -> str:
    """Return the SHA-256 of a link: the record's fields for the event, its place, prev_hash."""
    text = canonical({"chain": chain, "estate_id": estate_id, "seq": seq, "event": event,
                      "label": label, "at": at, "version": version, "fields": fields,
                      "prev_hash": prev_hash})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# appending --------------------------------------------------------------------------------------


def _lock_estate(estate_id: int) -> None:
    # FOR NO KEY UPDATE: an estate's links are chained one at a time, while rows that merely
    # refer to the estate can still be inserted meanwhile.
    db.session.execute(sa.select(Estate.id).where(Estate.id == estate_id)
                       .with_for_update(key_share=True))


def last_link(name: str, estate_id: int, before: datetime | None = None) -> ChainEntry | None:
    """Return the estate's last link of a chain (the head), or the last one before a time."""
    stmt = sa.select(ChainEntry).where(ChainEntry.chain == name,
                                       ChainEntry.estate_id == estate_id)
    if before is not None:
        stmt = stmt.where(ChainEntry.at < before)
    return db.session.scalar(stmt.order_by(ChainEntry.seq.desc()).limit(1))


def append(name: str, record: Any, event: str, *, at: datetime | None = None) -> ChainEntry:
    """Chain an event of a record in the caller's transaction; a new record is added too.

    ``at`` is when it happened (default now). Sets the record's copies of the link's hashes
    (the event's ``hash_column``/``prev_column``) before it is flushed.
    """
    spec = chain_named(name)
    ev = spec.event(event)
    if ev is None:
        raise ValueError(f"chain {name} has no event {event!r}")
    estate_id = record.estate_id
    _lock_estate(estate_id)
    last = last_link(name, estate_id)
    seq = last.seq + 1 if last is not None else 1
    prev_hash = last.hash if last is not None else GENESIS_HASH
    at, label = (at or utcnow()).astimezone(UTC), spec.label(record)
    digest = link_hash(chain=name, estate_id=estate_id, seq=seq, event=event, label=label, at=at,
                       version=spec.version, fields=ev.fields(record), prev_hash=prev_hash)
    if ev.hash_column:
        setattr(record, ev.hash_column, digest)
    if ev.prev_column:
        setattr(record, ev.prev_column, prev_hash)
    db.session.add(record)
    db.session.flush()  # a new record gets its id
    entry = ChainEntry(chain=name, estate_id=estate_id, seq=seq, record_id=record.id,
                       event=event, label=label, at=at, version=spec.version,
                       prev_hash=prev_hash, hash=digest)
    db.session.add(entry)
    db.session.flush()
    return entry


# printed heads ----------------------------------------------------------------------------------


def printed_heads(estate_id: int, before: datetime | None = None) -> list[dict[str, str]]:
    """Return each chain's head of an estate as printed on paper (last link before a time).

    Plain data for PDFs: ``{"name": "收据", "label": "SJ2026-000003", "event": "开具",
    "hash": "…", "text": "SJ2026-000003:…"}``; the text is what verify's ``--head`` takes.
    """
    heads = []
    for spec in registered():
        entry = last_link(spec.name, estate_id, before)
        if entry is None:
            heads.append({"name": spec.printed_name, "label": "", "event": "", "hash": "",
                          "text": ""})
            continue
        ev = spec.event(entry.event)
        heads.append({"name": spec.printed_name, "label": entry.label,
                      "event": ev.printed_name if ev else entry.event, "hash": entry.hash,
                      "text": f"{entry.label}:{entry.hash}"})
    return heads


@dataclass(frozen=True)
class PrintedHead:
    """A head as typed from paper: an optional label and the hash (or its first digits)."""

    label: str
    digest: str

    @property
    def text(self) -> str:
        return f"{self.label}:{self.digest}" if self.label else self.digest


_HEX = re.compile(r"[0-9a-f]+")


def parse_head(text: str) -> PrintedHead:
    """Read ``LABEL:HASH`` or ``HASH`` (spaces and dashes in the hash ignored)."""
    label, _, digest = (text or "").strip().rpartition(":")
    digest = re.sub(r"[\s-]", "", digest).lower()
    if not _HEX.fullmatch(digest) or not MIN_HEAD_DIGITS <= len(digest) <= 64:
        raise ValueError(f"a printed head is LABEL:HASH with at least {MIN_HEAD_DIGITS} hex "
                         f"digits of the hash, not {text!r}")
    return PrintedHead(label.strip(), digest)


# verifying --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """An alteration found, and the record it names."""

    chain: str
    estate_id: int | None
    #: the record's printed number as chained
    label: str
    #: the record's row id, None when it is gone
    record_id: int | None
    message: str


@dataclass(frozen=True)
class HeadCheck:
    """A printed head found as a link of its chain."""

    printed: PrintedHead
    entry: ChainEntry
    #: links chained after it since it was printed
    later: int


@dataclass
class Report:
    """The outcome of walking the chains."""

    #: links per chain and estate
    links: dict[str, dict[int, int]] = field(default_factory=dict)
    #: records (first events) per chain
    records: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    heads: list[HeadCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problems_of(self, chain: str) -> list[Problem]:
        return [p for p in self.problems if p.chain == chain]

    def estates(self, chain: str) -> int:
        return len(self.links.get(chain, {}))

    def link_count(self, chain: str) -> int:
        return sum(self.links.get(chain, {}).values())


def _fields_of(spec: Chain, ev: Event, version: int) -> Fields | None:
    return ev.fields if version == spec.version else ev.legacy.get(version)


def _recomputed(entry: ChainEntry, fields: Fields, record: Any, label: str) -> str:
    return link_hash(chain=entry.chain, estate_id=entry.estate_id, seq=entry.seq,
                     event=entry.event, label=label, at=entry.at, version=entry.version,
                     fields=fields(record), prev_hash=entry.prev_hash)


def _own_problem(spec: Chain, entry: ChainEntry, record: Any) -> tuple[str, str]:
    """Say why a link does not hold over its record's current columns ("" if it holds), and
    name the record: by the link's label, unless the label is what was changed."""
    if entry.chain != spec.name:
        return "its link is not a link of this chain", entry.label
    if record is None:
        return "its row was deleted", entry.label
    ev = spec.event(entry.event)
    fields = _fields_of(spec, ev, entry.version) if ev is not None else None
    if fields is None:
        return (f"its link has an unknown event {entry.event!r} or version {entry.version}",
                entry.label)
    if _recomputed(entry, fields, record, entry.label) != entry.hash:
        label = spec.label(record)
        if label != entry.label and _recomputed(entry, fields, record, label) == entry.hash:
            return f"its link's label was changed to {entry.label}", label
        now = f" (it now reads {label})" if label != entry.label else ""
        return (f"{ev.what} no longer matches the hash it was chained with (a column it "
                f"covers or its link was changed){now}", entry.label)
    if ev.hash_column and getattr(record, ev.hash_column) != entry.hash:
        return f"its {ev.hash_column} is not the hash its {ev.name} was chained with", entry.label
    if ev.prev_column and getattr(record, ev.prev_column) != entry.prev_hash:
        return f"its {ev.prev_column} is not the hash its {ev.name} was chained to", entry.label
    return "", entry.label


def _unchained(spec: Chain, estate_id: int) -> list[Problem]:
    """Name the records whose columns call for a link that is not there."""
    problems = []
    model = spec.model
    for ev in spec.events:
        linked = sa.exists().where(ChainEntry.chain == spec.name,
                                   ChainEntry.record_id == model.id,
                                   ChainEntry.event == ev.name)
        stmt = sa.select(model).where(model.estate_id == estate_id, ~linked)
        if ev.happened is not None:
            stmt = stmt.where(ev.happened())
        for record in db.session.scalars(stmt.order_by(model.id).limit(MAX_PROBLEMS)):
            problems.append(Problem(spec.name, estate_id, spec.label(record), record.id,
                                    f"{ev.what} is not in the chain (written without its link)"))
    return problems


def _link_problem(spec: Chain, prev: ChainEntry | None, entry: ChainEntry) -> Problem | None:
    """Check a link against the one before it (both hold over their records)."""
    expected_seq = prev.seq + 1 if prev is not None else 1
    before = prev.label if prev is not None else "the start of the chain"
    if entry.seq != expected_seq:
        return Problem(spec.name, entry.estate_id, entry.label, entry.record_id,
                       f"link {entry.seq} follows link {expected_seq - 1}: the links chained "
                       f"between {before} and it were deleted")
    prev_hash = prev.hash if prev is not None else GENESIS_HASH
    if entry.prev_hash == prev_hash:
        return None
    if prev is None:
        return Problem(spec.name, entry.estate_id, entry.label, entry.record_id,
                       "the first link is not chained to the start of the chain")
    return Problem(spec.name, prev.estate_id, prev.label, prev.record_id,
                   f"its hash is not the one {entry.label} was chained to: it was rewritten "
                   "with a fresh hash")


@dataclass
class _Link:
    """What the walk keeps of the link before (not the ORM object, which batches release)."""

    seq: int
    hash: str
    label: str
    record_id: int
    estate_id: int


def _walk(spec: Chain, estate_id: int, batch: int, report: Report) -> None:
    own: list[Problem] = []
    links: list[Problem] = []
    prev: _Link | None = None
    count = records = 0
    stmt = (sa.select(ChainEntry, spec.model)
            .outerjoin(spec.model, spec.model.id == ChainEntry.record_id)
            .where(ChainEntry.chain == spec.name, ChainEntry.estate_id == estate_id)
            .order_by(ChainEntry.seq).options(*spec.load)
            .execution_options(yield_per=batch))
    result = db.session.execute(stmt)
    for entry, record in result:
        count += 1
        records += entry.event == spec.events[0].name
        message, label = _own_problem(spec, entry, record)
        if message:
            own.append(Problem(spec.name, estate_id, label,
                               entry.record_id if record is not None else None, message))
            if len(own) >= MAX_PROBLEMS:
                result.close()
                break
        elif not own and len(links) < MAX_PROBLEMS:
            problem = _link_problem(spec, prev, entry)
            if problem is not None:
                links.append(problem)
        prev = _Link(entry.seq, entry.hash, entry.label, entry.record_id, entry.estate_id)
    own += _unchained(spec, estate_id)
    # a rewritten record breaks the links after it too: name the record, not its neighbours
    report.problems += own or links
    if count:
        report.links.setdefault(spec.name, {})[estate_id] = count
    report.records[spec.name] = report.records.get(spec.name, 0) + records


def _check_head(printed: PrintedHead, chains: list[Chain], estate_id: int | None,
                report: Report) -> None:
    names = [c.name for c in chains]
    scope = [ChainEntry.chain.in_(names)]
    if estate_id is not None:
        scope.append(ChainEntry.estate_id == estate_id)
    match = ChainEntry.hash == printed.digest if len(printed.digest) == 64 \
        else ChainEntry.hash.startswith(printed.digest)
    entry = db.session.scalar(sa.select(ChainEntry).where(*scope, match)
                              .order_by(ChainEntry.id).limit(1))
    if entry is not None:
        later = db.session.scalar(sa.select(sa.func.count(ChainEntry.id)).where(
            ChainEntry.chain == entry.chain, ChainEntry.estate_id == entry.estate_id,
            ChainEntry.seq > entry.seq))
        report.heads.append(HeadCheck(printed, entry, later))
        return
    named = None
    if printed.label:
        named = db.session.scalar(sa.select(ChainEntry).where(*scope,
                                                             ChainEntry.label == printed.label)
                                  .order_by(ChainEntry.seq.desc()).limit(1))
    if named is not None:
        report.problems.append(Problem(
            named.chain, named.estate_id, named.label, named.record_id,
            f"the printed head {printed.digest} is no longer its hash: it (or a record before "
            "it, the chain rehashed from there) was altered after the head was printed"))
    elif printed.label:
        report.problems.append(Problem(
            "", estate_id, printed.label, None,
            f"the printed head {printed.digest} is in no chain and no link is labelled so any "
            "more: the links at the end of the chain were dropped after it was printed"))
    else:
        report.problems.append(Problem(
            "", estate_id, "", None,
            f"the printed head {printed.digest} is in no chain: the record it was printed for "
            "was altered, or the links at the end were dropped, after it was printed"))


def verify(*names: str, estate_id: int | None = None, heads: Iterable[str] = (),
           batch: int = 1000) -> Report:
    """Walk the registered chains (all, or those named) of every estate (or one).

    ``heads`` are heads printed earlier (``LABEL:HASH``, see :func:`parse_head`); each must
    still be a link of a chain.
    """
    printed = [parse_head(h) for h in heads]
    chains = [chain_named(n) for n in names] if names else registered()
    report = Report()
    known = {c.name for c in registered()}
    strangers = db.session.scalars(sa.select(ChainEntry.chain).distinct()
                                   .where(ChainEntry.chain.not_in(known))).all()
    for name in strangers:
        report.problems.append(Problem(name, None, "", None,
                                       "links of a chain that is not registered"))
    q = sa.select(Estate.id).order_by(Estate.id)
    if estate_id is not None:
        q = q.where(Estate.id == estate_id)
    estate_ids = db.session.scalars(q).all()
    for spec in chains:
        report.records[spec.name] = 0
        for eid in estate_ids:
            _walk(spec, eid, batch, report)
    for head in printed:
        _check_head(head, chains, estate_id, report)
    return report
