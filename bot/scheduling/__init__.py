"""Exactly-once recurring jobs in IANA time zones (rituals, weekly digest, spotlights).

See docs/rituals.md, "Scheduler API", for how another feature registers its jobs.
"""

from bot.db.models.scheduling import RunStatus
from bot.scheduling.jobs import (
    JobKind,
    JobSpec,
    NotPostedAgain,
    Outcome,
    RunContext,
    RunResult,
    occurrence_nonce,
)
from bot.scheduling.recurrence import MonthlyNth, Recurrence, Rule, Weekly, local_to_utc
from bot.scheduling.scheduler import DEFAULT_GRACE, Scheduler, shard_of

__all__ = [
    "DEFAULT_GRACE",
    "JobKind",
    "JobSpec",
    "MonthlyNth",
    "NotPostedAgain",
    "Outcome",
    "Recurrence",
    "Rule",
    "RunContext",
    "RunResult",
    "RunStatus",
    "Scheduler",
    "Weekly",
    "local_to_utc",
    "occurrence_nonce",
    "shard_of",
]
