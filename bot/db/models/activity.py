"""What the recorder stores: metadata about activity, never what anyone wrote.

`activity_events` is the raw, idempotent record (one row per Discord fact); the `daily_*`
tables are rollups maintained in the same transaction, so health figures read a few
thousand rollup rows instead of scanning millions of events. Days are UTC days.

Column `info` markers drive privacy (see bot/privacy/registry.py): `user` marks a member's
id (forget/export find personal data through it), `retention` the time the daily purge ages
rows by.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, BigIntPK, Snowflake


class EventKind(enum.IntEnum):
    MESSAGE = 1
    MESSAGE_DELETE = 2
    REACTION_ADD = 3
    REACTION_REMOVE = 4
    THREAD_CREATE = 5
    MEMBER_JOIN = 6
    MEMBER_LEAVE = 7


class ActorRole(enum.IntEnum):
    BOT = 0
    STAFF = 1
    MEMBER = 2


class Interaction(enum.IntEnum):
    """What a reply or thread answer is, per docs/metrics.md."""

    NONE = 0
    PEER = 1  # member -> member
    STAFF = 2  # staff -> member
    OTHER = 3  # towards staff, or between staff


class ThreadContext(enum.IntEnum):
    ORDINARY = 0
    WELCOME = 1
    RITUAL = 2


class ActivityEvent(Base):
    """One Discord fact. `ref_id` is the message id (or thread id, or a time snowflake for
    joins and leaves) and makes recording idempotent: a replayed or backfilled message
    hits the unique constraint and is stored once."""

    __tablename__ = "activity_events"
    __table_args__ = (
        UniqueConstraint(
            "guild_id", "kind", "ref_id", "actor_id", "emoji", name="uq_activity_events_ref"
        ),
        Index("ix_activity_events_guild_time", "guild_id", "occurred_at"),
        Index("ix_activity_events_guild_actor_time", "guild_id", "actor_id", "occurred_at"),
        Index("ix_activity_events_guild_thread", "guild_id", "thread_id"),
        Index("ix_activity_events_guild_reply_to", "guild_id", "reply_to_id"),
        Index("ix_activity_events_guild_channel_ref", "guild_id", "channel_id", "ref_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    kind: Mapped[int] = mapped_column(SmallInteger)
    ref_id: Mapped[int] = mapped_column(Snowflake)
    occurred_at: Mapped[datetime] = mapped_column(info={"retention": True})
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    thread_id: Mapped[int | None] = mapped_column(Snowflake)
    actor_id: Mapped[int] = mapped_column(Snowflake, info={"user": True})
    actor_role: Mapped[int] = mapped_column(SmallInteger)
    target_id: Mapped[int | None] = mapped_column(
        Snowflake, info={"user": True, "on_forget": "null"}
    )
    target_role: Mapped[int | None] = mapped_column(SmallInteger)
    interaction: Mapped[int] = mapped_column(SmallInteger, default=Interaction.NONE)
    context: Mapped[int] = mapped_column(SmallInteger, default=ThreadContext.ORDINARY)
    starts_conversation: Mapped[bool] = mapped_column(Boolean, default=False)
    emoji: Mapped[str] = mapped_column(String(100), default="")
    # The message a reply points at (MESSAGE events only): finds a reply's target author
    # when Discord did not resolve it, and counts a conversation once per replied message.
    reply_to_id: Mapped[int | None] = mapped_column(Snowflake)


class Member(Base):
    """A human or bot the guild has had, with the latest join and leave.

    The partial index lists the users no figure counts (staff, bots, opted-out members):
    each health read leaves them out, and without it each would scan the whole guild."""

    __tablename__ = "members"
    __table_args__ = (
        Index(
            "ix_members_guild_not_counted",
            "guild_id",
            "user_id",
            sqlite_where=text("is_staff IS 1 OR is_bot IS 1 OR opted_out IS 1"),
            postgresql_where=text("is_staff IS true OR is_bot IS true OR opted_out IS true"),
        ),
    )

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(
        Snowflake,
        primary_key=True,
        autoincrement=False,
        info={"user": True, "on_opt_out": "keep"},
    )
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)


class TrackedThread(Base):
    """A thread the bot opened for a purpose (welcome or ritual), or any thread it has seen,
    with its owner: thread answers are counted towards the owner."""

    __tablename__ = "tracked_threads"
    __table_args__ = (Index("ix_tracked_threads_guild", "guild_id"),)

    thread_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    parent_id: Mapped[int | None] = mapped_column(Snowflake)
    owner_id: Mapped[int | None] = mapped_column(
        Snowflake, info={"user": True, "on_forget": "null"}
    )
    context: Mapped[int] = mapped_column(SmallInteger, default=ThreadContext.ORDINARY)
    created_at: Mapped[datetime]


class DailyMemberActivity(Base):
    """Per member and UTC day. Interactions count replies and thread answers.

    The primary key serves the reads by day. The index lists the days each member wrote
    on (the newcomer cohorts, the welcome funnel): partial, so it is small and answers
    those reads alone, without visiting the rows. It starts with the member, not the
    guild: led by the guild, it would tempt SQLite (no statistics) to scan a whole guild
    in member order rather than sort a few days' rows per member."""

    __tablename__ = "daily_member_activity"
    __table_args__ = (
        Index(
            "ix_daily_member_activity_user_guild_day",
            "user_id",
            "guild_id",
            "day",
            sqlite_where=text("messages > 0"),
            postgresql_where=text("messages > 0"),
        ),
    )

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True, info={"retention": True})
    user_id: Mapped[int] = mapped_column(
        Snowflake, primary_key=True, autoincrement=False, info={"user": True}
    )
    messages: Mapped[int] = mapped_column(default=0)
    peer_given: Mapped[int] = mapped_column(default=0)
    peer_received: Mapped[int] = mapped_column(default=0)
    staff_received: Mapped[int] = mapped_column(default=0)
    reactions_given: Mapped[int] = mapped_column(default=0)
    reactions_received: Mapped[int] = mapped_column(default=0)
    ritual_messages: Mapped[int] = mapped_column(default=0)
    threads_created: Mapped[int] = mapped_column(default=0)
    conversations_started: Mapped[int] = mapped_column(default=0)


