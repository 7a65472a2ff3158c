"""Exactly-once recurring jobs on APScheduler, driven by an injected clock.

Job *kinds* (rituals, the weekly digest, spotlight suggestions) register a `JobKind`: it
lists its current `JobSpec`s (read from the database, so jobs are rebuilt at every start)
and runs one occurrence. The scheduler owns everything else:

- `run_due(now)` decides, for every job of this process's shards, which occurrences are
  due, claims each in the `scheduled_runs` ledger (unique per key and time), calls the
  kind, and records the outcome. Tests call it after moving a `ManualClock`.
- An occurrence missed by up to `grace` (default 6 h) is run late, once; older ones are
  recorded as skipped. When several are missed, only the newest may run.
- At start, rows left `claimed` by a crash are finished: already posted (post id
  recorded) -> posted; within grace -> run again; else -> failed. Never two posts.
- In production APScheduler's AsyncIOScheduler wakes `run_due` at the next due instant.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.clock import Clock
from bot.db import Database
from bot.db.models.scheduling import RunStatus, ScheduledRun
from bot.scheduling.jobs import JobKind, JobSpec, Outcome, RunContext, RunResult
from bot.scheduling.ledger import Ledger

log = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(hours=6)
# After a long outage, at most this many missed occurrences per job are written as skipped.
_MAX_BACKFILL = 20
_APS_JOB_ID = "foyer-scheduler-wakeup"
_MAX_SLEEP = timedelta(minutes=15)
_PARALLEL_GUILDS = 8


def shard_of(guild_id: int, shard_count: int) -> int:
    return (guild_id >> 22) % shard_count


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        shard_count: int = 1,
        shard_ids: Sequence[int] | None = None,
        grace: timedelta = DEFAULT_GRACE,
        drive: bool = True,
    ) -> None:
        self._clock = clock
        self._ledger = Ledger(db)
        self._shard_count = max(shard_count, 1)
        self._shard_ids = None if shard_ids is None else frozenset(shard_ids)
        self.grace = grace
        self._drive = drive
        self._kinds: dict[str, JobKind] = {}
        self._lock = asyncio.Lock()
        self._aps: AsyncIOScheduler | None = None
        self.started = False

    @property
    def ledger(self) -> Ledger:
        return self._ledger

    def register(self, prefix: str, kind: JobKind) -> None:
        """Register a kind; every key it yields must start with `prefix:`."""
        self._kinds[prefix] = kind

    def unregister(self, prefix: str) -> None:
        self._kinds.pop(prefix, None)

    def owns(self, guild_id: int) -> bool:
        return self._shard_ids is None or shard_of(guild_id, self._shard_count) in self._shard_ids

    async def specs(self) -> list[JobSpec]:
        """Current jobs of this process's guilds, rebuilt from the kinds (the database)."""
        found: list[JobSpec] = []
        # A copy: a cog may register its kind while this loop awaits another kind's jobs.
        for prefix, kind in list(self._kinds.items()):
            try:
                specs = list(await kind.jobs())
            except Exception:  # one broken feature must not stop the others' posts
                log.exception("could not list the %s jobs", prefix)
                continue
            for spec in specs:
                if not spec.key.startswith(prefix + ":"):
                    raise ValueError(f"job key {spec.key!r} must start with {prefix}:")
                if self.owns(spec.guild_id):
                    found.append(spec)
        return found

    async def start(self) -> None:
        """Finish what a crash left, catch up on missed runs, then arm the wake-up. Called
        on every `on_ready`; only the first call does anything."""
        if self.started:
            return
        self.started = True
        await self.recover()
        await self.run_due()
        if self._drive:
            self._aps = AsyncIOScheduler(timezone="UTC")
            self._aps.start()
        await self.rearm()

    async def shutdown(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        async with self._lock:  # let an in-flight run finish writing its outcome
            self.started = False

    async def recover(self) -> list[RunResult]:
        """Rows a previous process claimed and never finished."""
        now = self._clock.now()
        specs = {s.key: s for s in await self.specs()}
        results = []
        async with self._lock:
            for row in await self._ledger.with_status(RunStatus.CLAIMED):
                if not self.owns(row.guild_id):
                    continue
                results.append(await self._recover_one(row, specs.get(row.job_key), now))
        return results

    async def _recover_one(
        self, row: ScheduledRun, spec: JobSpec | None, now: datetime
    ) -> RunResult:
        due = row.retry_at or row.scheduled_for
        if row.post_id is not None:
            await self._ledger.finish(row.id, RunStatus.POSTED, now, reason="recovered")
            status = RunStatus.POSTED
        elif spec is None or now - due > self._grace_of(spec):
            await self._ledger.finish(row.id, RunStatus.FAILED, now, reason="interrupted")
            status = RunStatus.FAILED
        elif await self._ledger.take_over(row.id, RunStatus.CLAIMED, now):
            status = await self._execute(
                spec,
                row.id,
                row.scheduled_for,
                now,
                attempt=row.attempts + 1,
                postponed=row.retry_at is not None,
            )
        else:
            status = RunStatus.CLAIMED
        return RunResult(row.job_key, row.scheduled_for, status)

    async def run_due(self, now: datetime | None = None) -> list[RunResult]:
        """Process every occurrence due at `now` (default: the clock). Idempotent."""
        now = now or self._clock.now()
        results: list[RunResult] = []
        async with self._lock:
            specs = await self.specs()
            by_key = {s.key: s for s in specs}
            results += await self._retry_postponed(by_key, now)
            latest = await self._ledger.latest(by_key)
            work: dict[int, list[tuple[JobSpec, list[datetime]]]] = {}
            for spec in specs:
                start = max(spec.since, latest.get(spec.key, spec.since))
                due = list(spec.recurrence.between(start, now))[-_MAX_BACKFILL:]
                if due:
                    work.setdefault(spec.guild_id, []).append((spec, due))
            # Guilds in parallel (bounded): 09:00 Monday in a thousand guilds must not be a
            # thousand posts in a row. One guild's jobs stay in order, so they see each
            # other's posts in the channel budget.
            gate = asyncio.Semaphore(_PARALLEL_GUILDS)

            async def one_guild(jobs: list[tuple[JobSpec, list[datetime]]]) -> list[RunResult]:
                done: list[RunResult] = []
                async with gate:
                    for spec, due in jobs:
                        done += await self._process(spec, due, now)
                return done

            for done in await asyncio.gather(*(one_guild(jobs) for jobs in work.values())):
                results += done
        if self._aps is not None:
            await self.rearm()
        return results

    async def run_next_now(self, spec: JobSpec) -> RunResult | None:
        """Run the job's next occurrence immediately (`/ritual now`); when its time comes
        it is already in the ledger and does not run again. None if it was taken."""
        now = self._clock.now()
        async with self._lock:
            latest = (await self._ledger.latest([spec.key])).get(spec.key, spec.since)
            when = spec.recurrence.next_after(max(now, latest))
            run_id = await self._ledger.insert(
                spec.guild_id, spec.key, when, RunStatus.CLAIMED, now
            )
            if run_id is None:
                return None
            status = await self._execute(spec, run_id, when, now, attempt=1, postponed=False)
        return RunResult(spec.key, when, status)

    async def next_runs(self, specs: Iterable[JobSpec]) -> dict[str, datetime]:
        """The next instant each job will run (after anything already in the ledger)."""
        specs = list(specs)
        now = self._clock.now()
        latest = await self._ledger.latest(s.key for s in specs)
        return {
            s.key: s.recurrence.next_after(max(now, s.since, latest.get(s.key, s.since)))
            for s in specs
        }

    async def rearm(self) -> None:
        """Point APScheduler at the earliest upcoming occurrence or postponed retry, and
        never further than `_MAX_SLEEP` away, so a job another feature added without
        calling `rearm` is still picked up well within the grace window."""
        if self._aps is None:
            return
        # APScheduler waits on the real clock; in production that is the injected clock.
        self._aps.add_job(
            self.run_due,
            DateTrigger(run_date=await self.wakeup_at()),
            id=_APS_JOB_ID,
            replace_existing=True,
            misfire_grace_time=int(self.grace.total_seconds()),
            coalesce=True,
        )

    @property
    def next_wakeup(self) -> datetime | None:
        """When APScheduler will next call `run_due` (None when not driven)."""
        job = self._aps.get_job(_APS_JOB_ID) if self._aps is not None else None
        return job.next_run_time if job is not None else None

    async def wakeup_at(self) -> datetime:
        """When `run_due` should run next."""
        upcoming = list((await self.next_runs(await self.specs())).values())
        upcoming += [
            r.retry_at
            for r in await self._ledger.with_status(RunStatus.POSTPONED)
            if r.retry_at is not None and self.owns(r.guild_id)
        ]
        return min([*upcoming, self._clock.now() + _MAX_SLEEP])

    def _grace_of(self, spec: JobSpec) -> timedelta:
        return spec.grace if spec.grace is not None else self.grace

    async def _process(self, spec: JobSpec, due: list[datetime], now: datetime) -> list[RunResult]:
        """Missed ones beyond grace, and all but the newest, are skipped; the newest runs."""
        results = []
        for i, when in enumerate(due):
            newest = i == len(due) - 1
            if newest and now - when <= self._grace_of(spec):
                run_id = await self._ledger.insert(
                    spec.guild_id, spec.key, when, RunStatus.CLAIMED, now
                )
                if run_id is not None:
                    status = await self._execute(spec, run_id, when, now, 1, postponed=False)
                    results.append(RunResult(spec.key, when, status))
            else:
                reason = "missed" if now - when > self._grace_of(spec) else "superseded"
                if await self._ledger.insert(
                    spec.guild_id, spec.key, when, RunStatus.SKIPPED, now, reason
                ):
                    results.append(RunResult(spec.key, when, RunStatus.SKIPPED))
        return results

    async def _retry_postponed(self, specs: dict[str, JobSpec], now: datetime) -> list[RunResult]:
        results = []
        for row in await self._ledger.with_status(RunStatus.POSTPONED):
            if not self.owns(row.guild_id) or row.retry_at is None or row.retry_at > now:
                continue
            spec = specs.get(row.job_key)
            if not await self._ledger.take_over(row.id, RunStatus.POSTPONED, now):
                continue
            if spec is None or now - row.retry_at > self._grace_of(spec):
                await self._ledger.finish(row.id, RunStatus.SKIPPED, now, reason="postponed_gone")
                results.append(RunResult(row.job_key, row.scheduled_for, RunStatus.SKIPPED))
                continue
            status = await self._execute(
                spec, row.id, row.scheduled_for, now, row.attempts + 1, postponed=True
            )
            results.append(RunResult(row.job_key, row.scheduled_for, status))
        return results

    async def _execute(
        self,
        spec: JobSpec,
        run_id: int,
        when: datetime,
        now: datetime,
        attempt: int,
        *,
        postponed: bool,
    ) -> RunStatus:
        kind = self._kinds[spec.key.split(":", 1)[0]]
        ctx = RunContext(
            run_id, spec.key, spec.guild_id, when, now, attempt, postponed, self._ledger
        )
        try:
            outcome = await kind.run(ctx)
        except Exception as exc:
            log.exception("job %s at %s failed", spec.key, when, extra={"guild_id": spec.guild_id})
            outcome = Outcome.failed(type(exc).__name__)
        if outcome.status == RunStatus.POSTPONED and postponed:
            outcome = Outcome.skipped(outcome.reason or "postponed_twice")
        await self._ledger.finish(
            run_id,
            outcome.status,
            now,
            reason=outcome.reason,
            retry_at=outcome.retry_at,
            channel_id=outcome.channel_id,
            post_id=outcome.post_id,
            thread_id=outcome.thread_id,
        )
        return outcome.status
