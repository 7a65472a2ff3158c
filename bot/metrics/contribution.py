"""Contribution: do members answer each other (the article's "tissu social"), start
things, take part in rituals, and is the talking spread over many people?"""

from __future__ import annotations

import math
from collections.abc import Mapping

from bot.metrics.data import Measure, MemberActivity, column
from bot.metrics.figures import ratio


def interactions(activity: Mapping[int, MemberActivity]) -> dict[str, Measure]:
    given = column(activity, "peer_given")
    ritual = column(activity, "ritual_messages")
    peer = sum(given)
    staff = sum(column(activity, "staff_received"))
    return {
        "contribution.peer_interactions": Measure(peer),
        "contribution.peer_helpers": Measure(len(given) - given.count(0)),
        "contribution.staff_interactions": Measure(staff),
        "contribution.horizontal_share": Measure(ratio(peer, peer + staff), peer + staff),
        "contribution.member_threads": Measure(sum(column(activity, "threads_created"))),
        "contribution.ritual_responses": Measure(sum(ritual)),
        "contribution.ritual_participants": Measure(len(ritual) - ritual.count(0)),
    }


def concentration(activity: Mapping[int, MemberActivity]) -> dict[str, Measure]:
    """Smallest number of members writing half of the member messages (CHAOSS Contributor
    Absence Factor), and the share written by the most active 10 % of active members."""
    counts = sorted(filter(None, column(activity, "messages")), reverse=True)
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
