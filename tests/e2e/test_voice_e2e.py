"""The guild's voice through the sandbox with the real discord.py client: a French guild
on *tu* and one on *vous* each run the demo's commands (/setup, /health, a welcome, a
survey, a ritual post) and every answer and post reads in its register; the English guild
reads as before; a member text an admin replaced is previewed, then posted as written."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.db.models import GuildSettings
from bot.i18n import t
from demo.harness import FoyerEnv, running_foyer
from demo.scenario import build_town
from discord_sandbox import Message, Sandbox
from discord_sandbox.interactions import InteractionResult

pytestmark = pytest.mark.e2e
MONDAY = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Monday 30 November, 07:00 in Paris

#: What speaks to the reader in *vous* (the catalogue tests hold the full rule).
VOUS = re.compile(r"\b(?:vous|votre|vos)\b|\b(?!(?:chez|assez)\b)\w+ez\b", re.IGNORECASE)


@dataclass(frozen=True)
class Voice:
    """A guild's locale, the register chosen, and words only that register writes."""

    locale: str
    register: str | None
    words: dict[str, str]
    summary: str  # the register as /setup show names it


TU = Voice(
    "fr",
    "tu",
    {
        "voice": "Foyer te tutoie",
        "timezone": "Utilise un nom IANA",
        "welcome": "présente-toi en quelques mots",
        "survey": "que tu recommandes",
        "survey_body": "tu peux changer de réponse",
        "ritual": "Raconte-nous tout dans le fil",
    },
    "**Registre :** tutoiement",
)
VOUS_ = Voice(
    "fr",
    "vous",
    {
        "voice": "Foyer vous vouvoie",
        "timezone": "Utilisez un nom IANA",
        "welcome": "présentez-vous en quelques mots",
        "survey": "que vous recommandiez",
        "survey_body": "vous pouvez changer de réponse",
        "ritual": "Racontez-nous dans le fil",
    },
    "**Registre :** vouvoiement",
)
ENGLISH = Voice(
    "en-US",
    "tu",  # a French register set on an English guild changes none of its texts
    {
        "voice": "Foyer's French texts follow this voice",
        "timezone": "Use an IANA name",
        "welcome": "introduce yourself in a few words",
        "survey": "How likely are you to recommend",
        "survey_body": "you can change your answer",
        "ritual": "Tell us in the thread",
    },
    "**French register:** tu (informal)",
)


def shown(message: Message | None) -> str:
    """Everything a reader sees of a message: content, embeds, button labels."""
    if message is None:
        return ""
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
        parts.append(embed.get("footer", {}).get("text", ""))
    for row in message.components:
        parts += [c.get("label", "") for c in row.get("components", [])]
    return "\n".join(p for p in parts if p)


def answer(res: InteractionResult) -> str:
    return "\n".join(shown(m) for m in res.messages)


@dataclass
class Run:
    sb: Sandbox
    env: FoyerEnv

    async def invoke(self, name: str, **kwargs: Any) -> str:
        town = self.env.town
        res = await self.sb.invoke(town.guild, town.admin, name, **kwargs)
        assert res.ephemeral or name == "health"
        return answer(res)


@pytest.fixture
async def run(
    sandbox: Sandbox, database_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Run]:
    voice: Voice = request.param
    town = build_town(sandbox, "Atelier", locale=voice.locale, members=3)
    async with running_foyer(sandbox, database_url=database_url) as bot:
        yield Run(sandbox, FoyerEnv(sandbox, bot, town))


