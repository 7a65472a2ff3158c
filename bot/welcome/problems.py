"""Problems with Discord during a welcome: record them, tell the admins once, stop or wait.

Two kinds, told apart by the Discord side (discord_io):
- A refusal (`Stop`): Discord said no and asking again would get the same answer. Only
  permission problems pause the guild's welcome until `/welcome setup` is run again: 403
  (Missing Permissions 50013, Missing Access 50001) and 404 (the channel is gone). Another
  4xx fails that batch's joins and is reported, without pausing. A refusal is never retried.
- A passing failure (`Retry`): Discord's 5xx (after discord.py's own retries), a 429 it
  did not retry, a connection error or a timeout. The joins are kept and tried again later,
  with a growing delay (`service.RETRY_DELAYS`); nothing is paused, and the admins hear
  about it only when it lasts (`RETRY_NOTICE_AFTER` failed rounds in a row).

The reason goes on the rows that could not be welcomed, and the admins hear about each
distinct problem once (the claim is stored on `welcome_configs.problem`, so a restart does
not repeat it). No discord.py here: the notice is sent by the callable the service is given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.db.models.welcome import WelcomeConfig
from bot.guilds import GuildSettingsService
from bot.welcome import render
from bot.welcome.store import WelcomeStore

BURST_NOTICE_GAP = timedelta(hours=1)  # at most one burst notice per guild per hour

# (guild id, admin channel id or None, text) -> where it went: "channel", "owner" or "log"
TellAdmins = Callable[[int, int | None, str], Awaitable[str]]


@dataclass(frozen=True)
class Problem:
    """What went wrong, as recorded on the config (`key`: `kind` or `kind:detail`) and told
    to the admins; `pause` stops the guild's welcome until the next setup."""

    key: str
    pause: bool
    channel_id: int | None = None
    perms: Sequence[str] = ()
    code: int | None = None
    status: int | None = None


class Stop(Exception):
    """The guild's welcome stops for this batch; `failure` goes on the pending rows."""

    def __init__(self, failure: str, problem: Problem) -> None:
        super().__init__(failure)
        self.failure = failure
        self.problem = problem


class Retry(Exception):
    """Discord failed for now (5xx, unretried 429, connection, timeout): try again later.
    `reason` is for the log (`http 502`, `timeout`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProblemReporter:
    def __init__(
        self,
        store: WelcomeStore,
        clock: Clock,
        guild_settings: GuildSettingsService,
        tell_admins: TellAdmins,
        *,
        on_change: Callable[[int], None],
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = guild_settings
        self._tell_admins = tell_admins
        self._on_change = on_change  # the service forgets its cached config
        self._burst_noticed: dict[int, datetime] = {}

    async def report(self, guild_id: int, problem: Problem) -> None:
        """Record the problem; tell the admins when it is new."""
        new = await self._store.claim_problem(
            guild_id, problem.key, pause=problem.pause, now=self._clock.now()
        )
        self._on_change(guild_id)
        if not new:
            return
        lang = await self._settings.language(guild_id)
        text = render.problem_notice(
            problem.key,
            lang,
            pause=problem.pause,
            channel_id=problem.channel_id,
            perms=problem.perms,
            code=problem.code,
            status=problem.status,
        )
        await self._tell(guild_id, text)

    async def clear(self, guild_id: int) -> None:
        """The problem is gone (a welcome went through): a recurrence is reported again."""
        await self._store.clear_problem(guild_id)
        self._on_change(guild_id)

    async def burst(self, guild_id: int, cfg: WelcomeConfig) -> None:
        """Tell the admins a burst switched welcomes to a shared thread (once an hour)."""
        now = self._clock.now()
        last = self._burst_noticed.get(guild_id)
        if last is not None and now - last < BURST_NOTICE_GAP:
            return
        self._burst_noticed[guild_id] = now
        lang = await self._settings.language(guild_id)
        await self._tell(guild_id, render.burst_notice(cfg, lang))

    async def _tell(self, guild_id: int, text: str) -> None:
        row = await self._settings.get(guild_id)
        await self._tell_admins(guild_id, row.admin_channel_id, text)
