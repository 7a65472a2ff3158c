"""Benchmark: CPU and memory of the full Foyer bot against a bare discord.py bot, per
gateway event.

The sandbox (in this process) pushes the same 50,000 MESSAGE_CREATE events (plain
messages, replies and thread messages, from 200 members) to each bot in turn. Each bot runs
in its own subprocess, so its CPU time and peak RSS (`resource.getrusage`) are its own: the
sandbox's work is not counted. Foyer's CPU includes writing everything it recorded
(`recorder.flush()` before the clock stops). Three rounds alternate the two bots; the best
(least CPU) round of each is kept.

    .venv/bin/python benchmarks/gateway.py [--events 50000] [--repeat 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
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
from discord.ext import commands

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
        return commands.AutoShardedBot(
            command_prefix=commands.when_mentioned, intents=intents, shard_count=1
        )
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
    print("GO", flush=True)
    await done.wait()
    if recorder is not None:
        await recorder.flush()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stored = recorder.stored if recorder is not None else None
    figures = {
        "side": side,
        "cpu_s": cpu,
        "events": count,
        "stored": stored,
        "peak_rss_mb": peak_rss_mb(after),
    }
    print(json.dumps(figures), flush=True)
    await bot.close()
    await task


def peak_rss_mb(usage: resource.struct_rusage) -> float:
    """This process's peak RSS. On Linux `ru_maxrss` also counts the parent's memory at fork
    time (it survives exec), so the kernel's high-water mark of our own memory is read
    instead."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return usage.ru_maxrss / 1024


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best of each is kept")
    parser.add_argument("--child", choices=["bare", "foyer"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child, args.events))
        return
    load = os.getloadavg()[0]
    # Rounds alternate the two bots, so a busy moment on a shared machine hits both alike;
    # the round with the least CPU of each is the least disturbed one (as `timeit` does).
    results: dict[str, dict[str, Any]] = {}
    peak_rss: dict[str, float] = {}
    for round_ in range(args.repeat):
        for side in ("bare", "foyer"):
            result = asyncio.run(run_side(side, args.events, args.seed))
            peak_rss[side] = max(peak_rss.get(side, 0.0), result["peak_rss_mb"])
            if side not in results or result["cpu_s"] < results[side]["cpu_s"]:
                results[side] = result
        print(f"round {round_ + 1}/{args.repeat} done", file=sys.stderr)
    per = {side: r["cpu_s"] / r["events"] * 10_000 for side, r in results.items()}
    print(f"gateway: {args.events:,} MESSAGE_CREATE per bot; {machine()}")
    print(
        f"best of {args.repeat} rounds (peak RSS: the highest); load average at start: {load:.1f}"
    )
    print(f"{'bot':<22}{'CPU s / 10k events':>20}{'peak RSS MB':>14}{'wall s':>9}")
    for side, label in (("bare", "bare discord.py"), ("foyer", "Foyer (all cogs)")):
        r = results[side]
        print(f"{label:<22}{per[side]:>20.2f}{peak_rss[side]:>14.0f}{r['wall_s']:>9.1f}")
    print(f"Foyer / bare CPU per event: {per['foyer'] / per['bare']:.2f}x (target <= 1.5x)")
    print(
        f"Foyer peak RSS: {peak_rss['foyer']:.0f} MB (target < 200 MB); "
        f"events recorded: {results['foyer']['stored']:,}"
    )


if __name__ == "__main__":
    main()
