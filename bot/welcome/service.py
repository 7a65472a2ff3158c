"""The welcome flow: setup, joins (queued, paced, shared in bursts), reply tracking, nudges.

On join the member is recorded at once (one `welcomes` row per join, even when no thread
can be made), then a per-guild worker has `ThreadOpener` open their thread at the pacer's
pace. During a burst, or near Discord's active-thread cap, newcomers are greeted in one
shared thread instead. Any refusal by Discord stops the guild's welcome, records the reason
on the row (`failure`) and tells the admins once (`ProblemReporter`); nothing is retried.

Failure codes on `welcomes.failure`: `missing_permissions` (checked before calling Discord),
`forbidden` (Discord said 403), `channel_missing` (deleted channel, 404), `refused` (another
Discord error), `paused` (the guild's welcome is stopped after one of those), `left` (gone
before their thread was made), `disabled` (welcome turned off meanwhile), `interrupted`
(the bot shut down before the join's turn came).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import discord

from bot.clock import Clock
from bot.db import Database
from bot.db.models.activity import ActorRole
from bot.db.models.welcome import ThreadKind, WelcomeConfig
from bot.guilds import GuildSettingsService
from bot.solicitation import SolicitationBudget
from bot.welcome import job
from bot.welcome.config import ThreadChoice, choose_thread_kind, validate_setup
from bot.welcome.discord_io import PendingJoin, ThreadOpener
from bot.welcome.pacing import BurstDetector, Pacer
from bot.welcome.problems import ProblemReporter, Stop
from bot.welcome.store import NewJoin, WelcomeStore
from bot.welcome.tracking import apply_message, finished

log = logging.getLogger(__name__)


class WelcomeService:
    def __init__(
        self,
        client: discord.Client,
        db: Database,
        clock: Clock,
        guild_settings: GuildSettingsService,
        *,
        recorder: Callable[[], Any] = lambda: None,
        pacer: Pacer | None = None,
        detector: BurstDetector | None = None,
        budget: SolicitationBudget | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self.guild_settings = guild_settings
        self.store = WelcomeStore(db)
        self.detector = detector or BurstDetector()
        self.budget = budget or SolicitationBudget(db, guild_settings)
        self._recorder = recorder  # looked up at each use: the tracking cog may load later
        self.problems = ProblemReporter(
            client, self.store, clock, guild_settings, on_change=self._forget_config
        )
        self.opener = ThreadOpener(
            self.store,
            clock,
            self.problems,
            self.detector,
            pacer or Pacer(),
            recorder=recorder,
            on_opened=self._watch,
        )
        self._configs: dict[int, WelcomeConfig | None] = {}
        self._queues: dict[int, deque[PendingJoin]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._tracking = asyncio.Lock()
        self.open_threads: dict[int, int] = {}  # welcome thread id -> guild id

    async def start(self) -> None:
        self.open_threads = await self.store.open_threads(self.clock.now())

    async def close(self) -> None:
        """Stop the workers; joins still queued are recorded (`failure = interrupted`)."""
        tasks = [*self._workers.values(), *self._tasks]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        leftover = [
            NewJoin(guild_id, p.member.id, p.joined_at)
            for guild_id, queue in self._queues.items()
            for p in self._recorded(guild_id, list(queue))
        ]
        self._queues.clear()
        if leftover:
            await self.store.record_joins(leftover, failure="interrupted")

    async def config(self, guild_id: int) -> WelcomeConfig | None:
        if guild_id not in self._configs:
            self._configs[guild_id] = await self.store.get_config(guild_id)
        return self._configs[guild_id]

    def _forget_config(self, guild_id: int) -> None:
        self._configs.pop(guild_id, None)

    def _watch(self, thread_id: int, guild_id: int) -> None:
        self.open_threads[thread_id] = guild_id

    # -- admin commands --------------------------------------------------------------------
    async def configure(
        self,
        guild_id: int,
        *,
        channel_id: int,
        bot_permissions: discord.Permissions,
        actor_id: int | None,
        requested: ThreadKind = ThreadKind.PRIVATE,
        **options: Any,
    ) -> tuple[WelcomeConfig, ThreadChoice]:
        """Validate everything, choose the thread kind, then store (nothing on error)."""
        lang = await self.guild_settings.language(guild_id)
        setup = validate_setup(channel_id=channel_id, thread_kind_requested=requested, **options)
        choice = choose_thread_kind(requested, bot_permissions, lang)
        row = await self.store.save_config(
            guild_id, setup, choice.kind, actor_id=actor_id, now=self.clock.now()
        )
        self._configs[guild_id] = row
        self.opener.forget(guild_id)
        return row, choice

    async def disable(self, guild_id: int, actor_id: int | None) -> bool:
        done = await self.store.disable(guild_id, actor_id=actor_id, now=self.clock.now())
        self._forget_config(guild_id)
        return done

    # -- joins -----------------------------------------------------------------------------
    async def on_join(self, member: discord.Member) -> bool:
        """Queue a newcomer's welcome; False when the guild has none (or it is a bot)."""
        if member.bot:
            return False
        cfg = await self.config(member.guild.id)
        if cfg is None or not cfg.enabled:
            return False
        guild_id = member.guild.id
        joined_at = member.joined_at or self.clock.now()
        if self.detector.observe(guild_id, joined_at, cfg.burst_threshold).started:
            self._spawn(self.problems.burst(member.guild, cfg))
        self._queues.setdefault(guild_id, deque()).append(PendingJoin(member, joined_at))
        if guild_id not in self._workers:
            self._workers[guild_id] = asyncio.create_task(
                self._work(guild_id), name=f"foyer-welcome-{guild_id}"
            )
        return True

    async def wait_idle(self) -> None:
        """Until every queued join has been handled (tests and shutdown)."""
        while self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def _work(self, guild_id: int) -> None:
        queue = self._queues[guild_id]
        try:
            while queue:
                batch = list(queue)
                queue.clear()
                try:
                    await self._handle(guild_id, batch)
                except Exception:
                    log.exception("welcome batch failed", extra={"guild_id": guild_id})
        finally:
            self._workers.pop(guild_id, None)

    async def _handle(self, guild_id: int, batch: list[PendingJoin]) -> None:
        """Record the batch in one transaction, then welcome each join in order."""
        kept = self._recorded(guild_id, batch)
        ids = await self.store.record_joins(
            [NewJoin(guild_id, p.member.id, p.joined_at) for p in kept]
        )
        for pending, welcome_id in zip(kept, ids, strict=True):
            pending.welcome_id = welcome_id
        cfg = await self.config(guild_id)
        guild = self.client.get_guild(guild_id)
        if cfg is None or not cfg.enabled or guild is None:
            await self.store.set_failure(guild_id, ids, "disabled")
            return
        if cfg.paused:
            await self.store.set_failure(guild_id, ids, "paused")
            return
        lang = await self.guild_settings.language(guild_id)
        remaining = deque(batch)
        shared: list[PendingJoin] = []
        try:
            channel = await self.opener.usable_channel(guild, cfg)
            while remaining:
                pending = remaining[0]
                if guild.get_member(pending.member.id) is None:
                    await self.store.set_failure(guild_id, [pending.welcome_id], "left")
                elif self.opener.must_share(guild) or not await self.opener.welcome_one(
                    guild, channel, cfg, lang, pending
                ):
                    shared.append(pending)
                remaining.popleft()
            if shared:
                await self.opener.welcome_shared(guild, channel, cfg, lang, shared)
        except Stop as stop:
            left = [p.welcome_id for p in [*shared, *remaining] if p.welcome_id]
            await self.store.set_failure(guild_id, left, stop.failure)

    def _recorded(self, guild_id: int, joins: list[PendingJoin]) -> list[PendingJoin]:
        """The joins to record: opted-out members are welcomed but not recorded."""
        recorder = self._recorder()
        if recorder is None:
            return joins
        return [p for p in joins if not recorder.is_opted_out(guild_id, p.member.id)]

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- tracking --------------------------------------------------------------------------
    async def on_message(
        self,
        guild_id: int,
        thread_id: int,
        *,
        author_id: int,
        role: Callable[[], Awaitable[ActorRole]],
        at: datetime,
        reply_to_author_id: int | None = None,
    ) -> None:
        """A message in a welcome thread: update introduction/answer times (metadata only).

        Messages are applied one at a time in arrival order (the lock is taken before the
        first await), so a quick answer never overtakes the introduction it answers.
        """
        if self.open_threads.get(thread_id) != guild_id:
            return
        async with self._tracking:
            author_role = await role()
            if author_role is ActorRole.BOT:
                return
            done = await self.store.apply_to_thread(
                guild_id,
                thread_id,
                lambda rows: (
                    apply_message(
                        rows,
                        author_id=author_id,
                        role=author_role,
                        at=at,
                        reply_to_author_id=reply_to_author_id,
                    ),
                    finished(rows),
                ),
            )
        if done:
            self.open_threads.pop(thread_id, None)

    async def on_leave(self, guild_id: int, user_id: int, at: datetime) -> None:
        if await self.config(guild_id) is not None:  # no config, no welcome rows
            await self.store.mark_left(guild_id, user_id, at)

    # -- nudges ----------------------------------------------------------------------------
    async def run_nudges(self, now: datetime) -> int:
        """Remind greeters of introductions no member answered in time (see job.py)."""
        return await job.run_nudges(self.client, self.store, self.guild_settings, self.budget, now)
