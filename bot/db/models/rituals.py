"""Rituals: recurring posts with a thread for answers, and the weekly question list.

Occurrences are rows of `scheduled_runs` with job key `ritual:<id>` (unique per ritual
and scheduled time, with status, message id, thread id, posted time and failure reason);
their engagement is computed from `activity_events` of the occurrence thread.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, BigIntPK, Snowflake


class Ritual(Base):
    """One ritual of one guild. Schedule: `kind` "weekly" (bitmask `weekdays`, bit 0 =
    Monday) or "monthly" (`nth` 1..4 or -1 of `weekday`), at `hour`:`minute` local time in
    `timezone` (None = the guild's zone). `since` is the creation or last resume time:
    occurrences before it never run."""

    __tablename__ = "rituals"
    __table_args__ = (
        UniqueConstraint("guild_id", "name", name="uq_rituals_guild_name"),
        Index("ix_rituals_guild", "guild_id"),
        # Never reuse the id of a deleted ritual (SQLite would): its occurrences stay in
        # `scheduled_runs` under `ritual:<id>` and must not become a new ritual's history.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    name: Mapped[str] = mapped_column(String(80))
    preset: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[int] = mapped_column(Snowflake)
    template: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))
    weekdays: Mapped[int] = mapped_column(SmallInteger, default=0)
    nth: Mapped[int | None] = mapped_column(SmallInteger)
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    hour: Mapped[int] = mapped_column(SmallInteger)
    minute: Mapped[int] = mapped_column(SmallInteger)
    timezone: Mapped[str | None] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    ping_role_id: Mapped[int | None] = mapped_column(Snowflake)
    auto_archive_minutes: Mapped[int] = mapped_column(default=1440)
    created_at: Mapped[datetime]
    since: Mapped[datetime]


class RitualQuestion(Base):
    """A question of the weekly-question list. Rotation without repeats: the next question
    is the first (by position) not yet `asked` in the current round; when all were asked a
    new round starts, avoiding the one asked last."""

    __tablename__ = "ritual_questions"
    __table_args__ = (Index("ix_ritual_questions_guild_ritual", "guild_id", "ritual_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    ritual_id: Mapped[int] = mapped_column(ForeignKey("rituals.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(500))
    asked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_asked_at: Mapped[datetime | None]


class RitualRoleChanges(Base):
    """How many members joined or left a ritual's ping role with its button, per UTC day.
    Counts only, no user ids: enough for the over-solicitation signal ("ritual opt-outs
    rose"). Changes made outside the button (role menus, admins) are not seen."""

    __tablename__ = "ritual_role_changes"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    ritual_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True, info={"retention": True})
    joins: Mapped[int] = mapped_column(default=0)
    leaves: Mapped[int] = mapped_column(default=0)
