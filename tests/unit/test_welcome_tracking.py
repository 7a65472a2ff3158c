"""How messages in a welcome thread update the welcome rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db.models.activity import ActorRole
from bot.db.models.welcome import Welcome
from bot.welcome.tracking import apply_message, finished

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
NEW, OTHER_NEW, MEMBER, STAFF, BOT = 1, 2, 3, 4, 5


def row(user_id: int = NEW) -> Welcome:
    return Welcome(guild_id=9, user_id=user_id, joined_at=T0, thread_id=100)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_introduction_then_member_reply_records_the_time_to_it() -> None:
    w = row()
    assert apply_message([w], author_id=NEW, role=ActorRole.MEMBER, at=at(5))
    assert apply_message([w], author_id=MEMBER, role=ActorRole.MEMBER, at=at(95))
    assert w.introduced_at == at(5)
    assert w.first_peer_reply_at == at(95)
    assert w.first_peer_reply_seconds == 90 * 60
    assert finished([w])


def test_second_newcomer_message_is_not_a_new_introduction() -> None:
    w = row()
    apply_message([w], author_id=NEW, role=ActorRole.MEMBER, at=at(5))
    assert not apply_message([w], author_id=NEW, role=ActorRole.MEMBER, at=at(8))
    assert w.introduced_at == at(5)


def test_staff_answer_is_not_a_peer_reply() -> None:
    w = row()
    apply_message([w], author_id=NEW, role=ActorRole.MEMBER, at=at(5))
    apply_message([w], author_id=STAFF, role=ActorRole.STAFF, at=at(6))
    assert w.staff_answered_at == at(6)
    assert w.first_peer_reply_at is None
    assert not finished([w])


def test_bots_and_messages_before_the_introduction_answer_nothing() -> None:
    w = row()
    assert not apply_message([w], author_id=BOT, role=ActorRole.BOT, at=at(1))
    assert not apply_message([w], author_id=MEMBER, role=ActorRole.MEMBER, at=at(2))
    apply_message([w], author_id=NEW, role=ActorRole.MEMBER, at=at(3))
    assert w.first_peer_reply_at is None and w.introduced_at == at(3)


def test_shared_thread_replies_answer_the_replied_newcomer_only() -> None:
    a, b = row(NEW), row(OTHER_NEW)
    apply_message([a, b], author_id=NEW, role=ActorRole.MEMBER, at=at(1))
    apply_message([a, b], author_id=OTHER_NEW, role=ActorRole.MEMBER, at=at(2))
    # b replying to a counts for a (b is a member too), not for b itself
    apply_message(
        [a, b], author_id=OTHER_NEW, role=ActorRole.MEMBER, at=at(3), reply_to_author_id=NEW
    )
    assert a.first_peer_reply_at == at(3) and b.first_peer_reply_at is None
    # a plain message by an established member answers every introduced newcomer
    apply_message([a, b], author_id=MEMBER, role=ActorRole.MEMBER, at=at(10))
    assert a.first_peer_reply_at == at(3) and b.first_peer_reply_at == at(10)
    assert b.first_peer_reply_seconds == 8 * 60


def test_silent_newcomer_who_left_is_finished() -> None:
    w = row()
    w.newcomer_left_at = at(60)
    assert finished([w])
