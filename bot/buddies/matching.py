"""Who becomes a newcomer's buddy: by load and topic roles only, never from who talks to
whom (Discord's Developer Policy forbids profiling relationships).

The order, as the issue states it: fewest current newcomers first, then the most topic
roles shared with the newcomer, never the buddy given last when someone else is free,
never a staff member unless the admin allows it. Ties go to the longest-standing
volunteer, then the smallest id, so the pick is the same on every retry.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Candidate:
    """A volunteer as the pick sees them: their load now and what Discord says of them."""

    user_id: int
    capacity: int
    load: int  # newcomers they are buddy to right now
    topics: frozenset[int]
    joined_at: datetime
    present: bool = True  # still on the server
    staff: bool = False

    @property
    def free(self) -> bool:
        return self.load < self.capacity


def pick_buddy(
    candidates: Sequence[Candidate],
    newcomer_topics: Collection[int],
    *,
    last_buddy_id: int | None,
    exclude: Collection[int] = (),
    allow_staff: bool = False,
) -> Candidate | None:
    """The buddy for this newcomer, or None when nobody is free (the newcomer waits)."""
    wanted = set(newcomer_topics)
    free = [
        c
        for c in candidates
        if c.present and c.free and c.user_id not in exclude and (allow_staff or not c.staff)
    ]
    if not free:
        return None
    others = [c for c in free if c.user_id != last_buddy_id]
    pool = others or free  # the same person twice in a row only when nobody else is free
    return min(pool, key=lambda c: (c.load, -len(c.topics & wanted), c.joined_at, c.user_id))
