"""The welcome flow: setup, joins (queued, paced, shared in bursts), reply tracking, nudges.

On join the member is recorded at once (one `welcomes` row per join, even when no thread
can be made), then a per-guild worker has the Discord side open their thread at the pacer's
pace. During a burst, or near Discord's active-thread cap, newcomers are greeted in one
shared thread instead. A refusal by Discord records the reason on the rows (`failure`) and
tells the admins once (`ProblemReporter`); a permission problem also pauses the guild's
welcome. A passing failure (`Retry`: 5xx, timeout...) keeps the joins and tries them again
after `RETRY_DELAYS`, for at most `RECONCILE_WINDOW` after the join.

Joins the bot did not see (a lost gateway session, the bot stopped or killed) are picked up
by `reconcile`, at start and after each new session: the members who joined in the window
(`RECONCILE_WINDOW`, and never before Foyer's arrival in the guild nor before the welcome's
last `/welcome setup`) with no welcome row are welcomed, and rows of that window left without
a thread (`interrupted`, or a crash before their turn) are tried again, and so are rows whose
thread was opened but whose welcome was not sent (`unsent`): the welcome message in their own
thread, the arrivals message naming them in the burst's shared thread they were placed in,
once (the nonce, and a thread where the bot's message already names them is left alone).
Nobody is welcomed twice: a join with a row is skipped (checked again when the batch is
recorded). The calls to Discord go through `WelcomeDiscord` (bot/welcome/discord_io.py), so
these rules are written with ids and need no discord.py.

Failure codes on `welcomes.failure`: `missing_permissions` (checked before calling Discord),
`forbidden` (Discord said 403), `channel_missing` (deleted channel, 404), `refused` (another
4xx), `paused` (the guild's welcome is stopped after a 403 or 404), `left` (gone before their
thread was made), `disabled` (welcome turned off meanwhile), `interrupted` (the bot shut
down before the join's turn came: the next start tries again), `unsent` (the thread is open,
the welcome message, or in a shared thread the arrivals message naming the newcomer, not sent
yet: cleared once sent, else the next start sends it), `unavailable` (Discord kept failing
until the window closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot.clock import Clock
from bot.db import Database
from bot.db.models.activity import ActorRole, ThreadContext
from bot.db.models.welcome import ThreadKind, WelcomeConfig
from bot.guilds import GuildSettingsService
from bot.solicitation import SolicitationBudget
from bot.welcome.config import ChannelPermissions, ThreadChoice, choose_thread_kind, validate_setup
from bot.welcome.pacing import BurstDetector
from bot.welcome.problems import Problem, ProblemReporter, Retry, Stop
from bot.welcome.store import NewJoin, WelcomeStore
from bot.welcome.tracking import apply_message, finished

log = logging.getLogger(__name__)

LIMIT_KEY = 0  # shared-thread key when the active-thread cap (not a burst) forces sharing
RECONCILE_WINDOW = timedelta(hours=24)  # joins older than this are not welcomed late
RETRY_DELAYS = (2.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0)  # s between rounds after a Retry
RETRY_NOTICE_AFTER = 4  # failed rounds in a row before the admins hear about it
SAME_JOIN = timedelta(minutes=1)  # a row this close to a join's time is that join's row
UNFINISHED = "interrupted"  # the failure a restart tries again (with rows left at NULL)
UNSENT = "unsent"  # a thread opened, the message greeting them not sent yet (a restart sends it)

Place = TypeVar("Place")


@dataclass
class PendingJoin:
    guild_id: int
    user_id: int
    joined_at: datetime
    welcome_id: int = 0  # 0: not recorded (opted-out member)
    recorded: bool = False  # its row exists (or it is an opted-out member's)
    thread_id: int | None = None  # the thread opened for it, once there is one
    attempted_at: datetime | None = None  # when a thread was first asked for (Discord time)
    shared: bool = False  # `thread_id` is a shared thread: greet them there, by an arrivals message


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
        thread_id: int | None = None,
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
        # the batch each worker handles: what is left of it, and who goes to the shared thread
        self._current: dict[int, tuple[deque[PendingJoin], list[PendingJoin]]] = {}
        self._failed_rounds: dict[int, int] = {}  # passing failures in a row, per guild
        self.retry_delays: Sequence[float] = RETRY_DELAYS
        self.open_threads: dict[int, int] = {}  # welcome thread id -> guild id
        # Called once a newcomer's own thread holds their welcome (bot.app wires other
        # features here, e.g. the buddy offer): (guild id, newcomer id, thread id).
        self.after_welcome: list[Callable[[int, int, int], Awaitable[None]]] = []

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
        leftover: dict[int, list[PendingJoin]] = {g: list(q) for g, q in self._queues.items()}
        for guild_id, (remaining, shared) in self._current.items():
            leftover.setdefault(guild_id, []).extend([*shared, *remaining])
        self._queues.clear()
        self._current.clear()
        fresh = [
            NewJoin(guild_id, p.user_id, p.joined_at)
            for guild_id, joins in leftover.items()
            for p in self._recorded(guild_id, [p for p in joins if not p.recorded])
        ]
        if fresh:
            await self.store.record_joins(fresh, failure=UNFINISHED)
        for guild_id, joins in leftover.items():
            ids = [p.welcome_id for p in joins if p.welcome_id and p.thread_id is None]
            await self.store.set_failure(guild_id, ids, UNFINISHED)

    async def config(self, guild_id: int) -> WelcomeConfig | None:
        if guild_id not in self._configs:
            self._configs[guild_id] = await self.store.get_config(guild_id)
        return self._configs[guild_id]

    async def _welcomed(self, guild_id: int, user_id: int, thread_id: int) -> None:
        """Run the hooks of `after_welcome`; one that fails is logged and spoils nothing."""
        for hook in self.after_welcome:
            try:
                await hook(guild_id, user_id, thread_id)
            except Exception:
                log.exception("after-welcome hook failed", extra={"guild_id": guild_id})

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
        """Store the thread on the rows (`unsent` until the message greeting them is sent:
        a crash in between leaves the next start a trace), watch it, declare it to the
        recorder."""
        now = self.clock.now()
        ids = [p.welcome_id for p in joins if p.welcome_id]
        for pending in joins:
            pending.thread_id = thread_id
            pending.shared = shared
        await self.store.set_thread(guild_id, ids, thread_id, at=now, shared=shared, failure=UNSENT)
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
        self._enqueue(cfg, PendingJoin(guild_id, user_id, joined_at or self.clock.now()))
        return True

    def _enqueue(self, cfg: WelcomeConfig, pending: PendingJoin) -> None:
        """Queue a join for the guild's worker (started if idle); the burst rule sees it."""
        guild_id = pending.guild_id
        if self.detector.observe(guild_id, pending.joined_at, cfg.burst_threshold).started:
            self._spawn(self.problems.burst(guild_id, cfg))
        self._queues.setdefault(guild_id, deque()).append(pending)
        if guild_id not in self._workers:
            self._workers[guild_id] = asyncio.create_task(
                self._work(guild_id), name=f"foyer-welcome-{guild_id}"
            )

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
                self._current[guild_id] = (deque(batch), [])
                try:
                    await self._handle(guild_id, batch)
                except Exception:
                    log.exception("welcome batch failed", extra={"guild_id": guild_id})
                self._current.pop(guild_id, None)  # not when cancelled: close() reads it
        finally:
            self._workers.pop(guild_id, None)

    async def _handle(self, guild_id: int, batch: list[PendingJoin]) -> None:
        """Record the batch's new joins in one transaction, then welcome each in order."""
        batch = await self._record(guild_id, batch)
        ids = [p.welcome_id for p in batch if p.welcome_id]
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
        self._current[guild_id] = (remaining, shared)
        try:
            place = await self.discord_io.usable_channel(guild_id, cfg)
            if cfg.problem is not None:
                await self.problems.clear(guild_id)
            while remaining:
                pending = remaining[0]
                if not self.discord_io.is_member(guild_id, pending.user_id):
                    await self.store.set_failure(guild_id, [pending.welcome_id], "left")
                elif (
                    pending.shared
                    or self._must_share(guild_id)
                    or not await self.discord_io.welcome_one(
                        place, cfg, lang, pending, self._opened
                    )
                ):
                    shared.append(pending)
                elif pending.thread_id is not None:  # its message is there: no longer unsent
                    await self.store.clear_failure(guild_id, [pending.welcome_id], UNSENT)
                    await self._welcomed(guild_id, pending.user_id, pending.thread_id)
                remaining.popleft()
            await self._welcome_shared(place, cfg, lang, shared)
            self._failed_rounds.pop(guild_id, None)
        except Stop as stop:
            await self.problems.report(guild_id, stop.problem)
            left = [p.welcome_id for p in [*shared, *remaining] if p.welcome_id]
            await self.store.set_failure(guild_id, left, stop.failure)
        except Retry as retry:
            await self._retry_later(guild_id, [*shared, *remaining], retry)

    async def _welcome_shared(
        self, place: Any, cfg: WelcomeConfig, lang: str, joins: list[PendingJoin]
    ) -> None:
        """Greet `joins` in shared threads: those already placed in one (a retry, a restart)
        in that one, even when the burst is over, the others in the current burst's."""
        groups: dict[int | None, list[PendingJoin]] = {}
        for pending in joins:
            groups.setdefault(pending.thread_id if pending.shared else None, []).append(pending)
        for thread_id, group in groups.items():
            await self.discord_io.welcome_shared(
                place,
                cfg,
                lang,
                group,
                self._opened,
                key=self._shared_key(cfg.guild_id),
                thread_id=thread_id,
            )
            ids = [p.welcome_id for p in group if p.welcome_id]
            await self.store.clear_failure(cfg.guild_id, ids, UNSENT)

    async def _record(self, guild_id: int, batch: list[PendingJoin]) -> list[PendingJoin]:
        """Record the joins not recorded yet (one transaction) and return the batch
        without the joins that already have their row (never welcomed twice)."""
        fresh = [p for p in batch if not p.recorded]
        if not fresh:
            return batch
        seen = await self.store.joins_of(
            guild_id, {p.user_id for p in fresh}, since=min(p.joined_at for p in fresh) - SAME_JOIN
        )
        twice = {
            id(p)
            for p in fresh
            if any(abs(at - p.joined_at) <= SAME_JOIN for at in seen.get(p.user_id, ()))
        }
        batch = [p for p in batch if id(p) not in twice]
        fresh = [p for p in fresh if id(p) not in twice]
        kept = self._recorded(guild_id, fresh)
        ids = await self.store.record_joins(
            [NewJoin(guild_id, p.user_id, p.joined_at) for p in kept]
        )
        for pending, welcome_id in zip(kept, ids, strict=True):
            pending.welcome_id = welcome_id
        for pending in fresh:
            pending.recorded = True
        return batch

    async def _retry_later(self, guild_id: int, joins: list[PendingJoin], retry: Retry) -> None:
        """Discord failed for now: wait (longer each round), then try the joins again at the
        head of the queue; a join older than `RECONCILE_WINDOW` is given up."""
        rounds = self._failed_rounds.get(guild_id, 0) + 1
        self._failed_rounds[guild_id] = rounds
        log.warning(
            "welcome failed for now (%s), round %d: trying again",
            retry.reason,
            rounds,
            extra={"guild_id": guild_id},
        )
        now = self.clock.now()
        late = [p for p in joins if now - p.joined_at > RECONCILE_WINDOW]
        await self.store.set_failure(
            guild_id, [p.welcome_id for p in late if p.welcome_id], "unavailable"
        )
        if rounds == RETRY_NOTICE_AFTER:
            await self.problems.report(guild_id, Problem("unavailable", pause=False))
        keep = [p for p in joins if p not in late]
        if not keep:
            return
        await asyncio.sleep(self.retry_delays[min(rounds, len(self.retry_delays)) - 1])
        self._queues.setdefault(guild_id, deque()).extendleft(reversed(keep))

    # -- joins the bot did not see ------------------------------------------------------------
    async def reconcile(
        self, guild_id: int, members: Sequence[tuple[int, datetime | None, bool]]
    ) -> int:
        """Welcome the guild's recent joins the bot missed; return how many were queued.

        `members` are (user id, joined at, is a bot) as Discord lists them now. The window
        starts at the latest of `RECONCILE_WINDOW` ago, Foyer's arrival in the guild and the
        last `/welcome setup`; in it, a member with no welcome row is welcomed, and a row
        without a thread (interrupted, or left by a crash) is tried again, as is a row whose
        thread exists without the message greeting them (`unsent`): the welcome message in
        their own thread, the arrivals message in the shared one.
        Opted-out members have no rows, so they are not welcomed late (they could be welcomed
        twice).
        """
        cfg = await self.config(guild_id)
        if cfg is None or not cfg.enabled or cfg.paused:
            return 0
        settings = await self.guild_settings.get(guild_id)
        since = max(self.clock.now() - RECONCILE_WINDOW, settings.joined_at, cfg.updated_at)
        busy = {p.user_id for p in self._queues.get(guild_id, ())}
        current = self._current.get(guild_id)
        if current is not None:
            busy |= {p.user_id for part in current for p in part}
        rows = await self.store.joins_since(guild_id, since - SAME_JOIN)
        has_row = {row.user_id for row in rows}
        present = {user_id: at for user_id, at, is_bot in members if not is_bot and at}
        recorder = self._recorder()
        missed = [
            PendingJoin(guild_id, user_id, at)
            for user_id, at in present.items()
            if at >= since
            and user_id not in has_row
            and user_id not in busy
            and not (recorder is not None and recorder.is_opted_out(guild_id, user_id))
        ]
        unfinished = [
            PendingJoin(
                guild_id,
                row.user_id,
                row.joined_at,
                row.id,
                recorded=True,
                thread_id=row.thread_id,
                attempted_at=row.joined_at,
                shared=row.shared,
            )
            for row in rows
            if (
                (row.thread_id is None and row.failure in (None, UNFINISHED))
                or (row.thread_id is not None and row.failure == UNSENT)
            )
            and row.user_id in present
            and row.user_id not in busy
            and row.joined_at >= since
        ]
        joins = sorted([*missed, *unfinished], key=lambda p: p.joined_at)
        for pending in joins:
            self._enqueue(cfg, pending)
        if joins:
            log.info("welcoming %d joins the bot missed", len(joins), extra={"guild_id": guild_id})
        return len(joins)

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
