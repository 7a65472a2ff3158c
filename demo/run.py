"""``foyer demo``: a local Discord, a simulated community, the real bot, a report.

Starts the sandbox, runs the real ``FoyerBot`` against it on a temporary SQLite file (or
``--db``), replays weeks of community life with past timestamps while printing progress,
acts as an admin (``/setup``, then every report command that exists), and prints what a
community manager would see. Charts are written to the output folder.

Each feature's demo steps live in ``demo/steps/<feature>.py``; the lists
``BEFORE_REPLAY``, ``DURING_REPLAY`` and ``AFTER_REPLAY`` below put them in order.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord

from demo.community import CommunityScript
from demo.community_hooks import nps_answers
from demo.context import DemoContext, Step
from demo.harness import running_foyer
from demo.scenario import Town, build_town
from demo.steps.core import health_step, setup_step, survey_during_replay, survey_results_step
from demo.steps.peers import buddies_step, intros_step
from demo.steps.rituals import ritual_during_replay, ritual_report_step, ritual_setup_step
from demo.steps.spotlight import spotlight_step
from demo.steps.welcome import welcome_during_replay, welcome_report_step, welcome_setup_step
from discord_sandbox.api import Sandbox

BEFORE_REPLAY: list[Step] = [setup_step, welcome_setup_step, ritual_setup_step]
#: Each registers its hooks on the community script before the replay starts.
DURING_REPLAY: list[Callable[[DemoContext], None]] = [
    survey_during_replay,
    welcome_during_replay,
    ritual_during_replay,
]
AFTER_REPLAY: list[Step] = [
    health_step,
    survey_results_step,
    welcome_report_step,
    ritual_report_step,
    spotlight_step,
    buddies_step,
    intros_step,
]


#: The help line of this `foyer` subcommand (plugged in by pyproject.toml's entry points).
HELP = "replay weeks of a simulated community against a local Discord"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``foyer demo`` options."""
    parser.add_argument(
        "--members", type=int, default=60, help="members present at the start (default: 60)"
    )
    parser.add_argument(
        "--weeks", type=int, default=8, help="simulated weeks of community life (default: 8)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=7,
        help="random seed: the same seed tells the same story (default: 7)",
    )
    parser.add_argument(
        "--language",
        choices=["fr", "en"],
        default="en",
        help="language of the server and of the report (default: en)",
    )
    parser.add_argument(
        "--voice",
        choices=["tu", "vous"],
        default=None,
        help="how Foyer's French speaks (/setup voice): tu or vous (default: vous)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="folder for the chart PNGs (default: ./demo-output)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show the bot's and discord.py's log lines"
    )
    parser.add_argument(
        "--db", type=Path, default=None, help="SQLite file to keep (default: a temporary file)"
    )
    parser.add_argument(
        "--web",
        type=int,
        nargs="?",
        const=8080,
        default=None,
        metavar="PORT",
        help="after the replay, keep the server up and serve the dashboard (default port 8080)",
    )


