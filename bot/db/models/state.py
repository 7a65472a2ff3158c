"""Small facts the bot keeps about itself between restarts."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base


def guild_state_pattern(guild_id: int) -> str:
    """A LIKE pattern for one guild's keys: they carry `:<guild_id>:` (for example
    `tracking.unreadable:<guild_id>:<channel_id>`), so deleting a guild's data finds them."""
    return f"%:{guild_id}:%"


class BotState(Base):
    """Key/value pairs, such as the hash of the last synced command tree. A key about one
    guild carries `:<guild_id>:` (see `guild_state_pattern`)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
