"""`HealthReport`: everything /health, the weekly digest and `foyer report` show, built
from the queries (one transaction) and the pure computations of each family."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.db import Database
from bot.i18n import Lang
from bot.metrics import (
    advocacy,
    contribution,
    newcomers,
    participation,
    peers,
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
from bot.metrics.signals import Silent
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
    days_of_data: int  # whole days since Foyer arrived
    covered: bool  # Foyer was there for the whole current period
    families: dict[str, list[Figure]]
    cohorts: list[CohortRow]
    weekly: list[WeekActivity]
    signals: list[signals.Signal]
    funnel: list[FunnelStage]
    rituals: list[RitualRow] = field(default_factory=list)
    # the rules that looked and stayed silent (`enough`: they had the data to look)
    checked: list[Silent] = field(default_factory=list)

    def figures(self) -> Iterator[Figure]:
        for family in FAMILIES:
            yield from self.families[family]

    def figure(self, key: str) -> Figure:
        for figure in self.figures():
            if figure.key == key:
                return figure
        raise KeyError(key)


def _figures(
    current: Mapping[str, Measure],
    previous: Mapping[str, Measure],
    current_covered: bool,
    previous_covered: bool,
) -> list[Figure]:
    """Each figure beside its previous value. No previous value (and so no trend) when
    Foyer was not there for the whole previous period; `*` on the figures summed over a
    period it was not there for in full."""
    result = []
    for key, measure in current.items():
        spec = SPECS[key]
        before = previous.get(key)
        enough = spec.min_base is None or (measure.base or 0) >= spec.min_base
        covered = current_covered or not spec.over_period
        result.append(
            Figure(
                key,
                measure.value,
                before.value if before is not None and previous_covered else None,
                spec.kind,
                meaningful=covered and enough and measure.value is not None,
                base=measure.base,
                comparable=previous_covered,
            )
        )
    return result


async def build_report(db: Database, guild_id: int, days: int, now: datetime) -> HealthReport:
    """The whole report for the `days`-day period ending today (UTC)."""
    frame = await fold_and_read_frame(db, guild_id, period_ending(now, days), now)
    data = await read_inputs(db, frame, now)
    report = _assemble(frame, data, now)
    report.rituals, fading = await rituals_table(db, guild_id, frame.current)
    _sort_verdicts(report, fading)
    return report


def _sort_verdicts(report: HealthReport, rituals: list[signals.Verdict]) -> None:
    """The fired signals first in the report, rituals first; the silent rules once each
    (a rule is `enough` when it had the data to look at least once)."""
    verdicts = [*rituals, *report.signals, *report.checked]
    report.signals = [v for v in verdicts if isinstance(v, signals.Signal)]
    fired = {s.key for s in report.signals}
    enough: dict[str, bool] = {}
    missing: dict[str, str | None] = {}
    for verdict in verdicts:
        if isinstance(verdict, signals.Silent):
            enough[verdict.key] = enough.get(verdict.key, False) or verdict.enough
            missing[verdict.key] = missing.get(verdict.key) or verdict.missing
    report.checked = [
        signals.Silent(key, enough[key], None if enough[key] else missing[key])
        for key in signals.RULE_KEYS
        if key in enough and not any(f.startswith(key) for f in fired)
    ]


async def fold_ahead(db: Database, guild_id: int, now: datetime, days: int) -> None:
    """Fold what the day's first `days`-day report would otherwise fold (the completed
    weeks, the day's spans), so that report only reads. Run a few minutes after midnight
    (UTC), when the day's spans change."""
    await fold_and_read_frame(db, guild_id, period_ending(now, days), now)


def _measures(
    data: Inputs,
    i: int,
    period: Period,
    activity: ActivitySummary,
    kept: Measure,
    joined: list[Person],
    now: datetime,
) -> dict[str, Measure]:
    """Every figure of one period (0: current, 1: previous), from its activity summary
    and active retention; newcomers among `joined` (the joins Foyer saw), every window
    judged at `now`."""
    values = participation.participation(activity, data.heads[i])
    days = data.days_posted
    values |= {
        "retention.newcomers": retention.newcomers(joined, period),
        "retention.week1_retention": retention.week1_retention(joined, period, now),
        "retention.activation": retention.activation(joined, days, period, now),
        "retention.week4_conversion": retention.week4_conversion(joined, days, period, now),
        "retention.active_retention": kept,
        "retention.churn": retention.churn(kept),
    }
    values |= retention.leavers(data.people, period)
    values |= contribution.interactions(activity)
    values |= newcomers.welcome_figures(data.funnels[i])
    values |= contribution.concentration(activity)
    values |= {"advocacy.nps": advocacy.nps(data.nps[i])}
    if data.buddies is not None:
        figures = data.buddies.current if i == 0 else data.buddies.previous
        buddied = data.buddies.buddied_ids
        values |= peers.buddy_measures(figures, buddied, joined, days, period, now)
    if data.intros is not None:
        values |= peers.intros_measures(data.intros[i])
    values |= advocacy.spotlight_effect(data.spotlights[i])
    values |= advocacy.recognition(activity)
    return values


