"""``foyer demo``: a local Discord, a simulated community, the real bot, a report.

Starts the sandbox, runs the real ``FoyerBot`` against it on a temporary SQLite file (or
``--db``), replays weeks of community life with past timestamps while printing progress,
acts as an admin (``/setup``, then every report command that exists), and prints what a
community manager would see. Charts are written to the output folder.

Each feature keeps its demo steps beside its code (``bot/<feature>/demo.py``); the lists
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
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.rituals.demo import ritual_during_replay, ritual_report_step, ritual_setup_step
from bot.spotlight.demo import spotlight_step
from bot.welcome.demo import welcome_during_replay, welcome_report_step, welcome_setup_step

from .api import Sandbox
from .community import CommunityScript, SimDay
from .community_hooks import nps_answers
from .harness import running_foyer
from .interactions import InteractionResult
from .scenario import Town, build_town


@dataclass
class DemoContext:
    """Everything a demo step needs."""

    sb: Sandbox
    town: Town
    bot: Any
    script: CommunityScript
    out: Path
    language: str
    started: float
    saved: list[Path] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        """Print a line of the demo, flushed so progress shows at once."""
        print(text, flush=True)

    def command_names(self) -> set[str]:
        """Return the names of the slash commands the bot registered."""
        return {c.data["name"] for c in self.sb.commands()} | {
            c.data["name"] for c in self.sb.commands(self.town.guild)
        }

    async def admin(
        self, name: str, subcommand: str | list[str] | None = None, **options: Any
    ) -> InteractionResult:
        """Invoke a command as the server's admin and print what they see."""
        label = "/" + " ".join(
            [name, *([subcommand] if isinstance(subcommand, str) else subcommand or [])]
        )
        result = await self.sb.invoke(
            self.town.guild,
            self.town.admin,
            name,
            subcommand=subcommand,
            options=options,
            channel=self.town.admin_channel,
            timeout=30,
        )
        self.say(f"\n$ {label}" + (" (ephemeral)" if result.ephemeral else ""))
        self.show(result)
        return result

    def show(self, result: InteractionResult) -> None:
        """Print an interaction answer as text and save its files."""
        if result.content:
            self.say(_indent(result.content))
        for embed in result.embeds:
            if embed.get("title"):
                self.say(_indent(f"## {embed['title']}"))
            if embed.get("description"):
                self.say(_indent(str(embed["description"])))
            for fld in embed.get("fields", []):
                self.say(_indent(f"- {fld.get('name')}: {fld.get('value')}"))
        for name, data in result.files.items():
            path = self.out / name
            path.write_bytes(data)
            self.saved.append(path)
            self.say(_indent(f"[chart saved: {path}]"))


Step = Callable[[DemoContext], Awaitable[None]]


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _option_names(ctx: DemoContext, command: str, sub: str) -> set[str]:
    for cmd in ctx.sb.commands() + ctx.sb.commands(ctx.town.guild):
        if cmd.data["name"] == command:
            for opt in cmd.data.get("options") or []:
                if opt["name"] == sub:
                    return {o["name"] for o in opt.get("options") or []}
    return set()


async def setup_step(ctx: DemoContext) -> None:
    """Configure the guild as an admin would: language, time zone, admin channel."""
    if "setup" not in ctx.command_names():
        ctx.say("(no /setup command yet)")
        return
    wanted: dict[str, Any] = {
        "language": ctx.language,
        "timezone": "Europe/Paris",
        "admin_channel": ctx.town.admin_channel,
    }
    names = _option_names(ctx, "setup", "set")
    await ctx.admin("setup", "set", **{k: v for k, v in wanted.items() if k in names})


async def health_step(ctx: DemoContext) -> None:
    """Show the health report if the feature exists, else say so."""
    if "health" not in ctx.command_names():
        ctx.say("\n/health does not exist yet: showing what the bot recorded instead.")
        return
    subs: list[str | None] = list(_subcommands(ctx, "health")) or [None]
    for sub in subs:
        await ctx.admin("health", sub)


def _subcommands(ctx: DemoContext, command: str) -> list[str]:
    for cmd in ctx.sb.commands() + ctx.sb.commands(ctx.town.guild):
        if cmd.data["name"] == command:
            return [o["name"] for o in cmd.data.get("options") or [] if o.get("type") == 1]
    return []


async def survey_results_step(ctx: DemoContext) -> None:
    """Show the survey results if a survey ran during the replay."""
    if "survey" in ctx.command_names() and "results" in _subcommands(ctx, "survey"):
        await ctx.admin("survey", "results")


def survey_during_replay(ctx: DemoContext) -> None:
    """Two weeks before the end, the admin starts the NPS survey."""
    start_day = max(0, 7 * ctx.script.weeks - 14)

    async def hook(day: SimDay) -> None:
        if day.index == start_day and "nps" in _subcommands(ctx, "survey"):
            names = _option_names(ctx, "survey", "nps")
            options = {"channel": ctx.town.general} if "channel" in names else {}
            await ctx.admin("survey", "nps", **options)

    ctx.script.on("day", hook)


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
]


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
    sb = Sandbox(interaction_deadline=10.0)
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
        script = CommunityScript(
            sb,
            town,
            members=args.members,
            weeks=args.weeks,
            seed=args.seed,
            language=args.language,
            end=start + timedelta(days=7 * args.weeks),
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
    from .demo_report import recorded_rows, weekly_chart

    rows = await recorded_rows(db_path, town.guild.id)
    print("What the bot recorded in its database (rows for this server):", flush=True)
    for table, count in rows.items():
        print(f"    {table}: {count}", flush=True)
    if not ctx.saved:
        path = await weekly_chart(db_path, town.guild.id, out / "weekly-activity.png", ctx.script)
        ctx.saved.append(path)
        print(f"    [chart saved: {path}]", flush=True)
