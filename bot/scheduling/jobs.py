"""What a job kind and the scheduler exchange: the job, the context of one run, and its
outcome. See docs/rituals.md, "Scheduler API"."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.db.models.scheduling import RunStatus
from bot.scheduling.ledger import Ledger, PostIntent
from bot.scheduling.recurrence import Recurrence


class NotPostedAgain(Exception):
    """The occurrence may already be in the channel, so it is not posted again: its post
    was deleted since (`post_deleted`), or the channel's history cannot be read to make
    sure (`unverifiable`). Raised by `bot.scheduling.posting.send_once`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class JobSpec:
    """One recurring job. `key` is globally unique and stable (e.g. `ritual:12`,
    `digest:<guild_id>`); `since` is when it was created or last resumed: nothing at or
    before it ever runs."""

    key: str
    guild_id: int
    recurrence: Recurrence
    since: datetime
    grace: timedelta | None = None


@dataclass(frozen=True)
class Outcome:
    """What a kind reports. Use the constructors below."""

    status: RunStatus
    reason: str | None = None
    channel_id: int | None = None
    post_id: int | None = None
    thread_id: int | None = None
    retry_at: datetime | None = None

    @classmethod
    def posted(
        cls, channel_id: int | None = None, post_id: int | None = None, thread_id: int | None = None
    ) -> Outcome:
        return cls(RunStatus.POSTED, channel_id=channel_id, post_id=post_id, thread_id=thread_id)

    @classmethod
    def failed(cls, reason: str) -> Outcome:
        return cls(RunStatus.FAILED, reason=reason)

    @classmethod
    def skipped(cls, reason: str) -> Outcome:
        return cls(RunStatus.SKIPPED, reason=reason)

    @classmethod
    def postponed(cls, until: datetime, reason: str) -> Outcome:
        """Run again at `until`, once; a second postponement becomes a skip."""
        return cls(RunStatus.POSTPONED, reason=reason, retry_at=until)


@dataclass(frozen=True)
class RunContext:
    """Handed to the kind for one occurrence."""

    run_id: int
    key: str
    guild_id: int
    scheduled_for: datetime
    now: datetime
    attempt: int  # 1, or 2 when retrying after a postponement or a crash
    postponed: bool  # this is the retry of a postponed occurrence
    ledger: Ledger

    @property
    def nonce(self) -> str:
        """The occurrence's message nonce (`occurrence_nonce`): the same in every attempt."""
        return occurrence_nonce(self.key, self.scheduled_for)

    async def intend(self, channel_id: int, after_id: int) -> PostIntent | None:
        """Call right before sending: records where this run posts; returns the intent of
        an earlier attempt (which may have posted) if there was one."""
        return await self.ledger.intend(self.run_id, channel_id, after_id)

    async def record_post(self, channel_id: int, post_id: int) -> None:
        """Call right after Discord accepted the post: from then on a crash cannot lead to
        a second post."""
        await self.ledger.record_post(self.run_id, channel_id, post_id)


def occurrence_nonce(key: str, scheduled_for: datetime) -> str:
    """A stable nonce for one occurrence (25 characters, Discord's limit): derived from the
    job key and the scheduled time, so an attempt after a restart sends the same one and
    Discord (`enforce_nonce`) answers with the first attempt's message for a few minutes."""
    when = scheduled_for.astimezone(UTC).isoformat()
    digest = hashlib.sha256(f"{key}@{when}".encode()).hexdigest()
    return "f" + digest[:24]


class JobKind(Protocol):
    async def jobs(self) -> Iterable[JobSpec]:
        """Every current job of this kind (all guilds; the scheduler filters shards)."""
        ...

    async def run(self, ctx: RunContext) -> Outcome:
        """Post one occurrence. Raise nothing you can report: return `Outcome.failed`."""
        ...


@dataclass(frozen=True)
class RunResult:
    key: str
    scheduled_for: datetime
    status: RunStatus
