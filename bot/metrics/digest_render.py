"""`/setup digest`'s answer, in the guild's language: what is saved and, in the guild's
time zone, when the next digest will be posted."""

from __future__ import annotations

from datetime import time

from discord import app_commands

from bot.i18n import cmd, t
from bot.metrics.digest_schedule import FORMATS
from bot.metrics.digest_settings import DigestStatus

# The options of `/setup digest`, declared here so the cog stays a thin adapter.
_OPTIONS = ("enabled", "day", "hour", "format")
OPTION_NAMES = {o: cmd(f"cmd.setup.opt.{o}") for o in _OPTIONS}
OPTION_DESCRIPTIONS = {o: cmd(f"cmd.setup.opt.{o}.description") for o in _OPTIONS}
DAY_CHOICES = [
    app_commands.Choice(name=cmd(f"cmd.setup.choice.day.{d}"), value=d) for d in range(7)
]
FORMAT_CHOICES = [app_commands.Choice(name=cmd(f"cmd.setup.choice.{f}"), value=f) for f in FORMATS]


def day_name(weekday: int, lang: str) -> str:
    return t(f"cmd.setup.choice.day.{weekday}", lang)


def status_text(status: DigestStatus, lang: str) -> str:
    plan = status.plan
    lines = [t("digest.saved", lang)] if status.saved else []
    if not plan.enabled:
        lines.append(t("digest.status.off", lang))
        return "\n".join(lines)
    lines.append(
        t(
            "digest.status.on",
            lang,
            day=day_name(plan.weekday, lang),
            at=time(plan.hour, 0),
            format=t(f"digest.format.{plan.format}", lang),
        )
    )
    if status.admin_channel_id is None:
        lines.append(t("digest.no_admin_channel", lang))
    elif status.next_at is not None:
        lines.append(
            t("digest.next", lang, when=status.next_at, zone=status.zone.key)
            + " "
            + t("digest.where", lang, channel=f"<#{status.admin_channel_id}>")
        )
    if status.note is not None:
        lines.append(t(f"digest.note.{status.note}", lang))
    return "\n".join(lines)
