"""Every SQL query behind the health figures.

They read the daily rollups (a few rows per member and day) and indexed lookups, always
for one guild, and leave staff, bots and opted-out members out where the definitions say
so. Nothing here scans a guild's raw events: the only `activity_events` query follows the
(guild, thread) index into the welcome threads of recent newcomers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.models import (
    ActivityEvent,
    DailyChannelActivity,
    DailyGuildActivity,
    DailyMemberActivity,
    GuildSettings,
    Member,
    Spotlight,
    SurveyAnswer,
    TrackedThread,
)
from bot.db.models.activity import EventKind, ThreadContext
from bot.metrics.data import (
    ChannelShare,
    Headcount,
    MemberActivity,
    Person,
    ThreadMessage,
    WeekActivity,
    WelcomeThread,
)
from bot.metrics.participation import COMMUNICATOR_MESSAGES
from bot.metrics.periods import Period, Week

DMA = DailyMemberActivity
DGA = DailyGuildActivity
DCA = DailyChannelActivity


def _counted() -> ColumnElement[bool]:
    """A member the figures count: human, not staff, not opted out."""
    return and_(Member.is_bot.is_(False), Member.is_staff.is_(False), Member.opted_out.is_(False))


def _counted_or_unknown() -> ColumnElement[bool]:
    """For rows outer-joined to `members`: the rollups hold members only, so a user with no
    `members` row (present before the bot, never seen joining) counts; a row that says
    staff, bot or opted out excludes them."""
    return or_(Member.user_id.is_(None), _counted())


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


async def member_activity(
    session: AsyncSession, guild_id: int, periods: Sequence[Period]
) -> list[dict[int, MemberActivity]]:
    """Per period (contiguous, newest first), each counted member's sums."""
    newest, oldest = periods[0], periods[-1]
    bucket = case(
        *[(DMA.day >= p.first_day, i) for i, p in enumerate(periods[:-1])],
        else_=len(periods) - 1,
    ).label("bucket")
    per_user = (
        select(
            DMA.user_id.label("user_id"),
            bucket,
            func.sum(DMA.messages).label("messages"),
            func.sum(DMA.peer_given).label("peer_given"),
            func.sum(DMA.staff_received).label("staff_received"),
            func.sum(DMA.reactions_given).label("reactions_given"),
            func.sum(DMA.ritual_messages).label("ritual_messages"),
            func.sum(DMA.threads_created).label("threads_created"),
            func.sum(DMA.conversations_started).label("conversations_started"),
        )
        .where(DMA.guild_id == guild_id, DMA.day >= oldest.first_day, DMA.day < newest.end_day)
        .group_by(DMA.user_id, bucket)
        .subquery()
    )
    rows = await session.execute(
        select(per_user)
        .outerjoin(Member, and_(Member.guild_id == guild_id, Member.user_id == per_user.c.user_id))
        .where(_counted_or_unknown())
    )
    result: list[dict[int, MemberActivity]] = [{} for _ in periods]
    for row in rows:
        result[row.bucket][row.user_id] = MemberActivity(
            int(row.messages),
            int(row.peer_given),
            int(row.staff_received),
            int(row.reactions_given),
            int(row.ritual_messages),
            int(row.threads_created),
            int(row.conversations_started),
        )
    return result


async def weekly_activity(
    session: AsyncSession, guild_id: int, weeks: Sequence[Week]
) -> list[WeekActivity]:
    """One row per week (oldest first): active members, communicators, messages and
    interactions of counted members, and the bot's own posts."""
    first, last = weeks[0], weeks[-1]
    bucket = case(
        *[(DMA.day >= w.first_day, i) for i, w in reversed(list(enumerate(weeks))) if i],
        else_=0,
    ).label("bucket")
    per_user = (
        select(
            DMA.user_id.label("user_id"),
            bucket,
            func.sum(DMA.messages).label("messages"),
            func.sum(DMA.peer_given).label("peer"),
            func.sum(DMA.staff_received).label("staff"),
            func.sum(DMA.ritual_messages).label("ritual"),
        )
        .where(DMA.guild_id == guild_id, DMA.day >= first.first_day, DMA.day < last.end_day)
        .group_by(DMA.user_id, bucket)
        .subquery()
    )
    counted = (
        select(per_user)
        .outerjoin(Member, and_(Member.guild_id == guild_id, Member.user_id == per_user.c.user_id))
        .where(_counted_or_unknown())
        .subquery()
    )
    rows = await session.execute(
        select(
            counted.c.bucket,
            func.count().filter(counted.c.messages > 0),
            func.count().filter(counted.c.messages >= COMMUNICATOR_MESSAGES),
            func.sum(counted.c.messages),
            func.sum(counted.c.peer),
            func.sum(counted.c.staff),
            func.count().filter(counted.c.ritual > 0),
        ).group_by(counted.c.bucket)
    )
    by_bucket = {row[0]: row for row in rows}
    bots = await _weekly_bot_messages(session, guild_id, weeks)
    series = []
    for i, week in enumerate(weeks):
        row = by_bucket.get(i)
        v = [int(x or 0) for x in row[1:]] if row is not None else [0] * 6
        series.append(
            WeekActivity(
                week.label,
                week.first_day,
                active_members=v[0],
                communicators=v[1],
                member_messages=v[2],
                peer_interactions=v[3],
                staff_interactions=v[4],
                ritual_participants=v[5],
                bot_messages=bots[i],
            )
        )
    return series


async def _weekly_bot_messages(
    session: AsyncSession, guild_id: int, weeks: Sequence[Week]
) -> list[int]:
    rows = await session.execute(
        select(DGA.day, DGA.bot_messages).where(
            DGA.guild_id == guild_id,
            DGA.day >= weeks[0].first_day,
            DGA.day < weeks[-1].end_day,
        )
    )
    totals = [0] * len(weeks)
    for day, count in rows:
        for i, week in enumerate(weeks):
            if week.contains(day):
                totals[i] += count
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


async def welcome_threads(
    session: AsyncSession, guild_id: int, since: datetime
) -> list[WelcomeThread]:
    """Welcome threads opened since `since`, with their messages' authors and times: an
    index lookup per thread, never a scan of the guild's events."""
    threads = (
        await session.execute(
            select(TrackedThread.thread_id, TrackedThread.owner_id, TrackedThread.created_at).where(
                TrackedThread.guild_id == guild_id,
                TrackedThread.context == ThreadContext.WELCOME,
                TrackedThread.created_at >= since,
                TrackedThread.owner_id.is_not(None),
            )
        )
    ).all()
    if not threads:
        return []
    author = Member.__table__.alias("author")
    rows = await session.execute(
        select(
            ActivityEvent.thread_id,
            ActivityEvent.actor_id,
            ActivityEvent.occurred_at,
            and_(
                author.c.is_bot.is_(False),
                author.c.is_staff.is_(False),
                author.c.opted_out.is_(False),
            ),
        )
        .outerjoin(
            author,
            and_(author.c.guild_id == guild_id, author.c.user_id == ActivityEvent.actor_id),
        )
        .where(
            ActivityEvent.guild_id == guild_id,
            ActivityEvent.thread_id.in_([t.thread_id for t in threads]),
            ActivityEvent.kind == EventKind.MESSAGE,
        )
    )
    messages: dict[int, list[ThreadMessage]] = defaultdict(list)
    for thread_id, actor_id, occurred_at, is_member in rows:
        assert thread_id is not None
        messages[thread_id].append(ThreadMessage(actor_id, bool(is_member), occurred_at))
    return [WelcomeThread(t.owner_id, t.created_at, tuple(messages[t.thread_id])) for t in threads]


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
