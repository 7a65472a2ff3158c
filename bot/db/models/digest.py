"""The weekly digest's settings, chosen by admins with `/setup digest`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake


class DigestSettings(Base):
    """One row per guild whose admins changed the digest; a guild without one keeps the
    defaults (on, Monday 09:00 in its time zone, full), so nothing changes for it.

    `changed_at` is the last time the digest's timing changed (on/off, day or hour): no
    occurrence at or before it is posted, so a new time already past is not posted late
    (the rule of `bot.metrics.digest_schedule`)."""

    __tablename__ = "digest_settings"

    guild_id: Mapped[int] = mapped_column(
        Snowflake, ForeignKey("guild_settings.guild_id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday ... 6 = Sunday
    hour: Mapped[int] = mapped_column(SmallInteger)  # 0..23, local time
    format: Mapped[str] = mapped_column(String(8))  # "full" or "compact"
    changed_at: Mapped[datetime | None]
