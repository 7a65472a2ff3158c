"""The buddy pick (bot.buddies.matching): load first, then topics, never the same buddy
twice in a row when someone else is free, staff only when allowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.buddies.matching import Candidate, pick_buddy

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def vol(user_id: int, *, load: int = 0, capacity: int = 2, topics: tuple[int, ...] = (),
        day: int = 0, present: bool = True, staff: bool = False) -> Candidate:  # fmt: skip
    return Candidate(
        user_id, capacity, load, frozenset(topics), T0 + timedelta(days=day), present, staff
    )


def test_fewest_current_newcomers_first() -> None:
    chosen = pick_buddy([vol(1, load=1), vol(2, load=0, day=5)], (), last_buddy_id=None)
    assert chosen is not None and chosen.user_id == 2


def test_then_the_most_shared_topics() -> None:
    people = [vol(1, topics=(10,)), vol(2, topics=(10, 11), day=3), vol(3, day=1)]
    chosen = pick_buddy(people, {10, 11, 12}, last_buddy_id=None)
    assert chosen is not None and chosen.user_id == 2


def test_never_twice_in_a_row_when_another_is_free() -> None:
    people = [vol(1), vol(2, load=1)]
    chosen = pick_buddy(people, (), last_buddy_id=1)
    assert chosen is not None and chosen.user_id == 2  # more loaded, but not the last one
    alone = pick_buddy([vol(1)], (), last_buddy_id=1)
    assert alone is not None and alone.user_id == 1  # nobody else free: the same again


def test_full_absent_excluded_and_staff_are_not_picked() -> None:
    people = [vol(1, load=2), vol(2, present=False), vol(3), vol(4, staff=True)]
    assert pick_buddy(people, (), last_buddy_id=None, exclude={3}) is None
    allowed = pick_buddy(people, (), last_buddy_id=None, exclude={3}, allow_staff=True)
    assert allowed is not None and allowed.user_id == 4


def test_ties_go_to_the_longest_standing_volunteer() -> None:
    chosen = pick_buddy([vol(9, day=0), vol(3, day=2)], (), last_buddy_id=None)
    assert chosen is not None and chosen.user_id == 9
