"""Bad input refused before anything is saved or posted: control characters, names with
nothing visible, option values outside what a command declared, ritual texts that could
pass Discord's 2,000 characters once filled in."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from discord import AppCommandOptionType, app_commands

from bot import templates
from bot.app import FoyerBot
from bot.config import Settings
from bot.errors import FoyerError
from bot.i18n import t
from bot.rituals import options
from bot.user_input import (
    DISCORD_MAX_INTEGER,
    check_option,
    check_text,
    has_visible_character,
    refused_character,
)

INVISIBLE_NAMES = [
    "\u200b\u200b",  # zero-width spaces
    "\u200c\u200d\u2060\ufeff",  # zero-width (non-)joiner, word joiner, BOM
    "   \u00a0\u3000",  # spaces, no-break and ideographic
    "\u3164\u3164",  # Hangul filler: a letter that draws nothing
    "\u2800",  # braille blank
    "\u0301\u0301",  # combining accents with nothing under them
]


# -- text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\r", "\ud800"])
def test_control_characters_and_surrogates_are_refused(char: str) -> None:
    text = f"Bonjour{char}tout le monde"
    assert refused_character(text) == char
    with pytest.raises(FoyerError) as refused:
        check_text(text)
    assert refused.value.key == "input.control_character"
    assert refused.value.params == {"code": f"U+{ord(char):04X}"}
    for lang in ("en", "fr"):  # the message names the character, in both languages
        assert f"U+{ord(char):04X}" in refused.value.render(lang)


def test_newline_and_tab_are_kept_where_a_text_spans_lines() -> None:
    assert check_text("ligne 1\n\tligne 2 — émojis 🎉 et accents") == (
        "ligne 1\n\tligne 2 — émojis 🎉 et accents"
    )
    with pytest.raises(FoyerError):
        check_text("ligne 1\nligne 2", multiline=False)


@pytest.mark.parametrize("text", INVISIBLE_NAMES)
def test_nothing_visible(text: str) -> None:
    assert not has_visible_character(text)


@pytest.mark.parametrize("text", ["a", "é", "🎉", "日本", "\u200bx\u200b", "ẞ"])
def test_something_visible(text: str) -> None:
    assert has_visible_character(text)


@pytest.mark.parametrize("name", INVISIBLE_NAMES)
def test_a_ritual_name_needs_a_visible_character(name: str) -> None:
    with pytest.raises(FoyerError) as refused:
        options.validate_name(name)
    assert refused.value.key in ("rituals.name_not_visible", "rituals.bad_name")


def test_a_zero_width_name_gets_its_own_message() -> None:
    with pytest.raises(FoyerError) as refused:
        options.validate_name("\u200b\u200b\u200b")
    assert refused.value.key == "rituals.name_not_visible"
    assert "visible" in refused.value.render("en") and "visible" in refused.value.render("fr")
    assert options.validate_name("  Café \u200b du  lundi ") == "Café \u200b du lundi"


@pytest.mark.parametrize(
    "check",
    [
        options.validate_name,
        options.validate_question,
        options.validate_template,
        lambda text: templates.validate(text, ["member"]),
    ],
)
def test_every_text_validator_refuses_nul(check: Any) -> None:
    with pytest.raises(FoyerError) as refused:
        check("Quoi de neuf\x00 ?")
    assert refused.value.key == "input.control_character"


def test_a_template_of_invisible_characters_is_empty() -> None:
    with pytest.raises(FoyerError) as refused:
        templates.validate("\u200b\u200b", ["member"])
    assert refused.value.key == "templates.empty"


# -- ritual texts at their longest ---------------------------------------------------------


def test_longest_render_fills_each_placeholder_at_its_longest() -> None:
    assert templates.longest_render("{a}-{b}-{{x}}", {"a": 5, "b": 2}) == 5 + 1 + 2 + 1 + 3
    assert templates.longest_render("{a}{a}", {"a": 100}) == 200


def test_ritual_longest_values() -> None:
    # the longest CLDR long date: "September 28, 2026" (18; "28 septembre 2026" is 17)
    assert options.longest_values() == {"date": 18, "question": 500, "server": 100}


def test_a_ritual_text_that_could_pass_2000_characters_is_refused_with_the_limit() -> None:
    # 4 questions: 4 * 500 + 3 spaces + the ping role's 24 = 2,027 > 2,000
    text = "{question} {question} {question} {question}"
    assert len(text) < options.MAX_TEMPLATE_LENGTH  # valid alone
    with pytest.raises(FoyerError) as refused:
        options.validate_template(text)
    assert refused.value.key == "rituals.text_can_exceed"
    assert refused.value.params["length"] == 2027
    assert refused.value.params["limit"] == 2000
    assert "2,000" in refused.value.render("en") and "2\u202f027" in refused.value.render("fr")


def test_a_ritual_text_at_exactly_the_limit_is_accepted() -> None:
    # ping role 24 + server 100 + question 500 + date 18 + literal text
    literal = 2000 - 24 - 100 - 500 - 18
    head = "x" * (literal - 2)  # the two spaces are literal text too
    text = head + "{server} {question} {date}"
    assert 24 + templates.longest_render(text, options.longest_values()) == 2000
    assert options.validate_template(text) == text
    with pytest.raises(FoyerError):
        options.validate_template("x" + text)


def test_the_presets_fit_at_their_longest() -> None:
    for key in ("monday_motivation", "friday_wins", "weekly_question", "monthly_qa"):
        for lang in ("en", "fr"):
            keep = {n: "{" + n + "}" for n in options.TEMPLATE_NAMES}
            options.validate_template(t(f"rituals.preset.{key}.template", lang, **keep))


# -- options as declared -------------------------------------------------------------------


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[FoyerBot]:
    """The bot with every cog loaded, offline: its real command declarations."""
    (tmp_path / "heartbeat").write_text(str(time.time()))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path}/foyer.db",
        heartbeat_file=tmp_path / "heartbeat",
    )
    bot = FoyerBot(settings)
    async with bot:
        await bot.setup_hook()
        yield bot


def _parameters(bot: FoyerBot) -> list[tuple[str, app_commands.Parameter]]:
    found = []
    for command in bot.tree.walk_commands():
        if isinstance(command, app_commands.Command):
            found += [(command.qualified_name, p) for p in command.parameters]
    return found


def _refused(param: app_commands.Parameter, value: Any) -> FoyerError:
    with pytest.raises(FoyerError) as refused:
        check_option(param, value, "fr")
    return refused.value


async def test_every_choice_option_refuses_a_value_outside_its_choices(bot: FoyerBot) -> None:
    with_choices = [(name, p) for name, p in _parameters(bot) if p.choices]
    assert {(n, p.name) for n, p in with_choices} >= {
        ("setup set", "language"), ("setup staff", "action"), ("welcome setup", "thread_type"),
        ("welcome setup", "auto_archive"), ("ritual add", "preset"),
        ("ritual add", "week_of_month"), ("ritual add", "archive"),
        ("ritual edit", "week_of_month"), ("ritual edit", "archive"),
        ("spotlight setup", "suggestion_day"), ("health", "period"),
    }  # fmt: skip
    for name, param in with_choices:
        first = param.choices[0].value
        outside: Any = 9 if isinstance(first, int) else "nope"
        if outside in [c.value for c in param.choices]:
            outside = 987_654
        error = _refused(param, outside)
        assert error.key == "input.bad_choice", name
        check_option(param, first, "fr")  # a declared choice passes


async def test_every_number_option_is_bounded_by_discord_at_least(bot: FoyerBot) -> None:
    numbers = [(n, p) for n, p in _parameters(bot) if p.type is AppCommandOptionType.integer]
    assert len(numbers) >= 10
    for name, param in numbers:
        assert _refused(param, DISCORD_MAX_INTEGER + 1).key in (
            "input.out_of_range",
            "input.bad_choice",
        ), name
        assert _refused(param, "7").key == "input.bad_type", name
        assert _refused(param, True).key == "input.bad_type", name


async def test_declared_ranges_are_enforced(bot: FoyerBot) -> None:
    (duration,) = [
        p for n, p in _parameters(bot) if n == "survey nps" and p.name == "duration_days"
    ]
    for value in (0, 31, 10**12):
        error = _refused(duration, value)
        assert error.key == "input.out_of_range"
        assert error.params["low"] == 1 and error.params["high"] == 30
    check_option(duration, 30, "fr")
    text = _refused(duration, 31).render("fr")
    assert text.startswith("L'option durée_jours doit")  # named as the guild sees it


async def test_every_text_option_refuses_control_characters(bot: FoyerBot) -> None:
    texts = [(n, p) for n, p in _parameters(bot) if p.type is AppCommandOptionType.string]
    assert len(texts) >= 15
    for name, param in texts:
        assert _refused(param, "a\x00b").key == "input.control_character", name


async def test_the_refused_value_is_quoted_without_its_control_characters(bot: FoyerBot) -> None:
    (period,) = [p for n, p in _parameters(bot) if n == "health" and p.name == "period"]
    error = _refused(period, "1y\x00" + "z" * 100)
    assert error.key == "input.control_character"
    error = _refused(period, "1y")
    assert error.params["value"] == "1y"
    assert "7" in error.params["allowed"]  # the choices, named as Discord shows them