def _assemble(frame: Frame, data: Inputs, now: datetime) -> HealthReport:
    current, previous = frame.current, frame.previous
    covered, previous_covered = frame.covers(current), frame.covers(previous)
    retention_covered = frame.covers(frame.before_previous)
    now_active = participation.active_ids(data.activity)
    now_summary, before = summarise(data.activity), frame.previous_facts
    joined = retention.seen_joining(data.people, frame.data_since)
    cur = _measures(
        data,
        0,
        current,
        now_summary,
        retention.active_retention(len(data.active_before & now_active), len(data.active_before)),
        joined,
        now,
    )
    prev = _measures(
        data,
        1,
        previous,
        before.summary,
        retention.active_retention(before.kept, before.before),
        joined,
        now,
    )

    all_figures = _figures(cur, prev, covered, previous_covered)
    all_figures = [
        f
        if f.key not in ("retention.active_retention", "retention.churn") or retention_covered
        else replace(f, previous=None, comparable=False)
        for f in all_figures
    ]
    families: dict[str, list[Figure]] = {family: [] for family in FAMILIES}
    for figure in sorted(all_figures, key=lambda f: list(SPECS).index(f.key)):
        families[SPECS[figure.key].family].append(figure)
    week4 = retention.week4_windows(joined, data.days_posted, now)
    verdicts = _signals(data, cur, prev, now_summary.messages, previous_covered, week4)
    return HealthReport(
        guild_id=frame.guild_id,
        lang=frame.lang,
        timezone=frame.tz.key,
        period=current,
        previous=previous,
        generated_at=now,
        data_since=frame.data_since,
        weeks_of_data=max(0, (now - frame.data_since).days // 7),
        days_of_data=max(0, (now - frame.data_since).days),
        covered=covered,
        families=families,
        cohorts=retention.cohort_table(joined, data.days_posted, now, frame.tz),
        weekly=_seen_weeks(_with_newcomers(data.weekly, joined, frame.tz), frame),
        signals=[v for v in verdicts if isinstance(v, signals.Signal)],
        funnel=newcomers.funnel_stages(data.funnels[0]),
        checked=[v for v in verdicts if isinstance(v, signals.Silent)],
    )


def _signals(
    data: Inputs,
    cur: dict[str, Measure],
    prev: dict[str, Measure],
    member_messages: int,
    previous_covered: bool,
    week4: tuple[Measure, Measure],
) -> list[signals.Verdict]:
    """Each rule on this report's figures; comparisons only when the data covers both
    periods (a rule that needs the previous period and cannot have it lacks data). The
    week-4 and churn rules read their own weekly windows (`week4`: recent and baseline
    cohorts; `data.writer_weeks`), the same whatever the period."""
    active = (
        int(cur["participation.active_members"].value or 0),
        int(prev["participation.active_members"].value or 0),
    )
    introduced = [Measure(f.introduced.rate, f.introduced.eligible) for f in data.funnels]
    # newcomers who have all had 48 h to introduce themselves: the latest, or the period's
    settled = data.settled_funnel
    if settled is None or settled.introduced.eligible < signals.MIN_RECENT_NEWCOMERS:
        settled = data.settled_period_funnel
    if settled is not None:
        introduced[0] = Measure(settled.introduced.rate, settled.introduced.eligible)
    found: list[signals.Verdict] = [
        signals.newcomers_unanswered(
            newcomers.unanswered(data.funnels[0]),
            None if data.recent_funnel is None else newcomers.unanswered(data.recent_funnel),
        ),
        signals.newcomers_not_introducing(
            introduced[0], introduced[1] if previous_covered else None
        ),
        signals.advocacy_falling(data.nps[0], data.nps[1] if previous_covered else None),
        signals.fragile_core(
            cur["contribution.concentration"],
            cur["contribution.top10_share"],
            active[0],
            member_messages,
        ),
        signals.tensions(data.moderation),
        signals.newcomers_not_staying(*week4),
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
    else:
        found += [
            signals.Silent(key, enough=False) for key in ("going_vertical", "interests_shifting")
        ]
    if data.writer_weeks is not None:
        found.append(signals.churn_rising(*retention.weekly_active_retention(data.writer_weeks)))
    else:
        found.append(signals.Silent("churn_rising", enough=False))
    return found


def _seen_weeks(weekly: list[WeekActivity], frame: Frame) -> list[WeekActivity]:
    """The weeks Foyer saw at least a day of: those before its arrival would be drawn as
    zeros that never happened."""
    arrived = local_date(frame.data_since, frame.tz)
    return [w for w in weekly if w.first_day + timedelta(days=7) > arrived]


def _with_newcomers(
    weekly: list[WeekActivity], people: list[Person], tz: ZoneInfo
) -> list[WeekActivity]:
    counts: dict[date, int] = {}
    for person in people:
        if person.counted and person.joined_at is not None:
            monday = week_of(local_date(person.joined_at, tz)).first_day
            counts[monday] = counts.get(monday, 0) + 1
    return [replace(w, newcomers=counts.get(w.first_day, 0)) for w in weekly]
