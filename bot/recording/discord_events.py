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


class GuildRoles:
    """Who is bot, staff or member in one guild, remembered per user: asked several times
    per message. The tracking cog forgets entries when a member's roles, the guild's roles
    or its owner change; a new staff-role setting starts a fresh memory."""

    def __init__(self, staff_role_ids: frozenset[int]) -> None:
        self.staff_role_ids = staff_role_ids
        self.settings: GuildSettings | None = None
        self.by_user: dict[int, ActorRole] = {}

    def of(self, member: discord.Member, *, cached: bool = True) -> ActorRole:
        if member.bot:
            return ActorRole.BOT
        role = self.by_user.get(member.id) if cached else None
        if role is None:
            staff = self.staff_role_ids
            perms = None if staff else member.guild_permissions
            role = self.by_user[member.id] = role_of(
                is_bot=False,
                role_ids={r.id for r in member.roles},
                staff_role_ids=set(staff),
                manages_guild=bool(perms and (perms.manage_guild or perms.administrator)),
            )
        return role

    def author(self, message: discord.Message, guild: discord.Guild) -> ActorRole:
        """A message's author: webhooks and bots are bots; a user who left is a member."""
        if message.webhook_id is not None or message.author.bot:
            return ActorRole.BOT
        author = message.author
        member = author if isinstance(author, discord.Member) else guild.get_member(author.id)
        return self.of(member) if member else ActorRole.MEMBER

    def by_id(self, guild: discord.Guild, user_id: int | None) -> ActorRole | None:
        member = guild.get_member(user_id) if user_id else None
        return self.of(member) if member else None


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
        self._roles: dict[int, GuildRoles] = {}

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
    async def roles(self, guild_id: int) -> GuildRoles:
        """The guild's role memory, valid for the current staff-role setting. One settings
        look-up per event; the role look-ups that follow are plain calls."""
        settings = await self.settings(guild_id)
        known = self._roles.get(guild_id)
        if known is None or known.settings is not settings:
            staff = frozenset(r.role_id for r in settings.staff_roles) if settings else frozenset()
            if known is None or known.staff_role_ids != staff:
                known = self._roles[guild_id] = GuildRoles(staff)
            known.settings = settings
        return known

    async def member_role(self, member: discord.Member, *, cached: bool = True) -> ActorRole:
        """Bot, staff (configured staff roles, else Manage Server/Administrator) or member."""
        return (await self.roles(member.guild.id)).of(member, cached=cached)

    def forget_roles(self, guild_id: int, user_id: int | None = None) -> None:
        known = self._roles.get(guild_id)
        if known is not None and user_id is not None:
            known.by_user.pop(user_id, None)
        elif known is not None:
            del self._roles[guild_id]

    # -- building events ----------------------------------------------------------------
    async def message_event(self, message: discord.Message) -> MessageCreated | None:
        guild = message.guild
        if guild is None or message.type not in RECORDED_TYPES:
            return None
        roles = await self.roles(guild.id)
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
                    roles.author(target, guild),
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
            author_role=roles.author(message, guild),
            created_at=message.created_at,
            reply_to=reply,
            thread_owner_id=thread.owner_id if thread else None,
            thread_owner_role=roles.by_id(guild, thread.owner_id) if thread else None,
        )

    async def thread_event(self, thread: discord.Thread) -> ThreadCreated | None:
        if thread.owner_id is None:
            return None
        role = (await self.roles(thread.guild.id)).by_id(thread.guild, thread.owner_id)
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
