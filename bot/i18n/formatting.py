"""Counts, numbers, dates, durations and command names written the way each language does.

Foyer used to write these by hand ("1 réponses", "71 semaine(s)", "33%" next to "65 %",
"2026-11-04 (UTC)", "1440 minutes", "Langue : fr", "W41" on a French chart). They now come
from CLDR, the Unicode locale data every operating system and browser uses, through Babel
(the usual Python binding of CLDR): plural rules (French says "0 réponse" and "1 réponse",
English "0 answers"), digit grouping ("1 234" with a narrow no-break space in French),
percent signs ("33 %" with a no-break space in French, "33%" in English), month names and
date orders, language names, unit names ("24 heures", "2 weeks").

Catalogue texts use them through format specs, read by `t()` (which formats every text
with `TextFormatter`), so a text stays one string per language and `string.Formatter`
still parses its placeholders (`bot.i18n.placeholders` sees `count` in all of these):

``{count:plural:# réponse|# réponses}``
    The CLDR plural form of `count` in the text's language: the forms are *one|other*, or
    *one|many|other* for a language that has *many* (French, for round millions: "1 000 000
    de membres"; with two forms *many* takes *other*). ``#`` is the count, written as
    ``number`` writes it; a form without ``#`` is just the word ("{n} {n:plural:jour|jours}").
    French: 0 and 1 are *one*. English: only 1 is. No ``{``, ``}`` or ``|`` inside a form.
``{n:number}``, ``{n:number:1}``, ``{n:number:+}``, ``{n:number:+1}``
    A number with the language's grouping and decimal sign ("1 234", "2,5"); a plain
    ``{n}`` holding an `int` is grouped the same way (pass a `str` for a code); an optional
    count of decimals (default: none for an int, up to 2 for a float) and ``+`` to sign
    positive values (a change: "+12").
``{ratio:percent}``, ``{ratio:percent:1}``, ``{ratio:percent:+}``
    A *fraction* (0.33, not 33) as a percentage: "33 %" in French, "33%" in English.
``{day:date}``, ``{day:date:medium}``, ``{day:date:short}``, ``{day:date:MMMd}``
    A `date` or `datetime`: ``long`` by default ("4 novembre 2026", "November 4, 2026"),
    ``short``/``medium``/``full``, or a CLDR skeleton ("MMMd": "4 nov.", "Nov 4"); French
    writes the first of the month "1er décembre", which CLDR leaves to us.
``{at:time}``, ``{at:datetime}``
    "14:30" / "2:30 PM"; the long date and the short time joined as the language joins them.
``{delay:duration}``, ``{delay:duration:hour}``
    A `timedelta` in the largest unit that divides it exactly, hours up to 48 ("24 heures",
    "48 hours", "3 jours", "90 minutes"); or in the unit named (week, day, hour, minute).
``{code:language}``
    A language code by its name in the text's language, capitalised ("Français", "French").
``{week:week}``, ``{week:week:long}``
    An ISO week, given as a date in it or as its "2026-W41" label: "S41" in French, "W41" in
    English (the letter of the CLDR word, *semaine* / *week*); ``long`` is CLDR's own
    "semaine 41 de 2026" / "week 41 of 2026".
``{/health}``, ``{/privacy export}``
    A command, by its English qualified name: a Discord command mention (``</health:id>``,
    which every reader's client shows in its own language and makes clickable) once the
    bot knows the ids from the synced tree, else the command's name in the text's language
    ("/santé"). No parameter to pass: `t()` resolves it (`mention()` for Python code).

Dates and times are written in the zone of the value: give an aware datetime already in
the guild's zone (``moment.astimezone(zone)``; `in_zone` does it from the zone's name), so
no text needs "(UTC)". A naive value or a plain `date` is written as it is.

Python code that writes outside a catalogue text (chart labels, CSV headers shown to
people) calls the same functions: `number`, `percent`, `date`, `time`, `datetime_`,
`duration`, `language_name`, `week_label`, `plural_form`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel import units as babel_units

from bot.i18n.commands import mention

#: The CLDR locale of each language Foyer writes.
_LOCALES = {"en": "en", "fr": "fr"}
_DATE_FORMATS = ("short", "medium", "long", "full")
#: The letter of a short week label: the initial of CLDR's word for "week".
_WEEK_LETTER = {"fr": "S", "en": "W"}
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")
#: Units `duration` may write, largest first, with their length in seconds.
_UNITS: tuple[tuple[str, int], ...] = (
    ("week", 7 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
    ("second", 1),
)
#: Up to this many hours, a whole number of days is still said in hours ("48 heures").
_HOURS_UP_TO = 48


@cache
def locale(lang: str) -> Locale:
    """The CLDR locale of a Foyer language (English for an unknown one)."""
    return Locale.parse(_LOCALES.get(str(lang), "en"))


def plural_form(count: float, lang: str) -> str:
    """The CLDR plural category of `count` in `lang`: "one", "many" or "other"..."""
    return str(locale(lang).plural_form(abs(count)))


def plural(count: float, forms: Sequence[str], lang: str) -> str:
    """The form of `forms` (*one|other* or *one|many|other*) for `count`, with ``#`` replaced
    by the count as `number` writes it."""
    if len(forms) not in (2, 3):
        raise ValueError(f"a plural takes 2 or 3 forms (one|other, one|many|other): {forms!r}")
    category = plural_form(count, lang)
    if category == "one":
        form = forms[0]
    elif category == "many" and len(forms) == 3:
        form = forms[1]
    else:
        form = forms[-1]
    return form.replace("#", number(count, lang)) if "#" in form else form


def _digits(arg: str) -> tuple[int | None, bool]:
    """`number`'s and `percent`'s spec argument: ("+"?)(decimals?)."""
    signed = arg.startswith("+")
    rest = arg[1:] if signed else arg
    if rest and not rest.isdigit():
        raise ValueError(f"bad number spec {arg!r}: expected [+][decimals]")
    return (int(rest) if rest else None), signed


def _signed(text: str, value: float, signed: bool, lang: str) -> str:
    if signed and value > 0:
        return locale(lang).number_symbols["latn"]["plusSign"] + text
    return text


def number(value: float, lang: str, decimals: int | None = None, signed: bool = False) -> str:
    """ "1 234", "2,5" (French), "1,234", "2.5" (English)."""
    if decimals is None:
        decimals = 0 if isinstance(value, int) or float(value).is_integer() else 2
        pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    else:
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    text = babel_numbers.format_decimal(value, format=pattern, locale=locale(lang))
    return _signed(text, value, signed, lang)


def percent(ratio: float, lang: str, decimals: int = 0, signed: bool = False) -> str:
    """A fraction as the language writes a percentage: "33 %" (French), "33%" (English)."""
    loc = locale(lang)
    pattern = babel_numbers.parse_pattern(loc.percent_formats[None].pattern)
    pattern.frac_prec = (decimals, decimals)
    return _signed(pattern.apply(ratio, loc), ratio, signed, lang)


def date(value: dt.date, lang: str, form: str = "long") -> str:
    """A day: "4 novembre 2026" / "November 4, 2026" (``long``), another CLDR length, or a
    CLDR skeleton ("MMMd")."""
    if form in _DATE_FORMATS:
        text = babel_dates.format_date(value, form, locale=locale(lang))
    else:
        text = babel_dates.format_skeleton(form, value, locale=locale(lang))
    if str(lang) == "fr" and value.day == 1 and form != "short":
        # French writes the first of the month as an ordinal ("1er juin"); CLDR does not.
        text = re.sub(r"(?<!\d)1(?= )", "1er", text, count=1)
    return text


def time(value: dt.datetime | dt.time, lang: str, form: str = "short") -> str:
    """ "14:30" / "2:30 PM", in the value's own zone."""
    tzinfo = value.tzinfo if isinstance(value, dt.datetime) else None
    return babel_dates.format_time(value, form, tzinfo=tzinfo, locale=locale(lang))


