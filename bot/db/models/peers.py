"""Peer mentoring: buddies for newcomers who ask for one, and opt-in introductions.

Only choices and timestamps: who volunteered (and for how many newcomers at once), which
newcomer asked, which buddy was matched, when the buddy first wrote in the welcome thread.
Pairs are made by load and topic roles, never from who talks to whom, and nothing here is
read to describe relationships. Every member id carries `info={"user": True}` so forget,
opt-out and export find it (bot/privacy/registry.py); a buddy forgotten is unlinked from
the newcomer's record (`on_forget: null`), the newcomer's record stays theirs.

Introductions keep each round's counts (pairs, pairs that talked) on `intros_rounds`, and
who was in which pair only as long as the rule "never the same pair within the last 6
rounds" and the 7-day figure need it (bot.intros.service purges the rest).

No foreign key between requests and matches: forgetting a newcomer deletes their rows in
both tables, and a key from one to the other would take the buddy's link along with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, BigIntPK, Snowflake

MIN_CAPACITY = 1
MAX_CAPACITY = 5


class BuddyConfig(Base):
    """A guild's buddy settings; absent or `enabled=False`: no offer in welcome threads."""

    __tablename__ = "buddy_configs"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)  # the volunteer post's channel
    post_message_id: Mapped[int | None] = mapped_column(Snowflake)
    allow_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(
        Snowflake, info={"user": True, "on_forget": "null"}
    )


class BuddyTopicRole(Base):
    """An interest role the admin offers as a buddy topic."""

    __tablename__ = "buddy_topic_roles"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    role_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)


class BuddyVolunteer(Base):
    """A member who volunteered: how many newcomers at once, paused or not."""

    __tablename__ = "buddy_volunteers"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(
        Snowflake, primary_key=True, autoincrement=False, info={"user": True}
    )
    capacity: Mapped[int] = mapped_column(SmallInteger)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime]


class BuddyVolunteerTopic(Base):
    """A topic (one of the guild's topic roles) a volunteer said they know."""

    __tablename__ = "buddy_volunteer_topics"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(
        Snowflake, primary_key=True, autoincrement=False, info={"user": True}
    )
    role_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)


class BuddyRequest(Base):
    """A newcomer's offer in their welcome thread, and their answer.

    `offer_sent_at` is None while the offer is only intended (written before the call, so a
    retry sends it with the same nonce); `accepted_at` is when they asked for a buddy;
    `reoffered_at` when, their buddy silent for 48 h, they were offered another (once).
    """

    __tablename__ = "buddy_requests"
    __table_args__ = (
        UniqueConstraint("guild_id", "newcomer_id", "thread_id"),
        Index("ix_buddy_requests_guild_offered", "guild_id", "offered_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    newcomer_id: Mapped[int] = mapped_column(Snowflake, info={"user": True})
    thread_id: Mapped[int] = mapped_column(Snowflake)
    offered_at: Mapped[datetime] = mapped_column(info={"retention": True})
    offer_sent_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    reoffered_at: Mapped[datetime | None]


class BuddyMatch(Base):
    """One buddy given to one newcomer. A replacement is a new row.

    `announced_at` is None until the buddy was added to the thread and told why there;
    `answered_at` is the buddy's first message in the thread after `matched_at`;
    `reminder_intent_at` / `reminded_at` frame the one reminder (intent, then the post);
    `ended_reason`: silent, buddy_left, opted_out, newcomer_left, finished.
    """

    __tablename__ = "buddy_matches"
    __table_args__ = (
        Index("ix_buddy_matches_guild_matched", "guild_id", "matched_at"),
        Index("ix_buddy_matches_guild_buddy", "guild_id", "buddy_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    request_id: Mapped[int] = mapped_column(Snowflake)
    newcomer_id: Mapped[int] = mapped_column(Snowflake, info={"user": True})
    buddy_id: Mapped[int | None] = mapped_column(
        Snowflake, info={"user": True, "on_forget": "null"}
    )
    thread_id: Mapped[int] = mapped_column(Snowflake)
    matched_at: Mapped[datetime] = mapped_column(info={"retention": True})
    announced_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    reminder_intent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(32))


class IntrosConfig(Base):
    """A guild's introductions: where the pairs' private threads open, how often (every 1,
    2 or 4 weeks, Monday at `ROUND_TIME` in the guild's zone), and the prompt (None: the
    default, in the guild's language). `since` is when the cadence was (re)set: weeks are
    counted from it, and nothing at or before it runs."""

    __tablename__ = "intros_configs"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    cadence_weeks: Mapped[int] = mapped_column(SmallInteger, default=2)
    prompt: Mapped[str | None] = mapped_column(Text)
    since: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(
        Snowflake, info={"user": True, "on_forget": "null"}
    )


class IntrosMember(Base):
    """A member who opted in to introductions."""

    __tablename__ = "intros_members"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(
        Snowflake, primary_key=True, autoincrement=False, info={"user": True}
    )
    joined_at: Mapped[datetime]


class IntrosRound(Base):
    """One round, made once per occurrence (unique on the guild and its time): a retry
    finds it and its pairs instead of drawing again."""

    __tablename__ = "intros_rounds"
    __table_args__ = (UniqueConstraint("guild_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    # counts only, kept; who was in its pairs is purged by bot.intros (6 rounds, 7 days)
    scheduled_for: Mapped[datetime]
    pairs: Mapped[int] = mapped_column(Integer, default=0)
    talked: Mapped[int] = mapped_column(Integer, default=0)  # pairs that talked within 7 days


class IntrosPair(Base):
    """A pair (or group of three) of a round and its private thread: `thread_intent_at`
    is written before the thread is asked for, `prompt_sent_at` once the prompt is there."""

    __tablename__ = "intros_pairs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(
        Snowflake, ForeignKey("intros_rounds.id", ondelete="CASCADE")
    )
    guild_id: Mapped[int] = mapped_column(Snowflake)
    position: Mapped[int] = mapped_column(SmallInteger)  # in the round: the nonce's part
    thread_id: Mapped[int | None] = mapped_column(Snowflake)
    thread_intent_at: Mapped[datetime | None]
    prompt_sent_at: Mapped[datetime | None]
    talked_at: Mapped[datetime | None]


class IntrosPairMember(Base):
    """Who is in a pair, and when they first wrote in its thread."""

    __tablename__ = "intros_pair_members"

    pair_id: Mapped[int] = mapped_column(
        Snowflake, ForeignKey("intros_pairs.id", ondelete="CASCADE"), primary_key=True
    )
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(
        Snowflake, primary_key=True, autoincrement=False, info={"user": True}
    )
    wrote_at: Mapped[datetime | None]
