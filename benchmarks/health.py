"""Benchmark: /health's 28-day computation and `foyer report --format json` on a large guild.

Builds, directly in SQLite (executemany, no ORM), a guild with 20,000 members and 2,000,000
recorded events over a year, with the daily rollups computed from exactly those events (as
the recorder would have), then times `build_report` (median and p95 over 20 runs, once the
day's folding is done, as after the bot's nightly folding, with the bot's garbage-collector
settings), the first report on a fresh install, a first report of the day before the
nightly folding, and the report's JSON export, and prints the figures and the database size.

    .venv/bin/python benchmarks/health.py [--members 20000] [--events 2000000] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import redirect_stdout
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import tune_garbage_collector
from bot.db import Database, create_engine
from bot.db.migrate import upgrade
from bot.db.models import HealthMemberSpan, HealthSpan
from bot.metrics import report as report_cli
from bot.metrics.chart import health_chart
from bot.metrics.summary import build_report

GUILD = 900_000_000_000_000_001
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
DAYS = 365
CHANNELS = [GUILD + 100 + i for i in range(20)]
STAFF = 12
LURKERS = 0.65  # share of members who never post or react
MESSAGE, REACTION, THREAD, JOIN = 1, 3, 5, 6
BOT, STAFF_ROLE, MEMBER = 0, 1, 2
PEER, STAFF_INTERACTION = 1, 2
ORDINARY, WELCOME, RITUAL = 0, 1, 2
BOT_ID = GUILD + 1


def ts(moment: datetime) -> str:
    """How SQLAlchemy's DateTime stores an aware UTC value in SQLite."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def generate(path: Path, members: int, events: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = NOW - timedelta(days=DAYS)
    # Members in join order: 60 % were here before the year, the rest join during it.
    joined: list[datetime] = []
    for i in range(members):
        if i < members * 0.6:
            joined.append(start - timedelta(days=rng.uniform(1, 700)))
        else:
            joined.append(start + timedelta(seconds=rng.uniform(0, DAYS * 86400 - 3600)))
    joined.sort()
    users = [GUILD + 10_000 + i for i in range(members)]
    staff = set(rng.sample(range(int(members * 0.6)), STAFF))
    opted = set(rng.sample(range(members), members // 100))
    # Most members lurk (as on real servers); the others' activity is heavy-tailed.
    weights = [
        0.0 if rng.random() < LURKERS else min(rng.paretovariate(1.1), 500.0)
        for _ in range(members)
    ]
    for i in staff:  # the brand team is among the most active
        weights[i] = 200.0
    cum: list[float] = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    left: dict[int, datetime] = {}
    for i in rng.sample(range(members), members // 10):
        moment = max(joined[i], start) + timedelta(days=rng.uniform(1, 200))
        if moment < NOW:
            left[i] = moment

    rows: list[tuple[object, ...]] = []
    dma: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0] * 9)
    dga: dict[date, list[int]] = defaultdict(lambda: [0] * 11)
    dca: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0] * 3)
    threads: list[tuple[int, int, int, int, int, str]] = []
    ref = 1
    per_day = events // DAYS
    newcomer_index = int(members * 0.6)
    ritual_threads = {}
    for day_index in range(DAYS):
        day_start = start + timedelta(days=day_index)
        day = day_start.date()
        if day.weekday() == 4:  # a weekly ritual thread on Fridays
            ritual_threads[day] = GUILD + 5_000_000 + day_index
            threads.append((ritual_threads[day], GUILD, CHANNELS[0], BOT_ID, RITUAL, ts(day_start)))
        present = newcomer_index
        while present < members and joined[present] < day_start + timedelta(days=1):
            present += 1
        # joins of the day, with their welcome threads
        for i in range(newcomer_index, present):
            when = joined[i]
            rows.append(
                (GUILD, JOIN, ref, ts(when), None, None, users[i], MEMBER, None, None, 0, 0, 0, "")
            )
            ref += 1
            dga[when.date()][8] += 1
            thread_id = GUILD + 7_000_000 + i
            threads.append((thread_id, GUILD, CHANNELS[1], users[i], WELCOME, ts(when)))
        newcomer_index = present
        budget = per_day
        bounds = cum[present - 1]
        while budget > 0:
            budget -= 1
            moment = day_start + timedelta(seconds=rng.randrange(86400))
            utc_day = moment.date()  # the rollups' day, as the recorder keys them
            i = _pick(rng, cum, present, bounds)
            actor = users[i]
            role = STAFF_ROLE if i in staff else MEMBER
            roll = rng.random()
            channel = CHANNELS[int(rng.random() ** 2 * len(CHANNELS))]
            if roll < 0.02:  # a bot post
                rows.append(
                    (
                        GUILD,
                        MESSAGE,
                        ref,
                        ts(moment),
                        channel,
                        None,
                        BOT_ID,
                        BOT,
                        None,
                        None,
                        0,
                        0,
                        0,
                        "",
                    )
                )
                dga[utc_day][2] += 1
                dca[(utc_day, channel)][2] += 1
            elif roll < 0.22:  # a reaction to another member's message
                target = _pick(rng, cum, present, bounds)
                if target == i or role != MEMBER or target in staff:
                    budget += 1  # not an event: draw again
                    continue
                rows.append(
                    (
                        GUILD,
                        REACTION,
                        ref,
                        ts(moment),
                        channel,
                        None,
                        actor,
                        role,
                        users[target],
                        MEMBER,
                        0,
                        0,
                        0,
                        "👍",
                    )
                )
                dga[utc_day][5] += 1
                dma[(utc_day, actor)][4] += 1
                dma[(utc_day, users[target])][5] += 1
            elif roll < 0.23 and role == MEMBER:  # a thread
                rows.append(
                    (
                        GUILD,
                        THREAD,
                        ref,
                        ts(moment),
                        channel,
                        GUILD + 9_000_000 + ref,
                        actor,
                        role,
                        None,
                        None,
                        0,
                        0,
                        1,
                        "",
                    )
                )
                dga[utc_day][9] += 1
                dga[utc_day][10] += 1
                dma[(utc_day, actor)][7] += 1
                dma[(utc_day, actor)][8] += 1
            else:  # a message, maybe a reply, maybe in the week's ritual thread
                thread = None
                context = ORDINARY
                interaction = 0
                target_id = target_role = None
                friday = day - timedelta(days=(day.weekday() - 4) % 7)
                if rng.random() < 0.04 and friday in ritual_threads and role == MEMBER:
                    thread, context = ritual_threads[friday], RITUAL
                elif rng.random() < 0.35:
                    target = _pick(rng, cum, present, bounds)
                    if target != i and target not in staff:
                        target_id, target_role = users[target], MEMBER
                        interaction = PEER if role == MEMBER else STAFF_INTERACTION
                rows.append(
                    (
                        GUILD,
                        MESSAGE,
                        ref,
                        ts(moment),
                        channel,
                        thread,
                        actor,
                        role,
                        target_id,
                        target_role,
                        interaction,
                        context,
                        0,
                        "",
                    )
                )
                if role == MEMBER:
                    dga[utc_day][0] += 1
                    dca[(utc_day, channel)][0] += 1
                    mine = dma[(utc_day, actor)]
                    mine[0] += 1
                    if context == RITUAL:
                        mine[6] += 1
                else:
                    dga[utc_day][1] += 1
                    dca[(utc_day, channel)][1] += 1
                if interaction and target_id is not None and interaction == PEER:
                    dga[utc_day][3] += 1
                    dma[(utc_day, actor)][1] += 1
                    dma[(utc_day, target_id)][2] += 1
                elif target_id is not None and interaction == STAFF_INTERACTION:
                    dga[utc_day][4] += 1
                    dma[(utc_day, target_id)][3] += 1
            ref += 1
    # welcome thread messages: half the newcomers introduce themselves, most get a reply;
    # the welcome module's row for each newcomer records the same times
    welcomes: list[tuple[object, ...]] = []
    for thread_id, _g, _p, owner, context, created in threads:
        if context != WELCOME:
            continue
        opened = datetime.fromisoformat(created).replace(tzinfo=UTC)
        when = opened + timedelta(hours=rng.uniform(0, 20))
        introduced = rng.random() >= 0.5 and when < NOW
        answered: datetime | None = None
        if introduced:
            answered = _introduce(rng, rows, dga, dca, dma, thread_id, owner, when, ref, users, cum)
            ref += 2 if answered else 1
        intro_at = ts(when) if introduced else None
        reply_at = ts(answered) if answered else None
        wait = int((answered - when).total_seconds()) if answered else None
        welcomes.append(
            (GUILD, owner, thread_id, False, created, created, intro_at, reply_at, wait)
        )

    staff_ids = {users[i] for i in staff}
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    settings = (GUILD, "fr", "Europe/Paris", 365, 2, ts(start - timedelta(days=30)))
    _insert(con, "guild_settings", GUILD_SETTINGS, [settings])
    people: list[tuple[object, ...]] = [
        (GUILD, users[i], ts(joined[i]), ts(left[i]) if i in left else None, False)
        for i in range(members)
    ]
    people = [(*p, i in staff, i in opted) for i, p in enumerate(people)]
    _insert(con, "members", MEMBERS, [*people, (GUILD, BOT_ID, None, None, True, False, False)])
    _insert(con, "activity_events", EVENTS, rows)
    _insert(con, "tracked_threads", THREADS, threads)
    _insert(con, "welcomes", WELCOMES, welcomes)
    member_rows = [(GUILD, d.isoformat(), u, *v) for (d, u), v in dma.items() if u not in staff_ids]
    _insert(con, "daily_member_activity", MEMBER_DAYS, member_rows)
    _insert(
        con,
        "daily_guild_activity",
        GUILD_DAYS,
        [(GUILD, d.isoformat(), *v) for d, v in dga.items()],
    )
    channel_rows = [(GUILD, d.isoformat(), c, *v) for (d, c), v in dca.items()]
    _insert(con, "daily_channel_activity", CHANNEL_DAYS, channel_rows)
    con.commit()
    con.execute("ANALYZE")
    con.close()


