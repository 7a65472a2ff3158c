"""Counts of members joining or leaving rituals' ping roles (with the post button or any
other way), per UTC day (no user ids). `/health` reads the leaves for the
over-solicitation signal: members leaving the ping role is the article's warning sign that
the bot asks too much."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.db.models import RitualRoleChanges


async def count_role_change(
    db: Database, guild_id: int, ritual_id: int, *, joined: bool, at: datetime
) -> None:
    day = at.astimezone(UTC).date()
    column = RitualRoleChanges.joins if joined else RitualRoleChanges.leaves
    key = (
        RitualRoleChanges.guild_id == guild_id,
        RitualRoleChanges.ritual_id == ritual_id,
        RitualRoleChanges.day == day,
    )
    for _ in range(2):  # a concurrent first insert of the day wins; then we update
        async with db.session() as session:
            result = await session.execute(
                update(RitualRoleChanges).where(*key).values({column.key: column + 1})
            )
            if result.rowcount:  # type: ignore[attr-defined]
                return
        try:
            async with db.session() as session:
                session.add(
                    RitualRoleChanges(
                        guild_id=guild_id,
                        ritual_id=ritual_id,
                        day=day,
                        joins=int(joined),
                        leaves=int(not joined),
                    )
                )
            return
        except IntegrityError:
            continue


async def ping_role_opt_outs(db: Database, guild_id: int, start: date, end: date) -> int:
    """Members who left a ritual ping role on UTC days in `[start, end)`."""
    async with db.session() as session:
        total = await session.scalar(
            select(func.coalesce(func.sum(RitualRoleChanges.leaves), 0)).where(
                RitualRoleChanges.guild_id == guild_id,
                RitualRoleChanges.day >= start,
                RitualRoleChanges.day < end,
            )
        )
    return int(total or 0)
