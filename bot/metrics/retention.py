"""Retention: do newcomers stay and take part, and do active members keep coming back?

Newcomer rates follow a cohort whose observation window ended inside the period: week-1
retention and activation look at members who joined in `[start - 7 d, end - 7 d)`, week-4
conversion at those who joined in `[start - 28 d, end - 28 d)`. So every period length has a
cohort, and the current and previous periods compare like with like. Every window is judged
at the report's `now`: a newcomer whose 7 (or 28) days are not over yet is left out of the
base, never counted as retained. Message days are UTC days (the rollups' granularity); a
member's day 0 is the UTC day they joined.

The people given here are those whose join Foyer saw (`seen_joining`): the members it found
when it arrived joined before its history and are never anyone's newcomers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.metrics.data import Measure, Person
from bot.metrics.figures import ratio
from bot.periods import Period, Week, local_date, week_of

WEEK = timedelta(days=7)
FOUR_WEEKS = timedelta(days=28)
SHORT_TENURE = timedelta(days=7)
MEDIUM_TENURE = timedelta(days=30)
COHORT_WEEKS = 8
# The "newcomers not staying" signal's windows: the cohorts whose 4th week ended in the last
# 14 days against those whose 4th week ended in the 8 weeks before (the guild's own
# baseline), whatever the report's period.
WEEK4_RECENT = timedelta(days=14)
WEEK4_BASELINE = timedelta(days=56)
# how far back the signal looks at joins, and at message days
WEEK4_JOINS_SINCE = WEEK4_RECENT + WEEK4_BASELINE + FOUR_WEEKS
WEEK4_DAYS_SINCE = WEEK4_RECENT + WEEK4_BASELINE + WEEK
# The "churn rising" signal's weekly windows (completed UTC weeks, the folded ones): of the
# members who wrote in the 3 weeks before the last 2, the share who wrote in the last 2;
# its baseline is the same measure taken 2, 3, 4 and 5 weeks earlier, pooled.
CHURN_BEFORE_WEEKS = 3
CHURN_RECENT_WEEKS = 2
CHURN_BASELINE_SHIFTS = (2, 3, 4, 5)
CHURN_WEEKS = CHURN_BEFORE_WEEKS + CHURN_RECENT_WEEKS + max(CHURN_BASELINE_SHIFTS)


def _joined_in(people: Sequence[Person], start: datetime, end: datetime) -> list[Person]:
    # the join date first: it rules out most people, and is cheaper than `counted`
    return [
        p for p in people if p.joined_at is not None and start <= p.joined_at < end and p.counted
    ]


def seen_joining(people: Sequence[Person], arrival: datetime) -> list[Person]:
    """The people whose latest join came after Foyer arrived: the only possible newcomers.
    Those already there when it arrived keep their join date for tenure (leavers)."""
    return [p for p in people if p.joined_at is not None and p.joined_at >= arrival]


def _window_closed(
    people: Sequence[Person], period: Period, window: timedelta, now: datetime
) -> list[Person]:
    """The cohort of a `window`-long newcomer figure: joined in `[start - window, end -
    window)`, whose window `[joined, joined + window)` is over at `now`."""
    cohort = _joined_in(people, period.start - window, period.end - window)
    return [p for p in cohort if p.joined_at is not None and p.joined_at + window <= now]


def _posted_between(days: Collection[date], first: date, end: date) -> bool:
    return any(first <= day < end for day in days)


def newcomers(people: Sequence[Person], period: Period) -> Measure:
    return Measure(len(_joined_in(people, period.start, period.end)))


def week1_retention(people: Sequence[Person], period: Period, now: datetime) -> Measure:
    """Newcomers still in the guild 7 days after joining, over those whose first week
    ended inside the period, by `now` (Discord's definition, cohort-aligned)."""
    cohort = _window_closed(people, period, WEEK, now)
    stayed = 0
    for person in cohort:
        assert person.joined_at is not None
        left = person.left_after_joining()
        if left is None or left >= person.joined_at + WEEK:
            stayed += 1
    return Measure(ratio(stayed, len(cohort)), len(cohort))


def activation(
    people: Sequence[Person],
    message_days: Mapping[int, Collection[date]],
    period: Period,
    now: datetime,
) -> Measure:
    """Newcomers who posted within their first 7 days (days 0-6), over the week-1 cohort
    (their days 0-6 are over when their 7 days are)."""
    cohort = _window_closed(people, period, WEEK, now)
    active = 0
    for person in cohort:
        assert person.joined_at is not None
        day0 = person.joined_at.date()
        if _posted_between(message_days.get(person.user_id, ()), day0, day0 + WEEK):
            active += 1
    return Measure(ratio(active, len(cohort)), len(cohort))


def week4_conversion(
    people: Sequence[Person],
    message_days: Mapping[int, Collection[date]],
    period: Period,
    now: datetime,
) -> Measure:
    """Newcomers who posted in their days 21-27, over those whose 4th week ended inside
    the period, by `now`."""
    cohort = _window_closed(people, period, FOUR_WEEKS, now)
    converted = 0
    for person in cohort:
        assert person.joined_at is not None
        day0 = person.joined_at.date()
        days = message_days.get(person.user_id, ())
        if _posted_between(days, day0 + timedelta(days=21), day0 + FOUR_WEEKS):
            converted += 1
    return Measure(ratio(converted, len(cohort)), len(cohort))


def week4_windows(
    people: Sequence[Person], message_days: Mapping[int, Collection[date]], now: datetime
) -> tuple[Measure, Measure]:
    """Week-4 conversion of the latest cohorts (4th week over in the last 14 days) and of
    the baseline's (4th week over in the 56 days before): weekly windows, so a fall shows
    within weeks instead of waiting for a 28-day period to turn over."""
    split = now - WEEK4_RECENT
    recent = week4_conversion(people, message_days, Period(split, now), now)
    baseline = week4_conversion(people, message_days, Period(split - WEEK4_BASELINE, split), now)
    return recent, baseline


def churn_mondays(today: date) -> list[date]:
    """The Mondays of the `CHURN_WEEKS` completed UTC weeks before `today`, oldest first."""
    last = today - timedelta(days=today.weekday() + 7)
    return [last - timedelta(weeks=i) for i in range(CHURN_WEEKS - 1, -1, -1)]


def weekly_active_retention(weeks: Sequence[Collection[int]]) -> tuple[Measure, Measure]:
    """Active retention over weekly windows, from the writers of each of the last
    `CHURN_WEEKS` completed weeks (oldest first): the latest measure and the pooled
    baseline (module constants). A member who stops writing shows in it within 2 weeks,
    instead of the 4 to 8 a 28-day period needs to turn over."""
    if len(weeks) < CHURN_WEEKS:
        raise ValueError(f"{CHURN_WEEKS} weeks needed, got {len(weeks)}")

    def kept(shift: int) -> tuple[int, int]:
        end = len(weeks) - shift
        recent: set[int] = set().union(*weeks[end - CHURN_RECENT_WEEKS : end])
        start = end - CHURN_RECENT_WEEKS - CHURN_BEFORE_WEEKS
        before: set[int] = set().union(*weeks[start : end - CHURN_RECENT_WEEKS])
        return len(before & recent), len(before)

    now_kept, now_base = kept(0)
    pooled = [kept(shift) for shift in CHURN_BASELINE_SHIFTS]
    base = sum(b for _, b in pooled)
    return (
        Measure(ratio(now_kept, now_base), now_base),
        Measure(ratio(sum(k for k, _ in pooled), base), base),
    )


def active_retention(kept: int, before: int) -> Measure:
    """Of the `before` members active in the previous period, the `kept` ones active again
    in this one."""
    return Measure(ratio(kept, before), before)


def churn(retained: Measure) -> Measure:
    return Measure(None if retained.value is None else 1 - retained.value, retained.base)


def leavers(people: Sequence[Person], period: Period) -> dict[str, Measure]:
    """Humans (staff and opted-out included: a plain count) who left during the period,
    by how long they had stayed. A leave with no known join counts as a long tenure."""
    short = medium = long = 0
    for person in people:
        left = person.left_after_joining()
        if left is None or not period.contains(left):
            continue
        tenure = left - person.joined_at if person.joined_at else None
        if tenure is not None and tenure < SHORT_TENURE:
            short += 1
        elif tenure is not None and tenure <= MEDIUM_TENURE:
            medium += 1
        else:
            long += 1
    return {
        "retention.leavers": Measure(short + medium + long),
        "retention.leavers_under_7d": Measure(short),
        "retention.leavers_7_30d": Measure(medium),
        "retention.leavers_over_30d": Measure(long),
    }


@dataclass(frozen=True)
class CohortRow:
    """Members who joined in `week`, and the share of them active in each following week
    (None for weeks that have not started yet)."""

    week: Week
    size: int
    shares: tuple[float | None, ...]


def cohort_table(
    people: Sequence[Person],
    message_days: Mapping[int, Collection[date]],
    now: datetime,
    tz: ZoneInfo,
    weeks: int = COHORT_WEEKS,
) -> list[CohortRow]:
    """One row per join week for the `weeks` weeks before the current one (oldest first);
    column k (1..weeks) is the share of the cohort with a message in join week + k."""
    current = week_of(local_date(now, tz))
    first = current.next(-weeks).first_day
    cohorts: dict[date, list[int]] = {}
    for p in people:
        if p.counted and p.joined_at is not None:
            joined = local_date(p.joined_at, tz)
            if first <= joined < current.first_day:
                cohorts.setdefault(week_of(joined).first_day, []).append(p.user_id)
    rows = []
    for back in range(weeks, 0, -1):
        week = current.next(-back)
        cohort = cohorts.get(week.first_day, [])
        # the weeks (by Monday) each member of the cohort wrote in
        wrote = [{week_of(d).first_day for d in message_days.get(u, ())} for u in cohort]
        shares: list[float | None] = []
        for k in range(1, weeks + 1):
            target = week.next(k).first_day
            if target > current.first_day or not cohort:
                shares.append(None)
            else:
                shares.append(sum(1 for w in wrote if target in w) / len(cohort))
        rows.append(CohortRow(week, len(cohort), tuple(shares)))
    return rows
