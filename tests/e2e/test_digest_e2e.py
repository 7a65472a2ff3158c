"""`/setup digest` through the sandbox with the real discord.py client, in French and in
English: the admin chooses the day, hour and format, is told when the next digest comes
(local date and time), the scheduler posts it then, once, in the admin channel; turned off,
nothing is posted; a value outside the declaration is refused and saves nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.db.models import DigestSettings
from demo.harness import running_foyer
from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e
MONDAY = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Monday 30 November, 07:00 in Paris


async def digest(sb: Sandbox, town: Any, **options: Any) -> str:
    res = await sb.invoke(town.guild, town.admin, "setup", subcommand="digest", options=options)
    assert res.ephemeral
    return res.content or ""


async def test_french_compact_digest_on_thursday_evening_then_off(
    sandbox: Sandbox, database_url: str
) -> None:
    town = build_town(sandbox, "Atelier", locale="fr", members=3)
    clock = ManualClock(MONDAY)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await bot.guild_settings.update(town.guild.id, admin_channel_id=town.admin_channel.id)
        said = await digest(sandbox, town, day=3, hour=18, format="compact")
        assert said.startswith("Réglages du bilan enregistrés.\n")
        assert "Bilan hebdomadaire : actif, chaque jeudi à 18:00, compact" in said
        assert "Prochain bilan : jeudi 3 décembre 2026 à 18:00 (Europe/Paris)" in said
        assert f"dans <#{town.admin_channel.id}>." in said
        clock.set(MONDAY + timedelta(hours=3))  # Monday 10:00: the old day passes quietly
        await bot.scheduler.run_due()
        assert sandbox.messages_in(town.admin_channel) == []
        clock.set(datetime(2026, 12, 3, 17, 0, 30, tzinfo=UTC))  # Thursday 18:00:30 Paris
        await bot.scheduler.run_due()
        await bot.scheduler.run_due()
        (post,) = sandbox.messages_in(town.admin_channel)
        (embed,) = post.embeds
        assert embed["title"] == "Bilan de santé hebdomadaire"
        assert not post.files  # compact: no chart
        (field,) = embed["fields"]
        assert field["name"] == "Chiffres clés"
        lines = field["value"].split("\n")
        assert [line.split(" :")[0] for line in lines] == [
            "Membres actifs",
            "Conversion à 4 semaines",
            "Attrition",
            "Interactions entre membres",
            "Part horizontale",
            "NPS",
        ]
        said = await digest(sandbox, town, enabled=False)
        assert "Bilan hebdomadaire : désactivé." in said and "Prochain bilan" not in said
        for week in (1, 2):
            clock.set(datetime(2026, 12, 3, 17, 1, tzinfo=UTC) + timedelta(weeks=week))
            await bot.scheduler.run_due()
        assert len(sandbox.messages_in(town.admin_channel)) == 1


async def test_english_full_digest_in_the_guild_s_zone_then_off(
    sandbox: Sandbox, database_url: str
) -> None:
    town = build_town(sandbox, "Workshop", locale="en-US", members=3)
    clock = ManualClock(MONDAY)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await bot.guild_settings.update(
            town.guild.id, admin_channel_id=town.admin_channel.id, timezone="America/Toronto"
        )
        said = await digest(sandbox, town, day=1, hour=8)  # Tuesday 08:00 in Toronto
        assert "Weekly digest: on, every Tuesday at 8:00\u202fAM, full report." in said
        assert "Next digest: Tuesday, December 1, 2026 at 8:00\u202fAM (America/Toronto)" in said
        clock.set(datetime(2026, 12, 1, 12, 59, tzinfo=UTC))  # 07:59 in Toronto
        await bot.scheduler.run_due()
        assert sandbox.messages_in(town.admin_channel) == []
        clock.set(datetime(2026, 12, 1, 13, 1, tzinfo=UTC))
        await bot.scheduler.run_due()
        (post,) = sandbox.messages_in(town.admin_channel)
        assert post.embeds[0]["title"] == "Weekly health digest"
        assert "health.png" in post.files  # full: the whole report and the chart
        # Moved to Friday on Wednesday: this week's is out, so the next is a week later
        clock.set(datetime(2026, 12, 2, 15, tzinfo=UTC))
        said = await digest(sandbox, town, day=4)
        assert "Next digest: Friday, December 11, 2026 at 8:00\u202fAM (America/Toronto)" in said
        assert "This week's digest has already been posted" in said
        clock.set(datetime(2026, 12, 4, 13, 1, tzinfo=UTC))
        await bot.scheduler.run_due()
        assert len(sandbox.messages_in(town.admin_channel)) == 1
        said = await digest(sandbox, town, enabled=False)
        assert "Weekly digest: off." in said
        clock.set(datetime(2026, 12, 11, 13, 1, tzinfo=UTC))
        await bot.scheduler.run_due()
        assert len(sandbox.messages_in(town.admin_channel)) == 1


@pytest.mark.parametrize(
    "locale, options, expected",
    [
        ("fr", {"hour": 25}, "L'option heure doit être comprise entre 0 et 23 ; vous avez donné"),
        ("fr", {"day": 9}, "« 9 »"),
        ("fr", {"format": "tiny", "enabled": False}, "« tiny »"),
        ("en-US", {"hour": 25, "day": 2}, "The option hour must be between 0 and 23; you gave 25."),
        ("en-US", {"day": -1}, "“-1” is not a choice for the option day."),
    ],
)  # fmt: skip
async def test_a_value_outside_the_declaration_is_refused_and_saves_nothing(
    sandbox: Sandbox, database_url: str, locale: str, options: dict[str, Any], expected: str
) -> None:
    town = build_town(sandbox, "Atelier", locale=locale, members=3)
    async with running_foyer(sandbox, database_url=database_url, clock=ManualClock(MONDAY)) as bot:
        said = await digest(sandbox, town, **options)
        assert expected in said
        assert ("Rien n'a été modifié." if locale == "fr" else "Nothing was changed.") in said
        async with bot.db.session() as session:
            rows = await session.scalar(select(func.count()).select_from(DigestSettings))
        assert rows == 0
