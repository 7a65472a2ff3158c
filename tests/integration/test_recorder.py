"""The recorder against a real database: batching, idempotency, back-pressure, retries,
flush on close, rollups equal to a recount, thread contexts, opt-outs, members."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy import exc as sa_exc

from bot.db import Database
from bot.db.models.activity import (
    ActivityEvent,
    ActorRole,
    DailyChannelActivity,
    DailyGuildActivity,
    DailyMemberActivity,
    EventKind,
    Member,
    ThreadContext,
    TrackedThread,
)
from bot.recording import Recorder
from bot.recording.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MessageCreated,
    ReactionChanged,
    ReplyTarget,
    ThreadCreated,
)
from bot.recording.rollups import Rollups

G, CH = 1, 10
ALICE, BOB, CAROL, STAFF, BOT = 100, 101, 102, 200, 300
M, S = ActorRole.MEMBER, ActorRole.STAFF
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def message(
    mid: int,
    author: int,
    *,
    role: ActorRole = M,
    reply_to: tuple[int, int] | None = None,
    thread: int | None = None,
    owner: int | None = None,
    at: datetime = T0,
) -> MessageCreated:
    ref = ReplyTarget(reply_to[0], reply_to[1], M, False) if reply_to else None
    return MessageCreated(G, mid, CH, thread, author, role, at, ref, owner, M if owner else None)


async def count(db: Database, model: Any) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def stored_rollups(db: Database) -> dict[str, dict[tuple[Any, ...], dict[str, int]]]:
    tables = {
        "guild": (DailyGuildActivity, ("guild_id", "day")),
        "channel": (DailyChannelActivity, ("guild_id", "day", "channel_id")),
        "member": (DailyMemberActivity, ("guild_id", "day", "user_id")),
    }
    out: dict[str, dict[tuple[Any, ...], dict[str, int]]] = {}
    async with db.session() as s:
        for name, (model, keys) in tables.items():
            rows = (await s.execute(select(model.__table__))).mappings().all()
            out[name] = {
                tuple(r[k] for k in keys): {c: v for c, v in r.items() if c not in keys and v}
                for r in rows
            }
    return out


async def recount(db: Database) -> dict[str, dict[tuple[Any, ...], dict[str, int]]]:
    async with db.session() as s:
        rows = (await s.execute(select(ActivityEvent.__table__))).mappings().all()
    return Rollups().add_all(dict(r) for r in rows).as_dicts()


@pytest.fixture
async def recorder(database: Database) -> Recorder:
    return Recorder(database, batch_size=4, max_buffer=100, flush_interval=3600)


async def test_batches_are_one_transaction_each(database: Database) -> None:
    recorder = Recorder(database, batch_size=4, flush_interval=3600)
    commits: list[int] = []
    event.listen(database.engine.sync_engine, "commit", lambda _c: commits.append(1))
    await recorder.record_many(message(i, ALICE) for i in range(1, 11))
    await recorder.flush()
    assert len(commits) == 3  # 4 + 4 + 2
    assert await count(database, ActivityEvent) == 10
    assert recorder.stored == 10


async def test_same_message_twice_is_stored_once_and_counted_once(
    database: Database, recorder: Recorder
) -> None:
    events = [message(1, ALICE), message(2, BOB, reply_to=(1, ALICE))]
    await recorder.record_many(events)
    await recorder.flush()
    before = await stored_rollups(database)
    await recorder.record_many([*events, events[1]])  # a resume replay, twice in one batch
    await recorder.flush()
    assert await count(database, ActivityEvent) == 2
    assert await stored_rollups(database) == before
    assert before["guild"][(G, T0.date())] == {
        "member_messages": 2,
        "peer_interactions": 1,
        "conversations": 1,
        "member_conversations": 1,
    }


async def test_full_buffer_makes_record_wait(database: Database) -> None:
    recorder = Recorder(database, batch_size=4, max_buffer=8, flush_interval=3600)
    await recorder.record_many(message(i, ALICE) for i in range(1, 9))  # max_buffer = 8
    blocked = asyncio.create_task(recorder.record(message(9, ALICE)))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not blocked.done() and recorder.pending == 8
    await recorder.flush()
    await blocked
    await recorder.flush()
    assert await count(database, ActivityEvent) == 9


async def test_locked_database_is_retried(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(database, batch_size=4, flush_interval=3600, retry_delays=(0, 0))
    real_write = recorder._write
    attempts: list[int] = []

    async def flaky(batch: list[Event]) -> None:
        attempts.append(len(batch))
        if len(attempts) == 1:
            raise sa_exc.OperationalError("INSERT", {}, Exception("database is locked"))
        await real_write(batch)

    recorder._write = flaky  # type: ignore[method-assign]
    await recorder.record(message(1, ALICE))
    with caplog.at_level(logging.WARNING):
        await recorder.flush()
    assert attempts == [1, 1]
    assert await count(database, ActivityEvent) == 1
    assert "retry 1" in caplog.text


async def test_unreachable_database_keeps_the_batch(database: Database) -> None:
    recorder = Recorder(database, batch_size=4, flush_interval=3600, retry_delays=(0,))

    async def down(batch: list[Event]) -> None:
        raise sa_exc.OperationalError("INSERT", {}, Exception("connection refused"))

    real_write = recorder._write
    recorder._write = down  # type: ignore[method-assign]
    await recorder.record_many([message(1, ALICE), message(2, BOB)])
    with pytest.raises(sa_exc.OperationalError):
        await recorder.flush()
    assert recorder.pending == 2
    recorder._write = real_write  # type: ignore[method-assign]
    await recorder.flush()
    assert await count(database, ActivityEvent) == 2


async def test_close_flushes_what_is_buffered(database: Database) -> None:
    recorder = Recorder(database, batch_size=100, flush_interval=3600)
    recorder.start()
    await recorder.record_many(message(i, ALICE) for i in range(1, 6))
    assert await count(database, ActivityEvent) == 0
    await recorder.close()
    assert await count(database, ActivityEvent) == 5


async def test_size_triggers_a_flush_without_waiting_for_the_interval(database: Database) -> None:
    recorder = Recorder(database, batch_size=3, flush_interval=3600)
    recorder.start()
    flushed = asyncio.Event()
    real_write = recorder._write

    async def spy(batch: list[Event]) -> None:
        await real_write(batch)
        flushed.set()

    recorder._write = spy  # type: ignore[method-assign]
    await recorder.record_many(message(i, ALICE) for i in range(1, 4))
    await asyncio.wait_for(flushed.wait(), 5)
    assert await count(database, ActivityEvent) == 3
    await recorder.close()


async def test_rollups_equal_a_recount_over_mixed_replayed_batches(
    database: Database, recorder: Recorder
) -> None:
    day2 = T0 + timedelta(days=1)
    script: list[Event] = [
        MemberJoined(G, ALICE, False, False, T0),
        MemberJoined(G, BOB, False, False, T0),
        MemberJoined(G, STAFF, False, True, T0),
        message(1, ALICE),
        message(2, BOB, reply_to=(1, ALICE)),
        message(3, STAFF, role=S, reply_to=(1, ALICE)),
        ThreadCreated(G, 50, CH, BOB, M, T0),
        message(51, ALICE, thread=50, owner=BOB),
        message(52, ALICE, thread=50, owner=BOB, at=day2),
        message(53, CAROL, thread=50, owner=BOB, at=day2),
        ReactionChanged(G, 1, CH, None, BOB, M, "👍", True, day2),
        ReactionChanged(G, 1, CH, None, BOB, M, "👍", False, day2),
        message(4, BOT, role=ActorRole.BOT, at=day2),
        MemberLeft(G, CAROL, False, day2),
    ]
    await recorder.record_many(script[:7])
    await recorder.flush()
    await recorder.record_many(script)  # everything again, interleaved with new events
    await recorder.flush()
    stored = await stored_rollups(database)
    assert stored == await recount(database)
    assert stored["guild"][(G, T0.date())] == {
        "member_messages": 3,
        "staff_messages": 1,
        "peer_interactions": 2,
        "staff_interactions": 1,
        "joins": 3,
        "conversations": 2,
        "member_conversations": 2,
        "member_threads": 1,
    }
    assert stored["guild"][(G, day2.date())] == {
        "member_messages": 2,
        "bot_messages": 1,
        "peer_interactions": 1,
        "reactions": 1,
        "leaves": 1,
    }
    async with database.session() as s:
        members = {m.user_id: m for m in (await s.scalars(select(Member))).all()}
        thread = await s.get(TrackedThread, 50)
    assert members[STAFF].is_staff and members[CAROL].left_at == day2
    assert thread is not None and thread.owner_id == BOB


async def test_marked_ritual_thread_counts_ritual_messages(
    database: Database, recorder: Recorder
) -> None:
    await recorder.mark_thread(G, 60, CH, BOT, ThreadContext.RITUAL, T0)
    await recorder.record_many(
        [
            ThreadCreated(G, 60, CH, BOT, ActorRole.BOT, T0),  # arrives after the mark
            message(61, ALICE, thread=60, owner=BOT),
        ]
    )
    await recorder.flush()
    async with database.session() as s:
        thread = await s.get(TrackedThread, 60)
        row = await s.scalar(select(ActivityEvent).where(ActivityEvent.ref_id == 61))
    assert thread is not None and thread.context == ThreadContext.RITUAL
    assert row is not None and row.context == ThreadContext.RITUAL and row.target_id is None
    stored = await stored_rollups(database)
    assert stored["member"][(G, T0.date(), ALICE)] == {"messages": 1, "ritual_messages": 1}


async def test_opted_out_member_is_not_recorded(database: Database, recorder: Recorder) -> None:
    joined = T0 - timedelta(days=1)
    await recorder.record(MemberJoined(G, ALICE, False, False, joined))  # counted, anonymously
    await recorder.record(message(1, ALICE))  # buffered before the opt-out: dropped too
    await recorder.set_opted_out(G, ALICE, True)
    await recorder.record_many(
        [
            message(2, ALICE),
            message(3, BOB, reply_to=(1, ALICE)),
            MemberLeft(G, ALICE, False, T0),
        ]
    )
    await recorder.flush()
    async with database.session() as s:
        rows = (await s.scalars(select(ActivityEvent))).all()
        member = await s.get(Member, (G, ALICE))
    assert [(r.kind, r.actor_id, r.target_id) for r in sorted(rows, key=lambda r: r.kind)] == [
        (EventKind.MESSAGE, BOB, None),
        (EventKind.MEMBER_JOIN, 0, None),
        (EventKind.MEMBER_LEAVE, 0, None),
    ]
    assert member is not None and member.opted_out and member.left_at == T0
    stored = await stored_rollups(database)
    assert stored["guild"][(G, joined.date())] == {"joins": 1}
    assert stored["guild"][(G, T0.date())] == {"member_messages": 1, "leaves": 1}
    other = Recorder(database)
    await other.load_opt_outs()
    assert other.is_opted_out(G, ALICE) and not other.is_opted_out(G, BOB)
    await recorder.set_opted_out(G, ALICE, False)
    await recorder.record(message(4, ALICE))
    await recorder.flush()
    assert await count(database, ActivityEvent) == 4


@pytest.mark.parametrize("table", ["events", "members"])
async def test_fast_insert_path_refuses_naive_datetimes_like_the_orm(
    database: Database, table: str
) -> None:
    """The recorder's driver-level insert converts values itself; a naive datetime must fail
    there as it does through the ORM's column type, on both databases, and store nothing."""
    from bot.recording import store

    target = store.EVENTS if table == "events" else store.MEMBERS
    model = ActivityEvent if table == "events" else Member
    naive = T0.replace(tzinfo=None)
    row: dict[str, Any]
    if table == "events":
        row = {
            "guild_id": G,
            "kind": EventKind.MESSAGE,
            "ref_id": 1,
            "occurred_at": naive,
            "channel_id": CH,
            "thread_id": None,
            "actor_id": ALICE,
            "actor_role": M,
            "target_id": None,
            "target_role": None,
            "interaction": 0,
            "context": ThreadContext.ORDINARY,
            "starts_conversation": False,
            "emoji": "",
            "reply_to_id": None,
        }
    else:
        row = {"guild_id": G, "user_id": ALICE, "joined_at": naive, "left_at": None}
        row |= {"is_bot": False, "is_staff": False, "opted_out": False}
    with pytest.raises(ValueError, match="naive datetime"):
        async with database.engine.begin() as conn:
            await store.executemany(conn, target, lambda: store.insert_for(conn, target), [row])
    assert await count(database, model) == 0
