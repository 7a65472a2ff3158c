"""Benchmark: a soak run. Nothing lost, nothing counted twice, nothing posted twice, through
crashes, restarts and Discord's faults.

The sandbox (in this process, on a loopback port) hosts a guild whose members keep talking
(messages, replies, threads and their answers, reactions, joins: a seeded stream) while
`foyer run` runs as a subprocess against it, on a fresh SQLite file (or `--database-url`,
an empty database). Faults follow a seeded schedule: gateway closes (1000, 4000, 4009), op 7
RECONNECT, op 9 INVALID_SESSION (resumable or not), REST 429 / 500 / 502 / 503 on the routes
the bot uses, 5xx after success (Discord did the work, the answer is an error), SIGKILL of
the bot (at random moments and right after Discord accepted one of its posts) and SIGTERM,
each followed by a restart while the members go on (joins during outages included), and
bursts of newcomers (welcomed in a shared thread) cut short by a SIGKILL.
Rituals are set up with `/ritual add` and fall due during faults (the bot killed as its
post is accepted, a 5xx after its post, the bot down at its time).

At the end (faults off, a clean restart, a settle time, a clean stop) the database is
compared with what was sent and with what the sandbox holds, and ONE JSON line is printed:

    {"events_sent", "lost", "doubled", "reactions_lost", "duplicate_posts", "unwelcomed",
     "kills", "faults", "seconds", "machine", "excluded", "detail", ...}

`lost` / `doubled` count messages, replies, thread answers (as counted interactions) and
joins; `reactions_lost` the reactions made while the bot's process was up; `excluded`
names what is measured apart (see docs/benchmarks.md, "Soak").

    .venv/bin/python benchmarks/soak.py --quick       # under 3 minutes: few kills and faults
    .venv/bin/python benchmarks/soak.py               # full: 27 SIGKILLs, 120 faults, ~25 min
    options: --seed N, --seconds S (stream length), --json PATH, --check (exit 1 unless all 0),
             --database-url postgresql+asyncpg://user@host/empty_db, --keep (keep logs and db)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db.models.activity import ActivityEvent, EventKind, Interaction
from bot.db.models.scheduling import ScheduledRun
from bot.db.models.welcome import Welcome
from bot.welcome import render
from demo.scenario import Town, build_town
from discord_sandbox import Channel, Member, Message, Sandbox

EMOJIS = ("👍", "❤️", "🎉", "👀")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Reactions dispatched this long before a SIGKILL may still sit unread in the socket.
KILL_MARGIN = 0.5
COUNTED = ("lost", "doubled", "reactions_lost", "duplicate_posts", "unwelcomed")


@dataclass(frozen=True)
class Mode:
    """How long a run streams and how much goes wrong during it."""

    seconds: float
    kills: int  # SIGKILLs at random moments or right after a post (ritual kills on top)
    terms: int
    faults: int  # gateway and REST faults
    rituals: int  # in pairs due at the same minute
    join_every: float
    settle: float
    bursts: int  # BURST_JOINS newcomers at once (a shared welcome thread), then a SIGKILL


QUICK = Mode(
    seconds=60, kills=2, terms=1, faults=12, rituals=2, join_every=5.0, settle=6.0, bursts=1
)
FULL = Mode(
    seconds=1320, kills=20, terms=4, faults=120, rituals=10, join_every=7.0, settle=20.0, bursts=3
)
#: Newcomers of a burst: above the default `burst_threshold` (10 a minute), so Foyer
#: welcomes them in one shared thread. Odd bursts: the arrivals message naming them gets a
#: 503 (nothing made) and the bot is killed as it is answered, so their rows know the thread
#: and no message names them. Even bursts: the SIGKILL comes BURST_KILL seconds after
#: Discord accepted the thread's introduction, wherever the welcome is by then.
BURST_JOINS = 12
BURST_KILL = (0.0, 0.8)

# The routes Foyer calls while it runs (start-up ones such as /users/@me, /gateway/bot and
# the command sync are left alone: a failure there ends `foyer run`, which is not a soak).
MESSAGES = "/channels/{channel_id}/messages"
THREADS = "/channels/{channel_id}/threads"
MESSAGE_THREADS = "/channels/{channel_id}/messages/{message_id}/threads"
REST_TARGETS: tuple[tuple[str, str, bool], ...] = (  # method, route, may fail after success
    ("POST", MESSAGES, True),
    ("POST", THREADS, True),
    ("POST", MESSAGE_THREADS, True),
    ("GET", MESSAGES, False),
    ("GET", "/guilds/{guild_id}/threads/active", False),
    ("PUT", "/channels/{channel_id}/thread-members/{user_id}", True),
    ("GET", "/guilds/{guild_id}/members", False),
)
GATEWAY_FAULTS = ("close 1000", "close 4000", "close 4009", "op 7", "op 9 resumable", "op 9")


def log(text: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# -- what was sent -------------------------------------------------------------------------
@dataclass
class Sent:
    """The ground truth: every member action the stream made."""

    messages: dict[int, str] = field(default_factory=dict)  # id -> message|reply|answer|...
    reply_target: dict[int, int] = field(default_factory=dict)  # reply id -> replied author
    thread_posts: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    thread_owner: dict[int, int] = field(default_factory=dict)
    joins: list[int] = field(default_factory=list)
    down: set[int] = field(default_factory=set)  # messages and joins sent while it was down
    # (message, user, emoji) -> "up" | "down" | "kill" (within KILL_MARGIN of a SIGKILL)
    reactions: dict[tuple[int, int, str], str] = field(default_factory=dict)
    reaction_times: list[tuple[float, tuple[int, int, str]]] = field(default_factory=list)
    message_times: dict[int, float] = field(default_factory=dict)  # id -> loop time sent

    @property
    def total(self) -> int:
        return len(self.messages) + len(self.joins) + len(self.reactions) + len(self.thread_owner)


# -- the bot process -------------------------------------------------------------------------
class BotProcess:
    """`foyer run` as a subprocess: start, kill, stop, and whether it is up."""

    def __init__(self, sb: Sandbox, env: dict[str, str], logfile: Path) -> None:
        self.sb = sb
        self.env = env
        self.logfile = logfile
        self.proc: asyncio.subprocess.Process | None = None
        self.up = False  # alive and identified on the gateway: events reach it
        self.starts = 0
        self.kill_times: list[float] = []
        self.timeline: list[tuple[float, str]] = []  # (loop time, start|up|kill|term)
        self.unexpected_exits: list[int] = []
        self._stopping = False

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self, *, timeout: float = 90.0) -> None:  # noqa: ASYNC109
        """Spawn the bot and wait until it has identified a new gateway session."""
        known = set(self.sb.core.hub.sessions)
        self._note("start")
        with self.logfile.open("ab") as out:
            out.write(f"\n===== start {self.starts + 1} =====\n".encode())
            out.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                env=self.env,
                cwd=self.env["SOAK_CWD"],
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        self.starts += 1
        self._stopping = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.proc.returncode is not None:
                raise RuntimeError(
                    f"foyer run exited with {self.proc.returncode}: see {self.logfile}"
                )
            fresh = [
                s
                for sid, s in self.sb.core.hub.sessions.items()
                if sid not in known and s.ws is not None and not s.ws.closed
            ]
            if fresh:
                self.up = True
                self._note("up")
                return
            await asyncio.sleep(0.02)
        raise TimeoutError(f"foyer run did not connect within {timeout:.0f}s: see {self.logfile}")

    async def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would."""
        if not self.alive:
            return
        assert self.proc is not None
        self.up = False
        self._stopping = True
        self.kill_times.append(asyncio.get_running_loop().time())
        self._note("kill")
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def terminate(self, *, timeout: float = 60.0) -> int:  # noqa: ASYNC109
        """SIGTERM, as `docker stop` or systemd would; return the exit code."""
        if not self.alive:
            return self.proc.returncode if self.proc and self.proc.returncode is not None else 0
        assert self.proc is not None
        self.up = False
        self._stopping = True
        self._note("term")
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            log(f"foyer run did not stop within {timeout:.0f}s of SIGTERM; killing it")
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
            return -9

    def _note(self, what: str) -> None:
        self.timeline.append((asyncio.get_running_loop().time(), what))

    def where(self, at: float) -> str:
        """The process's last change before loop time `at`, and how long before: to see
        where in the kill/restart cycle a lost event was sent."""
        before = [(t, what) for t, what in self.timeline if t <= at]
        if not before:
            return "before the first start"
        t, what = before[-1]
        return f"{at - t:.1f} s after {what} #{sum(1 for _, w in before if w == what)}"

    def check_exit(self) -> bool:
        """Say (once) whether the process ended by itself; note its exit code."""
        if self.proc is not None and self.proc.returncode is not None and not self._stopping:
            self.unexpected_exits.append(self.proc.returncode)
            self._stopping = True
            self.up = False
            return True
        return False


