"""What an admin types in `/ritual ...`: the options as Discord shows them (names and
help in both languages, choices, the time-zone autocomplete), then parsed and validated
before anything is written. Every refusal is a `FoyerError` with a translated, actionable
message."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, time
from typing import Any, TypeVar
from zoneinfo import available_timezones

import discord
from discord import app_commands

from bot import templates
from bot.errors import FoyerError
from bot.i18n import LANGUAGES, cmd, formatting
from bot.scheduling import MonthlyNth, Rule, Weekly
from bot.user_input import check_text, has_visible_character

# Placeholders a ritual text may use.
TEMPLATE_NAMES = ("date", "question", "server")
# Room is left for the ping-role mention and the question.
MAX_TEMPLATE_LENGTH = 1500
MAX_NAME_LENGTH = 80
MAX_QUESTION_LENGTH = 500
MAX_SERVER_NAME_LENGTH = 100  # Discord's limit on a guild name
# The ping role's mention before the text: `<@&` + a snowflake of up to 20 digits + `> `.
PING_PREFIX_LENGTH = 24
ARCHIVE_MINUTES = (60, 1440, 4320, 10080)
WEEKS_OF_MONTH = (1, 2, 3, 4, -1)

_TIME = re.compile(r"^\s*(\d{1,2})\s*(?:[:hH.]\s*(\d{2})?)?\s*$")
_DAY_NAMES: dict[str, int] = {}
for _i, _names in enumerate(
    (
        ("monday", "mon", "lundi", "lun"),
        ("tuesday", "tue", "tues", "mardi", "mar"),
        ("wednesday", "wed", "mercredi", "mer"),
        ("thursday", "thu", "thur", "thurs", "jeudi", "jeu"),
        ("friday", "fri", "vendredi", "ven"),
        ("saturday", "sat", "samedi", "sam"),
        ("sunday", "sun", "dimanche", "dim"),
    )
):
    for _name in _names:
        _DAY_NAMES[_name] = _i


def parse_time(text: str) -> time:
    """`09:00`, `9:30`, `9h`, `18h30`, `18.30`; hours 0-23, minutes 0-59."""
    match = _TIME.match(text)
    if match is None:
        raise FoyerError("rituals.bad_time", value=text[:20])
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise FoyerError("rituals.bad_time", value=text[:20])
    return time(hour, minute)


def _plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.strip().lower().rstrip("."))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_days(text: str) -> frozenset[int]:
    """`mon,fri`, `lundi vendredi`, `lun, ven`: weekday numbers, Monday = 0."""
    words = [w for w in re.split(r"[\s,;/+]+", text) if w]
    days = set()
    for word in words:
        day = _DAY_NAMES.get(_plain(word))
        if day is None:
            raise FoyerError("rituals.bad_days", value=text[:40])
        days.add(day)
    if not days:
        raise FoyerError("rituals.bad_days", value=text[:40])
    return frozenset(days)


def build_rule(days: frozenset[int], at: time, week_of_month: int | None) -> Rule:
    """Weekly on `days`, or monthly on the nth of a single day."""
    if week_of_month is None:
        return Weekly(days, at)
    if week_of_month not in WEEKS_OF_MONTH:
        raise FoyerError("rituals.bad_week_of_month", value=week_of_month)
    if len(days) != 1:
        raise FoyerError("rituals.monthly_one_day")
    return MonthlyNth(week_of_month, next(iter(days)), at)


def validate_name(name: str) -> str:
    """One line of 1 to MAX_NAME_LENGTH characters, at least one of them visible."""
    check_text(name, multiline=False)
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise FoyerError("rituals.bad_name", limit=MAX_NAME_LENGTH)
    if not has_visible_character(name):
        raise FoyerError("rituals.name_not_visible")
    return name


def longest_values() -> dict[str, int]:
    """Each placeholder at its longest: the date in either language, a question at its
    limit, a server name at Discord's limit."""
    # As `render.date_text` writes {date}: the long CLDR date, longest on a 2-digit day.
    longest_date = max(
        len(formatting.date(date(2026, month, 28), lang))
        for lang in LANGUAGES
        for month in range(1, 13)
    )
    return {"date": longest_date, "question": MAX_QUESTION_LENGTH, "server": MAX_SERVER_NAME_LENGTH}


