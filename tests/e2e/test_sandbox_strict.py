"""The sandbox refuses what Discord refuses: hidden channels, limits, archived and locked
threads, replies without history, wrong interaction callbacks, expired tokens, rate limits
and silent gateway clients (4009)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from demo.harness import RunningClient
from demo.scenario import Town, build_town
from discord_sandbox import Sandbox
from discord_sandbox.interactions import InteractionRecord, new_token

pytestmark = pytest.mark.e2e
READ_HISTORY = discord.Permissions(read_message_history=True).value
VIEW = discord.Permissions(view_channel=True).value


async def rest(
    sb: Sandbox, method: str, path: str, body: Any = None, *, auth: bool = True
) -> tuple[int, Any, dict[str, str]]:
    """Call the sandbox's REST API as a bot would; return status, JSON and headers."""
    headers = {"Authorization": f"Bot {sb.token}"} if auth else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, sb.api_base + path, json=body, headers=headers) as resp,
    ):
        raw = await resp.read()
        return resp.status, json.loads(raw) if raw else None, dict(resp.headers)


def make_bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)


def all_intents_sandbox() -> Sandbox:
    return Sandbox(validate_responses=True, allowed_intents=-1)


# -- the gateway shows only what the bot can see ----------------------------------------------
async def test_no_events_from_channels_the_bot_cannot_see() -> None:
    sb = all_intents_sandbox()
    async with sb:
        town = build_town(sb)
        hidden = sb.create_channel(town.guild, "hidden")
        sb.set_overwrite(hidden, town.guild.everyone, deny=VIEW)
        sb.set_overwrite(hidden, sb.world.bot_role(town.guild), deny=VIEW)
        seen: list[int] = []
        threads: list[int] = []
        bot = make_bot()

        @bot.event
        async def on_message(message: discord.Message) -> None:
            seen.append(message.channel.id)

        @bot.event
        async def on_thread_create(thread: discord.Thread) -> None:
            threads.append(thread.id)

        @bot.event
        async def on_thread_join(thread: discord.Thread) -> None:  # added to a private one
            threads.append(thread.id)

        async with RunningClient(sb, bot):
            alice = town.members[0]
            await sb.post(hidden, town.admin, "secret")
            await sb.post(town.general, alice, "hello")
            public = await sb.create_thread(town.general, alice, "open talk")
            await sb.post(public, alice, "in a public thread")
            sb.set_bot_permissions(town.guild, VIEW | discord.Permissions(send_messages=True).value)
            private = await sb.create_thread(town.general, alice, "just us", private=True)
            await sb.post(private, alice, "unseen: not a member, no Manage Threads")
            await sb.join_thread(private, sb.bot_user)
            await sb.post(private, alice, "seen once the bot is a member")
            await sb.wait_for_bot_idle()
    assert seen == [town.general.id, public.id, private.id]
    assert list(dict.fromkeys(threads)) == [public.id, private.id]


async def test_private_threads_are_seen_with_manage_threads(sandbox: Sandbox) -> None:
    town = build_town(sandbox)  # the bot's role has Manage Threads by default
    got: list[int] = []
    bot = make_bot()

    @bot.event
    async def on_thread_create(thread: discord.Thread) -> None:
        got.append(thread.id)

    async with RunningClient(sandbox, bot):
        private = await sandbox.create_thread(
            town.general, town.members[0], "moderated", private=True
        )
        await sandbox.wait_for_bot_idle()
    assert got == [private.id]


