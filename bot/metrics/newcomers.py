"""The newcomer funnel and the welcome figures, from the welcome module's funnel
(`bot.welcome.funnel.newcomer_funnel`, one query per period over the `welcomes` table), so
introductions and peer replies are defined in one place."""

from __future__ import annotations

from dataclasses import dataclass

from bot.metrics.data import Measure
from bot.welcome.funnel import NewcomerFunnel, Share


@dataclass(frozen=True)
class FunnelStage:
    """`count` newcomers reached the stage, out of `eligible` (None: the stage's base is
    the stage above)."""

    stage: str
    count: int
    eligible: int | None = None

    @property
    def measurable(self) -> bool:
        """False when the stage's base is empty (e.g. week 4 on a 28-day period: no
        newcomer of the period can have finished it): shown as "—", never as 0."""
        return self.eligible is None or self.eligible > 0


def _share(stage: str, share: Share) -> FunnelStage:
    return FunnelStage(stage, share.count, share.eligible)


def funnel_stages(funnel: NewcomerFunnel) -> list[FunnelStage]:
    """Joined, introduced, answered by a member, still there after 7 days, active in
    week 4."""
    return [
        FunnelStage("joined", funnel.joined),
        _share("introduced", funnel.introduced),
        _share("answered", funnel.answered),
        _share("stayed", funnel.still_there_after_7_days),
        _share("week4", funnel.active_in_week_4),
    ]


def welcome_figures(funnel: NewcomerFunnel) -> dict[str, Measure]:
    seconds = funnel.median_seconds_to_first_peer_reply
    return {
        "contribution.introductions": Measure(funnel.introduced.count),
        "contribution.time_to_first_peer_reply": Measure(
            None if seconds is None else seconds / 3600, funnel.answered.count
        ),
    }


def unanswered(funnel: NewcomerFunnel) -> Measure:
    """Share of introductions (made 48 h or more before the period end) that no member
    answered within 48 h."""
    within = funnel.answered_within_48h
    rate = within.rate
    return Measure(None if rate is None else 1 - rate, within.eligible)
