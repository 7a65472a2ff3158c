"""The newcomer signals on a real database, through `build_report`: they read the latest
newcomers whatever the period (the last 14 days for unanswered introductions; for
introductions, the 14 days before the last 48 hours), and fall back on the period's with
fewer than 10; a newcomer who joined an hour ago is in no introduction base. Week-4
conversion's signal reads its own weekly windows: the latest cohorts against the 8 weeks
before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.db.models import DailyMemberActivity, GuildSettings, Member, Welcome
from bot.metrics.signals import Signal
from bot.metrics.summary import build_report

GUILD = 5151
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
DAY = timedelta(days=1)


async def arrived(db: Database) -> None:
    async with db.session() as s:
        s.add(
            GuildSettings(
                guild_id=GUILD,
                language="en",
                timezone="UTC",
                joined_at=datetime(2026, 1, 5, tzinfo=UTC),
            )
        )


def welcome(user: int, joined: datetime, *, introduced: bool, answered: bool) -> Welcome:
    intro = joined + timedelta(hours=2) if introduced else None
    reply = intro + timedelta(hours=3) if intro is not None and answered else None
    return Welcome(
        guild_id=GUILD,
        user_id=user,
        joined_at=joined,
        introduced_at=intro,
        first_peer_reply_at=reply,
    )


async def test_the_latest_introductions_unanswered_speak_in_a_28_day_period(
    database: Database,
) -> None:
    await arrived(database)
    async with database.session() as s:
        # 30 newcomers 16 to 25 days ago, all answered; 10 in the last 14 days, 6 unanswered
        s.add_all(
            welcome(i, NOW - (16 + i % 10) * DAY, introduced=True, answered=True) for i in range(30)
        )
        s.add_all(
            welcome(100 + i, NOW - (3 + i) * DAY, introduced=True, answered=i >= 6)
            for i in range(10)
        )
    report = await build_report(database, GUILD, 28, NOW)
    (signal,) = [s for s in report.signals if s.key == "newcomers_unanswered"]
    assert signal.params == {"share": 60, "count": 10, "unanswered": 6}  # not 6 of 40


async def test_with_few_recent_introductions_the_periods_are_read(database: Database) -> None:
    await arrived(database)
    async with database.session() as s:
        # 4 in the last 14 days, 3 unanswered: too few alone; the period's 3 of 6 could be
        # chance
        s.add_all(
            welcome(100 + i, NOW - (3 + i) * DAY, introduced=True, answered=i >= 3)
            for i in range(4)
        )
        s.add_all(
            welcome(i, NOW - (18 + i) * DAY, introduced=True, answered=True) for i in range(2)
        )
    report = await build_report(database, GUILD, 28, NOW)
    assert not [s for s in report.signals if s.key == "newcomers_unanswered"]


async def test_a_newcomer_still_in_their_48_hours_is_in_no_introduction_base(
    database: Database,
) -> None:
    await arrived(database)
    async with database.session() as s:
        # 8 newcomers 3 to 10 days ago, none introduced; 1 who joined an hour ago
        s.add_all(
            welcome(i, NOW - (3 + i) * DAY, introduced=False, answered=False) for i in range(8)
        )
        s.add(welcome(99, NOW - timedelta(hours=1), introduced=False, answered=False))
    report = await build_report(database, GUILD, 28, NOW)
    (signal,) = [s for s in report.signals if s.key.startswith("newcomers_not_introducing")]
    assert isinstance(signal, Signal) and signal.key == "newcomers_not_introducing_low"
    assert signal.params == {"now": 0, "newcomers": 8, "introduced": 0}  # not 9
    assert signal.p_value == pytest.approx(0.5**8)


def newcomer(user: int, joined: datetime, *, wrote_on: tuple[int, ...]) -> list[object]:
    """A newcomer who joined at `joined` and wrote on those days after it (day 0 = join)."""
    rows: list[object] = [Member(guild_id=GUILD, user_id=user, joined_at=joined)]
    rows += [
        DailyMemberActivity(guild_id=GUILD, user_id=user, day=(joined + d * DAY).date(), messages=1)
        for d in wrote_on
    ]
    return rows


@pytest.mark.parametrize("recent_staying", [0, 3])
async def test_newcomers_not_staying_reads_the_latest_cohorts(
    database: Database, recent_staying: int
) -> None:
    """10 newcomers whose 4th week ended 20 to 47 days ago all wrote in it; of the 5 whose
    4th week ended in the last 12 days, none did: 0 of 5 against 10 of 10 (Fisher p =
    0.0003). The 28-day periods alone (3 of 8 against 7 of 7, p = 0.019) would say
    nothing yet. With 3 of the 5 staying, 60 % against 100 % is p = 0.095: silent."""
    await arrived(database)
    rows: list[object] = []
    for i in range(10):
        rows += newcomer(i, NOW - (48 + 3 * i) * DAY, wrote_on=(1, 22))
    for i in range(5):
        rows += newcomer(100 + i, NOW - (29 + 2 * i) * DAY,
                         wrote_on=(1, 22) if i < recent_staying else (1,))  # fmt: skip
    async with database.session() as s:
        s.add_all(rows)
    report = await build_report(database, GUILD, 28, NOW)
    period = report.figure("retention.week4_conversion")
    assert (period.base, period.previous) == (8, 1.0)
    assert period.value == pytest.approx((3 + recent_staying) / 8)
    fired = [s for s in report.signals if s.key == "newcomers_not_staying"]
    if recent_staying:
        assert fired == []
        assert "newcomers_not_staying" in [c.key for c in report.checked if c.enough]
        return
    (signal,) = fired
    assert signal.params == {"now": 0, "before": 100, "base": 5, "base_before": 10}
    assert signal.p_value == pytest.approx(1 / 3003)


# The churn signal's 10 completed UTC weeks before NOW (Thursday 26 November): the Mondays
# 14 September ... 16 November 2026.
LAST_MONDAY = datetime(2026, 11, 16, tzinfo=UTC)


async def weeks_of_writers(db: Database, members: int, last_two: int) -> None:
    """`members` members wrote once a week for 8 weeks; `last_two` of them wrote in the
    last 2 completed weeks too."""
    rows: list[object] = []
    for user in range(1, members + 1):
        rows.append(Member(guild_id=GUILD, user_id=user, joined_at=NOW - 400 * DAY))
        for back in range(10):
            if back < 2 and user > last_two:
                continue
            day = (LAST_MONDAY - back * 7 * DAY + DAY).date()  # each week's Tuesday
            rows.append(DailyMemberActivity(guild_id=GUILD, user_id=user, day=day, messages=1))
    async with db.session() as s:
        s.add_all(rows)


@pytest.mark.parametrize("last_two, fires", [(10, True), (17, True), (18, False)])
async def test_churn_rising_reads_the_last_two_weeks(
    database: Database, last_two: int, fires: bool
) -> None:
    """Of the 20 members who wrote in the 3 weeks before the last 2, `last_two` wrote in
    the last 2; 2, 3, 4 and 5 weeks earlier all 20 did each time (80 of 80). 10 of 20 is
    p = 1e-8; 17 of 20 (15 points) p = 0.007; 18 of 20 (10 points) p = 0.038: silent."""
    await arrived(database)
    await weeks_of_writers(database, 20, last_two)
    for days in (28, 7):  # whatever the period
        report = await build_report(database, GUILD, days, NOW)
        fired = [s for s in report.signals if s.key == "churn_rising"]
        if not fires:
            assert fired == []
            assert "churn_rising" in [c.key for c in report.checked if c.enough]
            continue
        (signal,) = fired
        now = round(100 * last_two / 20)
        assert signal.params == {"now": now, "before": 100, "base": 20, "base_before": 80}


async def test_churn_rising_needs_foyer_there_for_its_ten_weeks(database: Database) -> None:
    async with database.session() as s:
        s.add(
            GuildSettings(
                guild_id=GUILD, language="en", timezone="UTC",
                joined_at=datetime(2026, 9, 15, tzinfo=UTC),  # a day after the first Monday
            )
        )  # fmt: skip
    await weeks_of_writers(database, 20, 10)
    report = await build_report(database, GUILD, 28, NOW)
    assert not [s for s in report.signals if s.key == "churn_rising"]
    assert "churn_rising" in [c.key for c in report.checked if not c.enough]
