"""Commands named in texts are Discord mentions with the ids of the synced tree, at the
first start (ids from the upsert) and at a restart with the tree unchanged (ids read back)."""

from __future__ import annotations

import pytest

from bot.i18n import forget_commands, mention, t
from demo.harness import running_foyer
from demo.scenario import build_town
from discord_sandbox import Sandbox


@pytest.fixture(autouse=True)
def _no_commands_known() -> None:
    forget_commands()


async def test_mentions_carry_the_synced_ids(sandbox: Sandbox, database_url: str) -> None:
    build_town(sandbox)
    for _start in range(2):  # synced, then unchanged (no upsert: fetched)
        forget_commands()
        async with running_foyer(sandbox, database_url=database_url):
            ids = {c.data["name"]: c.id for c in sandbox.commands()}
            assert mention("health", "fr") == f"</health:{ids['health']}>"
            assert mention("privacy export", "en") == f"</privacy export:{ids['privacy']}>"
            assert f"</health:{ids['health']}>" in t("health.digest.intro", "fr", days=7)
    forget_commands()
    assert mention("health", "fr") == "/santé"
