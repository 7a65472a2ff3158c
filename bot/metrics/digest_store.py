"""The SQL of the weekly digest: its settings (`digest_settings`, a row only once an admin
changed them) and the newest occurrence already taken in the scheduling ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import DigestSettings, GuildSettings, RunStatus, ScheduledRun
from bot.metrics.digest_schedule import DEFAULT_PLAN, DigestPlan

# An occurrence with one of these is this week's digest: out, going out, or coming later
# (the budget delayed it). A failed or skipped one posted nothing.
TAKEN = (RunStatus.POSTED, RunStatus.CLAIMED, RunStatus.POSTPONED)


@dataclass(frozen=True)
class DigestGuild:
    """What the digest job needs of one guild with an admin channel."""

    guild_id: int
    timezone: str
    joined_at: datetime
    plan: DigestPlan


def _plan(row: DigestSettings | None) -> DigestPlan:
    if row is None:
        return DEFAULT_PLAN
    return DigestPlan(row.enabled, row.weekday, row.hour, row.format, row.changed_at)


async def load_plan(session: AsyncSession, guild_id: int) -> DigestPlan:
    return _plan(await session.get(DigestSettings, guild_id))


async def save_plan(session: AsyncSession, guild_id: int, plan: DigestPlan) -> None:
    row = await session.get(DigestSettings, guild_id)
    if row is None:
        row = DigestSettings(guild_id=guild_id)
        session.add(row)
    row.enabled = plan.enabled
    row.weekday = plan.weekday
    row.hour = plan.hour
    row.format = plan.format
    row.changed_at = plan.changed_at


async def digest_guilds(session: AsyncSession) -> list[DigestGuild]:
    """The guilds with an admin channel that Foyer is still in, with their digest plan
    (the default one when they never changed it), whether on or off."""
    rows = await session.execute(
        select(
            GuildSettings.guild_id, GuildSettings.timezone, GuildSettings.joined_at, DigestSettings
        )
        .outerjoin(DigestSettings, DigestSettings.guild_id == GuildSettings.guild_id)
        .where(GuildSettings.admin_channel_id.is_not(None), GuildSettings.left_at.is_(None))
    )
    return [DigestGuild(gid, tz, joined, _plan(row)) for gid, tz, joined, row in rows.all()]


async def last_taken(session: AsyncSession, keys: list[str]) -> dict[str, datetime]:
    """The newest taken occurrence (`TAKEN`) of each digest job key."""
    if not keys:
        return {}
    rows = await session.execute(
        select(ScheduledRun.job_key, func.max(ScheduledRun.scheduled_for))
        .where(ScheduledRun.job_key.in_(keys), ScheduledRun.status.in_([int(s) for s in TAKEN]))
        .group_by(ScheduledRun.job_key)
    )
    return {key: when for key, when in rows.all()}
