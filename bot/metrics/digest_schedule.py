"""When the weekly digest is posted: the admins' day and hour in the guild's time zone, at
most once per week. Pure rules (no database, no Discord), shared by the job and `/setup
digest`'s answer so both tell the same time.

The week is the ISO week in the guild's zone (Monday 00:00 to Monday 00:00, local). A
digest belongs to the week of its scheduled time, even when the post budget delays it.

Changing the digest mid-week (docs/metrics.md, "Weekly digest"):
- an occurrence at or before the change is never posted afterwards: a new time that has
  already passed is not posted late;
- if this week's digest is already out (posted, being posted, or delayed by the budget and
  still to come), the new day and hour start next week, never a second digest this week;
- otherwise the new time is used this week when it is still ahead; when it has passed, this
  week has no digest, and `/setup digest` says so in its answer (never a silent skip).
Daylight saving follows `bot.scheduling.recurrence` (an hour that does not exist is moved
forward by the gap, one that happens twice is its first occurrence).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import FoyerError
from bot.scheduling import Recurrence, Weekly, local_to_utc

FORMATS = ("full", "compact")
# A digest is only worth sending fresh: occurrences older than a day are history, not
# "missed" (the scheduler's grace is shorter anyway).
LOOKBACK = timedelta(days=1)
_JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True)
class DigestPlan:
    """What the admins chose. The defaults are the digest Foyer always posted."""

    enabled: bool = True
    weekday: int = 0  # 0 = Monday ... 6 = Sunday
    hour: int = 9
    format: str = "full"
    changed_at: datetime | None = None  # when on/off, the day or the hour last changed


DEFAULT_PLAN = DigestPlan()


def check_plan(weekday: int | None, hour: int | None, format: str | None) -> None:
    """Refuse a value Discord's client would not send (a raw interaction can): nothing is
    saved when one is wrong."""
    if weekday is not None and weekday not in range(7):
        raise FoyerError("digest.bad_day", value=str(weekday)[:8])
    if hour is not None and hour not in range(24):
        raise FoyerError("digest.bad_hour", value=str(hour)[:8])
    if format is not None and format not in FORMATS:
        raise FoyerError("digest.bad_format", value=format[:16])


def recurrence(plan: DigestPlan, zone: ZoneInfo) -> Recurrence:
    return Recurrence(Weekly(frozenset({plan.weekday}), time(plan.hour, 0)), zone)


def week_start(instant: datetime, zone: ZoneInfo) -> datetime:
    """Monday 00:00, local, of the week holding `instant`, as a UTC instant."""
    day = instant.astimezone(zone).date()
    return local_to_utc(day - timedelta(days=day.weekday()), time(0, 0), zone)


def next_week_start(instant: datetime, zone: ZoneInfo) -> datetime:
    day = instant.astimezone(zone).date()
    return local_to_utc(day + timedelta(days=7 - day.weekday()), time(0, 0), zone)


def since(
    plan: DigestPlan,
    zone: ZoneInfo,
    *,
    joined_at: datetime,
    now: datetime,
    last_taken: datetime | None,
) -> datetime:
    """The scheduler's `since` for the digest (nothing at or before it runs): after Foyer's
    arrival, the look-back, the last change of timing, and the week of the newest digest
    already taken (`last_taken`: its scheduled time, posted or under way)."""
    bounds = [joined_at, now - LOOKBACK]
    if plan.changed_at is not None:
        bounds.append(plan.changed_at)
    if last_taken is not None:
        bounds.append(next_week_start(last_taken, zone) - _JUST_BEFORE)
    return max(bounds)


def next_digest(
    plan: DigestPlan,
    zone: ZoneInfo,
    *,
    joined_at: datetime,
    now: datetime,
    last_taken: datetime | None,
) -> datetime | None:
    """When the next digest will be posted (UTC), or None when it is off."""
    if not plan.enabled:
        return None
    start = since(plan, zone, joined_at=joined_at, now=now, last_taken=last_taken)
    return recurrence(plan, zone).next_after(max(start, now))


def this_week_note(
    plan: DigestPlan,
    zone: ZoneInfo,
    *,
    now: datetime,
    last_taken: datetime | None,
    next_at: datetime,
) -> str | None:
    """What the answer must add about the current week: its digest is already out (the new
    time starts next week), or it gets none (the new time has passed). None otherwise."""
    this_week = week_start(now, zone)
    if last_taken is not None and last_taken >= this_week:
        return "done_this_week"
    if plan.enabled and next_at >= next_week_start(now, zone):
        return "none_this_week"
    return None
