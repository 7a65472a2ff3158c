"""The recorder's SQL: batched look-ups before a flush and bulk writes inside it.

Every statement works on SQLite and PostgreSQL: inserts use the dialect's `insert`
construct for `ON CONFLICT`, and lists of parameters go through executemany.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.models.activity import (
    ActivityEvent,
    ActorRole,
    EventKind,
    Member,
    ThreadContext,
    TrackedThread,
)
from bot.recording.classify import KnownMessage, Row, ThreadInfo

Key = tuple[int, int, int, int, str]
CHUNK = 900  # ids per IN list: far below every backend's parameter limit

EVENTS: Table = ActivityEvent.__table__  # type: ignore[assignment]
MEMBERS: Table = Member.__table__  # type: ignore[assignment]
THREADS: Table = TrackedThread.__table__  # type: ignore[assignment]
E = EVENTS.c


def key_of(row: Row) -> Key:
    """The unique constraint's columns: equal keys are the same Discord fact."""
    return (row["guild_id"], row["kind"], row["ref_id"], row["actor_id"], row["emoji"])


def insert_for(conn: AsyncConnection, table: Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _chunks(ids: Collection[int]) -> Iterable[list[int]]:
    items = list(ids)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


async def existing_keys(
    conn: AsyncConnection, guild_ids: Collection[int], kinds: Collection[int], refs: set[int]
) -> set[Key]:
    """Keys already stored among those with these refs (one indexed query per chunk)."""
    found: set[Key] = set()
    for chunk in _chunks(refs):
        result = await conn.execute(
            select(E.guild_id, E.kind, E.ref_id, E.actor_id, E.emoji).where(
                E.guild_id.in_(guild_ids), E.kind.in_(kinds), E.ref_id.in_(chunk)
            )
        )
        found.update((g, k, r, a, e) for g, k, r, a, e in result)
    return found


async def known_messages(
    conn: AsyncConnection, guild_ids: Collection[int], message_ids: set[int]
) -> dict[int, KnownMessage]:
    """Author, role and place of messages recorded earlier."""
    found: dict[int, KnownMessage] = {}
    for chunk in _chunks(message_ids):
        result = await conn.execute(
            select(E.ref_id, E.actor_id, E.actor_role, E.thread_id, E.reply_to_id).where(
                E.guild_id.in_(guild_ids), E.kind == EventKind.MESSAGE, E.ref_id.in_(chunk)
            )
        )
        for ref, actor, role, thread, reply_to in result:
            found[ref] = KnownMessage(actor, ActorRole(role), thread, reply_to is not None)
    return found


async def thread_infos(conn: AsyncConnection, thread_ids: set[int]) -> dict[int, ThreadInfo]:
    """Owner and context of tracked threads; unknown threads are ordinary, owner unknown."""
    found = {tid: ThreadInfo(None, ThreadContext.ORDINARY) for tid in thread_ids}
    for chunk in _chunks(thread_ids):
        result = await conn.execute(
            select(THREADS.c.thread_id, THREADS.c.owner_id, THREADS.c.context).where(
                THREADS.c.thread_id.in_(chunk)
            )
        )
        for tid, owner, context in result:
            found[tid] = ThreadInfo(owner, ThreadContext(context))
    return found


async def answered_pairs(
    conn: AsyncConnection, guild_ids: Collection[int], thread_ids: set[int]
) -> dict[int, set[int]]:
    """Authors whose thread answer was already counted, per thread."""
    found: dict[int, set[int]] = {tid: set() for tid in thread_ids}
    for chunk in _chunks(thread_ids):
        result = await conn.execute(
            select(E.thread_id, E.actor_id)
            .where(
                E.guild_id.in_(guild_ids),
                E.thread_id.in_(chunk),
                E.kind == EventKind.MESSAGE,
                E.reply_to_id.is_(None),
                E.target_id.is_not(None),
            )
            .distinct()
        )
        for tid, actor in result:
            found[tid].add(actor)
    return found


async def conversation_starts(
    conn: AsyncConnection, guild_ids: Collection[int], message_ids: set[int]
) -> set[int]:
    """Replied-to messages that have already become a conversation."""
    found: set[int] = set()
    for chunk in _chunks(message_ids):
        result = await conn.execute(
            select(E.reply_to_id).where(
                E.guild_id.in_(guild_ids),
                E.reply_to_id.in_(chunk),
                E.starts_conversation.is_(True),
            )
        )
        found.update(r for (r,) in result)
    return found


async def insert_events(conn: AsyncConnection, rows: Sequence[Row]) -> None:
    """Bulk insert; a row that raced in since the look-up is skipped, not an error."""
    if rows:
        await conn.execute(insert_for(conn, EVENTS).on_conflict_do_nothing(), list(rows))


async def upsert_present_members(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Members now in the guild: joined_at, bot and staff flags; left_at cleared. The
    opt-out flag is never touched here."""
    if not rows:
        return
    stmt = insert_for(conn, MEMBERS)
    stmt = stmt.on_conflict_do_update(
        index_elements=["guild_id", "user_id"],
        set_={
            "joined_at": stmt.excluded.joined_at,
            "left_at": None,
            "is_bot": stmt.excluded.is_bot,
            "is_staff": stmt.excluded.is_staff,
        },
    )
    await conn.execute(stmt, [{**r, "left_at": None, "opted_out": False} for r in rows])


async def upsert_departed_members(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Members who left: left_at set, the rest kept."""
    if not rows:
        return
    stmt = insert_for(conn, MEMBERS)
    stmt = stmt.on_conflict_do_update(
        index_elements=["guild_id", "user_id"],
        set_={"left_at": stmt.excluded.left_at},
    )
    params = [{**r, "joined_at": None, "is_staff": False, "opted_out": False} for r in rows]
    await conn.execute(stmt, params)


async def insert_threads(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Threads seen being created; a thread already marked (welcome, ritual) keeps its
    context and owner."""
    if rows:
        stmt = insert_for(conn, THREADS).on_conflict_do_nothing(index_elements=["thread_id"])
        await conn.execute(stmt, list(rows))


async def upsert_thread(conn: AsyncConnection, row: dict[str, Any]) -> None:
    """A thread marked by a feature: its context and owner win over what was seen."""
    stmt = insert_for(conn, THREADS)
    stmt = stmt.on_conflict_do_update(
        index_elements=["thread_id"],
        set_={
            "context": stmt.excluded.context,
            "owner_id": stmt.excluded.owner_id,
            "parent_id": stmt.excluded.parent_id,
        },
    )
    await conn.execute(stmt, row)
