"""The run ledger: every state change of `scheduled_runs` is one conditional statement, so
two processes (or a restart racing a late tick) can never both own an occurrence.

- claim a fresh occurrence: INSERT; the unique (job_key, scheduled_for) refuses a second one;
- claim a postponed or crashed one: UPDATE ... WHERE status = <what we saw>; one winner.

Before a run calls Discord it records its intent (`intend`): the channel, and the newest
message there. A run restarted after a crash finds it and looks for its own post first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, union, update
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.db.models.scheduling import BotPost, RunStatus, ScheduledRun


@dataclass(frozen=True)
class PostIntent:
    """An earlier attempt meant to post in `channel_id`, after message `after_id` (0: the
    channel was empty, or its newest message unknown)."""

    channel_id: int
    after_id: int


class Ledger:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(
        self,
        guild_id: int,
        key: str,
        scheduled_for: datetime,
        status: RunStatus,
        now: datetime,
        reason: str | None = None,
    ) -> int | None:
        """Create the row for this occurrence; None when it already exists (someone else
        claimed, posted or skipped it)."""
        row = ScheduledRun(
            guild_id=guild_id,
            job_key=key,
            scheduled_for=scheduled_for,
            status=status,
            claimed_at=now if status == RunStatus.CLAIMED else None,
            finished_at=None if status == RunStatus.CLAIMED else now,
            attempts=1 if status == RunStatus.CLAIMED else 0,
            reason=reason,
        )
        try:
            async with self._db.session() as session:
                session.add(row)
        except IntegrityError:
            return None
        return row.id

    async def take_over(self, run_id: int, seen: RunStatus, now: datetime) -> bool:
        """Move a postponed or stale claimed row to claimed by us; False if someone else did."""
        async with self._db.session() as session:
            result = await session.execute(
                update(ScheduledRun)
                .where(ScheduledRun.id == run_id, ScheduledRun.status == seen)
                .values(
                    status=RunStatus.CLAIMED,
                    claimed_at=now,
                    attempts=ScheduledRun.attempts + 1,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def intend(self, run_id: int, channel_id: int, after_id: int) -> PostIntent | None:
        """Record that this run is about to post in `channel_id`, whose newest message is
        `after_id`; return the intent an earlier attempt recorded instead, if any (that
        attempt may have posted). Committed before it returns, so before the call."""
        async with self._db.session() as session:
            row = await session.get(ScheduledRun, run_id)
            if row is None:
                return None
            if row.channel_id is not None and row.post_after_id is not None:
                return PostIntent(row.channel_id, row.post_after_id)
            row.channel_id = channel_id
            row.post_after_id = after_id
        return None

    async def known_posts(self, channel_id: int, after_id: int) -> set[int]:
        """Ids of the bot's posts in the channel after `after_id` that something already
        recorded (another occurrence, a nudge, a budgeted post): never adopted."""
        async with self._db.session() as session:
            rows = await session.scalars(
                union(
                    select(ScheduledRun.post_id).where(
                        ScheduledRun.channel_id == channel_id, ScheduledRun.post_id > after_id
                    ),
                    select(BotPost.message_id).where(
                        BotPost.channel_id == channel_id, BotPost.message_id > after_id
                    ),
                )
            )
            return {int(i) for i in rows.all() if i is not None}

    async def record_post(self, run_id: int, channel_id: int, post_id: int) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(ScheduledRun)
                .where(ScheduledRun.id == run_id)
                .values(channel_id=channel_id, post_id=post_id)
            )

    async def finish(
        self,
        run_id: int,
        status: RunStatus,
        now: datetime,
        *,
        reason: str | None = None,
        retry_at: datetime | None = None,
        channel_id: int | None = None,
        post_id: int | None = None,
        thread_id: int | None = None,
    ) -> None:
        values: dict[str, object] = {"status": status, "finished_at": now, "reason": reason}
        if retry_at is not None:
            values["retry_at"] = retry_at
        for name, value in (
            ("channel_id", channel_id),
            ("post_id", post_id),
            ("thread_id", thread_id),
        ):
            if value is not None:
                values[name] = value
        async with self._db.session() as session:
            await session.execute(
                update(ScheduledRun)
                .where(ScheduledRun.id == run_id, ScheduledRun.status == RunStatus.CLAIMED)
                .values(**values)
            )

    async def latest(self, keys: Iterable[str]) -> dict[str, datetime]:
        """The newest recorded occurrence of each key (whatever its status)."""
        keys = list(keys)
        if not keys:
            return {}
        async with self._db.session() as session:
            rows = await session.execute(
                select(ScheduledRun.job_key, func.max(ScheduledRun.scheduled_for))
                .where(ScheduledRun.job_key.in_(keys))
                .group_by(ScheduledRun.job_key)
            )
            return {key: when for key, when in rows.all()}

    async def with_status(self, status: RunStatus) -> list[ScheduledRun]:
        async with self._db.session() as session:
            rows = await session.scalars(
                select(ScheduledRun).where(ScheduledRun.status == status).order_by(ScheduledRun.id)
            )
            return list(rows.all())

    async def get(self, run_id: int) -> ScheduledRun | None:
        async with self._db.session() as session:
            return await session.get(ScheduledRun, run_id)
