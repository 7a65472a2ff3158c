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
from statistics import median

from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import ActivityEvent, Member, RunStatus, ScheduledRun
from bot.db.models.activity import ActorRole, EventKind, ThreadContext
from bot.rituals.schedule import job_key

FADING_RECENT = 3
FADING_BASELINE = 8
FADING_MIN_OCCURRENCES = FADING_RECENT + FADING_BASELINE


@dataclass(frozen=True)
class OccurrenceEngagement:
    scheduled_for: datetime
    thread_id: int | None
    answers: int
    participants: int
    first_timers: int


def is_fading(participants: Sequence[int]) -> bool:
    """The weak signal: each of the last 3 occurrences had fewer participants than the
    median of the 8 before. Needs at least 11 occurrences (oldest first); never fires on
    less."""
    if len(participants) < FADING_MIN_OCCURRENCES:
        return False
    recent = participants[-FADING_RECENT:]
    baseline = participants[-FADING_MIN_OCCURRENCES:-FADING_RECENT]
    threshold = median(baseline)
    return all(p < threshold for p in recent)


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
