"""Weak signals: small changes worth an admin's attention, each with a minimum amount of
data below which it stays silent (a signal that fires on noise teaches admins to ignore
signals). Thresholds are the defaults of docs/metrics.md.

A `Signal` carries its key and the numbers its sentence needs; `sentence()` and `action()`
render it in the guild's language from `health.signal.<key>.text` / `.action`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.i18n import t
from bot.metrics.data import ChannelShare, Measure

POINTS = 0.10  # a fall (or move) of 10 points
MIN_RETENTION_BASE = 10  # members active in the earlier period, for both ratios
MIN_INTERACTIONS = 20  # peer + staff interactions in each period
MIN_CORE_ACTIVE = 10  # active members for "fragile core"
MIN_CORE_MESSAGES = 100
CORE_CONCENTRATION = 2
CORE_TOP10_SHARE = 0.60
CORE_TOP_PEOPLE = 10  # the top-10 % rule applies while that top 10 % is this many or fewer
MIN_INTRODUCTIONS = 5  # introductions whose 48 h window has closed
UNANSWERED_SHARE = 0.30
MIN_SOLICITATION_ACTIVE = 10
MIN_BOT_POSTS = 8
SOLICITATION_RISE = 0.20  # bot posts per active member up by 20 % or more
MIN_RITUAL_PARTICIPANTS = 5  # in the previous period
MIN_OPT_OUTS = 3  # ritual opt-outs in the period, for the opt-out branch
MIN_CHANNEL_MESSAGES = 200  # member messages in each period
MIN_CHANNEL_OWN = 20  # the moving channel had at least this many in one period

SIGNAL_KEYS = (
    "ritual_fading",
    "newcomers_unanswered",
    "churn_rising",
    "going_vertical",
    "fragile_core",
    "over_solicitation",
    "over_solicitation_opt_outs",
    "interests_shifting",
)


@dataclass(frozen=True)
class Signal:
    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def sentence(self, lang: str) -> str:
        return t(f"health.signal.{self.key}.text", lang, **self.params)

    def action(self, lang: str) -> str:
        return t(f"health.signal.{self.key}.action", lang, **self.params)


def _pct(value: float) -> int:
    return round(100 * value)


def _fell(current: Measure, previous: Measure, base: int) -> bool:
    if current.value is None or previous.value is None:
        return False
    if (current.base or 0) < base or (previous.base or 0) < base:
        return False
    return previous.value - current.value >= POINTS - 1e-9


def churn_rising(current: Measure, previous: Measure) -> Signal | None:
    """Active retention fell by 10 points or more; each ratio rests on >= 10 members."""
    if not _fell(current, previous, MIN_RETENTION_BASE):
        return None
    assert current.value is not None and previous.value is not None
    return Signal("churn_rising", {"now": _pct(current.value), "before": _pct(previous.value)})


def going_vertical(current: Measure, previous: Measure) -> Signal | None:
    """Horizontal share fell by 10 points or more; >= 20 interactions in each period."""
    if not _fell(current, previous, MIN_INTERACTIONS):
        return None
    assert current.value is not None and previous.value is not None
    return Signal("going_vertical", {"now": _pct(current.value), "before": _pct(previous.value)})


def fragile_core(
    concentration: Measure, top10: Measure, active_members: int, member_messages: int
) -> Signal | None:
    """Two people or fewer write half the messages, or the top 10 % write over 60 % while
    that top 10 % is a handful of people (at most 10). Needs >= 10 active members and
    >= 100 member messages (below that, a small core is normal). In a large community the
    top 10 % is hundreds of people and a heavy tail is the norm (90-9-1), not fragility."""
    if active_members < MIN_CORE_ACTIVE or member_messages < MIN_CORE_MESSAGES:
        return None
    few = concentration.value is not None and concentration.value <= CORE_CONCENTRATION
    top_people = math.ceil(active_members / 10)
    heavy = (
        top10.value is not None and top10.value > CORE_TOP10_SHARE and top_people <= CORE_TOP_PEOPLE
    )
    if not (few or heavy):
        return None
    return Signal(
        "fragile_core",
        {"people": int(concentration.value or 0), "top_share": _pct(top10.value or 0)},
    )


def newcomers_unanswered(share: Measure) -> Signal | None:
    """More than 30 % of introductions got no peer reply within 48 h; >= 5 introductions."""
    if share.value is None or (share.base or 0) < MIN_INTRODUCTIONS:
        return None
    if share.value <= UNANSWERED_SHARE:
        return None
    return Signal("newcomers_unanswered", {"share": _pct(share.value), "count": share.base})


def over_solicitation(
    bot_posts: tuple[int, int],
    active: tuple[int, int],
    ritual_participants: tuple[int, int],
    ritual_opt_outs: tuple[int, int] | None = None,
) -> Signal | None:
    """Bot posts per active member rose by 20 % or more while ritual participants fell, or
    ritual opt-outs rose. Pairs are (current, previous). Needs >= 10 active members in each
    period, >= 8 bot posts now and >= 5 ritual participants before."""
    if (
        ritual_opt_outs is not None
        and ritual_opt_outs[0] > ritual_opt_outs[1]
        and ritual_opt_outs[0] >= MIN_OPT_OUTS
    ):
        return Signal(
            "over_solicitation_opt_outs",
            {"before": ritual_opt_outs[1], "now": ritual_opt_outs[0]},
        )
    if min(active) < MIN_SOLICITATION_ACTIVE or bot_posts[0] < MIN_BOT_POSTS:
        return None
    if ritual_participants[1] < MIN_RITUAL_PARTICIPANTS:
        return None
    per_now, per_before = bot_posts[0] / active[0], bot_posts[1] / active[1]
    rose = per_now >= per_before * (1 + SOLICITATION_RISE) and per_now > per_before
    fell = ritual_participants[0] < ritual_participants[1]
    if not (rose and fell):
        return None
    return Signal(
        "over_solicitation",
        {"before": ritual_participants[1], "now": ritual_participants[0]},
    )


def interests_shifting(channels: Sequence[ChannelShare]) -> Signal | None:
    """A channel's share of member messages moved by 10 points or more; needs >= 200
    member messages in each period and >= 20 in the channel in one of them. Names the
    channel that moved most."""
    total_now = sum(c.messages for c in channels)
    total_before = sum(c.previous for c in channels)
    if total_now < MIN_CHANNEL_MESSAGES or total_before < MIN_CHANNEL_MESSAGES:
        return None
    best: tuple[float, ChannelShare] | None = None
    for channel in channels:
        if max(channel.messages, channel.previous) < MIN_CHANNEL_OWN:
            continue
        move = channel.messages / total_now - channel.previous / total_before
        if abs(move) >= POINTS - 1e-9 and (best is None or abs(move) > abs(best[0])):
            best = (move, channel)
    if best is None:
        return None
    move, channel = best
    return Signal(
        "interests_shifting",
        {
            "channel": f"<#{channel.channel_id}>",
            "now": round(100 * channel.messages / total_now),
            "before": round(100 * channel.previous / total_before),
        },
    )


def ritual_fading(name: str, recent: float, usual: float) -> Signal:
    """The rituals module decides whether a ritual is fading (rule and threshold there);
    this renders its verdict: `recent` and `usual` participant counts."""
    return Signal("ritual_fading", {"ritual": name, "recent": round(recent), "usual": round(usual)})
