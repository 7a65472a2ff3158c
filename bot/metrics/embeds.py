"""The /health answer and the weekly digest as Discord embeds: action first (the first
embed opens with the weak signals: sentence, evidence, one thing to try; or what was
checked), then one embed per family, the newcomer funnel and rituals, and the chart,
within Discord's limits: at most 10 embeds and 6,000 characters in all."""

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
SIGNAL = 0xF78C6B  # the first embed's colour when a signal fired
MAX_TOTAL = 6000  # characters in all the embeds of one message
MAX_DESCRIPTION = 4096  # characters in one embed's description
# The compact digest's figures, one or two per family of the source article (why these:
# docs/metrics.md, "Weekly digest"): who takes part, whether newcomers stay and members
# leave, whether members help each other, whether they would recommend the community.
KEY_FIGURES = (
    "participation.active_members",
    "retention.week4_conversion",
    "retention.churn",
    "contribution.peer_interactions",
    "contribution.horizontal_share",
    "advocacy.nps",
)


def health_embeds(report: HealthReport, *, title_key: str = "health.title") -> list[discord.Embed]:
    lang = report.lang
    head = render.header(report)
    digest = title_key == "health.digest.title"
    intro = [t("health.digest.intro", lang, days=report.period.days), ""] if digest else []
    signal_lines = render.signal_lines(report)
    after = ["", *head[1:], "", t("health.legend", lang)]
    overview = discord.Embed(
        title=t(title_key, lang, days=report.period.days),
        description="\n".join([*intro, *signal_lines, *after]),
        colour=SIGNAL if report.signals else NEUTRAL,
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
    chart = discord.Embed(title=t("health.chart.title", lang), colour=NEUTRAL)
    chart.set_image(url=f"attachment://{CHART_NAME}")
    embeds.append(chart)
    _fit(overview, intro, signal_lines, after, sum(len(e) for e in embeds))
    return embeds


def _fit(
    first: discord.Embed, before: list[str], signals: list[str], after: list[str], total: int
) -> None:
    """Keep the message within Discord's 6,000 characters (and the description's 4,096):
    many signals at once are cut at the end of the signals, before the period lines (the
    full list is in `foyer report`)."""
    over = max(total - MAX_TOTAL, len(first.description or "") - MAX_DESCRIPTION)
    if over <= 0:
        return
    kept = list(signals)
    over += 2  # room for the "…" line
    while over > 0 and kept:
        over -= len(kept.pop()) + 1
    if len(kept) < len(signals):
        first.description = "\n".join([*before, *kept, "…", *after])


def compact_digest_embed(report: HealthReport) -> discord.Embed:
    """The compact digest: the signals (or what was checked), then the six key figures with
    their arrows in one field, and no chart. One embed with one field and no attachment is
    its shape (`bot.metrics.job.is_digest`)."""
    lang = report.lang
    head = render.header(report)
    intro = [t("health.digest.intro", lang, days=report.period.days), ""]
    signal_lines = render.signal_lines(report)
    after = ["", *head[1:]]
    embed = discord.Embed(
        title=t("health.digest.title", lang, days=report.period.days),
        description="\n".join([*intro, *signal_lines, *after]),
        colour=SIGNAL if report.signals else NEUTRAL,
    )
    figures = [render.figure_line(report.figure(key), lang) for key in KEY_FIGURES]
    embed.add_field(
        name=t("digest.key_figures", lang), value="\n".join(figures)[:1024], inline=False
    )
    _fit(embed, intro, signal_lines, after, len(embed))
    return embed
