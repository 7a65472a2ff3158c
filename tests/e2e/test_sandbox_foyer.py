"""The real FoyerBot runs in the sandbox: it connects, syncs, and answers /setup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.harness import FoyerEnv, running_foyer
from discord_sandbox import Sandbox
from discord_sandbox.gateway import shard_of

pytestmark = pytest.mark.e2e


async def test_foyer_connects_syncs_and_answers_setup_show(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    assert "setup" in {c.data["name"] for c in sb.commands()}
    shown = await sb.invoke(town.guild, town.admin, "setup", subcommand="show")
    assert shown.ephemeral
    assert shown.content
    assert sb.messages_in(town.general) == []


async def test_foyer_refuses_setup_to_a_member_even_if_discord_let_them(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    refused = await sb.invoke(
        town.guild, town.members[0], "setup", subcommand="show", check_permissions=False
    )
    allowed = await sb.invoke(town.guild, town.admin, "setup", subcommand="show")
    assert refused.ephemeral
    assert refused.content != allowed.content


async def test_foyer_on_one_shard_of_two_sees_only_its_guilds(
    sandbox: Sandbox, database_url: str, tmp_path: Path
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    guilds = [sandbox.create_guild(f"g{i}", at=start + timedelta(milliseconds=i)) for i in range(6)]
    for guild in guilds:
        sandbox.create_channel(guild, "general")
    mine = {g.id for g in guilds if shard_of(g.id, 2) == 1}
    async with running_foyer(
        sandbox,
        database_url=database_url,
        shard_count=2,
        shard_ids=[1],
        heartbeat_file=tmp_path / "hb",
    ) as bot:
        assert {g.id for g in bot.guilds} == mine
        assert [s.shard for s in sandbox.core.hub.sessions.values()] == [(1, 2)]
