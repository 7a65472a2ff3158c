"""Problems with Discord during a welcome: record them, tell the admins once, stop.

A refusal (403, 404, another 4xx) is never retried: the batch stops (`Stop`), the reason
goes on the pending welcome rows, the guild's welcome is paused until `/welcome setup` is
run again, and the admins hear about each distinct problem once (the claim is stored on
`welcome_configs.problem`, so a restart does not repeat it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NoReturn

import discord

from bot.clock import Clock
from bot.db.models.welcome import WelcomeConfig
from bot.guilds import GuildSettingsService
from bot.i18n import t
from bot.welcome.config import permission_labels
from bot.welcome.notices import tell_admins
from bot.welcome.store import WelcomeStore

log = logging.getLogger(__name__)

BURST_NOTICE_GAP = timedelta(hours=1)  # at most one burst notice per guild per hour


class Stop(Exception):
    """The guild's welcome stops for this batch; `failure` goes on the pending rows."""

    def __init__(self, failure: str) -> None:
        super().__init__(failure)
        self.failure = failure


class ProblemReporter:
    def __init__(
        self,
        client: discord.Client,
        store: WelcomeStore,
        clock: Clock,
        guild_settings: GuildSettingsService,
        *,
        on_change: Callable[[int], None],
    ) -> None:
        self._client = client
        self._store = store
        self._clock = clock
        self._settings = guild_settings
        self._on_change = on_change  # the service forgets its cached config
        self._burst_noticed: dict[int, datetime] = {}

    async def report(
        self,
        guild: discord.Guild,
        problem: str,
        *,
        pause: bool,
        channel: discord.abc.GuildChannel | None = None,
        perms: list[str] | None = None,
        code: int | None = None,
    ) -> None:
        """Record the problem (`kind` or `kind:detail`); tell the admins when it is new."""
        new = await self._store.claim_problem(guild.id, problem, pause=pause, now=self._clock.now())
        self._on_change(guild.id)
        if not new:
            return
        lang = await self._settings.language(guild.id)
        text = t(
            f"welcome.notice.{problem.split(':', 1)[0]}",
            lang,
            channel=channel.mention if channel is not None else "",
            perms=permission_labels(perms or [], lang),
            code=code or 0,
        )
        if pause:
            text += "\n" + t("welcome.notice.paused", lang)
        await tell_admins(self._client, self._settings, guild, text)

    async def clear(self, guild_id: int) -> None:
        """The problem is gone (a welcome went through): a recurrence is reported again."""
        await self._store.clear_problem(guild_id)
        self._on_change(guild_id)

    async def refused(
        self,
        guild: discord.Guild,
        channel: discord.TextChannel,
        exc: discord.HTTPException,
        *,
        required: list[str],
    ) -> NoReturn:
        """Discord said no: pause, tell the admins once, stop the batch."""
        log.warning(
            "Discord refused a welcome action (%s %s)",
            exc.status,
            exc.code,
            extra={"guild_id": guild.id},
        )
        if isinstance(exc, discord.Forbidden):
            await self.report(guild, "forbidden", pause=True, channel=channel, perms=required)
            raise Stop("forbidden") from None
        if isinstance(exc, discord.NotFound):
            await self.report(guild, "channel_missing", pause=True)
            raise Stop("channel_missing") from None
        await self.report(guild, f"refused:{exc.code}", pause=True, code=exc.code)
        raise Stop("refused") from None

    async def burst(self, guild: discord.Guild, cfg: WelcomeConfig) -> None:
        """Tell the admins a burst switched welcomes to a shared thread (once an hour)."""
        now = self._clock.now()
        last = self._burst_noticed.get(guild.id)
        if last is not None and now - last < BURST_NOTICE_GAP:
            return
        self._burst_noticed[guild.id] = now
        lang = await self._settings.language(guild.id)
        text = t(
            "welcome.notice.burst",
            lang,
            threshold=cfg.burst_threshold,
            channel=f"<#{cfg.channel_id}>",
        )
        await tell_admins(self._client, self._settings, guild, text)
