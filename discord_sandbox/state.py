"""In-memory Discord state: the objects the sandbox serves and mutates.

Plain dataclasses, no I/O. Serialisation to wire payloads lives in ``payloads.py`` so the
objects stay small and the JSON shapes are in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .command_permissions import CommandPermission
from .permissions import (
    DEFAULT_EVERYONE,
    MANAGE_ROLES,
    MANAGE_THREADS,
    Overwrite,
    base_permissions,
    channel_permissions,
)
from .snowflake import SnowflakeFactory, time_of, utcnow

TEXT, CATEGORY, PUBLIC_THREAD, PRIVATE_THREAD = 0, 4, 11, 12
BOT_ROLE_POSITION = 100
#: What the bot's own role grants by default: what a community bot asks for, not admin.
BOT_DEFAULT_PERMISSIONS = DEFAULT_EVERYONE | MANAGE_ROLES | MANAGE_THREADS | (1 << 14) | (1 << 15)
THREAD_TYPES = (PUBLIC_THREAD, PRIVATE_THREAD)


@dataclass
class User:
    """A Discord account (a member's user, the bot, a guild owner)."""

    id: int
    username: str
    bot: bool = False
    global_name: str | None = None


@dataclass
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False


@dataclass
class Member:
    """A user's membership of one guild."""

    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    joined_at: datetime = field(default_factory=utcnow)
    nick: str | None = None
    communication_disabled_until: datetime | None = None  # a timeout


@dataclass
class Channel:
    """A text channel, a category, or a thread (types 0, 4, 11, 12)."""

    id: int
    guild_id: int
    name: str
    type: int = TEXT
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    message_count: int = 0
    thread_members: dict[int, datetime] = field(default_factory=dict)
    last_message_id: int | None = None
    archived_at: datetime | None = None

    @property
    def is_thread(self) -> bool:
        """Say whether this channel is a thread."""
        return self.type in THREAD_TYPES

    @property
    def created_at(self) -> datetime:
        """Return the creation time encoded in the id."""
        return time_of(self.id)

    @property
    def archive_timestamp(self) -> datetime:
        """Return when the thread's archive status last changed (creation if never)."""
        return self.archived_at or self.created_at


@dataclass
class Message:
    """A message; ``reactions`` maps an emoji key to the ordered ids of reacting users."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    reply_to: int | None = None
    mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    edited_at: datetime | None = None
    reactions: dict[str, list[int]] = field(default_factory=dict)
    webhook_id: int | None = None
    interaction_id: int | None = None
    thread_id: int | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    interaction_metadata: dict[str, Any] | None = None

    @property
    def created_at(self) -> datetime:
        """Return the creation time encoded in the id."""
        return time_of(self.id)


@dataclass
class Guild:
    """A guild and everything it contains."""

    id: int
    name: str
    owner_id: int
    locale: str = "en-US"
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    bot_present: bool = True

    @property
    def everyone(self) -> Role:
        """Return the @everyone role (its id equals the guild id)."""
        return self.roles[self.id]


@dataclass
class Command:
    """An application command as registered by the bot (global if ``guild_id`` is None)."""

    id: int
    application_id: int
    guild_id: int | None
    data: dict[str, Any]
    version: int


class World:
    """Every object of the sandbox, indexed by id."""

    def __init__(self, bot_name: str = "Sandbox Bot") -> None:
        self.ids = SnowflakeFactory()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.commands: dict[int, Command] = {}
        #: Overrides an admin set in Integrations, by (guild id, command id or application id).
        self.command_permissions: dict[tuple[int, int], list[CommandPermission]] = {}
        self.bot_user: User = self.new_user(bot_name, bot=True)

    def new_user(self, username: str, *, bot: bool = False, at: datetime | None = None) -> User:
        """Create and register a user."""
        user = User(self.ids.new(at), username, bot=bot, global_name=username.title())
        self.users[user.id] = user
        return user

    def guild_of(self, channel: Channel) -> Guild:
        """Return the guild owning ``channel``."""
        return self.guilds[channel.guild_id]

    def member_roles(self, guild: Guild, user_id: int) -> list[int]:
        """Return the role ids of a member (empty if not a member)."""
        member = guild.members.get(user_id)
        return list(member.roles) if member else []

    def guild_permissions(self, guild: Guild, user_id: int) -> int:
        """Resolve guild-level permissions of ``user_id``."""
        return base_permissions(
            guild_id=guild.id,
            owner_id=guild.owner_id,
            user_id=user_id,
            role_perms={r.id: r.permissions for r in guild.roles.values()},
            member_roles=self.member_roles(guild, user_id),
        )

    def permissions_in(self, channel: Channel, user_id: int) -> int:
        """Resolve permissions of ``user_id`` in ``channel`` (threads use their parent)."""
        guild = self.guild_of(channel)
        target = channel
        if channel.is_thread and channel.parent_id in self.channels:
            target = self.channels[channel.parent_id]
        return channel_permissions(
            self.guild_permissions(guild, user_id),
            guild_id=guild.id,
            user_id=user_id,
            member_roles=self.member_roles(guild, user_id),
            overwrites=target.overwrites,
        )

    def history(self, channel_id: int) -> list[Message]:
        """Return the messages of a channel, oldest first."""
        return sorted(
            (m for m in self.messages.values() if m.channel_id == channel_id), key=lambda m: m.id
        )

    def add_guild(self, name: str, *, locale: str, at: datetime | None) -> Guild:
        """Create a guild with its owner and @everyone role."""
        owner = self.new_user(f"{name.lower().replace(' ', '_')}_owner", at=at)
        guild = Guild(self.ids.new(at), name, owner.id, locale=locale)
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", DEFAULT_EVERYONE)
        guild.members[owner.id] = Member(owner, guild.id, joined_at=at or utcnow())
        bot_role = Role(
            self.ids.new(at),
            guild.id,
            self.bot_user.username,
            BOT_DEFAULT_PERMISSIONS,
            position=BOT_ROLE_POSITION,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[self.bot_user.id] = Member(
            self.bot_user, guild.id, [bot_role.id], joined_at=at or utcnow()
        )
        self.guilds[guild.id] = guild
        return guild

    def bot_role(self, guild: Guild) -> Role:
        """Return the bot's own role in ``guild``."""
        return next(r for r in guild.roles.values() if r.position == BOT_ROLE_POSITION)
