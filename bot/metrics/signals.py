"""Weak signals: small changes worth an admin's attention. Each rule pairs a size (a fall
of 10 points, 30 % fewer participants...) with an exact one-sided test on the counts
behind it (`bot.stats`), so it speaks after 3 or 4 occurrences when the change is large,
and stays silent on noise: it fires on an unchanged community at most 1 time in 100
(`ALPHA`; a rule with two branches gives each half). Below its minimum of data a rule
says nothing. Thresholds are the defaults of docs/metrics.md; `benchmarks/signals.py`
measures the delays and false alarms.

A rule returns a `Signal` (it fired: its key and the numbers its sentence, evidence and
action need) or a falsy `Silent` (it looked: `enough` says whether it had the data to).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.i18n import formatting, t
from bot.metrics.data import MODERATION_KINDS, ChannelShare, Measure, ModerationWindows
from bot.rituals.engagement import Fading
from bot.stats import (
    binomial_cdf,
    binomial_sf,
    normal_below,
    rate_fell,
    rate_rose,
    share_fell,
    share_rose,
)
from bot.survey.nps import NpsResult

ALPHA = 0.01  # the largest share of reports on an unchanged community that may fire a rule
POINTS = 0.10  # a fall (or move) of 10 points
MIN_RETENTION_BASE = 10  # members active in the earlier period, for both ratios
MIN_INTERACTIONS = 20  # peer + staff interactions in each period
MIN_CORE_ACTIVE = 10  # active members for "fragile core"
MIN_CORE_MESSAGES = 100
CORE_CONCENTRATION = 2
CORE_TOP10_SHARE = 0.60
CORE_TOP_PEOPLE = 10  # the top-10 % rule applies while that top 10 % is this many or fewer
MIN_INTRODUCTIONS = 3  # introductions whose 48 h window has closed
# the recent windows are read instead of the period's from this many introductions or
# newcomers: fewer would trade the period's power for recency
MIN_RECENT_INTRODUCTIONS = 10  # in the last 14 days
MIN_RECENT_NEWCOMERS = 10  # in the 14 days before the last 48 hours
UNANSWERED_SHARE = 0.30
UNANSWERED_HEALTHY = 0.10  # the test's null: at most 1 introduction in 10 left unanswered
MIN_NEWCOMERS = 5  # newcomers (or week-4 cohort members) in each period compared
INTRODUCED_FALL = 0.20  # the share of newcomers introducing themselves, down 20 points
INTRODUCED_LOW = 0.35  # ...or under 35 %
INTRODUCED_HEALTHY = 0.50  # the test's null for "under": at least half introduce themselves
WEEK4_FALL = 0.15
MIN_WEEK4_BASELINE = 10  # newcomers in the baseline's cohorts (8 weeks of them)
MIN_NPS_ANSWERS = 10
NPS_FALL = 15.0
MIN_SOLICITATION_ACTIVE = 10
MIN_BOT_POSTS = 8
SOLICITATION_RISE = 0.20  # bot posts per active member up by 20 % or more
RITUAL_PARTICIPANTS_FALL = 0.20
MIN_RITUAL_PARTICIPANTS = 5  # in the previous period
MIN_OPT_OUTS = 3  # ritual opt-outs in the period, for the opt-out branch
MIN_CHANNEL_MESSAGES = 200  # member messages in each period
MIN_CHANNEL_OWN = 20  # the moving channel had at least this many in one period
TENSIONS_RECENT_DAYS = 14  # the recent moderation actions: the last 14 UTC days
TENSIONS_BASELINE_DAYS = 56  # ...against up to 8 weeks watched before them
MIN_TENSIONS_BASELINE_DAYS = 28  # days watched before the recent ones
MIN_TENSIONS_ACTIONS = 5  # moderation actions in the recent days
TENSIONS_RISE = 2.0  # the recent pace at least twice the baseline's

SIGNAL_KEYS = (
    "ritual_fading",
    "newcomers_unanswered",
    "newcomers_not_introducing",
    "newcomers_not_introducing_low",
    "newcomers_not_staying",
    "advocacy_falling",
    "advocacy_falling_negative",
    "churn_rising",
    "going_vertical",
    "fragile_core",
    "over_solicitation",
    "over_solicitation_opt_outs",
    "interests_shifting",
    "tensions",
)
# The rules, by the key shown when a rule looked and stayed silent (a rule with two
# branches has one key for both).
RULE_KEYS = (
    "ritual_fading",
    "newcomers_unanswered",
    "newcomers_not_introducing",
    "newcomers_not_staying",
    "advocacy_falling",
    "churn_rising",
    "going_vertical",
    "fragile_core",
    "over_solicitation",
    "interests_shifting",
    "tensions",
)


# Params rendered with a plural unit (as `<param>_n`): {param: unit key}.
_UNITS = {"people": "health.unit.member"}


@dataclass(frozen=True)
class Signal:
    key: str
    params: Mapping[str, object] = field(default_factory=dict)
    p_value: float | None = None  # the test's: how likely this is on noise alone

    def __bool__(self) -> bool:
        return True

    def _params(self, lang: str) -> dict[str, object]:
        shown = dict(self.params)
        for name, unit in _UNITS.items():
            value = shown.get(name)
            if isinstance(value, int):
                shown[f"{name}_n"] = t(unit, lang, count=value)
        if self.key == "tensions":
            shown |= _tension_params(self.params, lang)
        return shown

    def sentence(self, lang: str) -> str:
        return t(f"health.signal.{self.key}.text", lang, **self._params(lang))

    def evidence(self, lang: str) -> str:
        """The numbers behind it, and how unlikely they are on noise."""
        text = t(f"health.signal.{self.key}.evidence", lang, **self._params(lang))
        if self.p_value is None:
            return text
        odds = 1000 if self.p_value < 0.001 else 100
        shown = f"{odds:,}".replace(",", "\u202f" if lang == "fr" else ",")
        return f"{text} {t('health.signals.odds', lang, odds=shown)}"

    def action(self, lang: str) -> str:
        return t(f"health.signal.{self.key}.action", lang, **self._params(lang))


@dataclass(frozen=True)
class Silent:
    """A rule that did not fire: `enough` is False when it lacked the data to look."""

    key: str
    enough: bool = True
    # the catalogue key of what Foyer lacks to look at all (a permission), when it does
    missing: str | None = None

    def __bool__(self) -> bool:
        return False


Verdict = Signal | Silent


def _pct(value: float) -> int:
    return round(100 * value)


def _count(measure: Measure) -> tuple[int, int]:
    """(successes, base) of a share."""
    base = measure.base or 0
    return round((measure.value or 0.0) * base), base


def _share_fell(key: str, current: Measure, previous: Measure, base: int, fall: float) -> Verdict:
    """A share fell by `fall` or more, each resting on `base` or more, Fisher p <= ALPHA."""
    if current.value is None or previous.value is None:
        return Silent(key, enough=False)
    if (current.base or 0) < base or (previous.base or 0) < base:
        return Silent(key, enough=False)
    if previous.value - current.value < fall - 1e-9:
        return Silent(key)
    p = share_fell(*_count(current), *_count(previous))
    if p > ALPHA:
        return Silent(key)
    now, before = _count(current), _count(previous)
    return Signal(
        key,
        {
            "now": _pct(current.value),
            "before": _pct(previous.value),
            "base": now[1],
            "base_before": before[1],
        },
        p,
    )


def churn_rising(recent: Measure, baseline: Measure) -> Verdict:
    """Weekly active retention (`retention.weekly_active_retention`: of the members who
    wrote in the 3 weeks before the last 2, those who wrote in the last 2) fell by 10
    points or more against its pooled baseline of the 4 weeks before, Fisher p <= 1 %;
    each rests on >= 10 members."""
    return _share_fell("churn_rising", recent, baseline, MIN_RETENTION_BASE, POINTS)


def going_vertical(current: Measure, previous: Measure) -> Verdict:
    """Horizontal share fell by 10 points or more, Fisher p <= 1 %; >= 20 interactions in
    each period."""
    return _share_fell("going_vertical", current, previous, MIN_INTERACTIONS, POINTS)


def newcomers_not_staying(recent: Measure, baseline: Measure) -> Verdict:
    """Week-4 conversion of the cohorts whose 4th week ended in the last 14 days fell by 15
    points or more against those whose 4th week ended in the 56 days before
    (`retention.week4_windows`), Fisher p <= 1 %; >= 5 newcomers in the recent cohorts and
    >= 10 in the baseline's."""
    key = "newcomers_not_staying"
    if (baseline.base or 0) < MIN_WEEK4_BASELINE:
        return Silent(key, enough=False)
    return _share_fell(key, recent, baseline, MIN_NEWCOMERS, WEEK4_FALL)


