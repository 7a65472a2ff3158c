"""When the weekly digest is posted (bot.metrics.digest_schedule), in Europe/Paris: the chosen
local day and hour across daylight saving, the week it belongs to, and the rule for a change
made mid-week (never two digests in a week, never a silent skip)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import FoyerError
from bot.metrics.digest_schedule import (
    DEFAULT_PLAN,
    DigestPlan,
    check_plan,
    next_digest,
    next_week_start,
    this_week_note,
    week_start,
)

PARIS = ZoneInfo("Europe/Paris")
JOINED = datetime(2026, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def nxt(plan: DigestPlan, now: datetime, last_taken: datetime | None = None) -> datetime | None:
    return next_digest(plan, PARIS, joined_at=JOINED, now=now, last_taken=last_taken)


def test_the_default_is_monday_nine_in_winter_and_in_summer() -> None:
    # Wednesday 2 December 2026 (UTC+1): Monday 7 December 09:00 = 08:00 UTC
    assert nxt(DEFAULT_PLAN, utc(2026, 12, 2, 12)) == utc(2026, 12, 7, 8)
    # Wednesday 1 July 2026 (UTC+2): Monday 6 July 09:00 = 07:00 UTC
    assert nxt(DEFAULT_PLAN, utc(2026, 7, 1, 12)) == utc(2026, 7, 6, 7)


def test_across_the_spring_change_the_local_hour_stays() -> None:
    friday = DigestPlan(weekday=4, hour=18)
    # Friday 27 March 2026 is UTC+1, Friday 3 April UTC+2 (the clocks moved on the 29th)
    assert nxt(friday, utc(2026, 3, 26)) == utc(2026, 3, 27, 17)
    assert nxt(friday, utc(2026, 3, 27, 18)) == utc(2026, 4, 3, 16)


def test_an_hour_that_does_not_exist_moves_forward_by_the_gap() -> None:
    # Sunday 29 March 2026, 02:00 in Paris does not exist: 03:00 local = 01:00 UTC
    sunday_2am = DigestPlan(weekday=6, hour=2)
    assert nxt(sunday_2am, utc(2026, 3, 28)) == utc(2026, 3, 29, 1)


def test_an_hour_that_happens_twice_is_its_first_occurrence() -> None:
    # Sunday 25 October 2026, 02:00 happens at 00:00 UTC (summer time) and 01:00 UTC
    sunday_2am = DigestPlan(weekday=6, hour=2)
    assert nxt(sunday_2am, utc(2026, 10, 24)) == utc(2026, 10, 25, 0)


def test_the_week_is_local_monday_to_monday_even_on_a_change_of_time() -> None:
    # Sunday 29 March 2026 23:30 local (21:30 UTC) is still in the week of Monday 23 March
    assert week_start(utc(2026, 3, 29, 21, 30), PARIS) == utc(2026, 3, 22, 23)
    # ... which ends at Monday 30 March 00:00 local, already summer time (22:00 UTC)
    assert next_week_start(utc(2026, 3, 29, 21, 30), PARIS) == utc(2026, 3, 29, 22)


def test_a_day_moved_later_after_this_week_s_digest_waits_for_next_week() -> None:
    monday_posted = utc(2026, 12, 7, 8)  # this week's digest went out Monday 09:00
    tuesday = utc(2026, 12, 8, 10)
    friday = DigestPlan(weekday=4, hour=9, changed_at=tuesday)
    when = nxt(friday, tuesday, monday_posted)
    assert when == utc(2026, 12, 18, 8)  # not Friday 11 December: a second one this week
    assert (
        this_week_note(friday, PARIS, now=tuesday, last_taken=monday_posted, next_at=when)
        == "done_this_week"
    )


def test_a_day_moved_later_before_this_week_s_digest_is_used_this_week() -> None:
    last_week = utc(2026, 11, 30, 8)
    tuesday = utc(2026, 12, 8, 10)
    thursday = DigestPlan(weekday=3, hour=9, changed_at=tuesday)
    old_friday = DigestPlan(weekday=4, hour=9)
    assert nxt(old_friday, tuesday, last_week) == utc(2026, 12, 11, 8)
    when = nxt(thursday, tuesday, last_week)
    assert when == utc(2026, 12, 10, 8)
    assert this_week_note(thursday, PARIS, now=tuesday, last_taken=last_week, next_at=when) is None


def test_a_day_moved_to_one_already_past_is_said_not_posted_late() -> None:
    last_week = utc(2026, 11, 30, 8)
    wednesday = utc(2026, 12, 9, 12)  # Friday's digest not out yet; moved to Monday
    monday = DigestPlan(weekday=0, hour=9, changed_at=wednesday)
    when = nxt(monday, wednesday, last_week)
    assert when == utc(2026, 12, 14, 8)
    assert (
        this_week_note(monday, PARIS, now=wednesday, last_taken=last_week, next_at=when)
        == "none_this_week"
    )


def test_an_earlier_hour_the_same_day_is_not_posted_late() -> None:
    # Monday 10:30: the digest moved from 11:00 to 09:00 before it went out
    now = utc(2026, 12, 7, 9, 30)
    nine = DigestPlan(weekday=0, hour=9, changed_at=now)
    assert nxt(nine, now, utc(2026, 11, 30, 10)) == utc(2026, 12, 14, 8)


def test_the_sunday_digest_at_midnight_of_next_week_is_not_lost() -> None:
    # taken Monday 00:00 local; next Monday 00:00 is exactly the next week's start
    monday_midnight = DigestPlan(weekday=0, hour=0)
    taken = utc(2026, 12, 6, 23)  # Monday 7 December 00:00 in Paris
    assert nxt(monday_midnight, utc(2026, 12, 7, 1), taken) == utc(2026, 12, 13, 23)


def test_off_means_no_next_digest() -> None:
    assert nxt(DigestPlan(enabled=False), utc(2026, 12, 8)) is None


@pytest.mark.parametrize(
    "weekday, hour, fmt, key",
    [(7, None, None, "digest.bad_day"), (-1, None, None, "digest.bad_day"),
     (None, 24, None, "digest.bad_hour"), (None, 25, None, "digest.bad_hour"),
     (None, -1, None, "digest.bad_hour"), (None, None, "tiny", "digest.bad_format")],
)  # fmt: skip
def test_values_a_raw_interaction_may_send_are_refused(
    weekday: int | None, hour: int | None, fmt: str | None, key: str
) -> None:
    with pytest.raises(FoyerError) as refused:
        check_plan(weekday, hour, fmt)
    assert refused.value.key == key


def test_the_edges_are_accepted() -> None:
    check_plan(0, 0, "full")
    check_plan(6, 23, "compact")
