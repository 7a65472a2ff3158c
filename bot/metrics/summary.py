"""`HealthReport`: everything /health, the weekly digest and `foyer report` show, built
from the queries (one transaction) and the pure computations of each family."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.i18n import Lang, language_for_locale, parse_language
from bot.metrics import (
    advocacy,
    contribution,
    newcomers,
    participation,
    queries,
    retention,
    signals,
    weekly,
)
from bot.metrics.data import Headcount, Measure, MemberActivity, Person, WeekActivity
from bot.metrics.figures import FAMILIES, SPECS, Figure
from bot.metrics.newcomers import FunnelStage
from bot.metrics.periods import Period, local_date, period_ending, utc_midnight, week_of, weeks_for
from bot.metrics.retention import COHORT_WEEKS, CohortRow
from bot.metrics.rituals import RitualRow, rituals_table
from bot.rituals.role_changes import ping_role_opt_outs
from bot.spotlight.queries import SpotlightEffects, spotlight_effects
from bot.survey.nps import NpsResult
from bot.survey.service import nps_for_period
from bot.welcome.funnel import NewcomerFunnel, newcomer_funnel


class UnknownGuild(LookupError):
    """No settings row: the bot has never been in this guild (or its data was purged)."""


@dataclass
class HealthReport:
    guild_id: int
    lang: Lang
    timezone: str
    period: Period
    previous: Period
    generated_at: datetime
    data_since: datetime
    weeks_of_data: int
    families: dict[str, list[Figure]]
    cohorts: list[CohortRow]
    weekly: list[WeekActivity]
    signals: list[signals.Signal]
    funnel: list[FunnelStage]
    rituals: list[RitualRow] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)

    def figures(self) -> Iterator[Figure]:
        for family in FAMILIES:
            yield from self.families[family]

    def figure(self, key: str) -> Figure:
        for figure in self.figures():
            if figure.key == key:
                return figure
        raise KeyError(key)


def guild_language(language: str | None, preferred_locale: str | None) -> Lang:
    """The same choice as `GuildSettingsService.language`, for readers without the bot."""
    return parse_language(language or "") or language_for_locale(preferred_locale)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _figures(
    current: Mapping[str, Measure],
    previous: Mapping[str, Measure],
    current_covered: bool,
    previous_covered: bool,
) -> list[Figure]:
    result = []
    for key, measure in current.items():
        spec = SPECS[key]
        before = previous.get(key)
        enough = spec.min_base is None or (measure.base or 0) >= spec.min_base
        result.append(
            Figure(
                key,
                measure.value,
                before.value if before is not None and previous_covered else None,
                spec.kind,
                meaningful=current_covered and enough and measure.value is not None,
                base=measure.base,
            )
        )
    return result


async def build_report(db: Database, guild_id: int, days: int, now: datetime) -> HealthReport:
    """The whole report for the `days`-day period ending today (UTC). The rollup figures
    come from one read transaction; the welcome funnel and the rituals from their modules."""
    current = period_ending(now, days)
    previous = current.previous()
    funnels = (
        await newcomer_funnel(db, guild_id, current.start, current.end),
        await newcomer_funnel(db, guild_id, previous.start, previous.end),
    )
    opt_outs = (
        await ping_role_opt_outs(db, guild_id, current.first_day, current.end_day),
        await ping_role_opt_outs(db, guild_id, previous.first_day, previous.end_day),
    )
    async with db.session() as session:
        report = await _build(session, guild_id, current, now, funnels, opt_outs)
    report.rituals, fading = await rituals_table(db, guild_id, current)
    report.signals = fading + report.signals
    return report


@dataclass
class _Inputs:
    """Everything read for one report, before any computation."""

    activity: tuple[dict[int, MemberActivity], dict[int, MemberActivity]]
    active_before_previous: set[int]
    heads: tuple[Headcount, Headcount]
    people: list[Person]
    days_posted: dict[int, set[date]]
    nps: tuple[NpsResult, NpsResult]
    spotlights: tuple[SpotlightEffects, SpotlightEffects]


async def _read(
    session: AsyncSession,
    guild_id: int,
    current: Period,
    now: datetime,
    tz: ZoneInfo,
    folded: set[date],
) -> _Inputs:
    previous = current.previous()
    cohort_start = utc_midnight(week_of(local_date(now, tz)).next(-COHORT_WEEKS).first_day)
    window_start = min(previous.start - retention.FOUR_WEEKS, cohort_start - timedelta(days=1))
    people = await queries.people_since(session, guild_id, window_start)
    # the earliest day any figure looks at a newcomer's messages: week 4 and activation of
    # the previous period's cohorts, and the cohort table
    days_from = min(previous.start - retention.WEEK, cohort_start)
    newcomer_ids = [
        p.user_id for p in people if p.counted and p.joined_at and p.joined_at >= window_start
    ]
    return _Inputs(
        activity=(
            await queries.member_activity(session, guild_id, current, folded),
            await queries.member_activity(session, guild_id, previous, folded),
        ),
        active_before_previous=await queries.active_ids(
            session, guild_id, previous.previous(), folded
        ),
        heads=(
            await queries.headcount(session, guild_id, current.end),
            await queries.headcount(session, guild_id, previous.end),
        ),
        people=people,
        days_posted=await queries.message_days(session, guild_id, newcomer_ids, days_from.date()),
        nps=(
            await nps_for_period(session, guild_id, current),
            await nps_for_period(session, guild_id, previous),
        ),
        spotlights=(
            await spotlight_effects(session, guild_id, current, now=now),
            await spotlight_effects(session, guild_id, previous, now=now),
        ),
    )


def _measures(data: _Inputs, i: int, period: Period, funnel: NewcomerFunnel) -> dict[str, Measure]:
    """Every figure of one period (0: current, 1: previous)."""
    acts = data.activity[i]
    earlier = participation.active_ids(data.activity[1]) if i == 0 else data.active_before_previous
    kept = retention.active_retention(earlier, participation.active_ids(acts))
    values = participation.participation(acts, data.heads[i])
    values |= {
        "retention.newcomers": retention.newcomers(data.people, period),
        "retention.week1_retention": retention.week1_retention(data.people, period),
        "retention.activation": retention.activation(data.people, data.days_posted, period),
        "retention.week4_conversion": retention.week4_conversion(
            data.people, data.days_posted, period
        ),
        "retention.active_retention": kept,
        "retention.churn": retention.churn(kept),
    }
    values |= retention.leavers(data.people, period)
    values |= contribution.interactions(acts)
    values |= newcomers.welcome_figures(funnel)
    values |= contribution.concentration(acts)
    values |= {
        "advocacy.nps": advocacy.nps(data.nps[i]),
    }
    values |= advocacy.spotlight_effect(data.spotlights[i])
    values |= advocacy.recognition(acts)
    return values


async def _build(
    session: AsyncSession,
    guild_id: int,
    current: Period,
    now: datetime,
    funnels: tuple[NewcomerFunnel, NewcomerFunnel],
    opt_outs: tuple[int, int],
) -> HealthReport:
    settings = await queries.guild_settings(session, guild_id)
    if settings is None:
        raise UnknownGuild(guild_id)
    tz = _zone(settings.timezone)
    previous = current.previous()
    first_day = await queries.first_activity_day(session, guild_id)
    data_since = settings.joined_at
    if first_day is not None and utc_midnight(first_day) < data_since:
        data_since = utc_midnight(first_day)
    slack = timedelta(days=1)
    covered = data_since <= current.start + slack
    previous_covered = data_since <= previous.start + slack
    # The period before the previous one is only read for the previous active retention.
    retention_covered = data_since <= previous.previous().start + slack

    weeks = weeks_for(current, now, tz)
    first = min(previous.previous().first_day, weeks[0].first_day)
    folded = await weekly.fold_weeks(session, guild_id, first, now)
    data = await _read(session, guild_id, current, now, tz, folded)
    weekly_series = await weekly.weekly_activity(session, guild_id, weeks, folded)
    channels = await queries.channel_shares(session, guild_id, current, previous)
    bot_posts = (
        await queries.bot_messages(session, guild_id, current),
        await queries.bot_messages(session, guild_id, previous),
    )
    cur, prev = _measures(data, 0, current, funnels[0]), _measures(data, 1, previous, funnels[1])

    all_figures = _figures(cur, prev, covered, previous_covered)
    all_figures = [
        f
        if f.key not in ("retention.active_retention", "retention.churn") or retention_covered
        else replace(f, previous=None)
        for f in all_figures
    ]
    families: dict[str, list[Figure]] = {family: [] for family in FAMILIES}
    for figure in sorted(all_figures, key=lambda f: list(SPECS).index(f.key)):
        families[SPECS[figure.key].family].append(figure)

    active = (
        int(cur["participation.active_members"].value or 0),
        int(prev["participation.active_members"].value or 0),
    )
    found = [
        signals.newcomers_unanswered(newcomers.unanswered(funnels[0])),
        signals.fragile_core(
            cur["contribution.concentration"],
            cur["contribution.top10_share"],
            active[0],
            sum(a.messages for a in data.activity[0].values()),
        ),
    ]
    if previous_covered:
        found += [
            signals.going_vertical(
                cur["contribution.horizontal_share"], prev["contribution.horizontal_share"]
            ),
            signals.over_solicitation(
                bot_posts,
                active,
                (
                    int(cur["contribution.ritual_participants"].value or 0),
                    int(prev["contribution.ritual_participants"].value or 0),
                ),
                ritual_opt_outs=opt_outs,
            ),
            signals.interests_shifting(channels),
        ]
    if retention_covered:
        found.append(
            signals.churn_rising(
                cur["retention.active_retention"], prev["retention.active_retention"]
            )
        )
    return HealthReport(
        guild_id=guild_id,
        lang=guild_language(settings.language, settings.preferred_locale),
        timezone=tz.key,
        period=current,
        previous=previous,
        generated_at=now,
        data_since=data_since,
        weeks_of_data=max(0, (now - data_since).days // 7),
        families=families,
        cohorts=retention.cohort_table(data.people, data.days_posted, now, tz),
        weekly=_with_newcomers(weekly_series, data.people, tz),
        signals=[s for s in found if s is not None],
        funnel=newcomers.funnel_stages(funnels[0]),
    )


def _with_newcomers(
    weekly: list[WeekActivity], people: list[Person], tz: ZoneInfo
) -> list[WeekActivity]:
    counts: dict[date, int] = {}
    for person in people:
        if person.counted and person.joined_at is not None:
            monday = week_of(local_date(person.joined_at, tz)).first_day
            counts[monday] = counts.get(monday, 0) + 1
    return [replace(w, newcomers=counts.get(w.first_day, 0)) for w in weekly]
