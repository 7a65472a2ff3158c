"""The chart is a valid PNG in the guild's language, with or without data."""

from __future__ import annotations

import io
from datetime import date, timedelta

import matplotlib.image as mpimg

from bot.metrics.chart import chart_figure, health_chart
from bot.metrics.data import WeekActivity

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def weeks(n: int = 8, empty: bool = False) -> list[WeekActivity]:
    start = date(2026, 10, 5)
    return [
        WeekActivity(
            f"2026-W{41 + i}",
            start + timedelta(weeks=i),
            0 if empty else 10 + i,
            0 if empty else 3,
            0 if empty else 50,
            0 if empty else 6,
            0 if empty else 4,
            0 if empty else i % 3,
        )
        for i in range(n)
    ]


FUNNEL = [("joined", 12), ("introduced", 8), ("answered", 5), ("stayed", 10), ("week4", 4)]


def decode(png: bytes) -> tuple[int, ...]:
    assert png.startswith(PNG_SIGNATURE)
    return mpimg.imread(io.BytesIO(png), format="png").shape


def test_chart_is_a_decodable_png() -> None:
    height, width, _channels = decode(health_chart(weeks(), FUNNEL, "en"))
    assert (width, height) == (1100, 700)


def test_chart_without_data_still_renders() -> None:
    empty = [(stage, 0) for stage, _ in FUNNEL]
    assert decode(health_chart(weeks(empty=True), empty, "fr"))[0] == 700


def test_languages_give_different_images() -> None:
    assert health_chart(weeks(), FUNNEL, "fr") != health_chart(weeks(), FUNNEL, "en")


def test_the_week_in_progress_is_drawn_apart() -> None:
    """Its point is hollow and not joined to the line of the finished weeks: however low,
    no line falls to it."""
    series = weeks(4)
    for panel in (0, 1):  # active members and communicators; horizontal share
        lines = chart_figure(series, FUNNEL, "en").axes[panel].get_lines()
        joined = [list(line.get_xdata()) for line in lines if line.get_linestyle() != "None"]
        hollow = [list(line.get_xdata()) for line in lines if line.get_markerfacecolor() == "white"]
        assert joined and all(xs == [0, 1, 2] for xs in joined)
        assert hollow and all(xs == [3] for xs in hollow)
    rituals = chart_figure(series, FUNNEL, "en").axes[2]
    faces = [bar.get_facecolor()[:3] for bar in rituals.patches]
    white = (1.0, 1.0, 1.0)
    assert faces[-1] == white and white not in faces[:-1]  # an outlined bar, the others full


def test_a_single_week_in_progress_is_a_hollow_point() -> None:
    activity = chart_figure(weeks(1), FUNNEL, "fr").axes[0]
    styles = [(line.get_linestyle(), list(line.get_xdata())) for line in activity.get_lines()]
    assert ("-", [0]) not in styles  # no finished week to draw solid


def test_a_stage_left_out_is_not_a_zero_bar() -> None:
    measurable = [("joined", 3), ("introduced", 2), ("answered", 1)]
    funnel = chart_figure(weeks(), measurable, "en").axes[3]
    labels = [label.get_text() for label in funnel.get_yticklabels()]
    assert labels == ["Joined", "Introduced themselves", "Got a peer reply"]
    assert len(funnel.patches) == 3
