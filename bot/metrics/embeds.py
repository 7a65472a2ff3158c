"""The /health answer and the weekly digest as Discord embeds (one per family, then the
newcomer funnel and rituals, then the signals with the chart), within Discord's limits:
at most 10 embeds and 6,000 characters in all."""

from __future__ import annotations

import discord

from bot.i18n import t
from bot.metrics import render
from bot.metrics.figures import FAMILIES
from bot.metrics.summary import HealthReport

CHART_NAME = "health.png"
COLOURS = {
    "participation": 0x118AB2,
    "retention": 0x06D6A0,
    "contribution": 0xEF476F,
    "advocacy": 0xFFD166,
}
NEUTRAL = 0x8D99AE
MAX_TOTAL = 6000  # characters in all the embeds of one message


def health_embeds(report: HealthReport, *, title_key: str = "health.title") -> list[discord.Embed]:
    lang = report.lang
    head = render.header(report)
    digest = title_key == "health.digest.title"
    intro = [t("health.digest.intro", lang, days=report.period.days), ""] if digest else []
    overview = discord.Embed(
        title=t(title_key, lang, days=report.period.days),
        description="\n".join([*intro, *head[1:], "", t("health.legend", lang)]),
        colour=NEUTRAL,
    )
    embeds = [overview]
    for family in FAMILIES:
        embeds.append(
            discord.Embed(
                title=t(f"health.family.{family}", lang),
                description="\n".join(render.family_lines(report, family)),
                colour=COLOURS[family],
            )
        )
    newcomers = discord.Embed(title=t("health.funnel.title", lang), colour=NEUTRAL)
    newcomers.description = "\n".join(render.funnel_lines(report))
    cohorts = render.cohort_lines(report)
    newcomers.add_field(
        name=t("health.cohorts.title", lang),
        value="```\n" + "\n".join(cohorts) + "\n```",
        inline=False,
    )
    newcomers.add_field(
        name=t("health.rituals.title", lang),
        value="\n".join(render.ritual_lines(report))[:1024],
        inline=False,
    )
    embeds.append(newcomers)
    signals = discord.Embed(
        title=t("health.signals.title", lang),
        description="\n".join(render.signal_lines(report)),
        colour=0xF78C6B if report.signals else NEUTRAL,
    )
    signals.set_image(url=f"attachment://{CHART_NAME}")
    embeds.append(signals)
    _fit(signals, sum(len(e) for e in embeds))
    return embeds


def _fit(last: discord.Embed, total: int) -> None:
    """Keep the message within Discord's 6,000 characters: many rituals and signals at
    once are cut at the end of the signals (the full list is in `foyer report`)."""
    excess = total - MAX_TOTAL
    if excess > 0 and last.description:
        last.description = last.description[: max(0, len(last.description) - excess - 1)] + "…"
