"""The daily purge: each guild's retention window, and the deletion of guilds the bot left."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from test_privacy_service import G1, G2, NOW, Fabricator, U, V, snapshot

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import ActivityEvent, Base, BotState, GuildSettings
from bot.privacy import GUILD_GRACE_PERIOD, PrivacyService
from bot.privacy.registry import guild_tables, retention_columns

G3 = 1_000_000_000_000_003


class NoRecorder:
    def set_opted_out(self, guild_id: int, user_id: int, opted_out: bool) -> None:
        raise AssertionError("the purge never touches recording")


def service(db: Database) -> PrivacyService:
    return PrivacyService(db, ManualClock(NOW), NoRecorder())


async def fabricate(db: Database, guilds: list[int], ages_days: list[int]) -> None:
    fab = Fabricator(NOW)
    async with db.session() as session:
        for guild_id in guilds:
            for user_id, age in zip((U, V), ages_days, strict=True):
                await fab.scenario(session, guild_id, user_id, when=NOW - timedelta(days=age))


async def test_retention_follows_each_guilds_window(database: Database) -> None:
    await fabricate(database, [G1, G2], [40, 10])
    async with database.session() as session:
        await session.execute(
            update(GuildSettings).where(GuildSettings.guild_id == G1).values(retention_days=30)
        )
    before = await snapshot(database)

    report = await service(database).purge_expired(NOW)
    after = await snapshot(database)

    assert report.expired_rows > 0 and report.deleted_guilds == []
    aged = {rc.table.name for rc in retention_columns()}
    assert {"activity_events", "daily_member_activity", "daily_guild_activity"} <= aged
    for rc in retention_columns():
        rows = after[rc.table.name]
        cutoff = NOW - timedelta(days=30)
        limit = cutoff.date() if rc.is_date else cutoff
        g1 = [r for r in rows if r["guild_id"] == G1]
        assert g1, f"{rc.table.name}: the recent rows of G1 must stay"
        assert all(r[rc.column.name] >= limit for r in g1), rc.table.name
        # G2 keeps the default 365 days: nothing of it was old enough.
        assert [r for r in rows if r["guild_id"] == G2] == [
            r for r in before[rc.table.name] if r["guild_id"] == G2
        ]
    for name, rows in before.items():
        if name not in aged:
            assert after[name] == rows, f"{name} has no retention column and must not change"

    second = await service(database).purge_expired(NOW)
    assert second.expired_rows == 0


async def test_rows_of_a_guild_without_settings_get_the_default_window(
    database: Database,
) -> None:
    async with database.session() as session:
        for ref, age in ((1, 400), (2, 10)):
            session.add(
                ActivityEvent(
                    guild_id=G3,
                    kind=1,
                    ref_id=ref,
                    occurred_at=NOW - timedelta(days=age),
                    actor_id=U,
                    actor_role=2,
                )
            )
    await service(database).purge_expired(NOW)
    rows = (await snapshot(database))["activity_events"]
    assert [r["ref_id"] for r in rows] == [2]


async def test_guilds_left_longer_than_the_grace_period_are_deleted(database: Database) -> None:
    present = 1_000_000_000_000_004
    await fabricate(database, [G1, G2, present], [5, 5])
    async with database.session() as session:
        for guild_id, left_days_ago in ((G1, 31), (G2, 29), (present, 90)):
            await session.execute(
                update(GuildSettings)
                .where(GuildSettings.guild_id == guild_id)
                .values(left_at=NOW - timedelta(days=left_days_ago))
            )
    before = await snapshot(database)
    assert timedelta(days=30) == GUILD_GRACE_PERIOD

    report = await service(database).purge_expired(NOW, keep={present})
    after = await snapshot(database)

    assert report.deleted_guilds == [G1] and report.guild_rows > 0
    tables = [t.name for t in guild_tables()]
    assert {"guild_settings", "activity_events", "members", "daily_guild_activity"} <= set(tables)
    for name in tables:
        assert [r for r in before[name] if r["guild_id"] == G1], f"{name}: nothing fabricated"
        assert not [r for r in after[name] if r["guild_id"] == G1], f"{name} kept G1 rows"
        for kept in (G2, present):
            assert [r for r in after[name] if r["guild_id"] == kept] == [
                r for r in before[name] if r["guild_id"] == kept
            ], name
    for name in Base.metadata.tables:
        if name not in tables:  # children without guild_id went with their parents only
            assert len(after[name]) <= len(before[name])


async def test_a_deleted_guilds_bot_state_keys_go_with_it(database: Database) -> None:
    await fabricate(database, [G1, G2], [5, 5])
    keys = [f"tracking.unreadable:{G1}:5", f"tracking.unreadable:{G2}:5", "command_tree_hash:x"]
    async with database.session() as session:
        session.add_all(BotState(key=k, value="reported") for k in keys)
        await session.execute(
            update(GuildSettings)
            .where(GuildSettings.guild_id == G1)
            .values(left_at=NOW - timedelta(days=31))
        )

    await service(database).purge_expired(NOW)

    async with database.session() as session:
        left = set((await session.scalars(select(BotState.key))).all())
    assert left == set(keys[1:])
