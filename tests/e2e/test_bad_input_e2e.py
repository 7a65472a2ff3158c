"""Bad input through the sandbox, with the real discord.py client: the API lets anything
reach the bot (a NUL in a text, a value outside a command's choices or range, a text too
long once filled in, a name of invisible characters). Each is answered clearly, in the
guild's language, and nothing is saved or posted; what is posted is always recorded.

On PostgreSQL a NUL used to crash /welcome setup, /ritual add, /ritual questions add and
/spotlight post (after its post was made); on SQLite it was stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.db.models import (
    ActivityEvent,
    DailyMemberActivity,
    Ritual,
    RitualQuestion,
    ScheduledRun,
    Spotlight,
    SpotlightConfig,
    Survey,
    SurveyAnswer,
    WelcomeConfig,
)
from bot.db.models.activity import ActorRole, EventKind, Interaction
from bot.db.models.scheduling import RunStatus
from bot.errors import FoyerError
from bot.i18n import t
from demo.harness import FoyerEnv, running_foyer
from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e
NUL = "Bonjour\x00tout le monde"
NOW = datetime(2026, 10, 1, 10, tzinfo=UTC)
MODELS = (Ritual, RitualQuestion, Spotlight, SpotlightConfig, Survey, WelcomeConfig)


@pytest.fixture
async def env(sandbox: Sandbox, database_url: str) -> AsyncIterator[FoyerEnv]:
    """A French guild whose #admin the bot can post in, on a manual clock."""
    town = build_town(sandbox, locale="fr", members=3)
    async with running_foyer(sandbox, database_url=database_url, clock=ManualClock(NOW)) as bot:
        await bot.guild_settings.update(town.guild.id, admin_channel_id=town.admin_channel.id)
        yield FoyerEnv(sandbox, bot, town)


async def counts(env: FoyerEnv) -> dict[str, int]:
    async with env.bot.db.session() as session:
        return {
            m.__tablename__: await session.scalar(select(func.count()).select_from(m)) or 0
            for m in MODELS
        }


async def ask(env: FoyerEnv, command: str, sub: Any, /, **options: Any) -> str:
    """The admin's ephemeral answer to `/command sub` with those options."""
    done = await env.sb.invoke(env.town.guild, env.town.admin, command, subcommand=sub,
                               options=options)  # fmt: skip
    assert done.ephemeral
    return done.content or ""


async def add_weekly_question(env: FoyerEnv) -> None:
    said = await ask(env, "ritual", "add", preset="weekly_question", channel=env.town.general)
    assert "ajouté" in said


# -- control characters ---------------------------------------------------------------------


async def test_a_nul_in_any_text_option_is_refused_and_nothing_is_saved(env: FoyerEnv) -> None:
    general = env.town.general
    await add_weekly_question(env)
    await ask(env, "spotlight", "setup", channel=general)
    before = await counts(env)
    posts_before = len(env.sb.messages_in(general))
    refused = t("input.control_character", "fr", code="U+0000")
    custom = {"preset": "custom", "channel": general, "days": "lun", "time": "9:00"}
    cases: list[tuple[str, Any, dict[str, Any]]] = [
        ("welcome", "setup", {"channel": general, "template": NUL}),
        ("welcome", "preview", {"template": NUL}),
        ("ritual", "add", {**custom, "name": NUL, "text": "Salut"}),
        ("ritual", "add", {**custom, "name": "Café", "text": NUL}),
        ("ritual", "edit", {"ritual": "Question de la semaine", "text": NUL}),
        ("ritual", "edit", {"ritual": "Question de la semaine", "name": NUL}),
        ("ritual", ["questions", "add"], {"ritual": "Question de la semaine", "question": NUL}),
        ("spotlight", "post", {"member": env.town.members[0], "note": NUL}),
        ("setup", "set", {"timezone": "Europe/Paris\x00"}),
        ("health", None, {"explain": NUL}),
    ]
    for name, sub, options in cases:
        assert await ask(env, name, sub, **options) == refused, (name, sub, list(options))
    assert await counts(env) == before
    assert len(env.sb.messages_in(general)) == posts_before  # nothing posted
    async with env.bot.db.session() as session:
        ritual = await session.scalar(select(Ritual))
    assert ritual is not None and "\x00" not in ritual.template + ritual.name


async def test_a_nul_in_the_spotlight_note_modal_posts_nothing(env: FoyerEnv) -> None:
    sb, town = env.sb, env.town
    await ask(env, "spotlight", "setup", channel=town.general)
    target = town.members[0].user.id
    await seed_helpful_member(env, target)
    shown = await sb.invoke(town.guild, town.admin, "spotlight", subcommand="suggest")
    assert shown.original is not None
    modal = await sb.click(shown.original, town.admin, f"foyer:spotlight:pick:{target}")
    assert modal.modal is not None
    posts = len(sb.messages_in(town.general))
    done = await sb.submit_modal(modal, town.admin, {"note": NUL})
    assert done.content == t("input.control_character", "fr", code="U+0000")
    assert len(sb.messages_in(town.general)) == posts
    assert (await counts(env))["spotlights"] == 0


