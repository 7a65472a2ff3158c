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
import itertools
import random
import sqlite3
import statistics
import subprocess
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

from benchlib import ROOT, Run, note, p95, timings

from bot.db import Database, create_engine
from bot.db.migrate import upgrade
from bot.db.models import HealthMemberSpan, HealthSpan
from bot.gc_tuning import tune_garbage_collector
from bot.metrics import report as report_cli
from bot.metrics.embeds import health_embeds
from bot.metrics.job import render_files
from bot.metrics.summary import HealthReport, build_report

GUILD = 900_000_000_000_000_001
# The data ends at the hour the database is generated, so that `foyer report` (a process
# reading the real clock) reports the same period as the timed `build_report(..., NOW)`.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
DAYS = 365
CHANNELS = [GUILD + 100 + i for i in range(20)]
STAFF = 12
LURKERS = 0.65  # share of members who never post or react
MESSAGE, REACTION, THREAD, JOIN, LEAVE = 1, 3, 5, 6, 7
ANONYMOUS = 0  # actor_id of an opted-out member's join or leave (bot.recording.classify)
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
    left: dict[int, datetime] = {}
    leaving: dict[date, list[int]] = defaultdict(list)
    for i in rng.sample(range(members), members // 10):
        moment = max(joined[i], start) + timedelta(days=rng.uniform(1, 200))
        if moment < NOW:
            left[i] = moment
            leaving[moment.date()].append(i)
    # Their own actions are never recorded (bot.recording.classify): the opted-out members
    # do not act in the data; nor do members after they left.
    for i in opted:
        weights[i] = 0.0
    cum = list(itertools.accumulate(weights))

    rows: list[tuple[object, ...]] = []
    dma: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0] * 9)
    dga: dict[date, list[int]] = defaultdict(lambda: [0] * 11)
    dca: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0] * 3)
    threads: list[tuple[int, int, int, int, int, str]] = []
    ref = 1
    per_day = events // DAYS
    newcomer_index = int(members * 0.6)
    ritual_threads = {}
    member_threads: list[tuple[int, int, int]] = []  # (thread, parent channel, owner index)
    answered: set[tuple[int, int]] = set()  # (thread, author): a thread answer counts once
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
            actor = ANONYMOUS if i in opted else users[i]
            rows.append(
                (GUILD, JOIN, ref, ts(when), None, None, actor, MEMBER, None, None, 0, 0, 0, "")
            )
            ref += 1
            dga[when.date()][JOINS] += 1
            thread_id = GUILD + 7_000_000 + i
            threads.append((thread_id, GUILD, CHANNELS[1], users[i], WELCOME, ts(when)))
        newcomer_index = present
        for i in leaving.get(day, ()):
            actor = ANONYMOUS if i in opted else users[i]
            rows.append(
                (GUILD, LEAVE, ref, ts(left[i]), None, None, actor, MEMBER, None, None, 0, 0, 0, "")
            )
            ref += 1
            dga[day][LEAVES] += 1
        budget = per_day
        bounds = cum[present - 1]
        while budget > 0:
            budget -= 1
            moment = day_start + timedelta(seconds=rng.randrange(86400))
            utc_day = moment.date()  # the rollups' day, as the recorder keys them
            i = _pick(rng, cum, present, bounds)
            if i in left and left[i] <= moment:
                budget += 1  # gone: draw again
                continue
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
                if target == i or role != MEMBER or target in staff or weights[target] == 0:
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
                dga[utc_day][CONVERSATIONS] += 1
                dga[utc_day][MEMBER_CONVERSATIONS] += 1
                dga[utc_day][MEMBER_THREADS] += 1
                dma[(utc_day, actor)][7] += 1
                dma[(utc_day, actor)][8] += 1
                thread_id = GUILD + 9_000_000 + ref
                threads.append((thread_id, GUILD, channel, actor, ORDINARY, ts(moment)))
                member_threads.append((thread_id, channel, i))
            else:  # a message, maybe a reply, maybe in the week's ritual thread
                thread = None
                context = ORDINARY
                interaction = 0
                starts = 0
                target_id = target_role = None
                friday = day - timedelta(days=(day.weekday() - 4) % 7)
                if rng.random() < 0.04 and friday in ritual_threads and role == MEMBER:
                    thread, context = ritual_threads[friday], RITUAL
                elif rng.random() < 0.10 and member_threads:  # in a member's thread
                    thread, channel, owner = rng.choice(member_threads[-50:])
                    if owner != i and weights[owner] and (thread, i) not in answered:
                        answered.add((thread, i))  # a thread answer, towards the owner
                        target_id, target_role = users[owner], MEMBER
                        interaction = PEER if role == MEMBER else STAFF_INTERACTION
                elif rng.random() < 0.35:  # a reply; half are a message's first reply
                    target = _pick(rng, cum, present, bounds)
                    if target != i and target not in staff and weights[target]:
                        target_id, target_role = users[target], MEMBER
                        interaction = PEER if role == MEMBER else STAFF_INTERACTION
                        starts = int(rng.random() < 0.5)
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
                        starts,
                        "",
                    )
                )
                if starts:  # a conversation, on the first reply's day, started by the target
                    dga[utc_day][CONVERSATIONS] += 1
                    dga[utc_day][MEMBER_CONVERSATIONS] += 1
                    dma[(utc_day, target_id)][8] += 1
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
    opted_ids = {users[i] for i in opted}
    left_at = {users[i]: moment for i, moment in left.items()}
    for thread_id, _g, _p, owner, context, created in threads:
        if context != WELCOME:
            continue
        opened = datetime.fromisoformat(created).replace(tzinfo=UTC)
        when = opened + timedelta(hours=rng.uniform(0, 20))
        gone = owner in opted_ids or (owner in left_at and left_at[owner] <= when)
        introduced = rng.random() >= 0.5 and when < NOW and not gone
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
JOINS, LEAVES, CONVERSATIONS, MEMBER_CONVERSATIONS, MEMBER_THREADS = 6, 7, 8, 9, 10  # in dga
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


