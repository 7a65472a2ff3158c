"""What the tracking cog hands the recorder: plain facts built from Discord objects.

No discord.py import here or anywhere in the recorder core, so the whole pipeline is tested
without Discord. None of these carries message text: there is no field to put it in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.db.models.activity import ActorRole

DISCORD_EPOCH_MS = 1_420_070_400_000


def snowflake_at(when: datetime) -> int:
    """The smallest snowflake Discord could have minted at `when` (used as the `ref_id` of
    joins and leaves, and as `after=` for history)."""
    return (int(when.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22


def time_of(snowflake: int) -> datetime:
    """When a snowflake was minted, aware UTC."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """The message a reply points at. Author and role are None when Discord did not resolve
    it: the recorder then looks the message up in its own events."""

    message_id: int
    author_id: int | None = None
    author_role: ActorRole | None = None
    is_reply: bool | None = None  # the target is itself a reply (None: unknown)


@dataclass(frozen=True, slots=True)
class MessageCreated:
    guild_id: int
    message_id: int
    channel_id: int  # the parent channel when the message is in a thread
    thread_id: int | None
    author_id: int
    author_role: ActorRole
    created_at: datetime
    reply_to: ReplyTarget | None = None
    thread_owner_id: int | None = None  # from the Thread object, when the cog has it
    thread_owner_role: ActorRole | None = None


@dataclass(frozen=True, slots=True)
class MessageDeleted:
    guild_id: int
    message_id: int
    channel_id: int
    thread_id: int | None
    deleted_at: datetime
    author_id: int | None = None  # when discord.py still had the message cached


@dataclass(frozen=True, slots=True)
class ReactionChanged:
    guild_id: int
    message_id: int
    channel_id: int
    thread_id: int | None
    user_id: int
    user_role: ActorRole
    emoji: str
    added: bool
    occurred_at: datetime
    author_id: int | None = None  # the reacted message's author, when the payload has it
    author_role: ActorRole | None = None


@dataclass(frozen=True, slots=True)
class ThreadCreated:
    guild_id: int
    thread_id: int
    parent_id: int | None
    owner_id: int
    owner_role: ActorRole
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MemberJoined:
    guild_id: int
    user_id: int
    is_bot: bool
    is_staff: bool
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class MemberLeft:
    guild_id: int
    user_id: int
    is_bot: bool
    left_at: datetime


Event = (
    MessageCreated | MessageDeleted | ReactionChanged | ThreadCreated | MemberJoined | MemberLeft
)


def actor_of(event: Event) -> int:
    """The user whose action the event is (opt-outs are checked against it)."""
    match event:
        case MessageCreated():
            return event.author_id
        case ReactionChanged():
            return event.user_id
        case ThreadCreated():
            return event.owner_id
        case MemberJoined() | MemberLeft():
            return event.user_id
        case MessageDeleted():
            return event.author_id or 0
