"""The rituals' SQL: rituals, their questions and their ledger rows, read and written
inside a session.

Every function takes the caller's session, so `RitualService` keeps each rule and the
write it guards in one transaction (the per-guild limit, the name check and the new
ritual). Every query filters on the guild, except `active`, which the scheduler reads for
all guilds.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import GuildSettings, Ritual, RitualQuestion, ScheduledRun


async def count(session: AsyncSession, guild_id: int) -> int:
    """How many rituals the guild has, paused ones included."""
    return (
        await session.scalar(
            select(func.count()).select_from(Ritual).where(Ritual.guild_id == guild_id)
        )
    ) or 0


async def in_guild(session: AsyncSession, guild_id: int) -> list[Ritual]:
    """Every ritual of the guild, in no particular order."""
    rows = await session.scalars(select(Ritual).where(Ritual.guild_id == guild_id))
    return list(rows.all())


async def sorted_by_name(session: AsyncSession, guild_id: int) -> list[Ritual]:
    """Every ritual of the guild, sorted by name (as the database sorts)."""
    rows = await session.scalars(
        select(Ritual).where(Ritual.guild_id == guild_id).order_by(Ritual.name)
    )
    return list(rows.all())


async def by_id(session: AsyncSession, guild_id: int, ritual_id: int) -> Ritual | None:
    return await session.scalar(
        select(Ritual).where(Ritual.guild_id == guild_id, Ritual.id == ritual_id)
    )


def add(session: AsyncSession, ritual: Ritual) -> None:
    session.add(ritual)


async def flush(session: AsyncSession) -> bool:
    """Write the pending changes now; False if a unique constraint refused them (the same
    name saved at the same moment). The session is then unusable: the caller raises."""
    try:
        await session.flush()
    except IntegrityError:
        return False
    return True


async def delete_ritual(session: AsyncSession, ritual: Ritual) -> None:
    """The ritual and its question bank (its ledger rows are left as they are)."""
    await session.execute(
        delete(RitualQuestion).where(
            RitualQuestion.guild_id == ritual.guild_id, RitualQuestion.ritual_id == ritual.id
        )
    )
    await session.delete(ritual)


async def ping_roles(session: AsyncSession, guild_id: int) -> dict[int, int]:
    """Each ping role of the guild's rituals and the oldest ritual that uses it."""
    rows = await session.execute(
        select(Ritual.ping_role_id, func.min(Ritual.id))
        .where(Ritual.guild_id == guild_id, Ritual.ping_role_id.is_not(None))
        .group_by(Ritual.ping_role_id)
    )
    return {role: ritual for role, ritual in rows if role is not None}


async def active(session: AsyncSession) -> list[Ritual]:
    """Every unpaused ritual of every guild the bot has not left."""
    rows = await session.scalars(
        select(Ritual)
        .join(GuildSettings, GuildSettings.guild_id == Ritual.guild_id)
        .where(Ritual.paused.is_(False), GuildSettings.left_at.is_(None))
    )
    return list(rows.all())


async def last_runs(session: AsyncSession, guild_id: int) -> dict[str, ScheduledRun]:
    """The newest ledger row of each of the guild's rituals, by job key."""
    newest = (
        select(ScheduledRun.job_key, func.max(ScheduledRun.scheduled_for).label("at"))
        .where(ScheduledRun.guild_id == guild_id, ScheduledRun.job_key.like("ritual:%"))
        .group_by(ScheduledRun.job_key)
        .subquery()
    )
    rows = await session.scalars(
        select(ScheduledRun).join(
            newest,
            (ScheduledRun.job_key == newest.c.job_key)
            & (ScheduledRun.scheduled_for == newest.c.at),
        )
    )
    return {r.job_key: r for r in rows.all()}
