"""Engagement per ritual occurrence, and the "ritual fading" weak signal.

Per posted occurrence, from the `activity_events` the recorder wrote for its thread
(context RITUAL, indexed by (guild_id, thread_id)): answers (messages by members),
distinct participants, and first-time participants (members whose first answer to this
ritual is in this occurrence). Staff, bots and opted-out members are not counted
(docs/metrics.md, "ritual responses").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import ActivityEvent, Member, RunStatus, ScheduledRun
from bot.db.models.activity import ActorRole, EventKind, ThreadContext
from bot.rituals.schedule import job_key
from bot.stats import rate_fell

# The "ritual fading" rule (docs/metrics.md, "Weak signals"): the mean of the last 2
# occurrences is 30 % or more below the mean of the up to 8 before, and an exact one-sided
# Poisson test says so at 1 %. At least 4 posted occurrences, and 3 participants per
# occurrence usually. (A second window of the last 3, at 0.5 % each, saw the benchmark's
# declines later: docs/benchmarks.md, Signals.)
FADING_RECENT = 2
FADING_BASELINE = 8  # at most this many occurrences before the recent ones
FADING_MIN_BASELINE = 2
FADING_MIN_OCCURRENCES = FADING_RECENT + FADING_MIN_BASELINE
FADING_MIN_USUAL = 3.0  # mean participants per occurrence in the baseline
FADING_FALL = 0.30
FADING_ALPHA = 0.01


@dataclass(frozen=True)
class OccurrenceEngagement:
    scheduled_for: datetime
    thread_id: int | None
    answers: int
    participants: int
    first_timers: int


@dataclass(frozen=True)
class Fading:
    """The evidence of a fading ritual: the recent occurrences' participants, the usual
    ones (the baseline before them), and the test's p-value."""

    recent: tuple[int, ...]
    usual: tuple[int, ...]
    p_value: float

    @property
    def recent_mean(self) -> float:
        return sum(self.recent) / len(self.recent)

    @property
    def usual_mean(self) -> float:
        return sum(self.usual) / len(self.usual)


def fading_enough_data(participants: Sequence[int]) -> bool:
    """Whether the fading rule can say anything: 4 occurrences, 3 participants usually."""
    if len(participants) < FADING_MIN_OCCURRENCES:
        return False
    usual = participants[-FADING_RECENT - FADING_BASELINE : -FADING_RECENT]
    return sum(usual) / len(usual) >= FADING_MIN_USUAL


def fading(participants: Sequence[int]) -> Fading | None:
    """The weak signal over a ritual's participants per occurrence (oldest first): the
    last 2 occurrences against the up to 8 before, when they pass the rule."""
    if not fading_enough_data(participants):
        return None
    recent = tuple(participants[-FADING_RECENT:])
    usual = tuple(participants[-FADING_RECENT - FADING_BASELINE : -FADING_RECENT])
    found = Fading(recent, usual, 1.0)
    if found.recent_mean > found.usual_mean * (1 - FADING_FALL) + 1e-9:
        return None
    p = rate_fell(sum(recent), len(recent), sum(usual), len(usual))
    return Fading(recent, usual, p) if p <= FADING_ALPHA else None


def is_fading(participants: Sequence[int]) -> bool:
    """Whether `fading` finds the ritual fading."""
    return fading(participants) is not None


async def participation(
    db: Database, guild_id: int, ritual_id: int, limit: int = 12
) -> list[OccurrenceEngagement]:
    """The last `limit` posted occurrences of a ritual, oldest first."""
    async with db.session() as session:
        runs = list(
            (
                await session.execute(
                    select(ScheduledRun.scheduled_for, ScheduledRun.thread_id)
                    .where(
                        ScheduledRun.guild_id == guild_id,
                        ScheduledRun.job_key == job_key(ritual_id),
                        ScheduledRun.status == RunStatus.POSTED,
                    )
                    .order_by(ScheduledRun.scheduled_for.desc())
                    .limit(limit)
                )
            ).all()
        )[::-1]
        threads = [t for _, t in runs if t is not None]
        if not threads:
            return [OccurrenceEngagement(w, t, 0, 0, 0) for w, t in runs]
        opted_out = select(Member.user_id).where(
            Member.guild_id == guild_id, Member.opted_out.is_(True)
        )
        rows = await session.execute(
            select(ActivityEvent.thread_id, ActivityEvent.actor_id, func.count())
            .where(
                ActivityEvent.guild_id == guild_id,
                ActivityEvent.thread_id.in_(threads),
                ActivityEvent.kind == EventKind.MESSAGE,
                ActivityEvent.actor_role == ActorRole.MEMBER,
                ActivityEvent.context == ThreadContext.RITUAL,
                ActivityEvent.actor_id.not_in(opted_out),
            )
            .group_by(ActivityEvent.thread_id, ActivityEvent.actor_id)
        )
        per_thread: dict[int, dict[int, int]] = {}
        for thread_id, actor_id, count in rows.all():
            if thread_id is not None:
                per_thread.setdefault(thread_id, {})[actor_id] = count
        # "First time" is relative to every earlier occurrence of the ritual, not only the
        # ones shown.
        earlier = set(
            (
                await session.scalars(
                    select(ActivityEvent.actor_id)
                    .join(ScheduledRun, ScheduledRun.thread_id == ActivityEvent.thread_id)
                    .where(
                        ActivityEvent.guild_id == guild_id,
                        ScheduledRun.guild_id == guild_id,
                        ScheduledRun.job_key == job_key(ritual_id),
                        ScheduledRun.scheduled_for < runs[0][0],
                        ActivityEvent.kind == EventKind.MESSAGE,
                        ActivityEvent.actor_role == ActorRole.MEMBER,
                    )
                    .distinct()
                )
            ).all()
        )
    result = []
    for when, thread_id in runs:
        counts = per_thread.get(thread_id or 0, {})
        first = set(counts) - earlier
        earlier |= set(counts)
        result.append(
            OccurrenceEngagement(when, thread_id, sum(counts.values()), len(counts), len(first))
        )
    return result