# -- limits on what the bot sends ----------------------------------------------------------------
async def test_too_long_content_is_invalid_form_body(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    path = f"/channels/{town.general.id}/messages"
    status, body, _ = await rest(sandbox, "POST", path, {"content": "x" * 2001})
    assert status == 400 and body["code"] == 50035 and body["message"] == "Invalid Form Body"
    assert body["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert (await rest(sandbox, "POST", path, {"content": "x" * 2000}))[0] == 200
    async with RunningClient(sandbox, make_bot()) as client:
        channel = client.get_channel(town.general.id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as caught:
            await channel.send("y" * 2500)
    assert caught.value.status == 400 and caught.value.code == 50035
    assert len(sandbox.messages_in(town.general)) == 1


@pytest.mark.parametrize(
    ("embeds", "where"),
    [
        ([{"title": "t" * 257}], ["embeds", "0", "title"]),
        ([{"description": "d" * 4097}], ["embeds", "0", "description"]),
        ([{"fields": [{"name": "n", "value": "v"}] * 26}], ["embeds", "0", "fields"]),
        ([{"fields": [{"name": "n" * 257, "value": "v"}]}], ["embeds", "0", "fields", "0", "name"]),
        (
            [{"fields": [{"name": "n", "value": "v" * 1025}]}],
            ["embeds", "0", "fields", "0", "value"],
        ),
        ([{"footer": {"text": "f" * 2049}}], ["embeds", "0", "footer", "text"]),
        ([{"author": {"name": "a" * 257}}], ["embeds", "0", "author", "name"]),
        ([{"description": "d" * 3000}, {"description": "d" * 3001}], ["embeds"]),
        ([{"title": "t"}] * 11, ["embeds"]),
    ],
)
async def test_embed_limits(sandbox: Sandbox, embeds: list[Any], where: list[str]) -> None:
    town = build_town(sandbox)
    path = f"/channels/{town.general.id}/messages"
    status, body, _ = await rest(sandbox, "POST", path, {"embeds": embeds})
    assert status == 400 and body["code"] == 50035
    node = body["errors"]
    for key in where:
        node = node[key]
    assert node["_errors"]
    assert sandbox.messages_in(town.general) == []


async def test_component_and_thread_name_limits(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    path = f"/channels/{town.general.id}/messages"

    def button(label: str = "ok", custom_id: str = "b") -> dict[str, Any]:
        return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}

    def row(*items: dict[str, Any]) -> dict[str, Any]:
        return {"type": 1, "components": list(items)}

    cases = [
        ([row(button(label="L" * 81))], ["components", "0", "components", "0", "label"]),
        ([row(button(custom_id="c" * 101))], ["components", "0", "components", "0", "custom_id"]),
        ([row(*[button(custom_id=f"b{i}") for i in range(6)])], ["components", "0", "components"]),
        ([row(button(custom_id=f"r{i}")) for i in range(6)], ["components"]),
    ]
    for components, where in cases:
        status, body, _ = await rest(sandbox, "POST", path, {"components": components})
        assert status == 400 and body["code"] == 50035, where
        node = body["errors"]
        for key in where:
            node = node[key]
        assert node["_errors"], where
    ok = await rest(sandbox, "POST", path, {"components": [row(button(label="L" * 80))]})
    assert ok[0] == 200
    threads = f"/channels/{town.general.id}/threads"
    status, body, _ = await rest(sandbox, "POST", threads, {"name": "n" * 101, "type": 11})
    assert status == 400 and "name" in body["errors"]
    assert (await rest(sandbox, "POST", threads, {"name": "n" * 100, "type": 11}))[0] == 201


# -- archived and locked threads, replies ---------------------------------------------------
async def test_archived_threads_refuse_reactions_edits_and_member_adds(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    alice = town.members[0]
    thread = await sandbox.create_thread(town.general, alice, "old talk")
    theirs = await sandbox.post(thread, alice, "hi")
    status, mine, _ = await rest(
        sandbox, "POST", f"/channels/{thread.id}/messages", {"content": "bot"}
    )
    assert status == 200
    await sandbox.archive_thread(thread)
    msg = f"/channels/{thread.id}/messages"
    calls = [
        ("PUT", f"{msg}/{theirs.id}/reactions/%F0%9F%91%8D/@me", None),
        ("PATCH", f"{msg}/{mine['id']}", {"content": "edited"}),
        ("PUT", f"/channels/{thread.id}/thread-members/{town.members[1].user.id}", None),
        ("PUT", f"/channels/{thread.id}/thread-members/@me", None),
    ]
    for method, path, body in calls:
        status, answer, _ = await rest(sandbox, method, path, body)
        assert (status, answer["code"]) == (400, 50083), path
    assert theirs.reactions == {} and thread.archived
    # a message from the bot reopens it, as on Discord
    assert (await rest(sandbox, "POST", msg, {"content": "back"}))[0] == 200
    assert not thread.archived
    assert (await rest(sandbox, "PATCH", f"{msg}/{mine['id']}", {"content": "edited"}))[0] == 200


async def test_locked_threads(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    thread = await sandbox.create_thread(town.general, town.members[0], "closed")
    msg = f"/channels/{thread.id}/messages"
    await sandbox.archive_thread(thread, locked=True)
    status, body, _ = await rest(sandbox, "POST", msg, {"content": "no"})
    assert (status, body["code"]) == (400, 50083)  # a locked thread is not reopened by a post
    thread.archived = False
    assert (await rest(sandbox, "POST", msg, {"content": "moderator"}))[0] == 200
    without_manage_threads = discord.Permissions(
        view_channel=True, send_messages=True, send_messages_in_threads=True
    )
    sandbox.set_bot_permissions(town.guild, without_manage_threads.value)
    status, body, _ = await rest(sandbox, "POST", msg, {"content": "no"})
    assert (status, body["code"]) == (403, 160005)


async def test_a_reply_needs_read_message_history(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    target = await sandbox.post(town.general, town.members[0], "question")
    sandbox.set_overwrite(town.general, sandbox.world.bot_role(town.guild), deny=READ_HISTORY)
    body = {"content": "answer", "message_reference": {"message_id": str(target.id)}}
    path = f"/channels/{town.general.id}/messages"
    status, answer, _ = await rest(sandbox, "POST", path, body)
    assert (status, answer["code"]) == (403, 160002)
    assert (await rest(sandbox, "POST", path, {"content": "not a reply"}))[0] == 200
    sandbox.set_overwrite(town.general, sandbox.world.bot_role(town.guild))
    assert (await rest(sandbox, "POST", path, body))[0] == 200


# -- interactions ------------------------------------------------------------------------------
def pending(sb: Sandbox, town: Town, itype: int, *, on_message: bool = False) -> InteractionRecord:
    """An interaction the bot received and has not answered yet."""
    message = sb.messages_in(town.general)[-1] if on_message else None
    rec = InteractionRecord(
        sb.world.ids.new(),
        new_token(),
        itype,
        town.guild.id,
        town.general.id,
        town.admin.user,
        message=message,
    )
    rec.created = sb.core.clock()
    sb.core.interactions[rec.token] = rec
    return rec


async def callback(sb: Sandbox, rec: InteractionRecord, body: dict[str, Any]) -> Any:
    path = f"/interactions/{rec.id}/{rec.token}/callback"
    return await rest(sb, "POST", path, body, auth=False)


async def test_wrong_interaction_response_types_are_refused(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    await sandbox.post(town.general, town.admin, "a message with a button")
    modal = {"custom_id": "m", "title": "T", "components": []}
    refused = [
        (2, False, {"type": 7, "data": {"content": "x"}}),  # UPDATE_MESSAGE for a command
        (2, False, {"type": 6}),  # DEFERRED_UPDATE_MESSAGE for a command
        (5, False, {"type": 9, "data": modal}),  # a modal for a modal submit
        (5, False, {"type": 6}),  # a modal opened by a command has no message to update
        (3, True, {"type": 4, "data": {"content": "x" * 2001}}),  # content past 2,000
        (3, True, {"type": 9, "data": {**modal, "title": "t" * 46}}),  # modal title past 45
    ]
    for itype, on_message, body in refused:
        rec = pending(sandbox, town, itype, on_message=on_message)
        status, answer, _ = await callback(sandbox, rec, body)
        assert (status, answer["code"]) == (400, 50035), (itype, body["type"])
        assert answer["errors"], (itype, body["type"])
        assert rec.callback_type is None
    accepted = [(2, False, 5), (2, False, 4), (3, True, 6), (3, True, 7), (5, True, 6)]
    for itype, on_message, ctype in accepted:
        rec = pending(sandbox, town, itype, on_message=on_message)
        status, _, _ = await callback(sandbox, rec, {"type": ctype, "data": {"content": "ok"}})
        assert status == 200, (itype, ctype)


async def test_interaction_tokens_expire_after_15_minutes(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    rec = pending(sandbox, town, 2)
    assert (await callback(sandbox, rec, {"type": 5}))[0] == 200
    hook = f"/webhooks/{sandbox.application_id}/{rec.token}"
    assert (await rest(sandbox, "POST", hook, {"content": "1"}, auth=False))[0] == 200
    sandbox.advance_clock(14 * 60)
    assert (await rest(sandbox, "PATCH", hook + "/messages/@original", {"content": "2"}))[0] == 200
    sandbox.advance_clock(61)
    for method, path in (("POST", hook), ("PATCH", hook + "/messages/@original")):
        status, body, _ = await rest(sandbox, method, path, {"content": "late"}, auth=False)
        assert (status, body["code"], body["message"]) == (401, 50027, "Invalid Webhook Token")


# -- rate limits --------------------------------------------------------------------------------
async def test_message_create_bucket_answers_429_like_discord() -> None:
    sb = Sandbox(validate_responses=True, rate_limits=True)
    async with sb:
        town = build_town(sb)
        path = f"/channels/{town.general.id}/messages"
        answers = [await rest(sb, "POST", path, {"content": str(i)}) for i in range(6)]
        other = await rest(sb, "POST", f"/channels/{town.help.id}/messages", {"content": "x"})
    assert [a[0] for a in answers] == [200] * 5 + [429]
    assert answers[4][2]["X-RateLimit-Remaining"] == "0"
    assert 4 < float(answers[4][2]["X-RateLimit-Reset-After"]) <= 5
    _, body, headers = answers[5]
    assert body["global"] is False and 4 < body["retry_after"] <= 5
    assert headers["Via"] and headers["X-RateLimit-Scope"] == "user"
    assert headers["X-RateLimit-Bucket"] == answers[0][2]["X-RateLimit-Bucket"]
    assert other[0] == 200  # buckets are per channel
    assert len(sb.messages_in(town.general)) == 5
    assert sb.violations == []


async def test_global_limit_is_50_a_second() -> None:
    sb = Sandbox(rate_limits=True)
    async with sb:
        town = build_town(sb)
        answers = await asyncio.gather(
            *(rest(sb, "GET", f"/channels/{town.general.id}") for _ in range(51))
        )
    refused = [a for a in answers if a[0] == 429]
    assert len(refused) == 1
    _, body, headers = refused[0]
    assert body["global"] is True and headers["X-RateLimit-Global"] == "true"


async def test_discord_py_waits_out_the_buckets() -> None:
    sb = Sandbox(validate_responses=True, rate_limits=True)
    async with sb:
        town = build_town(sb)
        target = await sb.post(town.general, town.admin, "react to me")
        async with RunningClient(sb, make_bot()) as client:
            channel = client.get_channel(town.general.id)
            assert isinstance(channel, discord.TextChannel)
            message = await channel.fetch_message(target.id)
            loop = asyncio.get_running_loop()
            start = loop.time()
            for emoji in ("1\N{COMBINING ENCLOSING KEYCAP}", "2\N{COMBINING ENCLOSING KEYCAP}"):
                await message.add_reaction(emoji)
            for emoji in ("3\N{COMBINING ENCLOSING KEYCAP}", "4\N{COMBINING ENCLOSING KEYCAP}"):
                await message.add_reaction(emoji)
            took = loop.time() - start
    assert len(target.reactions) == 4
    assert took >= 0.7  # 1 reaction per 0.25 s
    statuses = [c.status for c in sb.calls if "reactions" in c.path]
    assert statuses.count(204) == 4


# -- heartbeats ----------------------------------------------------------------------------------
async def test_a_silent_client_is_closed_with_4009_and_cannot_resume() -> None:
    sb = Sandbox(heartbeat_interval=0.2)
    async with sb, aiohttp.ClientSession() as http:
        build_town(sb)
        async with http.ws_connect(sb.gateway_url) as ws:
            hello = await ws.receive_json()
            assert hello["d"]["heartbeat_interval"] == 200
            await ws.send_json({"op": 2, "d": {"token": sb.token, "intents": 513}})
            ready = await ws.receive_json()
            session_id = ready["d"]["session_id"]
            while (msg := await ws.receive()).type == aiohttp.WSMsgType.TEXT:
                pass  # GUILD_CREATE, then nothing: no heartbeat sent
            assert ws.close_code == 4009
        async with http.ws_connect(sb.gateway_url) as ws:
            await ws.receive_json()
            resume = {"token": sb.token, "session_id": session_id, "seq": 2}
            await ws.send_json({"op": 6, "d": resume})
            assert await ws.receive_json() == {"op": 9, "d": False}
    assert sb.core.hub.timed_out == 1
    del msg


async def test_a_heartbeating_client_is_not_timed_out() -> None:
    sb = Sandbox(heartbeat_interval=0.2)
    async with sb:
        town = build_town(sb)
        async with RunningClient(sb, make_bot()) as client:
            await asyncio.sleep(1.0)  # five intervals
            assert client.is_ready() and not client.is_closed()
            await sb.post(town.general, town.admin, "still here")
            await sb.wait_for_bot_idle()
    assert sb.core.hub.timed_out == 0
