"""Introductions on a real database (SQLite, and PostgreSQL in CI): the 7-day figure of a
scripted month counted by hand, the 6-round rule, and the purge of who met whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import GuildSettings, IntrosPair, IntrosPairMember, IntrosRound
from bot.intros.pairing import pairs_in
from bot.intros.service import IntrosService
from bot.metrics import render
from bot.metrics.render import name
from bot.metrics.summary import build_report

G = 5151
ROUND_A = datetime(2026, 11, 9, 9, tzinfo=UTC)
WEEK = timedelta(days=7)
MEMBERS = list(range(31, 38))  # seven


async def setup_service(database: Database, clock: ManualClock) -> IntrosService:
    async with database.session() as s:
        s.add(
            GuildSettings(guild_id=G, language="fr", timezone="UTC", joined_at=ROUND_A - 9 * WEEK)
        )
    service = IntrosService(database, clock)
    await service.configure(G, actor_id=1, channel_id=77, cadence_weeks=1)
    for user in MEMBERS:
        assert await service.join(G, user)
    return service


async def test_pairs_that_talked_within_seven_days(database: Database) -> None:
    """Round A (10 days ago): pair P writes both within the hour (talked); pair Q's second
    member writes on day 8 (too late); the group of three has two writers (talked). Round
    B (3 days ago) is not settled. By hand: rounds 2, pairs 6, talked 2 of A's 3."""
    clock = ManualClock(ROUND_A)
    service = await setup_service(database, clock)
    first = await service.prepare_round(G, ROUND_A, lambda _: True)
    for planned in first.pairs:
        await service.thread_opened(planned.pair.id, 1000 + planned.pair.position)
    pairs = [p for p in first.pairs if len(p.members) == 2]
    (three,) = [p for p in first.pairs if len(p.members) == 3]
    hour = ROUND_A + timedelta(hours=1)
    p, q = pairs
    await service.on_message(1000 + p.pair.position, p.members[0], hour)
    await service.on_message(1000 + p.pair.position, p.members[1], hour)
    await service.on_message(1000 + q.pair.position, q.members[0], hour)
    await service.on_message(
        1000 + q.pair.position, q.members[1], ROUND_A + 8 * 24 * timedelta(hours=1)
    )
    await service.on_message(1000 + three.pair.position, three.members[0], hour)
    await service.on_message(1000 + three.pair.position, three.members[0], hour)  # same one
    await service.on_message(1000 + three.pair.position, three.members[2], hour)

    clock.set(ROUND_A + WEEK)
    second = await service.prepare_round(G, ROUND_A + WEEK, lambda _: True)
    met = set().union(*(pairs_in(x.members) for x in first.pairs))
    assert not met & set().union(*(pairs_in(x.members) for x in second.pairs))
    again = await service.prepare_round(G, ROUND_A + WEEK, lambda _: True)
    assert [x.members for x in again.pairs] == [x.members for x in second.pairs] and not again.new

    report = await build_report(database, G, 28, ROUND_A + timedelta(days=10))
    assert report.figure("contribution.intros_rounds").value == 2
    assert report.figure("contribution.intros_pairs").value == 6
    talked = report.figure("contribution.intros_talked")
    assert (talked.value, talked.base) == (2 / 3, 3)
    lines = "\n".join(render.family_lines(report, "contribution"))
    assert name("contribution.intros_talked", "fr") in lines  # in use: shown
    assert name("contribution.buddy_requests", "fr") not in lines  # never used: not shown
    assert report.figure("contribution.buddy_requests").value == 0  # yet in the report


async def test_who_met_whom_is_kept_for_six_rounds_only(database: Database) -> None:
    clock = ManualClock(ROUND_A)
    service = await setup_service(database, clock)
    for week in range(8):
        when = ROUND_A + week * WEEK
        clock.set(when)
        await service.prepare_round(G, when, lambda _: True)
        await service.finish_round(G)
    async with database.session() as session:
        rounds = await session.scalar(select(func.count()).select_from(IntrosRound))
        kept = await session.scalar(select(func.count(func.distinct(IntrosPair.round_id))))
        people = await session.scalar(select(func.count()).select_from(IntrosPairMember))
    assert (rounds, kept, people) == (8, 6, 6 * 7)  # the counts of all 8 rounds stay
