"""Gap recovery, database side: where each channel's record stops, missed joins and
leaves, unreadable channels remembered once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db import Database
from bot.db.models.activity import ActorRole
from bot.recording import Recorder, backfill
from bot.recording.events import MemberJoined, MemberLeft, MessageCreated, snowflake_at

G, OTHER_GUILD, CH, CH2, THREAD = 1, 2, 10, 11, 50
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
M = ActorRole.MEMBER


def message(mid: int, *, channel: int = CH, thread: int | None = None, guild: int = G):
    return MessageCreated(guild, mid, channel, thread, 100, M, T0)


async def test_cursor_is_the_last_message_per_place_below_the_disconnect(
    database: Database,
) -> None:
    recorder = Recorder(database)
    a, b, c = (
        snowflake_at(T0),
        snowflake_at(T0 + timedelta(minutes=1)),
        snowflake_at(T0 + timedelta(hours=1)),
    )
    await recorder.record_many(
        [
            message(a),
            message(b, thread=THREAD),  # in a thread of CH: not CH's own cursor
            message(c),  # after the disconnect: a live message must not hide the gap
            message(b + 1, channel=CH2, guild=OTHER_GUILD),
        ]
    )
    await recorder.flush()
    cut = snowflake_at(T0 + timedelta(minutes=30))
    assert await backfill.cursor(database, G, CH, thread=False, before=cut) == a
    assert await backfill.cursor(database, G, THREAD, thread=True, before=cut) == b
    assert await backfill.cursor(database, G, CH2, thread=False, before=cut) == 0


async def test_member_changes_while_away(database: Database) -> None:
    recorder = Recorder(database)
    await recorder.record_many(
        [
            MemberJoined(G, 100, False, False, T0),  # still here
            MemberJoined(G, 101, False, False, T0),  # left while away
            MemberJoined(G, 102, False, False, T0),
            MemberLeft(G, 102, False, T0 + timedelta(days=1)),  # came back while away
            MemberJoined(G, 104, False, False, T0),  # became staff while away
        ]
    )
    await recorder.flush()
    later, now = T0 + timedelta(days=2), T0 + timedelta(days=3)
    present = [
        backfill.PresentMember(100, False, False, T0),
        backfill.PresentMember(102, False, False, later),
        backfill.PresentMember(103, False, False, later),  # joined while away
        backfill.PresentMember(104, False, True, T0),
    ]
    events, staff = await backfill.member_changes(database, G, present, now)
    assert sorted(events, key=lambda e: e.user_id) == [
        MemberLeft(G, 101, False, now),
        MemberJoined(G, 102, False, False, later),
        MemberJoined(G, 103, False, False, later),
    ]
    assert staff == [(104, True)]
    await recorder.record_many(events)
    await recorder.flush()
    assert await backfill.member_changes(database, G, present, now) == ([], [(104, True)])


async def test_unreadable_channels_are_remembered_per_guild(database: Database) -> None:
    assert await backfill.not_yet_reported(database, G, [CH, CH2]) == [CH, CH2]
    await backfill.mark_reported(database, G, [CH])
    assert await backfill.not_yet_reported(database, G, [CH, CH2]) == [CH2]
    assert await backfill.not_yet_reported(database, OTHER_GUILD, [CH]) == [CH]
