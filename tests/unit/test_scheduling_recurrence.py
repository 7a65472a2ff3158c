"""Recurrence rules in IANA zones: local wall-clock times across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling import MonthlyNth, Recurrence, Weekly, local_to_utc

PARIS = ZoneInfo("Europe/Paris")
UTC_ZONE = ZoneInfo("UTC")
MONDAY_9 = Recurrence(Weekly(frozenset({0}), time(9, 0)), PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_ten_mondays_across_the_october_2026_change() -> None:
    got = list(MONDAY_9.between(utc(2026, 10, 1), utc(2026, 10, 1) + timedelta(weeks=10)))
    assert got == [
        utc(2026, 10, 5, 7),
        utc(2026, 10, 12, 7),
        utc(2026, 10, 19, 7),
        # 25 October 2026: back to UTC+1
        utc(2026, 10, 26, 8),
        utc(2026, 11, 2, 8),
        utc(2026, 11, 9, 8),
        utc(2026, 11, 16, 8),
        utc(2026, 11, 23, 8),
        utc(2026, 11, 30, 8),
        utc(2026, 12, 7, 8),
    ]
    assert all(w.astimezone(PARIS).time() == time(9, 0) for w in got)


def test_ten_mondays_across_the_march_2027_change() -> None:
    got = list(MONDAY_9.between(utc(2027, 2, 28), utc(2027, 2, 28) + timedelta(weeks=10)))
    assert got[:4] == [
        utc(2027, 3, 1, 8),
        utc(2027, 3, 8, 8),
        utc(2027, 3, 15, 8),
        utc(2027, 3, 22, 8),
    ]
    # 28 March 2027: UTC+2
    assert got[4:] == [utc(2027, 3, 29, 7) + timedelta(weeks=i) for i in range(6)]
    assert all(w.astimezone(PARIS).time() == time(9, 0) for w in got)


def test_nonexistent_time_shifts_forward_by_the_gap() -> None:
    # 02:30 does not exist in Paris on 28 March 2027: it happens at 03:30 local.
    when = local_to_utc(date(2027, 3, 28), time(2, 30), PARIS)
    assert when == utc(2027, 3, 28, 1, 30)
    assert when.astimezone(PARIS).replace(tzinfo=None) == datetime(2027, 3, 28, 3, 30)


def test_ambiguous_time_uses_the_first_occurrence() -> None:
    # 02:30 happens twice in Paris on 25 October 2026; the first one is still UTC+2.
    assert local_to_utc(date(2026, 10, 25), time(2, 30), PARIS) == utc(2026, 10, 25, 0, 30)


def test_sunday_0230_ritual_runs_once_on_both_change_days() -> None:
    rec = Recurrence(Weekly(frozenset({6}), time(2, 30)), PARIS)
    autumn = list(rec.between(utc(2026, 10, 24), utc(2026, 10, 26)))
    spring = list(rec.between(utc(2027, 3, 27), utc(2027, 3, 29)))
    assert autumn == [utc(2026, 10, 25, 0, 30)]
    assert spring == [utc(2027, 3, 28, 1, 30)]


def test_next_after_is_strict() -> None:
    assert MONDAY_9.next_after(utc(2026, 10, 5, 7)) == utc(2026, 10, 12, 7)
    assert MONDAY_9.next_after(utc(2026, 10, 5, 6, 59)) == utc(2026, 10, 5, 7)


def test_several_weekdays() -> None:
    rec = Recurrence(Weekly(frozenset({0, 4}), time(16, 0)), ZoneInfo("America/Montreal"))
    got = list(rec.between(utc(2026, 11, 1), utc(2026, 11, 10)))
    # Montreal is UTC-5 in November.
    assert got == [utc(2026, 11, 2, 21), utc(2026, 11, 6, 21), utc(2026, 11, 9, 21)]


def test_first_thursday_of_the_month() -> None:
    rec = Recurrence(MonthlyNth(1, 3, time(18, 0)), PARIS)
    got = list(rec.between(utc(2026, 11, 1), utc(2027, 4, 30)))
    assert [w.astimezone(PARIS).date() for w in got] == [
        date(2026, 11, 5),
        date(2026, 12, 3),
        date(2027, 1, 7),
        date(2027, 2, 4),
        date(2027, 3, 4),
        date(2027, 4, 1),
    ]
    assert got[-1] == utc(2027, 4, 1, 16)  # summer time
    assert got[0] == utc(2026, 11, 5, 17)


def test_last_and_fourth_weekday() -> None:
    last_friday = Recurrence(MonthlyNth(-1, 4, time(12, 0)), UTC_ZONE)
    fourth_friday = Recurrence(MonthlyNth(4, 4, time(12, 0)), UTC_ZONE)
    # January 2027 has five Fridays: 1, 8, 15, 22, 29.
    assert last_friday.next_after(utc(2027, 1, 1)).date() == date(2027, 1, 29)
    assert fourth_friday.next_after(utc(2027, 1, 1)).date() == date(2027, 1, 22)


@pytest.mark.parametrize("weekdays", [frozenset(), frozenset({7})])
def test_bad_weekly_rules_are_refused(weekdays: frozenset[int]) -> None:
    with pytest.raises(ValueError):
        Weekly(weekdays, time(9))


def test_bad_monthly_rules_are_refused() -> None:
    with pytest.raises(ValueError):
        MonthlyNth(5, 0, time(9))
    with pytest.raises(ValueError):
        MonthlyNth(1, 9, time(9))