@pytest.mark.parametrize(
    ("run", "voice"), [(TU, TU), (VOUS_, VOUS_), (ENGLISH, ENGLISH)],
    indirect=["run"], ids=["tu", "vous", "english"],
)  # fmt: skip
async def test_every_answer_and_post_reads_in_the_guilds_register(run: Run, voice: Voice) -> None:
    sb, town = run.sb, run.env.town
    seen: dict[str, str] = {}
    seen["voice"] = await run.invoke(
        "setup", subcommand="voice", options={"register": voice.register}
    )
    seen["timezone"] = await run.invoke(
        "setup", subcommand="set", options={"timezone": "Mars/Olympus"}
    )
    seen["health"] = await run.invoke("health")
    await run.invoke("welcome", subcommand="setup", options={"channel": town.general})
    await sb.join(town.guild, "nouvelle")
    await sb.wait_for_bot_idle()
    await run.env.bot.get_cog("WelcomeCog").service.wait_idle()
    await sb.wait_for_bot_idle()
    (thread,) = sb.threads_in(town.general)
    seen["welcome"] = "\n".join(shown(m) for m in sb.messages_in(thread))
    await run.invoke("survey", subcommand="nps", options={"channel": town.general})
    survey = sb.messages_in(town.general)[-1]
    seen["survey"] = seen["survey_body"] = shown(survey)
    await run.invoke(
        "ritual", subcommand="add", options={"preset": "friday_wins", "channel": town.general}
    )
    ritual = t("rituals.preset.friday_wins.name", "fr" if voice.locale == "fr" else "en")
    seen["ritual_now"] = await run.invoke("ritual", subcommand="now", options={"ritual": ritual})
    seen["ritual"] = shown(sb.messages_in(town.general)[-1])

    for step, words in voice.words.items():
        assert words in seen[step], f"{step}: {words!r} not in {seen[step]!r}"
    everything = "\n".join(seen.values())
    if voice.register == "tu" and voice.locale == "fr":
        assert VOUS.findall(everything) == [], everything
    if voice.locale != "fr":
        assert "[[" not in everything and "]]" not in everything
    async with run.env.bot.db.session() as session:
        row = await session.get(GuildSettings, town.guild.id)
    assert row is not None and row.french_register == voice.register
    shown_settings = await run.invoke("setup", subcommand="show")
    assert voice.summary in shown_settings


@pytest.fixture
async def tu_guild(sandbox: Sandbox, database_url: str) -> AsyncIterator[FoyerEnv]:
    town = build_town(sandbox, "Atelier", locale="fr", members=3)
    async with running_foyer(sandbox, database_url=database_url) as bot:
        await bot.guild_settings.update(town.guild.id, french_register="tu", inclusive_writing=True)
        yield FoyerEnv(sandbox, bot, town)


async def test_a_replaced_survey_question_is_previewed_then_posted_as_written(
    tu_guild: FoyerEnv,
) -> None:
    sb, town = tu_guild.sb, tu_guild.town
    mine = "Tu nous recommanderais à tes potes, franchement ?"

    async def setup_text(**options: Any) -> str:
        res = await sb.invoke(town.guild, town.admin, "setup", subcommand="text", options=options)
        assert res.ephemeral
        return answer(res)

    saved = await setup_text(key="survey_question", text=mine)
    assert "les membres liront désormais ton texte" in saved and mine in saved
    refused = await setup_text(key="survey_question", text="@everyone, tu nous recommandes ?")
    assert refused == t("voice.no_mass_ping", "fr")
    preview = await setup_text(key="survey_question")
    assert preview.endswith(mine)  # the refusal saved nothing

    await sb.invoke(
        town.guild, town.admin, "survey", subcommand="nps", options={"channel": town.general}
    )
    post = sb.messages_in(town.general)[-1]
    assert post.embeds[0]["title"] == mine
    # The rest of the survey stays Foyer's, in the guild's voice.
    assert "tu peux changer de réponse" in post.embeds[0]["description"]

    reset = await setup_text(key="survey_question", reset=True)
    assert "Le texte de Foyer est rétabli." in reset
    assert "que tu recommandes cette communauté à un·e ami·e" in reset  # tu, inclusive


async def test_the_weekly_digest_speaks_the_guilds_register(
    sandbox: Sandbox, database_url: str
) -> None:
    """A scheduled post, written with no interaction to read the voice from."""
    town = build_town(sandbox, "Atelier", locale="fr", members=3)
    clock = ManualClock(MONDAY)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await bot.guild_settings.update(
            town.guild.id, admin_channel_id=town.admin_channel.id, french_register="tu"
        )
        res = await sandbox.invoke(
            town.guild, town.admin, "setup", subcommand="digest", options={"day": 3, "hour": 18}
        )
        assert res.ephemeral
        clock.set(datetime(2026, 12, 3, 17, 0, 30, tzinfo=UTC))  # Thursday 18:00:30 Paris
        await bot.scheduler.run_due()
        await bot.scheduler.run_due()
        (post,) = sandbox.messages_in(town.admin_channel)
        text = shown(post)
        assert "derniers jours. Ouvre " in text and "Ouvrez" not in text
        assert VOUS.findall(text) == [], text
