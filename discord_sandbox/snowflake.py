"""Discord snowflakes that encode their creation time.

Discord ids are ``(ms_since_2015 << 22) | worker/process/increment``. discord.py derives
``created_at`` from the id, so replaying past activity needs past snowflakes: every
generator call takes an optional ``at`` datetime.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def time_of(snowflake: int) -> datetime:
    """Return the creation time encoded in ``snowflake``."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, UTC)


def iso(at: datetime) -> str:
    """Format ``at`` as Discord does (ISO 8601 with an explicit +00:00 offset)."""
    if at.tzinfo is None:
        raise ValueError("sandbox timestamps must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class SnowflakeFactory:
    """Produce unique snowflakes; the low 22 bits are a counter so ids never collide."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new(self, at: datetime | None = None) -> int:
        """Return a fresh snowflake whose encoded time is ``at`` (default: now)."""
        when = at or utcnow()
        if when.tzinfo is None:
            raise ValueError("sandbox timestamps must be timezone-aware")
        ms = int(when.timestamp() * 1000) - DISCORD_EPOCH_MS
        if ms < 0:
            raise ValueError("snowflakes cannot predate 2015-01-01")
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)