def wrote_that_day() -> ColumnElement[bool]:
    """The member rollup rows of days with a message, in the words of the partial index's
    condition: with a literal 0, not a bound parameter, SQLite sees that the index holds
    exactly those rows (with a parameter the same read took twice as long)."""
    return DailyMemberActivity.messages > literal_column("0")


class DailyChannelActivity(Base):
    """Per channel (a thread counts towards its parent) and UTC day."""

    __tablename__ = "daily_channel_activity"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True, info={"retention": True})
    channel_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    member_messages: Mapped[int] = mapped_column(default=0)
    staff_messages: Mapped[int] = mapped_column(default=0)
    bot_messages: Mapped[int] = mapped_column(default=0)


class DailyGuildActivity(Base):
    """Per guild and UTC day: the totals every period figure starts from."""

    __tablename__ = "daily_guild_activity"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True, info={"retention": True})
    member_messages: Mapped[int] = mapped_column(default=0)
    staff_messages: Mapped[int] = mapped_column(default=0)
    bot_messages: Mapped[int] = mapped_column(default=0)
    peer_interactions: Mapped[int] = mapped_column(default=0)
    staff_interactions: Mapped[int] = mapped_column(default=0)
    reactions: Mapped[int] = mapped_column(default=0)
    joins: Mapped[int] = mapped_column(default=0)
    leaves: Mapped[int] = mapped_column(default=0)
    conversations: Mapped[int] = mapped_column(default=0)
    member_conversations: Mapped[int] = mapped_column(default=0)
    member_threads: Mapped[int] = mapped_column(default=0)


class BackfillGap(Base):
    """A stretch of a channel's (or thread's) history still to read after an outage.

    Gap recovery opens one per place at each start and fresh session, reads it page by
    page, oldest first, and moves `after_id` past each page once its messages are written;
    the row is deleted when the gap is closed. A restart finds it and continues from
    `after_id`, however long the outage was. Ids only: no member, no text."""

    __tablename__ = "backfill_gaps"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    place_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    # The newest message read so far (exclusive): history is read after it.
    after_id: Mapped[int] = mapped_column(Snowflake)
    # The upper bound: from there on, the bot was recording live.
    before_id: Mapped[int] = mapped_column(Snowflake)
    opened_at: Mapped[datetime]
