"""Burst detection and pacing, driven by made-up times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.welcome.pacing import BurstDetector, Pacer, near_thread_limit

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_burst_starts_above_the_threshold_and_only_once() -> None:
    clock = ManualClock(T0)
    detector = BurstDetector()
    starts = []
    for _ in range(12):
        update = detector.observe(1, clock.now(), threshold=10)
        starts.append(update.started)
        clock.advance(timedelta(seconds=1))
    # joins 1..10 are within the threshold; the 11th starts the burst, the 12th continues it
    assert starts == [False] * 10 + [True, False]
    assert detector.active(1) and detector.number(1) == 1


def test_joins_spread_over_time_never_make_a_burst() -> None:
    clock = ManualClock(T0)
    detector = BurstDetector()
    for _ in range(100):
        assert not detector.observe(1, clock.now(), threshold=10).active
        clock.advance(timedelta(seconds=7))  # at most 9 joins in any 60 s window


def test_burst_ends_when_the_rate_falls_to_half_the_threshold() -> None:
    clock = ManualClock(T0)
    detector = BurstDetector()
    for _ in range(11):
        detector.observe(1, clock.now(), threshold=10)
    assert detector.active(1)
    clock.advance(timedelta(seconds=61))  # the window empties; this join is alone in it
    update = detector.observe(1, clock.now(), threshold=10)
    assert not update.active and not update.started
    for _ in range(11):
        update = detector.observe(1, clock.now(), threshold=10)
    assert update.active and detector.number(1) == 2  # a second burst, its own thread


def test_guilds_are_independent() -> None:
    detector = BurstDetector()
    for _ in range(11):
        detector.observe(1, T0, threshold=10)
    assert detector.active(1) and not detector.active(2)


def test_pacer_allows_its_capacity_then_one_per_interval() -> None:
    pacer = Pacer(capacity=3, interval=2.0)
    waits = [pacer.reserve(1, 100.0) for _ in range(6)]
    assert waits == [0.0, 0.0, 0.0, 2.0, 4.0, 6.0]


def test_pacer_refills_after_a_quiet_time_and_keys_are_independent() -> None:
    pacer = Pacer(capacity=2, interval=1.0)
    assert [pacer.reserve(1, 0.0) for _ in range(3)] == [0.0, 0.0, 1.0]
    assert pacer.reserve(2, 0.0) == 0.0
    assert [pacer.reserve(1, 50.0) for _ in range(2)] == [0.0, 0.0]


def test_two_hundred_joins_take_at_least_their_paced_time() -> None:
    pacer = Pacer(capacity=5, interval=1.0)
    waits = [pacer.reserve(1, 0.0) for _ in range(200)]
    assert max(waits) == pytest.approx(195.0)
    # never more than `capacity` actions in any one-interval window
    starts = sorted(waits)
    assert all(starts[i + 5] - starts[i] >= 1.0 - 1e-9 for i in range(len(starts) - 5))


def test_pacer_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Pacer(capacity=0)


def test_thread_limit_keeps_a_margin() -> None:
    assert not near_thread_limit(949)
    assert near_thread_limit(950)
