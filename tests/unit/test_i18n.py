"""Every catalogue key of every feature, in both languages, and the command translator.

The checks run over every `bot/i18n/locales/*.json`, so a feature's catalogue is covered
the moment it is added.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from string import Formatter

import discord
import pytest
from discord import app_commands

from bot import i18n
from bot.i18n import LANGUAGES, FoyerTranslator, catalogue, cmd, placeholders, t

CATALOGUE_FILES = sorted(i18n.LOCALES_DIR.glob("*.json"))
ENTRIES = [
    (path.name, key, texts)
    for path in CATALOGUE_FILES
    for key, texts in json.loads(path.read_text(encoding="utf-8")).items()
]
IDS = [f"{file}:{key}" for file, key, _ in ENTRIES]

# Discord's rule for command and option names (CHAT_INPUT): letters of any script, digits,
# `-` and `_`, 1 to 32 characters, and lowercase wherever a letter has a lowercase form.
DISCORD_NAME = re.compile(r"^[-_\w]{1,32}$")


def is_name_key(key: str) -> bool:
    """Command, group and option names; choice names are free text, descriptions too."""
    if not key.startswith("cmd."):
        return False
    return key.endswith(".name") or (".opt." in key and not key.endswith(".description"))


def test_there_are_catalogues() -> None:
    assert {"core.json", "setup.json"} <= {p.name for p in CATALOGUE_FILES}
    assert len(ENTRIES) == len(catalogue())


@pytest.mark.parametrize(("file", "key", "texts"), ENTRIES, ids=IDS)
def test_both_languages_with_the_same_placeholders(
    file: str, key: str, texts: dict[str, str]
) -> None:
    # The *tu* form ("fr-tu") is optional here; tests/unit/test_voice.py checks it.
    languages = set(texts) - {i18n.TU}
    assert languages == set(LANGUAGES), f"{file}: {key} has {sorted(texts)}, wants en and fr"
    for lang in LANGUAGES:
        assert isinstance(texts[lang], str) and texts[lang].strip(), f"{key}: empty {lang}"
    assert placeholders(texts["en"]) == placeholders(texts["fr"]), (
        f"{file}: {key} placeholders differ: en {sorted(placeholders(texts['en']))}, "
        f"fr {sorted(placeholders(texts['fr']))}"
    )


@pytest.mark.parametrize(("file", "key", "texts"), ENTRIES, ids=IDS)
def test_every_text_formats(file: str, key: str, texts: dict[str, str]) -> None:
    """Literal braces must be doubled, since `t()` always runs str.format."""
    for lang in LANGUAGES:
        params = {
            name: sample_value(spec)
            for _, name, spec, _ in Formatter().parse(texts[lang])
            if name is not None
        }
        t(key, lang, **params)


def sample_value(spec: str | None) -> object:
    """A value the field's format spec accepts: text, a number, or a date (`{day:%d/%m}`)."""
    for value in ("x", 1234.5, datetime(2026, 11, 2, 9, 30, tzinfo=UTC)):
        try:
            format(value, spec or "")
        except (ValueError, TypeError):
            continue
        return value
    raise AssertionError(f"no sample value fits the format spec {spec!r}")


NAME_ENTRIES = [(f, k, v) for f, k, v in ENTRIES if is_name_key(k)]


@pytest.mark.parametrize(
    ("file", "key", "texts"), NAME_ENTRIES, ids=[f"{f}:{k}" for f, k, _ in NAME_ENTRIES]
)
def test_command_names_are_valid_discord_names(file: str, key: str, texts: dict[str, str]) -> None:
    for lang in LANGUAGES:
        name = texts[lang]
        assert DISCORD_NAME.match(name), f"{key} ({lang}) {name!r} is not a valid command name"
        assert name == name.lower(), f"{key} ({lang}) {name!r} must be lowercase"


# Descriptions and choice names: free text, 1 to 100 characters for Discord.
DESCRIPTION_ENTRIES = [
    (f, k, v)
    for f, k, v in ENTRIES
    if k.startswith("cmd.") and (k.endswith(".description") or ".choice." in k)
]


@pytest.mark.parametrize(
    ("file", "key", "texts"),
    DESCRIPTION_ENTRIES,
    ids=[f"{f}:{k}" for f, k, _ in DESCRIPTION_ENTRIES],
)
def test_descriptions_fit_discord(file: str, key: str, texts: dict[str, str]) -> None:
    for lang in LANGUAGES:
        assert 1 <= len(texts[lang]) <= 100, f"{key} ({lang}) has {len(texts[lang])} chars"


def test_name_rule_catches_what_discord_refuses() -> None:
    """The test's own rule: it must refuse what Discord refuses, and accept accents."""
    assert DISCORD_NAME.match("réglages") and DISCORD_NAME.match("salon_admin")
    for bad in ("two words", "x" * 33, "", "quoi?"):
        assert not DISCORD_NAME.match(bad)
    assert not is_name_key("cmd.setup.description") and is_name_key("cmd.setup.opt.role")
    assert is_name_key("cmd.setup.set.name") and not is_name_key("setup.saved")


def test_t_formats_in_the_chosen_language() -> None:
    assert t("setup.bad_budget", "fr", value=30).startswith("30 posts par jour")
    assert t("setup.bad_budget", "en", value=30).startswith("30 posts per day")


@pytest.mark.parametrize("lang", ["de", "", "EN-us"])
def test_t_falls_back_to_english(lang: str) -> None:
    assert t("setup.saved", lang) == "Saved."


def test_literal_braces_survive_formatting() -> None:
    assert "{member}" in t("templates.no_formatting", "en", field="{x!r}")


@pytest.mark.parametrize(
    ("locale", "lang"),
    [("fr", "fr"), ("fr-FR", "fr"), ("FR-ca", "fr"), ("en-US", "en"), ("de", "en"), (None, "en")],
)
def test_language_for_locale(locale: str | None, lang: str) -> None:
    assert i18n.language_for_locale(locale) == lang


async def test_translator_gives_french_for_french_locales_only() -> None:
    translator = FoyerTranslator()
    name = cmd("cmd.setup.name")
    context: app_commands.TranslationContextTypes = app_commands.TranslationContext(
        location=app_commands.TranslationContextLocation.other, data=None
    )
    assert name.message == "setup"
    assert await translator.translate(name, discord.Locale.french, context) == "configuration"
    assert await translator.translate(name, discord.Locale.american_english, context) is None
    plain = app_commands.locale_str("no key")
    assert await translator.translate(plain, discord.Locale.french, context) is None


def test_a_key_defined_twice_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"x.key": {"en": "a", "fr": "a"}}))
    (tmp_path / "b.json").write_text(json.dumps({"x.key": {"en": "b", "fr": "b"}}))
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    catalogue.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"'x\.key' is defined twice \(again in b\.json\)"):
            catalogue()
    finally:
        monkeypatch.undo()
        catalogue.cache_clear()
    assert "setup.saved" in catalogue()
