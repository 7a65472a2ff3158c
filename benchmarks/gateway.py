"""Benchmark: CPU and memory of the full Foyer bot against a bare discord.py bot, per
gateway event.

The sandbox (in this process) pushes the same 50,000 MESSAGE_CREATE events (plain
messages, replies and thread messages, from 200 members) to each bot in turn. Each bot runs
in its own subprocess, so its CPU time and peak RSS (`resource.getrusage`) are its own: the
sandbox's work is not counted. Foyer's CPU includes writing everything it recorded
(`recorder.flush()` before the clock stops). Both processes get the same settings: the
garbage-collector tuning Foyer gives itself at its first READY (`bot.gc_tuning`) is given
to the bare client at its own. Each round runs the two bots one after the other (the order
alternates between rounds) and gives one Foyer/bare ratio; the median of the rounds' ratios
is the figure.

    .venv/bin/python benchmarks/gateway.py [--events 50000] [--repeat 5] [--seed 1]
        [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import discord
import yarl
from benchlib import Run, note, spread
from discord.ext import commands

from bot.gc_tuning import tune_garbage_collector
from discord_sandbox import Sandbox
from discord_sandbox.state import Channel, Message

MEMBERS = 200


async def push(
    sb: Sandbox, channels: list[Channel], thread: Channel, members: list[Any], count: int, seed: int
) -> None:
    """60% plain messages, 25% replies to one of the last 50 messages, 15% in a thread."""
    rng = random.Random(seed)
    recent: list[Message] = []
    for _ in range(count):
        author = rng.choice(members)
        roll = rng.random()
        if roll < 0.15:
            msg = await sb.post(thread, author, "")
        elif roll < 0.40 and recent:
            msg = await sb.post(rng.choice(channels), author, "", reply_to=rng.choice(recent[-50:]))
        else:
            msg = await sb.post(rng.choice(channels), author, "")
        recent.append(msg)
        if len(recent) > 200:
            del recent[:100]


async def run_side(side: str, count: int, seed: int) -> dict[str, Any]:
    """Start the sandbox, run one bot in a subprocess, push the events, collect its figures."""
    sb = Sandbox()
    await sb.start()
    guild = sb.create_guild("Bench", locale="fr")
    channels = [sb.create_channel(guild, f"salon-{i}") for i in range(5)]
    members = [sb.create_member(guild, f"m{i}") for i in range(MEMBERS)]
    thread = await sb.create_thread(channels[0], members[0], "fil")  # before the bot connects
    with tempfile.TemporaryDirectory(prefix="foyer-gw-") as tmp:
        env = {
            **os.environ,
            "BENCH_API": sb.api_base,
            "BENCH_GATEWAY": sb.gateway_url,
            "BENCH_TOKEN": sb.token,
            "BENCH_DB": f"sqlite+aiosqlite:///{tmp}/foyer.db",
            "BENCH_TMP": tmp,
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--child",
            side,
            "--events",
            str(count),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        assert proc.stdout is not None and proc.stdin is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 120)
        if line.strip() != b"READY":
            raise RuntimeError(f"{side} bot did not start: {line!r}")
        await sb.wait_for_bot_idle(quiet=0.5, timeout=120)
        proc.stdin.write(b"GO\n")
        await proc.stdin.drain()
        await asyncio.wait_for(proc.stdout.readline(), 60)
        began = time.perf_counter()
        await push(sb, channels, thread, members, count, seed)
        line = await asyncio.wait_for(proc.stdout.readline(), 600)
        try:
            result = json.loads(line)
        except ValueError:
            raise RuntimeError(f"{side} bot failed: {line!r}") from None
        result["wall_s"] = time.perf_counter() - began
        await proc.wait()
    await sb.stop()
    return result


# -- the child: one bot ------------------------------------------------------------------
def make_bot(side: str) -> commands.AutoShardedBot:
    if side == "bare":
        discord.http.Route.BASE = os.environ["BENCH_API"]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["BENCH_GATEWAY"])
        intents = discord.Intents.default()  # Foyer's intents: members, no message content
        intents.members = True
        intents.message_content = False
        bare = commands.AutoShardedBot(
            command_prefix=commands.when_mentioned, intents=intents, shard_count=1
        )

        async def on_ready() -> None:  # as FoyerBot.on_ready: the same process settings
            tune_garbage_collector()

        bare.add_listener(on_ready, "on_ready")
        return bare
    from pydantic import SecretStr

    from bot.app import FoyerBot
    from bot.config import Settings

    settings = Settings(
        discord_token=SecretStr(os.environ["BENCH_TOKEN"]),
        discord_api_base=os.environ["BENCH_API"],
        discord_gateway_url=os.environ["BENCH_GATEWAY"],
        database_url=os.environ["BENCH_DB"],
        heartbeat_file=Path(os.environ["BENCH_TMP"]) / "heartbeat",
        log_level="WARNING",
    )
    return FoyerBot(settings, guild_ready_timeout=0.05)


async def child(side: str, count: int) -> None:
    """Connect, say READY, wait for GO (the parent saw the bot go idle: start-up recovery
    and command sync done), measure until every message went through, print the figures."""
    bot = make_bot(side)
    received = 0
    done = asyncio.Event()

    def seen() -> None:
        nonlocal received
        received += 1
        if received == count:
            done.set()

    recorder = getattr(bot, "recorder", None)
    if recorder is None:  # bare: the message was dispatched

        async def on_message(_message: discord.Message) -> None:
            seen()

        bot.add_listener(on_message, "on_message")
    else:  # Foyer: the tracking cog built the event and handed it to the recorder
        record = recorder.record

        async def counted(event: Any) -> None:
            await record(event)
            if type(event).__name__ == "MessageCreated":
                seen()

        recorder.record = counted
    await bot.login(os.environ["BENCH_TOKEN"])
    task = asyncio.create_task(bot.connect())
    await bot.wait_until_ready()
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if recorder is not None:
        await recorder.flush()
    before = resource.getrusage(resource.RUSAGE_SELF)
    ready_rss = status_mb("VmRSS")  # ready and idle: what the events add comes after
    profile = os.environ.get("BENCH_PROFILE")
    profiler = cProfile.Profile() if profile else None
    print("GO", flush=True)
    if profiler is not None:
        profiler.enable()
    await done.wait()
    if recorder is not None:
        await recorder.flush()
    after = resource.getrusage(resource.RUSAGE_SELF)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{profile}/{side}.prof")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stored = recorder.stored if recorder is not None else None
    figures = {
        "side": side,
        "cpu_s": cpu,
        "events": count,
        "stored": stored,
        "peak_rss_mb": peak_rss_mb(after),
        "ready_rss_mb": ready_rss,
    }
    print(json.dumps(figures), flush=True)
    await bot.close()
    await task


def peak_rss_mb(usage: resource.struct_rusage) -> float:
    """This process's peak RSS. On Linux `ru_maxrss` also counts the parent's memory at fork
    time (it survives exec), so the kernel's high-water mark of our own memory is read
    instead."""
    return status_mb("VmHWM") or usage.ru_maxrss / 1024


def status_mb(field: str) -> float:
    """A memory figure of /proc/self/status in MB (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="paired rounds")
    parser.add_argument("--quick", action="store_true", help="seconds: 2,000 events, 1 round")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--profile", type=Path, help="write each bot's cProfile stats here")
    parser.add_argument("--child", choices=["bare", "foyer"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child, args.events))
        return
    if args.quick:
        args.events, args.repeat = 2_000, 1
    if args.profile:  # the children read it (each dumps <side>.prof; CPU figures then inflate)
        args.profile.mkdir(parents=True, exist_ok=True)
        os.environ["BENCH_PROFILE"] = str(args.profile.resolve())
    run = Run("gateway", args)
    # Each round measures both bots a few seconds apart, the order alternating, so a busy
    # moment on a shared machine weighs on one round's pair rather than on one bot.
    rounds: list[dict[str, dict[str, Any]]] = []
    for round_ in range(args.repeat):
        order = ("bare", "foyer") if round_ % 2 == 0 else ("foyer", "bare")
        rounds.append({side: asyncio.run(run_side(side, args.events, args.seed)) for side in order})
        note(f"round {round_ + 1}/{args.repeat} done")

    def per_10k(side: str) -> list[float]:
        return [r[side]["cpu_s"] / r[side]["events"] * 10_000 for r in rounds]

    figures = run.data["figures"]
    figures["events"] = args.events
    figures["stored"] = [r["foyer"]["stored"] for r in rounds]
    for side in ("bare", "foyer"):
        figures[f"{side}_cpu_s_per_10k"] = spread(per_10k(side), 3)
        figures[f"{side}_peak_rss_mb"] = spread((r[side]["peak_rss_mb"] for r in rounds), 1)
        figures[f"{side}_ready_rss_mb"] = spread((r[side]["ready_rss_mb"] for r in rounds), 1)
        figures[f"{side}_wall_s"] = spread((r[side]["wall_s"] for r in rounds), 2)
    ratios = [f / b for f, b in zip(per_10k("foyer"), per_10k("bare"), strict=True)]
    figures["foyer_vs_bare_cpu"] = spread(ratios, 3)
    # each bot's least disturbed round against the other's (as `timeit` keeps the best)
    figures["foyer_vs_bare_cpu_best_rounds"] = round(
        min(per_10k("foyer")) / min(per_10k("bare")), 3
    )
    if args.json:
        run.emit(as_json=True)
        return
    print(f"gateway: {args.events:,} MESSAGE_CREATE per bot, {args.repeat} paired rounds")
    print(f"{'bot':<22}{'CPU s / 10k events':>24}{'peak RSS MB':>18}   (min / median / max)")
    for side, label in (("bare", "bare discord.py"), ("foyer", "Foyer (all cogs)")):
        c, m = figures[f"{side}_cpu_s_per_10k"], figures[f"{side}_peak_rss_mb"]
        cpu = f"{c['min']:.2f}/{c['median']:.2f}/{c['max']:.2f}"
        rss = f"{m['min']:.0f}/{m['median']:.0f}/{m['max']:.0f}"
        print(f"{label:<22}{cpu:>24}{rss:>18}")
    r = figures["foyer_vs_bare_cpu"]
    print(f"Foyer / bare CPU per event, median of rounds: {r['median']:.2f}x (target <= 1.2x)")
    print(f"Foyer peak RSS median: {figures['foyer_peak_rss_mb']['median']:.0f} MB (<= 110 MB)")
    run.emit(as_json=False)


if __name__ == "__main__":
    main()
