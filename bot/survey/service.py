"""`SurveyService`: opening a recommendation survey, answers, closing and results.

Rules (docs/recognition.md): at most one survey per guild per `min_interval` (30 days by
default); a survey closes at `closes_at` or when an admin closes it; a member's latest
answer replaces the earlier one; a closed survey refuses answers with a polite message;
the "why" text is kept only when the admin enabled `store_why` for that survey.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import Member, Survey, SurveyAnswer
from bot.db.models.recognition import WhyLength
from bot.errors import FoyerError
from bot.periods import Period
from bot.survey.nps import NpsResult, TrendPoint, summarize, trend

DEFAULT_MIN_INTERVAL = timedelta(days=30)
MIN_DURATION = timedelta(hours=1)
MAX_DURATION = timedelta(days=30)
MAX_WHY_LENGTH = 1000


def why_bucket(text: str) -> WhyLength:
    """How long a "why" was, without keeping it."""
    n = len(text.strip())
    if n == 0:
        return WhyLength.NONE
    if n < 50:
        return WhyLength.SHORT
    return WhyLength.MEDIUM if n < 200 else WhyLength.LONG


def is_open(survey: Survey, now: datetime) -> bool:
    return survey.closed_at is None and now < survey.closes_at


@dataclass(frozen=True)
class SurveyResults:
    """The latest survey's figures and the trend over every survey of the guild."""

    survey: Survey
    result: NpsResult
    open: bool
    why_given: int
    why_texts: list[str]  # only for surveys that stored them
    trend: list[TrendPoint]


