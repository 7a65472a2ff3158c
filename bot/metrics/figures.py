"""A figure as /health, the digest and `foyer report` show it: this period's value, the
previous period's, a trend, and whether it rests on enough data to mean anything.

Every `key` is a definition key: `docs/metrics.md` and the i18n catalogue
(`health.figure.<key>.name` / `.definition`) both have an entry for it, and a test checks so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    COUNT = "count"  # a whole number of things or people
    RATE = "rate"  # a share between 0 and 1, shown as a percentage
    RATIO = "ratio"  # a number with a decimal (messages per active member)
    HOURS = "hours"  # a duration in hours
    SCORE = "score"  # NPS, from -100 to 100
    CHANGE = "change"  # a relative change (+0.25 = 25 % more), shown with its sign


class Trend(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


# Below these changes a figure is "flat": a rate must move 2 points, other figures 5 %.
RATE_FLAT_POINTS = 0.02
RELATIVE_FLAT = 0.05


@dataclass(frozen=True)
class Figure:
    """One figure. `value is None` when it cannot be computed (no base: nobody to divide
    by)."""

    key: str
    value: float | None
    previous: float | None = None
    kind: Kind = Kind.COUNT
    meaningful: bool = True
    base: int | None = None  # how many people or answers a rate or median rests on
    # False when Foyer was not there for the whole previous period: no "before", no trend
    comparable: bool = True

    @property
    def trend(self) -> Trend | None:
        if self.value is None or self.previous is None or not self.meaningful:
            return None
        return trend(self.value, self.previous, self.kind)


def trend(current: float, previous: float, kind: Kind) -> Trend:
    delta = current - previous
    if kind in (Kind.RATE, Kind.CHANGE):
        threshold = RATE_FLAT_POINTS
    elif kind is Kind.SCORE:
        threshold = 5.0
    else:
        threshold = max(abs(previous) * RELATIVE_FLAT, 0.0)
    if abs(delta) <= threshold:
        return Trend.FLAT
    return Trend.UP if delta > 0 else Trend.DOWN


def ratio(numerator: float, denominator: float) -> float | None:
    """`numerator / denominator`, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Spec:
    """How a figure is shown and how much data it needs: `min_base` people or answers
    behind a rate or median before it is called meaningful."""

    family: str
    kind: Kind = Kind.COUNT
    min_base: int | None = None
    # a sum or rate over the period's days (not a headcount at its end): marked "*" while
    # Foyer was not there for the whole period
    over_period: bool = True


FAMILIES = ("participation", "retention", "contribution", "advocacy")

SPECS: dict[str, Spec] = {
    "participation.members": Spec("participation", over_period=False),
    "participation.staff": Spec("participation", over_period=False),
    "participation.active_members": Spec("participation"),
    "participation.active_rate": Spec("participation", Kind.RATE, 10),
    "participation.communicators": Spec("participation"),
    "participation.messages_per_active": Spec("participation", Kind.RATIO, 5),
    "participation.member_conversations": Spec("participation"),
    "retention.newcomers": Spec("retention"),
    "retention.week1_retention": Spec("retention", Kind.RATE, 5),
    "retention.activation": Spec("retention", Kind.RATE, 5),
    "retention.week4_conversion": Spec("retention", Kind.RATE, 5),
    "retention.active_retention": Spec("retention", Kind.RATE, 10),
    "retention.churn": Spec("retention", Kind.RATE, 10),
    "retention.leavers": Spec("retention"),
    "retention.leavers_under_7d": Spec("retention"),
    "retention.leavers_7_30d": Spec("retention"),
    "retention.leavers_over_30d": Spec("retention"),
    "contribution.peer_interactions": Spec("contribution"),
    "contribution.peer_helpers": Spec("contribution"),
    "contribution.staff_interactions": Spec("contribution"),
    "contribution.horizontal_share": Spec("contribution", Kind.RATE, 10),
    "contribution.member_threads": Spec("contribution"),
    "contribution.ritual_responses": Spec("contribution"),
    "contribution.ritual_participants": Spec("contribution"),
    "contribution.introductions": Spec("contribution"),
    "contribution.time_to_first_peer_reply": Spec("contribution", Kind.HOURS, 3),
    "contribution.concentration": Spec("contribution", Kind.COUNT, 5),
    "contribution.top10_share": Spec("contribution", Kind.RATE, 10),
    "contribution.buddy_requests": Spec("contribution"),
    "contribution.buddy_matched": Spec("contribution", Kind.RATE, 5),
    "contribution.buddy_answered_24h": Spec("contribution", Kind.RATE, 5),
    "contribution.buddied_activation": Spec("contribution", Kind.RATE, 5),
    "contribution.others_activation": Spec("contribution", Kind.RATE, 5),
    "contribution.buddied_week4": Spec("contribution", Kind.RATE, 5),
    "contribution.others_week4": Spec("contribution", Kind.RATE, 5),
    "contribution.intros_rounds": Spec("contribution"),
    "contribution.intros_pairs": Spec("contribution"),
    "contribution.intros_talked": Spec("contribution", Kind.RATE, 5),
    "advocacy.nps": Spec("advocacy", Kind.SCORE, 10),
    "advocacy.spotlights": Spec("advocacy"),
    "advocacy.spotlight_effect": Spec("advocacy", Kind.CHANGE, 1),
    "advocacy.recognition": Spec("advocacy"),
    "advocacy.recognition_givers": Spec("advocacy"),
}

# Tables and series that have a definition but are not single figures.
OTHER_KEYS = ("retention.cohorts", "contribution.weekly_series", "welcome.funnel", "rituals.table")
