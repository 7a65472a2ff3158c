"""Benchmark: recording 200,000 events through the recorder, against three references.

All four write the same rows into fresh, migrated SQLite files, on equal terms: the same
table and indexes (the migrations'), the bot's connection settings (WAL,
`synchronous=NORMAL`, foreign keys) and the recorder's page cache and WAL checkpoint
interval on every connection:
- recorder: `Recorder.record()` for every event, batched flushes (look-ups, classification,
  events, rollups, members and threads in one transaction per batch), then `close()`;
  each event is first appended to the journal, as in the bot (`--no-journal`: without);
- naive ORM (as metricity writes): per event an ORM session, `add`, commit; timed on a
  subset (it is slow) and reported per second;
- naive raw: one `INSERT` and one commit per event through `sqlite3`, on the same subset;
- floor: the classified rows with plain `sqlite3.executemany` in one transaction (no
  rollups, no look-ups, no type conversion): the fastest the disk layer goes.

    .venv/bin/python benchmarks/ingest.py [--events 200000] [--naive 5000] [--repeat 3]
        [--seed 1] [--no-journal] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import Run, note, spread

from bot.db import Database, create_engine
from bot.db.engine import _sqlite_pragmas
from bot.db.migrate import upgrade
from bot.db.models.activity import ActivityEvent, ActorRole
from bot.recording import Recorder
from bot.recording.classify import BatchState, Row, classify
from bot.recording.events import (
    Event,
    MemberJoined,
    MessageCreated,
    ReactionChanged,
    ReplyTarget,
    ThreadCreated,
    snowflake_at,
)
from bot.recording.journal import Journal
from bot.recording.recorder import CACHE_KIB, WAL_AUTOCHECKPOINT
from bot.recording.store import key_of

GUILDS = [900_000_000_000_000_001 + i for i in range(3)]
START = datetime(2026, 10, 1, tzinfo=UTC)
M, S, B = ActorRole.MEMBER, ActorRole.STAFF, ActorRole.BOT
RANKS = range(2_000)
RECORDER_PRAGMAS = (
    f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}",
    f"PRAGMA cache_size=-{CACHE_KIB}",
)
ZIPF = list(itertools.accumulate(1 / (rank + 10) for rank in RANKS))  # top member ~2%


def synthetic_events(count: int, seed: int) -> list[Event]:
    """A plausible mix over 28 days: 60% plain messages, 20% replies, 10% thread messages,
    7% reactions, 1% thread creations, 2% joins; 2,000 users per guild, 1% staff, 1% bots.
    Who acts follows a Zipf law (a few members write most messages, as in every
    community: participation inequality), so member-day rollups repeat."""
    rng = random.Random(seed)
    step = timedelta(days=28) / count
    recent: dict[int, list[tuple[int, int, ActorRole]]] = {g: [] for g in GUILDS}
    threads: dict[int, list[tuple[int, int, int]]] = {g: [] for g in GUILDS}
    events: list[Event] = []
    for i in range(count):
        at = START + step * i
        gid = rng.choice(GUILDS)
        user = gid + 1_000 + rng.choices(RANKS, cum_weights=ZIPF)[0]
        role = S if user % 100 == 0 else B if user % 100 == 1 else M
        channel = gid + 10 + rng.randrange(20)
        mid = snowflake_at(at) + i % 4096
        roll = rng.random()
        past = recent[gid]
        if roll < 0.02:
            events.append(MemberJoined(gid, user, role is B, role is S, at))
        elif roll < 0.03:
            threads[gid].append((mid, channel, user))
            events.append(ThreadCreated(gid, mid, channel, user, role, at))
        elif roll < 0.10 and past:
            target, author, arole = rng.choice(past[-200:])
            events.append(
                ReactionChanged(
                    gid, target, channel, None, user, role, "👍", True, at, author, arole
                )
            )
        elif roll < 0.20 and threads[gid]:
            tid, parent, owner = rng.choice(threads[gid][-50:])
            events.append(MessageCreated(gid, mid, parent, tid, user, role, at, None, owner, M))
        elif roll < 0.40 and past:
            target, author, arole = rng.choice(past[-50:])
            reply = ReplyTarget(target, author, arole, False)
            events.append(MessageCreated(gid, mid, channel, None, user, role, at, reply))
        else:
            events.append(MessageCreated(gid, mid, channel, None, user, role, at))
        if isinstance(events[-1], MessageCreated):
            past.append((mid, user, role))
            if len(past) > 1_000:
                del past[:500]
    return events


async def fresh_database(path: Path) -> Database:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    return Database(engine)


async def run_recorder(
    events: list[Event], path: Path, *, journal: bool = True
) -> tuple[float, int]:
    db = await fresh_database(path)
    recorder = Recorder(db, journal=Journal(path.with_suffix(".journal")) if journal else None)
    await recorder.recover_journal()
    recorder.start()
    began = time.perf_counter()
    for event in events:
        await recorder.record(event)
    await recorder.close()
    elapsed = time.perf_counter() - began
    await db.close()
    return elapsed, recorder.stored


def classified_rows(events: list[Event]) -> list[Row]:
    """The rows the recorder stores, once each (a member reacting twice with the same
    emoji is one fact)."""
    state = BatchState()
    rows = {key_of(row): row for e in events if (row := classify(e, state)) is not None}
    return list(rows.values())


async def run_orm_naive(rows: list[Row], path: Path) -> float:
    """The metricity-style writer: per event, an ORM session, `add`, commit. The engine is
    the bot's (`create_engine`: WAL, `synchronous=NORMAL`), with the recorder's cache and
    checkpoint settings on its connection."""
    db = await fresh_database(path)
    async with db.session() as session:  # the pool keeps this one connection
        conn = await session.connection()
        for pragma in RECORDER_PRAGMAS:
            await conn.exec_driver_sql(pragma)
    began = time.perf_counter()
    for row in rows:
        async with db.session() as session:
            session.add(ActivityEvent(**row))
    elapsed = time.perf_counter() - began
    await db.close()
    return elapsed


def raw_connection(path: Path) -> sqlite3.Connection:
    """A `sqlite3` connection with exactly the recorder's settings: the engine's pragmas
    (WAL, `synchronous=NORMAL`, foreign keys, busy timeout) and the recorder's page cache
    and checkpoint interval."""
    conn = sqlite3.connect(path, isolation_level=None)
    _sqlite_pragmas(conn, None)
    for pragma in RECORDER_PRAGMAS:
        conn.execute(pragma)
    return conn


def insert_sql(columns: list[str]) -> str:
    return (
        f"INSERT INTO activity_events ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)}) ON CONFLICT DO NOTHING"
    )


def as_tuples(rows: list[Row]) -> tuple[list[str], list[tuple[object, ...]]]:
    """The rows as the driver takes them (timestamps as SQLAlchemy stores them), converted
    before the clock starts: the references do no type conversion."""
    columns = list(rows[0])
    tuples = [
        tuple(
            r[c].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if c == "occurred_at" else r[c]
            for c in columns
        )
        for r in rows
    ]
    return columns, tuples


def run_raw_naive(rows: list[Row], path: Path) -> float:
    """One INSERT and one commit per event through `sqlite3`, on the recorder's settings."""
    asyncio.run(_migrate(path))
    columns, tuples = as_tuples(rows)
    conn = raw_connection(path)
    sql = insert_sql(columns)
    began = time.perf_counter()
    for values in tuples:
        conn.execute("BEGIN")
        conn.execute(sql, values)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


