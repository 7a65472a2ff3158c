"""Windows and coverage on a real database (SQLite, or PostgreSQL with
FOYER_TEST_DATABASE_URL), through `build_report`: a newcomer's 7 and 28 days judged at the
report's moment, one second before, at and after they close; coverage from Foyer's arrival,
whatever the members' old join dates. Values worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.db.models import DailyGuildActivity, DailyMemberActivity, GuildSettings, Member, Welcome
from bot.metrics.summary import build_report

GUILD = 4242
ARRIVAL = datetime(2026, 8, 3, 9, tzinfo=UTC)
JOINED = datetime(2026, 11, 12, 13, 30, tzinfo=UTC)  # newcomer 1: week-1 window
OLD_JOINED = datetime(2026, 10, 20, 8, tzinfo=UTC)  # newcomer 2: week-4 window
SECOND = timedelta(seconds=1)
BOUNDARIES = [(-SECOND, False), (timedelta(0), True), (SECOND, True)]


async def seed(db: Database, arrival: datetime = ARRIVAL) -> None:
    """Foyer there since `arrival`; two newcomers welcomed: 1 (joined `JOINED`, wrote on
    its day 2) and 2 (joined `OLD_JOINED`, wrote on its day 22); ten members from 2024."""
    async with db.session() as s:
        s.add(GuildSettings(guild_id=GUILD, language="en", timezone="UTC", joined_at=arrival))
        s.add_all(
            Member(guild_id=GUILD, user_id=100 + i, joined_at=datetime(2024, 5, 1, tzinfo=UTC))
            for i in range(10)
        )
        s.add_all(
            [
                Member(guild_id=GUILD, user_id=1, joined_at=JOINED),
                Member(guild_id=GUILD, user_id=2, joined_at=OLD_JOINED),
                Welcome(guild_id=GUILD, user_id=1, joined_at=JOINED),
                Welcome(guild_id=GUILD, user_id=2, joined_at=OLD_JOINED),
            ]
        )
        for user, day in ((1, JOINED + timedelta(days=2)), (2, OLD_JOINED + timedelta(days=22))):
            s.add(DailyMemberActivity(guild_id=GUILD, user_id=user, day=day.date(), messages=1))
            s.add(DailyGuildActivity(guild_id=GUILD, day=day.date(), member_messages=1))


@pytest.mark.parametrize(("offset", "counted"), BOUNDARIES)
async def test_week1_windows_at_the_report_moment(
    database: Database, offset: timedelta, counted: bool
) -> None:
    await seed(database)
    now = JOINED + timedelta(days=7) + offset  # 19 Nov: 7-day period [13 Nov, 20 Nov)
    report = await build_report(database, GUILD, 7, now)
    kept = report.figure("retention.week1_retention")
    active = report.figure("retention.activation")
    stayed = next(s for s in report.funnel if s.stage == "stayed")
    if counted:  # newcomer 1 joined in [6 Nov, 13 Nov) and their 7 days are over
        assert (kept.value, kept.base) == (1.0, 1)
        assert (active.value, active.base) == (1.0, 1)
    else:  # their 7 days end in a second: out of the base, never "retained" early
        assert (kept.value, kept.base) == (None, 0)
        assert (active.value, active.base) == (None, 0)
    # the 7-day period's funnel welcomes from 13 Nov: nobody can have been here 7 days
    assert stayed.eligible == 0 and not stayed.measurable


@pytest.mark.parametrize(("offset", "counted"), BOUNDARIES)
async def test_week4_windows_at_the_report_moment(
    database: Database, offset: timedelta, counted: bool
) -> None:
    await seed(database)
    now = OLD_JOINED + timedelta(days=28) + offset  # 17 Nov 08:00
    report = await build_report(database, GUILD, 90, now)
    conversion = report.figure("retention.week4_conversion")
    week4 = next(s for s in report.funnel if s.stage == "week4")
    if counted:  # newcomer 2 wrote on their day 22: converted; newcomer 1 is too young
        assert (conversion.value, conversion.base) == (1.0, 1)
        assert (week4.count, week4.eligible) == (1, 1)
    else:
        assert (conversion.value, conversion.base) == (None, 0)
        assert (week4.count, week4.eligible) == (0, 0) and not week4.measurable
    stayed = next(s for s in report.funnel if s.stage == "stayed")
    # newcomer 2 has been here 7+ days; newcomer 1's 7 days end on 19 Nov
    assert (stayed.count, stayed.eligible) == (1, 1)


async def test_on_a_28_day_period_week_4_is_not_a_zero(database: Database) -> None:
    await seed(database)
    report = await build_report(database, GUILD, 28, datetime(2026, 11, 26, 12, tzinfo=UTC))
    week4 = next(s for s in report.funnel if s.stage == "week4")
    assert week4.eligible == 0 and not week4.measurable


async def test_coverage_starts_at_the_arrival_not_at_old_joins(database: Database) -> None:
    arrival = datetime(2026, 11, 20, 15, tzinfo=UTC)
    await seed(database, arrival)
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    report = await build_report(database, GUILD, 28, now)
    assert report.data_since == arrival
    assert (report.days_of_data, report.covered) == (5, False)
    assert all(f.previous is None and f.trend is None for f in report.figures())
    assert not any(f.comparable for f in report.figures())
    # newcomers 1 and 2 joined before Foyer arrived: Foyer never saw them join
    assert report.figure("retention.newcomers").value == 0
    assert report.figure("participation.members").value == 12
    assert report.figure("participation.members").meaningful  # a headcount: no "*"
    assert not report.figure("participation.active_members").meaningful
    assert [w.label for w in report.weekly] == ["2026-W47", "2026-W48"]  # from the arrival


async def test_a_fully_covered_period_compares(database: Database) -> None:
    await seed(database)  # Foyer there since August
    report = await build_report(database, GUILD, 28, datetime(2026, 11, 26, 12, tzinfo=UTC))
    assert report.covered
    members = report.figure("participation.members")
    assert members.comparable and members.previous == 11  # newcomer 1 joined after 29 Oct