GUILD_SETTINGS = (
    "guild_id",
    "language",
    "timezone",
    "retention_days",
    "posts_per_channel_per_day",
    "joined_at",
)
MEMBERS = ("guild_id", "user_id", "joined_at", "left_at", "is_bot", "is_staff", "opted_out")
EVENTS = (
    "guild_id", "kind", "ref_id", "occurred_at", "channel_id", "thread_id", "actor_id",
    "actor_role", "target_id", "target_role", "interaction", "context", "starts_conversation",
    "emoji",
)  # fmt: skip
THREADS = ("thread_id", "guild_id", "parent_id", "owner_id", "context", "created_at")
WELCOMES = (
    "guild_id", "user_id", "thread_id", "shared", "joined_at", "thread_created_at",
    "introduced_at", "first_peer_reply_at", "first_peer_reply_seconds",
)  # fmt: skip
MEMBER_DAYS = (
    "guild_id", "day", "user_id", "messages", "peer_given", "peer_received", "staff_received",
    "reactions_given", "reactions_received", "ritual_messages", "threads_created",
    "conversations_started",
)  # fmt: skip
GUILD_DAYS = (
    "guild_id", "day", "member_messages", "staff_messages", "bot_messages", "peer_interactions",
    "staff_interactions", "reactions", "joins", "leaves", "conversations",
    "member_conversations", "member_threads",
)  # fmt: skip
CHANNEL_DAYS = (
    "guild_id", "day", "channel_id", "member_messages", "staff_messages", "bot_messages"
)  # fmt: skip