def run_floor(rows: list[Row], path: Path) -> float:
    """The classified rows in one `executemany` transaction, on the recorder's settings, into
    the same migrated table (same indexes): what the disk layer alone costs."""
    asyncio.run(_migrate(path))
    columns, tuples = as_tuples(rows)
    conn = raw_connection(path)
    sql = insert_sql(columns)
    began = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(sql, tuples)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


async def _migrate(path: Path) -> None:
    db = await fresh_database(path)
    await db.close()


METHODS = ("recorder", "orm_naive", "raw_naive", "floor")
LABELS = {
    "recorder": "recorder (batched, journal)",
    "orm_naive": "naive ORM: session+commit/event",
    "raw_naive": "naive raw: INSERT+commit/event",
    "floor": "floor: sqlite3.executemany",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--naive", type=int, default=5_000, help="events timed for the naive ways")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="alternating rounds")
    parser.add_argument("--no-journal", action="store_true", help="the recorder without journal")
    parser.add_argument("--quick", action="store_true", help="seconds: 10,000 events, 1 round")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.quick:
        args.events, args.naive, args.repeat = 10_000, 500, 1
    run = Run("ingest", args)

    events = synthetic_events(args.events, args.seed)
    rows = classified_rows(events)
    naive_rows = rows[: args.naive]
    rates: dict[str, list[float]] = {m: [] for m in METHODS}
    stored = 0
    # Rounds interleave the methods, so a busy moment on a shared machine hits all of them
    # alike; each round's ratios compare methods measured a few seconds apart.
    for round_ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="foyer-ingest-") as tmp:
            folder = Path(tmp)
            took, stored = asyncio.run(
                run_recorder(events, folder / "recorder.db", journal=not args.no_journal)
            )
            rates["recorder"].append(len(events) / took)
            took = asyncio.run(run_orm_naive(naive_rows, folder / "orm.db"))
            rates["orm_naive"].append(len(naive_rows) / took)
            rates["raw_naive"].append(len(naive_rows) / run_raw_naive(naive_rows, folder / "r.db"))
            rates["floor"].append(len(rows) / run_floor(rows, folder / "floor.db"))
        note(f"round {round_ + 1}/{args.repeat} done")

    def ratios(other: str) -> list[float]:
        return [r / o for r, o in zip(rates["recorder"], rates[other], strict=True)]

    figures = run.data["figures"]
    figures["events"] = len(events)
    figures["rows"] = len(rows)
    figures["stored"] = stored
    figures["naive_events"] = len(naive_rows)
    figures["events_per_s"] = {m: spread(rates[m], 0) for m in METHODS}
    figures["recorder_vs_orm_naive"] = spread(ratios("orm_naive"), 1)
    figures["recorder_vs_raw_naive"] = spread(ratios("raw_naive"), 2)
    figures["recorder_vs_floor"] = spread(ratios("floor"), 3)
    if args.json:
        run.emit(as_json=True)
        return
    print(f"ingest: {len(events):,} synthetic events ({stored:,} rows stored), SQLite")
    print(f"{args.repeat} alternating rounds; events/s min / median / max")
    for m in METHODS:
        s = figures["events_per_s"][m]
        print(f"{LABELS[m]:<34}{s['min']:>10,.0f}{s['median']:>10,.0f}{s['max']:>10,.0f}")
    for key, target in (
        ("recorder_vs_orm_naive", "target >= 50x"),
        ("recorder_vs_raw_naive", "shown"),
        ("recorder_vs_floor", "target >= 0.60"),
    ):
        s = figures[key]
        print(f"{key}: best round {s['max']}, median {s['median']}, worst {s['min']} ({target})")
    run.emit(as_json=False)


if __name__ == "__main__":
    main()
