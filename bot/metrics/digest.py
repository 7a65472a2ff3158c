"""The weekly digest: every Monday at 09:00 in the guild's time zone, the /health summary
(28 days) posted once in the admin channel, if one is configured.

It is a scheduler job kind (`digest:<guild_id>`), so the scheduling ledger guarantees a
single post per Monday across restarts; it asks the solicitation budget first, like every
post the bot makes on its own initiative, and is postponed by a day when over it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import discord
from sqlalchemy import select

from bot.clock import Clock
from bot.db import Database
from bot.db.models import GuildSettings
from bot.metrics.summary import HealthReport, build_report
from bot.scheduling import JobSpec, NotPostedAgain, Outcome, Recurrence, RunContext, Weekly
from bot.solicitation import SolicitationBudget, postpone_to

log = logging.getLogger(__name__)

DIGEST_WEEKDAY = 0  # Monday
DIGEST_TIME = time(9, 0)
DIGEST_DAYS = 28
PREFIX = "digest"
LOOKBACK = timedelta(days=1)

# Posts the occurrence's report in a channel, once (`bot.scheduling.posting.send_once`);
# returns the message id. Raises discord.Forbidden and discord.NotFound as discord.py does,
# and NotPostedAgain when an earlier attempt may have posted it.
Poster = Callable[[RunContext, int, HealthReport], Awaitable[int]]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class DigestJobs:
    """Job kind for the scheduler: one weekly job per guild with an admin channel."""

    def __init__(
        self, db: Database, budget: SolicitationBudget, post: Poster, clock: Clock
    ) -> None:
        self._db = db
        self._budget = budget
        self._post = post
        self._clock = clock

    async def jobs(self) -> Iterable[JobSpec]:
        now = self._clock.now()
        async with self._db.session() as session:
            rows = (
                await session.execute(
                    select(
                        GuildSettings.guild_id, GuildSettings.timezone, GuildSettings.joined_at
                    ).where(
                        GuildSettings.admin_channel_id.is_not(None),
                        GuildSettings.left_at.is_(None),
                    )
                )
            ).all()
        return [
            JobSpec(
                key=f"{PREFIX}:{guild_id}",
                guild_id=guild_id,
                recurrence=Recurrence(Weekly(frozenset({DIGEST_WEEKDAY}), DIGEST_TIME), _zone(tz)),
                # A digest is only worth sending fresh: Mondays older than a day are not
                # "missed", they are history (the scheduler's grace is shorter anyway).
                since=max(joined_at, now - LOOKBACK),
            )
            for guild_id, tz, joined_at in rows
        ]

    async def run(self, ctx: RunContext) -> Outcome:
        async with self._db.session() as session:
            settings = await session.get(GuildSettings, ctx.guild_id)
        if settings is None or settings.admin_channel_id is None:
            return Outcome.skipped("no_admin_channel")
        channel_id = settings.admin_channel_id
        if not await self._budget.allows(ctx.guild_id, channel_id, ctx.now):
            if ctx.postponed:
                return Outcome.skipped("budget")
            return Outcome.postponed(postpone_to(ctx.scheduled_for), "budget")
        report = await build_report(self._db, ctx.guild_id, DIGEST_DAYS, ctx.now)
        try:
            message_id = await self._post(ctx, channel_id, report)
        except NotPostedAgain as not_again:
            return Outcome.failed(not_again.reason)
        except discord.Forbidden:
            # Never retried: the admin sees the failed run in the logs and in /setup show.
            log.warning("cannot post the digest", extra={"guild_id": ctx.guild_id})
            return Outcome.failed("forbidden")
        except discord.NotFound:
            return Outcome.failed("channel_gone")
        await ctx.record_post(channel_id, message_id)
        await self._budget.record(ctx.guild_id, channel_id, ctx.now, PREFIX, message_id)
        return Outcome.posted(channel_id, message_id)
