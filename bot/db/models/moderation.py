"""Moderation counts, for the *tensions* signal: how many moderation actions a guild saw per
UTC day and kind. Counts only: never who acted, on whom, or why (the audit log's reason is
never read into a column).

- `moderation_counts`: the counter per guild, day and kind (timeout, ban, kick, messages
  deleted by a moderator, AutoMod action): `actions` audit log entries, `messages` the
  messages they removed where Discord says (a bulk delete's count).
- `moderation_entries`: the ids of the audit log entries already counted, so an entry seen
  twice (a replayed dispatch) counts once; ids only, aged out with the counts.
- `moderation_watch`: since when Foyer could see the guild's audit log (the View Audit Log
  permission and the moderation intent); None while it cannot. The signal compares only
  days watched, so a baseline never reads days Foyer could not see as calm ones.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake


class ModerationKind(enum.IntEnum):
    TIMEOUT = 1
    BAN = 2
    KICK = 3
    MESSAGE_DELETE = 4  # messages deleted by a moderator (one or in bulk)
    AUTOMOD = 5  # an action AutoMod took (blocked, flagged, timed out)


class ModerationCount(Base):
    __tablename__ = "moderation_counts"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True, info={"retention": True})
    kind: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    actions: Mapped[int] = mapped_column(default=0)
    messages: Mapped[int] = mapped_column(default=0)


class ModerationEntry(Base):
    __tablename__ = "moderation_entries"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, info={"retention": True})


class ModerationWatch(Base):
    __tablename__ = "moderation_watch"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    since: Mapped[datetime | None] = mapped_column(default=None)
