"""The chart is a valid PNG in the guild's language, with or without data."""

from __future__ import annotations

import io
from datetime import date, timedelta

import matplotlib.image as mpimg

from bot.metrics.chart import health_chart
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
