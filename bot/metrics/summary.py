"""`HealthReport`: everything /health, the weekly digest and `foyer report` show, built in
one read transaction from the queries and the pure computations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.i18n import Lang, language_for_locale, parse_language
from bot.metrics import advocacy, contribution, participation, queries, retention, signals
from bot.metrics.data import Measure, Person, WeekActivity
from bot.metrics.figures import FAMILIES, SPECS, Figure, unavailable
from bot.metrics.periods import Period, local_date, period_ending, utc_midnight, week_of, weeks_for
from bot.metrics.retention import COHORT_WEEKS, CohortRow
from bot.metrics.rituals import RitualRow, rituals_table

# Features whose figures are not wired yet: shown as "not available yet".
PENDING_FIGURES = ("advocacy.spotlight_effect",)
PENDING_SECTIONS: tuple[str, ...] = ()


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
    funnel: list[tuple[str, int]]
    rituals: list[RitualRow] = field(default_factory=list)
    unavailable_sections: tuple[str, ...] = PENDING_SECTIONS
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
    """The whole report for the `days`-day period ending today (UTC), in one snapshot."""
    async with db.session() as session:
        report = await _build(session, guild_id, days, now)
    report.rituals, fading = await rituals_table(db, guild_id, report.period)
    report.signals = fading + report.signals
    return report


async def _build(session: AsyncSession, guild_id: int, days: int, now: datetime) -> HealthReport:
    settings = await queries.guild_settings(session, guild_id)
    if settings is None:
        raise UnknownGuild(guild_id)
    tz = _zone(settings.timezone)
    current = period_ending(now, days)
    previous = current.previous()
    before_previous = previous.previous()

    first_day = await queries.first_activity_day(session, guild_id)
    data_since = settings.joined_at
    if first_day is not None and utc_midnight(first_day) < data_since:
        data_since = utc_midnight(first_day)
    slack = timedelta(days=1)
    covered = data_since <= current.start + slack
    previous_covered = data_since <= previous.start + slack

    activity = await queries.member_activity(
        session, guild_id, [current, previous, before_previous]
    )
    heads = [
        await queries.headcount(session, guild_id, current.end),
        await queries.headcount(session, guild_id, previous.end),
    ]
    weeks = weeks_for(current, now, tz)
    cohort_start = utc_midnight(week_of(local_date(now, tz)).next(-COHORT_WEEKS).first_day)
    window_start = min(previous.start - retention.FOUR_WEEKS, cohort_start - timedelta(days=1))
    people = await queries.people_since(session, guild_id, window_start)
    days_posted = await queries.message_days(session, guild_id, window_start, window_start.date())
    weekly = await queries.weekly_activity(session, guild_id, weeks)
    weekly = _with_newcomers(weekly, people, tz)
    threads = await queries.welcome_threads(session, guild_id, previous.start - timedelta(days=14))
    intros = contribution.introductions(threads)
    channels = await queries.channel_shares(session, guild_id, current, previous)
    bot_posts = (
        await queries.bot_messages(session, guild_id, current),
        await queries.bot_messages(session, guild_id, previous),
    )
    spotlights = (
        await queries.spotlights_posted(session, guild_id, current),
        await queries.spotlights_posted(session, guild_id, previous),
    )
    scores = (
        await queries.survey_scores(session, guild_id, current),
        await queries.survey_scores(session, guild_id, previous),
    )

    measures: list[dict[str, Measure]] = []
    for i, period in enumerate((current, previous)):
        acts, earlier = activity[i], activity[i + 1]
        values: dict[str, Measure] = {}
        values |= participation.participation(acts, heads[i])
        kept = retention.active_retention(
            participation.active_ids(earlier), participation.active_ids(acts)
        )
        values |= {
            "retention.newcomers": retention.newcomers(people, period),
            "retention.week1_retention": retention.week1_retention(people, period),
            "retention.activation": retention.activation(people, days_posted, period),
            "retention.week4_conversion": retention.week4_conversion(people, days_posted, period),
            "retention.active_retention": kept,
            "retention.churn": retention.churn(kept),
        }
        values |= retention.leavers(people, period)
        values |= contribution.interactions(acts)
        values |= contribution.welcome_figures(intros, period)
        values |= contribution.concentration(acts)
        values |= {
            "advocacy.nps": advocacy.nps(scores[i]),
            "advocacy.spotlights": Measure(spotlights[i]),
        }
        values |= advocacy.recognition(acts)
        measures.append(values)

    # The period before the previous one is only read for the previous active retention.
    prev_covered = previous_covered and data_since <= before_previous.start + slack
    all_figures = _figures(measures[0], measures[1], covered, previous_covered)
    all_figures = [
        f
        if f.key not in ("retention.active_retention", "retention.churn") or prev_covered
        else Figure(f.key, f.value, None, f.kind, f.meaningful, f.base)
        for f in all_figures
    ]
    all_figures += [unavailable(key, SPECS[key].kind) for key in PENDING_FIGURES]
    families: dict[str, list[Figure]] = {family: [] for family in FAMILIES}
    for figure in all_figures:
        families[SPECS[figure.key].family].append(figure)
    for family in FAMILIES:
        families[family].sort(key=lambda f: list(SPECS).index(f.key))

    cur, prev = measures
    member_messages = sum(a.messages for a in activity[0].values())
    found = [
        signals.newcomers_unanswered(contribution.unanswered(intros, current, now)),
        signals.churn_rising(cur["retention.active_retention"], prev["retention.active_retention"])
        if prev_covered
        else None,
        signals.going_vertical(
            cur["contribution.horizontal_share"], prev["contribution.horizontal_share"]
        )
        if previous_covered
        else None,
        signals.fragile_core(
            cur["contribution.concentration"],
            cur["contribution.top10_share"],
            int(cur["participation.active_members"].value or 0),
            member_messages,
        ),
        signals.over_solicitation(
            bot_posts,
            (
                int(cur["participation.active_members"].value or 0),
                int(prev["participation.active_members"].value or 0),
            ),
            (
                int(cur["contribution.ritual_participants"].value or 0),
                int(prev["contribution.ritual_participants"].value or 0),
            ),
        )
        if previous_covered
        else None,
        signals.interests_shifting(channels) if previous_covered else None,
    ]
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
        cohorts=retention.cohort_table(people, days_posted, now, tz),
        weekly=weekly,
        signals=[s for s in found if s is not None],
        funnel=retention.newcomer_funnel(
            people,
            {i.owner_id: i.first_reply_at is not None for i in intros},
            days_posted,
            current,
        ),
    )


def _with_newcomers(
    weekly: list[WeekActivity], people: list[Person], tz: ZoneInfo
) -> list[WeekActivity]:
    counts = [0] * len(weekly)
    for person in people:
        if not person.counted or person.joined_at is None:
            continue
        day = local_date(person.joined_at, tz)
        for i, week in enumerate(weekly):
            if week.first_day <= day < week.first_day + timedelta(days=7):
                counts[i] += 1
    return [replace(w, newcomers=c) for w, c in zip(weekly, counts, strict=True)]
