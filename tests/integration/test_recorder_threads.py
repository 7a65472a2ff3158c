"""Thread answers across restarts: who already answered a thread is the database's
knowledge, not only the cache's, so a thread creation recorded again (gap recovery re-reads
every active thread at each start and fresh session) never makes an answer count twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.db import Database
from bot.db.models.activity import ActivityEvent, ActorRole, DailyGuildActivity, ThreadContext
from bot.recording import Recorder
from bot.recording.events import MessageCreated, ThreadCreated

G, CH, THREAD = 1, 10, 50
OWNER, ALICE, BOB = 100, 101, 102
M = ActorRole.MEMBER
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def in_thread(mid: int, author: int, *, owner: int = OWNER) -> MessageCreated:
    at = T0 + timedelta(minutes=mid)
    return MessageCreated(G, mid, CH, THREAD, author, M, at, None, owner, M)


def created(owner: int = OWNER, role: ActorRole = M) -> ThreadCreated:
    return ThreadCreated(G, THREAD, CH, owner, role, T0)


async def peer_interactions(db: Database) -> int:
    async with db.session() as s:
        total = await s.scalar(
            select(func.coalesce(func.sum(DailyGuildActivity.peer_interactions), 0))
        )
    return int(total or 0)


def restarted(db: Database) -> Recorder:
    """A new process's recorder: empty caches."""
    return Recorder(db, batch_size=50, max_buffer=100, flush_interval=3600)


async def test_answers_stay_counted_once_across_restarts_that_re_record_the_thread(
    database: Database,
) -> None:
    first = restarted(database)
    await first.record_many([created(), in_thread(1, ALICE), in_thread(2, BOB)])
    await first.flush()
    assert await peer_interactions(database) == 2
    mid = 3
    for _restart in range(3):
        recorder = restarted(database)
        await recorder.record(created())  # recovery re-records the active thread's creation
        await recorder.flush()
        await recorder.record_many([in_thread(mid, ALICE), in_thread(mid + 1, BOB)])
        mid += 2
        await recorder.flush()
        assert await peer_interactions(database) == 2


async def test_re_recorded_creation_in_the_same_process_keeps_who_answered(
    database: Database,
) -> None:
    recorder = restarted(database)
    await recorder.record_many([created(), in_thread(1, ALICE)])
    await recorder.flush()
    for mid in (2, 3, 4):  # a fresh session's recovery each time
        await recorder.record(created())
        await recorder.flush()
        await recorder.record(in_thread(mid, ALICE))
        await recorder.flush()
    assert await peer_interactions(database) == 1


async def test_a_new_thread_recorded_with_its_first_answer_counts_once(
    database: Database,
) -> None:
    recorder = restarted(database)
    await recorder.record_many([created(), in_thread(1, ALICE), in_thread(2, ALICE)])
    await recorder.flush()
    await recorder.record(in_thread(3, ALICE))
    await recorder.flush()
    assert await peer_interactions(database) == 1
    async with database.session() as s:
        answers = (
            await s.scalars(select(ActivityEvent.ref_id).where(ActivityEvent.target_id == OWNER))
        ).all()
    assert list(answers) == [1]


async def test_a_ritual_thread_re_recorded_after_a_restart_stays_a_ritual_thread(
    database: Database,
) -> None:
    first = restarted(database)
    await first.mark_thread(G, THREAD, CH, OWNER, ThreadContext.RITUAL, T0)
    recorder = restarted(database)
    await recorder.record(created())  # recovery: the ritual thread is an active thread
    await recorder.flush()
    await recorder.record(in_thread(1, ALICE))
    await recorder.flush()
    async with database.session() as s:
        row = await s.scalar(select(ActivityEvent).where(ActivityEvent.ref_id == 1))
    assert row is not None and row.context == ThreadContext.RITUAL and row.target_id is None
    assert await peer_interactions(database) == 0
