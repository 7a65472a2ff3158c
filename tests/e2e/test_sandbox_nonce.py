"""`nonce` + `enforce_nonce` on message creates, as Discord honours them, and the fault that
lets a call succeed before answering 502 (the client never learns its message was made)."""

from __future__ import annotations

from datetime import timedelta

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


def channel_of(client: discord.Client, channel_id: int) -> discord.TextChannel:
    channel = client.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_a_502_after_the_create_is_retried_by_discord_py_into_the_same_message(
    sandbox: Sandbox,
) -> None:
    """discord.py retries a 5xx with the nonce it drew: Discord gives back the message it
    already made, so one message exists and the client gets its id."""
    town = build_town(sandbox)
    sandbox.faults.next("POST", MESSAGES, status=502, after=True)
    async with RunningClient(sandbox, make_bot()) as client:
        sent = await channel_of(client, town.general.id).send("hello")
    calls = sandbox.calls_to("POST", MESSAGES)
    assert [c.status for c in calls] == [502, 200]
    assert [m.id for m in sandbox.messages_in(town.general)] == [sent.id]


async def test_the_same_nonce_returns_the_first_message_within_the_window(
    sandbox: Sandbox,
) -> None:
    town = build_town(sandbox)
    async with RunningClient(sandbox, make_bot()) as client:
        general = channel_of(client, town.general.id)
        first = await general.send("hello", nonce="ritual-1-occurrence")
        again = await general.send("hello", nonce="ritual-1-occurrence")
        other = await general.send("hello", nonce="ritual-1-other")
        elsewhere = await channel_of(client, town.help.id).send(
            "hello", nonce="ritual-1-occurrence"
        )
    assert again.id == first.id
    assert other.id != first.id
    assert elsewhere.id != first.id  # the nonce is per channel
    assert [m.id for m in sandbox.messages_in(town.general)] == [first.id, other.id]
    assert sandbox.calls_to("POST", MESSAGES)[1].response["nonce"] == "ritual-1-occurrence"


async def test_after_the_window_or_without_enforce_nonce_a_new_message_is_made(
    sandbox: Sandbox,
) -> None:
    town = build_town(sandbox)
    async with RunningClient(sandbox, make_bot()) as client:
        general = channel_of(client, town.general.id)
        first = await general.send("hello", nonce="n-1")
        sandbox.core.nonce_window = timedelta(0)
        later = await general.send("hello", nonce="n-1")
        sandbox.core.nonce_window = timedelta(minutes=5)
        route = discord.http.Route("POST", MESSAGES, channel_id=general.id)
        raw = await client.http.request(route, json={"content": "hi", "nonce": "n-1"})
    assert later.id != first.id
    assert int(raw["id"]) not in (first.id, later.id)  # no enforce_nonce: no check
    assert len(sandbox.messages_in(town.general)) == 3


async def test_a_deleted_message_s_nonce_answers_unknown_message_and_a_long_nonce_is_refused(
    sandbox: Sandbox,
) -> None:
    town = build_town(sandbox)
    async with RunningClient(sandbox, make_bot()) as client:
        general = channel_of(client, town.general.id)
        first = await general.send("hello", nonce="gone")
        await first.delete()
        with pytest.raises(discord.NotFound) as gone:
            await general.send("hello", nonce="gone")
        with pytest.raises(discord.HTTPException) as long:
            await general.send("hello", nonce="x" * 26)
    assert gone.value.code == 10008
    assert long.value.status == 400
    assert sandbox.messages_in(town.general) == []
