"""The real FoyerBot runs in the sandbox: it connects, syncs, and answers /setup."""

from __future__ import annotations

import pytest

from bot.sandbox.harness import FoyerEnv

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
