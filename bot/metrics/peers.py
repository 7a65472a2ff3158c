"""Peer mentoring in /health (Contribution).

Buddies: how many newcomers asked for a buddy, got one, heard from them within 24 h, and
the activation and week-4 conversion of the buddied newcomers beside the others'. The
counts come from `bot.buddies.store.buddy_figures`; the two comparisons cut the period's
cohorts (bot.metrics.retention) in two. A comparison, not a proof of effect: newcomers who
ask for a buddy may differ from those who do not.

Introductions: rounds, pairs, and the share of pairs whose 7 days are over in which two
members wrote in their thread (`bot.intros.store.intros_figures`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from bot.buddies.store import BuddyFigures
from bot.intros.store import IntrosFigures
from bot.metrics import retention
from bot.metrics.data import Measure, Person
from bot.metrics.figures import ratio
from bot.periods import Period

#: Shown in /health only while the guild uses the feature (the report and `foyer report`
#: always hold them): the figure that says so, and the figures it brings along.
BUDDY_KEYS = (
    "contribution.buddy_requests",
    "contribution.buddy_matched",
    "contribution.buddy_answered_24h",
    "contribution.buddied_activation",
    "contribution.others_activation",
    "contribution.buddied_week4",
    "contribution.others_week4",
)
INTROS_KEYS = (
    "contribution.intros_rounds",
    "contribution.intros_pairs",
    "contribution.intros_talked",
)


def buddy_measures(
    figures: BuddyFigures,
    buddied: Collection[int],
    joined: Sequence[Person],
    message_days: Mapping[int, Collection[date]],
    period: Period,
    now: datetime,
) -> dict[str, Measure]:
    """`figures`: the period's offers; `buddied`: every newcomer who ever had a buddy (the
    cohorts of activation and week 4 are older than the period's offers)."""
    with_buddy = [p for p in joined if p.user_id in buddied]
    without = [p for p in joined if p.user_id not in buddied]
    return {
        "contribution.buddy_requests": Measure(figures.asked),
        "contribution.buddy_matched": Measure(ratio(figures.matched, figures.asked), figures.asked),
        "contribution.buddy_answered_24h": Measure(
            ratio(figures.answered_24h, figures.matched), figures.matched
        ),
        "contribution.buddied_activation": retention.activation(
            with_buddy, message_days, period, now
        ),
        "contribution.others_activation": retention.activation(without, message_days, period, now),
        "contribution.buddied_week4": retention.week4_conversion(
            with_buddy, message_days, period, now
        ),
        "contribution.others_week4": retention.week4_conversion(without, message_days, period, now),
    }


def intros_measures(figures: IntrosFigures) -> dict[str, Measure]:
    return {
        "contribution.intros_rounds": Measure(figures.rounds),
        "contribution.intros_pairs": Measure(figures.pairs),
        "contribution.intros_talked": Measure(
            ratio(figures.talked, figures.settled_pairs), figures.settled_pairs
        ),
    }
