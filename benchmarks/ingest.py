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

With `--database-url` (a PostgreSQL server), each method writes into a fresh database made
on it and migrated; naive raw and the floor go through asyncpg directly (an `INSERT` per
event; one `executemany` in one transaction, with the same `ON CONFLICT DO NOTHING`).

    .venv/bin/python benchmarks/ingest.py [--events 200000] [--naive 5000] [--repeat 3]
        [--seed 1] [--no-journal] [--quick] [--json] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from benchlib import Run, note, spread
from sqlalchemy.engine import make_url

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


async def fresh_database(target: Path | str) -> Database:
    """A migrated, empty database: a SQLite file, or a PostgreSQL URL (made by `fresh_pg`)."""
    url = target if isinstance(target, str) else f"sqlite+aiosqlite:///{target}"
    engine = create_engine(url)
    await upgrade(engine)
    return Database(engine)


async def run_recorder(
    events: list[Event], target: Path | str, journal_path: Path, *, journal: bool = True
) -> tuple[float, int]:
    db = await fresh_database(target)
    recorder = Recorder(db, journal=Journal(journal_path) if journal else None)
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


async def run_orm_naive(rows: list[Row], target: Path | str) -> float:
    """The metricity-style writer: per event, an ORM session, `add`, commit. The engine is
    the bot's (`create_engine`: on SQLite WAL, `synchronous=NORMAL`, with the recorder's
    cache and checkpoint settings on its connection)."""
    db = await fresh_database(target)
    if isinstance(target, Path):
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


# -- PostgreSQL (--database-url): each method gets a fresh, migrated database --------------
async def fresh_pg(admin_url: str, method: str) -> str:
    """Create an empty database next to `admin_url`'s; its SQLAlchemy URL."""
    name = f"foyer_ingest_{os.getpid()}_{method}"
    await _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _pg_admin(admin_url, f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def drop_pg(admin_url: str, url: str) -> None:
    name = make_url(url).database
    await _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _pg_admin(admin_url: str, sql: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.exec_driver_sql(sql)
    await engine.dispose()


def _dsn(url: str) -> str:
    """asyncpg's own form of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def pg_raw(rows: list[Row], url: str, *, batched: bool) -> float:
    """asyncpg directly: one INSERT per event, each its own transaction (naive raw), or one
    `executemany` in one transaction (the floor), with the same `ON CONFLICT DO NOTHING`."""
    db = await fresh_database(url)
    await db.close()
    columns = list(rows[0])
    values = [tuple(int(v) if isinstance(v, IntEnum) else v for v in r.values()) for r in rows]
    sql = (
        f"INSERT INTO activity_events ({', '.join(columns)}) "
        f"VALUES ({', '.join(f'${i + 1}' for i in range(len(columns)))}) ON CONFLICT DO NOTHING"
    )
    conn = await asyncpg.connect(_dsn(url))
    try:
        began = time.perf_counter()
        if batched:
            async with conn.transaction():
                await conn.executemany(sql, values)
        else:
            for value in values:
                await conn.execute(sql, *value)
        return time.perf_counter() - began
    finally:
        await conn.close()


async def pg_round(
    admin_url: str,
    events: list[Event],
    rows: list[Row],
    naive: list[Row],
    folder: Path,
    journal: bool,
) -> tuple[dict[str, float], int]:
    """One round of the four methods on PostgreSQL: events/s of each, rows stored."""
    rates: dict[str, float] = {}
    url = await fresh_pg(admin_url, "recorder")
    took, stored = await run_recorder(events, url, folder / "r.journal", journal=journal)
    rates["recorder"] = len(events) / took
    for method, run in (
        ("orm_naive", lambda u: run_orm_naive(naive, u)),
        ("raw_naive", lambda u: pg_raw(naive, u, batched=False)),
        ("floor", lambda u: pg_raw(rows, u, batched=True)),
    ):
        await drop_pg(admin_url, url)
        url = await fresh_pg(admin_url, method)
        rates[method] = len(rows if method == "floor" else naive) / await run(url)
    await drop_pg(admin_url, url)
    return rates, stored


METHODS = ("recorder", "orm_naive", "raw_naive", "floor")
LABELS = {
    "recorder": "recorder (batched, journal)",
    "orm_naive": "naive ORM: session+commit/event",
    "raw_naive": "naive raw: INSERT+commit/event",
    "floor": "floor: executemany",
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
    parser.add_argument(
        "--database-url",
        help="PostgreSQL instead of SQLite: a server URL whose user may create databases "
        "(postgresql+asyncpg://postgres@127.0.0.1:5432/postgres); one is made per method",
    )
    args = parser.parse_args()
    if args.quick:
        args.events, args.naive, args.repeat = 10_000, 500, 1
    run = Run("ingest", args)
    run.data["figures"]["database"] = "postgresql" if args.database_url else "sqlite"

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
            if args.database_url:
                got, stored = asyncio.run(
                    pg_round(
                        args.database_url, events, rows, naive_rows, folder, not args.no_journal
                    )
                )
                for method, rate in got.items():
                    rates[method].append(rate)
                note(f"round {round_ + 1}/{args.repeat} done")
                continue
            took, stored = asyncio.run(
                run_recorder(
                    events,
                    folder / "recorder.db",
                    folder / "recorder.journal",
                    journal=not args.no_journal,
                )
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
    # Each method's least disturbed round against the other's (as `timeit` keeps the best):
    # a round's ratio also moves when only one side of it was slowed.
    figures["best_round_ratios"] = {
        other: round(max(rates["recorder"]) / max(rates[other]), 3)
        for other in ("orm_naive", "raw_naive", "floor")
    }
    if args.json:
        run.emit(as_json=True)
        return
    database = figures["database"]
    print(f"ingest: {len(events):,} synthetic events ({stored:,} rows stored), {database}")
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
