"""Welcome threads: the per-guild configuration and one row per newcomer welcomed.

A `Welcome` row holds timestamps only (when the newcomer joined, introduced themself, got
a first answer from a member or from staff, was nudged, left), never what anyone wrote.
Columns holding a user id carry `info={"user": True}` so that forget/export finds them;
`retention` marks the time the daily purge ages rows by (see bot/privacy/registry.py).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, BigIntPK, Snowflake

DEFAULT_AUTO_ARCHIVE_MINUTES = 1440
DEFAULT_NUDGE_DELAY_MINUTES = 24 * 60
DEFAULT_BURST_THRESHOLD = 10  # joins within BURST_WINDOW (see bot/welcome/pacing.py)


class ThreadKind(enum.IntEnum):
    """Discord channel types of the two thread kinds."""

    PUBLIC = 11
    PRIVATE = 12


class WelcomeConfig(Base):
    """How a guild welcomes newcomers; absent or `enabled=False` means no welcome threads.

    `template` is None while the admin keeps the default, so the default follows the
    guild's language. `thread_kind_requested` is what the admin asked for and
    `thread_kind_used` what the bot's permissions allowed at setup time. `problem` is the
    last failure the admins were told about: the same problem is reported once, and the
    welcome flow stays paused after a refusal by Discord until `/welcome setup` is run again.
    """

    __tablename__ = "welcome_configs"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    thread_kind_requested: Mapped[int] = mapped_column(SmallInteger, default=ThreadKind.PRIVATE)
    thread_kind_used: Mapped[int] = mapped_column(SmallInteger, default=ThreadKind.PRIVATE)
    greeter_role_id: Mapped[int | None] = mapped_column(Snowflake)
    template: Mapped[str | None] = mapped_column(Text)
    auto_archive_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_AUTO_ARCHIVE_MINUTES)
    nudge_delay_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_NUDGE_DELAY_MINUTES)
    burst_threshold: Mapped[int] = mapped_column(Integer, default=DEFAULT_BURST_THRESHOLD)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    problem: Mapped[str | None] = mapped_column(String(200))
    problem_notified_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(
        Snowflake, info={"user": True, "on_forget": "null"}
    )


class Welcome(Base):
    """One newcomer's welcome: every join is recorded, even when no thread could be made.

    `introduced_at` is the newcomer's first message in the thread; `first_peer_reply_at` the
    first message after it by another member (not staff, not a bot), with
    `first_peer_reply_seconds` the time between the two. `staff_answered_at` is the first
    staff message after the introduction: with no peer reply it is a staff-only answer.
    `shared` marks a join welcomed in a burst's shared thread; `failure` says why no thread
    was made (a short code, see bot/welcome/service.py).
    """

    __tablename__ = "welcomes"
    __table_args__ = (
        Index("ix_welcomes_guild_joined", "guild_id", "joined_at"),
        Index("ix_welcomes_guild_thread", "guild_id", "thread_id"),
        Index("ix_welcomes_guild_user", "guild_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake, info={"user": True})
    thread_id: Mapped[int | None] = mapped_column(Snowflake)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(info={"retention": True})
    thread_created_at: Mapped[datetime | None]
    introduced_at: Mapped[datetime | None]
    first_peer_reply_at: Mapped[datetime | None]
    first_peer_reply_seconds: Mapped[int | None] = mapped_column(Integer)
    staff_answered_at: Mapped[datetime | None]
    nudged_at: Mapped[datetime | None]
    newcomer_left_at: Mapped[datetime | None]
    failure: Mapped[str | None] = mapped_column(String(64))
