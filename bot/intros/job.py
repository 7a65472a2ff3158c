"""The rounds: a scheduler job kind (`intros:<guild>`), Monday at `ROUND_TIME` in the
guild's zone, a round every 1, 2 or 4 weeks (the other Mondays are skipped), so each
round happens exactly once, even across restarts and shards.

A new round asks the post budget of the channel first (over it: the round waits a day,
once); it counts as one post, however many pairs it opens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import time
from zoneinfo import ZoneInfo

import discord

from bot.guilds import GuildSettingsService
from bot.intros.discord_io import IntrosDiscord, can_open_threads
from bot.scheduling import JobSpec, Outcome, Recurrence, RunContext, Weekly
from bot.solicitation import SolicitationBudget, postpone_to

log = logging.getLogger(__name__)

JOB_PREFIX = "intros"
ROUND_TIME = time(10, 0)
MONDAY = 0


class IntrosRounds:
    """Scheduler job kind: one introductions round."""

    def __init__(
        self,
        client: discord.Client,
        *,
        io: IntrosDiscord,
        settings: GuildSettingsService,
        budget: SolicitationBudget,
    ) -> None:
        self._client = client
        self._io = io
        self._settings = settings
        self._budget = budget

    async def jobs(self) -> Iterable[JobSpec]:
        specs = []
        for cfg in await self._io.service.enabled_configs():
            zone = ZoneInfo((await self._settings.get(cfg.guild_id)).timezone)
            specs.append(
                JobSpec(
                    key=f"{JOB_PREFIX}:{cfg.guild_id}",
                    guild_id=cfg.guild_id,
                    recurrence=Recurrence(Weekly(frozenset({MONDAY}), ROUND_TIME), zone),
                    since=cfg.since,
                )
            )
        return specs

    async def run(self, ctx: RunContext) -> Outcome:
        service = self._io.service
        cfg = await service.config(ctx.guild_id)
        if cfg is None or not cfg.enabled:
            return Outcome.skipped("disabled")
        if not service.is_round_week(cfg, ctx.scheduled_for):
            return Outcome.skipped("not_this_week")
        guild = self._client.get_guild(ctx.guild_id)
        channel = guild.get_channel(cfg.channel_id) if guild else None
        if guild is None or not isinstance(channel, discord.TextChannel):
            return Outcome.failed("channel_missing")
        if not can_open_threads(channel):
            return Outcome.failed("missing_permissions")
        again = await service.existing_round(guild.id, ctx.scheduled_for)
        if not again and not await self._budget.allows(guild.id, channel.id, ctx.now):
            if ctx.postponed:
                return Outcome.skipped("over_budget")
            zone = ZoneInfo((await self._settings.get(guild.id)).timezone)
            return Outcome.postponed(postpone_to(ctx.scheduled_for, zone), "over_budget")
        lang = await self._settings.language(guild.id)
        found = await service.prepare_round(
            guild.id, ctx.scheduled_for, lambda u: guild.get_member(u) is not None
        )
        if not found.pairs:
            return Outcome.skipped("too_few_members")
        try:
            await self._io.post_round(ctx.key, channel, found, cfg.prompt, lang)
        except discord.Forbidden:
            log.warning("introductions refused (403)", extra={"guild_id": guild.id})
            return Outcome.failed("forbidden")
        if found.new:
            await self._budget.record(guild.id, channel.id, ctx.now, JOB_PREFIX, None)
        await service.finish_round(guild.id)
        return Outcome.posted(channel.id)