# -- the community ---------------------------------------------------------------------------
class Community:
    """The seeded stream of member actions, recorded in `Sent`."""

    def __init__(self, sb: Sandbox, town: Town, bot: BotProcess, rng: random.Random) -> None:
        self.sb = sb
        self.town = town
        self.bot = bot
        self.rng = rng
        self.sent = Sent()
        self.channels = [town.general, town.help] + [
            c for c in town.guild.channels.values() if c.name == "chat"
        ]
        self.channel_ids = {c.id for c in self.channels}
        self.people: list[Member] = list(town.members)
        self.recent: list[Message] = []  # member messages that can be replied / reacted to
        self.threads: list[Channel] = []
        self.ritual_threads: list[Channel] = []
        self.joined = 0

    def _state(self) -> str:
        return "up" if self.bot.up else "down"

    def _pick(self, *, besides: int | None = None) -> Member:
        while True:
            who = self.rng.choice(self.people)
            if who.user.id != besides:
                return who

    def _keep(self, msg: Message, kind: str) -> Message:
        self.sent.messages[msg.id] = kind
        self.sent.message_times[msg.id] = asyncio.get_running_loop().time()
        if not self.bot.up:
            self.sent.down.add(msg.id)
        self.recent.append(msg)
        del self.recent[:-60]
        return msg

    async def step(self) -> None:
        """One member action, drawn from the mix."""
        roll = self.rng.random()
        if roll < 0.32 or not self.recent:
            await self._keep_post(self.rng.choice(self.channels), "message")
        elif roll < 0.50:
            tops = [m for m in self.recent if m.channel_id in self.channel_ids]
            if tops:
                target = self.rng.choice(tops[-30:])
                who = self._pick(besides=target.author.id)
                channel = self.sb.world.channels[target.channel_id]
                msg = await self.sb.post(channel, who, "", reply_to=target)
                self._keep(msg, "reply")
                self.sent.reply_target[msg.id] = target.author.id
        elif roll < 0.56 or (roll < 0.72 and not self.threads):
            await self._new_thread()
        elif roll < 0.76:
            await self._answer(self.ritual_threads, "ritual answer")
        elif roll < 0.78 and self.threads:  # the owner writes in their own thread
            thread = self.rng.choice(self.threads[-8:])
            owner = self.town.guild.members.get(self.sent.thread_owner[thread.id])
            if owner is not None:
                msg = await self.sb.post(thread, owner, "")
                self._keep(msg, "owner message")
                self.sent.thread_posts.setdefault((thread.id, owner.user.id), []).append(msg.id)
        elif roll < 0.84 and self.threads:
            await self._answer(self.threads, "answer")
        else:
            await self._react()

    async def _keep_post(self, channel: Channel, kind: str) -> Message:
        msg = await self.sb.post(channel, self._pick(), "")
        return self._keep(msg, kind)

    async def _new_thread(self) -> None:
        channel = self.rng.choice(self.channels)
        owner = self._pick()
        starter = None
        if self.rng.random() < 0.5:  # a thread on a message, or a thread on its own
            starter = await self.sb.post(channel, owner, "")
            self._keep(starter, "message")
        thread = await self.sb.create_thread(
            channel, owner, f"question {len(self.threads) + 1}", from_message=starter
        )
        self.sent.thread_owner[thread.id] = owner.user.id
        self.threads.append(thread)
        msg = await self.sb.post(thread, owner, "")
        self._keep(msg, "owner message")
        self.sent.thread_posts.setdefault((thread.id, owner.user.id), []).append(msg.id)
        await self._answer([thread], "answer")

    async def _answer(self, threads: list[Channel], kind: str) -> None:
        if not threads:
            return
        thread = self.rng.choice(threads[-8:])
        owner = self.sent.thread_owner.get(thread.id)
        who = self._pick(besides=owner)
        msg = await self.sb.post(thread, who, "")
        self._keep(msg, kind)
        if kind == "answer":
            self.sent.thread_posts.setdefault((thread.id, who.user.id), []).append(msg.id)

    async def _react(self) -> None:
        for _ in range(5):
            msg = self.rng.choice(self.recent[-40:])
            who = self._pick(besides=msg.author.id)
            key = (msg.id, who.user.id, self.rng.choice(EMOJIS))
            if key in self.sent.reactions or msg.id not in self.sb.world.messages:
                continue
            self.sent.reactions[key] = self._state()
            self.sent.reaction_times.append((asyncio.get_running_loop().time(), key))
            await self.sb.react(msg, who, key[2])
            return

    async def join(self) -> None:
        """A newcomer arrives (the bot may be down: then no event reaches it)."""
        self.joined += 1
        member = await self.sb.join(self.town.guild, f"newcomer{self.joined}")
        self.sent.joins.append(member.user.id)
        if not self.bot.up:
            self.sent.down.add(member.user.id)
        self.people.append(member)


