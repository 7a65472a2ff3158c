"""A period's member sums, added up once: what every activity figure is made of.

`summarise` turns the per-member sums of a period into the counts the participation,
contribution and recognition figures read. A summary is small and has no member in it, so
the previous period's is kept with its settled span (`bot.metrics.spans`) and the day's
reports need not read that period's members again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from bot.metrics.data import MemberActivity

COMMUNICATOR_MESSAGES = 3  # Discord Server Insights' threshold


@dataclass(frozen=True)
class ActivitySummary:
    """Counted members' activity over a period, in totals and distinct counts."""

    active: int = 0  # members with a message
    communicators: int = 0  # members with COMMUNICATOR_MESSAGES messages or more
    messages: int = 0
    conversations: int = 0
    peer_interactions: int = 0
    peer_helpers: int = 0  # members who answered another member
    staff_interactions: int = 0
    threads: int = 0
    ritual_responses: int = 0
    ritual_participants: int = 0
    reactions: int = 0
    reaction_givers: int = 0
    half_writers: int = 0  # fewest members who wrote half of the messages
    top10_messages: int = 0  # messages of the most active 10 % of active members


def column(activity: Mapping[int, MemberActivity], name: str) -> list[int]:
    """One counter of every member, in a list: summed and counted in C, not member by
    member in Python (a large guild's period has thousands of members)."""
    index = MemberActivity._fields.index(name)
    return [sums[index] for sums in activity.values()]


def _nonzero(values: list[int]) -> int:
    return len(values) - values.count(0)


def summarise(activity: Mapping[int, MemberActivity]) -> ActivitySummary:
    messages = column(activity, "messages")
    counts = sorted(filter(None, messages), reverse=True)
    total = sum(counts)
    running = half = 0
    for count in counts:
        running += count
        half += 1
        if 2 * running >= total:
            break
    given = column(activity, "peer_given")
    ritual = column(activity, "ritual_messages")
    reactions = column(activity, "reactions_given")
    return ActivitySummary(
        active=len(counts),
        communicators=sum(1 for count in counts if count >= COMMUNICATOR_MESSAGES),
        messages=total,
        conversations=sum(column(activity, "conversations_started")),
        peer_interactions=sum(given),
        peer_helpers=_nonzero(given),
        staff_interactions=sum(column(activity, "staff_received")),
        threads=sum(column(activity, "threads_created")),
        ritual_responses=sum(ritual),
        ritual_participants=_nonzero(ritual),
        reactions=sum(reactions),
        reaction_givers=_nonzero(reactions),
        half_writers=half,
        top10_messages=sum(counts[: math.ceil(len(counts) / 10)]),
    )
