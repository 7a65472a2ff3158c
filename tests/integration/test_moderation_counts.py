"""Moderation counts on a real database (SQLite, and PostgreSQL in CI): the counter per guild,
day and kind, an entry counted once, the watch, the windows the tensions signal reads (by
hand: a scripted guild), the report's verdict, and the retention purge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import GuildSettings, ModerationCount, ModerationEntry, ModerationKind
from bot.metrics.signals import Signal
from bot.metrics.summary import build_report
from bot.metrics.tensions import moderation_windows
from bot.privacy.service import PrivacyService
from bot.recording import moderation_store
from bot.recording.moderation import ModerationAction

GUILD, OTHER = 6161, 6162
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
TODAY = NOW.date()
DAY = timedelta(days=1)


async def arrived(db: Database, guild_id: int = GUILD, retention: int = 365) -> None:
    async with db.session() as s:
        s.add(
            GuildSettings(
                guild_id=guild_id,
                language="en",
                timezone="UTC",
                joined_at=datetime(2026, 1, 5, tzinfo=UTC),
                retention_days=retention,
            )
        )


_ids = iter(range(10_000, 10**9))


class NoRecorder:
    def set_opted_out(self, guild_id: int, user_id: int, opted_out: bool) -> None:
        raise AssertionError("the purge never touches recording")


async def act(
    db: Database, day: date, kind: ModerationKind, *, messages: int = 0, guild: int = GUILD
) -> None:
    await moderation_store.record(db, ModerationAction(guild, next(_ids), day, kind, messages))


async def test_counts_per_day_and_kind_and_an_entry_counts_once(database: Database) -> None:
    day = date(2026, 11, 20)
    first = ModerationAction(GUILD, 1, day, ModerationKind.TIMEOUT)
    assert await moderation_store.record(database, first)
    assert not await moderation_store.record(database, first)  # replayed: nothing added
    await moderation_store.record(database, ModerationAction(GUILD, 2, day, ModerationKind.TIMEOUT))
    bulk = ModerationAction(GUILD, 3, day, ModerationKind.MESSAGE_DELETE, messages=12)
    await moderation_store.record(database, bulk)
    one = ModerationAction(GUILD, 4, day, ModerationKind.MESSAGE_DELETE, messages=1)
    await moderation_store.record(database, one)
    # the same entry id in another guild is another entry
    await moderation_store.record(database, ModerationAction(OTHER, 1, day, ModerationKind.BAN))
    async with database.session() as s:
        rows = (
            await s.execute(
                select(ModerationCount.kind, ModerationCount.actions, ModerationCount.messages)
                .where(ModerationCount.guild_id == GUILD)
                .order_by(ModerationCount.kind)
            )
        ).all()
        assert [tuple(r) for r in rows] == [(1, 2, 0), (4, 2, 13)]
        sums = await moderation_store.sums(s, GUILD, day, day)
        other = await moderation_store.sums(s, OTHER, day, day)
    assert sums.actions == {ModerationKind.TIMEOUT: 2, ModerationKind.MESSAGE_DELETE: 2}
    assert (sums.total, sums.messages) == (4, 13)
    assert other.actions == {ModerationKind.BAN: 1}


async def test_the_watch_keeps_its_start_and_restarts_after_a_break(database: Database) -> None:
    t1, t2, t3 = NOW - 40 * DAY, NOW - 30 * DAY, NOW - 20 * DAY
    await moderation_store.set_watch(database, GUILD, True, t1)
    await moderation_store.set_watch(database, GUILD, True, t2)  # a restart: still since t1
    async with database.session() as s:
        assert await moderation_store.watched_since(s, GUILD) == t1
    await moderation_store.set_watch(database, GUILD, False, t2)  # the permission removed
    async with database.session() as s:
        assert await moderation_store.watched_since(s, GUILD) is None
    await moderation_store.set_watch(database, GUILD, True, t3)
    async with database.session() as s:
        assert await moderation_store.watched_since(s, GUILD) == t3
        assert await moderation_store.watched_since(s, OTHER) is None


async def test_the_windows_and_the_signal_on_a_scripted_guild(database: Database) -> None:
    await arrived(database)
    await moderation_store.set_watch(database, GUILD, True, NOW - 200 * DAY)
    # before the 70 days: not read. Baseline (Sept 17 - Nov 12): one timeout every 14 days,
    # 4 in all; recent (Nov 13 - 26): 9 timeouts, a ban, 2 deletions (13 messages), AutoMod 1
    await act(database, TODAY - 80 * DAY, ModerationKind.BAN)
    for back in (20, 34, 48, 62):
        await act(database, TODAY - back * DAY, ModerationKind.TIMEOUT)
    for back in range(9):
        await act(database, TODAY - back * DAY, ModerationKind.TIMEOUT)
    await act(database, TODAY - 13 * DAY, ModerationKind.BAN)
    await act(database, TODAY - 2 * DAY, ModerationKind.MESSAGE_DELETE, messages=12)
    await act(database, TODAY, ModerationKind.MESSAGE_DELETE, messages=1)
    await act(database, TODAY - DAY, ModerationKind.AUTOMOD)
    await act(database, TODAY - 14 * DAY, ModerationKind.KICK)  # the baseline's last day
    async with database.session() as s:
        windows = await moderation_windows(s, GUILD, NOW)
    assert windows is not None
    assert (windows.recent_days, windows.baseline_days) == (14, 56)
    assert windows.recent == {"timeouts": 9, "bans": 1, "deletions": 2, "automod": 1}
    assert windows.baseline == {"timeouts": 4, "kicks": 1}
    assert (windows.total_recent, windows.messages) == (13, 13)
    report = await build_report(database, GUILD, 28, NOW)
    (signal,) = [s for s in report.signals if s.key == "tensions"]
    # all 13 in 14 days against 5 in 56: P(X >= 13 | Bin(18, 0.2)) < 0.00001, less likely
    # than the timeouts' 9 against 4
    assert signal.params["series"] == "all"
    assert signal.params["recent"] == 13 and signal.params["usual"] == 1.2
    assert isinstance(signal, Signal) and signal.p_value is not None and signal.p_value < 1e-5


async def test_without_the_watch_the_report_did_not_check(database: Database) -> None:
    await arrived(database)
    for back in range(10):
        await act(database, TODAY - back * DAY, ModerationKind.TIMEOUT)
    report = await build_report(database, GUILD, 28, NOW)
    assert not [s for s in report.signals if s.key == "tensions"]
    (checked,) = [c for c in report.checked if c.key == "tensions"]
    assert checked.missing == "health.signal.tensions.missing" and not checked.enough


async def test_the_retention_purge_ages_out_the_counts_and_the_ids(database: Database) -> None:
    await arrived(database, retention=30)
    await act(database, TODAY - 31 * DAY, ModerationKind.KICK)
    await act(database, TODAY - 29 * DAY, ModerationKind.KICK)
    await PrivacyService(database, ManualClock(NOW), NoRecorder()).purge_expired(NOW, keep=[GUILD])
    async with database.session() as s:
        days = (await s.scalars(select(ModerationCount.day))).all()
        entries = await s.scalar(select(func.count()).select_from(ModerationEntry))
    assert days == [TODAY - 29 * DAY] and entries == 1


async def test_every_guilds_watch_in_one_call(database: Database) -> None:
    t1, t2 = NOW - 10 * DAY, NOW - 5 * DAY
    await moderation_store.set_watches(database, {GUILD: True, OTHER: False}, t1)
    await moderation_store.set_watches(database, {GUILD: True, OTHER: True}, t2)
    async with database.session() as s:
        assert await moderation_store.watched_since(s, GUILD) == t1  # kept since t1
        assert await moderation_store.watched_since(s, OTHER) == t2
    await moderation_store.set_watches(database, {GUILD: False, OTHER: True}, NOW)
    async with database.session() as s:
        assert await moderation_store.watched_since(s, GUILD) is None
        assert await moderation_store.watched_since(s, OTHER) == t2
