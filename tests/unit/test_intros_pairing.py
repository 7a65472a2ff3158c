"""The introductions' draw (bot.intros.pairing): everyone in one group, pairs and one
group of three when odd, the same draw for the same round, no pair of the last rounds."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from bot.intros.pairing import draw, pairs_in, round_seed

MONDAY = datetime(2026, 10, 5, 8, tzinfo=UTC)


def test_seven_members_make_two_pairs_and_one_group_of_three() -> None:
    groups = draw(range(1, 8), (), round_seed(1, MONDAY))
    assert sorted(len(g) for g in groups) == [2, 2, 3]
    assert sorted(itertools.chain(*groups)) == list(range(1, 8))


def test_a_retry_draws_the_same_and_another_round_differs() -> None:
    members = list(range(1, 21))
    first = draw(members, (), round_seed(1, MONDAY))
    assert draw(list(reversed(members)), (), round_seed(1, MONDAY)) == first
    assert draw(members, (), round_seed(1, MONDAY + timedelta(days=7))) != first
    assert draw(members, (), round_seed(2, MONDAY)) != first


def test_no_pair_of_the_last_rounds_when_another_draw_avoids_it() -> None:
    members = list(range(1, 9))
    recent: set[frozenset[int]] = set()
    for week in range(6):  # six rounds in a row, each remembering the ones before
        groups = draw(members, recent, round_seed(1, MONDAY + timedelta(days=7 * week)))
        met = set().union(*(pairs_in(g) for g in groups))
        assert not met & recent, week
        recent |= met


def test_fewer_than_two_members_make_no_round() -> None:
    assert draw([5], (), 1) == [] and draw([], (), 1) == []
    assert draw([1, 2, 3], (), 1) == [(1, 2, 3)]
    assert pairs_in((1, 2, 3)) == {frozenset({1, 2}), frozenset({1, 3}), frozenset({2, 3})}
