"""`SurveyService`: opening a recommendation survey, answers, closing and results.

Rules (docs/recognition.md): at most one survey per guild per `min_interval` (30 days by
default); a survey closes at `closes_at` or when an admin closes it; a member's latest
answer replaces the earlier one; a closed survey refuses answers with a polite message;
the "why" text is kept only when the admin enabled `store_why` for that survey.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import Survey
from bot.db.models.recognition import WhyLength
from bot.errors import FoyerError
from bot.periods import Period
from bot.survey import store
from bot.survey.nps import NpsResult, TrendPoint, summarize, trend
from bot.user_input import check_text

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


class QuestionNotPosted(Exception):
    """Discord refused the survey's question (deleted channel, missing permission)."""


# Posts the survey's question and returns its message id, or raises `QuestionNotPosted`.
QuestionPoster = Callable[[Survey], Awaitable[int]]


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
        """A new survey, refused when one was opened less than `min_interval` ago. Its
        question is posted next (`open_and_post` does both)."""
        if not MIN_DURATION <= duration <= MAX_DURATION:
            raise FoyerError("survey.bad_duration", days=round(duration / timedelta(days=1), 2))
        now = self._clock.now()
        async with self._db.session() as session:
            last = await store.latest(session, guild_id)
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
            store.add(session, survey)
        return survey

    async def open_and_post(
        self,
        guild_id: int,
        *,
        channel_id: int,
        opened_by: int,
        duration: timedelta,
        follow_up: bool = True,
        store_why: bool = False,
        post: QuestionPoster,
    ) -> Survey:
        """Open a survey and post its question with `post`; the message id is kept so the
        buttons can be taken off at the end. A question Discord refused leaves no survey
        behind (the 30 days do not start) and tells the admin the channel is the cause."""
        survey = await self.open(
            guild_id,
            channel_id=channel_id,
            opened_by=opened_by,
            duration=duration,
            follow_up=follow_up,
            store_why=store_why,
        )
        try:
            message_id = await post(survey)
        except QuestionNotPosted:
            await self.discard(survey.id)
            raise FoyerError("survey.cannot_post", channel=f"<#{channel_id}>") from None
        await self.attach_message(survey.id, message_id)
        return survey

    async def attach_message(self, survey_id: int, message_id: int) -> None:
        async with self._db.session() as session:
            await store.set_message(session, survey_id, message_id)

    async def discard(self, survey_id: int) -> None:
        """Forget a survey whose question could not be posted: it never existed."""
        async with self._db.session() as session:
            await store.delete(session, survey_id)

    async def get(self, guild_id: int, survey_id: int) -> Survey | None:
        async with self._db.session() as session:
            survey = await store.get(session, survey_id)
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
            await store.upsert_answer(session, values)
        return survey

    async def record_why(self, guild_id: int, survey_id: int, user_id: int, text: str) -> None:
        """Keep that a "why" was given and its length bucket; the text only if the survey
        stores it."""
        now = self._clock.now()
        text = check_text(text).strip()[:MAX_WHY_LENGTH]
        async with self._db.session() as session:
            survey = await self._open_survey(session, guild_id, survey_id, user_id, now)
            answer = await store.answer_of(session, survey_id, user_id)
            if answer is None:
                raise FoyerError("survey.why_without_score")
            answer.why_given = bool(text)
            answer.why_length_bucket = why_bucket(text)
            answer.why_text = text if survey.store_why and text else None

    async def close(self, guild_id: int) -> Survey:
        """Close the guild's open survey now."""
        now = self._clock.now()
        async with self._db.session() as session:
            survey = await store.latest(session, guild_id)
            if survey is None or not is_open(survey, now):
                raise FoyerError("survey.none_open")
            survey.closed_at = now
        return survey

    async def expired_unmarked(self) -> list[Survey]:
        """Surveys past their end whose message still shows buttons (all guilds)."""
        now = self._clock.now()
        async with self._db.session() as session:
            return await store.ended_with_buttons(session, now)

    async def mark_message_closed(self, survey_id: int) -> None:
        async with self._db.session() as session:
            await store.mark_message_closed(session, survey_id)

    async def results(self, guild_id: int) -> SurveyResults | None:
        """None when the guild never ran a survey."""
        now = self._clock.now()
        async with self._db.session() as session:
            surveys = await store.guild_surveys(session, guild_id)
            if not surveys:
                return None
            rows = await store.counted_answers(session, guild_id)
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

    async def _open_survey(
        self, session: AsyncSession, guild_id: int, survey_id: int, user_id: int, now: datetime
    ) -> Survey:
        survey = await store.get(session, survey_id)
        if survey is None or survey.guild_id != guild_id:
            raise FoyerError("survey.unknown")
        if not is_open(survey, now):
            raise FoyerError("survey.closed")
        member = await store.member(session, guild_id, user_id)
        if member is not None and member.opted_out:
            raise FoyerError("survey.opted_out")
        return survey


async def nps_for_period(session: AsyncSession, guild_id: int, period: Period) -> NpsResult:
    """For /health (Advocacy): NPS over the latest answer of each member given in the
    period, across the guild's surveys; opted-out members excluded."""
    rows = await store.counted_answers_between(session, guild_id, period.start, period.end)
    latest: dict[int, tuple[datetime, int]] = {}
    for user_id, score, answered_at in rows:
        if user_id not in latest or answered_at >= latest[user_id][0]:
            latest[user_id] = (answered_at, score)
    return summarize(score for _, score in latest.values())
