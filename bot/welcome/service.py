"""The welcome flow: setup, joins (queued, paced, shared in bursts), reply tracking, nudges.

On join the member is recorded at once (one `welcomes` row per join, even when no thread
can be made), then a per-guild worker has `ThreadOpener` open their thread at the pacer's
pace. During a burst, or near Discord's active-thread cap, newcomers are greeted in one
shared thread instead. Any refusal by Discord stops the guild's welcome, records the reason
on the row (`failure`) and tells the admins once (`ProblemReporter`); nothing is retried.
The calls to Discord go through `WelcomeDiscord` (bot/welcome/discord_io.py), so these rules
are written with ids and need no discord.py.

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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.clock import Clock
from bot.db import Database
from bot.db.models.activity import ActorRole, ThreadContext
from bot.db.models.welcome import ThreadKind, WelcomeConfig
from bot.guilds import GuildSettingsService
from bot.solicitation import SolicitationBudget
from bot.welcome.config import ChannelPermissions, ThreadChoice, choose_thread_kind, validate_setup
from bot.welcome.pacing import BurstDetector
from bot.welcome.problems import ProblemReporter, Stop
from bot.welcome.store import NewJoin, WelcomeStore
from bot.welcome.tracking import apply_message, finished

log = logging.getLogger(__name__)

LIMIT_KEY = 0  # shared-thread key when the active-thread cap (not a burst) forces sharing

Place = TypeVar("Place")


@dataclass
class PendingJoin:
    guild_id: int
    user_id: int
    joined_at: datetime
    welcome_id: int = 0  # 0: not recorded (opted-out member)


class OnOpened(Protocol):
    """Called by the Discord side as soon as a welcome thread exists (before it is used)."""

    async def __call__(
        self,
        guild_id: int,
        channel_id: int,
        thread_id: int,
        joins: Sequence[PendingJoin],
        *,
        owner_id: int | None,
        shared: bool,
    ) -> None: ...


class WelcomeDiscord(Protocol[Place]):
    """What the flow asks of Discord (`discord_io.DiscordWelcome`); `Place` is its handle
    on a checked welcome channel. Refusals come back as `Stop`."""

    def guild_ids(self) -> list[int]: ...
    def has_guild(self, guild_id: int) -> bool: ...
    def is_member(self, guild_id: int, user_id: int) -> bool: ...
    def forget(self, guild_id: int) -> None: ...
    def must_share(self, guild_id: int) -> bool: ...
    async def usable_channel(self, guild_id: int, cfg: WelcomeConfig) -> Place: ...
    async def welcome_one(
        self, place: Place, cfg: WelcomeConfig, lang: str, pending: PendingJoin, on_opened: OnOpened
    ) -> bool: ...
    async def welcome_shared(
        self,
        place: Place,
        cfg: WelcomeConfig,
        lang: str,
        joins: Sequence[PendingJoin],
        on_opened: OnOpened,
        *,
        key: int,
    ) -> None: ...
    async def send_nudge(
        self, guild_id: int, thread_id: int, role_id: int, text: str
    ) -> int | None: ...
    async def tell_admins(self, guild_id: int, admin_channel_id: int | None, text: str) -> str: ...


class WelcomeService:
    def __init__(
        self,
        discord_io: WelcomeDiscord[Any],
        db: Database,
        clock: Clock,
        guild_settings: GuildSettingsService,
        *,
        recorder: Callable[[], Any] = lambda: None,
        detector: BurstDetector | None = None,
        budget: SolicitationBudget | None = None,
    ) -> None:
        self.discord_io = discord_io
        self.clock = clock
        self.guild_settings = guild_settings
        self.store = WelcomeStore(db)
        self.detector = detector or BurstDetector()
        self.budget = budget or SolicitationBudget(db, guild_settings)
        self._recorder = recorder  # looked up at each use: the tracking cog may load later
        self.problems = ProblemReporter(
            self.store, clock, guild_settings, discord_io.tell_admins, on_change=self._forget_config
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
            NewJoin(guild_id, p.user_id, p.joined_at)
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

    async def _opened(
        self,
        guild_id: int,
        channel_id: int,
        thread_id: int,
        joins: Sequence[PendingJoin],
        *,
        owner_id: int | None,
        shared: bool,
    ) -> None:
        """Store the thread on the rows, watch it, and declare it to the recorder."""
        now = self.clock.now()
        ids = [p.welcome_id for p in joins if p.welcome_id]
        await self.store.set_thread(guild_id, ids, thread_id, at=now, shared=shared)
        self.open_threads[thread_id] = guild_id
        recorder = self._recorder()
        if recorder is not None:
            await recorder.mark_thread(
                guild_id, thread_id, channel_id, owner_id, ThreadContext.WELCOME, now
            )

    # -- admin commands --------------------------------------------------------------------
    async def configure(
        self,
        guild_id: int,
        *,
        channel_id: int,
        bot_permissions: ChannelPermissions,
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
        self.discord_io.forget(guild_id)
        return row, choice

    async def disable(self, guild_id: int, actor_id: int | None) -> bool:
        done = await self.store.disable(guild_id, actor_id=actor_id, now=self.clock.now())
        self._forget_config(guild_id)
        return done

    # -- joins -----------------------------------------------------------------------------
    async def on_join(
        self, guild_id: int, user_id: int, *, is_bot: bool, joined_at: datetime | None
    ) -> bool:
        """Queue a newcomer's welcome; False when the guild has none (or it is a bot)."""
        if is_bot:
            return False
        cfg = await self.config(guild_id)
        if cfg is None or not cfg.enabled:
            return False
        joined_at = joined_at or self.clock.now()
        if self.detector.observe(guild_id, joined_at, cfg.burst_threshold).started:
            self._spawn(self.problems.burst(guild_id, cfg))
        pending = PendingJoin(guild_id, user_id, joined_at)
        self._queues.setdefault(guild_id, deque()).append(pending)
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
            [NewJoin(guild_id, p.user_id, p.joined_at) for p in kept]
        )
        for pending, welcome_id in zip(kept, ids, strict=True):
            pending.welcome_id = welcome_id
        cfg = await self.config(guild_id)
        if cfg is None or not cfg.enabled or not self.discord_io.has_guild(guild_id):
            await self.store.set_failure(guild_id, ids, "disabled")
            return
        if cfg.paused:
            await self.store.set_failure(guild_id, ids, "paused")
            return
        lang = await self.guild_settings.language(guild_id)
        remaining = deque(batch)
        shared: list[PendingJoin] = []
        try:
            place = await self.discord_io.usable_channel(guild_id, cfg)
            if cfg.problem is not None:
                await self.problems.clear(guild_id)
            while remaining:
                pending = remaining[0]
                if not self.discord_io.is_member(guild_id, pending.user_id):
                    await self.store.set_failure(guild_id, [pending.welcome_id], "left")
                elif self._must_share(guild_id) or not await self.discord_io.welcome_one(
                    place, cfg, lang, pending, self._opened
                ):
                    shared.append(pending)
                remaining.popleft()
            if shared:
                await self.discord_io.welcome_shared(
                    place, cfg, lang, shared, self._opened, key=self._shared_key(guild_id)
                )
        except Stop as stop:
            await self.problems.report(guild_id, stop.problem)
            left = [p.welcome_id for p in [*shared, *remaining] if p.welcome_id]
            await self.store.set_failure(guild_id, left, stop.failure)

    def _recorded(self, guild_id: int, joins: list[PendingJoin]) -> list[PendingJoin]:
        """The joins to record: opted-out members are welcomed but not recorded."""
        recorder = self._recorder()
        if recorder is None:
            return joins
        return [p for p in joins if not recorder.is_opted_out(guild_id, p.user_id)]

    def _must_share(self, guild_id: int) -> bool:
        """In a burst, near the active-thread cap, or shortly after Discord said it was hit."""
        return self.detector.active(guild_id) or self.discord_io.must_share(guild_id)

    def _shared_key(self, guild_id: int) -> int:
        """Each burst has its own shared thread; sharing for the thread cap has one too."""
        if self.detector.active(guild_id):
            return self.detector.number(guild_id)
        return LIMIT_KEY

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
