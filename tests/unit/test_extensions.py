"""Every cog loads into a real FoyerBot (no connection), and the command tree it builds is
one Discord accepts: unique names in both languages, admin commands gated."""

from __future__ import annotations

import importlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import discord
import pytest
from discord import app_commands

from bot.app import FoyerBot, extension_names
from bot.config import Settings
from bot.errors import FoyerError

# Top-level commands meant for admins only, when their feature is present.
ADMIN_COMMANDS = {"setup", "welcome", "ritual", "spotlight", "survey", "health"}
AppCommand = app_commands.Command[Any, ..., Any] | app_commands.Group


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[FoyerBot]:
    """The bot as `foyer run` builds it, set up (migrations, translator, cogs) but offline."""
    (tmp_path / "heartbeat").write_text(str(time.time()))  # left by a previous run
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path}/foyer.db",
        heartbeat_file=tmp_path / "heartbeat",
    )
    bot = FoyerBot(settings)
    async with bot:  # what `foyer run` does, minus the login and the gateway
        await bot.setup_hook()
        yield bot


@pytest.mark.parametrize("name", extension_names())
def test_cog_module_imports_and_has_setup(name: str) -> None:
    module = importlib.import_module(name)
    assert callable(getattr(module, "setup", None)), f"{name} has no `async def setup(bot)`"


def test_discovery_finds_public_modules_only() -> None:
    names = extension_names()
    assert "cogs.setup" in names
    assert not [n for n in names if n.split(".")[-1].startswith("_")]


async def test_every_extension_loads(bot: FoyerBot) -> None:
    assert set(bot.extensions) == set(extension_names())
    assert bot.get_cog("SetupCog") is not None


async def test_an_old_heartbeat_does_not_vouch_for_a_bot_not_ready(bot: FoyerBot) -> None:
    """Until this run is ready, `foyer status` must fail, whatever the last run left."""
    assert not bot.settings.heartbeat_file.exists()


def test_intents_are_members_without_message_content() -> None:
    from bot.app import foyer_intents

    intents = foyer_intents()
    assert intents.members and intents.guilds
    assert not intents.message_content and not intents.presences


def test_no_one_can_be_pinged_by_default(tmp_path: Path) -> None:
    bot = FoyerBot(Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/f.db"))  # type: ignore[call-arg]
    mentions = bot.allowed_mentions
    assert mentions is not None
    assert not (mentions.everyone or mentions.users or mentions.roles or mentions.replied_user)


async def localized(bot: FoyerBot) -> list[dict[str, Any]]:
    """The payloads `tree.sync` would send, French names included."""
    translator = bot.tree.translator
    assert translator is not None
    return [await c.get_translated_payload(bot.tree, translator) for c in bot.tree.get_commands()]


def assert_unique(payloads: list[dict[str, Any]], where: str) -> None:
    english = [p["name"] for p in payloads]
    assert len(english) == len(set(english)), f"duplicate names {where}: {sorted(english)}"
    french = [(p.get("name_localizations") or {}).get("fr", p["name"]) for p in payloads]
    assert len(french) == len(set(french)), f"duplicate French names {where}: {sorted(french)}"


async def test_command_names_are_unique_in_both_languages(bot: FoyerBot) -> None:
    payloads = await localized(bot)
    assert payloads, "no application command registered"
    assert_unique([p for p in payloads if p.get("type", 1) == 1], "at the top level")

    def walk(payload: dict[str, Any], path: str) -> None:
        subs = [o for o in payload.get("options", []) if o["type"] in (1, 2)]
        assert_unique(subs, f"under /{path}")
        params = [o for o in payload.get("options", []) if o["type"] not in (1, 2)]
        assert_unique(params, f"among the options of /{path}")
        for sub in subs:
            walk(sub, f"{path} {sub['name']}")

    for payload in payloads:
        walk(payload, payload["name"])


async def test_every_command_is_translated(bot: FoyerBot) -> None:
    """Top-level names and descriptions reach Discord in French as well."""
    for payload in await localized(bot):
        if payload.get("type", 1) != 1:
            continue
        assert "fr" in (payload.get("name_localizations") or {}), payload["name"]
        assert "fr" in (payload.get("description_localizations") or {}), payload["name"]


def top_level(bot: FoyerBot) -> list[AppCommand]:
    return cast(list[AppCommand], bot.tree.get_commands(type=discord.AppCommandType.chat_input))


async def test_admin_commands_need_manage_server(bot: FoyerBot) -> None:
    present = {c.name for c in top_level(bot)} & ADMIN_COMMANDS
    assert "setup" in present
    for command in top_level(bot):
        if command.name not in ADMIN_COMMANDS:
            continue
        perms = command.default_permissions
        assert perms is not None and perms.manage_guild, f"/{command.name} is not gated"
        assert perms.value == discord.Permissions(manage_guild=True).value
        assert command.guild_only, f"/{command.name} should not run in DMs"


def interaction(**permissions: bool) -> discord.Interaction:
    """Just what the admin check reads: a guild and the member's resolved permissions."""
    fake = SimpleNamespace(
        guild=SimpleNamespace(id=1),
        guild_id=1,
        permissions=discord.Permissions(**permissions),
        client=None,  # no manager roles, no Integrations override to read
        user=SimpleNamespace(id=2, roles=[]),
    )
    return cast(discord.Interaction, fake)


async def test_admin_commands_refuse_non_admins_at_run_time(bot: FoyerBot) -> None:
    """Server owners can override default permissions, so the run-time check must hold."""
    checked = 0
    for command in top_level(bot):
        if command.name not in ADMIN_COMMANDS:
            continue
        leaves = [command] if isinstance(command, app_commands.Command) else command.walk_commands()
        for leaf in leaves:
            if not isinstance(leaf, app_commands.Command):
                continue
            with pytest.raises(FoyerError) as info:
                await leaf._check_can_run(interaction(send_messages=True))
            assert info.value.key == "errors.not_admin", leaf.qualified_name
            assert await leaf._check_can_run(interaction(manage_guild=True))
            assert await leaf._check_can_run(interaction(administrator=True))
            checked += 1
    assert checked >= 3  # /setup set, staff, show at least
