"""Privacy's SQL: the rows about one member, the guilds past their grace period, the rows
past their retention window.

Every function takes the caller's session, so `PrivacyService` erases a member and flags
them as opted out in one transaction, and decides itself what goes (which columns delete a
row, which are only unlinked, which guilds and windows are purged). The tables come from
the column markers `registry` reads; deletes go through `erase`, which clears the rows
that reference them first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Base, BotState, GuildSettings, Member
from bot.db.models.state import guild_state_pattern
from bot.privacy.erase import delete_rows, unlink
from bot.privacy.registry import PersonalTable, UserColumn, guild_tables, retention_columns

_BOT_STATE = Base.metadata.tables[BotState.__tablename__]


@dataclass(frozen=True)
class Erasure:
    """What erasing a member does to one table: rows where a `delete_by` column is them
    go; in rows where an `unlink` column is them, that column is set to NULL."""

    table: PersonalTable
    delete_by: tuple[UserColumn, ...]
    unlink: tuple[UserColumn, ...]


async def member(session: AsyncSession, guild_id: int, user_id: int) -> Member | None:
    return await session.get(Member, (guild_id, user_id))


def add(session: AsyncSession, row: Member) -> None:
    session.add(row)


async def set_opted_out(session: AsyncSession, guild_id: int, user_id: int, value: bool) -> None:
    """Set the member's flag, if they have a row."""
    await session.execute(
        update(Member)
        .where(Member.guild_id == guild_id, Member.user_id == user_id)
        .values(opted_out=value)
    )


async def rows_about(
    session: AsyncSession, pt: PersonalTable, guild_id: int, user_id: int
) -> list[Mapping[str, Any]]:
    """The guild's rows of `pt` in which any user column is this member, in key order."""
    query = (
        select(pt.table)
        .where(pt.guild_column == guild_id, _names(pt, user_id))
        .order_by(*pt.table.primary_key.columns)
    )
    return [dict(r) for r in (await session.execute(query)).mappings()]


async def erase(
    session: AsyncSession, guild_id: int, user_id: int, plan: list[Erasure]
) -> dict[str, int]:
    """Apply each table's erasure, in the plan's order; rows touched per table."""
    touched: dict[str, int] = {}
    for step in plan:
        pt = step.table
        count = 0
        if step.delete_by:
            count += await delete_rows(
                session,
                pt.table,
                and_(
                    pt.guild_column == guild_id,
                    or_(*(uc.column == user_id for uc in step.delete_by)),
                ),
            )
        for uc in step.unlink:
            count += await unlink(
                session,
                pt.table,
                and_(pt.guild_column == guild_id, uc.column == user_id),
                uc.column.name,
            )
        touched[pt.name] = count
    return touched


async def guilds_left_before(session: AsyncSession, before: datetime) -> list[int]:
    """Guilds whose settings say the bot left them before `before`."""
    rows = await session.scalars(
        select(GuildSettings.guild_id).where(
            GuildSettings.left_at.is_not(None), GuildSettings.left_at < before
        )
    )
    return list(rows.all())


async def delete_guild(session: AsyncSession, guild_id: int) -> int:
    """Every row of the guild, its bot state included; how many went."""
    count = 0
    for table in reversed(guild_tables()):
        count += await delete_rows(session, table, table.c.guild_id == guild_id)
    count += await delete_rows(
        session, _BOT_STATE, BotState.key.like(guild_state_pattern(guild_id))
    )
    return count


async def retention_days(session: AsyncSession) -> list[tuple[int, int]]:
    """(guild id, retention days) of every guild with a settings row."""
    rows = await session.execute(select(GuildSettings.guild_id, GuildSettings.retention_days))
    return [(guild_id, days) for guild_id, days in rows.all()]


async def delete_older(
    session: AsyncSession, cutoff: datetime, guild_ids: Iterable[int] | None
) -> int:
    """Delete the rows older than `cutoff` of these guilds, or (None) of every guild
    without a settings row; how many went."""
    count = 0
    known = select(GuildSettings.guild_id)
    for rc in retention_columns():
        where_guild = (
            rc.guild_column.in_(list(guild_ids))
            if guild_ids is not None
            else rc.guild_column.not_in(known)
        )
        limit = cutoff.date() if rc.is_date else cutoff
        count += await delete_rows(session, rc.table, and_(where_guild, rc.column < limit))
    return count


def _names(pt: PersonalTable, user_id: int) -> ColumnElement[bool]:
    """Rows of `pt` in which any user column is this member."""
    return or_(*(uc.column == user_id for uc in pt.user_columns))
