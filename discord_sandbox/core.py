"""State mutations that both REST handlers and the Python API share, with their dispatches.

Whoever acts (the bot over REST or a simulated member through ``Sandbox``), a message, a
thread, a reaction or a membership change goes through one method here, so the stored
state and the gateway events can never disagree.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from . import payloads
from .faults import Faults
from .gateway import MESSAGE_CONTENT, GatewayHub, blank_content
from .oauth2 import OAuth
from .permissions import MANAGE_THREADS, VIEW_CHANNEL
from .ratelimits import RateLimiter
from .snowflake import utcnow
from .state import PRIVATE_THREAD, Channel, Guild, Member, Message, Role, User, World

EPHEMERAL = 1 << 6
NONCE_WINDOW = timedelta(minutes=5)


class Call:
    """One REST call the bot made, as the sandbox saw and answered it."""

    def __init__(self, method: str, route: str, path: str, query: dict[str, str]) -> None:
        self.method = method
        self.route = route
        self.path = path
        self.query = query
        self.json: Any = None
        self.files: dict[str, bytes] = {}
        self.status = 0
        self.response: Any = None

    def __repr__(self) -> str:
        return f"<Call {self.method} {self.path} -> {self.status}>"


class Core:
    """Shared state, gateway hub, call log and fault plan of one sandbox."""

    def __init__(
        self, *, token: str, allowed_intents: int = -1, bot_name: str = "Sandbox Bot"
    ) -> None:
        self.world = World(bot_name)
        self.token = token
        self.application_id = self.world.bot_user.id
        self.gateway_url = ""
        self.shard_count = 1
        self.hub = GatewayHub(
            self.world,
            token=token,
            application_id=self.application_id,
            url=lambda: self.gateway_url,
            allowed_intents=allowed_intents,
        )
        self.faults = Faults()
        self.oauth = OAuth()
        self.calls: list[Call] = []
        self.in_flight = 0
        self.last_activity = 0.0
        self.interactions: dict[str, Any] = {}
        #: Seconds a bot has to acknowledge an interaction (Discord: 3); None = no limit.
        self.interaction_deadline: float | None = 3.0
        #: Seconds an interaction token stays valid for follow-ups and edits (Discord: 15 min).
        self.token_lifetime = 15 * 60.0
        #: Seconds added to the event loop's clock (``Sandbox.advance_clock``).
        self.clock_offset = 0.0
        self.rate_limiter: RateLimiter | None = None
        self.call_done = asyncio.Condition()
        self.dms: dict[int, int] = {}
        self.dm_messages: list[tuple[int, dict[str, Any]]] = []
        #: How long a create with ``enforce_nonce`` returns the message first made with
        #: that nonce (Discord: "the past few minutes"; 5 minutes here). Tests shorten it.
        self.nonce_window = NONCE_WINDOW
        self._nonces: dict[tuple[int, int, str], tuple[int, datetime]] = {}
        #: Audit log entries per guild, oldest first (``moderating.py`` writes them).
        self.audit_logs: dict[int, list[dict[str, Any]]] = {}

    def now(self) -> datetime:
        """Return the current time (UTC)."""
        return utcnow()

    def clock(self) -> float:
        """Return the monotonic seconds that interaction deadlines and token lifetimes use:
        the event loop's clock, moved forward by ``Sandbox.advance_clock``."""
        return asyncio.get_running_loop().time() + self.clock_offset

    def bot_sees(self, channel: Channel | None) -> bool:
        """Say whether the bot gets events from ``channel``: VIEW_CHANNEL as resolved for
        it (threads use their parent); a private thread only if the bot is a member of it
        or has Manage Threads."""
        if channel is None:
            return True
        perms = self.world.permissions_in(channel, self.world.bot_user.id)
        if not perms & VIEW_CHANNEL:
            return False
        if channel.type == PRIVATE_THREAD:
            return self.world.bot_user.id in channel.thread_members or bool(perms & MANAGE_THREADS)
        return True

    def _sees_channel_id(self, channel_id: int) -> bool:
        return self.bot_sees(self.world.channels.get(channel_id))

    def dm_channel_for(self, user_id: int) -> int:
        """Return the (stub) DM channel id for a user, creating it once."""
        for cid, uid in self.dms.items():
            if uid == user_id:
                return cid
        cid = self.world.ids.new()
        self.dms[cid] = user_id
        return cid

    def record_dm(self, user_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Store a DM the bot sent (no gateway echo: the bot has no DM intent here)."""
        self.dm_messages.append((user_id, body))
        cid = next(c for c, u in self.dms.items() if u == user_id)
        msg = Message(
            self.world.ids.new(),
            cid,
            None,
            self.world.bot_user,
            body.get("content") or "",
            embeds=body.get("embeds") or [],
        )
        return payloads.message(self.world, msg)

    async def remove_bot(self, guild: Guild) -> None:
        """Remove the bot from a guild and dispatch GUILD_DELETE."""
        guild.bot_present = False
        guild.members.pop(self.world.bot_user.id, None)
        await self.hub.dispatch(
            "GUILD_DELETE", {"id": str(guild.id), "unavailable": False}, guild_id=guild.id
        )

    async def add_bot(self, guild: Guild, at: datetime | None = None) -> None:
        """Add the bot to a guild and dispatch GUILD_CREATE."""
        guild.bot_present = True
        guild.members[self.world.bot_user.id] = Member(
            self.world.bot_user, guild.id, joined_at=at or utcnow()
        )
        await self.hub.dispatch(
            "GUILD_CREATE",
            payloads.guild_create(self.world, guild, newly_joined=True),
            guild_id=guild.id,
        )

    def rest_message(self, msg: Message) -> dict[str, Any]:
        """Return a message as REST shows it to the bot: without the Message Content intent
        enabled for the application (Developer Portal), other people's text is blank in
        REST too, except in messages that mention the bot."""
        data = payloads.message(self.world, msg)
        allowed = self.hub.allowed_intents
        bot_id = self.world.bot_user.id
        if (
            allowed >= 0
            and not allowed & MESSAGE_CONTENT
            and msg.author.id != bot_id
            and bot_id not in msg.mentions
        ):
            data = blank_content(data)
        return data

    def touch(self) -> None:
        """Note REST activity (used to decide when the bot is idle)."""
        self.last_activity = asyncio.get_running_loop().time()

    # -- messages -------------------------------------------------------------------------
    def message_with_nonce(self, channel_id: int, author_id: int, nonce: str) -> int | None:
        """The id of the message this author created in this channel with this nonce
        within ``nonce_window`` (it may since have been deleted), else None."""
        seen = self._nonces.get((channel_id, author_id, nonce))
        if seen is None or self.now() - seen[1] > self.nonce_window:
            return None
        return seen[0]

    def remember_nonce(self, msg: Message, nonce: str) -> None:
        """Note the nonce a message was created with, for ``enforce_nonce``."""
        cutoff = self.now() - self.nonce_window
        for key in [k for k, (_, at) in self._nonces.items() if at < cutoff]:
            del self._nonces[key]
        self._nonces[(msg.channel_id, msg.author.id, nonce)] = (msg.id, self.now())

    async def create_message(
        self,
        channel: Channel,
        author: User,
        content: str = "",
        *,
        embeds: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        files: dict[str, bytes] | None = None,
        components: list[dict[str, Any]] | None = None,
        flags: int = 0,
        reply_to: int | None = None,
        at: datetime | None = None,
        webhook_id: int | None = None,
        msg_type: int | None = None,
        mentions: list[int] | None = None,
        dispatch: bool = True,
        interaction_metadata: dict[str, Any] | None = None,
    ) -> Message:
        """Store a message and dispatch MESSAGE_CREATE (ephemeral ones stay private)."""
        msg = Message(
            self.world.ids.new(at),
            channel.id,
            channel.guild_id,
            author,
            content,
            embeds=list(embeds or []),
            attachments=list(attachments or []),
            files=dict(files or {}),
            components=payloads.normalize_components(components),
            flags=flags,
            reply_to=reply_to,
            webhook_id=webhook_id,
            mentions=list(mentions or []),
        )
        msg.type = msg_type if msg_type is not None else (19 if reply_to else 0)
        msg.interaction_metadata = interaction_metadata
        if reply_to is not None:
            target = self.world.messages.get(reply_to)
            if target is not None and target.author.id not in msg.mentions:
                msg.mentions.append(target.author.id)
        if flags & EPHEMERAL:
            return msg
        self.world.messages[msg.id] = msg
        channel.last_message_id = msg.id
        if channel.is_thread:
            channel.message_count += 1
        if dispatch:
            await self.dispatch_message("MESSAGE_CREATE", msg)
        return msg

    async def dispatch_message(self, event: str, msg: Message) -> None:
        """Dispatch MESSAGE_CREATE/UPDATE with the guild member attached, as Discord does."""
        data = payloads.message(self.world, msg)
        guild = self.world.guilds.get(msg.guild_id or 0)
        if guild is not None:
            data["guild_id"] = str(guild.id)
            m = guild.members.get(msg.author.id)
            if m is not None and msg.webhook_id is None:
                data["member"] = {k: v for k, v in payloads.member(m).items() if k != "user"}
        if not self._sees_channel_id(msg.channel_id):
            return
        bot_id = self.world.bot_user.id
        visible = msg.author.id == bot_id or bot_id in msg.mentions
        await self.hub.dispatch(event, data, guild_id=msg.guild_id, content_visible=visible)

    async def delete_message(self, msg: Message) -> None:
        """Delete a message and dispatch MESSAGE_DELETE."""
        self.world.messages.pop(msg.id, None)
        if not self._sees_channel_id(msg.channel_id):
            return
        data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id:
            data["guild_id"] = str(msg.guild_id)
        await self.hub.dispatch("MESSAGE_DELETE", data, guild_id=msg.guild_id)

    async def edit_message(
        self, msg: Message, fields: dict[str, Any], at: datetime | None = None
    ) -> Message:
        """Apply an edit and dispatch MESSAGE_UPDATE."""
        for key in ("content", "embeds"):
            if key in fields and fields[key] is not None:
                setattr(msg, key, fields[key])
        if fields.get("components") is not None:
            msg.components = payloads.normalize_components(fields["components"])
        if "flags" in fields and fields["flags"] is not None:
            msg.flags = (msg.flags & EPHEMERAL) | (int(fields["flags"]) & ~(1 << 7))
        msg.flags &= ~(1 << 7)
        msg.edited_at = at or utcnow()
        if msg.id in self.world.messages:
            await self.dispatch_message("MESSAGE_UPDATE", msg)
        return msg

    # -- reactions --------------------------------------------------------------------------
    async def react(self, msg: Message, user: User, emoji: str, *, add: bool = True) -> bool:
        """Add or remove a reaction; dispatch only when the state changed."""
        users = msg.reactions.setdefault(emoji, [])
        if add == (user.id in users):
            return False
        if add:
            users.append(user.id)
        else:
            users.remove(user.id)
        data: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(msg.channel_id),
            "message_id": str(msg.id),
            "emoji": payloads.emoji(emoji),
            "type": 0,
            "burst": False,
            "message_author_id": str(msg.author.id),
        }
        guild = self.world.guilds.get(msg.guild_id or 0)
        if guild is not None:
            data["guild_id"] = str(guild.id)
            if add and user.id in guild.members:
                data["member"] = payloads.member(guild.members[user.id])
        event = "MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE"
        if self._sees_channel_id(msg.channel_id):
            await self.hub.dispatch(event, data, guild_id=msg.guild_id)
        return True

    # -- threads ----------------------------------------------------------------------------
    async def create_thread(
        self,
        parent: Channel,
        owner: User,
        name: str,
        *,
        from_message: Message | None = None,
        thread_type: int = 11,
        at: datetime | None = None,
        auto_archive_duration: int = 1440,
    ) -> Channel:
        """Open a thread (its id is the starter message's id) and dispatch THREAD_CREATE."""
        tid = from_message.id if from_message is not None else self.world.ids.new(at)
        thread = Channel(
            tid,
            parent.guild_id,
            name,
            type=PRIVATE_THREAD if thread_type == 12 else 11,
            parent_id=parent.id,
            owner_id=owner.id,
            auto_archive_duration=auto_archive_duration,
        )
        thread.thread_members[owner.id] = at or utcnow()
        self.world.channels[tid] = thread
        self.world.guilds[parent.guild_id].channels[tid] = thread
        if from_message is not None:
            from_message.thread_id = tid
        if self.bot_sees(thread):
            await self.hub.dispatch(
                "THREAD_CREATE",
                {**payloads.channel(thread), "newly_created": True},
                guild_id=parent.guild_id,
            )
        await self.thread_members_update(thread, added=[owner.id])
        return thread

    async def update_thread(
        self, thread: Channel, fields: dict[str, Any], at: datetime | None = None
    ) -> None:
        """Apply name/archived/locked/auto_archive_duration and dispatch THREAD_UPDATE."""
        if fields.get("name"):
            thread.name = str(fields["name"])
        if fields.get("archived") is not None and bool(fields["archived"]) != thread.archived:
            thread.archived_at = at or utcnow()
        for key in ("archived", "locked"):
            if fields.get(key) is not None:
                setattr(thread, key, bool(fields[key]))
        if fields.get("auto_archive_duration"):
            thread.auto_archive_duration = int(fields["auto_archive_duration"])
        if self.bot_sees(thread):
            await self.hub.dispatch(
                "THREAD_UPDATE", payloads.channel(thread), guild_id=thread.guild_id
            )

    async def delete_channel(self, channel: Channel) -> None:
        """Delete a channel or thread (threads and messages under it go too) and dispatch
        CHANNEL_DELETE or THREAD_DELETE; later REST calls get 404 Unknown Channel."""
        guild = self.world.guilds[channel.guild_id]
        seen = self.bot_sees(channel)
        for child in [c for c in guild.channels.values() if c.parent_id == channel.id]:
            if child.is_thread:
                await self.delete_channel(child)
            else:
                child.parent_id = None  # a category's channels survive it, unparented
        guild.channels.pop(channel.id, None)
        self.world.channels.pop(channel.id, None)
        for mid in [m.id for m in self.world.messages.values() if m.channel_id == channel.id]:
            del self.world.messages[mid]
        if channel.is_thread:
            data = {
                "id": str(channel.id),
                "guild_id": str(guild.id),
                "type": channel.type,
                "parent_id": str(channel.parent_id),
            }
            if seen:
                await self.hub.dispatch("THREAD_DELETE", data, guild_id=guild.id)
        else:
            await self.hub.dispatch("CHANNEL_DELETE", payloads.channel(channel), guild_id=guild.id)

    async def thread_members_update(
        self, thread: Channel, *, added: list[int] | None = None, removed: list[int] | None = None
    ) -> None:
        """Dispatch THREAD_MEMBERS_UPDATE for joins/leaves of a thread."""
        data: dict[str, Any] = {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": len(thread.thread_members),
            "added_members": [payloads.thread_member(thread, u) for u in added or []],
            "removed_member_ids": [str(u) for u in removed or []],
        }
        bot_id = self.world.bot_user.id
        if bot_id in (added or []) and thread.type == PRIVATE_THREAD:
            perms = self.world.permissions_in(thread, bot_id)
            if perms & VIEW_CHANNEL and not perms & MANAGE_THREADS:
                # the thread was hidden until now: Discord sends it when the bot is added
                await self.hub.dispatch(
                    "THREAD_CREATE", payloads.channel(thread), guild_id=thread.guild_id
                )
        if bot_id in (removed or []) or self.bot_sees(thread):
            await self.hub.dispatch("THREAD_MEMBERS_UPDATE", data, guild_id=thread.guild_id)

    # -- members ----------------------------------------------------------------------------
    async def add_member(self, guild: Guild, member: Member) -> None:
        """Register a member and dispatch GUILD_MEMBER_ADD."""
        guild.members[member.user.id] = member
        if guild.bot_present:
            await self.hub.dispatch(
                "GUILD_MEMBER_ADD", payloads.member(member, with_guild_id=True), guild_id=guild.id
            )

    async def remove_member(self, guild: Guild, user: User) -> None:
        """Remove a member and dispatch GUILD_MEMBER_REMOVE."""
        guild.members.pop(user.id, None)
        for ch in guild.channels.values():
            ch.thread_members.pop(user.id, None)
        if guild.bot_present:
            await self.hub.dispatch(
                "GUILD_MEMBER_REMOVE",
                {"guild_id": str(guild.id), "user": payloads.user(user)},
                guild_id=guild.id,
            )

    async def delete_role(self, guild: Guild, role: Role) -> None:
        """Delete a role as Discord does: gone from the guild, from every member holding it
        and from every channel's overwrites; GUILD_ROLE_DELETE (``{guild_id, role_id}``,
        Guilds intent), then GUILD_MEMBER_UPDATE for each member who held it (Guild
        Members intent). The overwrites go without a CHANNEL_UPDATE (not emulated)."""
        guild.roles.pop(role.id, None)
        holders = [m for m in guild.members.values() if role.id in m.roles]
        for member in holders:
            member.roles.remove(role.id)
        for channel in guild.channels.values():
            channel.overwrites = [
                o for o in channel.overwrites if not (o.type == 0 and o.id == role.id)
            ]
        if not guild.bot_present:
            return
        await self.hub.dispatch(
            "GUILD_ROLE_DELETE",
            {"guild_id": str(guild.id), "role_id": str(role.id)},
            guild_id=guild.id,
        )
        for member in holders:
            await self.member_updated(member)

    async def member_updated(self, member: Member) -> None:
        """Dispatch GUILD_MEMBER_UPDATE after a role or nick change."""
        await self.hub.dispatch(
            "GUILD_MEMBER_UPDATE",
            payloads.member(member, with_guild_id=True),
            guild_id=member.guild_id,
        )
