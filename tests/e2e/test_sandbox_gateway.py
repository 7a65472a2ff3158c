"""The gateway as the real discord.py client sees it: connect, resume, reconnect, shards."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from discord.ext import commands

from demo.harness import RunningClient, point_discord_at
from discord_sandbox import Sandbox
from discord_sandbox.gateway import shard_of

pytestmark = pytest.mark.e2e


def make_client(**options: Any) -> commands.Bot:
    """A plain discord.py bot with the members intent, quick to declare itself ready."""
    intents = discord.Intents.default()
    intents.members = True
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05, **options)


def event_setter(event: asyncio.Event) -> Any:
    """Return a coroutine listener that sets ``event``."""

    async def listener(*_: object) -> None:
        event.set()

    return listener


class Recorder:
    """Collect the messages a client receives, and wake waiters as they arrive."""

    def __init__(self, client: commands.Bot) -> None:
        self.ids: list[int] = []
        self.arrived = asyncio.Event()
        client.add_listener(self.on_message)

    async def on_message(self, message: discord.Message) -> None:
        self.ids.append(message.id)
        self.arrived.set()


async def test_connect_and_ready_under_a_second(sandbox: Sandbox) -> None:
    for name in ("Atelier", "Studio", "Forum"):
        guild = sandbox.create_guild(name)
        sandbox.create_channel(guild, "general")
        sandbox.create_member(guild, "alice")
    client = make_client()
    started = time.perf_counter()
    async with RunningClient(sandbox, client):
        elapsed = time.perf_counter() - started
        assert sorted(g.name for g in client.guilds) == ["Atelier", "Forum", "Studio"]
        # owner, bot and alice, all delivered in GUILD_CREATE (no chunking needed)
        assert all(g.member_count == len(g.members) == 3 for g in client.guilds)
        assert all(g.chunked for g in client.guilds)
    assert elapsed < 1.0, f"connect + READY took {elapsed:.2f}s"


async def test_bad_token_is_refused(sandbox: Sandbox) -> None:
    point_discord_at(sandbox)
    client = make_client()
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()


async def test_resume_replays_missed_events_exactly_once(sandbox: Sandbox) -> None:
    guild = sandbox.create_guild("Atelier")
    channel = sandbox.create_channel(guild, "general")
    alice = sandbox.create_member(guild, "alice")
    client = make_client()
    seen = Recorder(client)
    resumed = asyncio.Event()
    client.add_listener(event_setter(resumed), "on_resumed")
    async with RunningClient(sandbox, client):
        await sandbox.post(channel, alice, "before")
        await sandbox.wait_for_bot_idle()
        await sandbox.drop_socket(code=4000)
        for i in range(3):  # sent while the bot's socket is down
            await sandbox.post(channel, alice, f"while away {i}")
        await asyncio.wait_for(resumed.wait(), 5)
        await sandbox.post(channel, alice, "after")
        await sandbox.wait_for_bot_idle()
    assert sandbox.core.hub.connections == 2
    # every message exactly once, in order: nothing lost while away, nothing replayed twice
    assert seen.ids == [m.id for m in sandbox.messages_in(channel)]
    assert len(seen.ids) == 5


async def test_reconnect_opcode_resumes_the_session(sandbox: Sandbox) -> None:
    guild = sandbox.create_guild("Atelier")
    channel = sandbox.create_channel(guild, "general")
    alice = sandbox.create_member(guild, "alice")
    client = make_client()
    seen = Recorder(client)
    resumed = asyncio.Event()
    client.add_listener(event_setter(resumed), "on_resumed")
    async with RunningClient(sandbox, client):
        sessions = set(sandbox.core.hub.sessions)
        await sandbox.send_reconnect()
        await sandbox.post(channel, alice, "during reconnect")
        await asyncio.wait_for(resumed.wait(), 5)
        await sandbox.wait_for_bot_idle()
        assert set(sandbox.core.hub.sessions) == sessions  # same session, resumed
    assert seen.ids == [m.id for m in sandbox.messages_in(channel)]
    assert len(seen.ids) == 1


async def test_invalid_session_makes_the_client_identify_again(sandbox: Sandbox) -> None:
    guild = sandbox.create_guild("Atelier")
    sandbox.create_channel(guild, "general")
    client = make_client()
    readies = 0
    again = asyncio.Event()

    async def on_ready() -> None:
        nonlocal readies
        readies += 1
        if readies == 2:
            again.set()

    client.add_listener(on_ready)
    async with RunningClient(sandbox, client):
        first = set(sandbox.core.hub.sessions)
        await sandbox.send_invalid_session(resumable=False)
        await asyncio.wait_for(again.wait(), 5)
        assert set(sandbox.core.hub.sessions).isdisjoint(first)
        assert [g.name for g in client.guilds] == ["Atelier"]


async def test_sharded_client_gets_only_its_guilds(sandbox: Sandbox) -> None:
    sandbox.core.shard_count = 2
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # the shard is (guild_id >> 22) % count: the creation millisecond decides it
    guilds = [sandbox.create_guild(f"g{i}", at=start + timedelta(milliseconds=i)) for i in range(8)]
    expected: dict[int, set[int]] = {0: set(), 1: set()}
    for g in guilds:
        expected[shard_of(g.id, 2)].add(g.id)
    assert expected[0] and expected[1]
    intents = discord.Intents.default()
    client = commands.AutoShardedBot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
    async with RunningClient(sandbox, client):
        assert len(client.shards) == 2
        assert {g.id for g in client.guilds} == {g.id for g in guilds}
        for guild in client.guilds:
            assert guild.shard_id == shard_of(guild.id, 2)
    assert sandbox.calls_to("GET", "/gateway/bot")
    sessions = list(sandbox.core.hub.sessions.values())
    assert sorted(s.shard for s in sessions) == [(0, 2), (1, 2)]
    for session in sessions:
        created = {int(f["d"]["id"]) for f in session.buffer if f["t"] == "GUILD_CREATE"}
        assert created == expected[session.shard[0]]


async def test_member_chunk_on_request(sandbox: Sandbox) -> None:
    guild = sandbox.create_guild("Atelier")
    for i in range(5):
        sandbox.create_member(guild, f"m{i}")
    intents = discord.Intents.default()
    intents.members = True
    client = discord.Client(
        intents=intents, guild_ready_timeout=0.05, chunk_guilds_at_startup=False
    )
    async with RunningClient(sandbox, client):
        dguild = client.get_guild(guild.id)
        assert dguild is not None
        members = await asyncio.wait_for(dguild.chunk(), 5)
        assert {m.name for m in members} >= {f"m{i}" for i in range(5)}
        assert len(members) == 7


async def test_guild_added_and_removed_later(sandbox: Sandbox) -> None:
    first = sandbox.create_guild("First")
    later = sandbox.create_guild("Later", bot_present=False)
    client = make_client()
    joined: asyncio.Queue[discord.Guild] = asyncio.Queue()
    removed: asyncio.Queue[discord.Guild] = asyncio.Queue()
    client.add_listener(joined.put, "on_guild_join")
    client.add_listener(removed.put, "on_guild_remove")
    async with RunningClient(sandbox, client):
        assert [g.id for g in client.guilds] == [first.id]
        await sandbox.add_bot(later)
        assert (await asyncio.wait_for(joined.get(), 5)).id == later.id
        await sandbox.remove_bot(first)
        assert (await asyncio.wait_for(removed.get(), 5)).id == first.id
        assert [g.id for g in client.guilds] == [later.id]


async def test_many_idle_waits_never_trip_the_clients_send_limit(sandbox: Sandbox) -> None:
    """discord.py stops reading for up to a minute past 110 sent frames a minute; the
    sandbox's idle sync (a heartbeat request per wait) must stay under that."""
    guild = sandbox.create_guild("Atelier")
    channel = sandbox.create_channel(guild, "general")
    alice = sandbox.create_member(guild, "alice")
    client = make_client()
    seen = Recorder(client)
    started = time.perf_counter()
    async with RunningClient(sandbox, client):
        for i in range(120):
            await sandbox.post(channel, alice, f"m{i}")
            await sandbox.wait_for_bot_idle(quiet=0.001)
    assert len(seen.ids) == 120
    assert time.perf_counter() - started < 15  # a tripped limit stalls ~55 s


async def test_resumable_invalid_session_resumes(sandbox: Sandbox) -> None:
    guild = sandbox.create_guild("Atelier")
    channel = sandbox.create_channel(guild, "general")
    alice = sandbox.create_member(guild, "alice")
    client = make_client()
    seen = Recorder(client)
    resumed = asyncio.Event()
    client.add_listener(event_setter(resumed), "on_resumed")
    async with RunningClient(sandbox, client):
        sessions = set(sandbox.core.hub.sessions)
        await sandbox.send_invalid_session(resumable=True)
        await sandbox.post(channel, alice, "while resuming")
        await asyncio.wait_for(resumed.wait(), 5)
        await sandbox.wait_for_bot_idle()
        assert set(sandbox.core.hub.sessions) == sessions
    assert seen.ids == [m.id for m in sandbox.messages_in(channel)]
