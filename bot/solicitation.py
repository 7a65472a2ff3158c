"""The solicitation budget: at most N bot posts per channel per UTC day (N from
`GuildSettings.posts_per_channel_per_day`, default 2).

The article warns that over-solicitation kills a community; every feature that posts on
its own initiative (rituals, the weekly digest, welcome nudges) asks `allows` before
posting and calls `record` after, so they share one budget per channel. Replies to a
member's own command are not solicitation and are not counted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import BotPost
from bot.guilds import GuildSettingsService
from bot.scheduling import local_to_utc


class SolicitationBudget:
    def __init__(self, db: Database, guild_settings: GuildSettingsService) -> None:
        self._db = db
        self._settings = guild_settings

    async def used(self, guild_id: int, channel_id: int, at: datetime) -> int:
        """Bot posts already made in this channel on `at`'s UTC day."""
        async with self._db.session() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(BotPost)
                .where(
                    BotPost.guild_id == guild_id,
                    BotPost.channel_id == channel_id,
                    BotPost.day == at.astimezone(UTC).date(),
                )
            )
        return int(count or 0)

    async def limit(self, guild_id: int) -> int:
        return (await self._settings.get(guild_id)).posts_per_channel_per_day

    async def allows(self, guild_id: int, channel_id: int, at: datetime) -> bool:
        """True when one more post in this channel today stays within the cap."""
        return await self.used(guild_id, channel_id, at) < await self.limit(guild_id)

    async def record(
        self, guild_id: int, channel_id: int, at: datetime, kind: str, message_id: int | None
    ) -> None:
        async with self._db.session() as session:
            session.add(
                BotPost(
                    guild_id=guild_id,
                    channel_id=channel_id,
                    day=at.astimezone(UTC).date(),
                    posted_at=at,
                    kind=kind,
                    message_id=message_id,
                )
            )


def postpone_to(scheduled_for: datetime, zone: ZoneInfo | None = None) -> datetime:
    """Where an over-budget occurrence goes (once): the next day at the same local time in
    `zone` (same UTC time without one), with the DST rule of `bot.scheduling`."""
    if zone is None:
        return scheduled_for + timedelta(days=1)
    local = scheduled_for.astimezone(zone)
    return local_to_utc(local.date() + timedelta(days=1), local.time(), zone)
