"""Every newcomer window is judged at the report's moment: one second before it closes the
newcomer is out of the base, at the moment it closes and one second after they are in
(week-1 retention, activation, week-4 conversion, and the funnel's 7 days, 48 hours and
week 4). Values worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.metrics import retention
from bot.metrics.data import Person
from bot.metrics.newcomers import FunnelStage, funnel_stages
from bot.periods import Period
from bot.welcome.funnel import NewcomerFacts, compute_funnel

START = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD = Period(START, START + timedelta(days=28))  # 1 Nov .. 29 Nov (exclusive)
JOINED = datetime(2026, 11, 15, 13, 30, tzinfo=UTC)  # inside the week-1 cohort
SECOND = timedelta(seconds=1)
WEEK = timedelta(days=7)

# (offset from the window's close, in the base?)
BOUNDARIES = [(-SECOND, False), (timedelta(0), True), (SECOND, True)]


@pytest.mark.parametrize(("offset", "counted"), BOUNDARIES)
def test_week1_retention_and_activation_at_the_seventh_day(
    offset: timedelta, counted: bool
) -> None:
    now = JOINED + WEEK + offset
    stayed = Person(1, JOINED, None)
    quiet_then_gone = Person(2, JOINED, JOINED + WEEK - timedelta(hours=1))
    people = [stayed, quiet_then_gone]
    days = {1: {JOINED.date() + timedelta(days=6)}}  # member 1 wrote on their day 6
    kept = retention.week1_retention(people, PERIOD, now)
    active = retention.activation(people, days, PERIOD, now)
    if counted:
        assert (kept.value, kept.base) == (0.5, 2)
        assert (active.value, active.base) == (0.5, 2)
    else:  # their 7 days are not over: not retained yet, not in the base
        assert (kept.value, kept.base) == (None, 0)
        assert (active.value, active.base) == (None, 0)


@pytest.mark.parametrize(("offset", "counted"), BOUNDARIES)
def test_week4_conversion_at_the_28th_day(offset: timedelta, counted: bool) -> None:
    joined = datetime(2026, 10, 20, 8, tzinfo=UTC)  # in [4 Oct, 1 Nov): the week-4 cohort
    now = joined + timedelta(days=28) + offset
    period = Period(START, START + timedelta(days=28))
    people = [Person(1, joined, None), Person(2, joined, None)]
    days = {1: {joined.date() + timedelta(days=21)}}
    got = retention.week4_conversion(people, days, period, now)
    assert (got.value, got.base) == ((0.5, 2) if counted else (None, 0))


def test_the_members_foyer_found_are_nobody_s_newcomers() -> None:
    arrival = datetime(2026, 11, 10, 12, tzinfo=UTC)
    people = [
        Person(1, datetime(2026, 11, 3, tzinfo=UTC), None),  # there before Foyer arrived
        Person(2, arrival + timedelta(hours=1), None),
        Person(3, datetime(2023, 1, 1, tzinfo=UTC), arrival + timedelta(days=2)),  # a leaver
    ]
    joined = retention.seen_joining(people, arrival)
    assert [p.user_id for p in joined] == [2]
    assert retention.newcomers(joined, PERIOD).value == 1
    # the leaver keeps their tenure: more than 30 days
    assert retention.leavers(people, PERIOD)["retention.leavers_over_30d"].value == 1


@pytest.mark.parametrize(("offset", "counted"), BOUNDARIES)
def test_funnel_still_there_after_7_days(offset: timedelta, counted: bool) -> None:
    now = JOINED + WEEK + offset
    funnel = compute_funnel([NewcomerFacts(JOINED), NewcomerFacts(JOINED, left_at=JOINED)], now)
    assert (funnel.still_there_after_7_days.count, funnel.still_there_after_7_days.eligible) == (
        (1, 2) if counted else (0, 0)
    )


@pytest.mark.parametrize(("offset", "counted"), BOUNDARIES)
def test_funnel_week_4(offset: timedelta, counted: bool) -> None:
    now = JOINED + timedelta(days=28) + offset
    funnel = compute_funnel([NewcomerFacts(JOINED, active_week4=True)], now)
    share = funnel.active_in_week_4
    assert (share.count, share.eligible) == ((1, 1) if counted else (0, 0))
    week4 = funnel_stages(funnel)[-1]
    assert week4.measurable is counted


@pytest.mark.parametrize(("offset", "counted"), BOUNDARIES)
def test_funnel_answered_within_48_hours(offset: timedelta, counted: bool) -> None:
    introduced = JOINED + timedelta(hours=1)
    now = introduced + timedelta(hours=48) + offset
    facts = NewcomerFacts(JOINED, introduced_at=introduced)  # nobody answered
    within = compute_funnel([facts], now).answered_within_48h
    assert within.eligible == (1 if counted else 0)


def test_an_empty_stage_is_not_a_zero() -> None:
    assert not FunnelStage("week4", 0, 0).measurable
    assert FunnelStage("week4", 0, 3).measurable  # nobody made it: a real 0
    assert FunnelStage("joined", 0).measurable  # a plain count


def test_week4_windows_split_at_14_days_before_the_report() -> None:
    """A cohort whose 4th week ended just inside the last 14 days is recent; one second
    earlier it is the baseline's; 70 days back and beyond it is in neither."""
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    split = now - timedelta(days=14)
    four = timedelta(days=28)
    people = [
        Person(1, split - four, None),  # 4th week over exactly at the split: recent
        Person(2, split - four - SECOND, None),  # a second before: the baseline
        Person(3, split - four - timedelta(days=56), None),  # 70 days back: baseline's edge
        Person(4, split - four - timedelta(days=56) - SECOND, None),  # too old
    ]
    days = {p.user_id: {p.joined_at.date() + timedelta(days=22)} for p in people if p.joined_at}
    recent, baseline = retention.week4_windows(people, days, now)
    assert (recent.value, recent.base) == (1.0, 1)
    assert (baseline.value, baseline.base) == (1.0, 2)


def test_weekly_active_retention_by_hand() -> None:
    """Ten weeks of writers, oldest first. Now: of {1, 2, 3, 4} (weeks 6-8), {1, 2} wrote
    in weeks 9-10; the baseline pools the same measure 2, 3, 4 and 5 weeks earlier."""
    weeks: list[set[int]] = [
        {5},  # 1
        {1},  # 2
        {2, 3},  # 3
        {1},  # 4
        {2, 3},  # 5
        {4},  # 6
        {1, 2, 3, 4},  # 7
        {3, 4},  # 8
        {1},  # 9
        {2},  # 10
    ]
    recent, baseline = retention.weekly_active_retention(weeks)
    assert (recent.value, recent.base) == (0.5, 4)
    # shift 2: before weeks 4-6 {1,2,3,4}, after 7-8 {1,2,3,4}: 4 of 4
    # shift 3: before 3-5 {1,2,3}, after 6-7 {1,2,3,4}: 3 of 3
    # shift 4: before 2-4 {1,2,3}, after 5-6 {2,3,4}: 2 of 3
    # shift 5: before 1-3 {1,2,3,5}, after 4-5 {1,2,3}: 3 of 4
    assert (baseline.base, baseline.value) == (14, pytest.approx(12 / 14))
    with pytest.raises(ValueError):
        retention.weekly_active_retention(weeks[1:])
