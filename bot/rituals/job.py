"""Rituals on the scheduler: the `ritual` job kind's registration, and what the commands
ask of it (when a ritual runs next, run its next occurrence now, re-aim the wake-up).

Each ritual is one job, `ritual:<id>`; `RitualRunner.run` posts an occurrence when the
scheduler claims it in its ledger, so a restart neither loses nor repeats one. Commands
that change a schedule call `rearm`, so the new time is picked up at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.db.models import Ritual
from bot.rituals.runner import RitualRunner
from bot.scheduling import RunResult, Scheduler

JOB_PREFIX = "ritual"  # keys are `ritual:<id>` (`bot.rituals.schedule.job_key`)


class RitualJobs:
    """The rituals' side of the scheduler."""

    def __init__(self, scheduler: Scheduler, runner: RitualRunner) -> None:
        self._scheduler = scheduler
        self._runner = runner

    def register(self) -> None:
        """Let the scheduler run the rituals' jobs (on load)."""
        self._scheduler.register(JOB_PREFIX, self._runner)

    def unregister(self) -> None:
        self._scheduler.unregister(JOB_PREFIX)

    async def rearm(self) -> None:
        """Wake the scheduler at the earliest occurrence, after a schedule changed."""
        await self._scheduler.rearm()

    async def next_run(self, ritual: Ritual) -> datetime:
        spec = await self._runner.spec(ritual)
        return (await self._scheduler.next_runs([spec]))[spec.key]

    async def next_runs(self, rituals: Iterable[Ritual]) -> dict[str, datetime]:
        """The next run of each ritual, by job key."""
        return await self._scheduler.next_runs([await self._runner.spec(r) for r in rituals])

    async def run_now(self, ritual: Ritual) -> RunResult | None:
        """Post the next occurrence now (`/ritual now`); None when it was already taken."""
        return await self._scheduler.run_next_now(await self._runner.spec(ritual))
