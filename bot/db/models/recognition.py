"""Recognition: spotlights on members and the recommendation survey (NPS).

What is stored, and why (see docs/recognition.md):
- a spotlight keeps the numbers it was chosen for (never who the member talked to) and the
  admin's personal note, which an admin wrote to be published in the spotlight post;
- a refusal keeps only that the member asked never to be spotlighted;
- a survey answer keeps the score, whether a "why" was given and its length bucket; the
  "why" text itself only when an admin explicitly enabled storing it for that survey, and
  the member was told so before submitting.

Columns holding a user id carry `info={"user": True}` so that forget/export finds them
(bot/privacy/registry.py); an admin's id only marks who acted, so forgetting that admin
nulls it and keeps the row.
"""

from __future__ import annotations

import enum
from datetime import datetime, time

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, BigIntPK, Snowflake

DEFAULT_COOLDOWN_WEEKS = 8
SUGGESTION_TIME = time(9, 0)  # local time of the weekly suggestion


class SpotlightSource(enum.IntEnum):
    MANUAL = 1  # `/spotlight post`
    SUGGESTED = 2  # picked from `/spotlight suggest` or the weekly suggestion


class WhyLength(enum.IntEnum):
    """Length bucket of a survey "why" answer: enough to tell a word from an essay."""

    NONE = 0
    SHORT = 1  # 1-49 characters
    MEDIUM = 2  # 50-199
    LONG = 3  # 200 and more


class SpotlightConfig(Base):
    """Per guild: where spotlights go, how long before a member can be suggested again,
    and the optional weekly suggestion to the admin channel (weekday 0 = Monday, at
    `SUGGESTION_TIME` in the guild's time zone)."""

    __tablename__ = "spotlight_config"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    cooldown_weeks: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_COOLDOWN_WEEKS)
    suggestion_weekday: Mapped[int | None] = mapped_column(SmallInteger)
    # When the weekly suggestion was (re)configured: the scheduler never runs an occurrence
    # at or before it (exactly-once runs are kept in `scheduled_runs`).
    suggestion_since: Mapped[datetime | None]


class Spotlight(Base):
    """A spotlight that was posted, with the figures it was chosen for (a snapshot)."""

    __tablename__ = "spotlights"
    __table_args__ = (
        Index("ix_spotlights_guild_member", "guild_id", "member_id"),
        Index("ix_spotlights_guild_posted", "guild_id", "posted_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    member_id: Mapped[int] = mapped_column(Snowflake, info={"user": True})
    posted_at: Mapped[datetime]
    # The admin who posted it; forgetting that admin keeps the spotlight, unlinked from them.
    posted_by: Mapped[int | None] = mapped_column(
        Snowflake, info={"user": True, "on_forget": "null"}
    )
    source: Mapped[int] = mapped_column(SmallInteger)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    # The admin's note, written by an admin for publication in the post.
    note: Mapped[str | None] = mapped_column(Text)
    # Reasons snapshot: numbers over the period the suggestion covered; no names, no text.
    period_days: Mapped[int] = mapped_column(SmallInteger, default=28)
    peer_given: Mapped[int] = mapped_column(default=0)
    members_helped: Mapped[int] = mapped_column(default=0)
    ritual_days: Mapped[int] = mapped_column(default=0)
    conversations_started: Mapped[int] = mapped_column(default=0)
    reactions_received: Mapped[int] = mapped_column(default=0)


class SpotlightRefusal(Base):
    """A member who asked never to be spotlighted: never suggested, never posted."""

    __tablename__ = "spotlight_refusals"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    # Kept when the member opts out of Foyer: it is what keeps them out of spotlights.
    user_id: Mapped[int] = mapped_column(
        Snowflake,
        primary_key=True,
        autoincrement=False,
        info={"user": True, "on_opt_out": "keep"},
    )
    refused_at: Mapped[datetime]


class Survey(Base):
    """One recommendation survey. It is open while `closed_at` is empty and the clock is
    before `closes_at`."""

    __tablename__ = "surveys"
    __table_args__ = (Index("ix_surveys_guild_opened", "guild_id", "opened_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    opened_by: Mapped[int | None] = mapped_column(
        Snowflake, info={"user": True, "on_forget": "null"}
    )
    channel_id: Mapped[int] = mapped_column(Snowflake)
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    follow_up: Mapped[bool] = mapped_column(Boolean, default=True)
    store_why: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the posted message's buttons were switched off after closing.
    message_closed: Mapped[bool] = mapped_column(Boolean, default=False)


class SurveyAnswer(Base):
    """A member's latest answer to a survey: a new answer replaces the previous one."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("survey_id", "user_id", name="uq_survey_answers_survey_user"),
        Index("ix_survey_answers_guild_user", "guild_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("surveys.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake, info={"user": True})
    score: Mapped[int] = mapped_column(SmallInteger)
    answered_at: Mapped[datetime] = mapped_column(info={"retention": True})
    why_given: Mapped[bool] = mapped_column(Boolean, default=False)
    why_length_bucket: Mapped[int] = mapped_column(SmallInteger, default=WhyLength.NONE)
    # Only when the survey's `store_why` is set; otherwise the text is never kept.
    why_text: Mapped[str | None] = mapped_column(String(1000))
