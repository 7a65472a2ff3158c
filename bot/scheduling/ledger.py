"""The run ledger: every state change of `scheduled_runs` is one conditional statement, so
two processes (or a restart racing a late tick) can never both own an occurrence.

- claim a fresh occurrence: INSERT; the unique (job_key, scheduled_for) refuses a second one;
- claim a postponed or crashed one: UPDATE ... WHERE status = <what we saw>; one winner.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.db.models.scheduling import RunStatus, ScheduledRun


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
