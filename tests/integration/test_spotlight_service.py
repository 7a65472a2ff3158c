"""Spotlight suggestions on a real database: hand-computed ranking from rollups and
events, every exclusion, recording, refusals, and the before/after figure for /health."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import ActivityEvent, DailyMemberActivity, Member
from bot.db.models.activity import ActorRole, EventKind, Interaction
from bot.db.models.recognition import SpotlightSource
from bot.errors import FoyerError
from bot.periods import Period
from bot.spotlight.service import NO_WEEKLY_SUGGESTION, SpotlightService

GUILD = 10
OTHER = 20
NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)  # period: UTC days 2026-03-03 .. 2026-03-30
_refs = itertools.count(1)

ALICE, BOB, CAROL, DAVE_STAFF, ERIN_OPTED_OUT, FRANK, GINA, ROBOT, HUGO = range(1, 10)


async def seed(
    session: AsyncSession,
    user_id: int,
    *,
    guild_id: int = GUILD,
    day: date = date(2026, 3, 20),
    peer: int = 0,
    helped: int = 0,
    conversations: int = 0,
    ritual_days: int = 0,
    reactions: int = 0,
) -> None:
    """A member's figures: one rollup row (plus one per ritual day) and `peer` answer
    events spread over `helped` distinct members."""
    session.add(
        DailyMemberActivity(
            guild_id=guild_id,
            day=day,
            user_id=user_id,
            messages=peer + conversations,
            peer_given=peer,
            conversations_started=conversations,
            reactions_received=reactions,
        )
    )
    for i in range(ritual_days):
        session.add(
            DailyMemberActivity(
                guild_id=guild_id,
                day=day - timedelta(days=i + 1),
                user_id=user_id,
                messages=1,
                ritual_messages=1,
            )
        )
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    for i in range(peer):
        session.add(
            ActivityEvent(
                guild_id=guild_id,
                kind=EventKind.MESSAGE,
                ref_id=next(_refs),
                occurred_at=at,
                actor_id=user_id,
                actor_role=ActorRole.MEMBER,
                target_id=900 + i % helped,
                target_role=ActorRole.MEMBER,
                interaction=Interaction.PEER,
            )
        )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def service(database: Database, clock: ManualClock) -> SpotlightService:
    async with database.session() as session:
        # Scores by hand (docs/recognition.md):
        # alice 3*5 + min(10, 15) + 2*2 + 2*1 + 0.5*min(30, 20) = 41
        await seed(session, ALICE, peer=10, helped=5, conversations=2, ritual_days=1,
                   reactions=30)  # fmt: skip
        # bob 3*1 + min(40, 3) + 0.5*4 = 8: forty replies to one friend
        await seed(session, BOB, peer=40, helped=1, reactions=4)
        # carol 3*4 + 6 + 2*1 + 2*3 = 26
        await seed(session, CAROL, peer=6, helped=4, conversations=1, ritual_days=3)
        # excluded although they would rank first
        for uid in (DAVE_STAFF, ERIN_OPTED_OUT, GINA, ROBOT):
            await seed(session, uid, peer=50, helped=20)
        # frank 3*2 + 2 = 8: ties with bob, ranked first for helping more members
        await seed(session, FRANK, peer=2, helped=2)
        # hugo: loads of activity, but before the period, and nothing in another guild counts
        await seed(session, HUGO, day=date(2026, 2, 1), peer=30, helped=10)
        await seed(session, HUGO, guild_id=OTHER, peer=30, helped=10)
        session.add_all(
            [
                Member(guild_id=GUILD, user_id=DAVE_STAFF, is_staff=True),
                Member(guild_id=GUILD, user_id=ERIN_OPTED_OUT, opted_out=True),
                Member(guild_id=GUILD, user_id=ROBOT, is_bot=True),
                Member(guild_id=GUILD, user_id=ALICE, joined_at=NOW - timedelta(days=90)),
            ]
        )
    svc = SpotlightService(database, clock)
    await svc.refuse(GUILD, GINA)
    return svc


async def test_ranking_by_hand_and_exclusions(service: SpotlightService) -> None:
    suggestion = await service.suggest(GUILD)
    assert [(c.stats.user_id, c.score) for c in suggestion.candidates] == [
        (ALICE, 41.0),
        (CAROL, 26.0),
        (FRANK, 8.0),  # ties with bob at 8: helped 2 members, bob 1
        (BOB, 8.0),
    ]
    alice = suggestion.candidates[0].stats
    assert (alice.peer_given, alice.members_helped, alice.ritual_days) == (10, 5, 1)
    assert (suggestion.days, suggestion.cooldown_weeks) == (28, 8)


async def test_recently_spotlighted_is_left_out_until_the_cooldown_ends(
    service: SpotlightService, clock: ManualClock
) -> None:
    await service.configure(GUILD, channel_id=77)
    prepared = await service.prepare(GUILD, ALICE, mention="<@1>", note="Merci !")
    await service.record(
        GUILD, prepared, posted_by=DAVE_STAFF, source=SpotlightSource.SUGGESTED, message_id=5
    )
    assert ALICE not in [c.stats.user_id for c in (await service.suggest(GUILD)).candidates]
    await service.configure(GUILD, cooldown_weeks=0)
    clock.advance(timedelta(seconds=1))
    assert (await service.suggest(GUILD)).candidates[0].stats.user_id == ALICE


async def test_manual_post_is_refused_for_refusals_opt_outs_staff_and_bots(
    service: SpotlightService,
) -> None:
    with pytest.raises(FoyerError) as no_channel:
        await service.prepare(GUILD, ALICE, mention="<@1>", note=None)
    assert no_channel.value.key == "spotlight.no_channel"
    await service.configure(GUILD, channel_id=77)
    expected = {
        GINA: "spotlight.member_refused",
        ERIN_OPTED_OUT: "spotlight.member_opted_out",
        DAVE_STAFF: "spotlight.member_not_eligible",
        ROBOT: "spotlight.member_not_eligible",
    }
    for uid, key in expected.items():
        with pytest.raises(FoyerError) as refused:
            await service.prepare(GUILD, uid, mention=f"<@{uid}>", note=None)
        assert refused.value.key == key
    with pytest.raises(FoyerError) as too_long:
        await service.prepare(GUILD, ALICE, mention="<@1>", note="x" * 1001)
    assert too_long.value.key == "spotlight.note_too_long"
    assert await service.history(GUILD) == []


async def test_record_keeps_numbers_and_history_is_per_guild(service: SpotlightService) -> None:
    await service.configure(GUILD, channel_id=77)
    prepared = await service.prepare(GUILD, CAROL, mention="<@3>", note="  Bravo  ")
    assert prepared.note == "Bravo"
    await service.record(
        GUILD, prepared, posted_by=DAVE_STAFF, source=SpotlightSource.MANUAL, message_id=42
    )
    (row,) = await service.history(GUILD)
    assert (row.member_id, row.message_id, row.channel_id, row.note) == (CAROL, 42, 77, "Bravo")
    assert (row.peer_given, row.members_helped, row.ritual_days, row.conversations_started) == (
        6,
        4,
        3,
        1,
    )
    assert await service.history(OTHER) == []


async def test_refusal_is_idempotent_and_can_be_undone(service: SpotlightService) -> None:
    await service.refuse(GUILD, ALICE)
    await service.refuse(GUILD, ALICE)
    assert await service.has_refused(GUILD, ALICE)
    assert ALICE not in [c.stats.user_id for c in (await service.suggest(GUILD)).candidates]
    await service.allow(GUILD, ALICE)
    assert not await service.has_refused(GUILD, ALICE)
    assert not await service.has_refused(OTHER, GINA)


async def test_configure_validates_and_tracks_the_weekly_suggestion(
    service: SpotlightService, clock: ManualClock
) -> None:
    with pytest.raises(FoyerError) as bad:
        await service.configure(GUILD, cooldown_weeks=53)
    assert bad.value.key == "spotlight.bad_cooldown"
    assert (await service.config(GUILD)).channel_id is None
    config = await service.configure(GUILD, suggestion_weekday=0)
    assert (config.suggestion_weekday, config.suggestion_since) == (0, NOW)
    assert [c.guild_id for c in await service.weekly_configs()] == [GUILD]
    await service.configure(GUILD, suggestion_weekday=NO_WEEKLY_SUGGESTION)
    assert await service.weekly_configs() == []


async def test_effects_before_and_after(database: Database, clock: ManualClock) -> None:
    service = SpotlightService(database, clock)
    posted = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    async with database.session() as session:
        await seed(session, ALICE, day=date(2026, 1, 25), peer=4, helped=2)  # before
        await seed(session, ALICE, day=date(2025, 12, 1), peer=99, helped=2)  # too early
        await seed(session, ALICE, day=date(2026, 2, 1), peer=6, helped=2)  # day of post: after
        await seed(session, ALICE, day=date(2026, 2, 20), peer=3, helped=2)  # after
        await seed(session, ALICE, day=date(2026, 3, 5), peer=50, helped=2)  # too late
    await service.configure(GUILD, channel_id=77)
    clock.set(posted)
    prepared = await service.prepare(GUILD, ALICE, mention="<@1>", note=None)
    await service.record(
        GUILD, prepared, posted_by=DAVE_STAFF, source=SpotlightSource.MANUAL, message_id=1
    )
    clock.set(NOW - timedelta(days=2))  # a second one whose four weeks are not over
    prepared = await service.prepare(GUILD, CAROL, mention="<@3>", note=None)
    await service.record(
        GUILD, prepared, posted_by=DAVE_STAFF, source=SpotlightSource.MANUAL, message_id=2
    )
    clock.set(NOW)
    effects = await service.effects(GUILD, Period(datetime(2026, 1, 1, tzinfo=UTC), NOW))
    assert (effects.posted, effects.measured) == (2, 1)
    assert (effects.peer_before, effects.peer_after) == (4, 9)
