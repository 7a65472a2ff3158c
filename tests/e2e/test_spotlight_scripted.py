"""A community scripted through the sandbox and recorded by the real tracker: the
spotlight suggestion ranks the hand-computed top contributor first and never lists staff,
opted-out, silent or recently spotlighted members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from demo.harness import running_foyer
from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC).replace(microsecond=0)


async def test_scripted_community_suggestion(sandbox: Sandbox, database_url: str) -> None:
    town = build_town(sandbox, "Atelier", locale="fr", members=5)
    m0, m1, m2, m3, m4 = town.members
    bravo = sandbox.create_channel(town.guild, "bravo")
    general, helpdesk = town.general, town.help
    async with running_foyer(sandbox, database_url=database_url, clock=ManualClock(NOW)) as bot:
        day = NOW - timedelta(days=5)
        q1 = await sandbox.post(helpdesk, m1, "q1", at=day)
        q2 = await sandbox.post(helpdesk, m2, "q2", at=day + timedelta(minutes=1))
        q3 = await sandbox.post(helpdesk, m3, "q3", at=day + timedelta(minutes=2))
        at = day + timedelta(hours=1)
        # m0 answers three different members once each
        answers = []
        for i, question in enumerate((q1, q2, q3)):
            answers.append(
                await sandbox.post(
                    helpdesk, m0, "a", reply_to=question, at=at + timedelta(minutes=i)
                )
            )
        # m1 answers the same member four times: volume to one person
        for i in range(4):
            await sandbox.post(general, m1, "b", reply_to=q2, at=at + timedelta(minutes=10 + i))
        # staff (camille has Manage Server) and the opted-out member answer everyone
        for i, question in enumerate((q1, q2, q3)):
            await sandbox.post(helpdesk, town.admin, "c", reply_to=question,
                               at=at + timedelta(minutes=20 + i))  # fmt: skip
            await sandbox.post(helpdesk, m4, "d", reply_to=question,
                               at=at + timedelta(minutes=30 + i))  # fmt: skip
        await sandbox.react(answers[0], m1, "🙏")
        await sandbox.wait_for_bot_idle()  # every dispatch read before the flush
        await bot.recorder.flush()
        # m4 then opts out: their activity is erased and they are never suggested
        optout = await sandbox.invoke(town.guild, m4, "privacy", subcommand="optout")
        assert optout.ephemeral

        # By hand (docs/recognition.md), whatever the recorder counts as conversations:
        # m0: H=3, P=3 -> 3*3 + 3 = 12 (+ 0.5 for the reaction)
        # m1: H=1, P=4 -> 3*1 + min(4, 3) = 6 (+ 2 per conversation started, q1)
        # m2, m3: answered nobody; m4 opted out; camille is staff.
        await sandbox.invoke(
            town.guild, town.admin, "spotlight", subcommand="setup", options={"channel": bravo}
        )
        shown = await sandbox.invoke(town.guild, town.admin, "spotlight", subcommand="suggest")
        (embed,) = shown.embeds
        listed = [f["value"].split("\n", 1)[0] for f in embed["fields"]]
        assert listed == [f"<@{m0.user.id}>", f"<@{m1.user.id}>"]
        assert "a répondu à 3 membres (3 réponses)" in embed["fields"][0]["value"]
        assert "a répondu à 1 membre (4 réponses)" in embed["fields"][1]["value"]
        for absent in (m2, m3, m4, town.admin):
            assert str(absent.user.id) not in str(embed) + str(shown.components)

        # once spotlighted, m0 is left out for the cooldown
        posted = await sandbox.invoke(
            town.guild, town.admin, "spotlight", subcommand="post", options={"member": m0}
        )
        assert "Mise en avant publiée" in (posted.content or "")
        again = await sandbox.invoke(town.guild, town.admin, "spotlight", subcommand="suggest")
        assert [f["value"].split("\n", 1)[0] for f in again.embeds[0]["fields"]] == [
            f"<@{m1.user.id}>"
        ]
