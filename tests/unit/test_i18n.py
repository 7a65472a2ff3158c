"""The catalogues as a French and an English community manager would write them.

Each check runs over every `bot/i18n/locales/*.json` and fails with the full list of the
offending keys, so a feature's catalogue is covered the moment it is added; each one is
shown to fail on a planted mistake (`test_each_check_catches_its_mistake`).
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Formatter

import discord
import pytest
from discord import app_commands

from bot import i18n
from bot.app import FoyerBot
from bot.config import Settings
from bot.i18n import LANGUAGES, FoyerTranslator, catalogue, cmd, inclusive_writing, placeholders, t
from bot.i18n.formatting import SPEC_KINDS
from discord_sandbox.limits import FormError, check_command, valid_command_name

Entries = dict[str, dict[str, str]]
FRENCH = ("fr", i18n.TU)


def is_name_key(key: str) -> bool:
    """Command, group and option names; choice names are free text, descriptions too."""
    if not key.startswith("cmd."):
        return False
    return key.endswith(".name") or (".opt." in key and not key.endswith(".description"))


def french_texts(entries: Entries) -> Iterator[tuple[str, str, str]]:
    """(key, field, text) of every French text, both registers, both inclusive choices."""
    for key, texts in entries.items():
        for field in FRENCH:
            if field in texts:
                for inclusive in (False, True):
                    yield key, field, inclusive_writing(texts[field], inclusive)


# -- the checks: each returns what is wrong, so that a test can plant a mistake -------------


def missing_languages(entries: Entries) -> list[str]:
    wrong = []
    for key, texts in entries.items():
        languages = set(texts) - {i18n.TU}
        empty = [
            lang for lang, text in texts.items() if not (isinstance(text, str) and text.strip())
        ]
        if languages != set(LANGUAGES) or empty:
            wrong.append(f"{key}: has {sorted(texts)}, empty {empty}")
    return wrong


def different_placeholders(entries: Entries) -> list[str]:
    wrong = []
    for key, texts in entries.items():
        seen = {
            (lang, inclusive): placeholders(inclusive_writing(text, inclusive))
            for lang, text in texts.items()
            for inclusive in (False, True)
        }
        if len({frozenset(names) for names in seen.values()}) > 1:
            wrong.append(f"{key}: {sorted((k, sorted(v)) for k, v in seen.items())}")
    return wrong


HAND_PLURAL = re.compile(r"\w\((?:s|es|x|e|nt)\)|\(e\)s")


def hand_made_plurals(entries: Entries) -> list[str]:
    """ "membre(s)", "inscrit(e)s": a count goes through `{n:plural:...}` instead."""
    return [
        f"{key} ({lang}): {text!r}"
        for key, texts in entries.items()
        for lang, text in texts.items()
        if HAND_PLURAL.search(text)
    ]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def command_words(entries: Entries) -> set[str]:
    """Every top-level command's name in every language, with and without accents."""
    words = set()
    for key, texts in entries.items():
        if re.fullmatch(r"cmd\.\w+\.name", key):
            for text in texts.values():
                words |= {text, _strip_accents(text)}
    return words


def commands_as_text(entries: Entries) -> list[str]:
    """ "/health", "/sante", "/santé" written out: a text writes `{/health}` (a mention)."""
    names = "|".join(sorted(map(re.escape, command_words(entries)), key=len, reverse=True))
    written = re.compile(rf"(?<![\w<{{])/(?:{names})(?![\w-])")
    return [
        f"{key} ({lang}): {written.search(text).group()!r}"  # type: ignore[union-attr]
        for key, texts in entries.items()
        if not key.startswith("cmd.")
        for lang, text in texts.items()
        if written.search(text)
    ]


