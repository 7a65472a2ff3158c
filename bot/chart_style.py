"""The palette and the axis style every Foyer chart shares (/health, /ritual stats).

Charts draw on a matplotlib `Figure` with the Agg canvas, never through pyplot: no global
figure registry to leak in a long-running bot, and safe to run in a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INK = "#2b2d42"
MUTED = "#8d99ae"
ACCENT = "#ef476f"
MAIN = "#118ab2"
SECOND = "#06d6a0"
GRID = "#e5e7eb"


def new_figure(figsize: tuple[float, float], dpi: int) -> Figure:
    """A `Figure` on the Agg canvas. matplotlib (and numpy under it: about 40 MB of the
    bot's memory) is imported here, on the first chart, not when the bot starts: most
    processes never draw one (benchmarks/gateway.py's peak RSS)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def integer_ticks(ax: Axes) -> None:
    """Integer ticks on the y axis (counts of people)."""
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def style_panel(ax: Axes, title: str) -> None:
    """Title on the left, light grid behind, integer ticks, no top or right spine."""
    ax.set_title(title, loc="left", fontsize=11, color=INK, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(MUTED)
    ax.tick_params(colors=INK, labelsize=8)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    integer_ticks(ax)
