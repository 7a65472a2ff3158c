"""Contribution: do members answer each other (the article's "tissu social"), start
things, take part in rituals, and is the talking spread over many people?"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from bot.metrics.data import Measure, MemberActivity, WelcomeThread
from bot.metrics.figures import ratio
from bot.metrics.periods import Period

ANSWER_WINDOW = timedelta(hours=48)


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


@dataclass(frozen=True)
class Introduction:
    """A newcomer's first message in their welcome thread and the first peer reply after
    it (None when nobody answered yet)."""

    owner_id: int
    posted_at: datetime
    first_reply_at: datetime | None

    def answered_within(self, window: timedelta) -> bool:
        return self.first_reply_at is not None and self.first_reply_at - self.posted_at <= window


def introductions(threads: Iterable[WelcomeThread]) -> list[Introduction]:
    result = []
    for thread in threads:
        own = [m.occurred_at for m in thread.messages if m.actor_id == thread.owner_id]
        if not own:
            continue
        first = min(own)
        replies = [
            m.occurred_at
            for m in thread.messages
            if m.actor_id != thread.owner_id and m.is_member and m.occurred_at >= first
        ]
        result.append(Introduction(thread.owner_id, first, min(replies) if replies else None))
    return result


def welcome_figures(intros: Iterable[Introduction], period: Period) -> dict[str, Measure]:
    """Introductions made in the period and the median hours to the first peer reply."""
    inside = [i for i in intros if period.contains(i.posted_at)]
    waits = [
        (i.first_reply_at - i.posted_at).total_seconds() / 3600
        for i in inside
        if i.first_reply_at is not None
    ]
    return {
        "contribution.introductions": Measure(len(inside)),
        "contribution.time_to_first_peer_reply": Measure(
            median(waits) if waits else None, len(waits)
        ),
    }


def unanswered(intros: Iterable[Introduction], period: Period, now: datetime) -> Measure:
    """Share of the period's introductions, whose 48 h window has closed, that got no peer
    reply within 48 h."""
    closed = [
        i for i in intros if period.contains(i.posted_at) and i.posted_at + ANSWER_WINDOW <= now
    ]
    missed = sum(1 for i in closed if not i.answered_within(ANSWER_WINDOW))
    return Measure(ratio(missed, len(closed)), len(closed))