async def seed_helpful_member(env: FoyerEnv, user_id: int) -> None:
    """What the recorder writes for a member who answered three others yesterday."""
    at = NOW - timedelta(days=1)
    gid = env.town.guild.id
    async with env.bot.db.session() as session:
        session.add(DailyMemberActivity(guild_id=gid, day=at.date(), user_id=user_id,
                                        messages=3, peer_given=3))  # fmt: skip
        for i in range(3):
            session.add(
                ActivityEvent(guild_id=gid, kind=EventKind.MESSAGE, ref_id=900 + i,
                              occurred_at=at, actor_id=user_id, actor_role=ActorRole.MEMBER,
                              target_id=10_000 + i, target_role=ActorRole.MEMBER,
                              interaction=Interaction.PEER)
            )  # fmt: skip


async def test_a_nul_in_a_stored_why_is_refused(env: FoyerEnv) -> None:
    sb, town = env.sb, env.town
    said = await ask(env, "survey", "nps", channel=town.general, store_why=True)
    assert "Sondage publié" in said
    question = sb.messages_in(town.general)[-1]
    sid = int(question.components[0]["components"][0]["custom_id"].split(":")[2])
    ack = await sb.click(question, town.members[1], f"foyer:nps:{sid}:9")
    assert ack.original is not None
    modal = await sb.click(ack.original, town.members[1], f"foyer:nps-why:{sid}")
    done = await sb.submit_modal(modal, town.members[1], {"why": NUL})
    assert done.content == t("input.control_character", "fr", code="U+0000")
    async with env.bot.db.session() as session:
        answer = await session.scalar(select(SurveyAnswer))
    assert answer is not None and (answer.score, answer.why_given, answer.why_text) == (
        9,
        False,
        None,
    )


# -- what is posted is recorded -------------------------------------------------------------


