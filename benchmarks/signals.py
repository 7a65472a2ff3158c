"""Benchmark: how soon each weak signal speaks on a real decline, and how often it fires on
healthy communities (false alarms).

Simulated communities, generated week by week (seeds below), feed the signal rules the
inputs `build_report` gives them, computed by the same pure functions: the ritual's
participants per occurrence through `bot.rituals.engagement.fading`; newcomers through the
welcome module's `compute_funnel` (`NewcomerFacts` as known at the report; the period's and
the recent windows the report reads for the signals) and
`bot.metrics.newcomers.unanswered`,
and `bot.metrics.retention.week4_windows`; weekly active retention through
`retention.weekly_active_retention`; contributor concentration through `activity.summarise` and
`contribution.concentration`; NPS as `NpsResult`; channel shares as `ChannelShare`;
moderation actions per kind as `ModerationWindows` (the last 14 days and the 56 before); then
every rule of `bot.metrics.signals`, one 28-day report per simulated week (the digest's).
What it skips: the recorder, the database and the SQL that turn Discord events into those
inputs (benchmarks/health.py and the integration tests cover that path).

Two sets:
- declines: per signal, communities of 50 to 5,000 members where one thing degrades from
  week 18 on, by a known size (see `DECLINES`);
- healthy controls: `CONTROLS` seeds of stable and growing communities of 50 to 5,000
  members, with week-to-week noise (activity, shares and ritual turnout vary by about
  10 % a week on top of the counting noise).

The delay is the number of weekly reports from the start of the decline to the first one
that fires the signal (1: the report at the end of the decline's first week); "missed" if
none of the 12 reports after the start does. False alarms are the control reports that fire
it. Reports start at week 11, once a 28-day period, the one before and the one before that
(active retention) are covered.

    .venv/bin/python benchmarks/signals.py [--controls 100] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.metrics import contribution, newcomers, retention, signals
from bot.metrics.activity import summarise
from bot.metrics.data import (
    MODERATION_KINDS,
    ChannelShare,
    Measure,
    MemberActivity,
    ModerationWindows,
    Person,
)
from bot.metrics.reading import INTRODUCTION_WINDOW, RECENT_NEWCOMERS
from bot.periods import Period
from bot.rituals.engagement import fading, fading_enough_data
from bot.survey.nps import NpsResult
from bot.welcome.funnel import NewcomerFacts, NewcomerFunnel, compute_funnel

T0 = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday: week 0
WEEKS = 30
FIRST_REPORT = 11  # the end of week 11: three covered 28-day periods behind it
DECLINE_START = 18
CONTROLS = 100
CHANNELS = 6
SIZES = (50, 120, 300, 800, 2000, 5000)
REPEATS = 5  # declines per size and signal (seeds)

# The decline of each signal, applied from DECLINE_START (see `Community`).
DECLINES = {
    "ritual_fading": "ritual participants fall by 50 % over 3 occurrences, then stay there",
    "newcomers_unanswered": "3 introductions in 5 left without a member's answer in 48 h",
    "newcomers_not_introducing": "newcomers introducing themselves: from 55-80 % to 20 %",
    "newcomers_not_staying": "week-4 activity of newcomers: from 25-45 % to 5 %",
    "advocacy_falling": "answers from ~+30 NPS to ~-25 (promoters 20 %, detractors 45 %)",
    "churn_rising": "a random 40 % of the members stop writing",
    "going_vertical": "the members' share of the interactions: from 75-95 % to 45 %",
    "fragile_core": "two members each write 1.5 times what all the others write",
    "over_solicitation": "bot posts x2.5, ritual turnout -40 %, ritual opt-outs x4",
    "interests_shifting": "one channel's share of messages: from ~8 % to 40 %",
    "tensions": "timeouts triple (a third of the moderation actions before), other kinds steady",
}


@dataclass(frozen=True)
class Community:
    seed: int
    members: int
    growth: float  # weekly growth of activity and joins
    decline: str | None = None


def week_start(week: int) -> datetime:
    return T0 + timedelta(weeks=week)


def report_period(week: int) -> Period:
    """The 28-day period of the report made at the end of `week`."""
    end = week_start(week + 1)
    return Period(end - timedelta(days=28), end)


class Simulation:
    """One community's 30 weeks, as the report's inputs."""

    def __init__(self, c: Community) -> None:
        self.c = c
        self.looked: set[str] = set()
        rng = np.random.default_rng(c.seed)
        self.rng = rng
        d = c.decline
        after = np.arange(WEEKS) >= DECLINE_START
        trend = (1 + c.growth) ** np.arange(WEEKS)
        m = c.members
        # members' activity: a weekly chance to write, a heavy-tailed message rate
        chance = rng.beta(0.6, 1.8, m)
        weekly = rng.lognormal(0, 0.08, WEEKS) * trend
        p = np.clip(np.outer(chance, weekly), 0, 0.95)
        if d == "churn_rising":
            quit_ = rng.random(m) < 0.40
            p[np.ix_(quit_, after)] = 0
        self.active = rng.random((m, WEEKS)) < p
        rate = rng.lognormal(math.log(0.8), 1.0, m)
        self.messages = self.active * (1 + rng.poisson(np.outer(rate, np.ones(WEEKS))))
        if d == "fragile_core":
            others = self.messages[2:].sum(axis=0)
            for i in (0, 1):
                self.messages[i, after] = (1.5 * others[after]).astype(int)
                self.active[i, after] = True
        weekly_msgs = self.messages.sum(axis=0)
        # interactions: members (peer) or staff, the members' share a little noisy
        horizontal = rng.uniform(0.75, 0.95)
        share = np.clip(horizontal + rng.normal(0, 0.02, WEEKS), 0, 1)
        if d == "going_vertical":
            share[after] = 0.45
        total = rng.poisson(0.4 * weekly_msgs + 5)
        self.peer = rng.binomial(total, share)
        self.interactions = total
        # channels
        shares = rng.dirichlet(np.full(CHANNELS, 4.0))
        if d == "interests_shifting":
            shares[0] = 0.08
            shares[1:] *= 0.92 / shares[1:].sum()
        noisy = shares[None, :] * rng.lognormal(0, 0.10, (WEEKS, CHANNELS))
        if d == "interests_shifting":
            noisy[after, 0] = 0.40 * noisy[after, 1:].sum(axis=1) / 0.60
        noisy /= noisy.sum(axis=1, keepdims=True)
        self.channels = np.array(
            [rng.multinomial(int(n), s) for n, s in zip(weekly_msgs, noisy, strict=True)]
        )
        # one weekly ritual
        usual = float(np.clip(0.3 * self.active.sum(axis=0)[:4].mean(), 4, 400))
        level = usual * trend * rng.lognormal(0, 0.10, WEEKS)
        if d in ("ritual_fading", "over_solicitation"):
            since = np.clip(np.arange(WEEKS) - DECLINE_START + 1, 0, None)
            fall = 0.5 if d == "ritual_fading" else 0.4
            level = level * (1 - fall * np.minimum(since, 3) / 3)
        self.ritual = rng.poisson(level)
        opt_rate = np.full(WEEKS, 0.05 + 0.0002 * m)
        if d == "over_solicitation":
            opt_rate[after] *= 4
        self.opt_outs = rng.poisson(opt_rate)
        # NPS answers
        answers = 0.05 * self.active.sum(axis=0)
        promoters, detractors = rng.uniform(0.40, 0.55), rng.uniform(0.10, 0.20)
        probs = np.tile([promoters, 1 - promoters - detractors, detractors], (WEEKS, 1))
        if d == "advocacy_falling":
            probs[after] = [0.20, 0.35, 0.45]
        self.nps = np.array(
            [rng.multinomial(rng.poisson(a), pr) for a, pr in zip(answers, probs, strict=True)]
        )
        self._newcomers(rng, m, trend)
        # the ritual, the digest and one welcome per newcomer
        self.bot_posts = (rng.poisson(2.0, WEEKS) + self.joins_per_week).astype(float)
        if d == "over_solicitation":
            self.bot_posts[after] *= 2.5
        self.bot_posts = self.bot_posts.round().astype(int)
        self._moderation(rng, m, trend)

    def _moderation(self, rng: np.random.Generator, m: int, trend: np.ndarray) -> None:
        """Moderation actions per week and kind (drawn last: the other inputs keep their
        draws): about 0.3 + 0.4 per 100 members a week, moving by ~15 % a week together,
        each kind a Poisson count of its share; Foyer watched the audit log from week 0."""
        level = (0.3 + 0.004 * m) * trend * rng.lognormal(0, 0.15, WEEKS)
        shares = dict(zip(MODERATION_KINDS, (0.35, 0.07, 0.08, 0.30, 0.20), strict=True))
        self.moderation = {k: rng.poisson(level * share) for k, share in shares.items()}
        if self.c.decline == "tensions":
            after = np.arange(WEEKS) >= DECLINE_START
            self.moderation["timeouts"][after] += rng.poisson(2 * level[after] * 0.35)

    def _tension_windows(self, week: int) -> ModerationWindows:
        """The last 14 days (2 weeks) and the 56 before them (8 weeks), as `tensions.py`."""
        return ModerationWindows(
            recent_days=14,
            baseline_days=56,
            recent={k: int(v[week - 1 : week + 1].sum()) for k, v in self.moderation.items()},
            baseline={k: int(v[week - 9 : week - 1].sum()) for k, v in self.moderation.items()},
        )

    def _newcomers(self, rng: np.random.Generator, m: int, trend: np.ndarray) -> None:
        d = self.c.decline
        introduce = rng.uniform(0.55, 0.80)
        answer = rng.uniform(0.88, 0.97)
        stay = rng.uniform(0.25, 0.45)
        start = week_start(DECLINE_START)
        joins = rng.poisson(max(1.5, 0.012 * m) * trend)
        self.joins_per_week = joins
        self.facts: list[NewcomerFacts] = []
        self.people: list[Person] = []
        self.days: dict[int, set[date]] = {}
        uid = 0
        for week, count in enumerate(joins):
            for _ in range(int(count)):
                uid += 1
                joined = week_start(week) + timedelta(seconds=float(rng.uniform(0, 7 * 86400)))
                declined = joined >= start
                intro_p = 0.20 if d == "newcomers_not_introducing" and declined else introduce
                introduced = None
                reply = None
                if rng.random() < intro_p:
                    introduced = joined + timedelta(hours=float(rng.uniform(0.5, 24)))
                    late = d == "newcomers_unanswered" and introduced >= start
                    if rng.random() < (0.40 if late else answer):
                        reply = introduced + timedelta(hours=float(rng.uniform(0.1, 47)))
                    elif rng.random() < 0.5:
                        reply = introduced + timedelta(hours=float(rng.uniform(50, 200)))
                left = None
                if rng.random() < 0.05:
                    left = joined + timedelta(days=float(rng.uniform(0.5, 6.5)))
                week4_start = joined + timedelta(days=21)
                stay_p = 0.05 if d == "newcomers_not_staying" and week4_start >= start else stay
                active4 = left is None and rng.random() < stay_p
                self.facts.append(
                    NewcomerFacts(
                        joined_at=joined,
                        introduced_at=introduced,
                        first_peer_reply_at=reply,
                        left_at=left,
                        active_week4=active4,
                    )
                )
                self.people.append(Person(uid, joined, left))
                if active4:
                    day = joined.date() + timedelta(days=int(rng.integers(21, 28)))
                    self.days[uid] = {day}

    def _funnel(self, period: Period, moment: datetime) -> NewcomerFunnel:
        """The funnel of the newcomers who joined in `period`, as the database holds it at
        `moment` (nothing that happens later is known yet)."""
        facts = [
            replace(
                f,
                introduced_at=_known(f.introduced_at, moment),
                first_peer_reply_at=_known(f.first_peer_reply_at, moment),
                left_at=_known(f.left_at, moment),
            )
            for f in self.facts
            if period.start <= f.joined_at < period.end
        ]
        return compute_funnel(facts, min(period.end, moment))

    def verdicts(self, week: int) -> set[str]:
        """The rules that fire in the report made at the end of `week` (by rule key); the
        rules that had the data to look are added to `self.looked`."""
        cur_weeks = slice(week - 3, week + 1)
        prev_weeks = slice(week - 7, week - 3)
        now, before = report_period(week), report_period(week - 4)
        moment = now.end
        active_now = self.active[:, cur_weeks].any(axis=1)
        active_before = self.active[:, prev_weeks].any(axis=1)
        # the writers of the last completed weeks, oldest first (the folded weeks)
        writer_weeks = [
            set(np.flatnonzero(self.active[:, w]).tolist())
            for w in range(week - retention.CHURN_WEEKS + 1, week + 1)
        ]
        msgs = self.messages[:, cur_weeks].sum(axis=1)
        activity = {int(i): MemberActivity(messages=int(msgs[i])) for i in np.flatnonzero(msgs)}
        summary = summarise(activity)
        core = contribution.concentration(summary)
        peer = (int(self.peer[cur_weeks].sum()), int(self.peer[prev_weeks].sum()))
        total = (int(self.interactions[cur_weeks].sum()), int(self.interactions[prev_weeks].sum()))
        horizontal = [Measure(p / n if n else None, n) for p, n in zip(peer, total, strict=True)]
        funnels = (self._funnel(now, moment), self._funnel(before, moment))
        recent = self._funnel(Period(moment - RECENT_NEWCOMERS, moment), moment)
        settled_end = moment - INTRODUCTION_WINDOW
        settled = self._funnel(Period(settled_end - RECENT_NEWCOMERS, settled_end), moment)
        introduced = [Measure(f.introduced.rate, f.introduced.eligible) for f in funnels]
        # as summary._signals: the latest settled newcomers, or the period's settled ones
        if settled.introduced.eligible < signals.MIN_RECENT_NEWCOMERS:
            settled = self._funnel(Period(now.start, settled_end), moment)
        introduced[0] = Measure(settled.introduced.rate, settled.introduced.eligible)
        week4 = retention.week4_windows(self.people, self.days, moment)
        nps = [
            NpsResult(*(int(x) for x in self.nps[weeks].sum(axis=0)))
            for weeks in (cur_weeks, prev_weeks)
        ]
        channels = [
            ChannelShare(
                c, int(self.channels[cur_weeks, c].sum()), int(self.channels[prev_weeks, c].sum())
            )
            for c in range(CHANNELS)
        ]
        active = (int(active_now.sum()), int(active_before.sum()))
        ritual_people = (
            round(0.5 * int(self.ritual[cur_weeks].sum())),
            round(0.5 * int(self.ritual[prev_weeks].sum())),
        )
        series = [int(x) for x in self.ritual[: week + 1]]
        found: list[signals.Verdict] = [
            signals.ritual_fading("R", fading(series), fading_enough_data(series)),
            signals.newcomers_unanswered(
                newcomers.unanswered(funnels[0]), newcomers.unanswered(recent)
            ),
            signals.newcomers_not_introducing(introduced[0], introduced[1]),
            signals.newcomers_not_staying(week4[0], week4[1]),
            signals.advocacy_falling(nps[0], nps[1]),
            signals.churn_rising(*retention.weekly_active_retention(writer_weeks)),
            signals.going_vertical(horizontal[0], horizontal[1]),
            signals.fragile_core(
                core["contribution.concentration"],
                core["contribution.top10_share"],
                summary.active,
                summary.messages,
            ),
            signals.over_solicitation(
                (int(self.bot_posts[cur_weeks].sum()), int(self.bot_posts[prev_weeks].sum())),
                active,
                ritual_people,
                (int(self.opt_outs[cur_weeks].sum()), int(self.opt_outs[prev_weeks].sum())),
            ),
            signals.interests_shifting(channels),
            signals.tensions(self._tension_windows(week)),
        ]
        self.looked |= {rule_of(v.key) for v in found if v or v.enough}
        return {rule_of(v.key) for v in found if isinstance(v, signals.Signal)}


def _known(moment: datetime | None, now: datetime) -> datetime | None:
    return moment if moment is not None and moment <= now else None


def rule_of(key: str) -> str:
    """The rule a signal key belongs to (`advocacy_falling_negative` -> `advocacy_falling`)."""
    return max((r for r in signals.RULE_KEYS if key.startswith(r)), key=len)


def controls(count: int) -> list[Community]:
    rng = np.random.default_rng(20261208)
    return [
        Community(
            seed=1000 + i,
            members=round(math.exp(rng.uniform(math.log(50), math.log(5000)))),
            growth=float(rng.choice([0.0, rng.uniform(0.0, 0.02)])),
        )
        for i in range(count)
    ]


def declines() -> list[Community]:
    return [
        Community(seed=5000 + 100 * k + 10 * j + r, members=size, growth=0.005, decline=key)
        for k, key in enumerate(DECLINES)
        for j, size in enumerate(SIZES)
        for r in range(REPEATS)
    ]


def run(control_count: int, progress: Callable[[str], None]) -> dict[str, dict[str, object]]:
    results: dict[str, dict[str, object]] = {
        key: {"delay_weeks": [], "missed": 0, "false_alarms": 0, "reports": 0} for key in DECLINES
    }
    details: dict[str, list[str]] = {key: [] for key in DECLINES}
    for community in controls(control_count):
        sim = Simulation(community)
        for week in range(FIRST_REPORT, WEEKS):
            fired = sim.verdicts(week)
            for key in DECLINES:
                results[key]["reports"] += 1  # type: ignore[operator]
                if key in fired:
                    results[key]["false_alarms"] += 1  # type: ignore[operator]
    progress("controls done")
    for community in declines():
        key = community.decline
        assert key is not None
        sim = Simulation(community)
        delay = None
        for week in range(DECLINE_START, WEEKS):
            if key in sim.verdicts(week):
                delay = week - DECLINE_START + 1
                break
        if delay is None:
            results[key]["missed"] += 1  # type: ignore[operator]
            why = "missed" if key in sim.looked else "no-data"
            details[key].append(f"{community.members}: {why}")
        else:
            results[key]["delay_weeks"].append(delay)  # type: ignore[attr-defined]
            details[key].append(f"{community.members}: {delay}")
    progress("declines done")
    for key, result in results.items():
        result["by_size"] = details[key]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--controls", type=int, default=CONTROLS, help="healthy seeds (30+)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    started = time.perf_counter()
    results = run(args.controls, lambda text: print(text, file=sys.stderr))
    elapsed = time.perf_counter() - started
    if args.json:
        out = {
            key: {k: v for k, v in value.items() if k != "by_size"}
            for key, value in results.items()
        }
        print(json.dumps({"signals": out}, indent=2))
        return 0
    declined = len(SIZES) * REPEATS
    print(f"{args.controls} healthy controls, {declined} declines per signal ({elapsed:.0f} s)")
    print("no-data: the rule never had its minimum of data (missed in the JSON)")
    print(f"{'signal':26} | " + " | ".join(f"{n:>9}" for n in SIZES) + " | false alarms")
    for key, r in results.items():
        cells = []
        by_size = [str(s).split(": ")[1] for s in r["by_size"]]  # type: ignore[attr-defined]
        for i in range(len(SIZES)):
            runs = by_size[i * REPEATS : (i + 1) * REPEATS]
            cells.append(
                ",".join("-" if x == "no-data" else "m" if x == "missed" else x for x in runs)
            )
        alarms = f"{r['false_alarms']}/{r['reports']}"
        print(f"{key:26} | " + " | ".join(f"{c:>9}" for c in cells) + f" | {alarms}")
    print("cells: delay in weekly reports per seed; m: missed; -: never its minimum of data")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
