"""Privacy with the real recorder: an opt-out purges and blocks recording; nothing buffered
comes back after a forget."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select
from test_privacy_service import G1, NOW, U, V

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import ActivityEvent, DailyMemberActivity, Member
from bot.privacy import PrivacyService, personal_tables
from bot.recording import ActorRole, Recorder
from bot.recording.events import MemberJoined, MessageCreated, ReactionChanged, ReplyTarget

CHANNEL = 4_000_000_000_000_001
_ids = iter(range(5_000_000_000_000_000, 6_000_000_000_000_000))


def message(
    author: int, *, reply_to: int | None = None, target: int | None = None
) -> MessageCreated:
    return MessageCreated(
        guild_id=G1,
        message_id=next(_ids),
        channel_id=CHANNEL,
        thread_id=None,
        author_id=author,
        author_role=ActorRole.MEMBER,
        created_at=NOW,
        reply_to=ReplyTarget(reply_to, target, ActorRole.MEMBER, False) if reply_to else None,
    )


async def conversation(recorder: Recorder) -> None:
    """U and V join; U posts, V replies to U and reacts to U's message; U answers V."""
    for who in (U, V):
        await recorder.record(MemberJoined(G1, who, False, False, NOW - timedelta(days=3)))
    first = message(U)
    await recorder.record(first)
    await recorder.record(message(V, reply_to=first.message_id, target=U))
    await recorder.record(
        ReactionChanged(
            G1,
            first.message_id,
            CHANNEL,
            None,
            V,
            ActorRole.MEMBER,
            "👍",
            True,
            NOW,
            U,
            ActorRole.MEMBER,
        )
    )
    answer = message(V)
    await recorder.record(answer)
    await recorder.record(message(U, reply_to=answer.message_id, target=V))


async def rows_naming(db: Database, user_id: int) -> dict[str, int]:
    """Rows per personal table in which a user column is `user_id` (members row aside)."""
    found = {}
    async with db.session() as session:
        for pt in personal_tables():
            cond = or_(*(uc.column == user_id for uc in pt.user_columns))
            rows = (
                await session.execute(select(pt.table).where(pt.guild_column == G1, cond))
            ).all()
            found[pt.name] = len(rows)
    return found


def recorder_for(db: Database) -> Recorder:
    return Recorder(db, batch_size=100, flush_interval=3600)


async def test_opt_out_purges_and_the_recorder_then_ignores_the_member(database: Database) -> None:
    recorder = recorder_for(database)
    service = PrivacyService(database, ManualClock(NOW), recorder)
    await conversation(recorder)
    await recorder.flush()
    assert (await rows_naming(database, U))["activity_events"] >= 3

    assert await service.opt_out(G1, U) is True

    assert recorder.is_opted_out(G1, U)
    assert {k: v for k, v in (await rows_naming(database, U)).items() if v} == {"members": 1}
    # More activity after the opt-out: none of it names them.
    await conversation(recorder)
    await recorder.flush()
    assert {k: v for k, v in (await rows_naming(database, U)).items() if v} == {"members": 1}
    async with database.session() as session:
        member = await session.get(Member, (G1, U))
        v_events = (
            await session.scalars(select(ActivityEvent).where(ActivityEvent.actor_id == V))
        ).all()
    assert member is not None and member.opted_out
    assert v_events and all(e.target_id is None for e in v_events)

    # A restarted recorder still knows (the flag is in the database).
    fresh = recorder_for(database)
    await fresh.load_opt_outs()
    assert fresh.is_opted_out(G1, U)

    assert await service.opt_in(G1, U) is True
    await conversation(recorder)
    await recorder.flush()
    assert (await rows_naming(database, U))["activity_events"] > 0


async def test_forget_writes_the_buffer_first_so_nothing_comes_back(database: Database) -> None:
    recorder = recorder_for(database)
    service = PrivacyService(database, ManualClock(NOW), recorder)
    await conversation(recorder)
    await recorder.flush()
    await recorder.record(message(U))  # still buffered when forget is asked
    assert recorder.pending == 1

    await service.forget(G1, U)
    await recorder.flush()

    assert not any((await rows_naming(database, U)).values())
    async with database.session() as session:
        v_days = (
            await session.scalars(
                select(DailyMemberActivity).where(DailyMemberActivity.user_id == V)
            )
        ).all()
    assert v_days, "the other member's rollups stay"
