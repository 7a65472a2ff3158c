"""Periods and weeks: the time frames every health figure is computed over.

A period is a half-open window `[start, end)` in UTC whose bounds fall on UTC midnights,
because the rollups it is read from are per UTC day. The current period ends at the end of
today (UTC), so today's activity counts; the previous period is the window of equal length
just before it. Weekly series use ISO weeks (Monday to Sunday) in the guild's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PERIOD_CHOICES: dict[str, int] = {"7d": 7, "28d": 28, "90d": 90}
DEFAULT_PERIOD = "28d"


def parse_period(value: str) -> int:
    """Days in a period named `7d`, `28d` or `90d`; anything else is a ValueError."""
    days = PERIOD_CHOICES.get(value.strip().lower())
    if days is None:
        raise ValueError(f"unknown period {value!r}: choose one of {', '.join(PERIOD_CHOICES)}")
    return days


def utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    """`[start, end)`, both aware UTC datetimes on UTC midnights."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("period bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def days(self) -> int:
        return self.length.days

    @property
    def first_day(self) -> date:
        return self.start.astimezone(UTC).date()

    @property
    def end_day(self) -> date:
        """The first UTC day after the period (exclusive bound for rollup days)."""
        return self.end.astimezone(UTC).date()

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        return Period(self.start - self.length, self.start)

    def shifted(self, delta: timedelta) -> Period:
        return Period(self.start + delta, self.end + delta)

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def contains_day(self, day: date) -> bool:
        return self.first_day <= day < self.end_day


def period_ending(now: datetime, days: int) -> Period:
    """The `days`-day period that ends at the end of `now`'s UTC day."""
    if days <= 0:
        raise ValueError("a period has at least one day")
    end = utc_midnight(now.astimezone(UTC).date() + timedelta(days=1))
    return Period(end - timedelta(days=days), end)


@dataclass(frozen=True)
class Week:
    """An ISO week in the guild's time zone: Monday `first_day` to Sunday, inclusive."""

    first_day: date

    @property
    def end_day(self) -> date:
        return self.first_day + timedelta(days=7)

    @property
    def label(self) -> str:
        year, week, _ = self.first_day.isocalendar()
        return f"{year}-W{week:02d}"

    def contains(self, day: date) -> bool:
        return self.first_day <= day < self.end_day

    def next(self, weeks: int = 1) -> Week:
        return Week(self.first_day + timedelta(weeks=weeks))


@lru_cache(maxsize=4096)
def week_of(day: date) -> Week:
    """The ISO week holding `day` (cached: cohort tables ask for thousands of days)."""
    return Week(day - timedelta(days=day.weekday()))


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar date of `moment` in the guild's time zone."""
    return moment.astimezone(tz).date()


def weeks_back(now: datetime, tz: ZoneInfo, count: int) -> list[Week]:
    """The `count` ISO weeks ending with the current one (in the guild's zone), oldest first."""
    current = week_of(local_date(now, tz))
    return [current.next(-i) for i in range(count - 1, -1, -1)]


def weeks_for(period: Period, now: datetime, tz: ZoneInfo, minimum: int = 8) -> list[Week]:
    """The ISO weeks overlapping the period, at least `minimum` of them, ending with the
    current week: enough points for a chart to show a direction."""
    count = max(minimum, -(-period.days // 7) + 1)
    return weeks_back(min(now, period.end - timedelta(microseconds=1)), tz, count)