def validate_template(template: str) -> str:
    """A safe template that stays within Discord's limit however it is filled in (the
    ping role's mention included, so adding one later cannot break it)."""
    templates.validate(template, TEMPLATE_NAMES, max_length=MAX_TEMPLATE_LENGTH)
    if "@everyone" in template or "@here" in template:
        raise FoyerError("rituals.no_mass_ping")
    longest = PING_PREFIX_LENGTH + templates.longest_render(template, longest_values())
    if longest > templates.DISCORD_MESSAGE_LIMIT:
        raise FoyerError(
            "rituals.text_can_exceed",
            length=longest,
            limit=templates.DISCORD_MESSAGE_LIMIT,
            question=MAX_QUESTION_LENGTH,
            server=MAX_SERVER_NAME_LENGTH,
        )
    return template


def validate_archive(minutes: int) -> int:
    if minutes not in ARCHIVE_MINUTES:
        raise FoyerError("rituals.bad_archive", value=minutes)
    return minutes


def validate_question(text: str) -> str:
    check_text(text)
    text = " ".join(text.split())
    if not has_visible_character(text) or len(text) > MAX_QUESTION_LENGTH:
        raise FoyerError("rituals.bad_question", limit=MAX_QUESTION_LENGTH)
    if "@everyone" in text or "@here" in text:
        raise FoyerError("rituals.no_mass_ping")
    return text


# As Discord shows them --------------------------------------------------------------------

CUSTOM = "custom"  # the `preset` choice of a ritual written from scratch
_ZONES = sorted(available_timezones())
_F = TypeVar("_F", bound=Callable[..., Any])

PRESET_CHOICES = [
    app_commands.Choice(name=cmd(f"rituals.preset.{key}.name"), value=key)
    for key in ("monday_motivation", "friday_wins", "weekly_question", "monthly_qa")
] + [app_commands.Choice(name=cmd("cmd.rituals.choice.custom"), value=CUSTOM)]
WEEK_CHOICES = [
    app_commands.Choice(name=cmd(f"cmd.rituals.choice.week.{k}"), value=v)
    for k, v in (("1", 1), ("2", 2), ("3", 3), ("4", 4), ("last", -1))
]
ARCHIVE_CHOICES = [
    app_commands.Choice(name=cmd(f"cmd.rituals.choice.archive.{m}"), value=m)
    for m in ARCHIVE_MINUTES
]
_OPTION_NAMES = {
    o: cmd(f"cmd.rituals.opt.{o}")
    for o in (
        "preset", "channel", "name", "days", "time", "week_of_month", "timezone", "text",
        "ping_role", "archive", "ritual", "remove_ping_role", "question", "number",
    )
}  # fmt: skip
_OPTION_HELP = {o: cmd(f"cmd.rituals.opt.{o}.description") for o in _OPTION_NAMES}


def described(*names: str) -> Callable[[_F], _F]:
    """Rename and describe the given options, in both languages."""

    def decorator(func: _F) -> _F:
        func = app_commands.rename(**{n: _OPTION_NAMES[n] for n in names})(func)
        return app_commands.describe(**{n: _OPTION_HELP[n] for n in names})(func)

    return decorator


def command(key: str, group: app_commands.Group | None = None) -> Any:
    """`/ritual <key>` (or a command of `group`, e.g. `questions.add`), named and described
    from the catalogue."""
    make = app_commands.command if group is None else group.command
    return make(
        name=cmd(f"cmd.rituals.{key}.name"), description=cmd(f"cmd.rituals.{key}.description")
    )


async def zone_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The time-zone autocomplete: IANA names containing what was typed, 25 at most."""
    needle = current.lower()
    return [app_commands.Choice(name=z, value=z) for z in _ZONES if needle in z.lower()][:25]
