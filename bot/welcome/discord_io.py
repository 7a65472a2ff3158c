"""Opening welcome threads on Discord: one per newcomer, or a shared one in a burst.

Every action is paced (`Pacer`), checked before the call (channel, permissions), and a
refusal goes to `ProblemReporter.refused`, which stops the batch: nothing is retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import discord

from bot.clock import Clock
from bot.db.models.activity import ThreadContext
from bot.db.models.welcome import ThreadKind, WelcomeConfig
from bot.i18n import t
from bot.welcome import render
from bot.welcome.config import missing_permissions, required_permissions, thread_name
from bot.welcome.pacing import BurstDetector, Pacer, near_thread_limit
from bot.welcome.problems import ProblemReporter, Stop
from bot.welcome.store import WelcomeStore

log = logging.getLogger(__name__)

ARRIVALS_PER_MESSAGE = 50  # newcomers greeted per message in a shared thread (~1,100 chars)
LIMIT_KEY = 0  # shared-thread key when the active-thread cap (not a burst) forces sharing
CAP_BACKOFF = timedelta(minutes=10)  # after Discord's "too many active threads", share
THREAD_CAP_CODE = 160006  # Discord: maximum number of active threads reached
GREETERS_ADDED = 3  # greeters added to each private thread, taking turns


@dataclass
class PendingJoin:
    member: discord.Member
    joined_at: datetime
    welcome_id: int = 0  # 0: not recorded (opted-out member)


class ThreadOpener:
    def __init__(
        self,
        store: WelcomeStore,
        clock: Clock,
        reporter: ProblemReporter,
        detector: BurstDetector,
        pacer: Pacer,
        *,
        recorder: Callable[[], Any],
        on_opened: Callable[[int, int], None],
    ) -> None:
        self.store = store
        self.clock = clock
        self.reporter = reporter
        self.detector = detector
        self.pacer = pacer
        self._recorder = recorder
        self._on_opened = on_opened  # (thread id, guild id): the service watches it
        self._shared: dict[int, tuple[int, discord.Thread]] = {}
        self._capped_until: dict[int, datetime] = {}
        self._greeter_turn: dict[int, int] = {}

    def forget(self, guild_id: int) -> None:
        """A new setup: the next burst opens a new shared thread in the new channel."""
        self._shared.pop(guild_id, None)
        self._capped_until.pop(guild_id, None)

    def must_share(self, guild: discord.Guild) -> bool:
        """In a burst, near the active-thread cap, or shortly after Discord said it was hit."""
        capped = self._capped_until.get(guild.id)
        active = sum(1 for thread in guild.threads if not thread.archived)
        return (
            self.detector.active(guild.id)
            or near_thread_limit(active)
            or (capped is not None and self.clock.now() < capped)
        )

    async def usable_channel(self, guild: discord.Guild, cfg: WelcomeConfig) -> discord.TextChannel:
        """The welcome channel if it exists and the bot may work there; else report, Stop.
        A missing permission costs no REST call and does not pause: it heals by itself."""
        channel = guild.get_channel(cfg.channel_id)
        if not isinstance(channel, discord.TextChannel):
            await self.reporter.report(guild, "channel_missing", pause=True)
            raise Stop("channel_missing")
        kind = ThreadKind(cfg.thread_kind_used)
        missing = missing_permissions(channel.permissions_for(guild.me), kind)
        if missing:
            problem = "missing:" + ",".join(missing)
            await self.reporter.report(guild, problem, pause=False, channel=channel, perms=missing)
            raise Stop("missing_permissions")
        if cfg.problem is not None:
            await self.reporter.clear(guild.id)
        return channel

    async def welcome_one(
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
        required = list(required_permissions(kind))
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
            if exc.code == THREAD_CAP_CODE:
                self._capped_until[guild.id] = self.clock.now() + CAP_BACKOFF
                return False
            await self.reporter.refused(guild, channel, exc, required=required)
        await self._opened(guild, channel, thread, [pending], owner_id=member.id, shared=False)
        values = render.template_values(member, guild, greeter)
        try:
            await thread.add_user(member)
        except discord.NotFound:
            log.info("newcomer left before being added", extra={"guild_id": guild.id})
            return True
        except discord.HTTPException as exc:
            await self.reporter.refused(guild, channel, exc, required=required)
        if kind == ThreadKind.PRIVATE and greeter is not None:
            await self._add_greeters(guild, channel, thread, greeter, exclude=member.id)
        try:
            await thread.send(
                render.welcome_text(cfg, lang, values, greeter),
                allowed_mentions=render.mentions([member], greeter),
            )
        except discord.HTTPException as exc:
            await self.reporter.refused(guild, channel, exc, required=["send_messages_in_threads"])
        return True

    async def welcome_shared(
        self,
        guild: discord.Guild,
        channel: discord.TextChannel,
        cfg: WelcomeConfig,
        lang: str,
        joins: Sequence[PendingJoin],
    ) -> None:
        """Greet a group in the current shared thread (opened on first need), one message
        per `ARRIVALS_PER_MESSAGE` newcomers, each pinging only them."""
        thread = await self._shared_thread(guild, channel, cfg, lang)
        await self._opened(guild, channel, thread, joins, owner_id=None, shared=True)
        present = [p.member for p in joins if guild.get_member(p.member.id) is not None]
        for i in range(0, len(present), ARRIVALS_PER_MESSAGE):
            group = present[i : i + ARRIVALS_PER_MESSAGE]
            await self._pace(guild.id)
            try:
                await thread.send(
                    render.arrivals(lang, group), allowed_mentions=render.mentions(group)
                )
            except discord.HTTPException as exc:
                await self.reporter.refused(
                    guild, channel, exc, required=["send_messages_in_threads"]
                )

    async def _add_greeters(
        self,
        guild: discord.Guild,
        channel: discord.TextChannel,
        thread: discord.Thread,
        greeter: discord.Role,
        *,
        exclude: int,
    ) -> None:
        """A private thread is invisible to whoever is not in it: add a few greeters
        (taking turns across welcomes); the role mention calls the others."""
        people = sorted(
            (m for m in greeter.members if not m.bot and m.id != exclude), key=lambda m: m.id
        )
        if not people:
            return
        turn = self._greeter_turn.get(guild.id, 0)
        self._greeter_turn[guild.id] = turn + 1
        count = min(GREETERS_ADDED, len(people))
        start = turn * count % len(people)
        for person in (people * 2)[start : start + count]:
            try:
                await thread.add_user(person)
            except discord.NotFound:
                continue  # left meanwhile
            except discord.HTTPException as exc:
                await self.reporter.refused(
                    guild, channel, exc, required=["send_messages_in_threads"]
                )

    async def _shared_thread(
        self, guild: discord.Guild, channel: discord.TextChannel, cfg: WelcomeConfig, lang: str
    ) -> discord.Thread:
        """This burst's shared thread (a new burst, or a deleted thread, opens a new one)."""
        key = self.detector.number(guild.id) if self.detector.active(guild.id) else LIMIT_KEY
        current = self._shared.get(guild.id)
        if current is not None and current[0] == key and guild.get_thread(current[1].id):
            return current[1]
        greeter = guild.get_role(cfg.greeter_role_id) if cfg.greeter_role_id else None
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
                render.shared_intro(lang, guild.name, greeter),
                allowed_mentions=render.mentions(role=greeter),
            )
        except discord.HTTPException as exc:
            await self.reporter.refused(
                guild, channel, exc, required=list(required_permissions(kind))
            )
        self._shared[guild.id] = (key, thread)
        if kind == ThreadKind.PRIVATE and greeter is not None:
            await self._add_greeters(guild, channel, thread, greeter, exclude=0)
        return thread

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
        """Store the thread on the rows, watch it, and declare it to the recorder."""
        now = self.clock.now()
        ids = [p.welcome_id for p in joins if p.welcome_id]
        await self.store.set_thread(guild.id, ids, thread.id, at=now, shared=shared)
        self._on_opened(thread.id, guild.id)
        recorder = self._recorder()
        if recorder is not None:
            await recorder.mark_thread(
                guild.id, thread.id, channel.id, owner_id, ThreadContext.WELCOME, now
            )

    async def _pace(self, guild_id: int) -> None:
        delay = self.pacer.reserve(guild_id, asyncio.get_running_loop().time())
        if delay > 0:
            await asyncio.sleep(delay)  # spacing real REST calls: real time on purpose
