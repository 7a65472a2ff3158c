"""REST as discord.py uses it: faults, permissions, errors, headers, history pagination."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import aiohttp
import discord
import pytest
from discord.ext import commands

from demo.harness import RunningClient
from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e
MESSAGES = "/channels/{channel_id}/messages"


def make_bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)


async def text_channel(client: discord.Client, channel_id: int) -> discord.TextChannel:
    channel = client.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_a_429_is_retried_and_succeeds(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    sandbox.faults.next("POST", MESSAGES, status=429, count=2, retry_after=0.05)
    async with RunningClient(sandbox, make_bot()) as client:
        sent = await (await text_channel(client, town.general.id)).send("hello")
    posts = sandbox.calls_to("POST", MESSAGES)
    assert [c.status for c in posts] == [429, 429, 200]
    assert sent.id == sandbox.messages_in(town.general)[-1].id


async def test_a_403_surfaces_as_forbidden(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    sandbox.faults.next("POST", MESSAGES, status=403)
    async with RunningClient(sandbox, make_bot()) as client:
        with pytest.raises(discord.Forbidden) as caught:
            await (await text_channel(client, town.general.id)).send("hello")
    assert caught.value.code == 50013
    assert len(sandbox.calls_to("POST", MESSAGES)) == 1  # never retried
    assert sandbox.messages_in(town.general) == []


async def test_a_real_permission_denial_is_a_403_with_code_50013(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    sandbox.set_overwrite(
        town.general, town.guild.everyone, deny=discord.Permissions(send_messages=True).value
    )
    async with RunningClient(sandbox, make_bot()) as client:
        channel = await text_channel(client, town.general.id)
        assert not channel.permissions_for(channel.guild.me).send_messages
        with pytest.raises(discord.Forbidden) as caught:
            await channel.send("hello")
        assert caught.value.code == 50013
        await (await text_channel(client, town.help.id)).send("still allowed here")
    assert len(sandbox.messages_in(town.help)) == 1


async def test_a_500_is_retried(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    sandbox.faults.next("POST", MESSAGES, status=500)
    async with RunningClient(sandbox, make_bot()) as client:
        await (await text_channel(client, town.general.id)).send("hello")
    assert [c.status for c in sandbox.calls_to("POST", MESSAGES)] == [500, 200]


async def test_unknown_objects_are_404_with_their_code(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    async with RunningClient(sandbox, make_bot()) as client:
        channel = await text_channel(client, town.general.id)
        with pytest.raises(discord.NotFound) as message:
            await channel.fetch_message(12345)
        with pytest.raises(discord.NotFound) as member:
            await channel.guild.fetch_member(12345)
        with pytest.raises(discord.NotFound) as unknown_channel:
            await client.fetch_channel(12345)
    assert (message.value.code, member.value.code, unknown_channel.value.code) == (
        10008,
        10007,
        10003,
    )


async def test_history_pagination_before_and_after(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    posted = [
        await sandbox.post(
            town.general, town.members[i % 3], f"m{i}", at=start + timedelta(minutes=i)
        )
        for i in range(130)
    ]
    async with RunningClient(sandbox, make_bot()) as client:
        channel = await text_channel(client, town.general.id)
        newest_first = [m.id async for m in channel.history(limit=None)]
        after = [m async for m in channel.history(limit=None, after=posted[99], oldest_first=True)]
        before = [m.id async for m in channel.history(limit=10, before=posted[10])]
    assert newest_first == [m.id for m in reversed(posted)]
    assert [m.id for m in after] == [m.id for m in posted[100:]]
    assert after[0].created_at == start + timedelta(minutes=100)  # snowflakes carry time
    assert before == [m.id for m in reversed(posted[:10])]
    full_pages = [c for c in sandbox.calls_to("GET", MESSAGES) if c.query.get("limit") == "100"]
    assert len(full_pages) >= 2  # 130 messages need two pages of at most 100


async def test_headers_content_type_and_auth(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    url = f"{sandbox.api_base}/channels/{town.general.id}"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Authorization": f"Bot {sandbox.token}"}) as ok:
            assert ok.status == 200
            assert ok.headers["Content-Type"] == "application/json"
            for header in ("Limit", "Remaining", "Reset", "Reset-After", "Bucket"):
                assert f"X-RateLimit-{header}" in ok.headers
        async with http.get(url) as anonymous:
            assert anonymous.status == 401
        sandbox.faults.next("GET", "/channels/*", status=429, retry_after=0.5)
        async with http.get(url, headers={"Authorization": f"Bot {sandbox.token}"}) as limited:
            assert limited.status == 429
            assert limited.headers["Via"]
            assert (await limited.json())["retry_after"] == 0.5


async def test_role_changes_respect_hierarchy(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    above = sandbox.create_role(town.guild, "Owners", above_bot=True)
    async with RunningClient(sandbox, make_bot()) as client:
        guild = client.get_guild(town.guild.id)
        assert guild is not None
        member = guild.get_member(town.members[0].user.id)
        assert member is not None
        await member.add_roles(discord.Object(town.staff_role.id))
        with pytest.raises(discord.Forbidden):
            await member.add_roles(discord.Object(above.id))
        await member.remove_roles(discord.Object(town.staff_role.id))
    assert town.members[0].roles == []
    assert [c.status for c in sandbox.calls if "/roles/" in c.route] == [204, 403, 204]


async def test_connect_time_is_recorded(sandbox: Sandbox) -> None:
    build_town(sandbox)
    started = time.perf_counter()
    async with RunningClient(sandbox, make_bot()):
        assert time.perf_counter() - started < 1.0
    assert [c.route for c in sandbox.calls[:2]] == ["/users/@me", "/oauth2/applications/@me"]


async def test_member_list_pagination_and_dm_stub(sandbox: Sandbox) -> None:
    town = build_town(sandbox, members=3)
    for i in range(1100):
        sandbox.create_member(town.guild, f"extra{i}")
    async with RunningClient(sandbox, make_bot()) as client:
        guild = client.get_guild(town.guild.id)
        assert guild is not None
        fetched = [m.id async for m in guild.fetch_members(limit=None)]
        member = guild.get_member(town.members[0].user.id)
        assert member is not None
        await member.send("your data export is ready")
    assert sorted(fetched) == sorted(town.guild.members)
    assert len(sandbox.calls_to("GET", "/guilds/{guild_id}/members")) == 2  # 1000 + rest
    ((recipient, body),) = sandbox.core.dm_messages
    assert (recipient, body["content"]) == (town.members[0].user.id, "your data export is ready")
