"""The welcome flow: setup, joins (queued, paced, shared in bursts), reply tracking, nudges.

On join the member is recorded at once (one `welcomes` row per join, even when no thread
can be made), then a per-guild worker opens their thread at the `Pacer`'s pace. During a
burst, or near Discord's active-thread cap, newcomers are greeted in one shared thread
instead. Any refusal by Discord (403, 404, other 4xx) stops the guild's welcome, records the
reason on the row (`failure`) and tells the admins once; nothing is retried.

Failure codes on `welcomes.failure`: `missing_permissions` (checked before calling Discord),
`forbidden` (Discord said 403), `channel_missing` (deleted channel, 404), `refused` (another
Discord error), `paused` (the guild's welcome is stopped after one of those), `left` (gone
before their thread was made), `disabled` (welcome turned off meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

import discord

from bot.clock import Clock
from bot.db import Database
from bot.db.models.activity import ActorRole, ThreadContext
from bot.db.models.welcome import ThreadKind, WelcomeConfig
from bot.guilds import GuildSettingsService
from bot.i18n import t
from bot.solicitation import SolicitationBudget
from bot.welcome import messages
from bot.welcome.config import (
    ThreadChoice,
    choose_thread_kind,
    missing_permissions,
    permission_labels,
    required_permissions,
    thread_name,
    validate_setup,
)
from bot.welcome.notices import tell_admins
from bot.welcome.pacing import BurstDetector, Pacer, near_thread_limit
from bot.welcome.store import NewJoin, WelcomeStore
from bot.welcome.tracking import apply_message, finished

log = logging.getLogger(__name__)

ARRIVALS_PER_MESSAGE = 50  # newcomers greeted per message in a shared thread (~1,100 chars)
BURST_NOTICE_GAP = timedelta(hours=1)  # at most one burst notice per guild per hour
LIMIT_KEY = 0  # shared-thread key when the active-thread cap (not a burst) forces sharing
CAP_BACKOFF = timedelta(minutes=10)  # after Discord's "too many active threads", share


@dataclass
class PendingJoin:
    member: discord.Member
    joined_at: datetime
    welcome_id: int = 0


class Stop(Exception):
    """Discord refused: the guild's welcome stops; `failure` goes on the pending rows."""

    def __init__(self, failure: str) -> None:
        super().__init__(failure)
        self.failure = failure


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
        self.pacer = pacer or Pacer()
        self.detector = detector or BurstDetector()
        self.budget = budget or SolicitationBudget(db, guild_settings)
        self._recorder = recorder  # looked up at each use: the tracking cog may load later
        self._configs: dict[int, WelcomeConfig | None] = {}
        self._queues: dict[int, deque[PendingJoin]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._shared: dict[int, tuple[int, discord.Thread]] = {}
        self._burst_noticed: dict[int, datetime] = {}
        self._capped_until: dict[int, datetime] = {}  # Discord said: thread cap reached
        self._tasks: set[asyncio.Task[Any]] = set()
        self.open_threads: dict[int, int] = {}  # welcome thread id -> guild id
        self._tracking = asyncio.Lock()

    async def start(self) -> None:
        self.open_threads = await self.store.open_threads(self.clock.now())

    async def close(self) -> None:
        for task in [*self._workers.values(), *self._tasks]:
            task.cancel()
        for task in [*self._workers.values(), *self._tasks]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def config(self, guild_id: int) -> WelcomeConfig | None:
        if guild_id not in self._configs:
            self._configs[guild_id] = await self.store.get_config(guild_id)
        return self._configs[guild_id]

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
        self._shared.pop(guild_id, None)
        return row, choice

    async def disable(self, guild_id: int, actor_id: int | None) -> bool:
        done = await self.store.disable(guild_id, actor_id=actor_id, now=self.clock.now())
        self._configs.pop(guild_id, None)
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
        burst = self.detector.observe(guild_id, joined_at, cfg.burst_threshold)
        if burst.started:
            self._spawn(self._tell_burst(member.guild, cfg))
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
        recorder = self._recorder()
        kept = [
            p for p in batch if recorder is None or not recorder.is_opted_out(guild_id, p.member.id)
        ]
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
            channel = await self._channel(guild, cfg)
            await self._check_permissions(guild, channel, cfg, lang)
            while remaining:
                pending = remaining[0]
                if guild.get_member(pending.member.id) is None:
                    await self.store.set_failure(guild_id, [pending.welcome_id], "left")
                elif self._must_share(guild):
                    shared.append(pending)
                elif not await self._welcome_one(guild, channel, cfg, lang, pending):
                    # Discord's thread cap was reached: share for a while, do not insist
                    self._capped_until[guild_id] = self.clock.now() + CAP_BACKOFF
                    shared.append(pending)
                remaining.popleft()
            if shared:
                await self._welcome_shared(guild, channel, cfg, lang, shared)
        except Stop as stop:
            left = [p.welcome_id for p in [*shared, *remaining] if p.welcome_id]
            await self.store.set_failure(guild_id, left, stop.failure)

    def _must_share(self, guild: discord.Guild) -> bool:
        """In a burst, near the active-thread cap, or shortly after Discord said it was hit."""
        capped = self._capped_until.get(guild.id)
        return (
            self.detector.active(guild.id)
            or near_thread_limit(_active(guild))
            or (capped is not None and self.clock.now() < capped)
        )

    async def _channel(self, guild: discord.Guild, cfg: WelcomeConfig) -> discord.TextChannel:
        channel = guild.get_channel(cfg.channel_id)
        if not isinstance(channel, discord.TextChannel):
            await self._problem(guild, "channel_missing", pause=True)
            raise Stop("channel_missing")
        return channel

    async def _check_permissions(
        self, guild: discord.Guild, channel: discord.TextChannel, cfg: WelcomeConfig, lang: str
    ) -> None:
        missing = missing_permissions(
            channel.permissions_for(guild.me), ThreadKind(cfg.thread_kind_used)
        )
        if missing:
            await self._problem(
                guild, "missing:" + ",".join(missing), pause=False, channel=channel, perms=missing
            )
            raise Stop("missing_permissions")
        if cfg.problem is not None:
            await self.store.clear_problem(guild.id)
            self._configs.pop(guild.id, None)

    async def _welcome_one(
        self,
        guild: discord.Guild,
        channel: discord.TextChannel,
        cfg: WelcomeConfig,
        lang: str,
        pending: PendingJoin,
    ) -> bool:
        """Open the newcomer's own thread; False when Discord's thread cap says share."""
        member = pending.member
        greeter = guild.get_role(cfg.greeter_role_id) if cfg.greeter_role_id else None
        kind = ThreadKind(cfg.thread_kind_used)
        await self._pace(guild.id)
        try:
            thread = await channel.create_thread(
                name=thread_name(lang, member.display_name),
                type=discord.ChannelType(int(kind)),
                auto_archive_duration=cfg.auto_archive_minutes,  # type: ignore[arg-type]
                invitable=True,
                reason="Foyer welcome thread",
            )
        except discord.HTTPException as exc:
            if exc.code == 160006:  # maximum number of active threads reached
                return False
            await self._refused(guild, channel, exc, required=list(required_permissions(kind)))
        await self._opened(guild, channel, thread, [pending], owner_id=member.id, shared=False)
        text = messages.welcome_text(
            cfg, lang, messages.template_values(member, guild, greeter), greeter
        )
        try:
            await thread.add_user(member)
        except discord.NotFound:
            log.info("newcomer left before being added", extra={"guild_id": guild.id})
            return True
        except discord.HTTPException as exc:
            await self._refused(guild, channel, exc, required=list(required_permissions(kind)))
        try:
            await thread.send(text, allowed_mentions=messages.mentions([member], greeter))
        except discord.HTTPException as exc:
            await self._refused(guild, channel, exc, required=["send_messages_in_threads"])
        return True

    async def _welcome_shared(
        self,
        guild: discord.Guild,
        channel: discord.TextChannel,
        cfg: WelcomeConfig,
        lang: str,
        joins: Sequence[PendingJoin],
    ) -> None:
        """Greet a group in the current burst's shared thread (opened on first need)."""
        greeter = guild.get_role(cfg.greeter_role_id) if cfg.greeter_role_id else None
        key = self.detector.number(guild.id) if self.detector.active(guild.id) else LIMIT_KEY
        current = self._shared.get(guild.id)
        if current is not None and current[0] == key:
            thread = current[1]
        else:
            kind = ThreadKind(cfg.thread_kind_used)
            await self._pace(guild.id)
            try:
                thread = await channel.create_thread(
                    name=t("welcome.shared_thread_name", lang)[:100],
                    type=discord.ChannelType(int(kind)),
                    auto_archive_duration=cfg.auto_archive_minutes,  # type: ignore[arg-type]
                    invitable=True,
                    reason="Foyer shared welcome thread (many joins at once)",
                )
                await thread.send(
                    messages.shared_intro(lang, guild.name, greeter),
                    allowed_mentions=messages.mentions(role=greeter),
                )
            except discord.HTTPException as exc:
                await self._refused(guild, channel, exc, required=list(required_permissions(kind)))
            self._shared[guild.id] = (key, thread)
        await self._opened(guild, channel, thread, joins, owner_id=None, shared=True)
        present = [p.member for p in joins if guild.get_member(p.member.id) is not None]
        for i in range(0, len(present), ARRIVALS_PER_MESSAGE):
            group = present[i : i + ARRIVALS_PER_MESSAGE]
            await self._pace(guild.id)
            try:
                await thread.send(
                    messages.arrivals(lang, group), allowed_mentions=messages.mentions(group)
                )
            except discord.HTTPException as exc:
                await self._refused(guild, channel, exc, required=["send_messages_in_threads"])

    async def _opened(
        self,
        guild: discord.Guild,
        channel: discord.TextChannel,
        thread: discord.Thread,
        joins: Sequence[PendingJoin],
        *,
        owner_id: int | None,
        shared: bool,
    ) -> None:
        now = self.clock.now()
        ids = [p.welcome_id for p in joins if p.welcome_id]
        await self.store.set_thread(guild.id, ids, thread.id, at=now, shared=shared)
        self.open_threads[thread.id] = guild.id
        recorder = self._recorder()
        if recorder is not None:
            await recorder.mark_thread(
                guild.id, thread.id, channel.id, owner_id, ThreadContext.WELCOME, now
            )

    async def _refused(
        self,
        guild: discord.Guild,
        channel: discord.TextChannel,
        exc: discord.HTTPException,
        *,
        required: list[str],
    ) -> NoReturn:
        """Discord said no: pause, tell the admins once, stop this batch. Never retried."""
        log.warning(
            "Discord refused a welcome action (%s %s)",
            exc.status,
            exc.code,
            extra={"guild_id": guild.id},
        )
        if isinstance(exc, discord.Forbidden):
            await self._problem(guild, "forbidden", pause=True, channel=channel, perms=required)
            raise Stop("forbidden") from None
        if isinstance(exc, discord.NotFound):
            await self._problem(guild, "channel_missing", pause=True)
            raise Stop("channel_missing") from None
        await self._problem(guild, f"refused:{exc.code}", pause=True, code=exc.code)
        raise Stop("refused") from None

    async def _problem(
        self,
        guild: discord.Guild,
        problem: str,
        *,
        pause: bool,
        channel: discord.abc.GuildChannel | None = None,
        perms: list[str] | None = None,
        code: int | None = None,
    ) -> None:
        """Record the problem; tell the admins only when it is new."""
        new = await self.store.claim_problem(guild.id, problem, pause=pause, now=self.clock.now())
        self._configs.pop(guild.id, None)
        if not new:
            return
        lang = await self.guild_settings.language(guild.id)
        kind = problem.split(":", 1)[0]
        text = t(
            f"welcome.notice.{kind}",
            lang,
            channel=channel.mention if channel is not None else "",
            perms=permission_labels(perms or [], lang),
            code=code or 0,
        )
        if pause:
            text += "\n" + t("welcome.notice.paused", lang)
        await tell_admins(self.client, self.guild_settings, guild, text)

    async def _tell_burst(self, guild: discord.Guild, cfg: WelcomeConfig) -> None:
        now = self.clock.now()
        last = self._burst_noticed.get(guild.id)
        if last is not None and now - last < BURST_NOTICE_GAP:
            return
        self._burst_noticed[guild.id] = now
        lang = await self.guild_settings.language(guild.id)
        text = t(
            "welcome.notice.burst",
            lang,
            threshold=cfg.burst_threshold,
            channel=f"<#{cfg.channel_id}>",
        )
        await tell_admins(self.client, self.guild_settings, guild, text)

    async def _pace(self, guild_id: int) -> None:
        delay = self.pacer.reserve(guild_id, asyncio.get_running_loop().time())
        if delay > 0:
            await asyncio.sleep(delay)  # spacing real REST calls: real time on purpose

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
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
        await self.store.mark_left(guild_id, user_id, at)

    # -- nudges ----------------------------------------------------------------------------
    async def run_nudges(self, now: datetime) -> int:
        """One message to the greeter role per welcome thread whose introduction waited
        longer than the guild's delay without a member's answer; each welcome once."""
        guild_ids = [g.id for g in self.client.guilds]
        due = await self.store.due_nudges(now, guild_ids)
        threads: dict[tuple[int, int], list[int]] = {}
        roles: dict[int, int] = {}
        for welcome, cfg in due:
            assert welcome.thread_id is not None and cfg.greeter_role_id is not None
            threads.setdefault((welcome.guild_id, welcome.thread_id), []).append(welcome.id)
            roles[welcome.guild_id] = cfg.greeter_role_id
        sent = 0
        for (guild_id, thread_id), ids in threads.items():
            # the shared posting budget (bot/solicitation.py), counted per welcome thread
            if not await self.budget.allows(guild_id, thread_id, now):
                continue
            if not await self.store.claim_nudges(guild_id, ids, now):
                continue
            lang = await self.guild_settings.language(guild_id)
            role = discord.Object(roles[guild_id])
            target = self.client.get_partial_messageable(thread_id, guild_id=guild_id)
            try:
                message = await target.send(
                    t("welcome.nudge", lang, greeters=f"<@&{role.id}>"),
                    allowed_mentions=messages.mentions(role=role),
                )
            except discord.HTTPException as exc:
                log.warning("welcome nudge refused (%s)", exc.status, extra={"guild_id": guild_id})
                continue
            await self.budget.record(guild_id, thread_id, now, "welcome_nudge", message.id)
            sent += 1
        return sent


def _active(guild: discord.Guild) -> int:
    return sum(1 for thread in guild.threads if not thread.archived)
