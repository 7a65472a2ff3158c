"""The recorder's SQL: batched look-ups before a flush and bulk writes inside it.

Every statement works on SQLite and PostgreSQL: inserts use the dialect's `insert`
construct for `ON CONFLICT`, and lists of parameters go through executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Date, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.base import UTCDateTime, require_aware
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
CHUNK = 5_000  # ids per IN list: below every backend's parameter limit (32,766)

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


async def thread_infos(
    conn: AsyncConnection, guild_ids: Collection[int], thread_ids: set[int]
) -> dict[int, ThreadInfo]:
    """Owner and context of the tracked threads among `thread_ids` (the others are not
    in the result)."""
    found: dict[int, ThreadInfo] = {}
    for chunk in _chunks(thread_ids):
        result = await conn.execute(
            select(THREADS.c.thread_id, THREADS.c.owner_id, THREADS.c.context).where(
                THREADS.c.guild_id.in_(guild_ids), THREADS.c.thread_id.in_(chunk)
            )
        )
        for tid, owner, context in result:
            found[tid] = ThreadInfo(owner, ThreadContext(context))
    return found


async def answered_pairs(
    conn: AsyncConnection, guild_ids: Collection[int], thread_ids: set[int]
) -> dict[int, set[int]]:
    """Authors whose thread answer was already counted, per thread. (Replies are told
    apart in Python: a `reply_to_id IS NULL` condition makes SQLite pick the reply index
    and scan every non-reply message of the guild.)"""
    found: dict[int, set[int]] = {tid: set() for tid in thread_ids}
    for chunk in _chunks(thread_ids):
        result = await conn.execute(
            select(E.thread_id, E.actor_id, E.reply_to_id).where(
                E.guild_id.in_(guild_ids),
                E.thread_id.in_(chunk),
                E.kind == EventKind.MESSAGE,
                E.target_id.is_not(None),
            )
        )
        for tid, actor, reply_to in result:
            if reply_to is None:
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


async def insert_new_events(conn: AsyncConnection, rows: list[Row]) -> list[Row]:
    """Insert the rows (one executemany); return those that were new. An event already
    stored (replay, backfill) hits the unique constraint and is skipped.

    Which rows were new: all of them when the driver counts as many inserts as rows (the
    common case, SQLite); otherwise those whose key now has an id above the largest id
    before the insert (our transaction's rows; another writer's rows are other guilds',
    so their keys never match). The id range alone uses the primary key."""
    if not rows:
        return []
    before = (await conn.execute(select(func.max(E.id)))).scalar() or 0
    build = lambda: insert_for(conn, EVENTS).on_conflict_do_nothing()  # noqa: E731
    inserted = await executemany(conn, EVENTS, build, rows)
    if inserted == len(rows):
        return rows
    result = await conn.execute(
        select(E.guild_id, E.kind, E.ref_id, E.actor_id, E.emoji).where(E.id > before)
    )
    new = {(g, k, r, a, e) for g, k, r, a, e in result}
    return [row for row in rows if key_of(row) in new]


_COMPILED: dict[tuple[str, str, tuple[str, ...]], tuple[str, Callable[[Any], Any], list[Any]]] = {}


def _sqlite_datetime(value: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DATETIME binds (UTC): the same format, so text
    comparisons in queries stay right."""
    if value is None:
        return None
    v = (value if value.tzinfo is UTC else require_aware(value).astimezone(UTC)).replace(
        tzinfo=None
    )
    text = v.isoformat(" ")
    return text if v.microsecond else text + ".000000"


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else require_aware(value)


def _converters(dialect: str, table: Table, order: tuple[str, ...]) -> list[Any]:
    """What the ORM's column types would do to each value, written out for the fast path:
    SQLite's text formats, and on every database the refusal of naive datetimes."""
    found = []
    for i, name in enumerate(order):
        column_type = table.c[name].type
        if isinstance(column_type, UTCDateTime):
            found.append((i, _sqlite_datetime if dialect == "sqlite" else _aware))
        elif isinstance(column_type, Date) and dialect == "sqlite":
            found.append((i, _sqlite_date))
    return found


async def executemany(
    conn: AsyncConnection, table: Table, build: Callable[[], Any], rows: Sequence[dict[str, Any]]
) -> int:
    """Execute a dialect insert construct (from `build`) for many rows, straight to the
    driver.

    The statement is compiled once per dialect, table and column set, and values are
    converted here: SQLAlchemy's per-row parameter processing costs more than SQLite's
    insert itself, and this is the recorder's hot path (benchmarks/ingest.py). Returns
    the driver's row count (-1 when it does not count executemany)."""
    columns = tuple(rows[0])
    dialect = conn.dialect
    key = (dialect.name, table.name, columns)
    compiled = _COMPILED.get(key)
    if compiled is None:
        statement = build().compile(dialect=dialect, column_keys=list(columns))
        order = tuple(statement.positiontup or ())
        convert = _converters(dialect.name, table, order)
        compiled = _COMPILED[key] = (str(statement), itemgetter(*order), convert)
    sql, getter, convert = compiled
    params: list[Any] = [getter(r) for r in rows]
    if convert:
        for n, values in enumerate(params):
            values = list(values)
            for i, fn in convert:
                values[i] = fn(values[i])
            params[n] = tuple(values)
    result = await conn.exec_driver_sql(sql, params)
    return result.rowcount


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
