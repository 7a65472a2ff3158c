"""When a recurring job happens: rules expressed in local wall-clock time of an IANA zone.

A ritual "every Monday at 09:00 Europe/Paris" must post at 09:00 local time in winter
(08:00 UTC) and in summer (07:00 UTC). Rules are therefore evaluated on local dates and
converted to UTC one occurrence at a time, never by adding 7 x 24 h to a UTC instant.

Daylight-saving rule (documented in docs/rituals.md):
- a local time that does not exist (02:30 on the spring-forward day in Paris) is shifted
  forward by the length of the gap: it happens at 03:30 local, the same instant as "02:30
  in the old offset";
- a local time that happens twice (02:30 on the fall-back day) uses its first occurrence
  (PEP 495 `fold=0`, the summer-time one).
Both follow from `datetime(..., tzinfo=zone, fold=0).astimezone(UTC)`; `local_to_utc` is
the one place this happens so the rule is tested once.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Looking further than this for the next occurrence means the rule can never match.
_MAX_DAYS_AHEAD = 400


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in `zone`, with the rule above."""
    return datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Weekly:
    """On each of `weekdays` (0 = Monday ... 6 = Sunday) at `at`, local time."""

    weekdays: frozenset[int]
    at: time

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError(f"weekdays must be a non-empty subset of 0..6, got {self.weekdays}")

    def matches(self, day: date) -> bool:
        return day.weekday() in self.weekdays


@dataclass(frozen=True)
class MonthlyNth:
    """The `nth` (1..4, or -1 for the last) `weekday` of each month at `at`, local time."""

    nth: int
    weekday: int
    at: time

    def __post_init__(self) -> None:
        if self.nth not in (1, 2, 3, 4, -1) or self.weekday not in range(7):
            raise ValueError(f"bad monthly rule nth={self.nth} weekday={self.weekday}")

    def matches(self, day: date) -> bool:
        if day.weekday() != self.weekday:
            return False
        if self.nth == -1:
            return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
        return (day.day - 1) // 7 + 1 == self.nth


Rule = Weekly | MonthlyNth


@dataclass(frozen=True)
class Recurrence:
    """A rule in a zone: the thing a scheduler asks "when next?"."""

    rule: Rule
    zone: ZoneInfo

    def next_after(self, instant: datetime) -> datetime:
        """The first occurrence strictly after `instant` (aware), in UTC."""
        local_day = instant.astimezone(self.zone).date() - timedelta(days=1)
        for offset in range(_MAX_DAYS_AHEAD):
            day = local_day + timedelta(days=offset)
            if self.rule.matches(day):
                when = local_to_utc(day, self.rule.at, self.zone)
                if when > instant:
                    return when
        raise ValueError(f"{self.rule} never happens")

    def between(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Occurrences in `(start, end]`, oldest first."""
        when = self.next_after(start)
        while when <= end:
            yield when
            when = self.next_after(when)
