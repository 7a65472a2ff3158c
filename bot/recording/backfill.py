"""Gap recovery, the database side: where each channel's record stops, the gaps still to
read (`backfill_gaps`, so a restart continues them), which member changes happened while
the bot was away, which unreadable channels admins already heard of.

The tracking cog walks Discord (history, member list) and feeds what it finds to the
recorder; recording is idempotent, so a message fetched twice is stored once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

from bot.db import Database
from bot.db.models import BotState
from bot.db.models.activity import ActivityEvent, BackfillGap, EventKind, Member
from bot.recording.events import MemberJoined, MemberLeft

PAGE = 100  # messages per history request: Discord's maximum
PAGE_DELAY = 0.5  # seconds between two history requests of a recovery (pacing)
PAGES_PER_TURN = 10  # pages one place reads before the next place's turn
E = ActivityEvent


async def cursor(db: Database, guild_id: int, place_id: int, *, thread: bool, before: int) -> int:
    """The id of the last message recorded in a channel (or thread) before `before`, the
    snowflake of the moment the bot lost the gateway, or 0. Live messages recorded since
    the reconnect are newer than `before`, so they cannot hide the gap."""
    place = (
        E.thread_id == place_id if thread else (E.channel_id == place_id) & E.thread_id.is_(None)
    )
    async with db.session() as session:
        last = await session.scalar(
            select(func.max(E.ref_id)).where(
                E.guild_id == guild_id, E.kind == EventKind.MESSAGE, place, E.ref_id < before
            )
        )
    return int(last or 0)


@dataclass(frozen=True, slots=True)
class Gap:
    """What is left to read of one place's history: after `after_id`, up to `before_id`."""

    place_id: int
    after_id: int
    before_id: int


async def open_gap(
    db: Database, guild_id: int, place_id: int, *, after: int, before: int, now: datetime
) -> Gap:
    """Open a gap in a place's record, or widen the one an earlier run left open (its
    unread part and this one merge: what lies between was recorded live and is read
    again, which stores nothing twice)."""
    async with db.session() as session:
        row = await session.get(BackfillGap, (guild_id, place_id))
        if row is None:
            row = BackfillGap(
                guild_id=guild_id,
                place_id=place_id,
                after_id=after,
                before_id=before,
                opened_at=now,
            )
            session.add(row)
        else:
            row.after_id = min(row.after_id, after)
            row.before_id = max(row.before_id, before)
        return Gap(place_id, row.after_id, row.before_id)


async def open_gaps(db: Database, guild_id: int) -> dict[int, Gap]:
    """The gaps still open in a guild, per place."""
    async with db.session() as session:
        rows = (
            await session.scalars(select(BackfillGap).where(BackfillGap.guild_id == guild_id))
        ).all()
    return {r.place_id: Gap(r.place_id, r.after_id, r.before_id) for r in rows}


async def advance(db: Database, guild_id: int, gap: Gap, after_id: int) -> Gap:
    """Move a gap's cursor past a page whose messages are written."""
    async with db.session() as session:
        await session.execute(
            update(BackfillGap)
            .where(BackfillGap.guild_id == guild_id, BackfillGap.place_id == gap.place_id)
            .values(after_id=after_id)
        )
    return Gap(gap.place_id, after_id, gap.before_id)


async def close_gap(db: Database, guild_id: int, place_id: int) -> None:
    """The gap is read to its end (or its place is gone)."""
    async with db.session() as session:
        await session.execute(
            delete(BackfillGap).where(
                BackfillGap.guild_id == guild_id, BackfillGap.place_id == place_id
            )
        )


@dataclass(frozen=True, slots=True)
class PresentMember:
    user_id: int
    is_bot: bool
    is_staff: bool
    joined_at: datetime | None


async def member_changes(
    db: Database, guild_id: int, present: Iterable[PresentMember], now: datetime
) -> tuple[list[MemberJoined | MemberLeft], list[tuple[int, bool]]]:
    """Joins and leaves missed while away, and staff flags to correct.

    A member not stored, or stored as gone, joined at their `joined_at` (a join recorded
    live has the same time, so it is not doubled); a member stored as present but absent
    now left, at `now` (the moment we noticed)."""
    async with db.session() as session:
        rows = (
            await session.execute(
                select(
                    Member.user_id, Member.joined_at, Member.left_at, Member.is_staff, Member.is_bot
                ).where(Member.guild_id == guild_id)
            )
        ).all()
    stored = {r.user_id: r for r in rows}
    events: list[MemberJoined | MemberLeft] = []
    staff: list[tuple[int, bool]] = []
    seen: set[int] = set()
    for m in present:
        seen.add(m.user_id)
        row = stored.get(m.user_id)
        joined = m.joined_at or now
        if row is None or row.left_at is not None or row.joined_at != joined:
            events.append(MemberJoined(guild_id, m.user_id, m.is_bot, m.is_staff, joined))
        elif row.is_staff != m.is_staff:
            staff.append((m.user_id, m.is_staff))
    for user_id, row in stored.items():
        if row.left_at is None and row.joined_at is not None and user_id not in seen:
            events.append(MemberLeft(guild_id, user_id, row.is_bot, now))
    return events, staff


def _since_key(shard_id: int) -> str:
    return f"tracking.gap_since:shard:{shard_id}"


async def gap_marks(db: Database, shard_ids: Iterable[int]) -> dict[int, datetime]:
    """Per shard, since when a run may have missed events that no gap in `backfill_gaps`
    holds yet (a run killed before its recovery opened its gaps)."""
    keys = {_since_key(s): s for s in shard_ids}
    async with db.session() as session:
        rows = (await session.execute(select(BotState).where(BotState.key.in_(keys)))).scalars()
        return {keys[r.key]: datetime.fromisoformat(r.value) for r in rows}


async def save_gap_mark(db: Database, shard_id: int, since: datetime | None) -> None:
    """Keep (or, with None, drop) a shard's mark. Written before any live event of the run
    is recorded: a live message recorded then must not become the next start's lower
    bound while the messages before it are unread."""
    async with db.session() as session:
        if since is None:
            await session.execute(delete(BotState).where(BotState.key == _since_key(shard_id)))
        else:
            await session.merge(BotState(key=_since_key(shard_id), value=since.isoformat()))


def _reported_key(guild_id: int, channel_id: int) -> str:
    return f"tracking.unreadable:{guild_id}:{channel_id}"


async def not_yet_reported(db: Database, guild_id: int, channel_ids: Iterable[int]) -> list[int]:
    """The unreadable channels admins have not been told about."""
    ids = list(channel_ids)
    if not ids:
        return []
    keys = {_reported_key(guild_id, c): c for c in ids}
    async with db.session() as session:
        done = set(
            (await session.scalars(select(BotState.key).where(BotState.key.in_(keys)))).all()
        )
    return [c for k, c in keys.items() if k not in done]


async def mark_reported(db: Database, guild_id: int, channel_ids: Iterable[int]) -> None:
    """Remember that admins were told, so a channel is reported once, not at every start."""
    async with db.session() as session:
        for c in channel_ids:
            await session.merge(BotState(key=_reported_key(guild_id, c), value="reported"))
