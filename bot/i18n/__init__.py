"""French and English texts, chosen per guild.

Catalogues live in `locales/<domain>.json`, one file per feature, each key holding both
languages side by side so that a missing translation is visible in review and caught by a
test. Translate first, then format: `t("setup.saved", "fr", channel="#general")`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Literal, cast

import discord
from discord import app_commands

Lang = Literal["en", "fr"]
LANGUAGES: tuple[Lang, ...] = ("en", "fr")
DEFAULT_LANGUAGE: Lang = "en"
LOCALES_DIR = Path(__file__).parent / "locales"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every key of every domain file; a key defined twice is an error, not a silent win."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES_DIR.glob("*.json")):
        for key, texts in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"i18n key {key!r} is defined twice (again in {path.name})")
            merged[key] = texts
    return merged


def t(key: str, lang: str, /, **params: object) -> str:
    """The text for `key` in `lang` (English when the language is unknown), formatted."""
    texts = catalogue()[key]
    text = texts.get(lang) or texts[DEFAULT_LANGUAGE]
    return text.format(**params)


def placeholders(text: str) -> set[str]:
    """Names a catalogue text expects, so a test can compare the two languages."""
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def language_for_locale(locale: str | None) -> Lang:
    """French for any `fr*` locale, English otherwise: the guild default before `/setup`."""
    return "fr" if locale and locale.lower().startswith("fr") else "en"


def parse_language(value: str) -> Lang | None:
    value = value.strip().lower()
    return cast(Lang, value) if value in LANGUAGES else None


def cmd(key: str) -> app_commands.locale_str:
    """A command name/description/option text whose English form is the default and whose
    French form reaches Discord through `FoyerTranslator`."""
    return app_commands.locale_str(catalogue()[key]["en"], key=key)


class FoyerTranslator(app_commands.Translator):
    """Give Discord the French names and descriptions of every command."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        if key is None or not str(locale.value).startswith("fr"):
            return None
        return catalogue().get(key, {}).get("fr")
