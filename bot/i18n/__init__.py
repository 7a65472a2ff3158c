"""French and English texts, chosen per guild.

Catalogues live in `locales/<domain>.json`, one file per feature, each key holding both
languages side by side so that a missing translation is visible in review and caught by a
test. Translate first, then format: `t("setup.saved", "fr", channel="#general")`.

The French voice. A guild chooses how Foyer's French speaks to its members: *vous* (the
default) or *tu*, and whether it writes inclusively ("inscrit·es") or not ("inscrits").
A catalogue entry holds `"fr"` (the *vous* form) and, whenever the French text addresses
the reader (vous, votre, vos, an imperative in -ez), `"fr-tu"`, the same text in *tu*.
A text that does not address the reader has no `"fr-tu"`: the *tu* guild reads its `"fr"`.
A text that speaks to several people says *vous* in both registers: its `"fr-tu"` is the
`"fr"` text itself, which tells the reader (and the tests) that this *vous* is plural.

The voice travels with the language: the `lang` every caller already passes along is, for
a French guild, a `Voice` (a `str` subclass equal to "fr", so `lang == "fr"`, dictionary
look-ups and locale parsing see the language only) that also carries the register and
the inclusive choice, read by `t()` alone. `bot.guilds.GuildSettingsService.language`
returns it, so every answer, post, digest and error written with the guild's `lang`
speaks in its voice without one more parameter anywhere.

Inclusive writing is marked in the French texts as `[[plain|inclusive]]`: "Les
[[inscrits|inscrit·es]] de la semaine". `t()` keeps the first alternative, or the second
for a guild that writes inclusively, *before* formatting; square brackets are literal for
`str.format`, so placeholders keep parsing (`placeholders()` sees the same names), and an
alternative may itself hold a placeholder. Use it wherever a French text genders people.

Counts, dates, commands. `t()` formats with `formatting.TextFormatter`, so a text writes
its counts, numbers, dates and command names through format specs rather than by hand
(the full list in `bot/i18n/formatting.py`): never "(s)", never a raw ISO date or "/health".

    "{count:plural:# réponse|# réponses}"   CLDR plural: fr "0 réponse", en "0 answers"
    "{n:number}" "{ratio:percent}"          "1 234", "33 %" (fr) / "1,234", "33%" (en)
    "{day:date}" "{at:time}" "{at:datetime}" in the zone of the (aware) value passed
    "{delay:duration}"                      a timedelta: "24 heures", "3 days"
    "{code:language}" "{week:week}"         "Français"; "S41" (fr) / "W41" (en)
    "{/health}" "{/privacy export}"         the command's mention, else its localized name

A command named in a text is a field ``{/<English qualified name>}`` and needs no
parameter; `mention(name, lang)` gives the same to Python code. The bot feeds the
registry from its synced tree (`remember_commands`, in `bot.app`). Python code that
writes outside the catalogue (chart labels) calls `formatting.number`, `percent`, `date`,
`week_label`... with the guild's `lang`. `tests/unit/test_i18n.py` fails on "(s)", on a
command written as text, on a missing language or register, on placeholders that differ
between languages and on English words in French texts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Literal, cast

import discord
from discord import app_commands

# Re-exported: the helpers other code calls (see "Counts, dates, commands" above).
from bot.i18n.commands import forget_commands as forget_commands
from bot.i18n.commands import mention as mention
from bot.i18n.commands import remember_commands as remember_commands
from bot.i18n.formatting import TextFormatter

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
    """The text for `key` in `lang` (English when the language is unknown), in the voice
    `lang` carries (see the module's docstring), formatted. A member-facing text the
    guild's admins replaced (`Voice.texts`) is theirs, as written."""
    replaced = lang.texts.get(key) if isinstance(lang, Voice) else None
    if replaced is not None:
        # Checked when saved (bot.voice): plain placeholders, the catalogue text's own.
        return replaced.format(**params)
    return own_text(key, lang, **params)


def own_text(key: str, lang: str, /, **params: object) -> str:
    """Foyer's own text for `key` in `lang`'s voice, whether or not the guild replaced it
    (what `/setup text` shows after a reset)."""
    return TextFormatter(lang).format(pick(catalogue()[key], lang), **params)


# -- the French voice ------------------------------------------------------------------------

Register = Literal["vous", "tu"]
REGISTERS: tuple[Register, ...] = ("vous", "tu")
DEFAULT_REGISTER: Register = "vous"
#: The catalogue field of the *tu* form.
TU = "fr-tu"
_INCLUSIVE = re.compile(r"\[\[([^|\[\]]*)\|([^|\[\]]*)\]\]")


class Voice(str):
    """A language code that also says how Foyer writes in this guild: the French register,
    inclusive writing, and the member-facing texts its admins replaced (catalogue key ->
    their text).

    It *is* the language for everything but `t()`: equal to "fr", hashed as "fr", printed
    as "fr", so code that compares, keys or parses the language is untouched. Built by
    `voiced`, never by hand, so that a guild with Foyer's defaults keeps a plain code.
    """

    register: Register
    inclusive: bool
    texts: dict[str, str]

    def __new__(
        cls, lang: str, register: Register, inclusive: bool, texts: Mapping[str, str]
    ) -> Voice:
        self = super().__new__(cls, lang)
        self.register = register
        self.inclusive = inclusive
        self.texts = dict(texts)
        return self

    def __reduce__(self) -> tuple[object, ...]:
        return (Voice, (str(self), self.register, self.inclusive, self.texts))

    def __repr__(self) -> str:
        inclusive = ", inclusive" if self.inclusive else ""
        return f"Voice({str(self)!r}, {self.register}{inclusive}, {len(self.texts)} texts)"


def voiced(
    lang: Lang, register: str | None, inclusive: bool, texts: Mapping[str, str] | None = None
) -> Lang:
    """`lang` carrying the guild's voice. The French register and inclusive writing only
    apply to French; a guild with Foyer's defaults (*vous*, no inclusive writing, no text
    replaced) keeps the plain language code. Typed as `Lang` because it is one: a `Voice`
    equals its language."""
    french = lang == "fr"
    reg = (parse_register(register or "") or DEFAULT_REGISTER) if french else DEFAULT_REGISTER
    inclusive = inclusive and french
    if reg == DEFAULT_REGISTER and not inclusive and not texts:
        return lang
    return cast(Lang, Voice(lang, reg, inclusive, texts or {}))


def register_of(lang: str) -> Register:
    """*tu* or *vous*: the register a (French) `lang` speaks in."""
    return lang.register if isinstance(lang, Voice) else DEFAULT_REGISTER


def is_inclusive(lang: str) -> bool:
    return lang.inclusive if isinstance(lang, Voice) else False


def parse_register(value: str) -> Register | None:
    value = value.strip().lower()
    return cast(Register, value) if value in REGISTERS else None


def pick(texts: dict[str, str], lang: str) -> str:
    """The unformatted text of a catalogue entry for `lang`: the *tu* form for a guild on
    *tu* (the *vous* one when the text has none: it does not address the reader), the
    inclusive alternatives resolved; English when the language has no text."""
    if lang == "fr":
        text = (register_of(lang) == "tu" and texts.get(TU)) or texts.get("fr")
        if text:
            return inclusive_writing(text, is_inclusive(lang))
    return texts.get(lang) or texts[DEFAULT_LANGUAGE]


def inclusive_writing(text: str, inclusive: bool) -> str:
    """`[[plain|inclusive]]` resolved to one of its alternatives."""
    if "[[" not in text:  # most texts: no regular expression on the hot path
        return text
    return _INCLUSIVE.sub(lambda m: m.group(2 if inclusive else 1), text)


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
        text = catalogue().get(key, {}).get("fr")
        # One French text per command for every guild: the plain alternatives.
        return inclusive_writing(text, False) if text is not None else None