async def test_a_spotlight_that_cannot_be_recorded_is_taken_down(
    env: FoyerEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb, town = env.sb, env.town
    await ask(env, "spotlight", "setup", channel=town.general)
    cog = env.bot.get_cog("SpotlightCog")

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(cog.service, "record", broken)
    posts = [m.id for m in sb.messages_in(town.general)]
    said = await ask(env, "spotlight", "post", member=town.members[0])
    assert said == t("errors.unexpected", "fr")  # "nothing was changed", and it is true:
    assert [m.id for m in sb.messages_in(town.general)] == posts  # the post came down
    assert (await counts(env))["spotlights"] == 0


# -- values outside what a command declares -------------------------------------------------


async def test_values_outside_choices_and_ranges_are_refused_and_save_nothing(
    env: FoyerEnv,
) -> None:
    general = env.town.general
    before = await counts(env)
    settings_before = await env.bot.guild_settings.get(env.town.guild.id)
    posts = len(env.sb.messages_in(general))
    cases: list[tuple[str, Any, dict[str, Any], str]] = [
        ("spotlight", "setup", {"suggestion_day": 9}, "input.bad_choice"),
        ("survey", "nps", {"channel": general, "duration_days": 10**12}, "input.out_of_range"),
        ("survey", "nps", {"channel": general, "duration_days": 31}, "input.out_of_range"),
        ("health", None, {"period": "1y"}, "input.bad_choice"),
        ("setup", "set", {"language": "de"}, "input.bad_choice"),
        ("setup", "set", {"retention_days": 2**60}, "input.out_of_range"),
        ("setup", "staff", {"role": env.town.staff_role, "action": "drop"}, "input.bad_choice"),
        ("welcome", "setup", {"channel": general, "thread_type": "secret"}, "input.bad_choice"),
        ("welcome", "setup", {"channel": general, "auto_archive": 5}, "input.bad_choice"),
        ("welcome", "setup", {"channel": general, "burst_threshold": 2**62}, "input.out_of_range"),
        ("ritual", "add", {"preset": "yoga", "channel": general}, "input.bad_choice"),
        ("ritual", "add", {"preset": "friday_wins", "channel": general, "week_of_month": 7},
         "input.bad_choice"),
        ("ritual", "add", {"preset": "friday_wins", "channel": general, "archive_after": 1},
         "input.bad_choice"),
        ("spotlight", "setup", {"cooldown_weeks": "8"}, "input.bad_type"),
    ]  # fmt: skip
    for name, sub, options, key in cases:
        said = await ask(env, name, sub, **options)
        assert said != t("errors.unexpected", "fr"), (name, sub, options)
        assert said.endswith("Rien n'a été modifié."), said
        assert said.startswith({"input.bad_choice": "« ", "input.out_of_range": "L'option ",
                                "input.bad_type": "Je n'ai pas pu lire"}[key]), said  # fmt: skip
    assert await counts(env) == before
    assert len(env.sb.messages_in(general)) == posts
    after = await env.bot.guild_settings.get(env.town.guild.id)
    assert (after.language, after.retention_days) == (
        settings_before.language,
        settings_before.retention_days,
    )
    said = await ask(env, "spotlight", "setup", suggestion_day=9)
    assert said.startswith("« 9 » ne fait pas partie des choix de l'option ")
    assert "lundi" in said and "désactivée" in said  # the choices, as the admin sees them
    # the service keeps its own rule for other callers: a translated error, not a ValueError
    service = env.bot.get_cog("SpotlightCog").service
    with pytest.raises(FoyerError) as refused:
        await service.configure(env.town.guild.id, suggestion_weekday=9)
    assert refused.value.render("fr") == t("spotlight.bad_day", "fr", value=9)
    assert (await counts(env))["spotlight_config"] == 0


# -- ritual texts at their longest, names that show nothing ---------------------------------


async def test_a_ritual_text_that_could_pass_2000_characters_is_refused_at_save(
    env: FoyerEnv,
) -> None:
    text = "{question} " * 4 + "{server}"
    said = await ask(env, "ritual", "add", preset="custom", channel=env.town.general,
                     name="Quatre questions", text=text, days="mer", time="12:00")  # fmt: skip
    assert said == t("rituals.text_can_exceed", "fr", length=24 + 4 * 501 + 100, limit=2000,
                     question=500, server=100)  # fmt: skip
    await add_weekly_question(env)
    said = await ask(env, "ritual", "edit", ritual="Question de la semaine", text=text)
    assert "2\u202f000" in said and "Rien n'a été enregistré" in said
    async with env.bot.db.session() as session:
        assert (await session.scalars(select(Ritual.template))).all() != [text]
    assert (await counts(env))["rituals"] == 1


async def test_a_ritual_too_long_once_filled_in_fails_once_and_tells_the_admins(
    env: FoyerEnv,
) -> None:
    """A text saved before the check (or by hand): the occurrence is recorded failed with
    its reason, the ritual paused, the admins told once; nothing is sent to Discord."""
    await add_weekly_question(env)
    said = await ask(env, "ritual", ["questions", "add"], ritual="Question de la semaine",
                     question="Q" * 500)  # fmt: skip
    assert said == t("rituals.questions.added", "fr", number=1, name="Question de la semaine")
    async with env.bot.db.session() as session:
        ritual = await session.scalar(select(Ritual))
        assert ritual is not None
        ritual.template = "{question}\n" * 4  # 2,004 characters once filled in
    general = env.town.general
    posts = len(env.sb.messages_in(general))
    said = await ask(env, "ritual", "now", ritual="Question de la semaine")
    assert t("rituals.run.3", "fr") in said, said
    async with env.bot.db.session() as session:
        runs = (await session.scalars(select(ScheduledRun))).all()
        ritual = await session.scalar(select(Ritual))
    assert [(r.status, r.reason) for r in runs] == [(RunStatus.FAILED, "too_long")]
    assert ritual is not None and ritual.paused
    assert len(env.sb.messages_in(general)) == posts
    notice = t("rituals.notice.too_long", "fr", name="Question de la semaine",
               channel=f"<#{general.id}>")  # fmt: skip
    admin_posts = [m.content for m in env.sb.messages_in(env.town.admin_channel)]
    assert admin_posts.count(notice) == 1
    # paused: the following weeks do not fail again
    env.bot.clock.advance(timedelta(weeks=3))
    await env.bot.scheduler.run_due()
    async with env.bot.db.session() as session:
        assert len((await session.scalars(select(ScheduledRun))).all()) == 1
    admin_posts = [m.content for m in env.sb.messages_in(env.town.admin_channel)]
    assert admin_posts.count(notice) == 1


@pytest.mark.parametrize("name", ["\u200b\u200b\u200b", "\u3164", " \u200d\u2060 "])
async def test_a_ritual_name_of_invisible_characters_is_refused(env: FoyerEnv, name: str) -> None:
    said = await ask(env, "ritual", "add", preset="friday_wins", channel=env.town.general,
                     name=name)  # fmt: skip
    assert said in (t("rituals.name_not_visible", "fr"), t("rituals.bad_name", "fr", limit=80))
    assert (await counts(env))["rituals"] == 0
    await ask(env, "ritual", "add", preset="friday_wins", channel=env.town.general)
    said = await ask(env, "ritual", "edit", ritual="Vendredi Victoires", name=name)
    assert "visible" in said or "caractères" in said
    async with env.bot.db.session() as session:
        assert (await session.scalars(select(Ritual.name))).all() == ["Vendredi Victoires"]
