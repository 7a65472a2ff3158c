"""Keeping the bot gentle with Discord when many people join at once.

Two small, clock-driven pieces, both pure so tests run them with made-up times:

- `BurstDetector` watches join times per guild. Above `threshold` joins within `WINDOW` a
  burst starts: the welcome switches to one shared thread. The burst ends when the last
  `WINDOW` holds at most half the threshold (hysteresis, so it does not flap).
- `Pacer` is a token bucket per guild: at most `capacity` welcomes at once, then one every
  `interval` seconds. Each welcome is a few REST calls (thread, member, message), so this
  caps the bot's welcome traffic per guild far below Discord's limits.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

WINDOW = timedelta(seconds=60)
DEFAULT_CAPACITY = 5
DEFAULT_INTERVAL = 1.0  # seconds between welcomes once the bucket is empty
ACTIVE_THREAD_LIMIT = 1000  # Discord's cap on active threads per guild
ACTIVE_THREAD_MARGIN = 50  # leave room for the members' own threads


@dataclass
class BurstState:
    """One guild's recent joins and whether it is in a burst."""

    joins: deque[datetime] = field(default_factory=deque)
    newest: datetime | None = None
    active: bool = False
    number: int = 0  # how many bursts have started, so each gets its own shared thread


@dataclass(frozen=True)
class BurstUpdate:
    """The result of observing one join."""

    active: bool
    started: bool
    number: int


class BurstDetector:
    """Per-guild sliding window of joins with hysteresis."""

    def __init__(self, window: timedelta = WINDOW) -> None:
        self.window = window
        self._guilds: dict[int, BurstState] = {}

    def observe(self, guild_id: int, at: datetime, threshold: int) -> BurstUpdate:
        """Count a join at `at`; joins may arrive slightly out of order."""
        state = self._guilds.setdefault(guild_id, BurstState())
        state.joins.append(at)
        state.newest = at if state.newest is None else max(state.newest, at)
        while state.joins and state.joins[0] <= state.newest - self.window:
            state.joins.popleft()
        count = len(state.joins)
        started = False
        if not state.active and count > threshold:
            state.active, started = True, True
            state.number += 1
        elif state.active and count <= threshold // 2:
            state.active = False
        return BurstUpdate(state.active, started, state.number)

    def active(self, guild_id: int) -> bool:
        state = self._guilds.get(guild_id)
        return state is not None and state.active

    def number(self, guild_id: int) -> int:
        """How many bursts the guild has had: the key of the current burst's shared thread."""
        state = self._guilds.get(guild_id)
        return state.number if state is not None else 0

    def forget(self, guild_id: int) -> None:
        self._guilds.pop(guild_id, None)


class Pacer:
    """Token bucket per key on a monotonic clock given by the caller (seconds)."""

    def __init__(
        self, capacity: int = DEFAULT_CAPACITY, interval: float = DEFAULT_INTERVAL
    ) -> None:
        if capacity < 1 or interval <= 0:
            raise ValueError("a pacer needs capacity >= 1 and interval > 0")
        self.capacity = capacity
        self.interval = interval
        self._next_free: dict[int, float] = {}

    def reserve(self, key: int, now: float) -> float:
        """Book the next slot for `key`; return how many seconds to wait before using it.

        The bucket is modelled by the time at which it would be full again minus its
        capacity: each reservation pushes that time by one interval.
        """
        earliest = now - (self.capacity - 1) * self.interval
        slot = max(self._next_free.get(key, earliest), earliest)
        self._next_free[key] = slot + self.interval
        return max(0.0, slot - now)


def near_thread_limit(active_threads: int) -> bool:
    """True when one more thread would eat into the room left for members' own threads."""
    return active_threads >= ACTIVE_THREAD_LIMIT - ACTIVE_THREAD_MARGIN
