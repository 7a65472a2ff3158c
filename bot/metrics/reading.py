"""Reading one report's inputs.

First the frame, in one transaction: the guild's settings, how far back the data goes, the
completed weeks and the settled spans folded (committed, so other connections see them).
Then the reads, in two lanes of their own sessions: one connection each, which SQLite runs
on its own thread and PostgreSQL on its own backend. Two, because most of a report's time
is Python holding the interpreter lock: more lanes only added connections opened and
closed past the pool's size, and waits for the lock. Reads are seconds apart at most;
figures do not need one snapshot to the event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Concatenate, ParamSpec, TypeVar
from weakref import WeakValueDictionary
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.buddies.store import BuddyReport, buddy_report
from bot.db import Database
from bot.guilds import guild_language
from bot.i18n import Lang
from bot.intros.store import IntrosFigures, intros_figures
from bot.metrics import retention, spans, store, weekly
from bot.metrics.data import (
    ChannelShare,
    Headcount,
    MemberActivity,
    ModerationWindows,
    Person,
    WeekActivity,
)
from bot.metrics.retention import COHORT_WEEKS
from bot.metrics.tensions import moderation_windows
from bot.periods import Period, Week, local_date, utc_midnight, week_of, weeks_for
from bot.rituals.role_changes import ping_role_opt_outs
from bot.spotlight.queries import SpotlightEffects, spotlight_effects
from bot.survey.nps import NpsResult
from bot.survey.service import nps_for_period
from bot.welcome.funnel import NewcomerFunnel, newcomer_funnels

P = ParamSpec("P")
T = TypeVar("T")


class UnknownGuild(LookupError):
    """No settings row: the bot has never been in this guild (or its data was purged)."""


@dataclass(frozen=True)
class Frame:
    guild_id: int
    language: str | None
    preferred_locale: str | None
    tz: ZoneInfo
    current: Period
    data_since: datetime  # Foyer's arrival in the guild (`GuildSettings.joined_at`)
    weeks: list[Week]
    folded: set[date]
    today: date
    previous_facts: spans.SettledFacts
    lang: Lang  # the guild's language in its voice (bot.guilds.guild_language)

    @property
    def previous(self) -> Period:
        return self.current.previous()

    @property
    def before_previous(self) -> Period:
        """Read only for the previous period's active retention."""
        return self.previous.previous()

    def covers(self, period: Period) -> bool:
        """Whether Foyer was there for the whole period: it arrived at its start or before."""
        return self.data_since <= period.start


@dataclass(frozen=True)
class Inputs:
    """Everything read for one report, before any computation."""

    activity: dict[int, MemberActivity]  # the current period's, per member
    active_before: set[int]  # who wrote in the previous period
    heads: tuple[Headcount, Headcount]
    people: list[Person]
    days_posted: dict[int, set[date]]
    nps: tuple[NpsResult, NpsResult]
    spotlights: tuple[SpotlightEffects, SpotlightEffects]
    weekly: list[WeekActivity]
    channels: list[ChannelShare]
    bot_posts: tuple[int, int]
    funnels: tuple[NewcomerFunnel, NewcomerFunnel]
    opt_outs: tuple[int, int]
    # for the signals (docs/metrics.md, "Weak signals"): the newcomers of the last 14 days
    # (the latest introductions); and, every one of them having had 48 hours to introduce
    # themselves, those of the 14 days before the last 48 hours and those of the period
    # before the last 48 hours
    recent_funnel: NewcomerFunnel | None = None
    settled_funnel: NewcomerFunnel | None = None
    settled_period_funnel: NewcomerFunnel | None = None
    # the moderation actions the tensions signal compares; None: Foyer cannot see them
    moderation: ModerationWindows | None = None
    # buddies (bot.buddies.store.buddy_report); None: not read
    buddies: BuddyReport | None = None
    # introductions, the current and previous periods' (bot.intros.store.intros_figures)
    intros: tuple[IntrosFigures, IntrosFigures] | None = None
    # the writers of each of the churn signal's completed weeks, oldest first
    # (retention.churn_mondays); None when Foyer was not there for all of them
    writer_weeks: list[set[int]] | None = None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# One guild's folding at a time in this process; other processes wait on a PostgreSQL
