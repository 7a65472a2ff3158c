"""Who deserves a spotlight: pure ranking over per-member contribution figures.

Contribution, not volume: what counts is helping other members (how many distinct people,
and answers counted at most three per person helped, so forty replies to one friend do not
outrank answering ten newcomers), starting conversations, showing up to rituals, and being
appreciated by others. Message counts are not used at all. The formula is in
docs/recognition.md; tests check it against hand-computed values.

Nothing here knows whom a member helped: only how many.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.i18n import t

MAX_CANDIDATES = 5
WEIGHT_MEMBERS_HELPED = 3.0
WEIGHT_PEER_GIVEN = 1.0
PEER_GIVEN_PER_MEMBER_CAP = 3
WEIGHT_CONVERSATIONS = 2.0
WEIGHT_RITUAL_DAYS = 2.0
WEIGHT_REACTIONS = 0.5
REACTIONS_CAP = 20


@dataclass(frozen=True)
class ContributionStats:
    """One member's figures over the period; all counts concern other members only."""

    user_id: int
    peer_given: int = 0  # replies and thread answers to other members
    members_helped: int = 0  # distinct members those went to
    conversations_started: int = 0
    ritual_days: int = 0  # days with at least one message in a ritual thread
    reactions_received: int = 0


@dataclass(frozen=True)
class MemberStatus:
    """What may rule a member out, whatever their figures."""

    is_staff: bool = False
    is_bot: bool = False
    opted_out: bool = False
    left: bool = False
    refused: bool = False
    spotlighted_recently: bool = False


class Exclusion(enum.StrEnum):
    BOT = "bot"
    STAFF = "staff"
    OPTED_OUT = "opted_out"
    REFUSED = "refused"
    LEFT = "left"
    RECENTLY_SPOTLIGHTED = "recently_spotlighted"
    NO_PEER_INTERACTION = "no_peer_interaction"


@dataclass(frozen=True)
class Candidate:
    stats: ContributionStats
    score: float


def score(stats: ContributionStats) -> float:
    """The contribution score (docs/recognition.md)."""
    counted_answers = min(stats.peer_given, PEER_GIVEN_PER_MEMBER_CAP * stats.members_helped)
    return (
        WEIGHT_MEMBERS_HELPED * stats.members_helped
        + WEIGHT_PEER_GIVEN * counted_answers
        + WEIGHT_CONVERSATIONS * stats.conversations_started
        + WEIGHT_RITUAL_DAYS * stats.ritual_days
        + WEIGHT_REACTIONS * min(stats.reactions_received, REACTIONS_CAP)
    )


def exclusion(stats: ContributionStats, status: MemberStatus) -> Exclusion | None:
    """Why this member cannot be suggested, or None when they can."""
    checks = (
        (status.is_bot, Exclusion.BOT),
        (status.is_staff, Exclusion.STAFF),
        (status.opted_out, Exclusion.OPTED_OUT),
        (status.refused, Exclusion.REFUSED),
        (status.left, Exclusion.LEFT),
        (status.spotlighted_recently, Exclusion.RECENTLY_SPOTLIGHTED),
        (stats.peer_given <= 0 or stats.members_helped <= 0, Exclusion.NO_PEER_INTERACTION),
    )
    return next((reason for ruled_out, reason in checks if ruled_out), None)


def rank(
    stats: Iterable[ContributionStats],
    statuses: Mapping[int, MemberStatus],
    *,
    limit: int = MAX_CANDIDATES,
) -> list[Candidate]:
    """The best `limit` eligible members, best first.

    Ties go to whoever helped more distinct members, then to the lower user id, so the
    order is stable from one call to the next. A member without a status row is treated
    as an ordinary member.
    """
    eligible = [
        Candidate(s, score(s))
        for s in stats
        if exclusion(s, statuses.get(s.user_id, MemberStatus())) is None
    ]
    eligible.sort(key=lambda c: (-c.score, -c.stats.members_helped, c.stats.user_id))
    return eligible[:limit]


def reasons(stats: ContributionStats, lang: str) -> list[str]:
    """Plain sentences an admin (and the community, in the post) can read: counts only,
    never whom the member talked to. Zero figures are left out."""
    lines: list[str] = []
    if stats.peer_given and stats.members_helped:
        lines.append(
            t(
                "spotlight.reason.answered",
                lang,
                members=stats.members_helped,
                answers=stats.peer_given,
            )
        )
    if stats.conversations_started:
        lines.append(
            t(
                "spotlight.reason.conversations",
                lang,
                conversations=stats.conversations_started,
            )
        )
    if stats.ritual_days:
        lines.append(
            t(
                "spotlight.reason.rituals",
                lang,
                days=stats.ritual_days,
            )
        )
    if stats.reactions_received:
        lines.append(
            t(
                "spotlight.reason.reactions",
                lang,
                reactions=stats.reactions_received,
            )
        )
    return lines