def datetime_(value: dt.datetime, lang: str) -> str:
    """The long date and the short time, joined as the language joins them."""
    joined = str(babel_dates.get_datetime_format("long", locale=locale(lang))).replace("'", "")
    return joined.replace("{0}", time(value, lang)).replace("{1}", date(value, lang))


def in_zone(moment: dt.datetime, zone: str | None) -> dt.datetime:
    """`moment` in the guild's zone (named as in the IANA database), to be written there."""
    return moment.astimezone(ZoneInfo(zone)) if zone else moment


def duration(value: dt.timedelta, lang: str, unit: str | None = None) -> str:
    """ "24 heures", "3 jours", "90 minutes": the largest unit that divides `value` exactly
    (days from 48 hours on), or `unit`."""
    seconds = int(value.total_seconds())
    if unit is None:
        unit = "second"
        for name, size in _UNITS:
            if seconds % size == 0 and seconds >= size:
                if name in ("week", "day") and seconds <= _HOURS_UP_TO * 3600:
                    continue
                unit = name
                break
    unit_seconds = dict(_UNITS).get(unit)
    if unit_seconds is None:
        raise ValueError(f"unknown duration unit {unit!r}")
    amount = seconds / unit_seconds
    shown: float = int(amount) if amount.is_integer() else round(amount, 1)
    return str(babel_units.format_unit(shown, f"duration-{unit}", locale=locale(lang)))