# -- faults ------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What goes wrong and when, in seconds from the start of the stream."""

    actions: list[tuple[float, str, int | None]]  # when, what, which ritual
    rituals: list[tuple[datetime, str]]  # due time, fate


def make_plan(mode: Mode, seconds: float, dues: list[datetime], t0: datetime, seed: int) -> Plan:
    """Spread kills, terms and faults over the stream; keep the ritual windows for them."""
    rng = random.Random(seed * 7919 + 1)
    fates = ("kill on post", "5xx after post", "down at due", "5xx after thread", "429 on post")
    rituals = [(due, fates[i % len(fates)]) for i, due in enumerate(dues)]
    busy = [(due - t0).total_seconds() for due in dues]
    actions: list[tuple[float, str, int | None]] = []
    by_fate = {
        "down at due": "kill",
        "kill on post": "kill on ritual post",
        "5xx after post": "ritual 502 after post",
        "5xx after thread": "ritual 500 after thread",
        "429 on post": "ritual 429 on post",
    }
    for i, (due_s, (_, fate)) in enumerate(zip(busy, rituals, strict=True)):
        actions.append((due_s - (3.0 if fate == "down at due" else 2.0), by_fate[fate], i))

    def free(at: float) -> bool:
        return all(abs(at - b) > 12 for b in busy)

    def spread(count: int, what: list[str]) -> None:
        if count <= 0:
            return
        slot = (seconds - 8.0) / count
        for i in range(count):
            for _ in range(20):
                at = 4.0 + slot * i + rng.uniform(0, slot * 0.8)
                if free(at):
                    break
            actions.append((at, rng.choice(what), None))

    spread(mode.kills, ["kill", "kill", "kill on post"])
    spread(mode.terms, ["term"])
    spread(mode.bursts, ["burst"])
    faults = [f"gateway {g}" for g in GATEWAY_FAULTS] + ["rest"] * 8
    spread(mode.faults, faults)
    actions.sort()
    return Plan(actions, rituals)