# advisory lock (SQLite serialises writers itself). Two reports folding the same week or
# span at once would otherwise both write it: a duplicate key on PostgreSQL.
_FOLDING: WeakValueDictionary[int, asyncio.Lock] = WeakValueDictionary()
_FOLDING_LOCK_CLASS = 0x466F7965  # "Foye": its own key space beside the migrations' lock


async def _wait_for_other_processes(session: AsyncSession, guild_id: int) -> None:
    if (await session.connection()).dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :guild)"),
            {"space": _FOLDING_LOCK_CLASS, "guild": guild_id % 2**31},
        )


async def fold_and_read_frame(db: Database, guild_id: int, current: Period, now: datetime) -> Frame:
    """Fold what the report needs (completed weeks, the day's settled spans), then read
    the frame: it writes, so one guild's folding runs at a time (see `_FOLDING`)."""
    lock = _FOLDING.setdefault(guild_id, asyncio.Lock())
    async with lock, db.session() as session:
        await _wait_for_other_processes(session, guild_id)
        settings = await store.guild_settings(session, guild_id)
        if settings is None:
            raise UnknownGuild(guild_id)
        tz = _zone(settings.timezone)
        # Coverage starts when Foyer arrived, never earlier: the members it found there
        # were recorded as joins at their own (old) join dates, which give tenure, not
        # history (docs/metrics.md, "Coverage").
        data_since = settings.joined_at
        weeks = weeks_for(current, now, tz)
        periods = (current, current.previous(), current.previous().previous())
        # the churn signal's weeks too (retention.churn_mondays)
        churn_first = retention.churn_mondays(now.astimezone(UTC).date())[0]
        first = min(periods[-1].first_day, weeks[0].first_day, churn_first)
        folded = await weekly.fold_weeks(session, guild_id, first, now)
        today = now.astimezone(UTC).date()
        settled = [spans.settled_part(period, today) for period in periods]
        await spans.fold_spans(session, guild_id, settled, folded, now)
        previous_facts = await spans.settled_facts(session, guild_id, periods[1], today)
    return Frame(
        guild_id,
        settings.language,
        settings.preferred_locale,
        tz,
        current,
        data_since,
        weeks,
        folded,
        today,
        previous_facts,
        guild_language(settings),
    )


