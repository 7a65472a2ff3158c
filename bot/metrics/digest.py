"""The weekly digest: at the day and hour the admins chose (`/setup digest`; by default
Monday 09:00) in the guild's time zone, the /health summary (28 days), full or compact,
posted once in the admin channel, if one is configured, and never when it is off.

It is a scheduler job kind (`digest:<guild_id>`), so the scheduling ledger guarantees a
single post per occurrence across restarts, and `bot.metrics.digest_schedule` a single
digest per week when the admins change its day; it asks the solicitation budget first,
like every post the bot makes on its own initiative, and is postponed by a day when over it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import discord

from bot.clock import Clock
from bot.db import Database
from bot.db.models import GuildSettings
from bot.metrics import digest_schedule, digest_store
from bot.metrics.summary import HealthReport, build_report
from bot.scheduling import JobSpec, NotPostedAgain, Outcome, RunContext
from bot.solicitation import SolicitationBudget, postpone_to

log = logging.getLogger(__name__)

DIGEST_DAYS = 28
PREFIX = "digest"

# Posts the occurrence's report in a channel in a format ("full" or "compact"), once
# (`bot.scheduling.posting.send_once`); returns the message id. Raises discord.Forbidden
# and discord.NotFound as discord.py does, and NotPostedAgain when an earlier attempt may
# have posted it.
Poster = Callable[[RunContext, int, HealthReport, str], Awaitable[int]]


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def job_key(guild_id: int) -> str:
    return f"{PREFIX}:{guild_id}"


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
            guilds = [g for g in await digest_store.digest_guilds(session) if g.plan.enabled]
            taken = await digest_store.last_taken(session, [job_key(g.guild_id) for g in guilds])
        specs = []
        for guild in guilds:
            zone = zone_of(guild.timezone)
            since = digest_schedule.since(
                guild.plan,
                zone,
                joined_at=guild.joined_at,
                now=now,
                last_taken=taken.get(job_key(guild.guild_id)),
            )
            specs.append(
                JobSpec(
                    key=job_key(guild.guild_id),
                    guild_id=guild.guild_id,
                    recurrence=digest_schedule.recurrence(guild.plan, zone),
                    since=since,
                )
            )
        return specs

    async def run(self, ctx: RunContext) -> Outcome:
        async with self._db.session() as session:
            settings = await session.get(GuildSettings, ctx.guild_id)
            plan = await digest_store.load_plan(session, ctx.guild_id)
        if settings is None or settings.admin_channel_id is None:
            return Outcome.skipped("no_admin_channel")
        if not plan.enabled:  # turned off after this occurrence was claimed or postponed
            return Outcome.skipped("off")
        channel_id = settings.admin_channel_id
        if not await self._budget.allows(ctx.guild_id, channel_id, ctx.now):
            if ctx.postponed:
                return Outcome.skipped("budget")
            return Outcome.postponed(postpone_to(ctx.scheduled_for), "budget")
        report = await build_report(self._db, ctx.guild_id, DIGEST_DAYS, ctx.now)
        try:
            message_id = await self._post(ctx, channel_id, report, plan.format)
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