def fragile_core(
    concentration: Measure, top10: Measure, active_members: int, member_messages: int
) -> Verdict:
    """Two people or fewer write half the messages, or the top 10 % write over 60 % while
    that top 10 % is a handful of people (at most 10). Needs >= 10 active members and
    >= 100 member messages (below that, a small core is normal). In a large community the
    top 10 % is hundreds of people and a heavy tail is the norm (90-9-1), not fragility.
    A state, not a change: no test."""
    if active_members < MIN_CORE_ACTIVE or member_messages < MIN_CORE_MESSAGES:
        return Silent("fragile_core", enough=False)
    few = concentration.value is not None and concentration.value <= CORE_CONCENTRATION
    top_people = math.ceil(active_members / 10)
    heavy = (
        top10.value is not None and top10.value > CORE_TOP10_SHARE and top_people <= CORE_TOP_PEOPLE
    )
    if not (few or heavy):
        return Silent("fragile_core")
    return Signal(
        "fragile_core",
        {
            "people": int(concentration.value or 0),
            "top_share": _pct(top10.value or 0),
            "active": active_members,
            "messages": member_messages,
        },
    )


def newcomers_unanswered(share: Measure, recent: Measure | None = None) -> Verdict:
    """More than 30 % of introductions got no peer reply within 48 h, and a binomial test
    rejects "at most 10 % unanswered" at 1 %; >= 3 introductions whose 48 h are over.
    The introductions are the latest: those of the last 14 days (`recent`) when there are
    10 or more, else the period's. Which window is read depends only on how many
    introductions there are, never on the answers: still one test at 1 %."""
    key = "newcomers_unanswered"
    if recent is not None and (recent.base or 0) >= MIN_RECENT_INTRODUCTIONS:
        share = recent
    if share.value is None or (share.base or 0) < MIN_INTRODUCTIONS:
        return Silent(key, enough=False)
    unanswered, base = _count(share)
    if share.value <= UNANSWERED_SHARE + 1e-9:
        return Silent(key)
    p = binomial_sf(unanswered, base, UNANSWERED_HEALTHY)
    if p > ALPHA:
        return Silent(key)
    return Signal(key, {"share": _pct(share.value), "count": base, "unanswered": unanswered}, p)