class Chaos:
    """Carries out the plan against the sandbox and the bot process."""

    def __init__(
        self, sb: Sandbox, bot: BotProcess, community: Community, rng: random.Random
    ) -> None:
        self.sb = sb
        self.bot = bot
        self.community = community
        self.rng = rng
        self.kills = 0
        self.terms = 0
        self.bursts = 0
        self.gateway_faults: Counter[str] = Counter()
        self.rest_rules = 0
        self.kill_on_post: tuple[float, str | None] | None = None  # armed since, channel path
        self.restarting: asyncio.Task[None] | None = None
        self.ritual_channels: dict[str, Channel] = {}

    async def restart_later(self, delay: float) -> None:
        """The members go on while the bot is down; one newcomer joins during the outage."""
        await asyncio.sleep(delay / 2)
        await self.community.join()
        await asyncio.sleep(delay / 2)
        await self.bot.start()

    async def wait_up(self) -> None:
        while not self.bot.up:
            if self.restarting is not None and self.restarting.done():
                self.restarting.result()
            await asyncio.sleep(0.05)

    async def do(self, action: str, ritual: Channel | None = None) -> None:
        if self.bot.check_exit():
            log(f"foyer run exited by itself ({self.bot.unexpected_exits[-1]}); restarting")
            self.restarting = asyncio.create_task(self.restart_later(1.0))
        await self.wait_up()
        if action == "kill":
            await self._kill()
        elif action == "term":
            self.terms += 1
            code = await self.bot.terminate()
            if code != 0:
                log(f"foyer run exited with {code} after SIGTERM")
                self.bot.unexpected_exits.append(code)
            self.restarting = asyncio.create_task(self.restart_later(self.rng.uniform(1, 4)))
        elif action == "burst":
            await self._burst()
        elif action == "kill on post":
            self.kill_on_post = (time.monotonic(), None)
        elif action == "kill on ritual post":
            assert ritual is not None
            self.kill_on_post = (time.monotonic(), f"/channels/{ritual.id}/messages")
        elif action.startswith("ritual "):
            assert ritual is not None
            self._ritual_fault(action, ritual)
        elif action.startswith("gateway "):
            await self._gateway(action.removeprefix("gateway "))
        elif action == "rest":
            self._rest()

    async def _burst(self) -> None:
        """BURST_JOINS newcomers at once, then a SIGKILL while their shared thread's welcome
        is under way (see BURST_JOINS; 10 s at the most for each step to come)."""
        self.bursts += 1
        seen = len(self.sb.calls)
        for _ in range(BURST_JOINS):
            await self.community.join()
        name = render.shared_thread_name("en")
        intro = await self._call(seen, lambda c: self._shared_post(c, name) and c.status == 200)
        where = "during a burst's shared welcome"
        if intro is not None and self.bursts % 2 == 1:
            rule = self.sb.faults.next("POST", intro.path, status=503)
            if await self._call(seen, lambda c: c.path == intro.path and c.status == 503):
                where = "as a burst's arrivals message was answered 503"
            elif rule in self.sb.faults.rules:
                self.sb.faults.rules.remove(rule)
        else:
            await asyncio.sleep(self.rng.uniform(*BURST_KILL))
        if self.bot.up:  # not killed meanwhile by an armed "kill on post"
            log(f"SIGKILL {where}")
            await self._kill()

    async def _call(self, since: int, match: Callable[[Any], bool]) -> Any | None:
        """The first REST call since index `since` that `match`es, within 10 s (None when
        none comes or the bot went down)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10.0
        while loop.time() < deadline and self.bot.up:
            for call in self.sb.calls[since:]:
                if match(call):
                    return call
            await asyncio.sleep(0.002)
        return None

    def _shared_post(self, call: Any, name: str) -> bool:
        """A post of the bot in a shared welcome thread."""
        if call.method != "POST" or call.route != MESSAGES:
            return False
        channel = self.sb.world.channels.get(int(call.path.split("/")[2]))
        return channel is not None and channel.is_thread and channel.name == name

    async def _kill(self) -> None:
        self.kills += 1
        self.kill_on_post = None
        await self.bot.kill()
        self.restarting = asyncio.create_task(self.restart_later(self.rng.uniform(0.5, 6)))

    async def watch_posts(self) -> None:
        """SIGKILL the bot right after Discord accepted a post of its own, when armed: the
        window between Discord's answer and the id being saved."""
        seen = len(self.sb.calls)
        waiting: list[Any] = []  # calls not answered yet (a call is listed as it arrives)
        while True:
            await asyncio.sleep(0.002)
            calls = self.sb.calls
            waiting.extend(calls[seen:])
            seen = len(calls)
            answered = [call for call in waiting if call.status]
            waiting = [call for call in waiting if not call.status]
            armed = self.kill_on_post
            if armed is None or not self.bot.up:
                continue
            since, path = armed
            for call in answered:
                creates = call.method == "POST" and call.route in (
                    MESSAGES,
                    THREADS,
                    MESSAGE_THREADS,
                )
                if creates and 200 <= call.status < 300 and (path is None or call.path == path):
                    log(f"SIGKILL right after {call.method} {call.path} was accepted")
                    await self._kill()
                    break
            else:
                if time.monotonic() - since > 40:  # nothing posted: kill anyway
                    await self._kill()

    def _ritual_fault(self, action: str, ritual: Channel) -> None:
        self.rest_rules += 1
        if action == "ritual 502 after post":
            self.sb.faults.next("POST", f"/channels/{ritual.id}/messages", status=502, after=True)
        elif action == "ritual 500 after thread":
            self.sb.faults.next(
                "POST", f"/channels/{ritual.id}/messages/*/threads", status=500, after=True
            )
        else:
            self.sb.faults.next(
                "POST", f"/channels/{ritual.id}/messages", status=429, retry_after=1.0, count=2
            )

    async def _gateway(self, what: str) -> None:
        self.gateway_faults[what] += 1
        if what.startswith("close "):
            await self.sb.drop_socket(int(what.split()[1]))
        elif what == "op 7":
            await self.sb.send_reconnect()
        else:
            await self.sb.send_invalid_session(resumable=what.endswith("resumable"))

    def _rest(self) -> None:
        method, route, may_after = self.rng.choice(REST_TARGETS)
        status = self.rng.choice((429, 500, 502, 503))
        after = may_after and status != 429 and self.rng.random() < 0.4
        self.rest_rules += 1
        self.sb.faults.next(
            method,
            route,
            status=status,
            count=self.rng.randint(1, 3),
            retry_after=round(self.rng.uniform(0.2, 1.5), 2),
            after=after,
        )

    @property
    def faults(self) -> int:
        return sum(self.gateway_faults.values()) + len(self.sb.faults.injected)


