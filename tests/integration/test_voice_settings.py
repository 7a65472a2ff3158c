"""The guild's voice in the database (SQLite and PostgreSQL): register and inclusive
writing saved and read back in every text, today's guilds on *vous*, admin-replaced member
texts checked before any write, reset, one guild never touching another, and gone with
the guild."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import GuildSettings, GuildText
from bot.errors import FoyerError
from bot.guilds import GuildSettingsService
from bot.i18n import Voice, is_inclusive, register_of, t
from bot.privacy import store as privacy_store
from bot.voice.service import VoiceService

GUILD = 111_111_111_111_111_111
OTHER = 222_222_222_222_222_222
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(database: Database) -> GuildSettingsService:
    return GuildSettingsService(database, ManualClock(START))


@pytest.fixture
def voice(database: Database, settings: GuildSettingsService) -> VoiceService:
    return VoiceService(database, settings, ManualClock(START))


def fresh(database: Database) -> GuildSettingsService:
    """A service with an empty cache: what the database really holds."""
    return GuildSettingsService(database, ManualClock(START))


async def test_a_guild_made_before_the_voice_speaks_vous(database: Database) -> None:
    """The migration's server defaults: a row written without the new columns."""
    async with database.session() as session:
        await session.execute(
            text(
                "INSERT INTO guild_settings (guild_id, language, timezone, retention_days,"
                " posts_per_channel_per_day, joined_at) VALUES (:g, 'fr', 'Europe/Paris', 365,"
                " 2, :at)"
            ),
            {"g": GUILD, "at": START},
        )
    row = await fresh(database).get(GUILD)
    assert (row.french_register, row.inclusive_writing, row.texts) == ("vous", False, [])
    lang = await fresh(database).language(GUILD)
    assert type(lang) is str and lang == "fr"
    assert t("voice.saved", lang) == t("voice.saved", "fr")


async def test_tu_and_inclusive_reach_every_text(
    database: Database, settings: GuildSettingsService, voice: VoiceService
) -> None:
    await settings.ensure(GUILD, "fr")
    await settings.ensure(OTHER, "fr")
    assert await voice.set_voice(GUILD, register="tu", inclusive=True) == ["voice.saved"]
    lang = await fresh(database).language(GUILD)
    assert isinstance(lang, Voice) and register_of(lang) == "tu" and is_inclusive(lang)
    assert t("survey.question.title", lang) == (
        "Quelle est la probabilité que tu recommandes cette communauté à un·e ami·e ?"
    )
    assert t("survey.question.title", await fresh(database).language(OTHER)) == (
        "Quelle est la probabilité que vous recommandiez cette communauté à un ami ?"
    )
    # Only what is given changes: inclusive off, still tu.
    await voice.set_voice(GUILD, register=None, inclusive=False)
    row = await fresh(database).get(GUILD)
    assert (row.french_register, row.inclusive_writing) == ("tu", False)
    assert await voice.set_voice(GUILD, register=None, inclusive=None) == []


async def test_a_bad_register_saves_nothing(
    database: Database, settings: GuildSettingsService, voice: VoiceService
) -> None:
    await settings.ensure(GUILD, "fr")
    with pytest.raises(FoyerError) as refused:
        await voice.set_voice(GUILD, register="toi", inclusive=True)
    assert refused.value.key == "voice.bad_register"
    assert "choisissez « tu » ou « vous »" in refused.value.render("fr")
    row = await fresh(database).get(GUILD)
    assert (row.french_register, row.inclusive_writing) == ("vous", False)


async def stored_texts(database: Database) -> list[tuple[int, str, str]]:
    async with database.session() as session:
        rows = await session.scalars(select(GuildText).order_by(GuildText.guild_id))
        return [(r.guild_id, r.key, r.text) for r in rows]


async def test_a_replaced_text_is_checked_saved_read_and_reset(
    database: Database, settings: GuildSettingsService, voice: VoiceService
) -> None:
    await settings.ensure(GUILD, "fr")
    await settings.ensure(OTHER, "fr")
    await voice.set_voice(GUILD, register="tu", inclusive=False)
    assert await voice.edit_text(
        GUILD, "nudge", "{greeters}, un petit mot ?\\nMerci", reset=False
    ) == ["voice.text_saved"]
    assert await stored_texts(database) == [
        (GUILD, "welcome.nudge", "{greeters}, un petit mot ?\nMerci")
    ]
    lang = await settings.language(GUILD)  # the service's own cache was refreshed
    assert t("welcome.nudge", lang, greeters="<@&1>") == "<@&1>, un petit mot ?\nMerci"
    assert t("welcome.nudge", await settings.language(OTHER), greeters="<@&1>").startswith(
        "<@&1>, une présentation attend encore"
    )
    preview = await voice.preview(GUILD, "nudge", lang, member="<@5>")
    assert preview.endswith("@Accueil, un petit mot ?\nMerci")

    for bad, key in [
        ("{member}, un petit mot ?", "templates.unknown_placeholder"),
        ("@here un petit mot ?", "voice.no_mass_ping"),
        ("x" * 2001, "templates.too_long"),
        ("a\x00b", "input.control_character"),
    ]:
        with pytest.raises(FoyerError) as refused:
            await voice.edit_text(GUILD, "nudge", bad, reset=False)
        assert refused.value.key == key
    with pytest.raises(FoyerError) as refused:
        await voice.edit_text(GUILD, "nudge", "Coucou", reset=True)
    assert refused.value.key == "voice.text_and_reset"
    with pytest.raises(FoyerError) as refused:
        await voice.edit_text(GUILD, "welcome", "Coucou", reset=False)
    assert refused.value.key == "voice.unknown_text"
    assert await stored_texts(database) == [
        (GUILD, "welcome.nudge", "{greeters}, un petit mot ?\nMerci")
    ]

    assert await voice.edit_text(GUILD, "nudge", "Encore {greeters}", reset=False) == [
        "voice.text_saved"
    ]
    assert await stored_texts(database) == [(GUILD, "welcome.nudge", "Encore {greeters}")]
    assert await voice.edit_text(GUILD, "nudge", None, reset=True) == ["voice.text_reset"]
    assert await voice.edit_text(GUILD, "nudge", None, reset=True) == ["voice.text_not_replaced"]
    assert await stored_texts(database) == []
    assert t("welcome.nudge", await settings.language(GUILD), greeters="@A").startswith(
        "@A, une présentation attend encore"
    )


async def test_replaced_texts_go_with_the_guild(
    database: Database, settings: GuildSettingsService, voice: VoiceService
) -> None:
    await settings.ensure(GUILD, "en-US")
    await settings.ensure(OTHER, "en-US")
    await voice.edit_text(GUILD, "ritual_button", "Ping me", reset=False)
    await voice.edit_text(OTHER, "ritual_button", "Notify", reset=False)
    lang = await fresh(database).language(GUILD)
    assert lang == "en" and t("rituals.role.button", lang) == "Ping me"
    async with database.session() as session:
        await privacy_store.delete_guild(session, GUILD)
    async with database.session() as session:
        assert await session.get(GuildSettings, GUILD) is None
        count = await session.scalar(select(func.count()).select_from(GuildText))
    assert count == 1
    assert await stored_texts(database) == [(OTHER, "rituals.role.button", "Notify")]
