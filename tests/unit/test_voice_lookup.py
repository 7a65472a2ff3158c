"""The French voice in `t()`: tu or vous, inclusive writing, admins' texts, and the rules
a replaced member-facing text must follow (bot/i18n, bot/voice)."""

from __future__ import annotations

import pickle

import pytest

from bot.errors import FoyerError
from bot.i18n import (
    Voice,
    catalogue,
    inclusive_writing,
    is_inclusive,
    pick,
    placeholders,
    register_of,
    t,
    voiced,
)
from bot.voice.service import member_text, validate
from bot.voice.texts import MEMBER_TEXTS

ENTRY = {
    "en": "{n} members signed up",
    "fr": "Vous avez {n} [[inscrits|inscrit·es]]",
    "fr-tu": "Tu as {n} [[inscrits|inscrit·es]]",
}
NEUTRAL = {"en": "The week", "fr": "La semaine"}


def test_vous_is_the_default_and_a_plain_language_code() -> None:
    lang = voiced("fr", None, False)
    assert type(lang) is str and lang == "fr"
    assert pick(ENTRY, lang) == "Vous avez {n} inscrits"


def test_tu_reads_the_tu_form() -> None:
    lang = voiced("fr", "tu", False)
    assert isinstance(lang, Voice) and register_of(lang) == "tu"
    assert pick(ENTRY, lang) == "Tu as {n} inscrits"


def test_tu_falls_back_to_fr_for_a_text_that_does_not_address_the_reader() -> None:
    assert pick(NEUTRAL, voiced("fr", "tu", True)) == "La semaine"


def test_inclusive_writing_both_ways() -> None:
    assert pick(ENTRY, voiced("fr", "vous", True)) == "Vous avez {n} inscrit·es"
    assert pick(ENTRY, voiced("fr", "tu", True)) == "Tu as {n} inscrit·es"
    assert inclusive_writing("[[tous|toutes et tous]] les [[membres|membres]]", True) == (
        "toutes et tous les membres"
    )
    assert inclusive_writing("[[tous|toutes et tous]]", False) == "tous"


def test_the_markup_keeps_placeholders_parsing() -> None:
    text = "[[{n} inscrits|{n} inscrit·es]] et {m} [[nouveaux|nouvelles et nouveaux]]"
    assert placeholders(text) == {"n", "m"}
    assert (
        inclusive_writing(text, True).format(n=2, m=3) == "2 inscrit·es et 3 nouvelles et nouveaux"
    )
    assert inclusive_writing(text, False).format(n=2, m=3) == "2 inscrits et 3 nouveaux"


def test_english_never_carries_a_french_voice() -> None:
    lang = voiced("en", "tu", True)
    assert type(lang) is str and lang == "en"
    assert pick(ENTRY, lang) == "{n} members signed up"
    assert register_of(lang) == "vous" and not is_inclusive(lang)


def test_a_voice_is_its_language_everywhere_but_t() -> None:
    lang = voiced("fr", "tu", True)
    assert lang == "fr" and hash(lang) == hash("fr") and f"{lang}" == "fr"
    assert {"fr": 1}[lang] == 1 and lang.startswith("fr")
    again = pickle.loads(pickle.dumps(lang))
    assert isinstance(again, Voice) and register_of(again) == "tu" and is_inclusive(again)
    assert "tu" in repr(lang)


def test_t_formats_in_the_voice() -> None:
    assert t("voice.saved", voiced("fr", "tu", False)).endswith(
        "Foyer te tutoie dans tous ses textes."
    )
    assert "vous vouvoie" in t("voice.saved", "fr")


def test_a_replaced_text_is_the_admins_in_every_voice() -> None:
    texts = {"welcome.nudge": "Coucou {greeters} !"}
    for lang in (
        voiced("fr", "tu", False),
        voiced("fr", "vous", True),
        voiced("en", None, False, texts),
    ):
        replaced = voiced(
            "fr" if lang == "fr" else "en", register_of(lang), is_inclusive(lang), texts
        )
        assert t("welcome.nudge", replaced, greeters="@A") == "Coucou @A !"
    # Only the replaced key: the others stay Foyer's.
    assert t("voice.on", voiced("en", None, False, texts)) == "on"


# -- what an admin may put in place of a member-facing text ---------------------------------


def test_every_replaceable_text_names_a_catalogue_key_and_its_placeholders() -> None:
    for spec in MEMBER_TEXTS.values():
        assert spec.key in catalogue()
        assert set(spec.longest) == spec.allowed, spec.name


def test_a_good_text_is_kept_with_its_line_breaks() -> None:
    spec = member_text("nudge")
    assert validate(spec, " {greeters}, un petit mot ?\\nMerci ! ") == (
        "{greeters}, un petit mot ?\nMerci !"
    )


@pytest.mark.parametrize(
    ("name", "text", "key"),
    [
        ("nudge", "{member} bonjour", "templates.unknown_placeholder"),
        ("nudge", "{greeters.name}", "templates.plain_names_only"),
        ("nudge", "Hello @everyone", "voice.no_mass_ping"),
        ("spotlight_intro", "Bravo {member} <@&123456789012345678>", "voice.no_mass_ping"),
        ("ritual_button", "Me notifier\\nou pas", "voice.one_line"),
        ("ritual_button", "x" * 79, "templates.too_long"),
        ("survey_details", "   ", "templates.empty"),
    ],
)
def test_a_bad_text_is_refused(name: str, text: str, key: str) -> None:
    with pytest.raises(FoyerError) as refused:
        validate(member_text(name), text)
    assert refused.value.key == key


def test_the_limit_counts_the_text_once_filled_in() -> None:
    spec = member_text("spotlight_intro")
    text = "{member} " + "x" * (2000 - 9 - 10)  # fits as typed, not with a long mention
    with pytest.raises(FoyerError) as refused:
        validate(spec, text)
    assert refused.value.key == "voice.too_long_rendered"
    assert refused.value.params == {"length": 2000 - 9 - 10 + 1 + 23, "limit": 2000}


def test_an_unknown_text_name_is_refused_with_the_list() -> None:
    with pytest.raises(FoyerError) as refused:
        member_text("welcome")
    assert refused.value.key == "voice.unknown_text"
    assert "nudge" in str(refused.value.params["allowed"])
