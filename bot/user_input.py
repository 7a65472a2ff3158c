"""What people type, checked once before anything is saved or posted.

Two rules every feature shares:

- Text (`check_text`, `has_visible_character`): a control character (NUL, escape, bell...)
  or a lone surrogate has no place in a Discord text. PostgreSQL refuses NUL outright, so
  letting one through would fail after a post was already made. Newline and tab are kept
  where a text may span lines. A name must show at least one visible character: spaces,
  zero-width characters and Hangul fillers alone are refused.
- Options (`check_declared_options`): Discord's client keeps to the choices, ranges and
  lengths a command declares, but anything may reach the bot through the API. The tree
  checks every option against its declaration before any command runs (FoyerTree's
  interaction check), so a value outside them is answered with a clear message and no
  command ever sees it. Services keep their own rules on top.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from discord import AppCommandOptionType, app_commands

from bot.errors import FoyerError
from bot.i18n import catalogue

#: Whitespace Discord texts may hold on several lines.
LINE_BREAKS = frozenset("\n\t")
#: Letters or symbols that draw nothing (Hangul fillers, braille blank, Mongolian vowel
#: separator): the usual ways to make an "empty" name pass a whitespace check.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
#: Discord's bounds for an integer option (JavaScript's safe integers).
DISCORD_MAX_INTEGER = 2**53 - 1

_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})


def refused_character(text: str, *, multiline: bool = True) -> str | None:
    """The first character of `text` that has no place in a Discord text, or None."""
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and not (multiline and char in LINE_BREAKS)):
            return char
    return None


def check_text(text: str, *, multiline: bool = True) -> str:
    """`text` unchanged, or a translated refusal naming the control character it holds."""
    char = refused_character(text, multiline=multiline)
    if char is not None:
        raise FoyerError("input.control_character", code=f"U+{ord(char):04X}")
    return text


def is_visible(char: str) -> bool:
    """Whether `char` draws something on its own."""
    if char in BLANK_LOOKING or char.isspace():
        return False
    return unicodedata.category(char) not in _INVISIBLE_CATEGORIES


def has_visible_character(text: str) -> bool:
    return any(is_visible(c) for c in text)


# -- options as declared --------------------------------------------------------------------


def check_declared_options(command: object, namespace: app_commands.Namespace, lang: str) -> None:
    """Refuse an option value the command's declaration does not allow: a value that is
    not one of its choices, a number outside its range or Discord's, a text outside its
    length or holding a control character, a value of the wrong type."""
    if not isinstance(command, app_commands.Command):
        return
    for param in command.parameters:
        if param.display_name in namespace:
            check_option(param, namespace[param.display_name], lang)


def check_option(param: app_commands.Parameter, value: Any, lang: str) -> None:
    """One option's value against its declaration (see `check_declared_options`)."""
    kind = param.type
    option = _translated(param.locale_name, lang) or param.display_name
    if kind is AppCommandOptionType.string:
        if not isinstance(value, str):
            raise FoyerError("input.bad_type", option=option)
        check_text(value)
        _check_bounds(param, len(value), option, key="input.bad_length", value=len(value))
    elif kind in (AppCommandOptionType.integer, AppCommandOptionType.number):
        integer = kind is AppCommandOptionType.integer
        if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
            raise FoyerError("input.bad_type", option=option)
        if not math.isfinite(value) or abs(value) > DISCORD_MAX_INTEGER:
            raise FoyerError("input.out_of_range", option=option, value=_shown(value),
                             low=-DISCORD_MAX_INTEGER, high=DISCORD_MAX_INTEGER)  # fmt: skip
        _check_bounds(param, value, option, key="input.out_of_range", value=_shown(value))
    elif kind is AppCommandOptionType.boolean:
        if not isinstance(value, bool):
            raise FoyerError("input.bad_type", option=option)
    else:
        return  # members, channels, roles: discord.py resolves them (a TransformerError)
    choices = param.choices
    if choices and value not in [c.value for c in choices]:
        allowed = ", ".join(_translated(c._locale_name, lang) or c.name for c in choices)
        raise FoyerError("input.bad_choice", option=option, value=_shown(value), allowed=allowed)


def _check_bounds(
    param: app_commands.Parameter, measure: float, option: str, *, key: str, value: object
) -> None:
    low, high = param.min_value, param.max_value
    if (low is not None and measure < low) or (high is not None and measure > high):
        low_shown = low if low is not None else "…"
        high_shown = high if high is not None else "…"
        raise FoyerError(key, option=option, value=value, low=low_shown, high=high_shown)


def _translated(name: app_commands.locale_str | None, lang: str) -> str | None:
    """A catalogue name (`cmd(key)`) in `lang`; None for a plain string."""
    if name is None:
        return None
    key = name.extras.get("key")
    texts = catalogue().get(key, {}) if isinstance(key, str) else {}
    return texts.get(lang) or texts.get("en")


def _shown(value: object) -> str:
    """A value as the refusal quotes it: short, and without what it was refused for."""
    text = str(value)
    text = "".join(c if refused_character(c) is None else "\ufffd" for c in text)
    return text if len(text) <= 40 else text[:39] + "…"
