"""The recorder: buffers events in memory and writes them in batches.

Why this shape: a busy guild sends hundreds of messages a minute, and one transaction per
message is what makes naive bots slow (benchmarks/ingest.py measures it). Events wait in a
bounded buffer; a background task writes them by batch (when `batch_size` are waiting, or
every `flush_interval` seconds), each batch in ONE transaction holding the events, their
rollups, members and threads. A full buffer makes `record()` wait (back-pressure) rather
than drop anything. A briefly locked or unreachable database is retried with backoff; the
batch goes back to the front of the buffer if it still fails. Writing is idempotent: an
event already stored (resume replay, backfill) is skipped and adds nothing to rollups.
With a journal (bot/recording/journal.py), each event is appended to it before it is
buffered, and what a killed run left there is written at the next start
(`recover_journal`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import Database
from bot.db.models.activity import Member, ThreadContext
from bot.recording import store
from bot.recording.classify import BatchState, Row, ThreadInfo, classify
from bot.recording.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MessageCreated,
    MessageDeleted,
    ReactionChanged,
    ThreadCreated,
    actor_of,
)
from bot.recording.journal import Journal
from bot.recording.rollups import Rollups

log = logging.getLogger(__name__)

WAL_AUTOCHECKPOINT = 10_000  # pages
CACHE_KIB = 16_000
RETRY_DELAYS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
TRANSIENT = (sa_exc.OperationalError, sa_exc.InterfaceError, OSError, TimeoutError)


def is_transient(error: BaseException) -> bool:
    """Locked, busy or unreachable database: worth retrying. Anything else is a bug."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, TRANSIENT)