async def answer(db: Database, days: int) -> tuple[HealthReport, float, float]:
    """What the admin waits for before the answer shows: the figures (`build_report`) and
    the embeds; returns the report and the two parts' times in ms."""
    t0 = time.perf_counter()
    report = await build_report(db, GUILD, days, NOW)
    t1 = time.perf_counter()
    health_embeds(report)
    return report, (t1 - t0) * 1000, (time.perf_counter() - t1) * 1000


async def chart(report: HealthReport) -> float:
    """The chart as /health attaches it (`render_files`: drawn in a worker thread), in ms."""
    t0 = time.perf_counter()
    await render_files(report)
    return (time.perf_counter() - t0) * 1000


async def forget_spans(db: Database) -> None:
    """A new day before the nightly folding: no period's span is folded yet."""
    async with db.session() as session:
        await session.execute(delete(HealthMemberSpan))
        await session.execute(delete(HealthSpan))


async def measure(url: str, runs: int, exports: int) -> tuple[dict[str, Any], HealthReport]:
    tune_garbage_collector()  # /health runs in the bot's process, with its collector settings
    db = Database.from_url(url)
    figures: dict[str, Any] = {}
    report, build_ms, embeds_ms = await answer(db, 28)  # folds the weeks and the spans
    figures["fresh_install_answer_ms"] = round(build_ms + embeds_ms, 1)
    note(f"first /health on a fresh install: {build_ms + embeds_ms:.0f} ms")
    await chart(report)  # the first chart also imports matplotlib: not a day's figure

    def record(name: str, values: list[float]) -> None:
        figures[name] = timings(values)
        note(f"{name}: {summary_line(values)}")

    for days, label in ((28, "warm_28d"), (90, "warm_90d")):
        await answer(db, days)  # the period's span folded (for 28 days: as each night)
        builds, embeds, answers, charts, whole, cpu = [], [], [], [], [], []
        for _ in range(runs):
            c0 = time.process_time()
            report, build_ms, embeds_ms = await answer(db, days)
            cpu.append((time.process_time() - c0) * 1000)
            chart_ms = await chart(report) if days == 28 else 0.0
            builds.append(build_ms)
            embeds.append(embeds_ms)
            answers.append(build_ms + embeds_ms)
            charts.append(chart_ms)
            whole.append(build_ms + embeds_ms + chart_ms)
        record(f"{label}_answer_ms", answers)
        record(f"{label}_figures_ms", builds)
        record(f"{label}_embeds_ms", embeds)
        record(f"{label}_answer_cpu_ms", cpu)
        if days == 28:
            record(f"{label}_chart_ms", charts)
            record(f"{label}_whole_ms", whole)
    cold: list[float] = []
    for _ in range(runs):
        await forget_spans(db)
        _, build_ms, embeds_ms = await answer(db, 28)
        cold.append(build_ms + embeds_ms)
    record("cold_28d_answer_ms", cold)
    await db.close()

    in_process, whole_process = [], []
    for _ in range(exports):
        args = argparse.Namespace(guild=GUILD, period="28d", format="json", database_url=url)
        out = io.StringIO()
        t0 = time.perf_counter()
        with redirect_stdout(out):
            assert await report_cli.run(args) == 0
        in_process.append((time.perf_counter() - t0) * 1000)
        try:
            whole_process.append(export_process(url))
        except subprocess.CalledProcessError as error:  # a figure missing, not the run
            figures["export_json_process_failed"] = f"exit {error.returncode}"
    record("export_json_in_process_ms", in_process)
    if whole_process:
        record("export_json_process_ms", whole_process)
    return figures, report


