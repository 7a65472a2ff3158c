"""The SQL of the replaced member-facing texts (`guild_texts`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import GuildText


async def save_text(
    session: AsyncSession, guild_id: int, key: str, text: str, now: datetime
) -> None:
    row = await session.get(GuildText, (guild_id, key))
    if row is None:
        session.add(GuildText(guild_id=guild_id, key=key, text=text, updated_at=now))
    else:
        row.text = text
        row.updated_at = now


async def delete_text(session: AsyncSession, guild_id: int, key: str) -> bool:
    """Whether there was a text to delete."""
    result = await session.execute(
        delete(GuildText).where(GuildText.guild_id == guild_id, GuildText.key == key)
    )
    return bool(getattr(result, "rowcount", 0))
