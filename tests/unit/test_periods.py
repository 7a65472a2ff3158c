"""Periods and ISO weeks, checked against dates worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.periods import (
    Period,
    local_date,
    parse_period,
    period_ending,
    week_of,
    weeks_back,
    weeks_for,
)

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # a Thursday


def test_period_ends_at_the_end_of_today_utc() -> None:
    period = period_ending(NOW, 28)
    assert period.end == datetime(2026, 11, 27, tzinfo=UTC)
    assert period.start == datetime(2026, 10, 30, tzinfo=UTC)
    assert period.days == 28
    assert (period.first_day, period.end_day) == (date(2026, 10, 30), date(2026, 11, 27))


def test_previous_period_has_equal_length_and_touches() -> None:
    period = period_ending(NOW, 7)
    previous = period.previous()
    assert previous.end == period.start
    assert previous.start == datetime(2026, 11, 13, tzinfo=UTC)
    assert previous.days == 7


def test_half_open_bounds() -> None:
    period = period_ending(NOW, 7)
    assert period.contains(period.start)
    assert not period.contains(period.end)
    assert period.contains_day(date(2026, 11, 26))
    assert not period.contains_day(date(2026, 11, 27))
    assert not period.contains_day(date(2026, 11, 19))


def test_parse_period() -> None:
    assert [parse_period(p) for p in ("7d", "28d", "90D")] == [7, 28, 90]
    with pytest.raises(ValueError):
        parse_period("30d")


def test_bad_periods_are_refused() -> None:
    with pytest.raises(ValueError):
        Period(datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        Period(datetime(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(ValueError):
        period_ending(NOW, 0)


def test_iso_weeks_in_the_guild_zone() -> None:
    # Sunday 23:30 UTC is already Monday 00:30 in Paris (UTC+1 in November): a new week.
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    paris = ZoneInfo("Europe/Paris")
    assert local_date(sunday_night, paris) == date(2026, 11, 30)
    assert week_of(local_date(sunday_night, paris)).label == "2026-W49"
    assert week_of(local_date(sunday_night, ZoneInfo("UTC"))).label == "2026-W48"


def test_week_labels_and_bounds() -> None:
    week = week_of(date(2026, 11, 26))
    assert week.first_day == date(2026, 11, 23)
    assert week.end_day == date(2026, 11, 30)
    assert week.label == "2026-W48"
    # ISO year differs from the calendar year around New Year.
    assert week_of(date(2027, 1, 1)).label == "2026-W53"


def test_weeks_back_and_weeks_for() -> None:
    utc = ZoneInfo("UTC")
    weeks = weeks_back(NOW, utc, 3)
    assert [w.label for w in weeks] == ["2026-W46", "2026-W47", "2026-W48"]
    assert len(weeks_for(period_ending(NOW, 7), NOW, utc)) == 8
    ninety = weeks_for(period_ending(NOW, 90), NOW, utc)
    assert len(ninety) == 14 and ninety[-1].label == "2026-W48"
