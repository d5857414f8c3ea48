"""The service-level clock: targets per priority, optional working hours, paused time left out.

An order's clock runs from its report. Its response is due ``response`` minutes of running time
after the report (met when it is accepted), its completion ``completion`` minutes after (met when
it is completed). Running time is all time, or with working hours only the time between the
estate's day start and day end (local), every day. While an order is paused its clock stops: the
running time left to the completion target is kept, and on resuming the due time is moved on by
it. Times are aware UTC; working hours are read in the estate's timezone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Clock:
    """How an estate counts service time."""

    tz: ZoneInfo
    working_hours: bool = False
    #: minutes after local midnight
    day_start: int = 8 * 60 + 30
    day_end: int = 17 * 60 + 30

    def _window(self, day) -> tuple[datetime, datetime]:
        start = datetime.combine(day, time(self.day_start // 60, self.day_start % 60),
                                 tzinfo=self.tz)
        end = datetime.combine(day, time(self.day_end // 60, self.day_end % 60), tzinfo=self.tz)
        return start.astimezone(UTC), end.astimezone(UTC)

    def advance(self, start: datetime, seconds: int) -> datetime:
        """Return the moment ``seconds`` of running time after ``start``."""
        if not self.working_hours:
            return start + timedelta(seconds=seconds)
        left = timedelta(seconds=seconds)
        day = start.astimezone(self.tz).date()
        moment = start
        for _ in range(3660):  # ten years of days: a bound, never reached by a target
            open_, close = self._window(day)
            moment = max(moment, open_)
            if moment < close:
                room = close - moment
                if left <= room:
                    return moment + left
                left -= room
            day += timedelta(days=1)
        raise ValueError("service target too long for the working hours")

    def running(self, start: datetime, end: datetime) -> int:
        """Return the seconds of running time between two moments (0 if end is not after)."""
        if end <= start:
            return 0
        if not self.working_hours:
            return int((end - start).total_seconds())
        total = timedelta()
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            open_, close = self._window(day)
            lo, hi = max(start, open_), min(end, close)
            if hi > lo:
                total += hi - lo
            day += timedelta(days=1)
        return int(total.total_seconds())