class SurveyService:
    def __init__(
        self, db: Database, clock: Clock, *, min_interval: timedelta = DEFAULT_MIN_INTERVAL
    ) -> None:
        self._db = db
        self._clock = clock
        self.min_interval = min_interval

    async def open(
        self,
        guild_id: int,
        *,
        channel_id: int,
        opened_by: int,
        duration: timedelta,
        follow_up: bool = True,
        store_why: bool = False,
    ) -> Survey:
        """A new survey, refused when one was opened less than `min_interval` ago. The
        cog posts the question next and calls `attach_message` (or `discard` if Discord
        refused the post)."""
        if not MIN_DURATION <= duration <= MAX_DURATION:
            raise FoyerError("survey.bad_duration", days=round(duration / timedelta(days=1), 2))
        now = self._clock.now()
        async with self._db.session() as session:
            last = await self._latest(session, guild_id)
            if last is not None and now - last.opened_at < self.min_interval:
                raise FoyerError(
                    "survey.too_soon",
                    days=self.min_interval.days,
                    next=f"<t:{int((last.opened_at + self.min_interval).timestamp())}:D>",
                )
            survey = Survey(
                guild_id=guild_id,
                opened_at=now,
                closes_at=now + duration,
                opened_by=opened_by,
                channel_id=channel_id,
                follow_up=follow_up or store_why,
                store_why=store_why,
            )
            session.add(survey)
        return survey

    async def attach_message(self, survey_id: int, message_id: int) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(Survey).where(Survey.id == survey_id).values(message_id=message_id)
            )

    async def discard(self, survey_id: int) -> None:
        """Forget a survey whose question could not be posted: it never existed."""
        async with self._db.session() as session:
            survey = await session.get(Survey, survey_id)
            if survey is not None:
                await session.delete(survey)

    async def get(self, guild_id: int, survey_id: int) -> Survey | None:
        async with self._db.session() as session:
            survey = await session.get(Survey, survey_id)
        return survey if survey is not None and survey.guild_id == guild_id else None

    async def answer(self, guild_id: int, survey_id: int, user_id: int, score: int) -> Survey:
        """Record (or replace) the member's answer; a new score clears an earlier "why",
        which explained the old one."""
        if not 0 <= score <= 10:
            raise FoyerError("survey.bad_score")
        now = self._clock.now()
        async with self._db.session() as session:
            survey = await self._open_survey(session, guild_id, survey_id, user_id, now)
            values = {
                "survey_id": survey_id,
                "guild_id": guild_id,
                "user_id": user_id,
                "score": score,
                "answered_at": now,
                "why_given": False,
                "why_length_bucket": WhyLength.NONE,
                "why_text": None,
            }
            insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
            stmt = insert(SurveyAnswer).values(**values)
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["survey_id", "user_id"],
                    set_={k: stmt.excluded[k] for k in values if k not in ("survey_id", "user_id")},
                )
            )
        return survey

    async def record_why(self, guild_id: int, survey_id: int, user_id: int, text: str) -> None:
        """Keep that a "why" was given and its length bucket; the text only if the survey
        stores it."""
        now = self._clock.now()
        text = text.strip()[:MAX_WHY_LENGTH]
        async with self._db.session() as session:
            survey = await self._open_survey(session, guild_id, survey_id, user_id, now)
            answer = await session.scalar(
                select(SurveyAnswer).where(
                    SurveyAnswer.survey_id == survey_id, SurveyAnswer.user_id == user_id
                )
            )
            if answer is None:
                raise FoyerError("survey.why_without_score")
            answer.why_given = bool(text)
            answer.why_length_bucket = why_bucket(text)
            answer.why_text = text if survey.store_why and text else None

    async def close(self, guild_id: int) -> Survey:
        """Close the guild's open survey now."""
        now = self._clock.now()
        async with self._db.session() as session:
            survey = await self._latest(session, guild_id)
            if survey is None or not is_open(survey, now):
                raise FoyerError("survey.none_open")
            survey.closed_at = now
        return survey

    async def expired_unmarked(self) -> list[Survey]:
        """Surveys past their end whose message still shows buttons (all guilds)."""
        now = self._clock.now()
        async with self._db.session() as session:
            rows = await session.scalars(
                select(Survey).where(
                    Survey.message_closed.is_(False),
                    (Survey.closed_at.is_not(None)) | (Survey.closes_at <= now),
                )
            )
            return list(rows.all())

    async def mark_message_closed(self, survey_id: int) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(Survey).where(Survey.id == survey_id).values(message_closed=True)
            )

    async def open_surveys(self) -> list[Survey]:
        """Every survey still taking answers: their buttons are re-armed at start."""
        now = self._clock.now()
        async with self._db.session() as session:
            rows = await session.scalars(
                select(Survey).where(Survey.closed_at.is_(None), Survey.closes_at > now)
            )
            return list(rows.all())

    async def results(self, guild_id: int) -> SurveyResults | None:
        """None when the guild never ran a survey."""
        now = self._clock.now()
        async with self._db.session() as session:
            surveys = list(
                (
                    await session.scalars(
                        select(Survey).where(Survey.guild_id == guild_id).order_by(Survey.opened_at)
                    )
                ).all()
            )
            if not surveys:
                return None
            rows = (
                await session.execute(
                    _counted_answers(guild_id).with_only_columns(
                        SurveyAnswer.survey_id,
                        SurveyAnswer.score,
                        SurveyAnswer.why_given,
                        SurveyAnswer.why_text,
                    )
                )
            ).all()
        scores: dict[int, list[int]] = {s.id: [] for s in surveys}
        latest = surveys[-1]
        why_given = 0
        why_texts: list[str] = []
        for survey_id, score, given, text in rows:
            scores[survey_id].append(score)
            if survey_id == latest.id:
                why_given += bool(given)
                if text:
                    why_texts.append(text)
        results = {sid: summarize(values) for sid, values in scores.items()}
        return SurveyResults(
            survey=latest,
            result=results[latest.id],
            open=is_open(latest, now),
            why_given=why_given,
            why_texts=why_texts,
            trend=trend([(s.id, s.opened_at, results[s.id]) for s in surveys]),
        )

    async def _latest(self, session: AsyncSession, guild_id: int) -> Survey | None:
        return await session.scalar(
            select(Survey)
            .where(Survey.guild_id == guild_id)
            .order_by(Survey.opened_at.desc(), Survey.id.desc())
            .limit(1)
        )

    async def _open_survey(
        self, session: AsyncSession, guild_id: int, survey_id: int, user_id: int, now: datetime
    ) -> Survey:
        survey = await session.get(Survey, survey_id)
        if survey is None or survey.guild_id != guild_id:
            raise FoyerError("survey.unknown")
        if not is_open(survey, now):
            raise FoyerError("survey.closed")
        member = await session.get(Member, (guild_id, user_id))
        if member is not None and member.opted_out:
            raise FoyerError("survey.opted_out")
        return survey


def _counted_answers(guild_id: int) -> Select[int]:
    """Answers that count in figures: the guild's, from members (not staff, as recorded
    by the tracker) who have not opted out."""
    return (
        select(SurveyAnswer.id)
        .join(
            Member,
            (Member.guild_id == SurveyAnswer.guild_id) & (Member.user_id == SurveyAnswer.user_id),
            isouter=True,
        )
        .where(
            SurveyAnswer.guild_id == guild_id,
            Member.opted_out.is_not(True),
            Member.is_staff.is_not(True),
        )
    )


async def nps_for_period(session: AsyncSession, guild_id: int, period: Period) -> NpsResult:
    """For /health (Advocacy): NPS over the latest answer of each member given in the
    period, across the guild's surveys; opted-out members excluded."""
    rows = (
        await session.execute(
            _counted_answers(guild_id)
            .with_only_columns(SurveyAnswer.user_id, SurveyAnswer.score, SurveyAnswer.answered_at)
            .where(SurveyAnswer.answered_at >= period.start, SurveyAnswer.answered_at < period.end)
        )
    ).all()
    latest: dict[int, tuple[datetime, int]] = {}
    for user_id, score, answered_at in rows:
        if user_id not in latest or answered_at >= latest[user_id][0]:
            latest[user_id] = (answered_at, score)
    return summarize(score for _, score in latest.values())
