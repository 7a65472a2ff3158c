"""Team access through the sandbox with the real discord.py client: manager roles set with
/setup managers, and the overrides an admin sets for Foyer in Discord's Integrations
settings, which the sandbox applies as Discord does (default member permissions, command
and application entries, channels) and Foyer reads through the command permissions
endpoint. A member with neither is refused, and nothing is saved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.i18n import t
from demo.harness import FoyerEnv, running_foyer
from demo.scenario import build_town
from discord_sandbox import Sandbox
from discord_sandbox.command_permissions import CHANNEL, ROLE, USER
from discord_sandbox.state import Role

pytestmark = pytest.mark.e2e


@pytest.fixture
async def foyer(sandbox: Sandbox, database_url: str, tmp_path: Path) -> AsyncIterator[FoyerEnv]:
    """The town with two roles of no permission, "Community team" and "Moderators",
    created before Foyer connects (the sandbox does not dispatch GUILD_ROLE_CREATE)."""
    town = build_town(sandbox, bot_in_admin=False)
    for name in ("Community team", "Moderators"):
        sandbox.create_role(town.guild, name)
    async with running_foyer(
        sandbox, database_url=database_url, heartbeat_file=tmp_path / "heartbeat"
    ) as bot:
        yield FoyerEnv(sandbox, bot, town)


def role(env: FoyerEnv, name: str) -> Role:
    return next(r for r in env.town.guild.roles.values() if r.name == name)


async def managers(env: FoyerEnv) -> frozenset[int]:
    env.bot.team_access._managers.clear()  # past the cache: what the database holds
    return await env.bot.team_access.manager_role_ids(env.town.guild.id)


async def test_managers_add_list_remove(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    cm = role(foyer, "Community team")
    res = await sb.invoke(
        town.guild,
        town.admin,
        "setup",
        subcommand="managers",
        options={"action": "add", "role": cm},
    )
    assert res.ephemeral and f"<@&{cm.id}>" in (res.content or "")
    assert (res.content or "").startswith(t("setup.saved", "fr"))
    assert await managers(foyer) == {cm.id}
    listed = await sb.invoke(town.guild, town.admin, "setup", subcommand="managers")
    assert f"<@&{cm.id}>" in (listed.content or "") and "Intégrations" in (listed.content or "")
    await sb.invoke(
        town.guild,
        town.admin,
        "setup",
        subcommand="managers",
        options={"action": "remove", "role": cm},
    )
    assert await managers(foyer) == frozenset()


async def test_managers_refuses_everyone_and_a_missing_role(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    everyone = await sb.invoke(
        town.guild,
        town.admin,
        "setup",
        subcommand="managers",
        options={"action": "add", "role": town.guild.everyone},
    )
    assert everyone.content == t("access.everyone", "fr")
    missing = await sb.invoke(
        town.guild, town.admin, "setup", subcommand="managers", options={"action": "add"}
    )
    assert missing.content == t("access.role_needed", "fr")
    assert await managers(foyer) == frozenset()


async def test_a_manager_role_opens_the_admin_commands(foyer: FoyerEnv) -> None:
    """Discord still hides the commands from the role (default Manage Server) until the
    admin shows them in Integrations; Foyer's own check lets the manager in."""
    sb, town = foyer.sb, foyer.town
    cm = role(foyer, "Community team")
    member = town.members[0]
    await sb.add_role(town.guild, member, cm)
    with pytest.raises(PermissionError):
        await sb.invoke(town.guild, member, "setup", subcommand="show")
    refused = await sb.invoke(
        town.guild, member, "setup", subcommand="show", check_permissions=False
    )
    assert refused.content == t("errors.not_admin", "fr")
    await sb.invoke(
        town.guild,
        town.admin,
        "setup",
        subcommand="managers",
        options={"action": "add", "role": cm},
    )
    # The admin shows Foyer's commands to the role in Integrations, as the answer says.
    await sb.set_command_permissions(town.guild, None, [(cm.id, ROLE, True)])
    shown = await sb.invoke(town.guild, member, "setup", subcommand="show")
    assert "Europe/Paris" in (shown.content or "")
    # Without that override, Foyer's check still lets the manager in.
    await sb.set_command_permissions(town.guild, None, [])
    direct = await sb.invoke(
        town.guild,
        member,
        "setup",
        subcommand="set",
        options={"timezone": "UTC"},
        check_permissions=False,
    )
    assert (direct.content or "").startswith(t("setup.saved", "fr"))


async def test_an_integrations_override_is_honoured(foyer: FoyerEnv) -> None:
    """No manager role: the admin allows one member to use /health in Integrations.
    Discord lets her in, and so does Foyer (it reads the override); another member is
    still refused; the override removed, she is refused at once (Foyer reads them again on
    APPLICATION_COMMAND_PERMISSIONS_UPDATE)."""
    sb, town = foyer.sb, foyer.town
    alice, bob = town.members[0], town.members[1]
    await sb.set_command_permissions(town.guild, "health", [(alice.user.id, USER, True)])
    res = await sb.invoke(town.guild, alice, "health")
    assert res.content != t("errors.not_admin", "fr")
    assert res.embeds or res.content
    reads = [c for c in sb.calls if c.path.endswith("/commands/permissions")]
    assert reads, "Foyer should read the overrides through Discord's endpoint"
    with pytest.raises(PermissionError):
        await sb.invoke(town.guild, bob, "health")
    bob_forced = await sb.invoke(town.guild, bob, "health", check_permissions=False)
    assert bob_forced.content == t("errors.not_admin", "fr")
    # The override is for /health only: /setup stays closed to her.
    with pytest.raises(PermissionError):
        await sb.invoke(town.guild, alice, "setup", subcommand="show")
    await sb.set_command_permissions(town.guild, "health", [])
    await sb.wait_for_bot_idle()
    gone = await sb.invoke(town.guild, alice, "health", check_permissions=False)
    assert gone.content == t("errors.not_admin", "fr")


async def test_a_channel_denied_in_integrations_refuses(foyer: FoyerEnv) -> None:
    """The role is allowed, but not in #general: Discord refuses there, and so does Foyer
    when such an interaction reaches it anyway; in #help the same member may."""
    sb, town = foyer.sb, foyer.town
    cm = role(foyer, "Moderators")
    member = town.members[0]
    await sb.add_role(town.guild, member, cm)
    entries = [(cm.id, ROLE, True), (town.general.id, CHANNEL, False)]
    await sb.set_command_permissions(town.guild, "setup", entries)
    with pytest.raises(PermissionError):
        await sb.invoke(town.guild, member, "setup", subcommand="show", channel=town.general)
    forced = await sb.invoke(
        town.guild,
        member,
        "setup",
        subcommand="show",
        channel=town.general,
        check_permissions=False,
    )
    assert forced.content == t("errors.not_admin", "fr")
    ok = await sb.invoke(town.guild, member, "setup", subcommand="show", channel=town.help)
    assert "Europe/Paris" in (ok.content or "")
