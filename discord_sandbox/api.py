"""``Sandbox``: the Python API that tests, the demo and the community script drive.

Setup methods (``create_*``) only change state: use them before the bot connects, their
objects arrive in GUILD_CREATE. Actions (``await join/post/react/...``) change state and
dispatch the gateway events a real member's action would cause. Every action takes an
optional ``at`` (aware UTC datetime) used for the snowflake and timestamps.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aiohttp import web

from .core import Call, Core
from .faults import Faults
from .gateway import GUILD_MEMBERS
from .interacting import InteractingMixin
from .moderating import ModeratingMixin
from .openapi import ResponseValidator, Violation
from .permissions import Overwrite
from .ratelimits import RateLimiter
from .server import API_PREFIX, build_app
from .snowflake import utcnow
from .state import CATEGORY, Channel, Guild, Member, Message, Role, User

Person = Member | User


class Sandbox(InteractingMixin, ModeratingMixin):
    """A local Discord: REST + gateway on 127.0.0.1, plus methods to act as its members.

    ``allowed_intents`` are the privileged intents switched on for the application in the
    Developer Portal (default: Server Members only; ``-1`` = all). ``bot_name`` is the
    application's and its bot user's name.
    Requesting another privileged intent closes the gateway with 4014, and without Message
    Content other people's text is blank over REST as well as in dispatches.
    ``rate_limits`` turns on Discord's per-route buckets and global limit (429s the client
    must wait out); ``heartbeat_interval`` (seconds, sent in HELLO) also sets when a silent
    client is closed with 4009 (1.5 intervals without a heartbeat).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        validate_responses: bool = False,
        shard_count: int = 1,
        allowed_intents: int = GUILD_MEMBERS,
        token: str | None = None,
        interaction_deadline: float | None = 3.0,
        bot_name: str = "Sandbox Bot",
        rate_limits: bool = False,
        heartbeat_interval: float = 41.25,
    ) -> None:
        self.token = token or "sandbox." + secrets.token_urlsafe(24)
        self.core = Core(token=self.token, allowed_intents=allowed_intents, bot_name=bot_name)
        self.core.shard_count = shard_count
        self.core.interaction_deadline = interaction_deadline
        self.core.hub.heartbeat_interval_ms = round(heartbeat_interval * 1000)
        if rate_limits:
            self.core.rate_limiter = RateLimiter()
        self.host, self.port = host, port
        self.validator = ResponseValidator() if validate_responses else None
        self._runner: web.AppRunner | None = None

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> Sandbox:
        """Serve REST and the gateway; the port is chosen by the OS unless given."""
        app = build_app(self.core, validator=self.validator)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        self.core.gateway_url = f"ws://{self.host}:{self.port}/gateway"
        return self

    async def stop(self) -> None:
        """Close sockets and stop serving."""
        await self.core.hub.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        """Return the value for ``discord.http.Route.BASE`` / ``DISCORD_API_BASE``."""
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """Return the value for ``DiscordWebSocket.DEFAULT_GATEWAY``."""
        return self.core.gateway_url

    @property
    def application_id(self) -> int:
        """Return the bot's application id (equal to the bot user's id)."""
        return self.core.application_id

    @property
    def bot_user(self) -> User:
        """Return the bot's user."""
        return self.core.world.bot_user

    @property
    def faults(self) -> Faults:
        """Return the fault plan: ``sb.faults.next("POST", "/channels/*", status=429)``."""
        return self.core.faults

    @property
    def calls(self) -> list[Call]:
        """Return every REST call the bot made, in order."""
        return self.core.calls

    @property
    def violations(self) -> list[Violation]:
        """Return the OpenAPI violations found so far (empty when not validating)."""
        return self.validator.violations if self.validator else []

    async def wait_for_call(
        self,
        method: str,
        route: str,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until the bot made ``count`` calls to ``method route``; return them."""

        async def enough() -> list[Call]:
            async with self.core.call_done:
                await self.core.call_done.wait_for(
                    lambda: len(self.calls_to(method, route)) >= count
                )
            return self.calls_to(method, route)

        return await asyncio.wait_for(enough(), timeout)

    def calls_to(self, method: str, route: str) -> list[Call]:
        """Return calls by method and route template (or concrete path)."""
        return [c for c in self.calls if c.method == method.upper() and route in (c.route, c.path)]

    # -- setup (no dispatch) ------------------------------------------------------------------
    def create_guild(
        self,
        name: str,
        *,
        locale: str = "en-US",
        at: datetime | None = None,
        bot_present: bool = True,
    ) -> Guild:
        """Create a guild with an owner, @everyone (id = guild id) and the bot's role."""
        guild = self.world.add_guild(name, locale=locale, at=at)
        if not bot_present:
            guild.bot_present = False
            guild.members.pop(self.bot_user.id, None)
        return guild

    def create_channel(
        self,
        guild: Guild,
        name: str,
        *,
        category: Channel | None = None,
        kind: int = 0,
        topic: str | None = None,
        at: datetime | None = None,
    ) -> Channel:
        """Create a text channel (or a category with ``kind=4``)."""
        ch = Channel(
            self.world.ids.new(at),
            guild.id,
            name,
            type=kind,
            topic=topic,
            position=len(guild.channels),
            parent_id=category.id if category else None,
        )
        if category is not None:
            ch.overwrites = list(category.overwrites)
        guild.channels[ch.id] = ch
        self.world.channels[ch.id] = ch
        return ch

    def create_category(self, guild: Guild, name: str, at: datetime | None = None) -> Channel:
        """Create a category channel."""
        return self.create_channel(guild, name, kind=CATEGORY, at=at)

    def create_role(
        self,
        guild: Guild,
        name: str,
        *,
        permissions: int = 0,
        above_bot: bool = False,
        at: datetime | None = None,
    ) -> Role:
        """Create a role below the bot's role (or above it, to provoke hierarchy 403s)."""
        position = 1000 if above_bot else len(guild.roles)
        role = Role(self.world.ids.new(at), guild.id, name, permissions, position=position)
        guild.roles[role.id] = role
        return role

    def create_member(
        self,
        guild: Guild,
        name: str,
        *,
        roles: Iterable[Role] = (),
        joined_at: datetime | None = None,
        bot: bool = False,
    ) -> Member:
        """Add a member without dispatching (for state present before the bot connects)."""
        user = self.world.new_user(name, bot=bot, at=joined_at)
        member = Member(user, guild.id, [r.id for r in roles], joined_at=joined_at or utcnow())
        guild.members[user.id] = member
        return member

    def set_overwrite(
        self, channel: Channel, target: Role | Person, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Set a channel permission overwrite for a role or a member."""
        if isinstance(target, Role):
            oid, otype = target.id, 0
        else:
            oid, otype = self._user(target).id, 1
        channel.overwrites = [o for o in channel.overwrites if o.id != oid]
        channel.overwrites.append(Overwrite(oid, otype, allow, deny))

    def set_bot_permissions(self, guild: Guild, permissions: int) -> None:
        """Replace the permissions of the bot's role in ``guild``."""
        self.world.bot_role(guild).permissions = permissions

    # -- member actions (dispatch) ----------------------------------------------------------
    async def join(
        self,
        guild: Guild,
        who: str | User,
        *,
        roles: Iterable[Role] = (),
        at: datetime | None = None,
    ) -> Member:
        """Make a (new or returning) user join: GUILD_MEMBER_ADD."""
        user = who if isinstance(who, User) else self.world.new_user(who, at=at)
        member = Member(user, guild.id, [r.id for r in roles], joined_at=at or utcnow())
        await self.core.add_member(guild, member)
        return member

    async def leave(self, guild: Guild, who: Person, *, at: datetime | None = None) -> None:
        """Make a member leave: GUILD_MEMBER_REMOVE (carries no time: ``at`` is unused)."""
        del at
        await self.core.remove_member(guild, self._user(who))

    async def add_role(
        self, guild: Guild, who: Person, role: Role, *, at: datetime | None = None
    ) -> None:
        """Give a role (as an admin would): GUILD_MEMBER_UPDATE (``at`` unused: no time)."""
        del at
        member = guild.members[self._user(who).id]
        if role.id not in member.roles:
            member.roles.append(role.id)
            await self.core.member_updated(member)

    async def remove_role(
        self, guild: Guild, who: Person, role: Role, *, at: datetime | None = None
    ) -> None:
        """Take a role away: GUILD_MEMBER_UPDATE (``at`` unused: no time)."""
        del at
        member = guild.members[self._user(who).id]
        if role.id in member.roles:
            member.roles.remove(role.id)
            await self.core.member_updated(member)

    async def add_bot(self, guild: Guild, *, at: datetime | None = None) -> None:
        """Invite the bot to ``guild`` later: GUILD_CREATE."""
        await self.core.add_bot(guild, at=at)

    async def remove_bot(self, guild: Guild) -> None:
        """Kick the bot from ``guild``: GUILD_DELETE."""
        await self.core.remove_bot(guild)

    async def post(
        self,
        channel: Channel,
        who: Person,
        content: str = "",
        *,
        at: datetime | None = None,
        reply_to: Message | None = None,
        mentions: Iterable[Person] = (),
        embeds: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Post a message as a member (a reply if ``reply_to``): MESSAGE_CREATE."""
        return await self.core.create_message(
            channel,
            self._user(who),
            content,
            at=at,
            embeds=embeds,
            reply_to=reply_to.id if reply_to else None,
            mentions=[self._user(p).id for p in mentions],
        )

    async def edit(self, msg: Message, content: str, *, at: datetime | None = None) -> Message:
        """Edit a message: MESSAGE_UPDATE."""
        return await self.core.edit_message(msg, {"content": content}, at=at)

    async def delete_message(self, msg: Message, *, at: datetime | None = None) -> None:
        """Delete a message: MESSAGE_DELETE (carries no time: ``at`` is unused)."""
        del at
        await self.core.delete_message(msg)

    async def create_thread(
        self,
        channel: Channel,
        who: Person,
        name: str,
        *,
        from_message: Message | None = None,
        private: bool = False,
        at: datetime | None = None,
    ) -> Channel:
        """Open a thread as a member: THREAD_CREATE (``newly_created``)."""
        return await self.core.create_thread(
            channel,
            self._user(who),
            name,
            from_message=from_message,
            thread_type=12 if private else 11,
            at=at,
        )

    async def archive_thread(
        self, thread: Channel, *, locked: bool = False, at: datetime | None = None
    ) -> None:
        """Archive (and optionally lock) a thread, as Discord's auto-archive would."""
        await self.core.update_thread(thread, {"archived": True, "locked": locked}, at=at)

    async def delete_channel(self, channel: Channel) -> None:
        """Delete a channel or thread as an admin would: CHANNEL_DELETE / THREAD_DELETE."""
        await self.core.delete_channel(channel)

    async def join_thread(
        self, thread: Channel, who: Person, *, at: datetime | None = None
    ) -> None:
        """Add a member to a thread: THREAD_MEMBERS_UPDATE."""
        uid = self._user(who).id
        if uid not in thread.thread_members:
            thread.thread_members[uid] = at or utcnow()
            await self.core.thread_members_update(thread, added=[uid])

    async def react(
        self, msg: Message, who: Person, emoji: str, *, at: datetime | None = None
    ) -> None:
        """React as a member: MESSAGE_REACTION_ADD (carries no time: ``at`` is unused;
        the bot stamps reactions with its own clock, which the demo moves to ``at``)."""
        del at
        await self.core.react(msg, self._user(who), emoji)

    async def unreact(
        self, msg: Message, who: Person, emoji: str, *, at: datetime | None = None
    ) -> None:
        """Remove a member's reaction: MESSAGE_REACTION_REMOVE (``at`` unused: no time)."""
        del at
        await self.core.react(msg, self._user(who), emoji, add=False)

    # -- reading ------------------------------------------------------------------------------
    def messages_in(self, channel: Channel) -> list[Message]:
        """Return a channel's messages, oldest first."""
        return self.world.history(channel.id)

    def threads_in(self, channel: Channel) -> list[Channel]:
        """Return the threads opened under a channel."""
        return [
            c for c in self.world.channels.values() if c.parent_id == channel.id and c.is_thread
        ]

    # -- OAuth2 (oauth2.py) -------------------------------------------------------------------
    def oauth_client(self, redirect_uri: str) -> tuple[int, str]:
        """Register ``redirect_uri`` for the application's OAuth2 client and return its
        client id (the application id, as on Discord) and secret."""
        self.core.oauth.redirect_uris.add(redirect_uri)
        return self.core.application_id, self.core.oauth.client_secret

    def oauth_login_as(self, who: Person | None) -> None:
        """Who approves the next ``/oauth2/authorize`` at once (None: nobody is logged in)."""
        self.core.oauth.approver = self._user(who).id if who is not None else None

    @property
    def authorize_url(self) -> str:
        """Discord's authorize page, in the sandbox."""
        return self.api_base.removesuffix(API_PREFIX) + "/oauth2/authorize"

    # -- faults and synchronisation -------------------------------------------------------------
    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's clock forward: interaction deadlines and token lifetimes
        (15 minutes) see that much more time gone by."""
        self.core.clock_offset += seconds

    async def drop_socket(self, code: int = 4000) -> None:
        """Close the bot's gateway socket(s); the client resumes and gets the missed events."""
        await self.core.hub.drop(code)

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client closes and resumes."""
        await self.core.hub.send_op(7)

    async def send_invalid_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; non-resumable sessions are forgotten (re-IDENTIFY)."""
        await self.core.hub.send_op(9, resumable, invalidate=not resumable)
