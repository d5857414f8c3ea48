"""What a bill run's preview holds: the lines it would post, those it holds, its problems and
its totals per building and fee item."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from frontdesk.models import Building, FeeItem

ZERO = Decimal("0.00")


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

    @property
    def already_billed(self) -> int:
        return self.total.billed

    def problem_counts(self) -> dict[str, int]:
        """Return how many problems of each kind there are, in PROBLEM_KINDS order."""
        counts: dict[str, int] = defaultdict(int)
        for problem in self.problems:
            counts[problem.kind] += 1
        return {k: counts[k] for k in sorted(counts, key=_kind_order)}

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
