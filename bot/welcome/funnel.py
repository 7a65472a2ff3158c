"""The newcomer funnel shown by `/health`: joined, introduced, answered by a member, time to
the first peer reply, still there after 7 days, active in week 4.

`compute_funnel` is a pure function over `NewcomerFacts` (tested with hand-computed
values); `newcomer_funnel(db, guild_id, start, end)` reads the facts of one guild and
period and calls it. Definitions (docs/welcome.md, docs/metrics.md):

- newcomers are the joins welcomed in `[start, end)`; bots never get a welcome row.
- `joined` is a plain count of joins, opted-out members included (metrics.md allows plain
  counts of joins); every other stage leaves opted-out members out.
- introduced: the newcomer posted in their welcome thread (their first message there);
  `left_before_introducing` counts those who left without doing so.
- answered: a member (not the newcomer, not staff, not a bot) posted after the
  introduction; `answered_within_48h` counts those answered less than 48 h after it, over
  the introductions made at least 48 h before `end` (the "newcomers unanswered" signal).
- median time to first peer reply: over answered introductions, in seconds.
- still there after 7 days: over newcomers who joined at least 7 days before the moment
  the funnel is judged (`end`, or the report's `now` when earlier), those who had not left
  7 days after joining.
- active in week 4: over newcomers who joined at least 28 days before that moment, those
  with a message on one of the UTC days 21 to 27 after their join day (daily rollups). On a
  28-day period nobody can be eligible: the stage's base is empty, and /health shows "—".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.db.models import DailyMemberActivity, Member, Welcome, wrote_that_day

WEEK_1 = timedelta(days=7)
WEEK_4_START_DAY = 21
WEEK_4_END_DAY = 28  # exclusive
ANSWER_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class NewcomerFacts:
    """What the funnel needs to know about one welcomed newcomer."""

    joined_at: datetime
    introduced_at: datetime | None = None
    first_peer_reply_at: datetime | None = None
    staff_answered_at: datetime | None = None
    left_at: datetime | None = None
    active_week4: bool = False
    opted_out: bool = False


@dataclass(frozen=True)
class Share:
    """`count` out of `eligible`; `rate` is None when nobody is eligible yet."""

    count: int
    eligible: int

    @property
    def rate(self) -> float | None:
        return self.count / self.eligible if self.eligible else None


@dataclass(frozen=True)
class NewcomerFunnel:
    joined: int
    introduced: Share  # over newcomers (opted-out excluded)
    answered: Share  # over introductions
    answered_within_48h: Share  # over introductions made 48 h or more before the end
    staff_only: int  # introductions answered by staff and by no member
    left_before_introducing: int  # newcomers who left without a word in their thread
    median_seconds_to_first_peer_reply: float | None
    still_there_after_7_days: Share
    active_in_week_4: Share


def peer_reply_seconds(facts: NewcomerFacts) -> float | None:
    """Seconds from the introduction to the first member's answer, if both happened."""
    if facts.introduced_at is None or facts.first_peer_reply_at is None:
        return None
    return (facts.first_peer_reply_at - facts.introduced_at).total_seconds()


def stayed_a_week(facts: NewcomerFacts, end: datetime) -> bool | None:
    """None while the newcomer's first week is not over at `end`."""
    week_over = facts.joined_at + WEEK_1
    if week_over > end:
        return None
    return facts.left_at is None or facts.left_at >= week_over


def week4_eligible(joined_at: datetime, end: datetime) -> bool:
    """Whether a newcomer who joined at `joined_at` has finished week 4 by `end`."""
    return joined_at + timedelta(days=WEEK_4_END_DAY) <= end


def week4_days(joined_at: datetime) -> tuple[date, date]:
    """The UTC days `[first, last)` of a newcomer's week 4."""
    day = joined_at.date()
    return day + timedelta(days=WEEK_4_START_DAY), day + timedelta(days=WEEK_4_END_DAY)


def compute_funnel(facts: Iterable[NewcomerFacts], end: datetime) -> NewcomerFunnel:
    """The funnel over the given newcomers, as seen at `end`."""
    everyone = list(facts)
    counted = [f for f in everyone if not f.opted_out]
    introduced = [f for f in counted if f.introduced_at is not None]
    delays = [d for f in introduced if (d := peer_reply_seconds(f)) is not None]
    old_enough = [
        f for f in introduced if f.introduced_at and f.introduced_at + ANSWER_WINDOW <= end
    ]
    within = [
        f
        for f in old_enough
        if (d := peer_reply_seconds(f)) is not None and d < ANSWER_WINDOW.total_seconds()
    ]
    staff_only = [
        f for f in introduced if f.first_peer_reply_at is None and f.staff_answered_at is not None
    ]
    stayed = [s for f in counted if (s := stayed_a_week(f, end)) is not None]
    w4 = [f for f in counted if week4_eligible(f.joined_at, end)]
    return NewcomerFunnel(
        joined=len(everyone),
        introduced=Share(len(introduced), len(counted)),
        answered=Share(len(delays), len(introduced)),
        answered_within_48h=Share(len(within), len(old_enough)),
        staff_only=len(staff_only),
        left_before_introducing=sum(
            1 for f in counted if f.introduced_at is None and f.left_at is not None
        ),
        median_seconds_to_first_peer_reply=median(delays) if delays else None,
        still_there_after_7_days=Share(sum(stayed), len(stayed)),
        active_in_week_4=Share(sum(f.active_week4 for f in w4), len(w4)),
    )