#: English words a French community manager would not write: the glossary's French word
#: is given in docs/glossary.md.
ENGLISH_IN_FRENCH = (
    "post",
    "posts",
    "poster",
    "spotlight",
    "digest",
    "check",
    "checks",
    "opt-out",
    "opt-in",
    "optout",
    "optin",
    "newcomer",
    "newcomers",
    "ritual",
    "rituals",
    "churn",
    "thread",
    "threads",
    "staff",
    "welcome",
    "survey",
    "feedback",
    "ping",
    "reply",
)
_ENGLISH = re.compile(rf"(?<![\w{{/-])({'|'.join(ENGLISH_IN_FRENCH)})(?![\w}}-])", re.IGNORECASE)
_FIELD = re.compile(r"\{[^{}]*\}")


def english_in_french(entries: Entries) -> list[str]:
    wrong = []
    for key, field, text in french_texts(entries):
        if is_name_key(key):
            continue  # names are checked as names; a command may be called "nps"
        found = _ENGLISH.search(_FIELD.sub("", text))
        if found:
            wrong.append(f"{key} ({field}): {found.group()!r}")
    return sorted(set(wrong))


#: French words docs/glossary.md replaced by another for the same concept.
OFF_GLOSSARY = re.compile(
    r"projecteur|d[ée]sinscri|r[ée]inscri|contribut\w* r[ée]guli|nouvel(?:le)?s? arrivant",
    re.IGNORECASE,
)


def off_glossary_in_french(entries: Entries) -> list[str]:
    return sorted(
        {
            f"{key} ({field}): {found.group()!r}"
            for key, field, text in french_texts(entries)
            if (found := OFF_GLOSSARY.search(text))
        }
    )


#: The French text speaks to the reader: *vous*, *votre*, *vos*, an imperative in -ez.
ADDRESSES_READER = re.compile(
    r"\b(?:vous|votre|vos)\b|\b(?!(?:assez|chez|nez)\b)\w{2,}ez\b(?![-'])", re.IGNORECASE
)


def missing_tu(entries: Entries) -> list[str]:
    """A French text in *vous* needs its *tu* form (`fr-tu`), for a guild on *tu*."""
    return [
        key
        for key, texts in entries.items()
        if not key.startswith("cmd.")
        and i18n.TU not in texts
        and ADDRESSES_READER.search(_FIELD.sub("", texts.get("fr", "")))
    ]


def bad_specs(entries: Entries) -> list[str]:
    """A field with a spec of ours must name a known kind; a plural has 2 or 3 forms."""
    wrong = []
    for key, texts in entries.items():
        for lang, raw in texts.items():
            text = inclusive_writing(raw, inclusive=True)  # as t() formats it
            for _, name, spec, _ in Formatter().parse(text):
                kind = (spec or "").partition(":")[0]
                if (
                    name
                    and kind == "plural"
                    and len(spec.split(":", 1)[1].split("|")) not in (2, 3)
                ):
                    wrong.append(f"{key} ({lang}): {spec!r}")
                elif name and spec and kind.isalpha() and kind not in SPEC_KINDS:
                    wrong.append(f"{key} ({lang}): unknown spec {spec!r}")
    return wrong


CHECKS: dict[str, Callable[[Entries], list[str]]] = {
    "missing_languages": missing_languages,
    "different_placeholders": different_placeholders,
    "hand_made_plurals": hand_made_plurals,
    "commands_as_text": commands_as_text,
    "english_in_french": english_in_french,
    "off_glossary_in_french": off_glossary_in_french,
    "bad_specs": bad_specs,
}


@pytest.mark.parametrize("check", list(CHECKS))
def test_the_catalogues_pass(check: str) -> None:
    assert CHECKS[check](catalogue()) == []


def test_every_french_text_that_addresses_the_reader_has_its_tu_form() -> None:
    assert missing_tu(catalogue()) == []


#: One planted mistake per check, on an entry that is otherwise right.
MISTAKES: dict[str, dict[str, str]] = {
    "missing_languages": {"en": "Hello"},
    "different_placeholders": {"en": "{count} answers", "fr": "{total} réponses"},
    "hand_made_plurals": {"en": "{n} member(s)", "fr": "{n} membre(s)"},
    "commands_as_text": {"en": "Open /health.", "fr": "Ouvrez /sante."},
    "english_in_french": {"en": "The post", "fr": "Le post"},
    "off_glossary_in_french": {"en": "Spotlight", "fr": "Coup de projecteur"},
    "bad_specs": {"en": "{n:plural:one}", "fr": "{n:plural:une}"},
}


