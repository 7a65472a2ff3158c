"""The newcomer funnel, on hand-computed cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.welcome.funnel import (
    NewcomerFacts,
    Share,
    compute_funnel,
    peer_reply_seconds,
    stayed_a_week,
    week4_days,
)

END = datetime(2026, 11, 26, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


def facts() -> list[NewcomerFacts]:
    j1, j2, j3, j4, j5, j6 = (
        END - 40 * D,
        END - 30 * D,
        END - 10 * D,
        END - 5 * D,
        END - 2 * D,
        END - 20 * D,
    )
    return [
        # 1: introduced, answered after 1 h, stayed, active in week 4
        NewcomerFacts(
            j1, j1 + 10 * timedelta(minutes=1), j1 + 70 * timedelta(minutes=1), active_week4=True
        ),
        # 2: introduced, answered after 3 h, left on day 3, silent in week 4
        NewcomerFacts(j2, j2 + H, j2 + 4 * H, left_at=j2 + 3 * D),
        # 3: introduced, only staff answered, still there
        NewcomerFacts(j3, j3 + H, None, staff_answered_at=j3 + 2 * H),
        # 4: never introduced, left after a day (first week not over at END)
        NewcomerFacts(j4, left_at=j4 + D),
        # 5: introduced an hour before END, answered 30 min later
        NewcomerFacts(j5, END - H, END - 30 * timedelta(minutes=1)),
        # 6: opted out: only counted as a join
        NewcomerFacts(j6, j6 + H, j6 + 2 * H, opted_out=True),
    ]


def test_funnel_hand_computed() -> None:
    funnel = compute_funnel(facts(), END)
    assert funnel.joined == 6
    assert funnel.introduced == Share(4, 5)
    assert funnel.answered == Share(3, 4)
    # delays 3600, 10800, 1800 -> median 3600
    assert funnel.median_seconds_to_first_peer_reply == 3600
    # introductions at least 48 h old: 1, 2, 3; answered within 48 h: 1, 2
    assert funnel.answered_within_48h == Share(2, 3)
    assert funnel.staff_only == 1
    assert funnel.left_before_introducing == 1  # 4
    # first week over for 1, 2, 3; 2 left on day 3
    assert funnel.still_there_after_7_days == Share(2, 3)
    # joined 28+ days before END: 1, 2; active in week 4: 1
    assert funnel.active_in_week_4 == Share(1, 2)
    assert funnel.active_in_week_4.rate == 0.5


def test_empty_funnel_has_no_rates() -> None:
    funnel = compute_funnel([], END)
    assert funnel.joined == 0
    assert funnel.introduced.rate is None
    assert funnel.median_seconds_to_first_peer_reply is None


def test_even_number_of_delays_takes_the_middle_mean() -> None:
    j = END - 3 * D
    rows = [NewcomerFacts(j, j, j + s * timedelta(seconds=1)) for s in (10, 20, 30, 100)]
    assert compute_funnel(rows, END).median_seconds_to_first_peer_reply == 25


def test_stayed_a_week_boundaries() -> None:
    j = END - 7 * D
    assert stayed_a_week(NewcomerFacts(j), END) is True
    assert stayed_a_week(NewcomerFacts(j, left_at=j + 7 * D), END) is True
    assert stayed_a_week(NewcomerFacts(j, left_at=j + 7 * D - H), END) is False
    assert stayed_a_week(NewcomerFacts(j + H), END) is None


def test_peer_reply_needs_both_times_and_week4_days() -> None:
    assert peer_reply_seconds(NewcomerFacts(END, None, END)) is None
    assert week4_days(datetime(2026, 1, 1, 23, tzinfo=UTC)) == (
        date(2026, 1, 22),
        date(2026, 1, 29),
    )