def newcomers_not_introducing(current: Measure, previous: Measure | None) -> Verdict:
    """The share of newcomers who posted in their welcome thread fell by 20 points or more
    (Fisher p <= 0.5 %; `previous` is None when the previous period is not covered), or
    is under 35 % while a binomial test rejects "at least half" at 0.5 %. >= 5 newcomers
    in each period."""
    key = "newcomers_not_introducing"
    if current.value is None or (current.base or 0) < MIN_NEWCOMERS:
        return Silent(key, enough=False)
    introduced, base = _count(current)
    comparable = (
        previous is not None
        and previous.value is not None
        and (previous.base or 0) >= MIN_NEWCOMERS
        and previous.value - current.value >= INTRODUCED_FALL - 1e-9
    )
    if comparable:
        assert previous is not None and previous.value is not None
        p = share_fell(introduced, base, *_count(previous))
        if p <= ALPHA / 2:
            return Signal(
                key,
                {
                    "now": _pct(current.value),
                    "before": _pct(previous.value),
                    "newcomers": base,
                    "introduced": introduced,
                },
                p,
            )
    if current.value < INTRODUCED_LOW - 1e-9:
        p = binomial_cdf(introduced, base, INTRODUCED_HEALTHY)
        if p <= ALPHA / 2:
            return Signal(
                "newcomers_not_introducing_low",
                {"now": _pct(current.value), "newcomers": base, "introduced": introduced},
                p,
            )
    return Silent(key)


