"""How a round pairs its members: at random, never from who talks to whom (Discord's
Developer Policy forbids profiling relationships), a group of three when the count is odd,
and never a pair that met in the last `HISTORY_ROUNDS` rounds when another draw avoids it.

The draw is seeded from the guild and the occurrence (`round_seed`), so a retry of the same
round after a crash draws the same pairs.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime

HISTORY_ROUNDS = 6
DRAWS = 200  # shuffles tried before settling for the draw with the fewest repeats

Group = tuple[int, ...]


def round_seed(guild_id: int, scheduled_for: datetime) -> int:
    when = scheduled_for.astimezone(UTC).isoformat()
    return int(hashlib.sha256(f"intros:{guild_id}@{when}".encode()).hexdigest()[:16], 16)


def pairs_in(group: Iterable[int]) -> set[frozenset[int]]:
    """Every pair of people inside a group (three for a group of three)."""
    return {frozenset(p) for p in itertools.combinations(sorted(group), 2)}


def _groups(order: Sequence[int]) -> list[Group]:
    groups = [tuple(order[i : i + 2]) for i in range(0, len(order) - 1, 2)]
    if len(order) % 2:
        groups[-1] = (*groups[-1], order[-1])
    return groups


def draw(members: Collection[int], recent: Collection[frozenset[int]], seed: int) -> list[Group]:
    """The round's groups: pairs, and one group of three if the count is odd; nobody alone
    (fewer than two members: no round)."""
    people = sorted(set(members))
    if len(people) < 2:
        return []
    rng = random.Random(seed)
    best: list[Group] = []
    fewest = None
    for _ in range(DRAWS):
        order = list(people)
        rng.shuffle(order)
        groups = _groups(order)
        repeats = sum(len(pairs_in(g) & set(recent)) for g in groups)
        if fewest is None or repeats < fewest:
            best, fewest = groups, repeats
        if repeats == 0:
            break
    return [tuple(sorted(g)) for g in best]
