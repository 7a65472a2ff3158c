"""Welcome rows on the database: joins, tracking, leaves, nudges due, and the funnel query
(one guild never sees another's newcomers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.db.models import DailyMemberActivity, Member, Welcome
from bot.db.models.activity import ActorRole
from bot.db.models.welcome import ThreadKind
from bot.welcome.config import WelcomeSetup
from bot.welcome.funnel import Share, newcomer_funnel
from bot.welcome.store import NewJoin, WelcomeStore
from bot.welcome.tracking import apply_message, finished

G, OTHER = 1, 2
END = datetime(2026, 11, 26, tzinfo=UTC)
D, H = timedelta(days=1), timedelta(hours=1)


@pytest.fixture
def store(database: Database) -> WelcomeStore:
    return WelcomeStore(database)


async def test_joins_tracking_and_leaves(store: WelcomeStore) -> None:
    t0 = END - 2 * D
    ids = await store.record_joins([NewJoin(G, 10, t0), NewJoin(G, 11, t0)])
    assert len(ids) == 2
    await store.set_thread(G, ids[:1], 500, at=t0 + H, shared=False)
    await store.set_failure(G, ids[1:], "forbidden")
    # the same user and thread id in another guild: its row must never move
    (elsewhere,) = await store.record_joins([NewJoin(OTHER, 10, t0)])
    await store.set_thread(OTHER, [elsewhere], 500, at=t0, shared=False)

    def change(at: datetime, author: int, role: ActorRole):  # type: ignore[no-untyped-def]
        return lambda rows: (
            apply_message(rows, author_id=author, role=role, at=at),
            finished(rows),
        )

    assert not await store.apply_to_thread(G, 500, change(t0 + 2 * H, 10, ActorRole.MEMBER))
    assert not await store.apply_to_thread(G, 500, change(t0 + 3 * H, 99, ActorRole.STAFF))
    assert await store.apply_to_thread(G, 500, change(t0 + 5 * H, 98, ActorRole.MEMBER))
    await store.mark_left(G, 11, t0 + 4 * H)
    async with store._db.session() as session:
        first = await session.get(Welcome, ids[0])
        second = await session.get(Welcome, ids[1])
        other = await session.get(Welcome, elsewhere)
    assert other is not None and other.introduced_at is None and other.newcomer_left_at is None
    assert first is not None and second is not None
    assert first.introduced_at == t0 + 2 * H
    assert first.staff_answered_at == t0 + 3 * H
    assert (first.first_peer_reply_at, first.first_peer_reply_seconds) == (t0 + 5 * H, 3 * 3600)
    assert second.failure == "forbidden" and second.newcomer_left_at == t0 + 4 * H
    assert await store.open_threads(END) == {500: OTHER}


async def test_due_nudges_respect_delay_once_and_greeter(store: WelcomeStore) -> None:
    await store.save_config(
        G,
        WelcomeSetup(channel_id=7, greeter_role_id=70, nudge_delay_minutes=24 * 60),
        ThreadKind.PRIVATE,
        actor_id=None,
        now=END,
    )
    await store.save_config(
        OTHER, WelcomeSetup(channel_id=8), ThreadKind.PRIVATE, actor_id=None, now=END
    )
    t0 = END - 3 * D
    ids = await store.record_joins(
        [NewJoin(G, 10, t0), NewJoin(G, 11, t0), NewJoin(G, 12, t0), NewJoin(OTHER, 13, t0)]
    )
    for i, welcome_id in enumerate(ids):
        await store.set_thread(G if i < 3 else OTHER, [welcome_id], 600 + i, at=t0, shared=False)
    async with store._db.session() as session:
        rows = {w.user_id: w for w in [await session.get(Welcome, i) for i in ids] if w}
        rows[10].introduced_at = END - 25 * H  # due: 25 h > 24 h
        rows[11].introduced_at = END - 23 * H  # not yet
        rows[12].introduced_at = END - 30 * H  # answered: never nudged
        rows[12].first_peer_reply_at = END - 29 * H
        rows[13].introduced_at = END - 30 * H  # other guild has no greeter role
    due = await store.due_nudges(END, [G, OTHER])
    assert [w.user_id for w, _ in due] == [10]
    assert await store.claim_nudges(G, [ids[0]], END) == 1
    assert await store.claim_nudges(G, [ids[0]], END) == 0
    assert await store.due_nudges(END, [G, OTHER]) == []


async def test_funnel_query(database: Database, store: WelcomeStore) -> None:
    start = END - 60 * D
    j1, j2, j3 = END - 40 * D, END - 30 * D, END - 3 * D
    ids = await store.record_joins(
        [
            NewJoin(G, 10, j1),
            NewJoin(G, 11, j2),
            NewJoin(G, 12, j3),
            NewJoin(G, 13, j3),  # opted out
            NewJoin(G, 14, start - D),  # before the period
            NewJoin(OTHER, 15, j1),  # another guild
        ]
    )
    async with database.session() as session:
        rows = {w.user_id: w for w in [await session.get(Welcome, i) for i in ids] if w}
        rows[10].introduced_at, rows[10].first_peer_reply_at = j1 + H, j1 + 3 * H
        rows[11].introduced_at, rows[11].first_peer_reply_at = j2 + H, j2 + 2 * H
        rows[12].introduced_at = j3 + H
        rows[13].introduced_at = j3 + H
        rows[15].introduced_at = j1 + H
        session.add_all(
            [
                Member(guild_id=G, user_id=11, joined_at=j2, left_at=j2 + 2 * D),
                Member(guild_id=G, user_id=13, joined_at=j3, opted_out=True),
                # 10 posted on day 22 after joining; 11 only on day 30 (outside week 4)
                DailyMemberActivity(guild_id=G, day=(j1 + 22 * D).date(), user_id=10, messages=2),
                DailyMemberActivity(guild_id=G, day=(j2 + 30 * D).date(), user_id=11, messages=1),
                DailyMemberActivity(
                    guild_id=OTHER, day=(j1 + 22 * D).date(), user_id=15, messages=1
                ),
            ]
        )
    funnel = await newcomer_funnel(database, G, start, END)
    assert funnel.joined == 4
    assert funnel.introduced == Share(3, 3)
    assert funnel.answered == Share(2, 3)
    assert funnel.median_seconds_to_first_peer_reply == (2 * 3600 + 3600) / 2
    assert funnel.still_there_after_7_days == Share(1, 2)  # 11 left on day 2
    assert funnel.active_in_week_4 == Share(1, 2)
    empty = await newcomer_funnel(database, 3, start, END)
    assert empty.joined == 0 and empty.introduced.rate is None