def advocacy_falling(current: NpsResult, previous: NpsResult | None) -> Verdict:
    """NPS down 15 points or more against the previous period (a z-test on the two scores,
    p <= 0.5 %; `previous` None when not covered), or below 0 with more detractors than
    promoters by a sign test at 0.5 %. >= 10 answers in each period."""
    key = "advocacy_falling"
    if current.nps is None or current.answers < MIN_NPS_ANSWERS:
        return Silent(key, enough=False)
    if previous is not None and previous.nps is not None and previous.answers >= MIN_NPS_ANSWERS:
        drop = previous.nps - current.nps
        spread = math.hypot(_nps_error(current), _nps_error(previous))
        if drop >= NPS_FALL - 1e-9 and spread > 0:
            p = normal_below(-drop / spread)
            if p <= ALPHA / 2:
                return Signal(
                    key,
                    {
                        "now": round(current.nps),
                        "before": round(previous.nps),
                        "answers": current.answers,
                        "answers_before": previous.answers,
                    },
                    p,
                )
    if current.nps < 0:
        decided = current.promoters + current.detractors
        p = binomial_sf(current.detractors, decided, 0.5)
        if p <= ALPHA / 2:
            return Signal(
                "advocacy_falling_negative",
                {
                    "now": round(current.nps),
                    "answers": current.answers,
                    "promoters": current.promoters,
                    "detractors": current.detractors,
                },
                p,
            )
    return Silent(key)


def _nps_error(result: NpsResult) -> float:
    """Standard error of an NPS, in points."""
    n = result.answers
    mean = (result.promoters - result.detractors) / n
    variance = max((result.promoters + result.detractors) / n - mean * mean, 0.0)
    return 100.0 * math.sqrt(variance / n)


def over_solicitation(
    bot_posts: tuple[int, int],
    active: tuple[int, int],
    ritual_participants: tuple[int, int],
    ritual_opt_outs: tuple[int, int] | None = None,
) -> Verdict:
    """Ritual opt-outs rose (>= 3, Poisson test at 0.5 %), or bot posts per active member
    rose by 20 % or more while ritual participants fell by 20 % or more (Poisson test at
    0.5 %). Pairs are (current, previous). The second branch needs >= 10 active members in
    each period, >= 8 bot posts now and >= 5 ritual participants before."""
    key = "over_solicitation"
    if ritual_opt_outs is not None and ritual_opt_outs[0] >= MIN_OPT_OUTS:
        now, before = ritual_opt_outs
        p = rate_rose(now, 1, before, 1)
        if now > before and p <= ALPHA / 2:
            return Signal(
                "over_solicitation_opt_outs", {"opt_outs": now, "opt_outs_before": before}, p
            )
    if min(active) < MIN_SOLICITATION_ACTIVE or bot_posts[0] < MIN_BOT_POSTS:
        return Silent(key, enough=ritual_opt_outs is not None)
    if ritual_participants[1] < MIN_RITUAL_PARTICIPANTS:
        return Silent(key, enough=ritual_opt_outs is not None)
    per_now, per_before = bot_posts[0] / active[0], bot_posts[1] / active[1]
    rose = per_now >= per_before * (1 + SOLICITATION_RISE) and per_now > per_before
    now, before = ritual_participants
    fell = now <= before * (1 - RITUAL_PARTICIPANTS_FALL) + 1e-9
    p = rate_fell(now, 1, before, 1)
    if not (rose and fell and p <= ALPHA / 2):
        return Silent(key)
    return Signal(
        key,
        {
            "before": before,
            "now": now,
            "posts": bot_posts[0],
            "posts_before": bot_posts[1],
        },
        p,
    )


def interests_shifting(channels: Sequence[ChannelShare]) -> Verdict:
    """A channel's share of member messages moved by 10 points or more, and a Fisher test
    says so at 1 % divided by the number of channels looked at (Bonferroni); needs >= 200
    member messages in each period and >= 20 in the channel in one of them. Names the
    channel that moved most."""
    key = "interests_shifting"
    total_now = sum(c.messages for c in channels)
    total_before = sum(c.previous for c in channels)
    if total_now < MIN_CHANNEL_MESSAGES or total_before < MIN_CHANNEL_MESSAGES:
        return Silent(key, enough=False)
    looked = [c for c in channels if max(c.messages, c.previous) >= MIN_CHANNEL_OWN]
    best: tuple[float, ChannelShare, float] | None = None
    for channel in looked:
        move = channel.messages / total_now - channel.previous / total_before
        if abs(move) < POINTS - 1e-9 or (best is not None and abs(move) <= abs(best[0])):
            continue
        test = share_rose if move > 0 else share_fell
        p = test(channel.messages, total_now, channel.previous, total_before)
        if p <= ALPHA / len(looked):
            best = (move, channel, p)
    if best is None:
        return Silent(key)
    move, channel, p = best
    return Signal(
        key,
        {
            "channel": f"<#{channel.channel_id}>",
            "now": round(100 * channel.messages / total_now),
            "before": round(100 * channel.previous / total_before),
            "messages": channel.messages,
            "total": total_now,
        },
        p,
    )


