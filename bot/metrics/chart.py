"""The /health chart: one PNG with four small panels, in the guild's language.

Weekly active members and communicators, horizontal share, ritual participants, and the
newcomer funnel, in the palette of `bot/chart_style.py`. The week in progress is drawn apart
(a hollow point not joined to the line, an outlined bar); a funnel stage whose base is empty is not
given to it (it would be a 0 bar for something nobody could reach yet).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.chart_style import ACCENT, GRID, INK, MAIN, MUTED, SECOND, new_figure, style_panel
from bot.i18n import t
from bot.i18n.formatting import week_label
from bot.metrics.data import WeekActivity

if TYPE_CHECKING:  # matplotlib and numpy are imported on the first drawing, not at start-up
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _week_ticks(ax: Axes, weeks: list[WeekActivity], lang: str) -> None:
    """ISO week labels as the language writes them ("S41", "W41"); the series ends with the
    current week, still in progress, which is starred (and drawn apart by `_line`) so that
    its low figures do not read as a collapse."""
    labels = [week_label(w.label, lang) for w in weeks]
    if labels:
        labels[-1] += "*"
    ax.set_xticks(range(len(weeks)), labels, rotation=0)


def _line(
    ax: Axes, points: list[tuple[int, float]], current: int, color: str, label: str | None = None
) -> None:
    """A weekly line that stops at the last finished week; the unfinished week at `current`
    is a hollow point of its own, not joined to it, so a young week never reads as a fall
    (a dashed segment down to it still did)."""
    done = [p for p in points if p[0] != current]
    young = [p for p in points if p[0] == current]
    if done:
        ax.plot([p[0] for p in done], [p[1] for p in done], marker="o", color=color, label=label)
    if young:
        ax.plot(
            [young[0][0]],
            [young[0][1]],
            marker="o",
            markerfacecolor="white",
            markeredgecolor=color,
            linestyle="",
            label=None if done else label,
        )


def _no_data(ax: Axes, lang: str) -> None:
    ax.text(
        0.5,
        0.5,
        t("health.chart.no_data", lang),
        ha="center",
        va="center",
        color=MUTED,
        transform=ax.transAxes,
    )


def health_chart(weekly: list[WeekActivity], funnel: list[tuple[str, int]], lang: str) -> bytes:
    """PNG bytes of the four panels."""
    fig = chart_figure(weekly, funnel, lang)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def chart_figure(weekly: list[WeekActivity], funnel: list[tuple[str, int]], lang: str) -> Figure:
    """The four panels, drawn (tests read its lines and bars)."""
    fig = new_figure(figsize=(11, 7), dpi=100)
    axes = fig.subplots(2, 2)
    fig.suptitle(t("health.chart.title", lang), fontsize=14, color=INK, x=0.01, ha="left")
    x = list(range(len(weekly)))
    activity, share, rituals, funnel_ax = axes[0][0], axes[0][1], axes[1][0], axes[1][1]

    current = len(weekly) - 1  # the series ends with the week in progress
    style_panel(activity, t("health.chart.activity_title", lang))
    _line(
        activity,
        [(i, w.active_members) for i, w in enumerate(weekly)],
        current,
        MAIN,
        t("health.chart.active", lang),
    )
    _line(
        activity,
        [(i, w.communicators) for i, w in enumerate(weekly)],
        current,
        SECOND,
        t("health.chart.communicators", lang),
    )
    activity.set_ylabel(t("health.chart.people", lang), color=INK, fontsize=9)
    activity.set_ylim(bottom=0)
    activity.legend(frameon=False, fontsize=8, loc="best")
    _week_ticks(activity, weekly, lang)

    style_panel(share, t("health.chart.horizontal_title", lang))
    points = [
        (i, 100 * w.peer_interactions / (w.peer_interactions + w.staff_interactions))
        for i, w in enumerate(weekly)
        if w.peer_interactions + w.staff_interactions
    ]
    if points:
        _line(share, points, current, ACCENT)
    else:
        _no_data(share, lang)
    share.set_ylim(0, 100)
    share.set_xlim(-0.5, len(weekly) - 0.5)
    share.set_ylabel(t("health.chart.share", lang), color=INK, fontsize=9)
    _week_ticks(share, weekly, lang)

    style_panel(rituals, t("health.chart.rituals_title", lang))
    bars = rituals.bar(x, [w.ritual_participants for w in weekly], color=SECOND, width=0.6)
    if weekly:  # the week in progress: an outline, not a solid bar
        bars[current].set_facecolor("white")
        bars[current].set_edgecolor(SECOND)
        bars[current].set_hatch("//")
    rituals.set_ylabel(t("health.chart.participants", lang), color=INK, fontsize=9)
    if not any(w.ritual_participants for w in weekly):
        _no_data(rituals, lang)
    _week_ticks(rituals, weekly, lang)
    for ax in (activity, share, rituals):
        ax.set_xlabel(t("health.chart.week", lang), color=INK, fontsize=9)

    style_panel(funnel_ax, t("health.chart.funnel_title", lang))
    names = [t(f"health.funnel.{stage}", lang) for stage, _ in funnel]
    counts = [count for _, count in funnel]
    funnel_ax.barh(range(len(funnel)), counts, color=MAIN, height=0.6)
    funnel_ax.set_yticks(range(len(funnel)), names)
    funnel_ax.invert_yaxis()
    funnel_ax.grid(axis="x", color=GRID, linewidth=0.8)
    funnel_ax.grid(axis="y", visible=False)
    for i, count in enumerate(counts):
        funnel_ax.text(count, i, f" {count}", va="center", color=INK, fontsize=9)
    if not any(counts):
        _no_data(funnel_ax, lang)

    fig.text(0.01, 0.01, t("health.chart.in_progress", lang), color=MUTED, fontsize=8)
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    return fig
