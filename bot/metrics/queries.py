"""Every SQL query behind the health figures.

They read the daily rollups (a few rows per member and day) and indexed lookups, always
for one guild, and leave staff, bots and opted-out members out where the definitions say
so. Nothing here scans a guild's raw events: the only `activity_events` query follows the
(guild, thread) index into the welcome threads of recent newcomers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Select,
    Subquery,
    and_,
    case,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.models import (
    DailyChannelActivity,
    DailyGuildActivity,
    DailyMemberActivity,
    GuildSettings,
    HealthMemberWeek,
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


_CHUNK = 5000  # ids per IN list (SQLite allows 32,766 parameters)
_SUMS = (
    "messages",
    "peer_given",
    "staff_received",
    "reactions_given",
    "ritual_messages",
    "threads_created",
    "conversations_started",
)


def mondays(first: date, end: date) -> list[date]:
    """Every Monday `m` with `first <= m` and `m + 7 days <= end`: the whole weeks inside."""
    start = first + timedelta(days=(7 - first.weekday()) % 7)
    return [start + timedelta(weeks=i) for i in range(max(0, (end - start).days // 7))]


async def fold_weeks(session: AsyncSession, guild_id: int, first: date, now: datetime) -> set[date]:
    """Fold every completed week since `first` that is missing or stale (its guild rollup
    total changed since it was folded); return the Mondays of the folded weeks."""
    complete = mondays(first, now.astimezone(UTC).date())
    if not complete:
        return set()
    totals = await _guild_totals(session, guild_id, complete[0], complete[-1] + timedelta(days=7))
    rows = await session.execute(
        select(HealthWeek.week, HealthWeek.rollup_messages).where(
            HealthWeek.guild_id == guild_id,
            HealthWeek.week >= complete[0],
            HealthWeek.week <= complete[-1],
        )
    )
    kept = {week: messages for week, messages in rows}
    for monday in complete:
        messages = totals.get(monday, (0, 0))[0]
        if kept.get(monday) != messages:
            await _fold(session, guild_id, monday, messages, now)
    return set(complete)


async def _fold(
    session: AsyncSession, guild_id: int, monday: date, rollup_messages: int, now: datetime
) -> None:
    """(Re)write one week's per-member sums (in the database, no rows through Python) and
    its weekly figures."""
    end = monday + timedelta(days=7)
    await session.execute(
        delete(HealthMemberWeek).where(
            HealthMemberWeek.guild_id == guild_id, HealthMemberWeek.week == monday
        )
    )
    folded = (
        select(
            literal(guild_id, BigInteger),
            literal(monday, Date),
            DMA.user_id,
            *(func.sum(getattr(DMA, c)) for c in _SUMS),
        )
        .where(DMA.guild_id == guild_id, DMA.day >= monday, DMA.day < end)
        .group_by(DMA.user_id)
    )
    columns = ["guild_id", "week", "user_id", *_SUMS]
    await session.execute(insert(HealthMemberWeek).from_select(columns, folded))
    hmw = HealthMemberWeek
    row = (
        await session.execute(
            select(
                func.count().filter(hmw.messages > 0),
                func.count().filter(hmw.messages >= COMMUNICATOR_MESSAGES),
                func.sum(hmw.messages),
                func.sum(hmw.peer_given),
                func.sum(hmw.staff_received),
                func.count().filter(hmw.ritual_messages > 0),
            ).where(
                hmw.guild_id == guild_id,
                hmw.week == monday,
                hmw.user_id.not_in(_excluded(guild_id)),
            )
        )
    ).one()
    v = [int(x or 0) for x in row]
    await session.merge(
        HealthWeek(
            guild_id=guild_id,
            week=monday,
            active_members=v[0],
            communicators=v[1],
            member_messages=v[2],
            peer_interactions=v[3],
            staff_interactions=v[4],
            ritual_participants=v[5],
            rollup_messages=rollup_messages,
            computed_at=now,
        )
    )


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
            select(hmw.user_id, *(getattr(hmw, c) for c in _SUMS)).where(
                hmw.guild_id == guild_id,
                hmw.week.in_(weeks),
                hmw.user_id.not_in(_excluded(guild_id)),
            )
        )
    if gaps or not parts:
        parts.append(
            select(DMA.user_id, *(getattr(DMA, c) for c in _SUMS)).where(
                DMA.guild_id == guild_id,
                or_(*(and_(DMA.day >= a, DMA.day < b) for a, b in gaps)) if gaps else false(),
                DMA.user_id.not_in(_excluded(guild_id)),
            )
        )
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


async def member_activity(
    session: AsyncSession, guild_id: int, period: Period, folded: set[date]
) -> dict[int, MemberActivity]:
    """Each counted member's sums over the period."""
    rows = _per_member_rows(guild_id, period, folded)
    result = await session.execute(
        select(rows.c.user_id, *(cast(func.sum(rows.c[c]), BigInteger) for c in _SUMS)).group_by(
            rows.c.user_id
        )
    )
    return {row[0]: MemberActivity(*row[1:]) for row in result}


