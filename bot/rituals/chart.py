"""The `/ritual stats` chart: participants per occurrence, first-timers highlighted.

Drawn on a `Figure` with the Agg canvas (never pyplot), in the palette of
`bot/chart_style.py`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.chart_style import GRID, INK, MAIN, MUTED, SECOND, integer_ticks, new_figure
from bot.i18n import t
from bot.rituals.engagement import OccurrenceEngagement
from bot.rituals.render import date_text


def stats_chart(
    name: str, series: Sequence[OccurrenceEngagement], zone: ZoneInfo, lang: str
) -> bytes:
    fig = new_figure(figsize=(7, 3.2), dpi=100)
    ax = fig.subplots()
    x = list(range(len(series)))
    returning = [o.participants - o.first_timers for o in series]
    ax.bar(x, returning, color=MAIN, width=0.6, label=t("rituals.chart.returning", lang))
    ax.bar(
        x,
        [o.first_timers for o in series],
        bottom=returning,
        color=SECOND,
        width=0.6,
        label=t("rituals.chart.first_timers", lang),
    )
    ax.set_title(t("rituals.chart.title", lang, name=name), loc="left", color=INK, fontsize=11)
    ax.set_xticks(
        x, [date_text(o.scheduled_for.astimezone(zone), lang, short=True) for o in series]
    )
    ax.set_xlabel(t("rituals.chart.occurrence", lang), color=INK, fontsize=9)
    ax.tick_params(colors=INK, labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(MUTED)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    integer_ticks(ax)
    # Above the plot, right of the title: never over a bar.
    ax.legend(frameon=False, fontsize=8, loc="lower right", bbox_to_anchor=(1, 1), ncol=2)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()