class BoundedCache(dict[int, Any]):
    """A dict that forgets its oldest half when it grows past `limit` (bounded memory)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def trim(self) -> None:
        if len(self) > self.limit:
            for key in list(self)[: len(self) // 2]:
                del self[key]


class Recorder:
    """Owns `activity_events`, the `daily_*` rollups, `members` and `tracked_threads`."""

    def __init__(
        self,
        db: Database,
        *,
        batch_size: int = 5_000,
        max_buffer: int = 50_000,
        flush_interval: float = 1.0,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        cache_size: int = 20_000,
        journal: Journal | None = None,
    ) -> None:
        if max_buffer < batch_size:
            raise ValueError("max_buffer must hold at least one batch")
        self._db = db
        self._journal = journal
        self.batch_size = batch_size
        self.max_buffer = max_buffer
        self.flush_interval = flush_interval
        self.retry_delays = tuple(retry_delays)
        self._buffer: deque[Event] = deque()
        self._lock = asyncio.Lock()  # one writer at a time: flushes, marks, opt-outs
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._opted_out: set[tuple[int, int]] = set()
        self._threads: BoundedCache = BoundedCache(cache_size)
        self._answered: BoundedCache = BoundedCache(cache_size)
        self.stored = 0  # events inserted since start (for logs and benchmarks)

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Start the background flush task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="foyer-recorder")

    async def close(self) -> None:
        """Stop the flush task (letting a write in progress finish) and write everything
        still buffered."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush()
        if self._buffer:
            log.error("recorder closed with %d events unwritten", len(self._buffer))
        if self._journal is not None:
            self._journal.close()

    async def recover_journal(self) -> int:
        """Open the journal and write what a run that did not close left in it (call at
        start, before the gateway connects); returns how many events it held."""
        if self._journal is None:
            return 0
        left = self._journal.open()
        self._buffer.extend(e for e in left if not self._ignored(e))
        await self.flush()
        if left:
            log.info("journal: %d events from the previous run replayed", len(left))
        return len(left)

    async def _run(self) -> None:
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("recorder flush failed; %d events kept", len(self._buffer))
                await asyncio.sleep(self.flush_interval)

    # -- input --------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return len(self._buffer)

    def _ignored(self, event: Event) -> bool:
        """An opted-out member's action (their joins and leaves are kept, anonymous)."""
        return (
            bool(self._opted_out)
            and (event.guild_id, actor_of(event)) in self._opted_out
            and not isinstance(event, MemberJoined | MemberLeft)
        )

    async def record(self, event: Event) -> None:
        """Queue an event (journaled first). Waits while the buffer is full; ignores
        opted-out actors."""
        if self._ignored(event):
            return
        while len(self._buffer) >= self.max_buffer:
            self._room.clear()
            self._wake.set()
            await self._room.wait()
        if self._journal is not None:
            self._journal.append(event)  # no await between this and the buffer: same order
        self._buffer.append(event)
        if len(self._buffer) >= self.batch_size:
            self._wake.set()

    async def record_many(self, events: Iterable[Event]) -> None:
        for event in events:
            await self.record(event)

    # -- flushing -----------------------------------------------------------------------
    async def flush(self) -> None:
        """Write everything buffered now, batch by batch."""
        async with self._lock:
            while self._buffer:
                size = min(self.batch_size, len(self._buffer))
                # A batch that takes the whole buffer holds every journaled event not yet
                # written: once it is committed, the journal sealed now can go.
                journal = self._journal if size == len(self._buffer) else None
                if journal is not None:
                    journal.seal()
                batch = [self._buffer.popleft() for _ in range(size)]
                self._room.set()
                try:
                    await self._retrying(functools.partial(self._write, batch))
                except Exception as error:
                    if is_transient(error):
                        self._buffer.extendleft(reversed(batch))
                        raise
                    log.exception("dropping %d events that cannot be written", len(batch))
                except BaseException:
                    self._buffer.extendleft(reversed(batch))
                    raise
                if journal is not None:
                    journal.release()

    async def _retrying(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work`, retrying with backoff while the database is locked or unreachable."""
        for attempt, delay in enumerate((*self.retry_delays, None), start=1):
            try:
                await work()
                return
            except Exception as error:
                if delay is None or not is_transient(error):
                    raise
                log.warning(
                    "database busy or unreachable (%s); retry %d in %.2fs",
                    type(error).__name__,
                    attempt,
                    delay,
                )
                await asyncio.sleep(delay)

    async def _transaction(self, work: Callable[[AsyncConnection], Awaitable[None]]) -> None:
        """Run `work(conn)` in its own transaction, with the same retries as a flush."""

        async def attempt() -> None:
            async with self._db.session() as session:
                await work(await session.connection())

        await self._retrying(attempt)

    async def _write(self, batch: list[Event]) -> None:
        """One transaction: look-ups, classification, events, rollups, members, threads."""
        async with self._db.session() as session:
            conn = await session.connection()
            if conn.dialect.name == "sqlite":
                # The recorder is the main writer and commits often: checkpointing the WAL
                # every 1,000 pages (the default) made a batch in three pay a checkpoint
                # and its fsync. 10,000 pages (~40 MB of WAL) amortizes it.
                await conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
                await conn.exec_driver_sql(f"PRAGMA cache_size=-{CACHE_KIB}")
            state = await self._state_for(conn, batch)
            loaded = set(state.threads)
            rows: dict[store.Key, Row] = {}
            members: list[tuple[Event, Row]] = []
            for event in batch:
                row = classify(event, state)
                if row is None:
                    continue
                key = store.key_of(row)
                if key not in rows:
                    rows[key] = row
                    if isinstance(event, MemberJoined | MemberLeft):
                        members.append((event, row))
            new = await store.insert_new_events(conn, list(rows.values()))
            await Rollups().add_all(new).upsert(conn)
            stored = {store.key_of(r) for r in new} if len(new) < len(rows) else rows.keys()
            await self._write_members(
                conn, [(e, r) for e, r in members if store.key_of(r) in stored]
            )
            await store.insert_threads(
                conn,
                [
                    {
                        "thread_id": e.thread_id,
                        "guild_id": e.guild_id,
                        "parent_id": e.parent_id,
                        "owner_id": e.owner_id,
                        "context": int(ThreadContext.ORDINARY),
                        "created_at": e.created_at,
                    }
                    for e in batch
                    if isinstance(e, ThreadCreated)
                ],
            )
        self.stored += len(new)
        # Only threads whose answerers were loaded (every thread of the batch, see
        # `_state_for`): caching an empty set for any other would forget who answered.
        answered: dict[int, set[int]] = {tid: set() for tid in loaded}
        for tid, author in state.answered:
            if tid in answered:
                answered[tid].add(author)
        self._answered.update(answered)
        for tid in loaded:
            self._threads.setdefault(tid, state.threads[tid])
        self._threads.trim()
        self._answered.trim()

    async def _state_for(self, conn: AsyncConnection, batch: list[Event]) -> BatchState:
        """What classification needs, from the caches and a few batched queries.

        Every thread the batch touches (its messages, and its creations: gap recovery
        records each active thread's creation again at every start) gets its owner,
        context and answerers from the cache or the database, never a blank default: a
        thread answered before a restart, or a ritual thread, stays what it was."""
        guilds = {e.guild_id for e in batch}
        lookup: set[int] = set()  # messages whose author the cog could not tell
        replied: set[int] = set()
        threads: set[int] = set()
        created: dict[int, ThreadInfo] = {}  # what a creation says, for threads not stored
        for e in batch:
            if isinstance(e, ThreadCreated):
                threads.add(e.thread_id)
                created.setdefault(e.thread_id, ThreadInfo(e.owner_id, ThreadContext.ORDINARY))
            elif isinstance(e, MessageCreated):
                if e.thread_id is not None:
                    threads.add(e.thread_id)
                if e.reply_to is not None:
                    replied.add(e.reply_to.message_id)
                    if e.reply_to.author_id is None or e.reply_to.is_reply is None:
                        lookup.add(e.reply_to.message_id)
            elif isinstance(e, ReactionChanged | MessageDeleted) and e.author_id is None:
                lookup.add(e.message_id)
        state = BatchState(opted_out=self._opted_out)
        if lookup:
            state.messages = await store.known_messages(conn, guilds, lookup)
        missing = {t for t in threads if t not in self._threads}
        loaded = await store.thread_infos(conn, guilds, missing) if missing else {}
        unseen = ThreadInfo(None, ThreadContext.ORDINARY)
        state.threads = {
            t: self._threads.get(t) or loaded.get(t) or created.get(t) or unseen for t in threads
        }
        unknown = {t for t in threads if t not in self._answered}
        answered = await store.answered_pairs(conn, guilds, unknown) if unknown else {}
        for t in threads:
            authors = answered[t] if t in answered else self._answered[t]
            state.answered.update((t, a) for a in authors)
        if replied:
            state.conversations = await store.conversation_starts(conn, guilds, replied)
        return state

    async def _write_members(self, conn: AsyncConnection, members: list[tuple[Event, Row]]) -> None:
        """Latest presence per member from this batch's new joins and leaves."""
        latest: dict[tuple[int, int], Event] = {}
        for event, _row in members:
            latest[(event.guild_id, actor_of(event))] = event
        present = [
            {
                "guild_id": e.guild_id,
                "user_id": e.user_id,
                "joined_at": e.joined_at,
                "is_bot": e.is_bot,
                "is_staff": e.is_staff,
            }
            for e in latest.values()
            if isinstance(e, MemberJoined)
        ]
        departed = [
            {"guild_id": e.guild_id, "user_id": e.user_id, "left_at": e.left_at, "is_bot": e.is_bot}
            for e in latest.values()
            if isinstance(e, MemberLeft)
        ]
        await store.upsert_present_members(conn, present)
        await store.upsert_departed_members(conn, departed)

    # -- features' API ------------------------------------------------------------------
    async def mark_thread(
        self,
        guild_id: int,
        thread_id: int,
        parent_id: int | None,
        owner_id: int | None,
        context: ThreadContext,
        created_at: datetime,
    ) -> None:
        """Declare a thread a feature opened (welcome, ritual): its messages get that
        context (never thread answers) and, for rituals, count as ritual responses."""
        async with self._lock:
            await self._transaction(
                lambda conn: store.upsert_thread(
                    conn,
                    {
                        "thread_id": thread_id,
                        "guild_id": guild_id,
                        "parent_id": parent_id,
                        "owner_id": owner_id,
                        "context": int(context),
                        "created_at": created_at,
                    },
                )
            )
            self._threads[thread_id] = ThreadInfo(owner_id, context)

    def is_opted_out(self, guild_id: int, user_id: int) -> bool:
        return (guild_id, user_id) in self._opted_out

    async def load_opt_outs(self) -> None:
        """Fill the opt-out cache from `members` (at start)."""
        async with self._db.session() as session:
            result = await session.execute(
                select(Member.guild_id, Member.user_id).where(Member.opted_out.is_(True))
            )
            self._opted_out = {(g, u) for g, u in result}

    async def set_opted_out(self, guild_id: int, user_id: int, opted_out: bool) -> None:
        """Stop (or resume) recording a member. On return, nothing of theirs is buffered or
        being written any more, so a purge that follows leaves nothing behind."""
        async with self._lock:
            await self._transaction(
                lambda conn: self._set_member_flag(conn, guild_id, user_id, opted_out=opted_out)
            )
            if opted_out:
                self._opted_out.add((guild_id, user_id))
                kept = [  # joins and leaves stay: they are counted anonymously
                    e
                    for e in self._buffer
                    if isinstance(e, MemberJoined | MemberLeft)
                    or not (e.guild_id == guild_id and actor_of(e) == user_id)
                ]
                self._buffer = deque(kept)
                if self._journal is not None:  # none of theirs stays on disk either
                    self._journal.rewrite(kept)
                for authors in self._answered.values():
                    authors.discard(user_id)
            else:
                self._opted_out.discard((guild_id, user_id))

    async def set_staff(self, guild_id: int, user_id: int, is_staff: bool) -> None:
        """Record a role change that makes someone staff (or no longer staff). Buffered
        joins are written first: a join recorded before the change must not overwrite it."""
        await self.flush()
        async with self._lock:
            await self._transaction(
                lambda conn: self._set_member_flag(conn, guild_id, user_id, is_staff=is_staff)
            )

    async def set_staff_of_members(self, guild_id: int, staff: Mapping[int, bool]) -> int:
        """Re-mark a guild's stored members at once after its staff roles changed (`staff`:
        each present member's new flag, from `bot.staff.member_is_staff`), so figures read
        right after count them right; returns how many changed. One transaction, whatever
        the guild's size; members not stored yet get the flag when their join is
        recorded. Buffered joins are written first, as in `set_staff`."""
        await self.flush()
        changed = 0

        async def remark(conn: AsyncConnection) -> None:
            nonlocal changed
            changed = 0
            for flag in (True, False):
                ids = [user_id for user_id, is_staff in staff.items() if is_staff is flag]
                for start in range(0, len(ids), store.CHUNK):
                    chunk = ids[start : start + store.CHUNK]
                    result = await conn.execute(
                        update(store.MEMBERS)
                        .where(
                            Member.guild_id == guild_id,
                            Member.user_id.in_(chunk),
                            Member.is_staff.is_not(flag),
                        )
                        .values(is_staff=flag)
                    )
                    changed += result.rowcount

        async with self._lock:
            await self._transaction(remark)
        return changed

    async def _set_member_flag(
        self, conn: AsyncConnection, guild_id: int, user_id: int, **flags: bool
    ) -> None:
        result = await conn.execute(
            update(store.MEMBERS)
            .where(Member.guild_id == guild_id, Member.user_id == user_id)
            .values(**flags)
        )
        if result.rowcount == 0:
            row = {
                "guild_id": guild_id,
                "user_id": user_id,
                "joined_at": None,
                "left_at": None,
                "is_bot": False,
                "is_staff": False,
                "opted_out": False,
            }
            await conn.execute(
                store.insert_for(conn, store.MEMBERS).on_conflict_do_nothing(), {**row, **flags}
            )
