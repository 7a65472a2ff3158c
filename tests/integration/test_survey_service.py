"""The survey service on a real database: replacement of answers, closing, the 30-day
rule, the "why" storage rule, and guild isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import Member, Survey, SurveyAnswer
from bot.db.models.recognition import WhyLength
from bot.errors import FoyerError
from bot.periods import Period
from bot.survey.service import QuestionNotPosted, SurveyService, nps_for_period

GUILD = 111
OTHER_GUILD = 222
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def service(database: Database, clock: ManualClock) -> SurveyService:
    return SurveyService(database, clock)


async def _open(service: SurveyService, guild_id: int = GUILD, **kwargs: object) -> int:
    survey = await service.open(
        guild_id,
        channel_id=5,
        opened_by=1,
        duration=timedelta(days=7),
        **kwargs,  # type: ignore[arg-type]
    )
    return survey.id


async def _answer_rows(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(SurveyAnswer)) or 0)


async def test_thirty_answers_with_changes_of_mind(
    service: SurveyService, database: Database, clock: ManualClock
) -> None:
    survey_id = await _open(service)
    # Final answers: 15 promoters (8 x 10, 7 x 9), 6 passives (3 x 8, 3 x 7),
    # 9 detractors (4 x 6, 3 x 3, 2 x 0): NPS = (15 - 9) / 30 = +20.
    final = [10] * 8 + [9] * 7 + [8] * 3 + [7] * 3 + [6] * 4 + [3] * 3 + [0] * 2
    members = list(range(1001, 1031))
    # Members 0-9 first answer the opposite, members 20-24 change twice.
    for i, member in enumerate(members[:10]):
        await service.answer(GUILD, survey_id, member, 10 - final[i])
    for member, score in zip(members[20:25], [10, 10, 9, 9, 10], strict=True):
        await service.answer(GUILD, survey_id, member, score)
    for member, score in zip(members[20:25], [5, 5, 5, 5, 5], strict=True):
        clock.advance(timedelta(minutes=1))
        await service.answer(GUILD, survey_id, member, score)
    for member, score in zip(members, final, strict=True):
        clock.advance(timedelta(minutes=1))
        await service.answer(GUILD, survey_id, member, score)

    results = await service.results(GUILD)
    assert results is not None
    r = results.result
    assert (r.promoters, r.passives, r.detractors, r.answers) == (15, 6, 9, 30)
    assert r.nps == 20.0
    # mean 0.2, variance 24/30 - 0.04 = 0.76 -> 1.96 * sqrt(0.76 / 30) * 100 = 31.196
    assert r.margin_of_error == pytest.approx(31.196, abs=1e-3)
    assert await _answer_rows(database) == 30


async def test_second_answer_replaces_the_first(
    service: SurveyService, database: Database, clock: ManualClock
) -> None:
    survey_id = await _open(service, follow_up=True)
    await service.answer(GUILD, survey_id, 7, 3)
    await service.record_why(GUILD, survey_id, 7, "too many ads")
    clock.advance(timedelta(hours=1))
    await service.answer(GUILD, survey_id, 7, 9)
    async with database.session() as session:
        rows = (await session.scalars(select(SurveyAnswer))).all()
    assert [(a.user_id, a.score, a.why_given) for a in rows] == [(7, 9, False)]
    assert rows[0].answered_at == START + timedelta(hours=1)
    results = await service.results(GUILD)
    assert results is not None and results.result.promoters == 1
    assert results.result.detractors == 0


async def test_closed_survey_refuses_politely(service: SurveyService, clock: ManualClock) -> None:
    survey_id = await _open(service)
    await service.answer(GUILD, survey_id, 7, 8)
    clock.advance(timedelta(days=7))
    with pytest.raises(FoyerError) as refused:
        await service.answer(GUILD, survey_id, 7, 2)
    assert refused.value.key == "survey.closed"
    assert "no longer recorded" in refused.value.render("en")
    assert "ne sont plus enregistrées" in refused.value.render("fr")
    results = await service.results(GUILD)
    assert results is not None and not results.open
    assert results.result.passives == 1  # the earlier answer stands


async def test_admin_close_stops_answers(service: SurveyService) -> None:
    survey_id = await _open(service)
    closed = await service.close(GUILD)
    assert closed.id == survey_id
    with pytest.raises(FoyerError) as refused:
        await service.answer(GUILD, survey_id, 7, 10)
    assert refused.value.key == "survey.closed"
    with pytest.raises(FoyerError) as none_open:
        await service.close(GUILD)
    assert none_open.value.key == "survey.none_open"


async def test_at_most_one_survey_per_thirty_days(
    service: SurveyService, clock: ManualClock
) -> None:
    await _open(service)
    await service.close(GUILD)
    clock.advance(timedelta(days=29, hours=23))
    with pytest.raises(FoyerError) as too_soon:
        await _open(service)
    assert too_soon.value.key == "survey.too_soon"
    assert await _open(service, guild_id=OTHER_GUILD)  # another guild is not held back
    clock.advance(timedelta(hours=1))
    assert await _open(service)


async def test_interval_is_configurable(database: Database, clock: ManualClock) -> None:
    weekly = SurveyService(database, clock, min_interval=timedelta(days=7))
    await _open(weekly)
    clock.advance(timedelta(days=7))
    assert await _open(weekly)


async def test_a_posted_question_keeps_its_message(
    service: SurveyService, database: Database
) -> None:
    async def post(survey: Survey) -> int:
        return 4242

    survey = await service.open_and_post(
        GUILD, channel_id=5, opened_by=1, duration=timedelta(days=7), post=post
    )
    async with database.session() as session:
        stored = await session.get(Survey, survey.id)
    assert stored is not None and stored.message_id == 4242


async def test_a_refused_question_leaves_no_survey(service: SurveyService) -> None:
    async def refused(survey: Survey) -> int:
        raise QuestionNotPosted

    with pytest.raises(FoyerError) as cannot:
        await service.open_and_post(
            GUILD, channel_id=5, opened_by=1, duration=timedelta(days=7), post=refused
        )
    assert cannot.value.key == "survey.cannot_post"
    assert cannot.value.params == {"channel": "<#5>"}
    assert await service.results(GUILD) is None
    assert await _open(service)  # the 30 days did not start


async def test_duration_is_bounded_and_nothing_is_saved(service: SurveyService) -> None:
    with pytest.raises(FoyerError) as bad:
        await service.open(GUILD, channel_id=5, opened_by=1, duration=timedelta(days=31))
    assert bad.value.key == "survey.bad_duration"
    assert await service.results(GUILD) is None


async def test_why_text_is_not_stored_unless_enabled(
    service: SurveyService, database: Database, clock: ManualClock
) -> None:
    survey_id = await _open(service)
    await service.answer(GUILD, survey_id, 7, 9)
    await service.record_why(GUILD, survey_id, 7, "x" * 60)
    async with database.session() as session:
        answer = await session.scalar(select(SurveyAnswer))
    assert answer is not None
    assert (answer.why_given, answer.why_length_bucket, answer.why_text) == (
        True,
        WhyLength.MEDIUM,
        None,
    )

    clock.advance(timedelta(days=30))
    stored_id = await _open(service, store_why=True)
    await service.answer(GUILD, stored_id, 8, 4)
    await service.record_why(GUILD, stored_id, 8, "  Not enough events.  ")
    results = await service.results(GUILD)
    assert results is not None
    assert results.why_given == 1
    assert results.why_texts == ["Not enough events."]


async def test_why_needs_a_score_first(service: SurveyService) -> None:
    survey_id = await _open(service)
    with pytest.raises(FoyerError) as refused:
        await service.record_why(GUILD, survey_id, 7, "because")
    assert refused.value.key == "survey.why_without_score"


async def test_another_guild_cannot_answer(service: SurveyService) -> None:
    survey_id = await _open(service)
    with pytest.raises(FoyerError) as refused:
        await service.answer(OTHER_GUILD, survey_id, 7, 10)
    assert refused.value.key == "survey.unknown"


async def test_opted_out_member_is_refused_and_not_counted_nor_staff(
    service: SurveyService, database: Database
) -> None:
    survey_id = await _open(service)
    await service.answer(GUILD, survey_id, 7, 10)
    await service.answer(GUILD, survey_id, 8, 0)
    await service.answer(GUILD, survey_id, 10, 0)  # staff: the brand's own opinion
    async with database.session() as session:
        session.add(Member(guild_id=GUILD, user_id=8, opted_out=True))
        session.add(Member(guild_id=GUILD, user_id=9, opted_out=True))
        session.add(Member(guild_id=GUILD, user_id=10, is_staff=True))
    with pytest.raises(FoyerError) as refused:
        await service.answer(GUILD, survey_id, 9, 10)
    assert refused.value.key == "survey.opted_out"
    results = await service.results(GUILD)
    assert results is not None
    assert (results.result.promoters, results.result.detractors) == (1, 0)


async def test_trend_and_period_nps(
    service: SurveyService, database: Database, clock: ManualClock
) -> None:
    first = await _open(service)
    await service.answer(GUILD, first, 1, 10)
    await service.answer(GUILD, first, 2, 0)  # first survey: 0
    clock.advance(timedelta(days=30))
    second = await _open(service)
    await service.answer(GUILD, second, 1, 10)
    await service.answer(GUILD, second, 2, 9)  # second survey: +100
    results = await service.results(GUILD)
    assert results is not None
    assert [(p.survey_id, p.result.nps, p.change) for p in results.trend] == [
        (first, 0.0, None),
        (second, 100.0, 100.0),
    ]
    # Over both surveys, each member's latest answer counts once: 10 and 9.
    async with database.session() as session:
        both = await nps_for_period(
            session, GUILD, Period(START - timedelta(days=1), START + timedelta(days=60))
        )
        only_first = await nps_for_period(
            session, GUILD, Period(START - timedelta(days=1), START + timedelta(days=10))
        )
    assert (both.answers, both.nps) == (2, 100.0)
    assert (only_first.answers, only_first.nps) == (2, 0.0)
