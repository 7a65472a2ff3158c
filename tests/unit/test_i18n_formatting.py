"""The CLDR formatting of catalogue texts (bot.i18n.formatting) and command mentions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import forget_commands, mention, placeholders, remember_commands
from bot.i18n.formatting import TextFormatter, duration, in_zone, week_label

NNBSP, NBSP = "\u202f", "\xa0"


def fmt(lang: str, text: str, **params: object) -> str:
    return TextFormatter(lang).format(text, **params)


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [
        ("fr", 0, "0 réponse"),
        ("fr", 1, "1 réponse"),
        ("fr", 2, "2 réponses"),
        ("fr", 1234, f"1{NNBSP}234 réponses"),
        ("en", 0, "0 answers"),
        ("en", 1, "1 answer"),
        ("en", 1234, "1,234 answers"),
    ],
)
def test_plural_follows_cldr(lang: str, count: int, expected: str) -> None:
    forms = "# réponse|# réponses" if lang == "fr" else "# answer|# answers"
    assert fmt(lang, "{count:plural:" + forms + "}", count=count) == expected


def test_french_many_form_for_round_millions_and_word_only_forms() -> None:
    text = "{n:plural:# membre|# de membres|# membres}"
    assert fmt("fr", text, n=1_000_000) == f"1{NNBSP}000{NNBSP}000 de membres"
    assert fmt("fr", text, n=3) == "3 membres"
    assert fmt("fr", "{n} {n:plural:jour|jours}", n=1) == "1 jour"


def test_plural_keeps_placeholders_parseable() -> None:
    assert placeholders("{count:plural:# réponse|# réponses} sur {total}") == {"count", "total"}


def test_numbers_and_percentages() -> None:
    assert fmt("fr", "{r:percent}", r=0.33) == f"33{NBSP}%"
    assert fmt("en", "{r:percent}", r=0.33) == "33%"
    assert fmt("fr", "{r:percent:+1}", r=0.125) == f"+12,5{NBSP}%"
    assert fmt("fr", "{x:number} {y:number:1} {z:number:+}", x=1234, y=2.5, z=3) == (
        f"1{NNBSP}234 2,5 +3"
    )
    assert fmt("en", "{y:number:1}", y=2.46) == "2.5"


def test_a_plain_count_is_grouped_but_a_code_is_not() -> None:
    assert fmt("fr", "{n} messages", n=12345) == f"12{NNBSP}345 messages"
    assert fmt("en", "{n} messages", n=12345) == "12,345 messages"
    assert fmt("en", "{code}", code="12345") == "12345"
    assert fmt("en", "{flag}", flag=True) == "True"


def test_dates_in_the_guild_zone() -> None:
    moment = dt.datetime(2026, 11, 4, 23, 30, tzinfo=dt.UTC)
    paris = in_zone(moment, "Europe/Paris")
    assert fmt("fr", "{d:date}", d=paris) == "5 novembre 2026"  # already the 5th in Paris
    assert fmt("en", "{d:date}", d=moment) == "November 4, 2026"
    assert fmt("fr", "{d:date:MMMd}", d=dt.date(2026, 11, 4)) == "4 nov."
    assert fmt("fr", "{d:date}", d=dt.date(2026, 12, 1)) == "1er décembre 2026"
    assert fmt("fr", "{d:date:short}", d=dt.date(2026, 12, 1)) == "01/12/2026"
    assert fmt("en", "{d:date}", d=dt.date(2026, 12, 1)) == "December 1, 2026"
    assert fmt("fr", "{d:time}", d=paris) == "00:30"
    assert (
        fmt("en", "{d:time}", d=moment.astimezone(ZoneInfo("America/New_York"))) == "6:30\u202fPM"
    )


def test_durations_in_the_largest_exact_unit() -> None:
    assert duration(dt.timedelta(minutes=1440), "fr") == f"24{NBSP}heures"
    assert duration(dt.timedelta(minutes=90), "en") == "90 minutes"
    assert duration(dt.timedelta(days=3), "fr") == f"3{NBSP}jours"
    assert duration(dt.timedelta(days=14), "en") == "2 weeks"
    with pytest.raises(TypeError):
        fmt("fr", "{d:duration}", d=1440)


def test_language_names_and_week_labels() -> None:
    assert fmt("fr", "Langue : {c:language}", c="fr") == "Langue : Français"
    assert fmt("en", "{c:language}", c="fr") == "French"
    assert week_label("2026-W41", "fr") == "S41"
    assert week_label(dt.date(2026, 10, 5), "en") == "W41"
    assert week_label("2026-W41", "fr", "long") == "semaine 41 de 2026"
    assert week_label(dt.date(2027, 1, 1), "en") == "W53"  # ISO week of 2026


@pytest.fixture
def commands() -> Iterator[None]:
    forget_commands()
    yield
    forget_commands()


def _tree() -> list[dict[str, object]]:
    export = {"type": 1, "name": "export", "name_localizations": {"fr": "exporter"}}
    return [
        {"name": "health", "name_localizations": {"fr": "santé"}},
        {"name": "privacy", "name_localizations": {"fr": "confidentialité"}, "options": [export]},
    ]


def test_mention_falls_back_to_the_localized_name_until_ids_are_known(commands: None) -> None:
    assert mention("health", "fr") == "/santé"  # before any sync: the catalogue's name
    assert mention("not a command", "fr") == "/not a command"
    remember_commands(_tree())
    assert fmt("fr", "Ouvrez {/health}.") == "Ouvrez /santé."
    assert mention("privacy export", "fr") == "/confidentialité exporter"
    assert mention("privacy export", "en") == "/privacy export"


def test_mention_once_synced(commands: None) -> None:
    remember_commands(_tree())
    # fetch_commands() answers with ids and without localizations.
    remember_commands(
        [
            {"id": "11", "name": "health"},
            {"id": "12", "name": "privacy", "options": [{"type": 1, "name": "export"}]},
        ]
    )
    assert fmt("fr", "Ouvrez {/health}.") == "Ouvrez </health:11>."
    assert mention("privacy export", "fr") == "</privacy export:12>"
    assert mention("privacy", "fr") == "</privacy:12>"
