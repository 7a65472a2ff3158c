"""Spotlight ranking: the formula by hand, every exclusion, and the reasons in both
languages."""

from __future__ import annotations

import pytest

from bot.spotlight.ranking import (
    ContributionStats,
    Exclusion,
    MemberStatus,
    exclusion,
    rank,
    reasons,
    score,
)

# A: 10 answers to 5 members, 2 conversations, 1 ritual day, 30 reactions (20 counted)
#    = 3*5 + min(10, 15) + 2*2 + 2*1 + 0.5*20 = 15 + 10 + 4 + 2 + 10 = 41
A = ContributionStats(1, peer_given=10, members_helped=5, conversations_started=2,
                      ritual_days=1, reactions_received=30)  # fmt: skip
# B: 40 answers, all to one member, 4 reactions = 3*1 + min(40, 3) + 0.5*4 = 8
B = ContributionStats(2, peer_given=40, members_helped=1, reactions_received=4)
# C: 6 answers to 4 members, 1 conversation, 3 ritual days = 12 + 6 + 2 + 6 = 26
C = ContributionStats(3, peer_given=6, members_helped=4, conversations_started=1, ritual_days=3)


def test_scores_by_hand() -> None:
    assert score(A) == 41.0
    assert score(B) == 8.0
    assert score(C) == 26.0


def test_volume_to_one_person_does_not_beat_helping_many() -> None:
    assert [c.stats.user_id for c in rank([B, C, A], {})] == [1, 3, 2]


def test_limit_and_ties_are_stable() -> None:
    twins = [ContributionStats(uid, peer_given=2, members_helped=2) for uid in (9, 7, 8)]
    more_helped = ContributionStats(10, peer_given=1, members_helped=3)
    ranked = rank([*twins, more_helped], {}, limit=3)
    # twins score 3*2 + 2 = 8; more_helped 3*3 + min(1, 9) = 10
    assert [c.stats.user_id for c in ranked] == [10, 7, 8]
    assert [c.score for c in ranked] == [10.0, 8.0, 8.0]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (MemberStatus(is_staff=True), Exclusion.STAFF),
        (MemberStatus(is_bot=True), Exclusion.BOT),
        (MemberStatus(opted_out=True), Exclusion.OPTED_OUT),
        (MemberStatus(refused=True), Exclusion.REFUSED),
        (MemberStatus(left=True), Exclusion.LEFT),
        (MemberStatus(spotlighted_recently=True), Exclusion.RECENTLY_SPOTLIGHTED),
        (MemberStatus(), None),
    ],
)
def test_each_exclusion(status: MemberStatus, expected: Exclusion | None) -> None:
    assert exclusion(A, status) is expected
    ranked = rank([A, C], {A.user_id: status})
    assert (A.user_id in [c.stats.user_id for c in ranked]) is (expected is None)


def test_no_peer_interaction_is_excluded_however_popular() -> None:
    lurker = ContributionStats(4, conversations_started=9, ritual_days=9, reactions_received=99)
    assert exclusion(lurker, MemberStatus()) is Exclusion.NO_PEER_INTERACTION
    assert rank([lurker], {}) == []


def test_reasons_in_english() -> None:
    assert reasons(A, "en") == [
        "answered 5 members (10 answers)",
        "started 2 conversations",
        "took part in rituals on 1 day",
        "received 30 reactions from other members",
    ]


def test_reasons_in_french() -> None:
    assert reasons(A, "fr") == [
        "a répondu à 5 membres (10 réponses)",
        "a lancé 2 conversations",
        "a participé aux rituels sur 1 jour",
        "a reçu 30 réactions d'autres membres",
    ]


def test_reasons_singular_and_zero_parts_left_out() -> None:
    one = ContributionStats(5, peer_given=1, members_helped=1)
    assert reasons(one, "en") == ["answered 1 member (1 answer)"]
    assert reasons(one, "fr") == ["a répondu à 1 membre (1 réponse)"]
