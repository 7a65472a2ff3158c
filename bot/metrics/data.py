"""Plain data the queries return and the pure computations read. No database, no Discord."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple


@dataclass(frozen=True)
class Measure:
    """A computed value and the number of people or answers it rests on (None: a plain
    count, which needs no base)."""

    value: float | None
    base: int | None = None


class MemberActivity(NamedTuple):
    """One member's sums over a period, read from the rollups. A tuple, not a dataclass:
    a large guild's report makes tens of thousands, five times faster this way."""

    messages: int = 0
    peer_given: int = 0
    staff_received: int = 0
    reactions_given: int = 0
    ritual_messages: int = 0
    threads_created: int = 0
    conversations_started: int = 0


# The seven daily member counters the figures add up, named once: the rollup columns summed
# into the folded weeks and spans (`bot.db.models.health.MemberSums`) in this order.
MEMBER_COUNTERS: tuple[str, ...] = MemberActivity._fields


class Person(NamedTuple):
    """A human from `members` (latest join and leave). A tuple for the same reason as
    `MemberActivity`: thousands per report."""

    user_id: int
    joined_at: datetime | None
    left_at: datetime | None
    is_staff: bool = False
    opted_out: bool = False

    @property
    def counted(self) -> bool:
        """A member the figures may count: not staff, not opted out."""
        return not self.is_staff and not self.opted_out

    def left_after_joining(self) -> datetime | None:
        """The leave that ended the latest stay, or None while they are still here."""
        if self.left_at is None:
            return None
        if self.joined_at is not None and self.left_at < self.joined_at:
            return None  # an older leave: they came back
        return self.left_at

    def present_at(self, moment: datetime) -> bool:
        if self.joined_at is not None and self.joined_at > moment:
            return False
        left = self.left_after_joining()
        return left is None or left > moment


@dataclass(frozen=True)
class Headcount:
    """Humans in the guild at a moment: members (not staff, not opted out) and staff."""

    members: int
    staff: int


@dataclass(frozen=True)
class WeekActivity:
    """One ISO week of the weekly series."""

    label: str
    first_day: date
    active_members: int = 0
    communicators: int = 0
    member_messages: int = 0
    peer_interactions: int = 0
    staff_interactions: int = 0
    ritual_participants: int = 0
    newcomers: int = 0
    bot_messages: int = 0


@dataclass(frozen=True)
class ChannelShare:
    channel_id: int
    messages: int
    previous: int


@dataclass(frozen=True)
class ModerationWindows:
    """The moderation actions the *tensions* signal compares (docs/metrics.md): those of the
    recent days, per kind, and the total of the days watched before them."""

    recent_days: int
    baseline_days: int
    baseline: int
    timeouts: int = 0
    bans: int = 0
    kicks: int = 0
    deletions: int = 0  # audit log entries of messages deleted by a moderator
    automod: int = 0
    messages: int = 0  # the messages those deletions removed

    @property
    def recent(self) -> int:
        return self.timeouts + self.bans + self.kicks + self.deletions + self.automod
