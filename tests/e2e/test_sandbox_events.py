"""Gateway events for what members do: content blanking, replies, threads, reactions,
joins and leaves, deletions, and activity replayed in the past."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from discord.ext import commands

from demo.harness import RunningClient
from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e


def make_bot(*, message_content: bool = False) -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = message_content
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)


def collect(bot: commands.Bot, *events: str) -> dict[str, list[Any]]:
    """Record the arguments of each named event."""
    seen: dict[str, list[Any]] = {name: [] for name in events}
    for name in events:

        async def listener(*args: Any, _name: str = name) -> None:
            seen[_name].append(args[0] if len(args) == 1 else args)

        bot.add_listener(listener, f"on_{name}")
    return seen


async def test_without_message_content_text_is_blank_but_metadata_stays(
    sandbox: Sandbox,
) -> None:
    town = build_town(sandbox)
    bot = make_bot()
    seen = collect(bot, "message")
    async with RunningClient(sandbox, bot):
        question = await sandbox.post(
            town.help, town.members[0], "how do I start?", embeds=[{"title": "x"}]
        )
        answer = await sandbox.post(town.help, town.members[1], "like this", reply_to=question)
        ping = await sandbox.post(
            town.help, town.members[2], "hey bot", mentions=[sandbox.bot_user]
        )
        await sandbox.wait_for_bot_idle()
    first, reply, mention = seen["message"]
    assert (first.content, first.embeds) == ("", [])
    assert reply.content == ""
    assert reply.type == discord.MessageType.reply
    assert reply.reference is not None and reply.reference.message_id == question.id
    assert isinstance(reply.reference.resolved, discord.Message)
    assert reply.reference.resolved.content == ""  # the referenced message is blanked too
    assert [u.id for u in reply.mentions] == [town.members[0].user.id]
    assert reply.author.id == town.members[1].user.id and reply.id == answer.id
    assert mention.content == "hey bot" and ping.id == mention.id  # mentions stay visible


async def test_with_message_content_text_arrives(sandbox: Sandbox) -> None:
    sandbox.core.hub.allowed_intents = -1  # Message Content enabled in the portal
    town = build_town(sandbox)
    bot = make_bot(message_content=True)
    seen = collect(bot, "message")
    async with RunningClient(sandbox, bot):
        await sandbox.post(town.general, town.members[0], "bonjour")
        await sandbox.wait_for_bot_idle()
    assert [m.content for m in seen["message"]] == ["bonjour"]


async def test_message_content_is_blank_over_rest_too_unless_enabled(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    await sandbox.post(town.general, town.members[0], "private words")
    await sandbox.post(town.general, town.members[1], "hey bot", mentions=[sandbox.bot_user])
    async with RunningClient(sandbox, make_bot()) as client:
        channel = client.get_channel(town.general.id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("my own words")
        blank = [m.content async for m in channel.history(oldest_first=True)]
        sandbox.core.hub.allowed_intents = -1
        visible = [m.content async for m in channel.history(oldest_first=True)]
    assert blank == ["", "hey bot", "my own words"]
    assert visible == ["private words", "hey bot", "my own words"]


async def test_a_privileged_intent_off_in_the_portal_closes_with_4014(sandbox: Sandbox) -> None:
    build_town(sandbox)
    client = make_bot(message_content=True)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with RunningClient(sandbox, client):
            pass


async def test_bot_posts_echo_back_as_message_create(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    bot = make_bot()
    seen = collect(bot, "message")
    async with RunningClient(sandbox, bot) as client:
        channel = client.get_channel(town.general.id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("welcome")
        await sandbox.wait_for_bot_idle()
    assert [(m.id, m.content) for m in seen["message"]] == [(sent.id, "welcome")]


async def test_threads_reactions_members_and_deletes(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    bot = make_bot()
    seen = collect(
        bot,
        "thread_create",
        "raw_reaction_add",
        "raw_reaction_remove",
        "member_join",
        "member_remove",
        "raw_message_delete",
        "member_update",
    )
    async with RunningClient(sandbox, bot) as client:
        newcomer = await sandbox.join(town.guild, "newbie")
        hello = await sandbox.post(town.general, newcomer, "hi all")
        thread = await sandbox.create_thread(
            town.general, town.members[0], "Welcome newbie", from_message=hello
        )
        await sandbox.post(thread, town.members[0], "welcome!")
        await sandbox.react(hello, town.members[1], "👋")
        await sandbox.unreact(hello, town.members[1], "👋")
        await sandbox.add_role(town.guild, newcomer, town.staff_role)
        await sandbox.delete_message(hello)
        await sandbox.leave(town.guild, newcomer)
        await sandbox.wait_for_bot_idle()
        guild = client.get_guild(town.guild.id)
        assert guild is not None and guild.get_member(newcomer.user.id) is None
        dthread = guild.get_thread(thread.id)
        assert dthread is not None and dthread.parent_id == town.general.id
    assert thread.id == hello.id  # a thread from a message takes the message's id
    assert [t.id for t in seen["thread_create"]] == [thread.id]
    assert [r.emoji.name for r in seen["raw_reaction_add"]] == ["👋"]
    assert [r.user_id for r in seen["raw_reaction_remove"]] == [town.members[1].user.id]
    assert [m.id for m in seen["member_join"]] == [newcomer.user.id]
    assert [m.id for m in seen["member_remove"]] == [newcomer.user.id]
    assert [d.message_id for d in seen["raw_message_delete"]] == [hello.id]
    (before, after) = seen["member_update"][0]
    assert town.staff_role.id not in [r.id for r in before.roles]
    assert town.staff_role.id in [r.id for r in after.roles]
    assert sandbox.threads_in(town.general) == [thread]


async def test_bot_opens_a_thread_and_adds_a_member(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    bot = make_bot()
    created: asyncio.Queue[discord.Thread] = asyncio.Queue()
    bot.add_listener(created.put, "on_thread_create")
    async with RunningClient(sandbox, bot) as client:
        msg = await sandbox.post(town.general, town.members[0], "first post")
        channel = client.get_channel(town.general.id)
        assert isinstance(channel, discord.TextChannel)
        from_msg = await channel.get_partial_message(msg.id).create_thread(name="From msg")
        private = await channel.create_thread(name="Private")
        await private.add_user(discord.Object(town.members[1].user.id))
        seen = {(await asyncio.wait_for(created.get(), 5)).id for _ in range(2)}
    assert from_msg.id == msg.id and private.type == discord.ChannelType.private_thread
    assert seen == {from_msg.id, private.id}
    assert town.members[1].user.id in sandbox.world.channels[private.id].thread_members


async def test_activity_in_the_past_keeps_its_time(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    when = datetime(2025, 11, 3, 18, 30, tzinfo=UTC)
    bot = make_bot()
    seen = collect(bot, "message", "member_join")
    async with RunningClient(sandbox, bot):
        member = await sandbox.join(town.guild, "old_timer", at=when)
        await sandbox.post(town.general, member, "a while ago", at=when + timedelta(hours=1))
        await sandbox.wait_for_bot_idle()
    assert seen["member_join"][0].joined_at == when
    assert seen["message"][0].created_at == when + timedelta(hours=1)


async def test_threads_archive_and_reopen_when_the_bot_posts(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    bot = make_bot()
    updates: asyncio.Queue[discord.RawThreadUpdateEvent] = asyncio.Queue()
    bot.add_listener(updates.put, "on_raw_thread_update")
    async with RunningClient(sandbox, bot) as client:
        root = await sandbox.post(town.help, town.members[0], "question")
        thread = await sandbox.create_thread(town.help, town.members[0], "q", from_message=root)
        await sandbox.wait_for_bot_idle()
        dthread = client.get_channel(thread.id)
        assert isinstance(dthread, discord.Thread)
        await dthread.edit(archived=True)
        archived = await asyncio.wait_for(updates.get(), 5)
        assert archived.data["thread_metadata"]["archived"] and thread.archived
        await dthread.send("reopening")  # discord.py drops archived threads from its cache
        reopened = await asyncio.wait_for(updates.get(), 5)
        assert not reopened.data["thread_metadata"]["archived"] and not thread.archived
    assert [m.content for m in sandbox.messages_in(thread)] == ["reopening"]


async def test_archived_threads_are_listed_newest_archive_first(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    start = datetime(2026, 2, 1, tzinfo=UTC)
    threads = []
    for i in range(3):
        root = await sandbox.post(town.help, town.members[0], f"q{i}", at=start)
        thread = await sandbox.create_thread(
            town.help, town.members[0], f"q{i}", from_message=root, at=start
        )
        await sandbox.archive_thread(thread, at=start + timedelta(days=i + 1))
        threads.append(thread)
    open_one = await sandbox.create_thread(town.help, town.members[1], "still open")
    async with RunningClient(sandbox, make_bot()) as client:
        channel = client.get_channel(town.help.id)
        assert isinstance(channel, discord.TextChannel)
        listed = [t.id async for t in channel.archived_threads(limit=None)]
        older = [
            t.id async for t in channel.archived_threads(before=start + timedelta(days=2, hours=12))
        ]
    assert listed == [t.id for t in reversed(threads)]
    assert open_one.id not in listed
    assert older == [threads[1].id, threads[0].id]


async def test_deleted_channels_and_threads(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    root = await sandbox.post(town.help, town.members[0], "q")
    thread = await sandbox.create_thread(town.help, town.members[0], "q", from_message=root)
    bot = make_bot()
    seen = collect(bot, "guild_channel_delete", "raw_thread_delete")
    async with RunningClient(sandbox, bot) as client:
        await sandbox.delete_channel(town.help)  # its thread goes with it
        await sandbox.wait_for_bot_idle()
        assert client.get_channel(town.help.id) is None
        with pytest.raises(discord.NotFound) as gone:
            await client.get_partial_messageable(town.help.id).send("anyone?")
    assert gone.value.code == 10003
    assert [c.id for c in seen["guild_channel_delete"]] == [town.help.id]
    assert [t.thread_id for t in seen["raw_thread_delete"]] == [thread.id]
    assert sandbox.messages_in(town.help) == [] and thread.id not in sandbox.world.channels