def _insert(
    con: sqlite3.Connection, table: str, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    marks = ", ".join("?" * len(columns))
    con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _introduce(
    rng: random.Random,
    rows: list[tuple[object, ...]],
    dga: dict[date, list[int]],
    dca: dict[tuple[date, int], list[int]],
    dma: dict[tuple[date, int], list[int]],
    thread_id: int,
    owner: int,
    when: datetime,
    ref: int,
    users: list[int],
    cum: list[float],
) -> datetime | None:
    """The newcomer's introduction in their welcome thread and, 3 times in 4, a member's
    reply: events and rollups. Returns the reply's time."""
    posts = [(owner, when)]
    helper = users[_pick(rng, cum, len(cum), cum[-1])]
    reply = when + timedelta(hours=rng.expovariate(1 / 6))
    answered = rng.random() < 0.75 and reply < NOW and helper != owner
    if answered:
        posts.append((helper, reply))
    for i, (actor, moment) in enumerate(posts):
        event = (GUILD, MESSAGE, ref + i, ts(moment), CHANNELS[1], thread_id, actor, MEMBER)
        rows.append((*event, None, None, 0, WELCOME, 0, ""))
        dga[moment.date()][0] += 1
        dca[(moment.date(), CHANNELS[1])][0] += 1
        dma[(moment.date(), actor)][0] += 1
    return reply if answered else None


def _pick(rng: random.Random, cum: list[float], present: int, bound: float) -> int:
    """A weighted index among the first `present` members (bisect on the cumulative weights)."""
    from bisect import bisect_right

    return min(bisect_right(cum, rng.random() * bound, 0, present), present - 1)


async def measure(url: str, runs: int) -> tuple[list[float], list[float], object]:
    tune_garbage_collector()  # /health runs in the bot's process, with its collector settings
    db = Database.from_url(url)
    t0 = time.perf_counter()
    await build_report(db, GUILD, 28, NOW)  # cold: also keeps the completed weeks
    cold = (time.perf_counter() - t0) * 1000
    print(f"first /health on a fresh install (folds the weeks and the day's spans): {cold:.0f} ms")
    first_of_day = []
    for _ in range(5):
        async with db.session() as session:  # a new day before the nightly folding
            await session.execute(delete(HealthMemberSpan))
            await session.execute(delete(HealthSpan))
        t0 = time.perf_counter()
        await build_report(db, GUILD, 28, NOW)
        first_of_day.append((time.perf_counter() - t0) * 1000)
    print(
        "a /health before the night's folding (folds the day's spans), 5 runs: "
        f"median {statistics.median(first_of_day):.0f} ms, max {max(first_of_day):.0f} ms"
    )
    health = []
    cpu = []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        report = await build_report(db, GUILD, 28, NOW)
        health.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    await db.close()
    # On a shared machine wall time includes waiting for a core; CPU time (this process,
    # SQLite's thread included) shows the work itself.
    print(f"/health 28 d CPU time: {summary_line(cpu)}")
    drawing = []
    funnel = [(s.stage, s.count) for s in report.funnel if s.measurable]  # as render_files
    for _ in range(5):
        t0 = time.perf_counter()
        health_chart(report.weekly, funnel, report.lang)
        drawing.append((time.perf_counter() - t0) * 1000)
    print(
        f"chart PNG (drawn in a worker thread, not in the figures above): {summary_line(drawing)}"
    )
    exports = []
    for _ in range(runs):
        args = argparse.Namespace(guild=GUILD, period="28d", format="json", database_url=url)
        out = io.StringIO()
        t0 = time.perf_counter()
        with redirect_stdout(out):
            assert await report_cli.run(args) == 0
        exports.append((time.perf_counter() - t0) * 1000)
    return health, exports, report


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def summary_line(times: list[float]) -> str:
    return f"median {statistics.median(times):.0f} ms, p95 {p95(times):.0f} ms"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", type=Path, help="reuse or keep this database file")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="foyer-bench-")
    path = args.db or Path(folder) / "health.db"
    url = f"sqlite+aiosqlite:///{path}"
    new = not path.exists()
    engine = create_engine(url)
    await upgrade(engine)  # a kept database may predate the latest migration
    await engine.dispose()
    if new:
        t0 = time.perf_counter()
        generate(path, args.members, args.events)
        print(f"generated in {time.perf_counter() - t0:.1f} s")
    con = sqlite3.connect(path)
    # the first /health below folds every completed week again, as on a fresh install
    for table in ("health_member_weeks", "health_weeks", "health_member_spans", "health_spans"):
        con.execute(f"DELETE FROM {table}")
    con.commit()
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("members", "activity_events", "daily_member_activity")
    }
    con.close()
    health, exports, report = await measure(url, args.runs)
    size = path.stat().st_size / 1e6
    print(f"database: {size:.0f} MB ({path}); rows: {counts}")
    print(f"/health 28 d over {args.runs} runs: {summary_line(health)}")
    print(f"foyer report --format json: {summary_line(exports)}")
    for figure in report.figures():  # type: ignore[attr-defined]
        print(f"  {figure.key} = {figure.value} (previous {figure.previous})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