async def active_ids(
    session: AsyncSession, guild_id: int, period: Period, folded: set[date]
) -> set[int]:
    """Counted members with a message in the period."""
    rows = _per_member_rows(guild_id, period, folded)
    return set(await session.scalars(select(rows.c.user_id).where(rows.c.messages > 0).distinct()))


async def week_activity(session: AsyncSession, guild_id: int, week: Week) -> WeekActivity:
    """A week's figures counted from its daily rollups (the current week)."""
    per_user = (
        select(
            func.sum(DMA.messages).label("messages"),
            func.sum(DMA.peer_given).label("peer"),
            func.sum(DMA.staff_received).label("staff"),
            func.sum(DMA.ritual_messages).label("ritual"),
        )
        .where(
            DMA.guild_id == guild_id,
            DMA.day >= week.first_day,
            DMA.day < week.end_day,
            DMA.user_id.not_in(_excluded(guild_id)),
        )
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
    return WeekActivity(week.label, week.first_day, *v)


async def weekly_activity(
    session: AsyncSession, guild_id: int, weeks: Sequence[Week], folded: set[date]
) -> list[WeekActivity]:
    """One row per week (oldest first): folded weeks from `health_weeks`, the others
    (the current one) counted from the daily rollups."""
    totals = await _guild_totals(session, guild_id, weeks[0].first_day, weeks[-1].end_day)
    kept = {
        row.week: row
        for row in await session.scalars(
            select(HealthWeek).where(
                HealthWeek.guild_id == guild_id,
                HealthWeek.week >= weeks[0].first_day,
                HealthWeek.week <= weeks[-1].first_day,
            )
        )
    }
    series = []
    for week in weeks:
        row = kept.get(week.first_day)
        if week.first_day in folded and row is not None:
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
        else:
            figures = await week_activity(session, guild_id, week)
        bots = totals.get(week.first_day, (0, 0))[1]
        series.append(replace(figures, bot_messages=bots))
    return series


async def _guild_totals(
    session: AsyncSession, guild_id: int, first: date, end: date
) -> dict[date, tuple[int, int]]:
    """Per Monday-based week in `[first, end)`: (member messages, bot messages), from the
    guild rollup (a row per day)."""
    rows = await session.execute(
        select(DGA.day, DGA.member_messages, DGA.bot_messages).where(
            DGA.guild_id == guild_id, DGA.day >= first, DGA.day < end
        )
    )
    totals: dict[date, tuple[int, int]] = {}
    for day, members, bots in rows:
        monday = day - timedelta(days=day.weekday())
        before = totals.get(monday, (0, 0))
        totals[monday] = (before[0] + members, before[1] + bots)
    return totals


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
    session: AsyncSession, guild_id: int, user_ids: Collection[int], since_day: date
) -> dict[int, set[date]]:
    """Days with a message, since `since_day`, of the given members (the newcomer
    cohorts), in chunks so the statement stays small."""
    days: dict[int, set[date]] = defaultdict(set)
    ids = sorted(user_ids)
    for i in range(0, len(ids), _CHUNK):
        rows = await session.execute(
            select(DMA.user_id, DMA.day).where(
                DMA.guild_id == guild_id,
                DMA.day >= since_day,
                DMA.messages > 0,
                DMA.user_id.in_(ids[i : i + _CHUNK]),
            )
        )
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
