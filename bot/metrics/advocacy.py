"""Advocacy: would members recommend the community, and do they recognise each other?

NPS is the survey module's (`nps_for_period`: each member's latest answer in the period);
spotlights and their effect come from the spotlight module's `spotlight_effects`.
"""

from __future__ import annotations

from bot.metrics.activity import ActivitySummary
from bot.metrics.data import Measure
from bot.metrics.figures import ratio
from bot.spotlight.queries import SpotlightEffects
from bot.survey.nps import NpsResult


def recognition(activity: ActivitySummary) -> dict[str, Measure]:
    """Reactions given by members to other members' messages, and how many gave one."""
    return {
        "advocacy.recognition": Measure(activity.reactions),
        "advocacy.recognition_givers": Measure(activity.reaction_givers),
    }


def spotlight_effect(effects: SpotlightEffects) -> dict[str, Measure]:
    """Spotlights posted, and the change in the spotlighted members' peer interactions in
    the 4 weeks after each spotlight against the 4 weeks before (spotlights whose 4 weeks
    after are over; None when they had none before)."""
    change = ratio(effects.peer_after - effects.peer_before, effects.peer_before)
    return {
        "advocacy.spotlights": Measure(effects.posted),
        "advocacy.spotlight_effect": Measure(change, effects.measured),
    }


def nps(result: NpsResult) -> Measure:
    """The survey module's NPS (latest answer of each member in the period) and how many
    answers it rests on."""
    return Measure(result.nps, result.answers)
