"""End-to-end fixtures: a validating sandbox, and the real FoyerBot connected to it.

Every REST answer the sandbox gives is checked against Discord's OpenAPI schema; a test
fails at teardown if any answer violated it (accepted deviations are listed in
``discord_sandbox/openapi_deviations.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from demo.harness import FoyerEnv, running_foyer
from demo.scenario import build_town
from discord_sandbox import Sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A started sandbox that validates every response; at teardown, zero OpenAPI
    violations and no call to a route the sandbox does not emulate."""
    sb = Sandbox(validate_responses=True, bot_name="Foyer")
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()
    assert not sb.violations, "OpenAPI violations:\n" + "\n".join(map(str, sb.violations))
    unknown = [f"{c.method} {c.path}" for c in sb.calls if c.route == "(unknown)"]
    assert not unknown, f"the bot called routes the sandbox does not emulate: {unknown}"


@pytest.fixture
async def foyer(sandbox: Sandbox, database_url: str, tmp_path: Path) -> AsyncIterator[FoyerEnv]:
    """The real FoyerBot, ready and with its commands synced, on a fresh database.

    Its ``#admin`` is hidden from the bot (tests check that /setup refuses it); build your
    own ``build_town(sandbox)`` when the bot must post there.
    """
    town = build_town(sandbox, bot_in_admin=False)
    async with running_foyer(
        sandbox, database_url=database_url, heartbeat_file=tmp_path / "heartbeat"
    ) as bot:
        yield FoyerEnv(sandbox, bot, town)
