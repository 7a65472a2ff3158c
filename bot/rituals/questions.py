"""The weekly-question list of a ritual, and its rotation without repeats.

Rotation: the next question is the first (list order) not yet asked in the current round;
once every question was asked, the next pick starts a new round, never with the question
asked last. A question added mid-round is asked in that round.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import RitualQuestion
from bot.errors import FoyerError
from bot.rituals import options
from bot.rituals.service import RitualService

MAX_QUESTIONS = 200


class QuestionList:
    def __init__(self, db: Database, clock: Clock, rituals: RitualService) -> None:
        self._db = db
        self._clock = clock
        self._rituals = rituals

    async def add(self, guild_id: int, ritual_name: str, text: str) -> int:
        """Append a question; returns its number in the list (1-based)."""
        text = options.validate_question(text)
        ritual = await self._rituals.get(guild_id, ritual_name)
        if "{question}" not in ritual.template:
            raise FoyerError("rituals.questions_need_list", name=ritual.name)
        async with self._db.session() as session:
            rows = await _rows(session, guild_id, ritual.id)
            if len(rows) >= MAX_QUESTIONS:
                raise FoyerError("rituals.too_many_questions", limit=MAX_QUESTIONS)
            session.add(
                RitualQuestion(
                    guild_id=guild_id,
                    ritual_id=ritual.id,
                    position=max((q.position for q in rows), default=0) + 1,
                    text=text,
                    asked=False,
                )
            )
        return len(rows) + 1

    async def all(self, guild_id: int, ritual_name: str) -> list[RitualQuestion]:
        ritual = await self._rituals.get(guild_id, ritual_name)
        async with self._db.session() as session:
            return await _rows(session, guild_id, ritual.id)

    async def remove(self, guild_id: int, ritual_name: str, number: int) -> None:
        """`number` as shown by the list (1-based)."""
        ritual = await self._rituals.get(guild_id, ritual_name)
        async with self._db.session() as session:
            rows = await _rows(session, guild_id, ritual.id)
            if not 1 <= number <= len(rows):
                raise FoyerError("rituals.no_such_question", number=number, count=len(rows))
            await session.delete(rows[number - 1])

    async def next(self, guild_id: int, ritual_id: int) -> RitualQuestion | None:
        async with self._db.session() as session:
            rows = await _rows(session, guild_id, ritual_id)
        if not rows:
            return None
        fresh = [q for q in rows if not q.asked]
        if fresh:
            return fresh[0]
        last = max(rows, key=lambda q: (q.last_asked_at or self._clock.now(), q.id))
        return next((q for q in rows if q.id != last.id), last)

    async def mark_asked(self, guild_id: int, ritual_id: int, question_id: int) -> None:
        """Record a question as asked; the first question of a new round clears the
        others."""
        now = self._clock.now()
        async with self._db.session() as session:
            rows = await _rows(session, guild_id, ritual_id)
            if all(q.asked for q in rows):
                for q in rows:
                    q.asked = False
            for q in rows:
                if q.id == question_id:
                    q.asked, q.last_asked_at = True, now


async def _rows(session: AsyncSession, guild_id: int, ritual_id: int) -> list[RitualQuestion]:
    rows = await session.scalars(
        select(RitualQuestion)
        .where(RitualQuestion.guild_id == guild_id, RitualQuestion.ritual_id == ritual_id)
        .order_by(RitualQuestion.position, RitualQuestion.id)
    )
    return list(rows.all())
