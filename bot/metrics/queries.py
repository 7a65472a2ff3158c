"""Every SQL query behind the health figures.

They read the daily rollups (a few rows per member and day) and indexed lookups, always
for one guild, and leave staff, bots and opted-out members out where the definitions say
so. Nothing here scans a guild's raw events: the only `activity_events` query follows the
(guild, thread) index into the welcome threads of recent newcomers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from sqlalchemy import Select, and_, case, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.models import (
    DailyChannelActivity,
    DailyGuildActivity,
    DailyMemberActivity,
    GuildSettings,
    HealthWeek,
    Member,
    Spotlight,
    SurveyAnswer,
)
from bot.metrics.data import (
    ChannelShare,
    Headcount,
    MemberActivity,
    Person,
    WeekActivity,
)
from bot.metrics.participation import COMMUNICATOR_MESSAGES
from bot.metrics.periods import Period, Week

DMA = DailyMemberActivity
DGA = DailyGuildActivity
DCA = DailyChannelActivity


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
        await session.execute(
            select(
                func.count().filter(and_(Member.is_staff.is_(False), Member.opted_out.is_(False))),
                func.count().filter(Member.is_staff.is_(True)),
            ).where(present)
        )
    ).one()
    return Headcount(members=int(row[0]), staff=int(row[1]))


def _excluded(guild_id: int) -> Select[int]:
    """Users whose rollup rows no figure counts: staff, bots, opted-out members. The
    rollups hold members only, so a user with no `members` row counts."""
    return select(Member.user_id).where(
        Member.guild_id == guild_id,
        or_(Member.is_staff.is_(True), Member.is_bot.is_(True), Member.opted_out.is_(True)),
    )


def _rollup_days(guild_id: int, first: date, end: date) -> ColumnElement[bool]:
    return and_(
        DMA.guild_id == guild_id,
        DMA.day >= first,
        DMA.day < end,
        DMA.user_id.not_in(_excluded(guild_id)),
    )


async def member_activity(
    session: AsyncSession, guild_id: int, period: Period
) -> dict[int, MemberActivity]:
    """Each counted member's sums over the period: one plain GROUP BY over the period's
    rollup rows (conditional sums over several periods cost SQLite far more)."""
    rows = await session.execute(
        select(
            DMA.user_id,
            func.sum(DMA.messages),
            func.sum(DMA.peer_given),
            func.sum(DMA.staff_received),
            func.sum(DMA.reactions_given),
            func.sum(DMA.ritual_messages),
            func.sum(DMA.threads_created),
            func.sum(DMA.conversations_started),
        )
        .where(_rollup_days(guild_id, period.first_day, period.end_day))
        .group_by(DMA.user_id)
    )
    return {row[0]: MemberActivity(*(int(v) for v in row[1:])) for row in rows}


async def active_ids(session: AsyncSession, guild_id: int, period: Period) -> set[int]:
    """Counted members with a message in the period."""
    rows = await session.scalars(
        select(DMA.user_id)
        .where(_rollup_days(guild_id, period.first_day, period.end_day), DMA.messages > 0)
        .distinct()
    )
    return set(rows)


async def week_activity(session: AsyncSession, guild_id: int, week: Week) -> WeekActivity:
    """One week's figures, counted from its rollup rows."""
    per_user = (
        select(
            func.sum(DMA.messages).label("messages"),
            func.sum(DMA.peer_given).label("peer"),
            func.sum(DMA.staff_received).label("staff"),
            func.sum(DMA.ritual_messages).label("ritual"),
        )
        .where(_rollup_days(guild_id, week.first_day, week.end_day))
        .group_by(DMA.user_id)
        .subquery()
    )
    row = (
        await session.execute(
            select(
                func.count().filter(per_user.c.messages > 0),
                func.count().filter(per_user.c.messages >= COMMUNICATOR_MESSAGES),
                func.sum(per_user.c.messages),
                func.sum(per_user.c.peer),
                func.sum(per_user.c.staff),
                func.count().filter(per_user.c.ritual > 0),
            )
        )
    ).one()
    v = [int(x or 0) for x in row]
    return WeekActivity(
        week.label,
        week.first_day,
        active_members=v[0],
        communicators=v[1],
        member_messages=v[2],
        peer_interactions=v[3],
        staff_interactions=v[4],
        ritual_participants=v[5],
    )


