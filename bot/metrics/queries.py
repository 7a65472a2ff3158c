"""The SQL behind the health figures (the folded weeks are in `bot.metrics.weekly`).

They read the rollups (daily, and the folded weeks) and indexed lookups, always for one
guild, and leave staff, bots and opted-out members out where the definitions say so.
Nothing here reads a guild's raw events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    Subquery,
    and_,
    case,
    cast,
    false,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ColumnElement

from bot.db.models import (
    DailyChannelActivity,
    DailyGuildActivity,
    DailyMemberActivity,
    GuildSettings,
    HealthMemberWeek,
    Member,
)
from bot.metrics.data import (
    ChannelShare,
    Headcount,
    MemberActivity,
    Person,
)
from bot.metrics.periods import Period
from bot.metrics.weekly import SUMS, excluded, mondays

DMA = DailyMemberActivity
DGA = DailyGuildActivity
DCA = DailyChannelActivity


async def _run(session: AsyncSession, statement: Executable) -> CursorResult[*tuple[Any, ...]]:
    """Run a column query on the session's connection: Core rows, without the ORM's
    per-row work (a third of /health's time on a large guild)."""
    connection = await session.connection()
    return await connection.execute(statement)


def _counted() -> ColumnElement[bool]:
    """A member the figures count: human, not staff, not opted out."""
    return and_(Member.is_bot.is_(False), Member.is_staff.is_(False), Member.opted_out.is_(False))


async def guild_settings(session: AsyncSession, guild_id: int) -> GuildSettings | None:
    return await session.get(GuildSettings, guild_id)


async def first_activity_day(session: AsyncSession, guild_id: int) -> date | None:
    """The first UTC day with any recorded activity (history may predate the bot)."""
    return await session.scalar(select(func.min(DGA.day)).where(DGA.guild_id == guild_id))


async def headcount(session: AsyncSession, guild_id: int, moment: datetime) -> Headcount:
    """Humans present at `moment` (joined before, not left since their latest join)."""
    present = and_(
        Member.guild_id == guild_id,
        Member.is_bot.is_(False),
        or_(Member.joined_at.is_(None), Member.joined_at <= moment),
        or_(
            Member.left_at.is_(None),
            Member.left_at > moment,
            and_(Member.joined_at.is_not(None), Member.left_at < Member.joined_at),
        ),
    )
    row = (
        await _run(
            session,
            select(
                func.count().filter(and_(Member.is_staff.is_(False), Member.opted_out.is_(False))),
                func.count().filter(Member.is_staff.is_(True)),
            ).where(present),
        )
    ).one()
    return Headcount(members=int(row[0]), staff=int(row[1]))


def _rollup_days(guild_id: int, first: date, end: date) -> ColumnElement[bool]:
    return and_(
        DMA.guild_id == guild_id,
        DMA.day >= first,
        DMA.day < end,
        DMA.user_id.not_in(excluded(guild_id)),
    )


_CHUNK = 5000  # ids per IN list (SQLite allows 32,766 parameters)


def _per_member_rows(guild_id: int, period: Period, folded: set[date]) -> Subquery:
    """The period's per-member rows: folded weeks inside it, daily rollups for the rest."""
    weeks = [m for m in mondays(period.first_day, period.end_day) if m in folded]
    gaps: list[tuple[date, date]] = []
    cursor = period.first_day
    for monday in weeks:
        if cursor < monday:
            gaps.append((cursor, monday))
        cursor = monday + timedelta(days=7)
    if cursor < period.end_day:
        gaps.append((cursor, period.end_day))
    hmw = HealthMemberWeek
    parts: list[Select[Any]] = []
    if weeks:
        parts.append(
            select(hmw.user_id, *(getattr(hmw, c) for c in SUMS)).where(
                hmw.guild_id == guild_id,
                hmw.week.in_(weeks),
                hmw.user_id.not_in(excluded(guild_id)),
            )
        )
    if gaps or not parts:
        parts.append(
            select(DMA.user_id, *(getattr(DMA, c) for c in SUMS)).where(
                DMA.guild_id == guild_id,
                or_(*(and_(DMA.day >= a, DMA.day < b) for a, b in gaps)) if gaps else false(),
                DMA.user_id.not_in(excluded(guild_id)),
            )
        )
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


async def member_activity(
    session: AsyncSession, guild_id: int, period: Period, folded: set[date]
) -> dict[int, MemberActivity]:
    """Each counted member's sums over the period."""
    rows = _per_member_rows(guild_id, period, folded)
    result = await _run(
        session,
        select(rows.c.user_id, *(cast(func.sum(rows.c[c]), BigInteger) for c in SUMS)).group_by(
            rows.c.user_id
        ),
    )
    return {row[0]: MemberActivity(*row[1:]) for row in result.all()}


async def active_ids(
    session: AsyncSession, guild_id: int, period: Period, folded: set[date]
) -> set[int]:
    """Counted members with a message in the period."""
    rows = _per_member_rows(guild_id, period, folded)
    query = select(rows.c.user_id).where(rows.c.messages > 0).distinct()
    return set((await _run(session, query)).scalars().all())


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
    session: AsyncSession, guild_id: int, user_ids: Collection[int], since_day: date
) -> dict[int, set[date]]:
    """Days with a message, since `since_day`, of the given members (the newcomer
    cohorts), in chunks so the statement stays small."""
    days: dict[int, set[date]] = defaultdict(set)
    ids = sorted(user_ids)
    for i in range(0, len(ids), _CHUNK):
        rows = await _run(
            session,
            select(DMA.user_id, DMA.day).where(
                DMA.guild_id == guild_id,
                DMA.day >= since_day,
                DMA.messages > 0,
                DMA.user_id.in_(ids[i : i + _CHUNK]),
            ),
        )
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
