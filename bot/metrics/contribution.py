"""Contribution: do members answer each other (the article's "tissu social"), start
things, take part in rituals, and is the talking spread over many people?"""

from __future__ import annotations

import math
from collections.abc import Mapping

from bot.metrics.data import Measure, MemberActivity
from bot.metrics.figures import ratio


def interactions(activity: Mapping[int, MemberActivity]) -> dict[str, Measure]:
    peer = sum(a.peer_given for a in activity.values())
    staff = sum(a.staff_received for a in activity.values())
    return {
        "contribution.peer_interactions": Measure(peer),
        "contribution.peer_helpers": Measure(sum(1 for a in activity.values() if a.peer_given)),
        "contribution.staff_interactions": Measure(staff),
        "contribution.horizontal_share": Measure(ratio(peer, peer + staff), peer + staff),
        "contribution.member_threads": Measure(sum(a.threads_created for a in activity.values())),
        "contribution.ritual_responses": Measure(sum(a.ritual_messages for a in activity.values())),
        "contribution.ritual_participants": Measure(
            sum(1 for a in activity.values() if a.ritual_messages)
        ),
    }


def concentration(activity: Mapping[int, MemberActivity]) -> dict[str, Measure]:
    """Smallest number of members writing half of the member messages (CHAOSS Contributor
    Absence Factor), and the share written by the most active 10 % of active members."""
    counts = sorted((a.messages for a in activity.values() if a.messages > 0), reverse=True)
    total = sum(counts)
    if not total:
        return {
            "contribution.concentration": Measure(None, 0),
            "contribution.top10_share": Measure(None, 0),
        }
    running = needed = 0
    for count in counts:
        running += count
        needed += 1
        if 2 * running >= total:
            break
    top = math.ceil(len(counts) / 10)
    return {
        "contribution.concentration": Measure(needed, len(counts)),
        "contribution.top10_share": Measure(sum(counts[:top]) / total, len(counts)),
    }
