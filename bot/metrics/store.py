"""The SQL behind the health figures (the folded weeks are in `bot.metrics.weekly`, the
per-member sums of a period in `bot.metrics.spans`).

They read the rollups (daily, and the folded weeks) and indexed lookups, always for one
guild, and leave staff, bots and opted-out members out where the definitions say so.
Nothing here reads a guild's raw events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    and_,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from bot.db.models import (
    DailyChannelActivity,
    DailyGuildActivity,
    DailyMemberActivity,
    GuildSettings,
    Member,
    wrote_that_day,
)
from bot.metrics.data import (
    ChannelShare,
    Headcount,
    Person,
)
from bot.periods import Period

DMA = DailyMemberActivity
DGA = DailyGuildActivity
DCA = DailyChannelActivity


async def _run(session: AsyncSession, statement: Executable) -> CursorResult[*tuple[Any, ...]]:
    """Run a column query on the session's connection: Core rows, without the ORM's
    per-row work (a third of /health's time on a large guild)."""
    connection = await session.connection()
    return await connection.execute(statement)


async def guild_settings(session: AsyncSession, guild_id: int) -> GuildSettings | None:
    return await session.get(GuildSettings, guild_id)


async def headcounts(
    session: AsyncSession, guild_id: int, moments: Sequence[datetime]
) -> list[Headcount]:
    """Humans present at each moment (joined before, not left since their latest join),
    counted in one pass over the guild's members."""
    counts = []
    for moment in moments:
        present = and_(
            or_(Member.joined_at.is_(None), Member.joined_at <= moment),
            or_(
                Member.left_at.is_(None),
                Member.left_at > moment,
                and_(Member.joined_at.is_not(None), Member.left_at < Member.joined_at),
            ),
        )
        counts += [
            func.count().filter(present, Member.is_staff.is_(False), Member.opted_out.is_(False)),
            func.count().filter(present, Member.is_staff.is_(True)),
        ]
    row = (
        await _run(
            session,
            select(*counts).where(Member.guild_id == guild_id, Member.is_bot.is_(False)),
        )
    ).one()
    return [Headcount(members=int(row[i]), staff=int(row[i + 1])) for i in range(0, len(row), 2)]


async def bot_messages(session: AsyncSession, guild_id: int, period: Period) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(DGA.bot_messages), 0)).where(
            DGA.guild_id == guild_id, DGA.day >= period.first_day, DGA.day < period.end_day
        )
    )
    return int(total or 0)


async def people_since(session: AsyncSession, guild_id: int, since: datetime) -> list[Person]:
    """Humans who joined or left since `since`: newcomers, cohorts and leavers."""
    rows = await _run(
        session,
        select(
            Member.user_id, Member.joined_at, Member.left_at, Member.is_staff, Member.opted_out
        ).where(
            Member.guild_id == guild_id,
            Member.is_bot.is_(False),
            or_(Member.joined_at >= since, Member.left_at >= since),
        ),
    )
    return [Person(*row) for row in rows.all()]


async def message_days(
    session: AsyncSession, guild_id: int, joined_since: datetime, since_day: date
) -> dict[int, set[date]]:
    """Days with a message, since `since_day`, of the counted members who joined since
    `joined_since` (the newcomer cohorts). The newcomers are a subquery, not a list of
    ids: binding a long list cost more than the read."""
    newcomers = select(Member.user_id).where(
        Member.guild_id == guild_id,
        Member.joined_at >= joined_since,
        Member.is_bot.is_(False),
        Member.is_staff.is_(False),
        Member.opted_out.is_(False),
    )
    rows = await _run(
        session,
        select(DMA.user_id, DMA.day).where(
            DMA.user_id.in_(newcomers),
            DMA.guild_id == guild_id,
            DMA.day >= since_day,
            wrote_that_day(),
        ),
    )
    days: dict[int, set[date]] = defaultdict(set)
    for user_id, day in rows.all():
        days[user_id].add(day)
    return days


async def channel_shares(
    session: AsyncSession, guild_id: int, current: Period, previous: Period
) -> list[ChannelShare]:
    in_current = DCA.day >= current.first_day
    rows = await _run(
        session,
        select(
            DCA.channel_id,
            func.sum(case((in_current, DCA.member_messages), else_=0)),
            func.sum(case((in_current, 0), else_=DCA.member_messages)),
        )
        .where(
            DCA.guild_id == guild_id,
            DCA.day >= previous.first_day,
            DCA.day < current.end_day,
        )
        .group_by(DCA.channel_id),
    )
    return [ChannelShare(int(c), int(now or 0), int(before or 0)) for c, now, before in rows]