async def run(args: argparse.Namespace) -> int:
    """Run the demo; return the process exit code."""
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if not getattr(args, "verbose", False):  # the demo's own lines are the report
            stack.enter_context(_quiet_logs())
        return await _run(args, started)


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Silence the bot's log lines for the demo, then put the levels back (the demo also
    runs inside tests, which must not inherit its quiet loggers)."""
    levels = {"bot": logging.WARNING, "cogs": logging.WARNING, "foyer": logging.WARNING}
    levels |= {"apscheduler": logging.WARNING, "discord": logging.ERROR}  # no voice warnings
    saved = {name: logging.getLogger(name).level for name in levels}
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


async def _run(args: argparse.Namespace, started: float) -> int:
    from bot.clock import ManualClock

    out, db_path = _prepare(args)
    # lenient acknowledgement deadline: a loaded laptop must not break a newcomer's demo
    # (the tests keep Discord's 3 s)
    sb = Sandbox(interaction_deadline=10.0, bot_name="Foyer")
    await sb.start()
    try:
        # the server is older than the replay; Foyer arrives when the replayed weeks begin
        start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start -= timedelta(days=7 * args.weeks)
        town = build_town(
            sb,
            "Atelier",
            locale=args.language,
            members=0,
            created_at=start - timedelta(days=420),
            bot_joined_at=start - timedelta(hours=1),
        )
        # the README's invite grants View Audit Log: moderation counts feed *tensions*
        audit_log = discord.Permissions(view_audit_log=True).value
        sb.set_bot_permissions(town.guild, sb.world.bot_role(town.guild).permissions | audit_log)
        script = CommunityScript(
            sb,
            town,
            members=args.members,
            weeks=args.weeks,
            seed=args.seed,
            language=args.language,
            end=start + timedelta(days=7 * args.weeks),
            moderation=1.5,  # timeouts and deletions a week: steady, no tension
        )
        clock = ManualClock(script.start)
        script.clock = clock
        script.populate()
        print(f"Foyer demo: a local Discord at {sb.api_base}, database {db_path}", flush=True)
        print(
            f"Server '{town.guild.name}' with {args.members} members; replaying "
            f"{args.weeks} weeks from {script.start:%Y-%m-%d} (seed {args.seed}).",
            flush=True,
        )
        async with running_foyer(
            sb, database_url=f"sqlite+aiosqlite:///{db_path}", clock=clock, ready_timeout=30
        ) as bot:
            ctx = DemoContext(sb, town, bot, script, out, args.language, started)
            ctx.register = getattr(args, "voice", None)
            ctx.say(
                f"Bot connected and commands synced after "
                f"{time.perf_counter() - started:.1f}s: "
                + ", ".join(f"/{n}" for n in sorted(ctx.command_names()))
            )
            for step in BEFORE_REPLAY:
                await step(ctx)
            for register in DURING_REPLAY:
                register(ctx)
            script.on("day", nps_answers(script))
            ctx.say("\nReplaying community life:")
            counts = await script.run(
                lambda week, actions: ctx.say(
                    f"  week {week}/{args.weeks}: {actions} member actions, "
                    f"{_dispatched(sb)} gateway events sent, "
                    f"{len(script.active())} members, "
                    f"{time.perf_counter() - started:.1f}s"
                )
            )
            await _flush(bot)
            for step in AFTER_REPLAY:
                await step(ctx)
        print("\nWhat the simulation did: " + _describe(counts), flush=True)
        await _recorded_summary(db_path, town, out, ctx)
        if getattr(args, "web", None):
            from demo.web import serve_until_stopped

            await serve_until_stopped(sb, town, f"sqlite+aiosqlite:///{db_path}", args.web)
    finally:
        await sb.stop()
    print(
        f"\nDone in {time.perf_counter() - started:.1f}s. Charts: "
        + (", ".join(str(p) for p in ctx.saved) or "none"),
        flush=True,
    )
    return 0


def _prepare(args: argparse.Namespace) -> tuple[Path, Path]:
    """Create the output folder and pick the database file.

    A reused ``--db`` remembers the commands it synced to an earlier (now gone) sandbox;
    forget that so the bot syncs again to this new local Discord.
    """
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    db_path: Path = args.db or Path(tempfile.mkdtemp(prefix="foyer-demo-")) / "foyer.db"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "bot_state" in tables:
                conn.execute("DELETE FROM bot_state WHERE key LIKE 'command_tree_hash:%'")
    return out, db_path


def _dispatched(sb: Sandbox) -> int:
    """Return how many gateway events the sandbox sent to the bot so far."""
    return sum(s.seq for s in sb.core.hub.sessions.values())


async def _flush(bot: Any) -> None:
    """Ask the bot to write buffered events now, if it has a recorder."""
    recorder = getattr(bot, "recorder", None)
    if recorder is not None and hasattr(recorder, "flush"):
        await recorder.flush()


def _describe(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {k}" for k, n in counts.most_common())


async def _recorded_summary(db_path: Path, town: Town, out: Path, ctx: DemoContext) -> None:
    """Print what the bot stored (metadata only) and chart it when no chart exists yet."""
    from demo.demo_report import recorded_rows, weekly_chart

    rows = await recorded_rows(db_path, town.guild.id)
    print("What the bot recorded in its database (rows for this server):", flush=True)
    for table, count in rows.items():
        print(f"    {table}: {count}", flush=True)
    if not ctx.saved:
        path = await weekly_chart(db_path, town.guild.id, out / "weekly-activity.png", ctx.script)
        ctx.saved.append(path)
        print(f"    [chart saved: {path}]", flush=True)
