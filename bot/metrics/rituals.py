"""The rituals section of /health: each ritual's occurrences in the period with their
participants, and the "ritual fading" signal, both from the rituals module's engagement
series (`bot.rituals.engagement`), so the rule lives in one place."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Ritual
from bot.metrics.signals import Verdict, ritual_fading
from bot.periods import Period
from bot.rituals.engagement import fading, fading_enough_data, participation

# Enough occurrences for the fading rule and for a daily ritual over 90 days.
SERIES_LIMIT = 100


@dataclass(frozen=True)
class RitualRow:
    ritual_id: int
    name: str
    paused: bool
    participants: tuple[int, ...]  # per occurrence in the period, oldest first
    answers: int  # messages by members in the period's occurrences
    fading: bool

    @property
    def occurrences(self) -> int:
        return len(self.participants)


async def rituals_table(
    db: Database, guild_id: int, period: Period
) -> tuple[list[RitualRow], list[Verdict]]:
    """Each ritual's row, and the fading rule's verdict on each (paused ones included: a
    paused ritual that faded is still worth knowing about until it resumes)."""
    async with db.session() as session:
        rituals = (
            await session.execute(
                select(Ritual.id, Ritual.name, Ritual.paused)
                .where(Ritual.guild_id == guild_id)
                .order_by(Ritual.id)
            )
        ).all()
    rows: list[RitualRow] = []
    verdicts: list[Verdict] = []
    for ritual_id, name, paused in rituals:
        series = await participation(db, guild_id, ritual_id, SERIES_LIMIT)
        inside = [o for o in series if period.contains(o.scheduled_for)]
        counts = [o.participants for o in series]
        found = fading(counts)
        rows.append(
            RitualRow(
                ritual_id,
                name,
                paused,
                tuple(o.participants for o in inside),
                sum(o.answers for o in inside),
                found is not None,
            )
        )
        verdicts.append(ritual_fading(name, found, fading_enough_data(counts)))
    return rows, verdicts
