"""`/setup` and the bot's start-up, through the sandbox with the real discord.py client:
translated ephemeral errors that change nothing, admin gating, command sync only when the
command tree changed, the heartbeat behind `foyer status`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from sqlalchemy import select

from bot import cli
from bot.app import FoyerBot
from bot.config import Settings
from bot.db.models import GuildSettings, Member
from bot.i18n import t
from demo.harness import FoyerEnv, running_foyer
from demo.scenario import Town, build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e

GLOBAL_SYNC = ("PUT", "/applications/{application_id}/commands")
GUILD_SYNC = ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")


async def stored(env: FoyerEnv, guild_id: int) -> GuildSettings:
    """The row as it is in the database, past the service's cache."""
    async with env.bot.db.session() as session:
        row = await session.get(GuildSettings, guild_id)
    assert row is not None
    return row


@pytest.fixture
async def english(sandbox: Sandbox, database_url: str) -> AsyncIterator[FoyerEnv]:
    """Like `foyer`, in a guild whose locale is en-US."""
    town = build_town(sandbox, "Workshop", locale="en-US")
    async with running_foyer(sandbox, database_url=database_url) as bot:
        yield FoyerEnv(sandbox, bot, town)


async def test_commands_are_registered_with_french_names(foyer: FoyerEnv) -> None:
    (setup,) = [c.data for c in foyer.sb.commands() if c.data["name"] == "setup"]
    assert setup["name_localizations"]["fr"] == "configuration"
    assert int(setup["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    subcommands = {o["name"]: o for o in setup["options"]}
    assert set(subcommands) >= {"set", "staff", "show"}
    assert subcommands["set"]["name_localizations"]["fr"] == "modifier"


async def test_bad_time_zone_in_a_french_guild(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    before = await stored(foyer, town.guild.id)
    res = await sb.invoke(
        town.guild,
        town.admin,
        "setup",
        subcommand="set",
        options={"timezone": "Mars/Olympus", "bot_posts_per_day": 5},
    )
    assert res.ephemeral
    assert res.content == t("setup.bad_timezone", "fr", value="Mars/Olympus")
    assert "Rien n'a été enregistré" in (res.content or "")
    after = await stored(foyer, town.guild.id)
    assert (after.timezone, after.posts_per_channel_per_day) == (
        before.timezone,
        before.posts_per_channel_per_day,
    )
    assert sb.messages_in(town.general) == []


async def test_bad_time_zone_in_an_english_guild(english: FoyerEnv) -> None:
    sb, town = english.sb, english.town
    res = await sb.invoke(
        town.guild, town.admin, "setup", subcommand="set", options={"timezone": "Paris"}
    )
    assert res.ephemeral
    assert res.content == t("setup.bad_timezone", "en", value="Paris")
    assert (await stored(english, town.guild.id)).timezone == "UTC"


async def test_set_without_options_says_so(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    res = await sb.invoke(town.guild, town.admin, "setup", subcommand="set")
    assert res.ephemeral
    assert res.content == t("setup.nothing_to_change", "fr")


async def test_good_settings_are_saved(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    res = await sb.invoke(
        town.guild,
        town.admin,
        "setup",
        subcommand="set",
        options={
            "timezone": "America/Montreal",
            "language": "en",
            "admin_channel": town.general,
            "retention_days": 90,
        },
    )
    assert res.ephemeral
    # The language changed to English, and the answer already speaks it.
    assert (res.content or "").startswith("Saved.\n**Language:** English\n**Time zone:** America/")
    row = await stored(foyer, town.guild.id)
    assert (row.timezone, row.language, row.admin_channel_id, row.retention_days) == (
        "America/Montreal",
        "en",
        town.general.id,
        90,
    )


async def test_admin_channel_the_bot_cannot_post_in(foyer: FoyerEnv) -> None:
    """#admin is hidden from @everyone and open to Staff only: the bot cannot see it."""
    sb, town = foyer.sb, foyer.town
    res = await sb.invoke(
        town.guild,
        town.admin,
        "setup",
        subcommand="set",
        options={"admin_channel": town.admin_channel, "timezone": "Asia/Tokyo"},
    )
    assert res.ephemeral
    assert res.content == t("setup.cannot_post", "fr", channel=f"<#{town.admin_channel.id}>")
    row = await stored(foyer, town.guild.id)
    assert (row.admin_channel_id, row.timezone) == (None, "Europe/Paris")


async def test_a_channel_the_bot_never_saw_gets_a_translated_answer(foyer: FoyerEnv) -> None:
    """discord.py cannot convert an option it has no cache entry for: the central handler
    says so in the guild's language instead of "something went wrong"."""
    sb, town = foyer.sb, foyer.town
    unseen = sb.create_channel(town.guild, "unseen")  # no CHANNEL_CREATE reaches the bot
    res = await sb.invoke(
        town.guild, town.admin, "setup", subcommand="set", options={"admin_channel": unseen}
    )
    assert res.ephemeral
    assert res.content == t("errors.bad_option", "fr", value=f"<#{unseen.id}>")
    assert (await stored(foyer, town.guild.id)).admin_channel_id is None


async def test_staff_roles_add_and_remove(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    res = await sb.invoke(
        town.guild, town.admin, "setup", subcommand="staff", options={"role": town.staff_role}
    )
    assert f"<@&{town.staff_role.id}>" in (res.content or "")
    row = await stored(foyer, town.guild.id)
    assert [r.role_id for r in row.staff_roles] == [town.staff_role.id]

    everyone = await sb.invoke(
        town.guild, town.admin, "setup", subcommand="staff", options={"role": town.guild.everyone}
    )
    assert everyone.content == t("setup.staff_everyone", "fr")

    await sb.invoke(
        town.guild,
        town.admin,
        "setup",
        subcommand="staff",
        options={"role": town.staff_role, "action": "remove"},
    )
    assert (await stored(foyer, town.guild.id)).staff_roles == []


async def staff_ids(env: FoyerEnv) -> set[int]:
    """Who the members table says is staff, past every cache."""
    await env.sb.wait_for_bot_idle()
    await env.bot.recorder.flush()
    async with env.bot.db.session() as session:
        rows = await session.scalars(
            select(Member.user_id).where(
                Member.guild_id == env.town.guild.id, Member.is_staff.is_(True)
            )
        )
        return set(rows)


async def test_staff_roles_re_mark_present_members_at_once(foyer: FoyerEnv) -> None:
    """No staff role: the Manage Server holders (the owner, camille) are staff. With the
    Staff role configured, only its holders are, from the moment /setup answers (before,
    only a restart's reconciliation re-marked them); removed, back to Manage Server."""
    sb, town = foyer.sb, foyer.town
    owner, admin = town.guild.owner_id, town.admin.user.id
    assert await staff_ids(foyer) == {owner, admin}
    options: dict[str, Any] = {"role": town.staff_role}
    await sb.invoke(town.guild, town.admin, "setup", subcommand="staff", options=options)
    assert await staff_ids(foyer) == {admin}
    options["action"] = "remove"
    await sb.invoke(town.guild, town.admin, "setup", subcommand="staff", options=options)
    assert await staff_ids(foyer) == {owner, admin}


async def test_non_admin_is_refused(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    member = town.members[0]
    with pytest.raises(PermissionError):  # Discord hides the command from them...
        await sb.invoke(town.guild, member, "setup", subcommand="show")
    # ... and if a server owner overrode that, the bot still refuses.
    res = await sb.invoke(
        town.guild,
        member,
        "setup",
        subcommand="set",
        options={"timezone": "UTC"},
        check_permissions=False,
    )
    assert res.ephemeral
    assert res.content == t("errors.not_admin", "fr")
    assert (await stored(foyer, town.guild.id)).timezone == "Europe/Paris"


async def test_setup_show(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    res = await sb.invoke(town.guild, town.admin, "setup", subcommand="show")
    assert res.ephemeral
    content = res.content or ""
    assert "**Fuseau horaire :** Europe/Paris" in content
    assert t("setup.language_auto", "fr") in content
    assert t("setup.staff_default", "fr") in content
    assert sb.messages_in(town.general) == []


class SyncWatch:
    """Records each `sync_commands_if_changed` result, so a test awaits the decision."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.results: asyncio.Queue[bool] = asyncio.Queue()
        original: Callable[[FoyerBot], Awaitable[bool]] = FoyerBot.sync_commands_if_changed

        async def watched(bot: FoyerBot) -> bool:
            result = await original(bot)
            self.results.put_nowait(result)
            return result

        monkeypatch.setattr(FoyerBot, "sync_commands_if_changed", watched)

    async def next(self) -> bool:
        return await asyncio.wait_for(self.results.get(), timeout=10)


def add_a_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Change the tree, as a new release with one more command would."""
    original = FoyerBot.setup_hook

    async def extra(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("extra", ephemeral=True)

    async def setup_hook(bot: FoyerBot) -> None:
        await original(bot)
        bot.tree.add_command(app_commands.Command(name="extra", description="x", callback=extra))

    monkeypatch.setattr(FoyerBot, "setup_hook", setup_hook)


async def test_commands_sync_only_when_the_tree_changed(
    sandbox: Sandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_town(sandbox)
    watch = SyncWatch(monkeypatch)

    async def start_and_stop() -> bool:
        async with running_foyer(sandbox, database_url=database_url, wait_for_sync=False):
            return await watch.next()

    assert await start_and_stop() is True
    assert len(sandbox.calls_to(*GLOBAL_SYNC)) == 1
    assert await start_and_stop() is False  # same tree: no upsert on restart
    assert len(sandbox.calls_to(*GLOBAL_SYNC)) == 1
    add_a_command(monkeypatch)
    assert await start_and_stop() is True
    assert len(sandbox.calls_to(*GLOBAL_SYNC)) == 2
    assert "extra" in {c.data["name"] for c in sandbox.commands()}
    assert await start_and_stop() is False
    assert len(sandbox.calls_to(*GLOBAL_SYNC)) == 2


async def test_a_refused_sync_does_not_stop_the_start(
    sandbox: Sandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord refusing the command upsert (403) is said once in the log, the scheduler
    still starts, and the next start tries again: no retry loop, no stuck bot."""
    build_town(sandbox)
    finished: asyncio.Queue[FoyerBot] = asyncio.Queue()
    original = FoyerBot.on_ready

    async def on_ready(bot: FoyerBot) -> None:
        try:
            await original(bot)
        finally:
            finished.put_nowait(bot)

    monkeypatch.setattr(FoyerBot, "on_ready", on_ready)
    sandbox.faults.next(*GLOBAL_SYNC, status=403)
    for expected_statuses in ([403], [403, 200]):
        async with running_foyer(sandbox, database_url=database_url, wait_for_sync=False):
            bot = await asyncio.wait_for(finished.get(), timeout=10)
            assert bot.scheduler.started
            assert [c.status for c in sandbox.calls_to(*GLOBAL_SYNC)] == expected_statuses
    assert "setup" in {c.data["name"] for c in sandbox.commands()}


async def test_dev_guild_gets_the_commands(sandbox: Sandbox, database_url: str) -> None:
    town: Town = build_town(sandbox)
    async with running_foyer(sandbox, database_url=database_url, dev_guild_id=town.guild.id):
        pass
    assert len(sandbox.calls_to(*GUILD_SYNC)) == 1
    assert sandbox.calls_to(*GLOBAL_SYNC) == []
    assert "setup" in {c.data["name"] for c in sandbox.commands(town.guild)}


async def test_heartbeat_makes_foyer_status_pass(foyer: FoyerEnv) -> None:
    settings: Any = foyer.bot.settings
    assert settings.heartbeat_file.exists()
    assert cli._status(argparse.Namespace(), settings) == 0


async def start_foyer_run(sandbox: Sandbox, folder: Path, **env: str) -> asyncio.subprocess.Process:
    """`foyer run` as an operator starts it, pointed at the sandbox, logging JSON."""
    base = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    base |= {
        "DISCORD_TOKEN": sandbox.token,
        "DISCORD_API_BASE": sandbox.api_base,
        "DISCORD_GATEWAY_URL": sandbox.gateway_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/foyer.db",
        "LOG_FORMAT": "json",
    }
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "foyer"),
        "run",
        cwd=folder,
        env=base | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_foyer_run_stops_cleanly_on_sigterm(sandbox: Sandbox, tmp_path: Path) -> None:
    """The real `foyer run` process: connects to the sandbox, syncs, and on SIGTERM (what
    `docker stop` sends) closes everything and exits 0."""
    build_town(sandbox)
    proc = await start_foyer_run(sandbox, tmp_path)
    try:
        await sandbox.wait_for_call(*GLOBAL_SYNC, timeout=60)
        await sandbox.wait_for_bot_idle()
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    lines = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "shutting down" in messages
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]
    assert sandbox.token not in err.decode()


async def test_foyer_run_with_a_wrong_token(sandbox: Sandbox, tmp_path: Path) -> None:
    proc = await start_foyer_run(sandbox, tmp_path, DISCORD_TOKEN="not.the.token")
    _out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    assert "Discord refused DISCORD_TOKEN" in err.decode()
    assert "Traceback" not in err.decode() and "not.the.token" not in err.decode()


async def test_foyer_run_without_the_members_intent(tmp_path: Path) -> None:
    """The application's Server Members Intent is off in the Developer Portal."""
    async with Sandbox(allowed_intents=0) as sandbox:
        proc = await start_foyer_run(sandbox, tmp_path)
        _out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    assert "Turn on Server Members Intent" in err.decode()
    assert "Traceback" not in err.decode()
