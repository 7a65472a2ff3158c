"""Every catalogue file keeps the French voice whole: a *tu* form wherever the French
addresses the reader, written in *tu* only, with the same placeholders, and inclusive
alternatives that are well formed (bot/i18n's docstring describes both)."""

from __future__ import annotations

import json
import re

import pytest

from bot import i18n
from bot.i18n import TU, inclusive_writing, placeholders

ENTRIES = [
    (path.name, key, texts)
    for path in sorted(i18n.LOCALES_DIR.glob("*.json"))
    for key, texts in json.loads(path.read_text(encoding="utf-8")).items()
]
IDS = [f"{file}:{key}" for file, key, _ in ENTRIES]

#: Words that say "vous" to the reader.
VOUS = re.compile(r"\b(vous|votre|vos|vôtre|vôtres)\b", re.IGNORECASE)
#: A word in -ez: in Foyer's French, a verb said to "vous" (imperative or present).
EZ = re.compile(r"\b\w+ez\b", re.IGNORECASE)
#: Words in -ez that are not verbs.
NOT_VERBS = {"chez", "assez", "nez", "rez"}
#: A quoted word is named, not said: « vous » in "choose « tu » or « vous »".
QUOTED = re.compile(r"«[^»]*»")


def addressing_words(text: str) -> list[str]:
    """The words of `text` that speak to the reader in *vous*."""
    text = QUOTED.sub("", inclusive_writing(text, False) + " " + inclusive_writing(text, True))
    words = [m.group(0) for m in VOUS.finditer(text)]
    words += [w for w in (m.group(0) for m in EZ.finditer(text)) if w.lower() not in NOT_VERBS]
    return list(dict.fromkeys(words))


def test_the_word_lists_catch_what_they_are_for() -> None:
    assert addressing_words("Choisissez une note pour votre serveur") == ["votre", "Choisissez"]
    assert addressing_words("Choisis une note, chez toi, assez vite") == []
    assert addressing_words("choisis « tu » ou « vous »") == []
    assert addressing_words("Présentez-vous") == ["vous", "Présentez"]


@pytest.mark.parametrize(("file", "key", "texts"), ENTRIES, ids=IDS)
def test_tu_form_where_the_french_addresses_the_reader(
    file: str, key: str, texts: dict[str, str]
) -> None:
    """Command names and descriptions are the exception: Discord shows one French text per
    command to every French client, whatever the guild, so they have no *tu* form."""
    if key.startswith("cmd.") or "fr" not in texts:
        return
    if addressing_words(texts["fr"]):
        assert texts.get(TU), f"{file}: {key} addresses the reader but has no {TU!r}"


@pytest.mark.parametrize(("file", "key", "texts"), ENTRIES, ids=IDS)
def test_tu_forms_say_tu_only_with_the_same_placeholders(
    file: str, key: str, texts: dict[str, str]
) -> None:
    if TU not in texts:
        return
    tu = texts[TU]
    assert "fr" in texts, f"{file}: {key} has a {TU!r} text without a 'fr' one"
    if tu != texts["fr"]:  # the same text: it speaks to several people, vous in both
        assert addressing_words(tu) == [], f"{file}: {key}: {TU!r} still says vous"
    assert placeholders(tu) == placeholders(texts["fr"]) == placeholders(texts["en"]), (
        f"{file}: {key}: placeholders differ between fr, {TU} and en"
    )
    tu.format(**{name: "x" for name in placeholders(tu)})


@pytest.mark.parametrize(("file", "key", "texts"), ENTRIES, ids=IDS)
def test_inclusive_markup_is_french_and_well_formed(
    file: str, key: str, texts: dict[str, str]
) -> None:
    assert "[[" not in texts["en"], f"{file}: {key}: inclusive markup in English"
    for lang in ("fr", TU):
        if lang not in texts:
            continue
        for inclusive in (False, True):
            resolved = inclusive_writing(texts[lang], inclusive)
            assert "[[" not in resolved and "]]" not in resolved, (
                f"{file}: {key}: a broken [[plain|inclusive]] in {lang!r}"
            )
            assert placeholders(resolved) == placeholders(texts[lang])


def test_the_french_genders_people_inclusively_somewhere_in_every_member_domain() -> None:
    """The markup is used where members are gendered, not left to one file."""
    domains = {
        file for file, _key, texts in ENTRIES if "[[" in texts.get("fr", "") + texts.get(TU, "")
    }
    assert {"welcome.json", "survey.json", "spotlight.json", "rituals.json"} <= domains
    assert {"privacy.json", "health.json"} <= domains


@pytest.mark.parametrize(("file", "key", "texts"), ENTRIES, ids=IDS)
def test_command_texts_have_no_inclusive_markup(file: str, key: str, texts: dict[str, str]) -> None:
    """Discord keeps one French name and description per command, for every guild."""
    if key.startswith("cmd."):
        assert "[[" not in texts.get("fr", ""), f"{file}: {key}"
