"""Plain data the queries return and the pure computations read. No database, no Discord."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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


# The kinds of moderation actions the tensions signal counts, by the names its texts use.
MODERATION_KINDS = ("timeouts", "bans", "kicks", "deletions", "automod")


@dataclass(frozen=True)
class ModerationWindows:
    """The moderation actions the *tensions* signal compares (docs/metrics.md), per kind of
    `MODERATION_KINDS`: those of the recent days and those of the days watched before them.
    A deletion is one audit log entry, whatever the messages it removed (`messages`: the
    recent deletions' messages)."""

    recent_days: int
    baseline_days: int
    recent: Mapping[str, int] = field(default_factory=dict)
    baseline: Mapping[str, int] = field(default_factory=dict)
    messages: int = 0

    @property
    def total_recent(self) -> int:
        return sum(self.recent.values())

    @property
    def total_baseline(self) -> int:
        return sum(self.baseline.values())