async def weekly_activity(
    session: AsyncSession, guild_id: int, weeks: Sequence[Week], now: datetime
) -> list[WeekActivity]:
    """One row per week (oldest first). Completed weeks come from `health_weeks` when
    their rollup total has not changed since; others are counted and, once complete,
    kept."""
    totals = await _weekly_guild_totals(session, guild_id, weeks)
    cached = {
        row.week: row
        for row in await session.scalars(
            select(HealthWeek).where(
                HealthWeek.guild_id == guild_id,
                HealthWeek.week >= weeks[0].first_day,
                HealthWeek.week <= weeks[-1].first_day,
            )
        )
    }
    today = now.astimezone(UTC).date()
    series = []
    for week, (member_messages, bots) in zip(weeks, totals, strict=True):
        row = cached.get(week.first_day)
        if row is not None and row.rollup_messages == member_messages:
            figures = WeekActivity(
                week.label,
                week.first_day,
                row.active_members,
                row.communicators,
                row.member_messages,
                row.peer_interactions,
                row.staff_interactions,
                row.ritual_participants,
            )
        elif member_messages == 0 and row is None:
            figures = WeekActivity(week.label, week.first_day)
        else:
            figures = await week_activity(session, guild_id, week)
            if week.end_day <= today:
                await session.merge(
                    HealthWeek(
                        guild_id=guild_id,
                        week=week.first_day,
                        active_members=figures.active_members,
                        communicators=figures.communicators,
                        member_messages=figures.member_messages,
                        peer_interactions=figures.peer_interactions,
                        staff_interactions=figures.staff_interactions,
                        ritual_participants=figures.ritual_participants,
                        rollup_messages=member_messages,
                        computed_at=now,
                    )
                )
        series.append(replace(figures, bot_messages=bots))
    return series


async def _weekly_guild_totals(
    session: AsyncSession, guild_id: int, weeks: Sequence[Week]
) -> list[tuple[int, int]]:
    """Per week: (member messages, bot messages) from the guild rollup, a few rows."""
    rows = await session.execute(
        select(DGA.day, DGA.member_messages, DGA.bot_messages).where(
            DGA.guild_id == guild_id,
            DGA.day >= weeks[0].first_day,
            DGA.day < weeks[-1].end_day,
        )
    )
    totals = [[0, 0] for _ in weeks]
    first = weeks[0].first_day
    for day, members, bots in rows:
        index = (day - first).days // 7
        totals[index][0] += members
        totals[index][1] += bots
    return [(m, b) for m, b in totals]


async def bot_messages(session: AsyncSession, guild_id: int, period: Period) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(DGA.bot_messages), 0)).where(
            DGA.guild_id == guild_id, DGA.day >= period.first_day, DGA.day < period.end_day
        )
    )
    return int(total or 0)


async def people_since(session: AsyncSession, guild_id: int, since: datetime) -> list[Person]:
    """Humans who joined or left since `since`: newcomers, cohorts and leavers."""
    rows = await session.execute(
        select(
            Member.user_id, Member.joined_at, Member.left_at, Member.is_staff, Member.opted_out
        ).where(
            Member.guild_id == guild_id,
            Member.is_bot.is_(False),
            or_(Member.joined_at >= since, Member.left_at >= since),
        )
    )
    return [Person(*row) for row in rows]


async def message_days(
    session: AsyncSession, guild_id: int, joined_since: datetime, since_day: date
) -> dict[int, set[date]]:
    """Days with a message, since `since_day`, of counted members who joined since
    `joined_since` (the newcomer cohorts)."""
    rows = await session.execute(
        select(DMA.user_id, DMA.day)
        .join(Member, and_(Member.guild_id == DMA.guild_id, Member.user_id == DMA.user_id))
        .where(
            DMA.guild_id == guild_id,
            DMA.day >= since_day,
            DMA.messages > 0,
            Member.joined_at >= joined_since,
            _counted(),
        )
    )
    days: dict[int, set[date]] = defaultdict(set)
    for user_id, day in rows:
        days[user_id].add(day)
    return days


async def channel_shares(
    session: AsyncSession, guild_id: int, current: Period, previous: Period
) -> list[ChannelShare]:
    in_current = DCA.day >= current.first_day
    rows = await session.execute(
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
        .group_by(DCA.channel_id)
    )
    return [ChannelShare(int(c), int(now or 0), int(before or 0)) for c, now, before in rows]


async def spotlights_posted(session: AsyncSession, guild_id: int, period: Period) -> int:
    count = await session.scalar(
        select(func.count()).where(
            Spotlight.guild_id == guild_id,
            Spotlight.posted_at >= period.start,
            Spotlight.posted_at < period.end,
        )
    )
    return int(count or 0)


async def survey_scores(session: AsyncSession, guild_id: int, period: Period) -> list[int]:
    """The latest answer in the period of each counted member, across the guild's surveys."""
    rows = await session.execute(
        select(SurveyAnswer.user_id, SurveyAnswer.score, SurveyAnswer.answered_at)
        .join(Member, and_(Member.guild_id == guild_id, Member.user_id == SurveyAnswer.user_id))
        .where(
            SurveyAnswer.guild_id == guild_id,
            SurveyAnswer.answered_at >= period.start,
            SurveyAnswer.answered_at < period.end,
            not_(Member.is_staff),
            not_(Member.opted_out),
        )
    )
    latest: dict[int, tuple[datetime, int]] = {}
    for user_id, score, answered_at in rows:
        if user_id not in latest or answered_at > latest[user_id][0]:
            latest[user_id] = (answered_at, score)
    return [score for _, score in latest.values()]
