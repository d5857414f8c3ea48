"""What a bill run's preview holds: the lines it would post, those it holds, its problems and
its totals per building and fee item.

A preview shown on screen keeps everything. A post streams its lines to the database and keeps
only the totals, the counts and the first ``keep`` problems and held lines, so that its memory
does not grow with the estate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from frontdesk.models import Building, FeeItem

ZERO = Decimal("0.00")
#: units with held lines named in a post's audit event
HELD_UNITS = 100


@dataclass(slots=True)
class Line:
    """A bill line computed by a preview, not yet written."""

    unit_id: int
    unit_code: str
    building_id: int
    fee_item_id: int
    quantity: Decimal
    price: Decimal
    amount: Decimal
    explanation: str


#: problem kinds, in the order the preview lists them (those holding a computed line first)
PROBLEM_KINDS = ("flagged_reading", "missing_reading", "no_area", "no_tariff",
                 "shared_unapproved", "negative_loss", "tiers", "setup")


@dataclass(slots=True)
class Problem:
    """Something that keeps a line from being computed or posted: listed, not raised."""

    #: one of PROBLEM_KINDS
    kind: str
    #: a unit code, a building's label or a meter number
    where: str
    fee_item: str
    message: object
    #: for a flagged reading: the meter and reading to review
    meter_id: int | None = None
    reading_id: int | None = None


@dataclass(slots=True)
class Total:
    lines: int = 0
    amount: Decimal = ZERO
    #: lines of this scope posted by an earlier run (skipped)
    billed: int = 0
    #: lines computed but held until their flagged readings are reviewed (not posted)
    held: int = 0
    held_amount: Decimal = ZERO


@dataclass
class ProblemPage:
    """One page of a preview's problems, for a whole estate's thousands."""

    problems: list[Problem]
    page: int
    pages: int
    #: how many problems come before this page
    start: int


@dataclass
class Preview:
    """What a bill run would post: lines, totals per building and fee item, problems."""

    estate_id: int
    period: str
    building_id: int | None
    items: list[FeeItem]
    buildings: list[Building]
    lines: list[Line] = field(default_factory=list)
    #: lines held until their flagged readings are reviewed: shown, never posted
    held: list[Line] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    by_building: dict[int, Total] = field(default_factory=lambda: defaultdict(Total))
    by_item: dict[int, Total] = field(default_factory=lambda: defaultdict(Total))
    #: (building id, fee item id) → amount of new lines
    cells: dict[tuple[int, int], Decimal] = field(default_factory=lambda: defaultdict(
        lambda: ZERO))
    total: Total = field(default_factory=Total)
    #: how many problems and held lines are kept (their counts cover all); None keeps all
    keep: int | None = None
    #: problem kind → how many, kept or not
    kinds: Counter = field(default_factory=Counter)
    #: the codes of the units with held lines, at most HELD_UNITS of the first in code order
    _held_codes: set[str] = field(default_factory=set)

    @property
    def already_billed(self) -> int:
        return self.total.billed

    @property
    def problem_total(self) -> int:
        """How many problems there are, including those not kept."""
        return sum(self.kinds.values())

    def add_problem(self, problem: Problem) -> None:
        self.kinds[problem.kind] += 1
        if self.keep is None or len(self.problems) < self.keep:
            self.problems.append(problem)

    def add_held(self, line: Line) -> None:
        """Keep a held line (its amount is counted in the totals by the caller)."""
        if self.keep is None or len(self.held) < self.keep:
            self.held.append(line)
        codes = self._held_codes
        codes.add(line.unit_code)
        if len(codes) > 10 * HELD_UNITS:  # the first HELD_UNITS stay the first
            self._held_codes = set(sorted(codes)[:HELD_UNITS])

    def held_units(self) -> list[str]:
        """Return the first HELD_UNITS codes, in code order, of the units with held lines."""
        return sorted(self._held_codes)[:HELD_UNITS]

    def problem_counts(self) -> dict[str, int]:
        """Return how many problems of each kind there are, in PROBLEM_KINDS order."""
        return {k: self.kinds[k] for k in sorted(self.kinds, key=_kind_order)}

    def sorted_problems(self) -> list[Problem]:
        """Return the problems with those that hold a line (flagged readings) first."""
        return sorted(self.problems, key=lambda pr: _kind_order(pr.kind))

    def problem_page(self, page: int | None, per_page: int = 200) -> ProblemPage:
        """Return one page of the sorted problems; a page out of range gives the nearest."""
        problems = self.sorted_problems()
        pages = max(1, -(-len(problems) // per_page))
        page = min(max(page or 1, 1), pages)
        start = (page - 1) * per_page
        return ProblemPage(problems[start:start + per_page], page, pages, start)

    def sample(self, n: int = 50) -> list[Line]:
        """Return a few lines of each fee item, to show how they were computed."""
        per_item = max(1, n // max(1, len(self.items)))
        seen: dict[int, int] = defaultdict(int)
        out = []
        for line in self.lines:
            if seen[line.fee_item_id] < per_item:
                seen[line.fee_item_id] += 1
                out.append(line)
        return out


def _kind_order(kind: str) -> int:
    return PROBLEM_KINDS.index(kind) if kind in PROBLEM_KINDS else len(PROBLEM_KINDS)