def ritual_fading(name: str, verdict: Fading | None, enough: bool = True) -> Verdict:
    """The rituals module decides whether a ritual is fading (`bot.rituals.engagement`,
    rule and thresholds there); this renders its verdict."""
    if verdict is None:
        return Silent("ritual_fading", enough=enough)
    return Signal(
        "ritual_fading",
        {
            "ritual": name,
            "recent": round(verdict.recent_mean),
            "usual": round(verdict.usual_mean),
            "occurrences": len(verdict.recent),
            "usual_occurrences": len(verdict.usual),
            "last": " → ".join(map(str, verdict.recent)),
        },
        verdict.p_value,
    )


# the series the tensions rule tests, in this order: (kind, unit key); "all" is every kind
_MODERATION_UNITS = {
    "all": "health.unit.moderation_action",
    "timeouts": "health.unit.timeout",
    "bans": "health.unit.ban",
    "kicks": "health.unit.kick",
    "deletions": "health.unit.moderator_deletion",
    "automod": "health.unit.automod_action",
}


def _tension_params(params: Mapping[str, object], lang: str) -> dict[str, object]:
    """The series that rose, with its unit; the kinds counted, with theirs; the baseline
    with its unit; the usual count with one decimal at most, in the language's way."""

    def number(name: str) -> float:
        value = params.get(name, 0)
        return float(value) if isinstance(value, int | float) else 0.0

    series = str(params.get("series", "all"))
    kinds = [(int(number(k)), unit) for k, unit in _MODERATION_UNITS.items() if k != "all"]
    return {
        "recent_n": t(
            _MODERATION_UNITS.get(series, "health.unit.moderation_action"),
            lang,
            count=int(number("recent")),
        ),
        "kinds": ", ".join(t(unit, lang, count=n) for n, unit in kinds if n),
        "baseline_n": t("health.unit.moderation_action", lang, count=int(number("baseline"))),
        "usual": formatting.number(round(number("usual"), 1), lang),
    }


def tensions(windows: ModerationWindows | None) -> Verdict:
    """Moderation actions of the last 14 days at twice the pace of the up to 56 days
    watched before them or more, and the Poisson test (the recent actions given the total,
    against the recent share of the days) gives p <= 1 % / 6: for all actions together and
    for each kind alone (timeouts, bans, kicks, deletions by moderators, AutoMod), six
    tests, so that one kind tripling is not diluted in the others (Bonferroni: at most 1 %
    in all). A series is tested from 5 recent actions; the rule needs >= 28 days watched
    before the recent 14. `windows` is None when Foyer cannot see the audit log: not
    checked. Names the series least likely on noise."""
    key = "tensions"
    if windows is None:
        return Silent(key, enough=False, missing="health.signal.tensions.missing")
    days, before_days = windows.recent_days, windows.baseline_days
    if before_days < MIN_TENSIONS_BASELINE_DAYS or days < TENSIONS_RECENT_DAYS:
        return Silent(key, enough=False)
    series = {
        "all": (windows.total_recent, windows.total_baseline),
        **{k: (windows.recent.get(k, 0), windows.baseline.get(k, 0)) for k in MODERATION_KINDS},
    }
    best: tuple[float, str] | None = None
    for name, (recent, before) in series.items():
        if recent < MIN_TENSIONS_ACTIONS:
            continue
        if recent / days < TENSIONS_RISE * before / before_days - 1e-12:
            continue
        p = rate_rose(recent, days, before, before_days)
        if p <= ALPHA / len(series) and (best is None or p < best[0]):
            best = (p, name)
    if best is None:
        return Silent(key)
    p, name = best
    recent, before = series[name]
    return Signal(
        key,
        {
            "series": name,
            "recent": recent,
            "days": days,
            "usual": round(before / before_days * days, 1),
            "baseline": windows.total_baseline,
            "baseline_days": before_days,
            **{k: windows.recent.get(k, 0) for k in MODERATION_KINDS},
            "messages": windows.messages,
        },
        p,
    )
