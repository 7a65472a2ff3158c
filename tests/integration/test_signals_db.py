"""The newcomer signals on a real database, through `build_report`: they read the latest
newcomers whatever the period (the last 14 days for unanswered introductions; for
introductions, the 14 days before the last 48 hours), and fall back on the period's with
fewer than 10; a newcomer who joined an hour ago is in no introduction base."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.db.models import GuildSettings, Welcome
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
