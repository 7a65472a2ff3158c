"""Folded weeks: each completed week (Monday to Sunday, UTC days) of a guild's daily
member rollups is summed once per member into `health_member_weeks`, with its weekly figures
in `health_weeks`, so periods and the weekly series read a fifth of the rows. A week is
folded again when the guild rollup's member counters for it change (late events)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Select,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    DailyGuildActivity,
    DailyMemberActivity,
    HealthMemberWeek,
    HealthWeek,
    Member,
)
from bot.metrics.activity import COMMUNICATOR_MESSAGES
from bot.metrics.data import MEMBER_COUNTERS, WeekActivity
from bot.periods import Week

DMA = DailyMemberActivity
DGA = DailyGuildActivity


def excluded(guild_id: int) -> Select[int]:
    """Users whose rollup rows no figure counts: staff, bots, opted-out members. The
    rollups hold members only, so a user with no `members` row counts. The condition is
    the one of the partial index `ix_members_guild_not_counted`, which answers it."""
    return select(Member.user_id).where(
        Member.guild_id == guild_id,
        or_(Member.is_staff.is_(True), Member.is_bot.is_(True), Member.opted_out.is_(True)),
    )


def counted_days(guild_id: int, first: date, end: date) -> ColumnElement[bool]:
    """The daily member rollup rows of `[first, end)` that the figures count."""
    return and_(
        DMA.guild_id == guild_id,
        DMA.day >= first,
        DMA.day < end,
        DMA.user_id.not_in(excluded(guild_id)),
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
    rows = await (await session.connection()).execute(
        select(HealthWeek.week, HealthWeek.rollup_total).where(
            HealthWeek.guild_id == guild_id,
            HealthWeek.week >= complete[0],
            HealthWeek.week <= complete[-1],
        )
    )
    kept = {week: total for week, total in rows}
    for monday in complete:
        total = totals.get(monday, (0, 0))[0]
        if kept.get(monday) != total:
            await _fold(session, guild_id, monday, total, now)
    return set(complete)


async def _fold(
    session: AsyncSession, guild_id: int, monday: date, rollup_total: int, now: datetime
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
            *(func.sum(getattr(DMA, c)) for c in MEMBER_COUNTERS),
        )
        .where(DMA.guild_id == guild_id, DMA.day >= monday, DMA.day < end)
        .group_by(DMA.user_id)
    )
    columns = ["guild_id", "week", "user_id", *MEMBER_COUNTERS]
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
                hmw.user_id.not_in(excluded(guild_id)),
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
            rollup_total=rollup_total,
            computed_at=now,
        )
    )


async def writers_by_week(
    session: AsyncSession, guild_id: int, weeks: Sequence[date]
) -> list[set[int]]:
    """The counted members with a message in each folded week of `weeks` (Mondays), in
    that order: one row per member and week, from `health_member_weeks`."""
    hmw = HealthMemberWeek
    rows = await (await session.connection()).execute(
        select(hmw.week, hmw.user_id).where(
            hmw.guild_id == guild_id,
            hmw.week.in_(list(weeks)),
            hmw.messages > 0,
            hmw.user_id.not_in(excluded(guild_id)),
        )
    )
    by_week: dict[date, set[int]] = {week: set() for week in weeks}
    for week, user_id in rows:
        by_week[week].add(int(user_id))
    return [by_week[week] for week in weeks]


async def week_activity(session: AsyncSession, guild_id: int, week: Week) -> WeekActivity:
    """A week's figures counted from its daily rollups (the current week)."""
    per_user = (
        select(
            func.sum(DMA.messages).label("messages"),
            func.sum(DMA.peer_given).label("peer"),
            func.sum(DMA.staff_received).label("staff"),
            func.sum(DMA.ritual_messages).label("ritual"),
        )
        .where(counted_days(guild_id, week.first_day, week.end_day))
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
    """`rollup_days`, summed per Monday-based week."""
    totals: dict[date, tuple[int, int]] = {}
    for day, (members, bots) in (await rollup_days(session, guild_id, first, end)).items():
        monday = day - timedelta(days=day.weekday())
        before = totals.get(monday, (0, 0))
        totals[monday] = (before[0] + members, before[1] + bots)
    return totals


async def rollup_days(
    session: AsyncSession, guild_id: int, first: date, end: date
) -> dict[date, tuple[int, int]]:
    """Per UTC day in `[first, end)` with a guild rollup row: (the sum of its member
    counters, bot messages). Rollup counters only grow, so the first number changes
    whenever anything folded from those days changes."""
    activity = (
        DGA.member_messages
        + DGA.peer_interactions
        + DGA.staff_interactions
        + DGA.reactions
        + DGA.member_threads
        + DGA.member_conversations
    )
    rows = await (await session.connection()).execute(
        select(DGA.day, activity, DGA.bot_messages).where(
            DGA.guild_id == guild_id, DGA.day >= first, DGA.day < end
        )
    )
    return {day: (int(members), int(bots)) for day, members, bots in rows.all()}
