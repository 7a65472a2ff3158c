"""Discord objects to recorder events: the one place that reads discord.py objects for
tracking (the recorder core never imports discord).

Never touches message text: only ids, types, references, authors and their roles.
"""

from __future__ import annotations

import discord

from bot.db import Database
from bot.db.models import GuildSettings
from bot.db.models.activity import ActorRole
from bot.guilds import GuildSettingsService
from bot.recording.classify import role_of
from bot.recording.events import MessageCreated, ReplyTarget, ThreadCreated, time_of

RECORDED_TYPES = frozenset(
    {
        discord.MessageType.default,
        discord.MessageType.reply,
        discord.MessageType.chat_input_command,
        discord.MessageType.context_menu_command,
    }
)


class EventBuilder:
    """Builds `MessageCreated` and `ThreadCreated` events and tells who is bot, staff or
    member. Roles are remembered per guild (see `member_role`); the tracking cog calls
    `forget_roles` when roles change."""

    def __init__(
        self, db: Database, guild_settings: GuildSettingsService, client: discord.Client
    ) -> None:
        self._db = db
        self._guild_settings = guild_settings
        self._client = client
        self._known_guilds: set[int] = set()
        self._roles: dict[int, tuple[frozenset[int], dict[int, ActorRole]]] = {}

    async def settings(self, guild_id: int) -> GuildSettings | None:
        """The guild's settings, or None before the app created them. Never creates them:
        the app does (on_ready, on_guild_join), and a second first-sight insert here would
        race it."""
        if guild_id not in self._known_guilds:
            async with self._db.session() as session:
                if await session.get(GuildSettings, guild_id) is None:
                    return None
            self._known_guilds.add(guild_id)
        return await self._guild_settings.get(guild_id)

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

    def forget_roles(self, guild_id: int, user_id: int | None = None) -> None:
        known = self._roles.get(guild_id)
        if known is not None and user_id is not None:
            known[1].pop(user_id, None)
        elif known is not None:
            del self._roles[guild_id]

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

    def place(self, guild_id: int, channel_id: int) -> tuple[int, int | None]:
        """(channel, thread) for a channel id that may be a thread's (raw events give the
        thread's id as their channel)."""
        guild = self._client.get_guild(guild_id)
        channel = guild.get_channel_or_thread(channel_id) if guild else None
        if isinstance(channel, discord.Thread) and channel.parent_id:
            return channel.parent_id, channel.id
        return channel_id, None
