"""The weekly series as small server-side SVG charts: one line per figure, no script, the
numbers in a title each point shows on hover and in the table beside it."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 320, 90, 6


def line_chart(values: Sequence[float | None], labels: Sequence[str], title: str) -> Markup:
    """A line over the weeks, scaled from 0 to the largest value; a missing week breaks it."""
    known = [v for v in values if v is not None]
    top = max(known, default=0) or 1
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    points, dots = [], []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        if value is None:
            continue
        x = PAD + i * step
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / top
        points.append(f"{x:.1f},{y:.1f}")
        shown = f"{value:g}"
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5">'
            f"<title>{escape(label)}: {escape(shown)}</title></circle>"
        )
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" '
        f'x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}"/>'
        f'<polyline points="{" ".join(points)}"/>' + "".join(dots) + "</svg>"
    )
    return Markup(svg)
