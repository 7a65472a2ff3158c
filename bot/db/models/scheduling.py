"""Scheduled runs (the exactly-once ledger) and the bot's own posts (the solicitation budget).

`scheduled_runs` holds one row per (job key, scheduled time): the unique constraint is
what makes a post happen once even if two processes or a restart try the same occurrence.
Rituals use job keys `ritual:<id>`; the weekly digest and spotlight suggestions use their
own prefixes (see docs/rituals.md, "Scheduler API").
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, BigIntPK, Snowflake


class RunStatus(enum.IntEnum):
    CLAIMED = 1  # a process took it and is posting (or crashed while posting)
    POSTED = 2
    FAILED = 3
    SKIPPED = 4  # missed beyond the grace window, over budget twice, or paused
    POSTPONED = 5  # over budget: waits for `retry_at`, then runs once more


class ScheduledRun(Base):
    """One occurrence of one job. `channel_id` and `post_after_id` are written just before
    the post is sent (the intent), `post_id` the moment Discord accepts it, so a crash
    after either point is never re-posted."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (
        UniqueConstraint("job_key", "scheduled_for", name="uq_scheduled_runs_job_time"),
        Index("ix_scheduled_runs_guild_job", "guild_id", "job_key", "scheduled_for"),
        Index("ix_scheduled_runs_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    job_key: Mapped[str] = mapped_column(String(100))
    scheduled_for: Mapped[datetime]
    status: Mapped[int] = mapped_column(SmallInteger)
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    retry_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    post_id: Mapped[int | None] = mapped_column(Snowflake)
    thread_id: Mapped[int | None] = mapped_column(Snowflake)
    reason: Mapped[str | None] = mapped_column(String(200))
    # The intent, written before the first call to Discord: the channel's newest message
    # then (0: none). With `channel_id` set and `post_id` not, the post may exist: a retry
    # looks for it after this message before posting (docs/rituals.md).
    post_after_id: Mapped[int | None] = mapped_column(Snowflake)


class BotPost(Base):
    """A post the bot made in a channel (ritual, digest, nudge): what the per-channel daily
    budget counts. `day` is the UTC day of `posted_at`."""

    __tablename__ = "bot_posts"
    __table_args__ = (Index("ix_bot_posts_guild_channel_day", "guild_id", "channel_id", "day"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    day: Mapped[date] = mapped_column(Date)
    posted_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[int | None] = mapped_column(Snowflake)
