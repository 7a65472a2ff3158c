"""Buddy figures and rules on a real database (SQLite, and PostgreSQL in CI): a scripted
community whose figures are counted by hand below."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.buddies import store
from bot.buddies.service import BuddyService, Presence
from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import (
    BuddyMatch,
    BuddyRequest,
    DailyGuildActivity,
    DailyMemberActivity,
    GuildSettings,
    Member,
    Welcome,
)
from bot.errors import FoyerError
from bot.i18n import t
from bot.metrics import render
from bot.metrics.summary import build_report
from bot.privacy.service import PrivacyService

G = 1001
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
ANA, BEA = 11, 12  # volunteers
N1, N2, N3, N4 = 21, 22, 23, 24  # newcomers, one thread each (thread id = 100 + newcomer)


def here(_: int) -> Presence:
    return Presence(present=True, staff=False)


async def test_figures_of_a_scripted_month(database: Database) -> None:
    clock = ManualClock(T0)
    service = BuddyService(database, clock)
    await service.configure(G, actor_id=1)
    await service.join(G, ANA, capacity=1, is_staff=False)
    await service.join(G, BEA, capacity=1, is_staff=False)
    for newcomer in (N1, N2, N3, N4):
        request = await service.offer_intent(G, newcomer, 100 + newcomer)
        assert request is not None
        await service.offer_sent(request.id)
    # N1 and N2 ask and get Ana then Béa; N3 asks when nobody is free; N4 never asks.
    m1 = await service.accept(G, N1, (), here)
    m2 = await service.accept(G, N2, (), here)
    assert m1 is not None and m2 is not None and (m1.buddy_id, m2.buddy_id) == (ANA, BEA)
    assert await service.accept(G, N3, (), here) is None
    # Ana writes after 2 h (within 24 h), Béa after 30 h (too late for the figure).
    assert await service.on_message(121, ANA, T0 + timedelta(hours=2))
    assert await service.on_message(122, BEA, T0 + timedelta(hours=30))
    assert not await service.on_message(121, ANA, T0 + timedelta(hours=3))  # once

    async with database.session() as session:
        figures = await store.buddy_figures(session, G, T0, T0 + timedelta(days=28))
        outside = await store.buddy_figures(
            session, G, T0 + timedelta(days=1), T0 + timedelta(days=28)
        )
    # offered 4 (N1-N4); asked 3 (N1-N3); matched 2 (N1, N2); answered within 24 h: 1 (N1)
    assert (figures.offered, figures.asked, figures.matched, figures.answered_24h) == (4, 3, 2, 1)
    assert figures.buddied_ids == {N1, N2}
    assert (outside.offered, outside.asked, outside.matched) == (0, 0, 0)

    status = await service.status(G)
    assert (status.volunteers, status.capacity, status.load, status.waiting) == (2, 2, 2, 1)
    assert status.pairs_this_period == 2


async def test_bad_input_saves_nothing(database: Database) -> None:
    service = BuddyService(database, ManualClock(T0))
    with pytest.raises(FoyerError) as disabled:
        await service.join(G, ANA, capacity=1, is_staff=False)
    assert disabled.value.key == "buddies.disabled"
    await service.configure(G, actor_id=1, topic_role_ids={501})
    for capacity in (0, 99):
        with pytest.raises(FoyerError) as bad:
            await service.join(G, ANA, capacity=capacity, is_staff=False)
        assert bad.value.key == "buddies.bad_capacity"
    with pytest.raises(FoyerError) as unknown:  # a role that is not (or no longer) a topic
        await service.join(G, ANA, capacity=2, topics={777}, is_staff=False)
    assert unknown.value.key == "buddies.unknown_topic"
    with pytest.raises(FoyerError) as staff:
        await service.join(G, BEA, capacity=2, is_staff=True)
    assert staff.value.key == "buddies.staff_not_allowed"
    async with database.session() as session:
        assert await store.volunteers(session, G) == []


async def test_health_shows_buddy_figures_beside_the_others(database: Database) -> None:
    """Six newcomers joined on 10 Nov; 1-5 were offered a buddy, 1-4 asked, 1-3 got one;
    the buddies of 1 and 2 wrote after 2 h and 30 h. Newcomers 1, 2 and 4 wrote in their
    first 7 days. By hand: requests 4; found 3/4; answered within 24 h 1/3; activation
    with a buddy 2/3 (1, 2 of 1-3), without 1/3 (4 of 4-6); week 4 not over for anyone."""
    guild, joined = 4343, datetime(2026, 11, 10, 10, tzinfo=UTC)
    async with database.session() as s:
        s.add(GuildSettings(guild_id=guild, language="en", timezone="UTC", joined_at=T0))
        s.add_all(Member(guild_id=guild, user_id=u, joined_at=joined) for u in range(1, 7))
        s.add_all(Welcome(guild_id=guild, user_id=u, joined_at=joined) for u in range(1, 7))
        for user in (1, 2, 4):
            day = (joined + timedelta(days=1)).date()
            s.add(DailyMemberActivity(guild_id=guild, user_id=user, day=day, messages=1))
        s.add(DailyGuildActivity(guild_id=guild, day=(joined + timedelta(days=1)).date(),
                                 member_messages=3))  # fmt: skip
        for user in range(1, 6):
            s.add(
                BuddyRequest(
                    id=user,
                    guild_id=guild,
                    newcomer_id=user,
                    thread_id=900 + user,
                    offered_at=joined,
                    offer_sent_at=joined,
                    accepted_at=joined + timedelta(minutes=5) if user <= 4 else None,
                )
            )
        answered = {1: timedelta(hours=2), 2: timedelta(hours=30), 3: None}
        for user, after in answered.items():
            matched = joined + timedelta(minutes=5)
            s.add(
                BuddyMatch(
                    guild_id=guild,
                    request_id=user,
                    newcomer_id=user,
                    buddy_id=50 + user,
                    thread_id=900 + user,
                    matched_at=matched,
                    announced_at=matched,
                    answered_at=matched + after if after else None,
                )
            )
    report = await build_report(database, guild, 28, datetime(2026, 11, 30, 12, tzinfo=UTC))

    def shown(key: str) -> tuple[float | None, int | None]:
        figure = report.figure(key)
        return figure.value, figure.base

    assert shown("contribution.buddy_requests")[0] == 4
    assert shown("contribution.buddy_matched") == (0.75, 4)
    assert shown("contribution.buddy_answered_24h") == (pytest.approx(1 / 3), 3)
    assert shown("contribution.buddied_activation") == (pytest.approx(2 / 3), 3)
    assert shown("contribution.others_activation") == (pytest.approx(1 / 3), 3)
    assert shown("retention.activation") == (0.5, 6)  # the two bases add up
    assert shown("contribution.buddied_week4") == (None, 0)
    assert shown("contribution.others_week4") == (None, 0)
    lines = render.family_lines(report, "contribution")
    assert lines[-1] == t("health.buddies.comparison", "en")


class _Switch:
    async def set_opted_out(self, guild_id: int, user_id: int, opted_out: bool) -> None:
        del guild_id, user_id, opted_out

    async def flush(self) -> None:
        return None


async def test_a_forgotten_buddy_is_unlinked_then_replaced(database: Database) -> None:
    """`/privacy forget` by a buddy: their volunteer rows go, the newcomer's match keeps no
    trace of them; the next round ends it, and the newcomer waits for another buddy."""
    clock = ManualClock(T0)
    service = BuddyService(database, clock)
    await service.configure(G, actor_id=1)
    await service.join(G, ANA, capacity=1, is_staff=False)
    request = await service.offer_intent(G, N1, 121)
    assert request is not None
    match = await service.accept(G, N1, (), here)
    assert match is not None and match.buddy_id == ANA

    erased = await PrivacyService(database, clock, _Switch()).forget(G, ANA)
    assert erased.get("buddy_volunteers") == 1
    async with database.session() as session:
        (kept,) = await store.matches_of_request(session, request.id)
        assert (kept.buddy_id, kept.newcomer_id) == (None, N1)
        assert await store.waiting_requests(session, G) == []  # still "matched" until the round
    assert await service.end_unlinked() == 1
    async with database.session() as session:
        assert [r.newcomer_id for r in await store.waiting_requests(session, G)] == [N1]
    await service.join(G, BEA, capacity=1, is_staff=False)
    (again,) = await service.match_waiting(G, here, lambda _: ())
    assert again.buddy_id == BEA


async def test_a_deleted_topic_role_is_no_longer_a_topic(database: Database) -> None:
    service = BuddyService(database, ManualClock(T0))
    await service.configure(G, actor_id=1, topic_role_ids={501, 502})
    await service.join(G, ANA, capacity=2, topics={501, 502}, is_staff=False)
    await service.role_deleted(G, 501)
    assert await service.topic_roles(G) == {502}
    assert (await service.me(G, ANA)).topics == {502}
    with pytest.raises(FoyerError) as gone:  # choosing it again: refused, nothing saved
        await service.join(G, ANA, capacity=3, topics={501}, is_staff=False)
    assert gone.value.key == "buddies.unknown_topic"
    assert (await service.me(G, ANA)).volunteer.capacity == 2  # type: ignore[union-attr]


async def test_two_clicks_at_once_never_overload_a_buddy(database: Database) -> None:
    service = BuddyService(database, ManualClock(T0))
    await service.configure(G, actor_id=1)
    await service.join(G, ANA, capacity=1, is_staff=False)
    for newcomer in (N1, N2):
        await service.offer_intent(G, newcomer, 100 + newcomer)
    got = await asyncio.gather(*(service.accept(G, n, (), here) for n in (N1, N2)))
    assert sorted(m is not None for m in got) == [False, True]  # one buddy, one place
    assert (await service.status(G)).waiting == 1
