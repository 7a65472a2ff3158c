"""Peer-reply tracking: turn gateway events into recorder events, and recover gaps.

Metadata only: ids, kinds, times, reply targets. Message text is never read (the bot has no
MESSAGE_CONTENT intent anyway). Gap recovery runs when a shard becomes ready (start, or a
reconnect that could not resume: a fresh IDENTIFY); after RESUMED nothing is needed,
Discord replayed the missed events.
"""

from __future__ import annotations

import gc
import logging
from datetime import datetime

import discord
from discord.ext import commands

from bot.app import FoyerBot
from bot.db.models import GuildSettings
from bot.db.models.activity import ActorRole
from bot.i18n import t
from bot.recording import backfill
from bot.recording.classify import role_of
from bot.recording.events import (
    MemberJoined,
    MemberLeft,
    MessageCreated,
    MessageDeleted,
    ReactionChanged,
    ReplyTarget,
    ThreadCreated,
    snowflake_at,
    time_of,
)

log = logging.getLogger(__name__)

RECORDED_TYPES = frozenset(
    {
        discord.MessageType.default,
        discord.MessageType.reply,
        discord.MessageType.chat_input_command,
        discord.MessageType.context_menu_command,
    }
)


class Tracking(commands.Cog):
    """Listeners that hand every relevant gateway event to `bot.recorder`."""

    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot
        self.recorder = bot.recorder
        # When each shard lost the gateway; before the first connection, when we started.
        self._started_at = bot.clock.now()
        self._disconnected_at: dict[int, datetime] = {}
        self._known_guilds: set[int] = set()
        self._roles: dict[int, tuple[frozenset[int], dict[int, ActorRole]]] = {}

    async def settings(self, guild_id: int) -> GuildSettings | None:
        """The guild's settings, or None before the app created them. Never creates them:
        the app does (on_ready, on_guild_join), and a second first-sight insert here would
        race it."""
        if guild_id not in self._known_guilds:
            async with self.bot.db.session() as session:
                if await session.get(GuildSettings, guild_id) is None:
                    return None
            self._known_guilds.add(guild_id)
        return await self.bot.guild_settings.get(guild_id)

    # -- who is who -------------------------------------------------------------------
    async def member_role(self, member: discord.Member, *, cached: bool = True) -> ActorRole:
        """Bot, staff (configured staff roles, else Manage Server/Administrator) or member.

        Asked several times per message, so remembered per guild until the member's roles,
        the guild's roles or its staff-role setting change."""
        if member.bot:
            return ActorRole.BOT
        settings = await self.settings(member.guild.id)
        staff_ids = frozenset(r.role_id for r in settings.staff_roles) if settings else frozenset()
        known = self._roles.get(member.guild.id)
        if known is None or known[0] != staff_ids:
            known = self._roles[member.guild.id] = (staff_ids, {})
        role = known[1].get(member.id) if cached else None
        if role is None:
            perms = member.guild_permissions if not staff_ids else None
            role = known[1][member.id] = role_of(
                is_bot=False,
                role_ids={r.id for r in member.roles},
                staff_role_ids=set(staff_ids),
                manages_guild=bool(perms and (perms.manage_guild or perms.administrator)),
            )
        return role

    def _forget_roles(self, guild_id: int, user_id: int | None = None) -> None:
        known = self._roles.get(guild_id)
        if known is not None and user_id is not None:
            known[1].pop(user_id, None)
        elif known is not None:
            del self._roles[guild_id]

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, _after: discord.Role) -> None:
        self._forget_roles(before.guild.id)

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        self._forget_roles(role.guild.id)

    @commands.Cog.listener()
    async def on_guild_update(self, before: discord.Guild, _after: discord.Guild) -> None:
        self._forget_roles(before.id)  # the owner may have changed

    async def author_role(self, message: discord.Message) -> ActorRole:
        if message.webhook_id is not None or message.author.bot:
            return ActorRole.BOT
        author = message.author
        member = author if isinstance(author, discord.Member) else None
        if member is None and message.guild is not None:
            member = message.guild.get_member(author.id)
        return await self.member_role(member) if member else ActorRole.MEMBER

    async def role_by_id(self, guild: discord.Guild, user_id: int | None) -> ActorRole | None:
        member = guild.get_member(user_id) if user_id else None
        return await self.member_role(member) if member else None

    # -- building events ----------------------------------------------------------------
    async def message_event(self, message: discord.Message) -> MessageCreated | None:
        guild = message.guild
        if guild is None or message.type not in RECORDED_TYPES:
            return None
        channel = message.channel
        thread = channel if isinstance(channel, discord.Thread) else None
        reply = None
        ref = message.reference
        if message.type is discord.MessageType.reply and ref and ref.message_id:
            target = ref.resolved
            if isinstance(target, discord.Message):
                reply = ReplyTarget(
                    ref.message_id,
                    target.author.id,
                    await self.author_role(target),
                    target.type is discord.MessageType.reply,
                )
            else:  # not resolved, or deleted: the recorder looks it up in its events
                reply = ReplyTarget(ref.message_id)
        return MessageCreated(
            guild_id=guild.id,
            message_id=message.id,
            channel_id=(thread.parent_id if thread else channel.id) or channel.id,
            thread_id=thread.id if thread else None,
            author_id=message.author.id,
            author_role=await self.author_role(message),
            created_at=message.created_at,
            reply_to=reply,
            thread_owner_id=thread.owner_id if thread else None,
            thread_owner_role=await self.role_by_id(guild, thread.owner_id) if thread else None,
        )

    async def thread_event(self, thread: discord.Thread) -> ThreadCreated | None:
        if thread.owner_id is None:
            return None
        role = await self.role_by_id(thread.guild, thread.owner_id)
        return ThreadCreated(
            guild_id=thread.guild.id,
            thread_id=thread.id,
            parent_id=thread.parent_id,
            owner_id=thread.owner_id,
            owner_role=role if role is not None else ActorRole.MEMBER,
            created_at=thread.created_at or time_of(thread.id),
        )

    def _place(self, guild_id: int, channel_id: int) -> tuple[int, int | None]:
        """(channel, thread) for a channel id that may be a thread's."""
        guild = self.bot.get_guild(guild_id)
        channel = guild.get_channel_or_thread(channel_id) if guild else None
        if isinstance(channel, discord.Thread) and channel.parent_id:
            return channel.parent_id, channel.id
        return channel_id, None

    # -- listeners ----------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        event = await self.message_event(message)
        if event is not None:
            await self.recorder.record(event)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.guild_id is None:
            return
        channel_id, thread_id = self._place(payload.guild_id, payload.channel_id)
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
    async def on_thread_create(self, thread: discord.Thread) -> None:
        event = await self.thread_event(thread)
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
        member = payload.member or guild.get_member(payload.user_id)
        role = await self.member_role(member) if member else ActorRole.MEMBER
        author = payload.message_author_id
        channel_id, thread_id = self._place(guild.id, payload.channel_id)
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
                author_role=await self.role_by_id(guild, author),
            )
        )

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        role = await self.member_role(member)
        joined = member.joined_at or self.bot.clock.now()
        await self.recorder.record(
            MemberJoined(member.guild.id, member.id, member.bot, role is ActorRole.STAFF, joined)
        )

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        self._forget_roles(payload.guild_id, payload.user.id)
        await self.recorder.record(
            MemberLeft(payload.guild_id, payload.user.id, payload.user.bot, self.bot.clock.now())
        )

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if before.roles == after.roles:
            return
        self._forget_roles(after.guild.id, after.id)
        was = await self.member_role(before, cached=False)
        now = await self.member_role(after, cached=False)
        if was != now:
            await self.recorder.set_staff(after.guild.id, after.id, now is ActorRole.STAFF)

    # -- gap recovery ---------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_shard_disconnect(self, shard_id: int) -> None:
        self._disconnected_at.setdefault(shard_id, self.bot.clock.now())

    @commands.Cog.listener()
    async def on_shard_resumed(self, shard_id: int) -> None:
        self._disconnected_at.pop(shard_id, None)  # Discord replayed what we missed

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Move everything loaded so far (modules, guild and member caches) out of the
        garbage collector's sight: those objects live as long as the process, and scanning
        them again and again was the largest cost per gateway event (benchmarks/gateway.py:
        1.6x a bare bot's CPU per message without this, under 1.5x with it)."""
        gc.freeze()

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """A fresh session (start, or a reconnect that could not resume): fill the gap."""
        since = self._disconnected_at.pop(shard_id, self._started_at)
        for guild in [g for g in self.bot.guilds if g.shard_id == shard_id]:
            await self.recover(guild, since)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """A new guild: record who is here (as joins at their `joined_at`)."""
        await self.recover(guild, self.bot.clock.now())

    async def recover(self, guild: discord.Guild, since: datetime) -> None:
        """Reconcile members, then backfill every readable channel and active thread."""
        try:
            await self._reconcile_members(guild)
            unreadable = await self._backfill(guild, since)
            await self._report_unreadable(guild, unreadable)
        except Exception:
            log.exception("gap recovery failed", extra={"guild_id": guild.id})

    async def _reconcile_members(self, guild: discord.Guild) -> None:
        present = [
            backfill.PresentMember(
                m.id, m.bot, await self.member_role(m) is ActorRole.STAFF, m.joined_at
            )
            for m in guild.members
        ]
        events, staff = await backfill.member_changes(
            self.bot.db, guild.id, present, self.bot.clock.now()
        )
        await self.recorder.record_many(events)
        for user_id, is_staff in staff:
            await self.recorder.set_staff(guild.id, user_id, is_staff)
        if events:
            log.info("recorded %d missed joins/leaves", len(events), extra={"guild_id": guild.id})

    async def _backfill(self, guild: discord.Guild, since: datetime) -> list[int]:
        """Fetch history after each place's last recorded message, one place after the
        other; returns the channels the bot may not read (skipped, never retried here)."""
        settings = await self.settings(guild.id)
        # Nothing from before the bot arrived (a guild seen for the first time: nothing).
        floor = snowflake_at(settings.joined_at if settings else self.bot.clock.now())
        before = snowflake_at(since)
        unreadable: list[int] = []
        fetched = 0
        places: list[discord.TextChannel | discord.Thread] = [
            *guild.text_channels,
            *guild.threads,
        ]
        for place in places:
            perms = place.permissions_for(guild.me)
            readable = perms.view_channel and perms.read_message_history
            try:
                if readable:
                    fetched += await self._backfill_place(place, floor, before)
            except discord.Forbidden:
                readable = False
            except discord.HTTPException as error:
                log.warning("history unavailable (%s)", error.status, extra={"guild_id": guild.id})
            if not readable and not isinstance(place, discord.Thread):
                unreadable.append(place.id)
        if fetched:
            log.info("backfilled %d messages", fetched, extra={"guild_id": guild.id})
        return unreadable

    async def _backfill_place(
        self, place: discord.TextChannel | discord.Thread, floor: int, before: int
    ) -> int:
        is_thread = isinstance(place, discord.Thread)
        if isinstance(place, discord.Thread) and place.id > floor:
            created = await self.thread_event(place)  # its THREAD_CREATE may have been missed
            if created is not None:
                await self.recorder.record(created)
        last = await backfill.cursor(
            self.bot.db, place.guild.id, place.id, thread=is_thread, before=before
        )
        count = 0
        async for message in place.history(
            limit=backfill.HISTORY_LIMIT, after=discord.Object(max(last, floor)), oldest_first=True
        ):
            event = await self.message_event(message)
            if event is not None:
                await self.recorder.record(event)
                count += 1
        if count == backfill.HISTORY_LIMIT:
            log.warning(
                "gap longer than %d messages in one channel; older part recorded",
                count,
                extra={"guild_id": place.guild.id},
            )
        return count

    async def _report_unreadable(self, guild: discord.Guild, channel_ids: list[int]) -> None:
        """Tell admins once which channels Foyer cannot read (their activity is missing)."""
        new = await backfill.not_yet_reported(self.bot.db, guild.id, channel_ids)
        if not new:
            return
        settings = await self.settings(guild.id)
        admin = guild.get_channel(settings.admin_channel_id or 0) if settings else None
        if not isinstance(admin, discord.TextChannel):
            log.warning(
                "%d channels unreadable; no admin channel to tell",
                len(new),
                extra={"guild_id": guild.id},
            )
            return
        lang = await self.bot.guild_settings.language(guild.id)
        text = t("tracking.unreadable_channels", lang, channels=", ".join(f"<#{c}>" for c in new))
        try:
            await admin.send(text)
        except discord.HTTPException as error:
            log.warning(
                "could not tell admins about unreadable channels (%s)",
                error.status,
                extra={"guild_id": guild.id},
            )
        await backfill.mark_reported(self.bot.db, guild.id, new)


async def setup(bot: FoyerBot) -> None:
    await bot.add_cog(Tracking(bot))
