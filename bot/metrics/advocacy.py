"""Advocacy: would members recommend the community, and do they recognise each other?

NPS is the survey module's arithmetic over each member's latest answer in the period;
spotlights are counted from the spotlight table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.metrics.data import Measure, MemberActivity
from bot.survey.nps import summarize


def recognition(activity: Mapping[int, MemberActivity]) -> dict[str, Measure]:
    """Reactions given by members to other members' messages, and how many gave one."""
    return {
        "advocacy.recognition": Measure(sum(a.reactions_given for a in activity.values())),
        "advocacy.recognition_givers": Measure(
            sum(1 for a in activity.values() if a.reactions_given)
        ),
    }


def nps(scores: Iterable[int]) -> Measure:
    """NPS over one latest answer per member, computed by the survey module."""
    result = summarize(scores)
    return Measure(result.nps, result.answers)
