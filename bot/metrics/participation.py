"""Participation: is the community alive? Active members, communicators, conversations.

`activity` maps each counted member (not staff, not opted out, not a bot) to their sums over
the period; members with no row posted nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.metrics.data import Headcount, Measure, MemberActivity, column
from bot.metrics.figures import ratio

COMMUNICATOR_MESSAGES = 3  # Discord Server Insights' threshold


def active_ids(activity: Mapping[int, MemberActivity]) -> set[int]:
    return {user for user, act in activity.items() if act.messages > 0}


def participation(
    activity: Mapping[int, MemberActivity], headcount: Headcount
) -> dict[str, Measure]:
    counts = column(activity, "messages")
    active = len(counts) - counts.count(0)
    messages = sum(counts)
    return {
        "participation.members": Measure(headcount.members),
        "participation.staff": Measure(headcount.staff),
        "participation.active_members": Measure(active),
        "participation.active_rate": Measure(ratio(active, headcount.members), headcount.members),
        "participation.communicators": Measure(
            sum(1 for count in counts if count >= COMMUNICATOR_MESSAGES)
        ),
        "participation.messages_per_active": Measure(ratio(messages, active), active),
        "participation.member_conversations": Measure(
            sum(column(activity, "conversations_started"))
        ),
    }
