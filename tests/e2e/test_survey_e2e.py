"""The recommendation survey through the sandbox with the real discord.py client: admins
open it, members answer with the 0-10 buttons (and change their minds), the optional
"why" modal, results, closing, refusals, French for a French guild, and buttons that
still work after a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.db.models import SurveyAnswer
from bot.db.models.recognition import WhyLength
from bot.i18n import t
from demo.harness import running_foyer
from demo.scenario import Town, build_town
from discord_sandbox import Message, Sandbox

pytestmark = pytest.mark.e2e


@dataclass
class Env:
    sb: Sandbox
    bot: Any
    town: Town
    clock: ManualClock
    database_url: str


@pytest.fixture
async def env(sandbox: Sandbox, database_url: str) -> AsyncIterator[Env]:
    town = build_town(sandbox, "Atelier", locale="fr", members=4)
    clock = ManualClock(datetime.now(UTC))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        yield Env(sandbox, bot, town, clock, database_url)


async def open_survey(env: Env, **options: Any) -> Message:
    done = await env.sb.invoke(
        env.town.guild, env.town.admin, "survey", subcommand="nps",
        options={"channel": env.town.general, **options},
    )  # fmt: skip
    assert done.ephemeral
    assert f"Sondage publié dans <#{env.town.general.id}>" in (done.content or "")
    return env.sb.messages_in(env.town.general)[-1]


def custom_ids(message: Message) -> list[list[str]]:
    return [[c["custom_id"] for c in row["components"]] for row in message.components]


async def test_members_answer_change_their_minds_and_results_add_up(env: Env) -> None:
    sb, town = env.sb, env.town
    question = await open_survey(env)
    assert question.embeds[0]["title"] == t("survey.question.title", "fr")
    rows = custom_ids(question)
    sid = int(rows[0][0].split(":")[2])
    assert rows == [
        [f"foyer:nps:{sid}:{s}" for s in range(4)],
        [f"foyer:nps:{sid}:{s}" for s in range(4, 8)],
        [f"foyer:nps:{sid}:{s}" for s in range(8, 11)],
    ]
    first = await sb.click(question, town.members[0], f"foyer:nps:{sid}:3")
    assert first.ephemeral
    assert (first.content or "").startswith("Merci ! Votre note : **3**")
    await sb.click(question, town.members[0], f"foyer:nps:{sid}:10")  # changed mind
    for member, score in zip(town.members[1:], (9, 6, 8), strict=True):
        await sb.click(question, member, f"foyer:nps:{sid}:{score}")
    # final: 10, 9 promoters; 8 passive; 6 detractor -> (2 - 1) / 4 = +25
    shown = await sb.invoke(town.guild, town.admin, "survey", subcommand="results")
    assert shown.ephemeral
    description = shown.embeds[0]["description"]
    assert "**NPS : +25**" in description
    assert "**Réponses :** 4" in description
    assert "Promoteurs (9-10) : 2 · Passifs (7-8) : 1 · Détracteurs (0-6) : 1" in description
    async with env.bot.db.session() as session:
        scores = sorted((await session.scalars(select(SurveyAnswer.score))).all())
    assert scores == [6, 8, 9, 10]


async def test_why_is_not_stored_by_default(env: Env) -> None:
    sb, town = env.sb, env.town
    question = await open_survey(env)
    sid = int(custom_ids(question)[0][0].split(":")[2])
    ack = await sb.click(question, town.members[1], f"foyer:nps:{sid}:9")
    assert t("survey.answer.why_notice_private", "fr") in (ack.content or "")
    assert ack.original is not None
    modal = await sb.click(ack.original, town.members[1], f"foyer:nps-why:{sid}")
    assert modal.modal is not None
    assert "non conservé" in str(modal.modal)
    thanks = await sb.submit_modal(modal, town.members[1], {"why": "Super ambiance"})
    assert thanks.content == t("survey.why.thanks", "fr")
    async with env.bot.db.session() as session:
        answer = await session.scalar(select(SurveyAnswer))
    assert answer is not None
    assert (answer.why_given, answer.why_length_bucket, answer.why_text) == (
        True,
        WhyLength.SHORT,
        None,
    )


async def test_stored_why_is_announced_before_writing(env: Env) -> None:
    sb, town = env.sb, env.town
    question = await open_survey(env, store_why=True)
    sid = int(custom_ids(question)[0][0].split(":")[2])
    ack = await sb.click(question, town.members[2], f"foyer:nps:{sid}:4")
    assert t("survey.answer.why_notice_stored", "fr") in (ack.content or "")
    assert ack.original is not None
    modal = await sb.click(ack.original, town.members[2], f"foyer:nps-why:{sid}")
    assert "Les admins liront ce texte" in str(modal.modal)
    await sb.submit_modal(modal, town.members[2], {"why": "Trop de pubs"})
    shown = await sb.invoke(town.guild, town.admin, "survey", subcommand="results")
    fields = {f["name"]: f["value"] for f in shown.embeds[0].get("fields", [])}
    assert fields[t("survey.results.why_texts", "fr")] == "• Trop de pubs"


async def test_closed_survey_refuses_politely_and_loses_its_buttons(env: Env) -> None:
    sb, town = env.sb, env.town
    question = await open_survey(env, duration_days=1)
    sid = int(custom_ids(question)[0][0].split(":")[2])
    env.clock.advance(timedelta(days=1, seconds=1))
    late = await sb.click(question, town.members[0], f"foyer:nps:{sid}:10")
    assert late.ephemeral and late.content == t("survey.closed", "fr")
    none_open = await sb.invoke(town.guild, town.admin, "survey", subcommand="close")
    assert none_open.content == t("survey.none_open", "fr")
    # the tidy-up loop takes the buttons off the ended survey's message
    await env.bot.get_cog("SurveyCog").close_ended()
    await sb.wait_for_bot_idle()
    tidied = sb.messages_in(town.general)[-1]
    assert tidied.id == question.id and tidied.components == []
    assert tidied.embeds[0]["description"] == t("survey.question.closed", "fr")


async def test_admin_close_edits_the_question(env: Env) -> None:
    sb, town = env.sb, env.town
    question = await open_survey(env)
    sid = int(custom_ids(question)[0][0].split(":")[2])
    await sb.click(question, town.members[0], f"foyer:nps:{sid}:7")
    closed = await sb.invoke(town.guild, town.admin, "survey", subcommand="close")
    assert closed.ephemeral and closed.content == t("survey.closed_now", "fr", answers=1)
    edited = sb.messages_in(town.general)[-1]
    assert edited.id == question.id
    assert edited.components == []
    assert edited.embeds[0]["description"] == t("survey.question.closed", "fr")


async def test_one_survey_per_thirty_days_and_admin_gating(env: Env) -> None:
    sb, town = env.sb, env.town
    await open_survey(env)
    again = await sb.invoke(
        town.guild, town.admin, "survey", subcommand="nps", options={"channel": town.general}
    )
    assert again.ephemeral and (again.content or "").startswith("Un sondage a été ouvert")
    for sub in ("nps", "results", "close"):
        refused = await sb.invoke(
            town.guild, town.members[0], "survey", subcommand=sub, check_permissions=False
        )
        assert refused.ephemeral and refused.content == t("errors.not_admin", "fr")


async def test_buttons_survive_a_restart(env: Env) -> None:
    sb, town = env.sb, env.town
    question = await open_survey(env)
    sid = int(custom_ids(question)[0][0].split(":")[2])
    await env.bot.close()
    async with running_foyer(sb, database_url=env.database_url, clock=env.clock) as bot:
        answered = await sb.click(question, town.members[3], f"foyer:nps:{sid}:9")
        assert (answered.content or "").startswith("Merci ! Votre note : **9**")
        async with bot.db.session() as session:
            assert (await session.scalars(select(SurveyAnswer.user_id))).all() == [
                town.members[3].user.id
            ]
