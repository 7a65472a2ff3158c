"""`HealthReport`: everything /health, the weekly digest and `foyer report` show, built
from the queries (one transaction) and the pure computations of each family."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.db import Database
from bot.i18n import Lang, language_for_locale, parse_language
from bot.metrics import (
    advocacy,
    contribution,
    newcomers,
    participation,
    retention,
    signals,
)
from bot.metrics.activity import ActivitySummary, summarise
from bot.metrics.data import Measure, Person, WeekActivity
from bot.metrics.figures import FAMILIES, SPECS, Figure
from bot.metrics.newcomers import FunnelStage
from bot.metrics.reading import Frame, Inputs, fold_and_read_frame, read_inputs
from bot.metrics.retention import CohortRow
from bot.metrics.rituals import RitualRow, rituals_table
from bot.periods import Period, local_date, period_ending, week_of


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
    """The whole report for the `days`-day period ending today (UTC)."""
    frame = await fold_and_read_frame(db, guild_id, period_ending(now, days), now)
    data = await read_inputs(db, frame, now)
    report = _assemble(frame, data, now)
    report.rituals, fading = await rituals_table(db, guild_id, frame.current)
    report.signals = fading + report.signals
    return report


async def fold_ahead(db: Database, guild_id: int, now: datetime, days: int) -> None:
    """Fold what the day's first `days`-day report would otherwise fold (the completed
    weeks, the day's spans), so that report only reads. Run a few minutes after midnight
    (UTC), when the day's spans change."""
    await fold_and_read_frame(db, guild_id, period_ending(now, days), now)


def _measures(
    data: Inputs, i: int, period: Period, activity: ActivitySummary, kept: Measure
) -> dict[str, Measure]:
    """Every figure of one period (0: current, 1: previous), from its activity summary
    and active retention."""
    values = participation.participation(activity, data.heads[i])
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
    values |= contribution.interactions(activity)
    values |= newcomers.welcome_figures(data.funnels[i])
    values |= contribution.concentration(activity)
    values |= {"advocacy.nps": advocacy.nps(data.nps[i])}
    values |= advocacy.spotlight_effect(data.spotlights[i])
    values |= advocacy.recognition(activity)
    return values


def _assemble(frame: Frame, data: Inputs, now: datetime) -> HealthReport:
    current, previous = frame.current, frame.previous
    covered, previous_covered = frame.covers(current), frame.covers(previous)
    retention_covered = frame.covers(frame.before_previous)
    now_active = participation.active_ids(data.activity)
    now_summary, before = summarise(data.activity), frame.previous_facts
    cur = _measures(
        data,
        0,
        current,
        now_summary,
        retention.active_retention(len(data.active_before & now_active), len(data.active_before)),
    )
    prev = _measures(
        data, 1, previous, before.summary, retention.active_retention(before.kept, before.before)
    )

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
    return HealthReport(
        guild_id=frame.guild_id,
        lang=guild_language(frame.language, frame.preferred_locale),
        timezone=frame.tz.key,
        period=current,
        previous=previous,
        generated_at=now,
        data_since=frame.data_since,
        weeks_of_data=max(0, (now - frame.data_since).days // 7),
        families=families,
        cohorts=retention.cohort_table(data.people, data.days_posted, now, frame.tz),
        weekly=_with_newcomers(data.weekly, data.people, frame.tz),
        signals=_signals(
            data, cur, prev, now_summary.messages, previous_covered, retention_covered
        ),
        funnel=newcomers.funnel_stages(data.funnels[0]),
    )


def _signals(
    data: Inputs,
    cur: dict[str, Measure],
    prev: dict[str, Measure],
    member_messages: int,
    previous_covered: bool,
    retention_covered: bool,
) -> list[signals.Signal]:
    """Each rule on this report's figures; comparisons only when the data covers both."""
    active = (
        int(cur["participation.active_members"].value or 0),
        int(prev["participation.active_members"].value or 0),
    )
    found = [
        signals.newcomers_unanswered(newcomers.unanswered(data.funnels[0])),
        signals.fragile_core(
            cur["contribution.concentration"],
            cur["contribution.top10_share"],
            active[0],
            member_messages,
        ),
    ]
    if previous_covered:
        found += [
            signals.going_vertical(
                cur["contribution.horizontal_share"], prev["contribution.horizontal_share"]
            ),
            signals.over_solicitation(
                data.bot_posts,
                active,
                (
                    int(cur["contribution.ritual_participants"].value or 0),
                    int(prev["contribution.ritual_participants"].value or 0),
                ),
                ritual_opt_outs=data.opt_outs,
            ),
            signals.interests_shifting(data.channels),
        ]
    if retention_covered:
        found.append(
            signals.churn_rising(
                cur["retention.active_retention"], prev["retention.active_retention"]
            )
        )
    return [s for s in found if s is not None]


def _with_newcomers(
    weekly: list[WeekActivity], people: list[Person], tz: ZoneInfo
) -> list[WeekActivity]:
    counts: dict[date, int] = {}
    for person in people:
        if person.counted and person.joined_at is not None:
            monday = week_of(local_date(person.joined_at, tz)).first_day
            counts[monday] = counts.get(monday, 0) + 1
    return [replace(w, newcomers=counts.get(w.first_day, 0)) for w in weekly]
