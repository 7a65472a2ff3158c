"""How rituals read to an admin: schedules in words, and `/ritual list` lines with Discord
timestamps (`<t:...:F>`), which every member's client shows in their own time zone."""

from __future__ import annotations

from datetime import datetime

from bot.db.models import Ritual, RunStatus, ScheduledRun
from bot.i18n import t
from bot.rituals.schedule import rule_of
from bot.scheduling import MonthlyNth


def date_text(when: datetime, lang: str, *, short: bool = False) -> str:
    """A local date (pass `when` already in the ritual's zone) in the guild's style."""
    key = "rituals.date_short" if short else "rituals.date"
    return t(key, lang, y=f"{when:%Y}", m=f"{when:%m}", d=f"{when:%d}")


def stamp(when: datetime, *, relative: bool = True) -> str:
    """Full date and time (plus a relative hint), localised by each reader's client."""
    ts = int(when.timestamp())
    return f"<t:{ts}:F> (<t:{ts}:R>)" if relative else f"<t:{ts}:F>"


def describe_schedule(ritual: Ritual, zone: str, lang: str) -> str:
    rule = rule_of(ritual)
    at = f"{rule.at:%H:%M}"
    if isinstance(rule, MonthlyNth):
        return t(
            "rituals.schedule.monthly",
            lang,
            nth=t(f"rituals.nth.{rule.nth}", lang),
            day=t(f"rituals.day.{rule.weekday}", lang),
            time=at,
            zone=zone,
        )
    names = [t(f"rituals.day.{d}", lang) for d in sorted(rule.weekdays)]
    days = (
        names[0]
        if len(names) == 1
        else t("rituals.and", lang, first=", ".join(names[:-1]), last=names[-1])
    )
    return t("rituals.schedule.weekly", lang, days=days, time=at, zone=zone)


def reason_text(reason: str | None, lang: str) -> str:
    key = f"rituals.reason.{reason}"
    try:
        return t(key, lang)
    except KeyError:
        return t("rituals.reason.other", lang)


def state_line(
    ritual: Ritual, next_run: datetime | None, last: ScheduledRun | None, lang: str
) -> str:
    """Next run (or paused), then what happened to the latest occurrence, visibly when it
    was postponed or skipped by the budget."""
    parts = [
        t("rituals.list.paused", lang)
        if ritual.paused or next_run is None
        else t("rituals.list.next", lang, when=stamp(next_run))
    ]
    if last is not None:
        if last.status == RunStatus.POSTPONED and last.retry_at is not None:
            parts.append(t("rituals.list.postponed", lang, when=stamp(last.retry_at)))
        else:
            status = t(f"rituals.run.{int(last.status)}", lang)
            if last.status in (RunStatus.FAILED, RunStatus.SKIPPED):
                status += f" ({reason_text(last.reason, lang)})"
            ts = int(last.scheduled_for.timestamp())
            parts.append(t("rituals.list.last", lang, when=f"<t:{ts}:f>", status=status))
    return " · ".join(parts)