def language_name(code: str, lang: str) -> str:
    """ "Français", "Anglais" (French), "French", "English" (English)."""
    name = locale(lang).languages.get(str(code), str(code))
    return name[:1].upper() + name[1:]


def iso_week(value: dt.date | str) -> tuple[int, int]:
    """(ISO year, ISO week) of a date in it or of its "2026-W41" label."""
    if isinstance(value, str):
        match = _ISO_WEEK.match(value)
        if match is None:
            raise ValueError(f"not an ISO week label: {value!r}")
        return int(match.group(1)), int(match.group(2))
    year, week, _ = value.isocalendar()
    return year, week


def week_label(value: dt.date | str, lang: str, form: str = "short") -> str:
    """An ISO week: "S41" (French) / "W41" (English), or CLDR's "semaine 41 de 2026"."""
    year, week = iso_week(value)
    if form == "short":
        return f"{_WEEK_LETTER.get(str(lang), 'W')}{week}"
    # CLDR's year-week skeleton, with the ISO numbers put in (Babel would number weeks
    # by the locale's own week rules, not ISO 8601 as Foyer's periods do).
    pattern = locale(lang).datetime_skeletons["yw"].pattern
    parts = pattern.split("'")
    for i in range(0, len(parts), 2):  # outside quotes: the fields
        parts[i] = re.sub(r"w+", str(week), re.sub(r"Y+", str(year), parts[i]))
    return "".join(parts)


class TextFormatter(Formatter):
    """`str.format` plus the specs of this module, for one language; a field named
    ``/<command>`` is the command's mention (`bot.i18n.commands.mention`)."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key.startswith("/"):
            return mention(key[1:], self.lang)
        return super().get_value(key, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        kind, _, arg = format_spec.partition(":")
        lang = self.lang
        if not format_spec and type(value) is int:  # a count: "1 234" / "1,234"
            return number(value, lang)
        if kind == "plural":
            return plural(value, arg.split("|"), lang)
        if kind == "number":
            decimals, signed = _digits(arg)
            return number(value, lang, decimals, signed)
        if kind == "percent":
            decimals, signed = _digits(arg)
            return percent(value, lang, decimals or 0, signed)
        if kind == "date":
            return date(value, lang, arg or "long")
        if kind == "time":
            return time(value, lang, arg or "short")
        if kind == "datetime":
            return datetime_(value, lang)
        if kind == "duration":
            if not isinstance(value, dt.timedelta):
                raise TypeError(f"duration takes a timedelta, not {type(value).__name__}")
            return duration(value, lang, arg or None)
        if kind == "language":
            return language_name(value, lang)
        if kind == "week":
            return week_label(value, lang, arg or "short")
        return super().format_field(value, format_spec)


SPEC_KINDS = frozenset(
    {"plural", "number", "percent", "date", "time", "datetime", "duration", "language", "week"}
)


def specs(text: str) -> Iterable[tuple[str, str]]:
    """(field, spec) of every field of `text` that has a spec, for the catalogue's tests."""
    for _, name, spec, _ in Formatter().parse(text):
        if name is not None and spec:
            yield name, spec
