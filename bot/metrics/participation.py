"""Participation: is the community alive? Active members, communicators, conversations.

The activity counts are those of the counted members (not staff, not opted out, not a bot)
over the period, added up by `bot.metrics.activity.summarise`.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.metrics.activity import ActivitySummary
from bot.metrics.data import Headcount, Measure, MemberActivity
from bot.metrics.figures import ratio


def active_ids(activity: Mapping[int, MemberActivity]) -> set[int]:
    return {user for user, act in activity.items() if act.messages > 0}


def participation(activity: ActivitySummary, headcount: Headcount) -> dict[str, Measure]:
    active = activity.active
    return {
        "participation.members": Measure(headcount.members),
        "participation.staff": Measure(headcount.staff),
        "participation.active_members": Measure(active),
        "participation.active_rate": Measure(ratio(active, headcount.members), headcount.members),
        "participation.communicators": Measure(activity.communicators),
        "participation.messages_per_active": Measure(ratio(activity.messages, active), active),
        "participation.member_conversations": Measure(activity.conversations),
    }
