"""Per-guild settings chosen by admins with `/setup`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.base import Base, Snowflake

DEFAULT_RETENTION_DAYS = 365
DEFAULT_POSTS_PER_CHANNEL_PER_DAY = 2


class GuildSettings(Base):
    """One row per guild the bot has seen.

    `language` is None until an admin chooses one; the guild's preferred locale decides
    meanwhile. `joined_at` is Foyer's arrival: the moment the row was created, at the first
    GUILD_CREATE this database saw, and never moved by later ones (restarts, reconnects). It
    is where the health figures' coverage starts (docs/metrics.md), whatever the members'
    own join dates. `left_at` is set when the bot is removed, and the guild's data is
    deleted once the grace period after it has passed.
    """

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(2))
    preferred_locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    admin_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    retention_days: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_DAYS)
    posts_per_channel_per_day: Mapped[int] = mapped_column(
        default=DEFAULT_POSTS_PER_CHANNEL_PER_DAY
    )
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    # The French voice (bot.i18n): "vous" or "tu"; inclusive writing ("inscrit·es") or not.
    french_register: Mapped[str] = mapped_column(String(4), default="vous", server_default="vous")
    inclusive_writing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    staff_roles: Mapped[list[GuildStaffRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", passive_deletes=True
    )
    texts: Mapped[list[GuildText]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", passive_deletes=True
    )


class GuildStaffRole(Base):
    """A role whose holders count as staff (the brand team), not as members."""

    __tablename__ = "guild_staff_roles"

    guild_id: Mapped[int] = mapped_column(
        Snowflake, ForeignKey("guild_settings.guild_id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)


class GuildText(Base):
    """A member-facing text an admin wrote in place of Foyer's own (the welcome nudge, the
    spotlight post, the survey's question and buttons, the ritual button): one per guild
    and key (`bot.voice.texts.MEMBER_TEXTS`), checked like a welcome text when saved. It
    is the admin's text, in the guild's language: shown as written, in every voice."""

    __tablename__ = "guild_texts"

    guild_id: Mapped[int] = mapped_column(
        Snowflake, ForeignKey("guild_settings.guild_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