@pytest.mark.parametrize("check", list(CHECKS))
def test_each_check_catches_its_mistake(check: str) -> None:
    planted = {**catalogue(), "test.planted": MISTAKES[check]}
    assert any(line.startswith("test.planted") for line in CHECKS[check](planted))


def test_the_checks_let_the_right_forms_through() -> None:
    right = {
        "a": {"en": "Open {/health}: {n:plural:# answer|# answers}.", "fr": "Ouvrez {/health}."},
        "b": {"en": "Posts", "fr": "Publications du postier"},
    }
    right["a"]["fr"] = "Ouvrez {/health} : {n:plural:# réponse|# réponses}."
    right["a"]["fr-tu"] = "Ouvre {/health} : {n:plural:# réponse|# réponses}."
    for name, check in CHECKS.items():
        assert check(right) == [], name
    assert missing_tu({"c": {"en": "Try", "fr": "Essayez"}}) == ["c"]
    assert missing_tu({"c": {"en": "Try", "fr": "Essayez", "fr-tu": "Essaie"}}) == []
    assert missing_tu({"c": {"en": "Gone", "fr": "Le salon a disparu."}}) == []
    assert missing_tu({"c": {"en": "Too few", "fr": "Pas assez de données"}}) == []


# -- every text formats with values its specs accept ----------------------------------------

SAMPLES: dict[str, object] = {
    "plural": 3,
    "number": 1234,
    "percent": 0.33,
    "date": datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    "time": datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    "datetime": datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    "duration": timedelta(hours=24),
    "language": "fr",
    "week": "2026-W41",
}


def sample_value(spec: str) -> object:
    """A value the field's spec accepts: ours by kind, else text, a number or a date."""
    kind = spec.partition(":")[0]
    if kind in SAMPLES:
        return SAMPLES[kind]
    for value in ("x", 1234.5, datetime(2026, 11, 2, 9, 30, tzinfo=UTC)):
        try:
            format(value, spec)
        except (ValueError, TypeError):
            continue
        return value
    raise AssertionError(f"no sample value fits the format spec {spec!r}")


def test_every_text_formats_in_every_language_and_voice() -> None:
    """Literal braces doubled, specs known, mentions resolved: `t()` never raises."""
    voices = [
        "en",
        "fr",
        i18n.voiced("fr", "tu", inclusive=False),
        i18n.voiced("fr", "vous", inclusive=True),
    ]
    failed = []
    for key, texts in catalogue().items():
        try:
            params = {
                name: sample_value(spec or "")
                for text in texts.values()
                for _, name, spec, _ in Formatter().parse(text)
                if name is not None and not name.startswith("/")
            }
        except ValueError as exc:  # a lone brace: literal braces must be doubled
            failed.append(f"{key}: {exc}")
            continue
        for lang in voices:
            try:
                text = t(key, lang, **params)
            except (KeyError, ValueError, TypeError, IndexError) as exc:
                failed.append(f"{key} ({lang!r}): {exc!r}")
                continue
            if "{/" in text or ":plural:" in text:
                failed.append(f"{key} ({lang!r}): left {text!r}")
    assert failed == []


# -- command and option names ---------------------------------------------------------------

NAME_KEYS = sorted(k for k in catalogue() if is_name_key(k))


def test_command_names_are_valid_discord_names() -> None:
    bad = [
        f"{key} ({lang}): {catalogue()[key][lang]!r}"
        for key in NAME_KEYS
        for lang in LANGUAGES
        if not valid_command_name(catalogue()[key][lang])
    ]
    assert bad == []


