"""The recorder's journal against a real database: a process killed before its flush loses
nothing, a replay counts nothing twice, removals keep their order, an opt-out leaves
nothing of the member on disk."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.config import Settings
from bot.db import Database
from bot.db.models.activity import (
    ActivityEvent,
    ActorRole,
    DailyGuildActivity,
    DailyMemberActivity,
    EventKind,
)
from bot.privacy.service import PrivacyService
from bot.recording import Recorder
from bot.recording.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MessageCreated,
    MessageDeleted,
    ReactionChanged,
    ReplyTarget,
    ThreadCreated,
)
from bot.recording.journal import Journal, decode, encode, read_events

G, CH = 1, 10
ALICE, BOB, CAROL = 100, 101, 102
M, S = ActorRole.MEMBER, ActorRole.STAFF
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def reaction(mid: int, user: int, emoji: str = "👍", *, added: bool = True, s: int = 0) -> Event:
    at = T0 + timedelta(seconds=s, microseconds=123_457)
    return ReactionChanged(G, mid, CH, None, user, M, emoji, added, at, ALICE, M)


def messages() -> list[Event]:
    return [MessageCreated(G, mid, CH, None, ALICE, M, T0) for mid in range(1, 6)]


async def figures(db: Database) -> dict[str, Any]:
    """Row counts per kind and the reaction rollups: what a replay must not change."""
    async with db.session() as s:
        kinds = dict(
            (
                await s.execute(
                    select(ActivityEvent.kind, func.count()).group_by(ActivityEvent.kind)
                )
            ).all()
        )
        guild = (
            await s.execute(
                select(
                    func.sum(DailyGuildActivity.reactions),
                    func.sum(DailyGuildActivity.member_messages),
                )
            )
        ).one()
        received = await s.scalar(select(func.sum(DailyMemberActivity.reactions_received)))
    return {
        "kinds": kinds,
        "guild": tuple(int(v or 0) for v in guild),
        "received": int(received or 0),
    }


def journal_lines(path: Path) -> list[Event]:
    files = sorted(path.parent.glob(path.name + "*"))
    return [e for f in files for e in read_events(f)]


def journal_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.glob(path.name + "*"))


def test_every_event_kind_round_trips_through_a_line() -> None:
    events: list[Event] = [
        MessageCreated(G, 5, CH, 7, ALICE, M, T0, ReplyTarget(4, BOB, S, True), CAROL, M),
        MessageCreated(G, 6, CH, None, ALICE, M, T0, ReplyTarget(4), None, None),
        MessageDeleted(G, 5, CH, None, T0, author_id=None),
        ReactionChanged(G, 5, CH, 7, BOB, S, "<:foyer:123>", False, T0, None, None),
        ThreadCreated(G, 7, CH, ALICE, M, T0 + timedelta(microseconds=999_999)),
        MemberJoined(G, CAROL, False, True, T0),
        MemberLeft(G, CAROL, True, T0),
    ]
    for ev in events:
        line = encode(ev)
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert decode(line) == ev
    assert b"foyer" not in encode(events[0])  # metadata only: ids, roles, times


async def test_killed_before_the_flush_loses_no_reaction(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    """A real SIGKILL: the child records N reactions (no flush), the parent kills it; a
    new recorder on the same database and journal stores all N exactly once."""
    n = 200
    path = tmp_path / "foyer.journal"
    child = textwrap.dedent(
        f"""
        import asyncio, sys
        from datetime import UTC, datetime, timedelta
        from bot.db import Database
        from bot.db.models.activity import ActorRole
        from bot.recording import Recorder
        from bot.recording.events import ReactionChanged
        from bot.recording.journal import Journal

        async def main():
            rec = Recorder(Database.from_url({database_url!r}), flush_interval=3600,
                           journal=Journal(__import__("pathlib").Path({str(path)!r})))
            await rec.recover_journal()
            t0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
            for i in range({n}):
                added = i % 10 != 9  # every tenth a removal of the reaction before it
                user = 1000 + (i - 1 if not added else i)
                await rec.record(ReactionChanged({G}, 1, {CH}, None, user, ActorRole.MEMBER,
                                 "👍", added, t0 + timedelta(seconds=i), {ALICE}, ActorRole.MEMBER))
            print("recorded", rec.pending, flush=True)
            await asyncio.sleep(3600)

        asyncio.run(main())
        """
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        child,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line.split() == [b"recorded", str(n).encode()]
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    assert await figures(database) == {"kinds": {}, "guild": (0, 0), "received": 0}

    recorder = Recorder(database, flush_interval=3600, journal=Journal(path))
    assert await recorder.recover_journal() == n
    adds, removes = n - n // 10, n // 10
    assert await figures(database) == {
        "kinds": {EventKind.REACTION_ADD: adds, EventKind.REACTION_REMOVE: removes},
        "guild": (adds, 0),  # a removed reaction stays counted (docs/metrics.md)
        "received": adds,
    }
    assert journal_lines(path) == []  # written: the journal is empty again
    await recorder.close()


async def test_replaying_a_journal_twice_changes_no_figure(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "foyer.journal"
    events = [*messages(), *(reaction(mid, BOB, s=mid) for mid in range(1, 6))]
    events.append(reaction(3, BOB, added=False, s=10))
    events.append(MemberJoined(G, CAROL, False, False, T0))
    saved = b"".join(encode(e) for e in events)
    first = Recorder(database, flush_interval=3600, journal=Journal(path))
    await first.recover_journal()
    await first.record_many(events)
    await first.close()  # written once, live
    once = await figures(database)
    assert once["kinds"][EventKind.REACTION_ADD] == 5 and once["guild"] == (5, 5)
    for _ in range(2):  # the same journal left twice by killed runs
        path.write_bytes(saved)
        again = Recorder(database, flush_interval=3600, journal=Journal(path))
        assert await again.recover_journal() == len(events)
        await again.close()
        assert await figures(database) == once


async def test_a_removal_replays_after_its_add(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "foyer.journal"
    killed = Recorder(database, flush_interval=3600, journal=Journal(path))
    await killed.recover_journal()
    await killed.record(reaction(1, BOB, s=1))
    await killed.record(reaction(1, BOB, added=False, s=2))
    await killed.record(reaction(1, CAROL, s=3))
    # killed: nothing flushed, nothing closed
    recorder = Recorder(database, flush_interval=3600, journal=Journal(path))
    assert await recorder.recover_journal() == 3
    async with database.session() as s:
        rows = (
            await s.execute(
                select(ActivityEvent.actor_id, ActivityEvent.kind).order_by(
                    ActivityEvent.occurred_at
                )
            )
        ).all()
    assert rows == [
        (BOB, EventKind.REACTION_ADD),
        (BOB, EventKind.REACTION_REMOVE),
        (CAROL, EventKind.REACTION_ADD),
    ]


async def test_a_flush_empties_the_journal_and_new_events_wait_in_it(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "foyer.journal"
    recorder = Recorder(database, batch_size=2, flush_interval=3600, journal=Journal(path))
    await recorder.recover_journal()
    await recorder.record_many(messages())
    assert len(journal_lines(path)) == 5  # on disk before any flush
    await recorder.flush()
    assert journal_lines(path) == []
    assert journal_files(path) == ["foyer.journal"]
    await recorder.record(reaction(1, BOB))
    assert journal_lines(path) == [reaction(1, BOB)]
    await recorder.close()
    assert journal_lines(path) == []


async def test_an_unwritten_batch_stays_in_the_journal(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "foyer.journal"
    recorder = Recorder(database, flush_interval=3600, retry_delays=(), journal=Journal(path))
    await recorder.recover_journal()
    await recorder.record_many(messages())

    async def unreachable(_batch: list[Event]) -> None:
        raise OSError("database unreachable")

    recorder._write = unreachable  # type: ignore[method-assign]
    with pytest.raises(OSError):
        await recorder.flush()
    assert len(journal_lines(path)) == 5  # sealed, not released
    await recorder.record(reaction(1, BOB))
    fresh = Recorder(database, flush_interval=3600, journal=Journal(path))  # then killed
    assert await fresh.recover_journal() == 6
    assert (await figures(database))["kinds"] == {EventKind.MESSAGE: 5, EventKind.REACTION_ADD: 1}


async def test_opting_out_leaves_none_of_the_member_in_the_journal(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "foyer.journal"
    recorder = Recorder(database, flush_interval=3600, journal=Journal(path))
    await recorder.recover_journal()
    await recorder.record_many([reaction(1, BOB), reaction(1, CAROL), reaction(2, BOB)])
    await recorder.set_opted_out(G, BOB, True)
    assert [e.user_id for e in journal_lines(path) if isinstance(e, ReactionChanged)] == [CAROL]
    restarted = Recorder(database, flush_interval=3600, journal=Journal(path))  # killed now
    await restarted.load_opt_outs()
    assert await restarted.recover_journal() == 1
    async with database.session() as s:
        actors = (await s.scalars(select(ActivityEvent.actor_id))).all()
    assert actors == [CAROL]


async def test_forgetting_leaves_nothing_of_the_member_in_the_journal(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "foyer.journal"
    recorder = Recorder(database, flush_interval=3600, journal=Journal(path))
    await recorder.recover_journal()
    await recorder.record_many([reaction(1, BOB), reaction(2, CAROL)])
    assert {e.user_id for e in journal_lines(path) if isinstance(e, ReactionChanged)} == {
        BOB,
        CAROL,
    }
    await PrivacyService(database, SystemClock(), recorder).forget(G, BOB)
    assert journal_lines(path) == []  # written, then erased from the database
    async with database.session() as s:
        assert (await s.scalars(select(ActivityEvent.actor_id))).all() == [CAROL]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "data/foyer.journal"),
        ({"database_url": "sqlite+aiosqlite:////var/lib/foyer/x.db"}, "/var/lib/foyer/x.journal"),
        (
            {"database_url": "postgresql+asyncpg://u@h/db", "heartbeat_file": "/run/f/hb"},
            "/run/f/foyer.journal",
        ),
        ({"journal_file": "/j/events.journal"}, "/j/events.journal"),
        ({"shard_count": 4, "shard_ids": [3, 1]}, "data/foyer-shards-1-3.journal"),
    ],
)
def test_the_journal_path_is_beside_the_data_and_one_per_shard_process(
    env: dict[str, Any], expected: str
) -> None:
    assert Settings(_env_file=None, **env).journal_path == Path(expected)  # type: ignore[call-arg]