# -- setting up the guild ---------------------------------------------------------------------
async def admin(sb: Sandbox, town: Town, command: str, sub: str, **options: Any) -> str:
    """Run an admin command; a timeout under load is tried once more."""
    for attempt in (1, 2):
        try:
            res = await sb.invoke(
                town.guild, town.admin, command, subcommand=sub, options=options, timeout=20
            )
            return res.content or ""
        except TimeoutError:
            if attempt == 2:
                raise
            await asyncio.sleep(2)
    return ""


def ritual_dues(mode: Mode, now: datetime, seconds: float) -> list[datetime]:
    """Due times on minute boundaries (pairs at the same minute), at least 20 s ahead."""
    first = now + timedelta(seconds=20)
    first = first.replace(second=0, microsecond=0) + timedelta(minutes=1)
    pairs = math.ceil(mode.rituals / 2)
    span = max(seconds - 60, 0)
    step = max(60, int(span / max(pairs, 1)) // 60 * 60)
    dues = []
    for i in range(mode.rituals):
        dues.append(first + timedelta(seconds=step * (i // 2)))
    return dues


async def set_up(sb: Sandbox, town: Town, rituals: list[tuple[Channel, datetime]]) -> None:
    await admin(sb, town, "setup", "set", admin_channel=town.admin_channel, bot_posts_per_day=24)
    answer = await admin(sb, town, "welcome", "setup", channel=town.general)
    log(f"/welcome setup: {answer.splitlines()[0] if answer else '(no answer)'}")
    for i, (channel, due) in enumerate(rituals):
        answer = await admin(
            sb,
            town,
            "ritual",
            "add",
            preset="custom",
            channel=channel,
            name=f"Soak {i}",
            days=WEEKDAYS[due.weekday()],
            time=due.strftime("%H:%M"),
            timezone="UTC",
            text=f"soak-ritual-{i}: how was your day?",
        )
        log(f"/ritual add Soak {i} at {due:%H:%M} UTC: {answer.splitlines()[0] if answer else ''}")


# -- the comparison ---------------------------------------------------------------------------
async def compare(
    url: str, sb: Sandbox, town: Town, community: Community, rituals: list[tuple[Channel, datetime]]
) -> dict[str, Any]:
    """Read the database and the sandbox; count what was lost, doubled, posted twice."""
    sent = community.sent
    bot = community.bot
    gid = town.guild.id
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            events = (
                await conn.execute(
                    select(
                        ActivityEvent.kind,
                        ActivityEvent.ref_id,
                        ActivityEvent.actor_id,
                        ActivityEvent.thread_id,
                        ActivityEvent.interaction,
                        ActivityEvent.target_id,
                        ActivityEvent.reply_to_id,
                        ActivityEvent.emoji,
                    ).where(ActivityEvent.guild_id == gid)
                )
            ).all()
            welcome_rows = (
                await conn.execute(
                    select(Welcome.user_id, Welcome.thread_id, Welcome.failure).where(
                        Welcome.guild_id == gid
                    )
                )
            ).all()
            runs = (
                await conn.execute(
                    select(ScheduledRun.job_key, ScheduledRun.status, ScheduledRun.reason).where(
                        ScheduledRun.guild_id == gid
                    )
                )
            ).all()
            from bot.db.models.activity import DailyGuildActivity as Daily

            rollup = (
                await conn.execute(
                    select(
                        func.coalesce(func.sum(Daily.member_messages + Daily.staff_messages), 0),
                        func.coalesce(func.sum(Daily.peer_interactions), 0),
                    ).where(Daily.guild_id == gid)
                )
            ).one()
    finally:
        await engine.dispose()

    message_rows: Counter[int] = Counter()
    by_message: dict[int, Any] = {}  # message id -> its row
    joins: Counter[int] = Counter()
    reactions: set[tuple[int, int, str]] = set()
    threads_seen: set[int] = set()
    human_messages = peer_rows = 0
    for row in events:
        if row.kind == EventKind.MESSAGE:
            message_rows[row.ref_id] += 1
            by_message[row.ref_id] = row
            if row.actor_id != sb.bot_user.id:
                human_messages += 1
            if row.interaction == Interaction.PEER:
                peer_rows += 1
        elif row.kind == EventKind.MEMBER_JOIN:
            joins[row.actor_id] += 1
        elif row.kind == EventKind.REACTION_ADD:
            reactions.add((row.ref_id, row.actor_id, row.emoji))
        elif row.kind == EventKind.THREAD_CREATE:
            threads_seen.add(row.ref_id)

    lost: Counter[str] = Counter()
    doubled: Counter[str] = Counter()
    lost_while_down = 0
    lost_when: list[str] = []  # where in the kill/restart cycle each lost message was sent
    for mid, kind in sent.messages.items():
        n = message_rows.get(mid, 0)
        if n == 0:
            lost[kind] += 1
            lost_while_down += mid in sent.down
            channel = sb.world.channels.get(sb.world.messages[mid].channel_id)
            place = "thread" if channel is not None and channel.is_thread else "channel"
            lost_when.append(f"{kind} in a {place}, {bot.where(sent.message_times[mid])}")
        doubled[kind] += max(0, n - 1)
    for mid, target in sent.reply_target.items():
        found = by_message.get(mid)
        if found is not None and (
            found.interaction == Interaction.NONE or found.target_id != target
        ):
            lost["reply counted"] += 1
    for (tid, author), ids in sent.thread_posts.items():
        recorded = [by_message[m] for m in ids if m in by_message]
        counted = sum(
            1 for r in recorded if r.interaction != Interaction.NONE and r.reply_to_id is None
        )
        expected = 0 if sent.thread_owner.get(tid) == author else 1
        if recorded and counted < expected:
            lost["thread answer counted"] += 1
        doubled["thread answer counted"] += max(0, counted - expected)
    for uid in sent.joins:
        if joins.get(uid, 0) == 0:
            lost["join"] += 1
            lost_while_down += uid in sent.down
        doubled["join"] += max(0, joins.get(uid, 0) - 1)
    doubled["message in rollups"] += max(0, int(rollup[0]) - human_messages)
    doubled["peer interaction in rollups"] += max(0, int(rollup[1]) - peer_rows)
    threads_lost = sum(1 for tid in sent.thread_owner if tid not in threads_seen)

    by_state: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, state in _reaction_states(sent, community.bot).items():
        by_state[state][0] += 1
        if key not in reactions:
            by_state[state][1] += 1

    # Welcomes as Discord holds them: the welcome threads that mention each newcomer.
    bot_id = sb.bot_user.id
    mentioned: dict[int, set[int]] = defaultdict(set)
    for thread in sb.threads_in(town.general):
        if thread.id in sent.thread_owner:
            continue
        for msg in sb.messages_in(thread):
            if msg.author.id != bot_id:
                continue
            for uid in sent.joins:
                if f"<@{uid}>" in (msg.content or ""):
                    mentioned[uid].add(thread.id)
    rows_per_user = Counter(r.user_id for r in welcome_rows)
    unwelcomed = [uid for uid in sent.joins if not mentioned.get(uid)]
    welcome_duplicates = sum(max(0, len(t) - 1) for t in mentioned.values())

    ritual_posts: dict[str, int] = {}
    for i, (channel, _due) in enumerate(rituals):
        marker = f"soak-ritual-{i}:"
        ritual_posts[f"Soak {i}"] = sum(
            1
            for m in sb.messages_in(channel)
            if m.author.id == bot_id and marker in (m.content or "")
        )
    ritual_duplicates = sum(max(0, n - 1) for n in ritual_posts.values())
    run_states = Counter(f"{r.job_key.split(':')[0]} {r.status}:{r.reason or ''}" for r in runs)

    reactions_up = by_state["up"]
    return {
        "lost": sum(lost.values()),
        "doubled": sum(doubled.values()),
        "reactions_lost": reactions_up[1],
        "duplicate_posts": ritual_duplicates + welcome_duplicates,
        "unwelcomed": len(unwelcomed),
        "detail": {
            "sent": dict(Counter(sent.messages.values()))
            | {
                "threads": len(sent.thread_owner),
                "joins": len(sent.joins),
                "reactions": len(sent.reactions),
            },
            "lost": {k: v for k, v in lost.items() if v},
            "doubled": {k: v for k, v in doubled.items() if v},
            "lost_sent_while_down": lost_while_down,
            "lost_when": lost_when[:20],
            "threads_lost": threads_lost,
            "unwelcomed_joined_while_down": sum(1 for uid in unwelcomed if uid in sent.down),
            "reactions_up": reactions_up[0],
            "reactions_while_down": by_state["down"][0],
            "reactions_while_down_lost": by_state["down"][1],
            "reactions_at_kill": by_state["kill"][0],
            "reactions_at_kill_lost": by_state["kill"][1],
            "welcome_rows_missing": sum(1 for uid in sent.joins if not rows_per_user.get(uid)),
            "welcome_rows_doubled": sum(max(0, n - 1) for n in rows_per_user.values()),
            "welcome_failures": dict(Counter(r.failure for r in welcome_rows if r.failure)),
            "welcome_duplicate_threads": welcome_duplicates,
            "ritual_posts": ritual_posts,
            "ritual_duplicates": ritual_duplicates,
            "rituals_missed": sum(1 for n in ritual_posts.values() if n == 0),
            "scheduled_runs": dict(run_states),
        },
    }


def _reaction_states(sent: Sent, bot: BotProcess) -> dict[tuple[int, int, str], str]:
    """A reaction made while the process was up, but within KILL_MARGIN before a SIGKILL,
    may still have been in the socket, unread: it is counted apart ("kill")."""
    states = dict(sent.reactions)
    for at, key in sent.reaction_times:
        if states[key] == "up" and any(0 <= k - at <= KILL_MARGIN for k in bot.kill_times):
            states[key] = "kill"
    return states


# -- the run -------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


EXCLUDED = [
    "reactions made while Foyer's process was down or not yet on the gateway "
    "(no event reaches it; Discord tells only through reaction counts on messages it "
    "reads again): detail.reactions_while_down[_lost]",
    f"reactions dispatched within {KILL_MARGIN} s before a SIGKILL (maybe still unread in "
    "the socket): detail.reactions_at_kill[_lost]",
    "edits, deletions, reaction removals and leaves (not sent by this stream)",
    "the weekly digest and spotlight suggestions (not due during a soak)",
    "threads are checked apart (detail.threads_lost); ritual answers count as messages",
]


async def refuse_used_database(url: str) -> None:
    """The comparison reads every row of the guild: a database with history is refused."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            if "activity_events" in tables:
                used = await conn.scalar(select(func.count()).select_from(ActivityEvent))
                if used:
                    raise SystemExit(f"soak: {url} already holds {used} events; give an empty one")
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    mode = QUICK if args.quick else FULL
    seconds = args.seconds if args.seconds is not None else mode.seconds
    rng = random.Random(args.seed)
    began = time.monotonic()
    start_load = machine()
    tmp = Path(tempfile.mkdtemp(prefix="foyer-soak-"))
    url = args.database_url or f"sqlite+aiosqlite:///{tmp}/foyer.db"
    await refuse_used_database(url)
    sb = Sandbox(bot_name="Foyer", interaction_deadline=None)
    await sb.start()
    town = build_town(sb, "Soak", locale="en", members=30)
    sb.create_channel(town.guild, "chat")
    ritual_channels = [sb.create_channel(town.guild, f"ritual-{i}") for i in range(mode.rituals)]
    env = {
        **os.environ,
        "DISCORD_API_BASE": sb.api_base,
        "DISCORD_GATEWAY_URL": sb.gateway_url,
        "DISCORD_TOKEN": sb.token,
        "DATABASE_URL": url,
        "HEARTBEAT_FILE": str(tmp / "heartbeat"),
        "LOG_LEVEL": "WARNING",
        "SOAK_CWD": str(tmp),  # no stray .env is read from there
    }
    bot = BotProcess(sb, env, tmp / "foyer.log")
    community = Community(sb, town, bot, rng)
    chaos = Chaos(sb, bot, community, rng)
    result: dict[str, Any] = {}
    try:
        log(f"sandbox on port {sb.port}; database {url}; log {bot.logfile}")
        await bot.start()
        await sb.wait_for_call("PUT", "/applications/{application_id}/commands", timeout=90)
        await sb.wait_for_bot_idle(quiet=0.5, timeout=60)
        dues = ritual_dues(mode, datetime.now(UTC), seconds)
        rituals = list(zip(ritual_channels, dues, strict=True))
        await set_up(sb, town, rituals)
        t0 = datetime.now(UTC)
        stream_for = max(seconds, max(((d - t0).total_seconds() + 25 for d in dues), default=0))
        plan = make_plan(mode, stream_for, dues, t0, args.seed)
        log(
            f"streaming for {stream_for:.0f}s: {len(plan.actions)} planned faults and kills, "
            f"{len(dues)} rituals"
        )
        watcher = asyncio.create_task(chaos.watch_posts())
        await stream(sb, town, community, chaos, plan, rituals, stream_for, mode)
        watcher.cancel()
        await finish(sb, bot, chaos, mode)
        result = await compare(url, sb, town, community, rituals)
    finally:
        if bot.alive:
            await bot.kill()
        await sb.stop()
    detail = result.pop("detail")
    detail.update(
        terms=chaos.terms,
        starts=bot.starts,
        unexpected_exits=bot.unexpected_exits,
        gateway_faults=dict(chaos.gateway_faults),
        rest_rules_armed=chaos.rest_rules,
        rest_errors_answered=dict(Counter(f"{m} {s}" for m, _p, s in sb.faults.injected)),
        rest_calls=len(sb.calls),
        log=str(bot.logfile) if args.keep else None,
    )
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "events_sent": community.sent.total,
        **result,
        "kills": chaos.kills,
        "faults": chaos.faults,
        "seconds": round(time.monotonic() - began, 1),
        "mode": "quick" if args.quick else "full",
        "seed": args.seed,
        "database": url.split(":", 1)[0],
        "machine": start_load | {"load_average_end": machine()["load_average"]},
        "excluded": EXCLUDED,
        "detail": detail,
    }


async def stream(
    sb: Sandbox,
    town: Town,
    community: Community,
    chaos: Chaos,
    plan: Plan,
    rituals: list[tuple[Channel, datetime]],
    seconds: float,
    mode: Mode,
) -> None:
    """The members act while the plan's faults happen at their times."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    actions = list(plan.actions)
    next_join = start + 2.0
    while (now := loop.time()) - start < seconds:
        while actions and actions[0][0] <= now - start:
            _at, action, index = actions.pop(0)
            await chaos.do(action, rituals[index][0] if index is not None else None)
        if now >= next_join:
            await community.join()
            next_join = now + community.rng.uniform(0.5, 1.5) * mode.join_every
        await community.step()
        _note_ritual_threads(sb, community, rituals)
        await asyncio.sleep(community.rng.uniform(0.1, 0.4))


def _note_ritual_threads(
    sb: Sandbox, community: Community, rituals: list[tuple[Channel, datetime]]
) -> None:
    """Members answer in the threads the bot opened on its ritual posts."""
    known = {t.id for t in community.ritual_threads}
    for channel, _due in rituals:
        for tid in sb.world.channels.keys() - known:
            thread = sb.world.channels[tid]
            if thread.is_thread and thread.parent_id == channel.id:
                community.ritual_threads.append(thread)
                known.add(tid)


async def finish(sb: Sandbox, bot: BotProcess, chaos: Chaos, mode: Mode) -> None:
    """Faults off; a clean restart; settle; a clean stop (the bot flushes what it holds)."""
    sb.faults.clear()
    chaos.kill_on_post = None
    if chaos.restarting is not None:
        with contextlib.suppress(Exception):
            await chaos.restarting
    if bot.check_exit() or not bot.alive:
        await bot.start()
    await chaos.wait_up()
    await bot.terminate()
    await bot.start()
    await sb.wait_for_bot_idle(quiet=2.0, timeout=120)
    await asyncio.sleep(mode.settle)
    await sb.wait_for_bot_idle(quiet=2.0, timeout=120)
    code = await bot.terminate()
    if code != 0:
        bot.unexpected_exits.append(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="under 3 minutes (CI)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, help="stream length (default: by mode)")
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite)")
    parser.add_argument("--json", type=Path, help="also write the result there")
    parser.add_argument("--check", action="store_true", help="exit 1 unless every count is 0")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database and log")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    line = json.dumps(result, ensure_ascii=False)
    print(line, flush=True)
    if args.json is not None:
        args.json.write_text(line + "\n")
    failed = [k for k in COUNTED if result[k]]
    if result["detail"]["rituals_missed"]:
        failed.append("rituals_missed")
    if args.check and failed:
        print(f"soak: not 0: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
