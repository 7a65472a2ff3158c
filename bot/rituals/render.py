"""How rituals read to an admin: schedules in words, the answers of `/ritual ...` (list,
stats, questions, preview), with Discord timestamps (`<t:...:F>`), which every member's
client shows in their own time zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from bot.db.models import Ritual, RitualQuestion, RunStatus, ScheduledRun
from bot.i18n import formatting, t
from bot.rituals.engagement import OccurrenceEngagement, is_fading
from bot.rituals.schedule import job_key, rule_of
from bot.scheduling import MonthlyNth

MESSAGE_LIMIT = 2000  # Discord's, for a message's content
STATS_LINES = 8  # occurrences listed by `/ritual stats` (the chart shows more)


def date_text(when: datetime | date, lang: str, *, short: bool = False) -> str:
    """A local date (pass `when` already in the ritual's zone) as the language writes it:
    "4 novembre 2026" / "November 4, 2026", or short ("4 nov." / "Nov 4") on a chart."""
    return formatting.date(when, lang, "MMMd" if short else "long")


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


def summary(key: str, ritual: Ritual, zone: str, next_run: datetime, lang: str) -> str:
    """What `/ritual add|edit|resume` answer: the ritual, its schedule, its next run; a
    ritual just added that asks questions also says how to give it some."""
    text = t(
        key,
        lang,
        name=ritual.name,
        schedule=describe_schedule(ritual, zone, lang),
        next=stamp(next_run),
    )
    if key == "rituals.added" and "{question}" in ritual.template:
        text += "\n" + t("rituals.questions.hint", lang)
    return text


def ritual_list(
    rituals: Sequence[tuple[Ritual, str]],
    next_runs: Mapping[str, datetime],
    last_runs: Mapping[str, ScheduledRun],
    budget: int,
    lang: str,
) -> str:
    """`/ritual list`: each ritual (with its zone's name) on one line, under the guild's
    posting budget."""
    lines = [t("rituals.list.header", lang, budget=budget)]
    for ritual, zone in rituals:
        key = job_key(ritual.id)
        lines.append(
            t(
                "rituals.list.line",
                lang,
                name=ritual.name,
                channel=f"<#{ritual.channel_id}>",
                schedule=describe_schedule(ritual, zone, lang),
                state=state_line(ritual, next_runs.get(key), last_runs.get(key), lang),
            )
        )
    return "\n".join(lines)[:MESSAGE_LIMIT]


def stats_text(name: str, series: Sequence[OccurrenceEngagement], lang: str) -> str:
    """`/ritual stats` above the chart: the latest occurrences' figures, and the fading
    warning when participation keeps dropping."""
    lines = [t("rituals.stats.header", lang, name=name, count=len(series))]
    for o in series[-STATS_LINES:]:
        lines.append(
            t(
                "rituals.stats.line", lang, when=f"<t:{int(o.scheduled_for.timestamp())}:d>",
                answers=o.answers, participants=o.participants, first_timers=o.first_timers,
            )
        )  # fmt: skip
    if is_fading([o.participants for o in series]):
        lines.append(t("rituals.stats.fading", lang))
    return "\n".join(lines)


def question_list(name: str, questions: Sequence[RitualQuestion], lang: str) -> str:
    """`/ritual questions list`: numbered, those asked this round ticked."""
    if not questions:
        return t("rituals.questions.empty", lang, name=name)
    return "\n".join(
        [t("rituals.questions.header", lang, name=name)]
        + [f"{i}. {'✅ ' if q.asked else ''}{q.text}" for i, q in enumerate(questions, 1)]
    )[:MESSAGE_LIMIT]


def preview(when: datetime, thread_name: str, body: str, lang: str) -> str:
    """`/ritual preview`: when the next post goes out, its thread's name, then the post."""
    header = t("rituals.preview.header", lang, when=stamp(when, relative=False), thread=thread_name)
    return f"{header}\n\n{body}"[:MESSAGE_LIMIT]
