"""Every figure of the four families against values computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.metrics import advocacy, contribution, newcomers, participation, retention
from bot.metrics.activity import summarise
from bot.metrics.data import Headcount, MemberActivity, Person
from bot.metrics.figures import Figure, Kind, Trend, trend
from bot.periods import Period
from bot.survey.nps import summarize
from bot.welcome.funnel import NewcomerFunnel, Share

UTC0 = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD = Period(UTC0, UTC0 + timedelta(days=28))  # 1 Nov .. 29 Nov (exclusive)


def at(day: int, hour: int = 12) -> datetime:
    """A moment on November `day`, 2026 (days beyond 30 roll into December)."""
    return UTC0 + timedelta(days=day - 1, hours=hour)


def d(day: int) -> date:
    return at(day).date()


A = MemberActivity


# -- participation ------------------------------------------------------------------------


def test_participation_by_hand() -> None:
    activity = {
        1: A(messages=5, conversations_started=1),
        2: A(messages=3),
        3: A(messages=1, conversations_started=2),
        4: A(reactions_given=2),  # reacted only: not active
    }
    got = participation.participation(summarise(activity), Headcount(members=10, staff=2))
    assert got["participation.members"].value == 10
    assert got["participation.staff"].value == 2
    assert got["participation.active_members"].value == 3
    assert got["participation.active_rate"].value == pytest.approx(0.3)
    assert got["participation.active_rate"].base == 10
    assert got["participation.communicators"].value == 2  # 5 and 3 messages
    assert got["participation.messages_per_active"].value == pytest.approx(9 / 3)
    assert got["participation.member_conversations"].value == 3


def test_participation_of_an_empty_guild() -> None:
    got = participation.participation(summarise({}), Headcount(0, 0))
    assert got["participation.active_members"].value == 0
    assert got["participation.active_rate"].value is None
    assert got["participation.messages_per_active"].value is None


def test_participation_of_one_member() -> None:
    got = participation.participation(summarise({7: A(messages=2)}), Headcount(1, 0))
    assert got["participation.active_rate"].value == 1.0
    assert got["participation.communicators"].value == 0


# -- retention ----------------------------------------------------------------------------


def person(uid: int, joined: datetime | None, left: datetime | None = None, **kw: bool) -> Person:
    return Person(uid, joined, left, **kw)


def test_week1_retention_uses_the_cohort_whose_first_week_ended_in_the_period() -> None:
    # Cohort: joined in [25 Oct, 22 Nov).
    people = [
        person(1, at(-5)),  # 26 Oct: in cohort, stayed
        person(2, at(3), at(5)),  # left after 2 days
        person(3, at(10), at(17, 13)),  # left 7 d 1 h later: stayed a week
        person(4, at(21), at(27)),  # left after 6 days
        person(5, at(23)),  # joined 23 Nov: first week not over at period end
        person(6, at(-10)),  # 21 Oct: before the cohort
        person(7, at(4), is_staff=True),  # staff: not counted
        person(8, at(4), opted_out=True),  # opted out: not counted
    ]
    got = retention.week1_retention(people, PERIOD, PERIOD.end)
    assert got.base == 4
    assert got.value == pytest.approx(2 / 4)


def test_an_old_leave_before_the_latest_join_is_not_a_leave() -> None:
    returning = person(1, at(3), at(-30))
    assert retention.week1_retention([returning], PERIOD, PERIOD.end).value == 1.0
    assert returning.present_at(at(20))


def test_activation_and_week4_conversion() -> None:
    people = [
        person(1, at(-20)),  # 11 Oct: week-4 cohort [4 Oct, 1 Nov)
        person(2, at(-3)),  # 29 Oct: both cohorts (week-1 cohort: [25 Oct, 22 Nov))
        person(3, at(5)),  # 5 Nov: week-1 cohort only
        person(4, at(10)),  # week-1 cohort, never posts
    ]
    days = {
        1: {d(-20) + timedelta(days=21)},  # day 21: converted
        2: {d(-3) + timedelta(days=6), d(-3) + timedelta(days=28)},  # day 6; day 28 too late
        3: {d(5) + timedelta(days=7)},  # day 7: too late for activation
    }
    act = retention.activation(people, days, PERIOD, PERIOD.end)
    assert (act.value, act.base) == (pytest.approx(1 / 3), 3)  # 2, 3, 4 in cohort; 2 active
    conv = retention.week4_conversion(people, days, PERIOD, PERIOD.end)
    assert (conv.value, conv.base) == (pytest.approx(1 / 2), 2)  # 1 converted, 2 not


def test_active_retention_and_churn() -> None:
    kept = retention.active_retention(2, 4)  # 2 of the 4 active before are active again
    assert (kept.value, kept.base) == (0.5, 4)
    assert retention.churn(kept).value == 0.5
    empty = retention.active_retention(0, 0)
    assert empty.value is None and retention.churn(empty).value is None


def test_leavers_by_tenure_count_everyone_who_left() -> None:
    people = [
        person(1, at(2), at(4)),  # 2 days
        person(2, at(-20), at(3)),  # 23 days
        person(3, at(-60), at(10), is_staff=True),  # 70 days, staff still counted
        person(4, None, at(11), opted_out=True),  # no known join: long
        person(5, at(-5), at(30)),  # left after the period
        person(6, at(1), at(8)),  # exactly 7 days: 7-30
    ]
    got = retention.leavers(people, PERIOD)
    assert got["retention.leavers"].value == 5
    assert got["retention.leavers_under_7d"].value == 1
    assert got["retention.leavers_7_30d"].value == 2
    assert got["retention.leavers_over_30d"].value == 2


def test_newcomers_exclude_staff_and_opted_out() -> None:
    people = [person(1, at(2)), person(2, at(2), is_staff=True), person(3, at(3), opted_out=True)]
    assert retention.newcomers(people, PERIOD).value == 1


def test_cohort_table_by_hand() -> None:
    utc = ZoneInfo("UTC")
    now = datetime(2026, 11, 26, tzinfo=UTC)  # week 2026-W48 (23-29 Nov)
    people = [
        person(1, datetime(2026, 11, 10, tzinfo=UTC)),  # W46
        person(2, datetime(2026, 11, 11, tzinfo=UTC)),  # W46
        person(3, datetime(2026, 11, 17, tzinfo=UTC)),  # W47
    ]
    days = {1: {date(2026, 11, 18), date(2026, 11, 24)}, 2: {date(2026, 11, 25)}}
    rows = retention.cohort_table(people, days, now, utc)
    assert len(rows) == 8
    w46, w47 = rows[-2], rows[-1]
    assert (w46.week.label, w46.size) == ("2026-W46", 2)
    assert w46.shares[:3] == (0.5, 1.0, None)  # W47: 1 of 2; W48: both; W49 not started
    assert (w47.size, w47.shares[0], w47.shares[1]) == (1, 0.0, None)
    assert rows[0].size == 0 and rows[0].shares == (None,) * 8


# -- contribution -------------------------------------------------------------------------


def test_interactions_and_horizontal_share() -> None:
    activity = {
        1: A(messages=4, peer_given=3, staff_received=1, ritual_messages=2, threads_created=1),
        2: A(messages=2, peer_given=1, staff_received=2, ritual_messages=1),
        3: A(messages=1, staff_received=1),
    }
    got = contribution.interactions(summarise(activity))
    assert got["contribution.peer_interactions"].value == 4
    assert got["contribution.peer_helpers"].value == 2
    assert got["contribution.staff_interactions"].value == 4
    assert got["contribution.horizontal_share"].value == pytest.approx(4 / 8)
    assert got["contribution.horizontal_share"].base == 8
    assert got["contribution.member_threads"].value == 1
    assert got["contribution.ritual_responses"].value == 3
    assert got["contribution.ritual_participants"].value == 2


def test_staff_only_activity_gives_a_zero_horizontal_share() -> None:
    got = contribution.interactions(summarise({1: A(staff_received=5)}))
    assert got["contribution.horizontal_share"].value == 0.0
    assert contribution.interactions(summarise({}))["contribution.horizontal_share"].value is None


def test_concentration_by_hand() -> None:
    # messages 50, 20, 10, 10, 5, 5 (total 100): 50 alone reaches half -> 1
    activity = {i: A(messages=m) for i, m in enumerate([50, 20, 10, 10, 5, 5])}
    got = contribution.concentration(summarise(activity))
    assert got["contribution.concentration"].value == 1
    # top 10 % of 6 active members = ceil(0.6) = 1 member: 50 / 100
    assert got["contribution.top10_share"].value == pytest.approx(0.5)
    # 10 x 10 messages: 5 needed; top 10 % = 1 of 10 -> 10 %
    even = contribution.concentration(summarise({i: A(messages=10) for i in range(10)}))
    assert even["contribution.concentration"].value == 5
    assert even["contribution.top10_share"].value == pytest.approx(0.1)
    # 11 members: top 10 % = ceil(1.1) = 2
    eleven = contribution.concentration(summarise({i: A(messages=1) for i in range(11)}))
    assert eleven["contribution.top10_share"].value == pytest.approx(2 / 11)
    assert eleven["contribution.concentration"].value == 6  # 6/11 >= half


def test_concentration_without_messages() -> None:
    got = contribution.concentration(summarise({1: A(reactions_given=3)}))
    assert got["contribution.concentration"].value is None


def test_welcome_figures_from_the_welcome_funnel() -> None:
    funnel = NewcomerFunnel(
        joined=10,
        introduced=Share(6, 9),
        answered=Share(4, 6),
        answered_within_48h=Share(3, 5),
        staff_only=1,
        left_before_introducing=1,
        median_seconds_to_first_peer_reply=5400.0,
        still_there_after_7_days=Share(7, 8),
        active_in_week_4=Share(2, 4),
    )
    got = newcomers.welcome_figures(funnel)
    assert got["contribution.introductions"].value == 6
    ttfpr = got["contribution.time_to_first_peer_reply"]
    assert (ttfpr.value, ttfpr.base) == (1.5, 4)
    missed = newcomers.unanswered(funnel)
    assert (missed.value, missed.base) == (pytest.approx(2 / 5), 5)
    stages = newcomers.funnel_stages(funnel)
    assert [(s.stage, s.count, s.eligible) for s in stages] == [
        ("joined", 10, None),
        ("introduced", 6, 9),
        ("answered", 4, 6),
        ("stayed", 7, 8),
        ("week4", 2, 4),
    ]
    assert (
        newcomers.unanswered(
            NewcomerFunnel(0, *[Share(0, 0)] * 3, 0, 0, None, *[Share(0, 0)] * 2)
        ).value
        is None
    )


# -- advocacy -----------------------------------------------------------------------------


def test_recognition_by_hand() -> None:
    got = advocacy.recognition(
        summarise({1: A(reactions_given=3), 2: A(reactions_given=1), 3: A()})
    )
    assert got["advocacy.recognition"].value == 4
    assert got["advocacy.recognition_givers"].value == 2


def test_nps_by_hand() -> None:
    # promoters 10, 9 (2); passive 8; detractors 6, 0 (2): (2 - 2) / 5 = 0
    assert advocacy.nps(summarize([10, 9, 8, 6, 0])).value == 0
    got = advocacy.nps(summarize([10, 10, 10, 7]))
    assert (got.value, got.base) == (75.0, 4)
    assert advocacy.nps(summarize([])).value is None


# -- trends -------------------------------------------------------------------------------


def test_trends() -> None:
    assert trend(0.50, 0.40, Kind.RATE) is Trend.UP
    assert trend(0.41, 0.40, Kind.RATE) is Trend.FLAT
    assert trend(100, 104, Kind.COUNT) is Trend.FLAT
    assert trend(100, 120, Kind.COUNT) is Trend.DOWN
    assert trend(3, 0, Kind.COUNT) is Trend.UP
    assert Figure("x", 5, None).trend is None
    assert Figure("x", 5, 1, meaningful=False).trend is None
