"""Role deletion as Discord does it, over REST (the bot) and by an admin (the scenario)."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord.ext import commands

from demo.harness import RunningClient
from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e
VIEW = discord.Permissions(view_channel=True).value


def make_bot(*, members: bool = True) -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = members
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)


def dispatched(sandbox: Sandbox, event: str) -> list[dict[str, object]]:
    """The payloads of ``event`` sent to the bot's sessions so far."""
    return [
        f["d"] for s in sandbox.core.hub.sessions.values() for f in s.buffer if f.get("t") == event
    ]


async def test_the_bot_deletes_a_role_below_its_own(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    topic = sandbox.create_role(town.guild, "Python")
    holder = town.members[0]
    holder.roles.append(topic.id)
    sandbox.set_overwrite(town.help, topic, allow=VIEW)
    bot = make_bot()
    deleted: list[int] = []
    updated: list[tuple[int, list[int]]] = []

    async def on_guild_role_delete(role: discord.Role) -> None:
        deleted.append(role.id)

    async def on_member_update(before: discord.Member, after: discord.Member) -> None:
        updated.append((after.id, [r.id for r in after.roles]))

    bot.add_listener(on_guild_role_delete)
    bot.add_listener(on_member_update)
    async with RunningClient(sandbox, bot) as client:
        guild = client.get_guild(town.guild.id)
        assert guild is not None
        role = guild.get_role(topic.id)
        assert role is not None
        await role.delete()
        await sandbox.core.hub.sync()
        await asyncio.sleep(0.05)
        assert guild.get_role(topic.id) is None
        member = guild.get_member(holder.user.id)
        assert member is not None and topic.id not in [r.id for r in member.roles]
    assert deleted == [topic.id]
    assert updated == [(holder.user.id, [town.guild.id])]  # only the holder, without it
    assert topic.id not in town.guild.roles and holder.roles == []
    assert [o.id for o in town.help.overwrites if o.id == topic.id] == []
    assert dispatched(sandbox, "GUILD_ROLE_DELETE") == [
        {"guild_id": str(town.guild.id), "role_id": str(topic.id)}
    ]


async def test_deleting_an_unknown_role_or_one_not_below_the_bot_is_refused(
    sandbox: Sandbox,
) -> None:
    town = build_town(sandbox)
    above = sandbox.create_role(town.guild, "Owners", above_bot=True)
    async with RunningClient(sandbox, make_bot()) as client:
        guild = client.get_guild(town.guild.id)
        assert guild is not None
        with pytest.raises(discord.NotFound) as unknown:
            await client.http.delete_role(guild.id, 4242)
        assert unknown.value.code == 10011
        with pytest.raises(discord.Forbidden) as hierarchy:
            await client.http.delete_role(guild.id, above.id)
        assert hierarchy.value.code == 50013
        with pytest.raises(discord.Forbidden):  # its own role is as high as it goes
            await client.http.delete_role(guild.id, sandbox.world.bot_role(town.guild).id)
        sandbox.set_bot_permissions(town.guild, discord.Permissions(view_channel=True).value)
        with pytest.raises(discord.Forbidden) as no_manage_roles:
            await client.http.delete_role(guild.id, town.staff_role.id)
        assert no_manage_roles.value.code == 50013
    assert above.id in town.guild.roles and town.staff_role.id in town.guild.roles
    assert town.admin.roles == [town.staff_role.id]
    assert dispatched(sandbox, "GUILD_ROLE_DELETE") == []


async def test_an_admin_deletes_a_role_and_intents_filter_the_events(sandbox: Sandbox) -> None:
    town = build_town(sandbox)
    topic = sandbox.create_role(town.guild, "Rust", permissions=VIEW)
    for member in town.members[:2]:
        member.roles.append(topic.id)
    owner = sandbox.world.users[town.guild.owner_id]
    async with RunningClient(sandbox, make_bot(members=False)) as client:
        with pytest.raises(PermissionError):  # a plain member cannot
            await sandbox.delete_role(town.guild, town.members[2].user, topic)
        entry = await sandbox.delete_role(town.guild, owner, topic)
        await sandbox.core.hub.sync()
        await asyncio.sleep(0.05)
        guild = client.get_guild(town.guild.id)
        assert guild is not None and guild.get_role(topic.id) is None
    assert [m.roles for m in town.members] == [[], [], []]
    assert dispatched(sandbox, "GUILD_ROLE_DELETE") == [
        {"guild_id": str(town.guild.id), "role_id": str(topic.id)}
    ]
    assert dispatched(sandbox, "GUILD_MEMBER_UPDATE") == []  # no Guild Members intent
    assert entry["action_type"] == 32 and entry["target_id"] == str(topic.id)
    assert entry["changes"][0] == {"key": "name", "old_value": "Rust"}


async def test_member_updates_follow_a_deletion_with_the_members_intent(
    sandbox: Sandbox,
) -> None:
    town = build_town(sandbox)
    topic = sandbox.create_role(town.guild, "Go")
    town.members[1].roles.append(topic.id)
    owner = sandbox.world.users[town.guild.owner_id]
    async with RunningClient(sandbox, make_bot()):
        await sandbox.delete_role(town.guild, owner, topic)
        await sandbox.core.hub.sync()
    updates = dispatched(sandbox, "GUILD_MEMBER_UPDATE")
    assert [(u["user"]["id"], u["roles"]) for u in updates] == [  # type: ignore[index]
        (str(town.members[1].user.id), [])
    ]
