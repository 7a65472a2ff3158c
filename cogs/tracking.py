"""Peer-reply tracking: hand gateway events to the recorder, and recover gaps.

Metadata only: ids, kinds, times, reply targets. Message text is never read (the bot has no
MESSAGE_CONTENT intent anyway). Gap recovery runs when a shard becomes ready (start, or a
reconnect that could not resume: a fresh IDENTIFY), in a task of its own; after RESUMED
nothing is needed, Discord replayed the missed events of that session. What a fresh
session cannot replay is kept: from the moment a recovered session was lost (or the
start), until the next recovery runs, whatever RESUMEs happen in between (op 7 or a
dropped socket right after the new IDENTIFY resume the *new* session, not the lost one).
That moment is also kept in the database per shard (`backfill.save_gap_mark`) until the
recovery opened its gaps: a run killed before that leaves it to the next start, whose gaps
then begin before the live messages the killed run recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

import discord
from discord.ext import commands

from bot.app import FoyerBot
from bot.db.models.activity import ActorRole
from bot.recording import backfill
from bot.recording.discord_events import EventBuilder
from bot.recording.events import MemberJoined, MemberLeft, MessageDeleted, ReactionChanged
from bot.recording.recovery import GapRecovery


class Tracking(commands.Cog):
    """Listeners that hand every relevant gateway event to `bot.recorder`."""

    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot
        self.recorder = bot.recorder
        self.events = EventBuilder(bot.db, bot.guild_settings, bot)
        self.recovery = GapRecovery(
            bot.db, bot.guild_settings, bot.recorder, self.events, bot.clock
        )
        # Per shard, since when events may be missing with no recovery run yet: before a
        # shard's first recovery, since the start.
        self._started_at = bot.clock.now()
        self._gap_since: dict[int, datetime] = {}
        self._recovered: set[int] = set()  # shards whose current session was recovered
        self._unopened: dict[int, list[datetime]] = {}  # recoveries yet to open their gaps
        self._marks_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[object]] = set()
        self.recoveries = 0  # shard recoveries finished (logs, tests)

    async def cog_load(self) -> None:
        """Before the gateway connects: take over what a killed run left unrecovered, and
        mark this start, before anything live is recorded."""
        shards = self.bot.shard_ids or range(self.bot.shard_count or 1)
        marks = await backfill.gap_marks(self.bot.db, shards)
        for shard_id in shards:
            self._gap_since[shard_id] = min(marks.get(shard_id, self._started_at), self._started_at)
            await self._save_mark(shard_id)

    async def _save_mark(self, shard_id: int) -> None:
        """Store the earliest moment events may be missing with no gap opened for them."""
        async with self._marks_lock:
            pending = list(self._unopened.get(shard_id, []))
            if shard_id in self._gap_since:
                pending.append(self._gap_since[shard_id])
            await backfill.save_gap_mark(self.bot.db, shard_id, min(pending, default=None))

    async def cog_unload(self) -> None:
        """Stop recoveries in progress: their cursors hold where the next start goes on."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- listeners ----------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, _after: discord.Role) -> None:
        self.events.forget_roles(before.guild.id)

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        self.events.forget_roles(role.guild.id)

    @commands.Cog.listener()
    async def on_guild_update(self, before: discord.Guild, _after: discord.Guild) -> None:
        self.events.forget_roles(before.id)  # the owner may have changed

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        event = await self.events.message_event(message)
        if event is not None:
            await self.recorder.record(event)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.guild_id is None:
            return
        channel_id, thread_id = self.events.place(payload.guild_id, payload.channel_id)
        cached = payload.cached_message
        await self.recorder.record(
            MessageDeleted(
                payload.guild_id,
                payload.message_id,
                channel_id,
                thread_id,
                self.bot.clock.now(),
                author_id=cached.author.id if cached else None,
            )
        )

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if payload.guild_id is None:
            return
        channel_id, thread_id = self.events.place(payload.guild_id, payload.channel_id)
        now = self.bot.clock.now()
        for message_id in payload.message_ids:
            await self.recorder.record(
                MessageDeleted(payload.guild_id, message_id, channel_id, thread_id, now)
            )

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        event = await self.events.thread_event(thread)
        if event is not None:
            await self.recorder.record(event)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, added=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, added=False)

    async def _reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        guild = self.bot.get_guild(payload.guild_id or 0)
        if guild is None:
            return
        roles = await self.events.roles(guild.id)
        member = payload.member or guild.get_member(payload.user_id)
        role = roles.of(member) if member else ActorRole.MEMBER
        author = payload.message_author_id
        channel_id, thread_id = self.events.place(guild.id, payload.channel_id)
        await self.recorder.record(
            ReactionChanged(
                guild_id=guild.id,
                message_id=payload.message_id,
                channel_id=channel_id,
                thread_id=thread_id,
                user_id=payload.user_id,
                user_role=role,
                emoji=str(payload.emoji),
                added=added,
                occurred_at=self.bot.clock.now(),
                author_id=author,
                author_role=roles.by_id(guild, author),
            )
        )

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        role = await self.events.member_role(member)
        joined = member.joined_at or self.bot.clock.now()
        await self.recorder.record(
            MemberJoined(member.guild.id, member.id, member.bot, role is ActorRole.STAFF, joined)
        )

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        self.events.forget_roles(payload.guild_id, payload.user.id)
        await self.recorder.record(
            MemberLeft(payload.guild_id, payload.user.id, payload.user.bot, self.bot.clock.now())
        )

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if before.roles == after.roles:
            return
        self.events.forget_roles(after.guild.id, after.id)
        was = await self.events.member_role(before, cached=False)
        now = await self.events.member_role(after, cached=False)
        if was != now:
            await self.recorder.set_staff(after.guild.id, after.id, now is ActorRole.STAFF)

    # -- gap recovery ---------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_shard_disconnect(self, shard_id: int) -> None:
        if shard_id in self._recovered and shard_id not in self._gap_since:
            self._gap_since[shard_id] = self.bot.clock.now()  # else the open gap goes on
            await self._save_mark(shard_id)

    @commands.Cog.listener()
    async def on_shard_connect(self, shard_id: int) -> None:
        """READY of a fresh session: until its recovery ran, no RESUME fills the gap."""
        self._recovered.discard(shard_id)

    @commands.Cog.listener()
    async def on_shard_resumed(self, shard_id: int) -> None:
        if shard_id in self._recovered and self._gap_since.pop(shard_id, None) is not None:
            await self._save_mark(shard_id)  # Discord replayed what we missed

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """A fresh session (start, or a reconnect that could not resume): fill the gap."""
        since = self._gap_since.pop(shard_id, self._started_at)
        self._recovered.add(shard_id)
        self._unopened.setdefault(shard_id, []).append(since)
        self._spawn(self._recover_shard(shard_id, since))

    def _spawn(self, work: Coroutine[Any, Any, object]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _recover_shard(self, shard_id: int, since: datetime) -> None:
        opened = True
        for guild in [g for g in self.bot.guilds if g.shard_id == shard_id]:
            opened &= await self.recovery.recover(guild, since)
        if opened:  # backfill_gaps now holds where each gap starts
            self._unopened[shard_id].remove(since)
            await self._save_mark(shard_id)
        self.recoveries += 1

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """A new guild: record who is here (as joins at their `joined_at`)."""
        self._spawn(self.recovery.recover(guild, self.bot.clock.now()))


async def setup(bot: FoyerBot) -> None:
    await bot.add_cog(Tracking(bot))