def test_french_command_names_keep_their_accents() -> None:
    french = {catalogue()[key]["fr"] for key in NAME_KEYS}
    assert {"santé", "confidentialité", "aperçu", "suggérer", "clôturer", "résultats"} <= french
    twins = {
        (a, b) for a in french for b in french if a < b and _strip_accents(a) == _strip_accents(b)
    }
    assert twins == set(), "a name is written both with and without its accents"


def test_the_name_rule_is_discords() -> None:
    """Discord: ^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$, lowercase."""
    for good in ("santé", "salon_admin", "l'équipe", "mise-en-avant", "x" * 32, "नमस्ते"):
        assert valid_command_name(good), good
    for bad in ("Santé", "two words", "x" * 33, "", "quoi?", "a.b"):
        assert not valid_command_name(bad), bad


def test_the_sandbox_refuses_what_discord_refuses_on_an_upsert() -> None:
    """A bad name anywhere in a command (its own, a localization, a sub-command's option)
    is a 400 50035 on the field's path; choice names are free text."""
    good = {
        "name": "privacy",
        "name_localizations": {"fr": "confidentialité"},
        "options": [
            {"type": 1, "name": "export", "options": [{"type": 3, "name": "rôle"}]},
            {"type": 3, "name": "mode", "choices": [{"name": "Tout voir", "value": "all"}]},
        ],
    }
    check_command(good)
    bad_option = json.loads(json.dumps(good))
    bad_option["options"][0]["options"][0]["name"] = "Rôle"
    with pytest.raises(FormError) as refused:
        check_command(bad_option)
    assert refused.value.path == ["options", 0, "options", 0, "name"]
    assert refused.value.code == "APPLICATION_COMMAND_INVALID_NAME"
    bad_locale = {**good, "name_localizations": {"fr": "vie privée"}}
    with pytest.raises(FormError):
        check_command(bad_locale)


# Descriptions and choice names: free text, 1 to 100 characters for Discord.
DESCRIPTION_KEYS = [
    k
    for k in catalogue()
    if k.startswith("cmd.") and (k.endswith(".description") or ".choice." in k)
]


def test_descriptions_fit_discord() -> None:
    bad = [
        f"{key} ({lang}): {len(catalogue()[key][lang])}"
        for key in DESCRIPTION_KEYS
        for lang in LANGUAGES
        if not 1 <= len(catalogue()[key][lang]) <= 100
    ]
    assert bad == []


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[FoyerBot]:
    """The bot with every cog loaded, offline: its real command declarations."""
    (tmp_path / "heartbeat").write_text(str(time.time()))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path}/foyer.db",
        heartbeat_file=tmp_path / "heartbeat",
    )
    foyer = FoyerBot(settings)
    async with foyer:
        await foyer.setup_hook()
        yield foyer


async def test_every_command_and_option_is_named_and_described_in_both_languages(
    bot: FoyerBot,
) -> None:
    """What Discord receives: English by default, French in the localizations; an option
    without `describe` would reach Discord as "…" in both."""
    translator = bot.tree.translator
    assert translator is not None
    missing = []

    def walk(node: dict[str, object], path: str) -> None:
        name = f"{path} {node['name']}".strip()
        description = node.get("description")
        localized = node.get("description_localizations") or {}
        names = node.get("name_localizations") or {}
        if description in (None, "", "…") or "fr" not in localized or "fr" not in names:  # type: ignore[operator]
            missing.append(name)
        for option in node.get("options") or []:  # type: ignore[attr-defined]
            walk(option, name)

    for command in bot.tree.get_commands():
        walk(await command.get_translated_payload(bot.tree, translator), "")
    assert missing == []


# -- t() and the translator -----------------------------------------------------------------


def test_t_formats_in_the_chosen_language() -> None:
    assert t("setup.bad_budget", "fr", value=30).startswith("30 publications par jour")
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
    name = cmd("cmd.health.name")
    context: app_commands.TranslationContextTypes = app_commands.TranslationContext(
        location=app_commands.TranslationContextLocation.other, data=None
    )
    assert name.message == "health"
    assert await translator.translate(name, discord.Locale.french, context) == "santé"
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
