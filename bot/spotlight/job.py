"""The weekly suggestion: a scheduler job kind (`spotlight:<guild>`), so the list reaches
the admin channel exactly once per week, even across restarts and shards.

It runs on the chosen day at `SUGGESTION_TIME` in the guild's time zone, never at or before
the moment the day was (re)configured. No interaction is at hand, so the language is the
guild's setting, read here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import discord

from bot.db.models.recognition import SUGGESTION_TIME
from bot.guilds import GuildSettingsService
from bot.scheduling import JobSpec, NotPostedAgain, Outcome, Recurrence, RunContext, Weekly
from bot.scheduling.posting import send_once
from bot.spotlight.discord_io import SpotlightPoster
from bot.spotlight.service import SpotlightService

log = logging.getLogger(__name__)

JOB_PREFIX = "spotlight"
PICK_PREFIX = "foyer:spotlight:pick:"


def _is_suggestion(message: discord.Message) -> bool:
    """A suggestion list (`send_once`'s marker): one embed without an image, no file, and
    only pick buttons, whose members may differ from one attempt to the next."""
    ids = [
        getattr(child, "custom_id", None) or ""
        for row in message.components
        for child in getattr(row, "children", [])
    ]
    return (
        len(message.embeds) == 1
        and not message.embeds[0].image.url
        and not message.attachments
        and all(i.startswith(PICK_PREFIX) for i in ids)
    )


class WeeklySuggestions:
    """Scheduler job kind: the suggestion list, posted to the admin channel."""

    def __init__(
        self,
        client: discord.Client,
        *,
        service: SpotlightService,
        settings: GuildSettingsService,
        poster: SpotlightPoster,
    ) -> None:
        self._client = client
        self._service = service
        self._settings = settings
        self._poster = poster

    async def jobs(self) -> Iterable[JobSpec]:
        specs = []
        for config in await self._service.weekly_configs():
            assert config.suggestion_weekday is not None and config.suggestion_since is not None
            settings = await self._settings.get(config.guild_id)
            rule = Weekly(frozenset({config.suggestion_weekday}), SUGGESTION_TIME)
            specs.append(
                JobSpec(
                    key=f"{JOB_PREFIX}:{config.guild_id}",
                    guild_id=config.guild_id,
                    recurrence=Recurrence(rule, ZoneInfo(settings.timezone)),
                    since=config.suggestion_since,
                )
            )
        return specs

    async def run(self, ctx: RunContext) -> Outcome:
        guild = self._client.get_guild(ctx.guild_id)
        if guild is None:
            return Outcome.skipped("guild unavailable")
        admin_channel_id = (await self._settings.get(guild.id)).admin_channel_id
        channel = guild.get_channel(admin_channel_id) if admin_channel_id else None
        if not isinstance(channel, discord.TextChannel):
            return Outcome.skipped("no admin channel")
        lang = await self._settings.language(guild.id)
        embed, view = await self._poster.suggestion_message(guild, lang, weekly=True)
        try:
            message = await send_once(ctx, channel, marker=_is_suggestion, embed=embed, view=view)
        except NotPostedAgain as not_again:
            return Outcome.failed(not_again.reason)
        except discord.Forbidden:
            log.warning("cannot post the weekly suggestion", extra={"guild_id": guild.id})
            return Outcome.failed("forbidden")
        await ctx.record_post(channel.id, message.id)
        return Outcome.posted(channel.id, message.id)