def export_process(url: str) -> float:
    """`foyer report --format json` as an admin runs it: a new Python process, in ms. It
    runs `bot.cli.main` of this tree (the `foyer` script's own call), so that a copy of
    the project measures its own code."""
    foyer = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
    command = [*foyer, "report", "--guild", str(GUILD), "--period", "28d", "--format", "json"]
    t0 = time.perf_counter()
    subprocess.run(
        [*command, "--database-url", url], check=True, stdout=subprocess.DEVNULL, cwd=ROOT
    )
    return (time.perf_counter() - t0) * 1000


def summary_line(times: list[float]) -> str:
    return f"median {statistics.median(times):.0f} ms, p95 {p95(times):.0f} ms"


async def main() -> int:
    global NOW
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=100, help="runs of each timed step")
    parser.add_argument("--exports", type=int, default=20, help="runs of foyer report")
    parser.add_argument("--db", type=Path, help="reuse or keep this database file")
    parser.add_argument("--quick", action="store_true", help="seconds: 1,000 members, 5 runs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.quick:
        args.members, args.events, args.runs, args.exports = 1_000, 50_000, 5, 1
    run = Run("health", args)
    folder = tempfile.mkdtemp(prefix="foyer-bench-")
    path = args.db or Path(folder) / "health.db"
    url = f"sqlite+aiosqlite:///{path}"
    new = not path.exists()
    stamp = path.with_name(path.name + ".now")  # the data's "now", for a kept database
    if new:
        stamp.write_text(NOW.isoformat())
    else:
        NOW = datetime.fromisoformat(stamp.read_text())
    engine = create_engine(url)
    await upgrade(engine)  # a kept database may predate the latest migration
    await engine.dispose()
    if new:
        t0 = time.perf_counter()
        generate(path, args.members, args.events)
        note(f"generated in {time.perf_counter() - t0:.1f} s")
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
    figures, report = await measure(url, args.runs, args.exports)
    data = run.data["figures"]
    data["rows"] = counts
    data["database_mb"] = round(path.stat().st_size / 1e6)
    data["now"] = NOW.isoformat()
    data["active_members_28d"] = report.figure("participation.active_members").value
    data.update(figures)
    if args.json:
        run.emit(as_json=True)
        return 0
    print(f"database: {data['database_mb']} MB ({path}); rows: {counts}")
    for name, value in figures.items():
        if isinstance(value, dict):
            print(
                f"{name:<28} median {value['median']:>7} p95 {value['p95']:>7}"
                f" max {value['max']:>7}"
            )
        else:
            print(f"{name:<28} {value}")
    for figure in report.figures():  # type: ignore[attr-defined]
        print(f"  {figure.key} = {figure.value} (previous {figure.previous})")
    run.emit(as_json=False)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