async def _in_session(
    db: Database,
    read: Callable[Concatenate[AsyncSession, P], Awaitable[T]],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    async with db.session() as session:
        return await read(session, *args, **kwargs)


async def read_inputs(db: Database, frame: Frame, now: datetime) -> Inputs:
    members, others = await asyncio.gather(
        _in_session(db, _member_reads, frame, now), _other_reads(db, frame, now)
    )
    people, activity, active_before, days_posted, writer_weeks = members
    funnels, (recent, settled, settled_period), rest = others
    heads, nps, spotlights, weekly_series, channels, bot_posts, opt_outs = rest
    moderation = await _in_session(db, moderation_windows, frame.guild_id, now)  # two rows
    cur, prev = frame.current, frame.previous
    buddies = await _in_session(
        db, buddy_report, frame.guild_id, (cur.start, cur.end), (prev.start, prev.end)
    )
    intros = (
        await _in_session(db, intros_figures, frame.guild_id, cur.start, cur.end, now),
        await _in_session(db, intros_figures, frame.guild_id, prev.start, prev.end, now),
    )
    return Inputs(
        activity=activity,
        active_before=active_before,
        heads=heads,
        people=people,
        days_posted=days_posted,
        nps=nps,
        spotlights=spotlights,
        weekly=weekly_series,
        channels=channels,
        bot_posts=bot_posts,
        funnels=funnels,
        opt_outs=opt_outs,
        recent_funnel=recent,
        settled_funnel=settled,
        settled_period_funnel=settled_period,
        moderation=moderation,
        writer_weeks=writer_weeks,
        buddies=buddies,
        intros=intros,
    )


async def _member_reads(
    session: AsyncSession, frame: Frame, now: datetime
) -> tuple[
    list[Person],
    dict[int, MemberActivity],
    set[int],
    dict[int, set[date]],
    list[set[int]] | None,
]:
    """The people who came and went, the members' sums, who wrote in the previous period
    (the rest of it is in the frame's facts), the newcomers' message days, and the
    writers of the churn signal's weeks (None unless Foyer was there for all of them)."""
    gid, previous, today = frame.guild_id, frame.previous, frame.today
    cohort_start = utc_midnight(week_of(local_date(now, frame.tz)).next(-COHORT_WEEKS).first_day)
    window_start = min(
        previous.start - retention.FOUR_WEEKS,
        cohort_start - timedelta(days=1),
        now - retention.WEEK4_JOINS_SINCE,
    )
    # the earliest day any figure looks at a newcomer's messages: week 4 and activation of
    # the previous period's cohorts, the cohort table, and the week-4 signal's baseline
    days_from = min(previous.start - retention.WEEK, cohort_start, now - retention.WEEK4_DAYS_SINCE)
    return (
        await store.people_since(session, gid, window_start),
        await spans.member_activity(session, gid, frame.current, today),
        await spans.writers(session, gid, previous, today),
        await store.message_days(session, gid, window_start, days_from.date()),
        await _writer_weeks(session, frame),
    )


async def _writer_weeks(session: AsyncSession, frame: Frame) -> list[set[int]] | None:
    mondays = retention.churn_mondays(frame.today)
    if frame.data_since > utc_midnight(mondays[0]):
        return None
    return await weekly.writers_by_week(session, frame.guild_id, mondays)


_Rest = tuple[
    tuple[Headcount, Headcount],
    tuple[NpsResult, NpsResult],
    tuple[SpotlightEffects, SpotlightEffects],
    list[WeekActivity],
    list[ChannelShare],
    tuple[int, int],
    tuple[int, int],
]


RECENT_NEWCOMERS = timedelta(days=14)
_SignalFunnels = tuple[NewcomerFunnel, NewcomerFunnel, NewcomerFunnel]
INTRODUCTION_WINDOW = timedelta(hours=48)  # a newcomer's time to introduce themselves


async def _other_reads(
    db: Database, frame: Frame, now: datetime
) -> tuple[tuple[NewcomerFunnel, NewcomerFunnel], _SignalFunnels, _Rest]:
    """The welcome module's funnels, from one read of its own: the period's, the previous
    period's, and the three of the signals; then the small reads."""
    cur, prev, gid = frame.current, frame.previous, frame.guild_id
    settled = now - INTRODUCTION_WINDOW
    windows = [
        (cur.start, cur.end),
        (prev.start, prev.end),
        (now - RECENT_NEWCOMERS, now),
        (settled - RECENT_NEWCOMERS, settled),
        (cur.start, max(cur.start, settled)),
    ]
    current, previous, *recent = await newcomer_funnels(db, gid, windows, now=now)
    signal_funnels: _SignalFunnels = (recent[0], recent[1], recent[2])
    return (current, previous), signal_funnels, await _in_session(db, _the_rest, db, frame, now)


async def _the_rest(session: AsyncSession, db: Database, frame: Frame, now: datetime) -> _Rest:
    """The small reads, one after the other."""
    gid, cur, prev = frame.guild_id, frame.current, frame.previous
    now_heads, before_heads = await store.headcounts(session, gid, (cur.end, prev.end))
    return (
        (now_heads, before_heads),
        (await nps_for_period(session, gid, cur), await nps_for_period(session, gid, prev)),
        (
            await spotlight_effects(session, gid, cur, now=now),
            await spotlight_effects(session, gid, prev, now=now),
        ),
        await weekly.weekly_activity(session, gid, frame.weeks, frame.folded),
        await store.channel_shares(session, gid, cur, prev),
        (
            await store.bot_messages(session, gid, cur),
            await store.bot_messages(session, gid, prev),
        ),
        (
            await ping_role_opt_outs(db, gid, cur.first_day, cur.end_day),
            await ping_role_opt_outs(db, gid, prev.first_day, prev.end_day),
        ),
    )
