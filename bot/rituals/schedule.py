"""A ritual's schedule as stored in its row (weekday bitmask or monthly rule, local hour
and minute) and as the scheduler reads it (`bot.scheduling` rules)."""

from __future__ import annotations

from datetime import time

from bot.db.models import Ritual
from bot.errors import FoyerError
from bot.rituals import options
from bot.scheduling import MonthlyNth, Rule, Weekly


def job_key(ritual_id: int) -> str:
    return f"ritual:{ritual_id}"


def rule_of(ritual: Ritual) -> Rule:
    at = time(ritual.hour, ritual.minute)
    if ritual.kind == "monthly" and ritual.nth is not None and ritual.weekday is not None:
        return MonthlyNth(ritual.nth, ritual.weekday, at)
    return Weekly(frozenset(d for d in range(7) if ritual.weekdays >> d & 1), at)


def store_rule(ritual: Ritual, rule: Rule) -> None:
    ritual.hour, ritual.minute = rule.at.hour, rule.at.minute
    if isinstance(rule, MonthlyNth):
        ritual.kind, ritual.nth, ritual.weekday, ritual.weekdays = (
            "monthly",
            rule.nth,
            rule.weekday,
            1 << rule.weekday,
        )
    else:
        ritual.kind, ritual.nth, ritual.weekday = "weekly", None, None
        ritual.weekdays = sum(1 << d for d in rule.weekdays)


def merged_rule(
    ritual: Ritual, days_text: str | None, at_text: str | None, week_of_month: int | None
) -> Rule | None:
    """The schedule after the given changes (None: unchanged). Parts not given keep their
    current value; giving `days` without `week_of_month` makes the ritual weekly."""
    if days_text is None and at_text is None and week_of_month is None:
        return None
    current = rule_of(ritual) if ritual.kind else None
    if days_text is not None:
        days: frozenset[int] | None = options.parse_days(days_text)
    elif isinstance(current, MonthlyNth):
        days = frozenset({current.weekday})
    else:
        days = current.weekdays if current else None
    at = options.parse_time(at_text) if at_text is not None else current.at if current else None
    if at is None:
        raise FoyerError("rituals.missing.time")
    if days is None:
        raise FoyerError("rituals.missing.days")
    week = week_of_month
    if week is None and days_text is None and isinstance(current, MonthlyNth):
        week = current.nth
    return options.build_rule(days, at, week)
