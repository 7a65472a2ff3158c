"""Contribution: do members answer each other (the article's "tissu social"), start
things, take part in rituals, and is the talking spread over many people?"""

from __future__ import annotations

from bot.metrics.activity import ActivitySummary
from bot.metrics.data import Measure
from bot.metrics.figures import ratio


def interactions(activity: ActivitySummary) -> dict[str, Measure]:
    peer, staff = activity.peer_interactions, activity.staff_interactions
    return {
        "contribution.peer_interactions": Measure(peer),
        "contribution.peer_helpers": Measure(activity.peer_helpers),
        "contribution.staff_interactions": Measure(staff),
        "contribution.horizontal_share": Measure(ratio(peer, peer + staff), peer + staff),
        "contribution.member_threads": Measure(activity.threads),
        "contribution.ritual_responses": Measure(activity.ritual_responses),
        "contribution.ritual_participants": Measure(activity.ritual_participants),
    }


def concentration(activity: ActivitySummary) -> dict[str, Measure]:
    """Smallest number of members writing half of the member messages (CHAOSS Contributor
    Absence Factor), and the share written by the most active 10 % of active members."""
    if not activity.messages:
        return {
            "contribution.concentration": Measure(None, 0),
            "contribution.top10_share": Measure(None, 0),
        }
    return {
        "contribution.concentration": Measure(activity.half_writers, activity.active),
        "contribution.top10_share": Measure(
            activity.top10_messages / activity.messages, activity.active
        ),
    }
