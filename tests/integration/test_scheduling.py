"""The exactly-once scheduler on a real database: claims, restarts, grace, shards, budget
postponement. Time only moves through a ManualClock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import BotPost, RunStatus, ScheduledRun
from bot.scheduling import (
    JobSpec,
    Outcome,
    Recurrence,
    RunContext,
    Scheduler,
    Weekly,
    occurrence_nonce,
)
from bot.scheduling.ledger import PostIntent

PARIS = ZoneInfo("Europe/Paris")
GUILD_SHARD0 = 10 << 22
GUILD_SHARD1 = 11 << 22
START = datetime(2026, 10, 1, tzinfo=UTC)
FIRST = datetime(2026, 10, 5, 7, tzinfo=UTC)  # Monday 09:00 Paris


class FakeKind:
    """Posts by appending to `posts`; `decide` can return another outcome."""

    def __init__(
        self, guilds: Iterable[int], decide: Callable[[RunContext], Outcome] | None = None
    ) -> None:
        self.guilds = list(guilds)
        self.posts: list[tuple[str, datetime]] = []
        self.contexts: list[RunContext] = []
        self.decide = decide

    async def jobs(self) -> list[JobSpec]:
        rec = Recurrence(Weekly(frozenset({0}), time(9, 0)), PARIS)
        return [JobSpec(f"fake:{g}", g, rec, START) for g in self.guilds]

    async def run(self, ctx: RunContext) -> Outcome:
        self.contexts.append(ctx)
        if self.decide is not None:
            outcome = self.decide(ctx)
            if outcome.status != RunStatus.POSTED:
                return outcome
        self.posts.append((ctx.key, ctx.scheduled_for))
        await ctx.record_post(1, len(self.posts))
        return Outcome.posted(channel_id=1, post_id=len(self.posts))


def make(db: Database, clock: ManualClock, kind: FakeKind, **kw: object) -> Scheduler:
    scheduler = Scheduler(db, clock, drive=False, **kw)  # type: ignore[arg-type]
    scheduler.register("fake", kind)
    return scheduler


async def rows(db: Database) -> list[ScheduledRun]:
    async with db.session() as s:
        return list((await s.scalars(select(ScheduledRun).order_by(ScheduledRun.id))).all())


async def test_due_occurrence_runs_once_even_if_asked_twice(database: Database) -> None:
    clock = ManualClock(FIRST + timedelta(seconds=1))
    kind = FakeKind([GUILD_SHARD0])
    a, b = make(database, clock, kind), make(database, clock, kind)
    await a.run_due()
    await b.run_due()
    await a.run_due()
    assert kind.posts == [(f"fake:{GUILD_SHARD0}", FIRST)]
    [row] = await rows(database)
    assert row.status == RunStatus.POSTED and row.post_id == 1


async def test_nothing_before_the_first_occurrence(database: Database) -> None:
    clock = ManualClock(FIRST - timedelta(minutes=1))
    kind = FakeKind([GUILD_SHARD0])
    assert await make(database, clock, kind).run_due() == []
    assert kind.posts == [] and await rows(database) == []


async def test_ten_weeks_post_ten_times_at_local_nine(database: Database) -> None:
    clock = ManualClock(START)
    kind = FakeKind([GUILD_SHARD0])
    scheduler = make(database, clock, kind)
    for _ in range(10 * 7 * 24):
        clock.advance(timedelta(hours=1))
        await scheduler.run_due()
    times = [when for _key, when in kind.posts]
    assert len(times) == 10
    assert times[2] == datetime(2026, 10, 19, 7, tzinfo=UTC)
    assert times[3] == datetime(2026, 10, 26, 8, tzinfo=UTC)
    assert {t.astimezone(PARIS).time() for t in times} == {time(9, 0)}


async def test_crash_between_claim_and_post_then_restart_within_grace(database: Database) -> None:
    clock = ManualClock(FIRST)
    crashed = make(database, clock, FakeKind([GUILD_SHARD0]))
    # The first process claimed the occurrence and died before posting.
    assert await crashed.ledger.insert(
        GUILD_SHARD0, f"fake:{GUILD_SHARD0}", FIRST, RunStatus.CLAIMED, clock.now()
    )
    clock.advance(timedelta(hours=2))
    kind = FakeKind([GUILD_SHARD0])
    restarted = make(database, clock, kind)
    await restarted.start()
    await restarted.run_due()
    assert kind.posts == [(f"fake:{GUILD_SHARD0}", FIRST)]
    context = kind.contexts[0]
    assert context.attempt == 2 and context.now - context.scheduled_for == timedelta(hours=2)
    [row] = await rows(database)
    assert row.status == RunStatus.POSTED


async def test_a_restarted_attempt_has_the_same_nonce_and_finds_the_intent(
    database: Database,
) -> None:
    """The first attempt wrote its intent and died (perhaps after Discord accepted the
    post): the restarted attempt sends the same nonce and is told where to look first."""
    clock = ManualClock(FIRST)
    intents: list[object] = []

    class IntendingKind(FakeKind):
        async def run(self, ctx: RunContext) -> Outcome:
            intents.append(await ctx.intend(700, 5000 + ctx.attempt))
            return await super().run(ctx)

    crashed = make(database, clock, FakeKind([GUILD_SHARD0]))
    run_id = await crashed.ledger.insert(
        GUILD_SHARD0, f"fake:{GUILD_SHARD0}", FIRST, RunStatus.CLAIMED, clock.now()
    )
    assert run_id is not None
    assert await crashed.ledger.intend(run_id, 700, 5001) is None  # then the process died
    first_nonce = occurrence_nonce(f"fake:{GUILD_SHARD0}", FIRST.astimezone(PARIS))
    clock.advance(timedelta(minutes=30))
    kind = IntendingKind([GUILD_SHARD0])
    await make(database, clock, kind).start()
    (context,) = kind.contexts
    assert context.nonce == first_nonce and len(first_nonce) <= 25
    assert context.nonce != occurrence_nonce(f"fake:{GUILD_SHARD0}", FIRST + timedelta(weeks=1))
    assert intents == [PostIntent(700, 5001)]  # the first attempt's, not overwritten
    await database_posts(database, channel_id=700, message_id=5003)
    assert await crashed.ledger.known_posts(700, 5001) == {5003}
    assert await crashed.ledger.known_posts(700, 5003) == set()


async def database_posts(database: Database, *, channel_id: int, message_id: int) -> None:
    async with database.session() as session:
        session.add(
            BotPost(
                guild_id=GUILD_SHARD0,
                channel_id=channel_id,
                day=FIRST.date(),
                posted_at=FIRST,
                kind="nudge",
                message_id=message_id,
            )
        )


async def test_crash_after_discord_accepted_the_post_is_not_reposted(database: Database) -> None:
    clock = ManualClock(FIRST)
    first = make(database, clock, FakeKind([GUILD_SHARD0]))
    run_id = await first.ledger.insert(
        GUILD_SHARD0, f"fake:{GUILD_SHARD0}", FIRST, RunStatus.CLAIMED, clock.now()
    )
    assert run_id is not None
    await first.ledger.record_post(run_id, 1, 99)
    kind = FakeKind([GUILD_SHARD0])
    await make(database, clock, kind).start()
    assert kind.posts == []
    [row] = await rows(database)
    assert row.status == RunStatus.POSTED and row.post_id == 99


async def test_crash_then_restart_after_grace_fails_without_posting(database: Database) -> None:
    clock = ManualClock(FIRST)
    first = make(database, clock, FakeKind([GUILD_SHARD0]))
    await first.ledger.insert(
        GUILD_SHARD0, f"fake:{GUILD_SHARD0}", FIRST, RunStatus.CLAIMED, clock.now()
    )
    clock.advance(timedelta(hours=7))
    kind = FakeKind([GUILD_SHARD0])
    await make(database, clock, kind).start()
    assert kind.posts == []
    [row] = await rows(database)
    assert row.status == RunStatus.FAILED and row.reason == "interrupted"


async def test_down_during_the_occurrence_within_grace_posts_late_once(database: Database) -> None:
    clock = ManualClock(FIRST + timedelta(hours=5, minutes=59))
    kind = FakeKind([GUILD_SHARD0])
    scheduler = make(database, clock, kind)
    await scheduler.start()
    await scheduler.run_due()
    assert kind.posts == [(f"fake:{GUILD_SHARD0}", FIRST)]
    assert kind.contexts[0].now - kind.contexts[0].scheduled_for == timedelta(hours=5, minutes=59)


async def test_down_beyond_grace_records_skipped_and_posts_nothing(database: Database) -> None:
    clock = ManualClock(FIRST + timedelta(hours=6, minutes=1))
    kind = FakeKind([GUILD_SHARD0])
    await make(database, clock, kind).start()
    assert kind.posts == []
    [row] = await rows(database)
    assert row.status == RunStatus.SKIPPED and row.reason == "missed"


async def test_configurable_grace(database: Database) -> None:
    clock = ManualClock(FIRST + timedelta(hours=1))
    kind = FakeKind([GUILD_SHARD0])
    await make(database, clock, kind, grace=timedelta(minutes=30)).start()
    assert kind.posts == []


async def test_long_outage_skips_old_ones_and_never_floods(database: Database) -> None:
    fourth = datetime(2026, 10, 26, 8, tzinfo=UTC)  # after the change to winter time
    clock = ManualClock(fourth + timedelta(hours=1))
    kind = FakeKind([GUILD_SHARD0])
    await make(database, clock, kind).start()
    assert kind.posts == [(f"fake:{GUILD_SHARD0}", fourth)]
    assert [r.status for r in await rows(database)] == [RunStatus.SKIPPED] * 3 + [RunStatus.POSTED]


async def test_two_processes_on_different_shards_never_share_a_guild(database: Database) -> None:
    clock = ManualClock(FIRST + timedelta(seconds=5))
    kind0, kind1 = FakeKind([GUILD_SHARD0, GUILD_SHARD1]), FakeKind([GUILD_SHARD0, GUILD_SHARD1])
    p0 = make(database, clock, kind0, shard_count=2, shard_ids=[0])
    p1 = make(database, clock, kind1, shard_count=2, shard_ids=[1])
    await p1.run_due()
    await p0.run_due()
    assert kind0.posts == [(f"fake:{GUILD_SHARD0}", FIRST)]
    assert kind1.posts == [(f"fake:{GUILD_SHARD1}", FIRST)]
    assert len(await rows(database)) == 2


async def test_postponed_once_then_runs_or_skips(database: Database) -> None:
    clock = ManualClock(FIRST)
    kind = FakeKind(
        [GUILD_SHARD0],
        decide=lambda ctx: (
            Outcome.postponed(ctx.scheduled_for + timedelta(days=1), "budget")
            if ctx.attempt == 1
            else Outcome.posted()
        ),
    )
    scheduler = make(database, clock, kind)
    await scheduler.run_due()
    [row] = await rows(database)
    assert row.status == RunStatus.POSTPONED and kind.posts == []
    clock.advance(timedelta(hours=23))
    await scheduler.run_due()
    assert kind.posts == []
    clock.advance(timedelta(hours=1))
    await scheduler.run_due()
    assert kind.posts == [(f"fake:{GUILD_SHARD0}", FIRST)]
    assert kind.contexts[-1].postponed
    [row] = await rows(database)
    assert row.status == RunStatus.POSTED


async def test_postponed_twice_becomes_skipped(database: Database) -> None:
    clock = ManualClock(FIRST)
    kind = FakeKind(
        [GUILD_SHARD0],
        decide=lambda ctx: Outcome.postponed(ctx.scheduled_for + timedelta(days=1), "budget"),
    )
    scheduler = make(database, clock, kind)
    await scheduler.run_due()
    clock.advance(timedelta(days=1))
    await scheduler.run_due()
    [row] = await rows(database)
    assert row.status == RunStatus.SKIPPED and kind.posts == []


async def test_run_next_now_counts_as_that_occurrence(database: Database) -> None:
    clock = ManualClock(FIRST - timedelta(days=2))
    kind = FakeKind([GUILD_SHARD0])
    scheduler = make(database, clock, kind)
    [spec] = await scheduler.specs()
    result = await scheduler.run_next_now(spec)
    assert result is not None and result.scheduled_for == FIRST
    clock.set(FIRST + timedelta(minutes=1))
    await scheduler.run_due()
    assert kind.posts == [(spec.key, FIRST)]
    assert (await scheduler.next_runs([spec]))[spec.key] == FIRST + timedelta(weeks=1)


async def test_a_failing_kind_marks_the_run_failed_and_does_not_retry(database: Database) -> None:
    clock = ManualClock(FIRST)

    def boom(ctx: RunContext) -> Outcome:
        raise RuntimeError("discord down")

    kind = FakeKind([GUILD_SHARD0], decide=boom)
    scheduler = make(database, clock, kind)
    await scheduler.run_due()
    clock.advance(timedelta(minutes=10))
    await scheduler.run_due()
    assert len(kind.contexts) == 1
    [row] = await rows(database)
    assert row.status == RunStatus.FAILED and row.reason == "RuntimeError"


async def test_apscheduler_wakes_up_at_the_next_occurrence(database: Database) -> None:
    clock = ManualClock(FIRST - timedelta(minutes=5))
    # The bot drives only on the system clock; here APScheduler is armed on a manual one.
    scheduler = Scheduler(database, clock, drive=True)
    scheduler.register("fake", FakeKind([GUILD_SHARD0]))
    await scheduler.start()
    try:
        assert scheduler.next_wakeup == FIRST
        clock.set(FIRST + timedelta(seconds=1))
        await scheduler.run_due()
        # Nothing before next Monday, but it never sleeps more than 15 minutes.
        assert scheduler.next_wakeup == clock.now() + timedelta(minutes=15)
    finally:
        await scheduler.shutdown()
    assert scheduler.next_wakeup is None


async def test_apscheduler_drives_run_due_on_the_system_clock(database: Database) -> None:
    """The production path: a job due in about a second is posted by APScheduler alone."""
    from bot.clock import SystemClock

    clock = SystemClock()
    soon = (clock.now() + timedelta(seconds=1.5)).replace(microsecond=0)
    local = soon.astimezone(PARIS)
    posted = asyncio.Event()

    class SoonKind(FakeKind):
        async def jobs(self) -> list[JobSpec]:
            rule = Weekly(frozenset({local.weekday()}), local.time())
            return [
                JobSpec(
                    "fake:soon", GUILD_SHARD0, Recurrence(rule, PARIS), soon - timedelta(minutes=1)
                )
            ]

        async def run(self, ctx: RunContext) -> Outcome:
            outcome = await super().run(ctx)
            posted.set()
            return outcome

    kind = SoonKind([])
    scheduler = Scheduler(database, clock, drive=True)
    scheduler.register("fake", kind)
    await scheduler.start()
    try:
        await asyncio.wait_for(posted.wait(), timeout=10)
    finally:
        await scheduler.shutdown()
    assert kind.posts == [("fake:soon", soon)]


async def test_a_kind_that_cannot_list_its_jobs_does_not_stop_the_others(
    database: Database,
) -> None:
    class Broken(FakeKind):
        async def jobs(self) -> list[JobSpec]:
            raise RuntimeError("bad row")

    clock = ManualClock(FIRST)
    kind = FakeKind([GUILD_SHARD0])
    scheduler = make(database, clock, kind)
    scheduler.register("broken", Broken([]))
    await scheduler.run_due()
    assert kind.posts == [(f"fake:{GUILD_SHARD0}", FIRST)]