async def newcomer_funnel(
    db: Database, guild_id: int, start: datetime, end: datetime, *, now: datetime | None = None
) -> NewcomerFunnel:
    """The funnel of the newcomers welcomed in `[start, end)` in one guild, judged at
    `now` (the report's moment) when it comes before `end`: a newcomer whose 7 days, 48
    hours or week 4 are not over by then is left out of that stage's base, instead of being
    judged at the end of a day that has not happened yet."""
    return (await newcomer_funnels(db, guild_id, [(start, end)], now=now))[0]


async def newcomer_funnels(
    db: Database,
    guild_id: int,
    windows: Sequence[tuple[datetime, datetime]],
    *,
    now: datetime | None = None,
) -> list[NewcomerFunnel]:
    """`newcomer_funnel` for each `(start, end)` window, from one read of the welcomes that
    span them all (one session and two queries instead of two per window: /health reads
    five overlapping windows; benchmarks/health.py)."""
    as_ofs = [end if now is None else min(end, now) for _, end in windows]
    first_start = min(start for start, _ in windows)
    last_end = max(end for _, end in windows)
    latest = max(as_ofs)
    query = (
        select(
            Welcome.user_id,
            Welcome.joined_at,
            Welcome.introduced_at,
            Welcome.first_peer_reply_at,
            Welcome.staff_answered_at,
            Welcome.newcomer_left_at,
            Member.left_at,
            Member.opted_out,
        )
        .outerjoin(
            Member, and_(Member.guild_id == Welcome.guild_id, Member.user_id == Welcome.user_id)
        )
        .where(
            Welcome.guild_id == guild_id,
            Welcome.joined_at >= first_start,
            Welcome.joined_at < last_end,
        )
        .order_by(Welcome.joined_at)
    )
    async with db.session() as session:
        # columns, not `Welcome` objects: a large guild has hundreds of newcomers a period
        rows = (await session.execute(query)).all()
        eligible = [row.joined_at for row in rows if week4_eligible(row.joined_at, latest)]
        # a newcomer eligible in its window is eligible at the latest moment, so these days
        # cover every window's week-4 test
        active_days = await _active_days(session, guild_id, first_start, latest, eligible)
    facts = []
    for row in rows:
        left = row.newcomer_left_at
        if row.left_at is not None and row.left_at >= row.joined_at:
            left = row.left_at if left is None else min(left, row.left_at)
        first, last = week4_days(row.joined_at)
        days = active_days.get(row.user_id, ())
        fact = NewcomerFacts(
            joined_at=row.joined_at,
            introduced_at=row.introduced_at,
            first_peer_reply_at=row.first_peer_reply_at,
            staff_answered_at=row.staff_answered_at,
            left_at=left,
            active_week4=any(first <= d < last for d in days),
            opted_out=bool(row.opted_out),
        )
        facts.append(fact)
    # compute_funnel reads `active_week4` only of the newcomers eligible at its `as_of`
    return [
        compute_funnel((f for f in facts if start <= f.joined_at < end), as_of)
        for (start, end), as_of in zip(windows, as_ofs, strict=True)
    ]


async def _active_days(
    session: AsyncSession,
    guild_id: int,
    start: datetime,
    as_of: datetime,
    eligible_joins: Sequence[datetime],
) -> dict[int, list[date]]:
    """Days with at least one message over the week-4 windows, per newcomer welcomed
    since `start` whose week 4 is over at `as_of` (joined at `eligible_joins`). The
    newcomers are a subquery, not a list of ids: binding a long list cost more than the
    read."""
    found: dict[int, list[date]] = {}
    if not eligible_joins:
        return found
    newcomers = select(Welcome.user_id).where(
        Welcome.guild_id == guild_id,
        Welcome.joined_at >= start,
        Welcome.joined_at <= as_of - timedelta(days=WEEK_4_END_DAY),
    )
    result = await session.execute(
        select(DailyMemberActivity.user_id, DailyMemberActivity.day).where(
            DailyMemberActivity.user_id.in_(newcomers),
            DailyMemberActivity.guild_id == guild_id,
            DailyMemberActivity.day >= min(week4_days(j)[0] for j in eligible_joins),
            DailyMemberActivity.day < max(week4_days(j)[1] for j in eligible_joins),
            wrote_that_day(),
        )
    )
    for user_id, day in result.all():
        found.setdefault(user_id, []).append(day)
    return found
