"""The survey's SQL: surveys and their answers, read and written inside a session.

Every function takes the caller's session, so `SurveyService` keeps its rules and the
reads they rest on in one transaction (the 30-day check and the new survey, the open
check and the answer). Every query that reads answers filters on the guild; statements
work on SQLite and PostgreSQL (the upsert uses the dialect's `insert`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, Survey, SurveyAnswer


async def latest(session: AsyncSession, guild_id: int) -> Survey | None:
    """The guild's most recently opened survey."""
    return await session.scalar(
        select(Survey)
        .where(Survey.guild_id == guild_id)
        .order_by(Survey.opened_at.desc(), Survey.id.desc())
        .limit(1)
    )


async def guild_surveys(session: AsyncSession, guild_id: int) -> list[Survey]:
    """Every survey of the guild, oldest first."""
    rows = await session.scalars(
        select(Survey).where(Survey.guild_id == guild_id).order_by(Survey.opened_at)
    )
    return list(rows.all())


def add(session: AsyncSession, survey: Survey) -> None:
    session.add(survey)


async def get(session: AsyncSession, survey_id: int) -> Survey | None:
    return await session.get(Survey, survey_id)


async def delete(session: AsyncSession, survey_id: int) -> None:
    survey = await session.get(Survey, survey_id)
    if survey is not None:
        await session.delete(survey)


async def set_message(session: AsyncSession, survey_id: int, message_id: int) -> None:
    await session.execute(
        update(Survey).where(Survey.id == survey_id).values(message_id=message_id)
    )


async def mark_message_closed(session: AsyncSession, survey_id: int) -> None:
    await session.execute(update(Survey).where(Survey.id == survey_id).values(message_closed=True))


async def ended_with_buttons(session: AsyncSession, now: datetime) -> list[Survey]:
    """Surveys closed or past their end whose message is not marked closed (all guilds)."""
    rows = await session.scalars(
        select(Survey).where(
            Survey.message_closed.is_(False),
            (Survey.closed_at.is_not(None)) | (Survey.closes_at <= now),
        )
    )
    return list(rows.all())


async def member(session: AsyncSession, guild_id: int, user_id: int) -> Member | None:
    return await session.get(Member, (guild_id, user_id))


async def answer_of(session: AsyncSession, survey_id: int, user_id: int) -> SurveyAnswer | None:
    return await session.scalar(
        select(SurveyAnswer).where(
            SurveyAnswer.survey_id == survey_id, SurveyAnswer.user_id == user_id
        )
    )


async def upsert_answer(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert the member's answer, or replace every column of their earlier one."""
    bind = session.get_bind()
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(SurveyAnswer).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["survey_id", "user_id"],
            set_={k: stmt.excluded[k] for k in values if k not in ("survey_id", "user_id")},
        )
    )


def _counted_answers(guild_id: int) -> Select[Any]:
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


async def counted_answers(
    session: AsyncSession, guild_id: int
) -> Sequence[Row[int, int, bool, str | None]]:
    """(survey id, score, why given, why text) of every counted answer of the guild."""
    return (
        await session.execute(
            _counted_answers(guild_id).with_only_columns(
                SurveyAnswer.survey_id,
                SurveyAnswer.score,
                SurveyAnswer.why_given,
                SurveyAnswer.why_text,
            )
        )
    ).all()


async def counted_answers_between(
    session: AsyncSession, guild_id: int, start: datetime, end: datetime
) -> Sequence[Row[int, int, datetime]]:
    """(user id, score, answered at) of the counted answers given in [start, end)."""
    return (
        await session.execute(
            _counted_answers(guild_id)
            .with_only_columns(SurveyAnswer.user_id, SurveyAnswer.score, SurveyAnswer.answered_at)
            .where(SurveyAnswer.answered_at >= start, SurveyAnswer.answered_at < end)
        )
    ).all()
