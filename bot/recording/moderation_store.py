"""The SQL of the moderation counts (`bot.recording.moderation`): an entry counted once, the
watch (since when Foyer could see the audit log), and the sums the *tensions* signal reads.

Every statement works on SQLite and PostgreSQL: `INSERT ... ON CONFLICT` through the
dialect's insert construct, the counter incremented in the same statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.db.models.moderation import (
    ModerationCount,
    ModerationEntry,
    ModerationKind,
    ModerationWatch,
)
from bot.recording.moderation import ModerationAction
from bot.recording.store import insert_for

COUNTS: Table = ModerationCount.__table__  # type: ignore[assignment]
ENTRIES: Table = ModerationEntry.__table__  # type: ignore[assignment]
WATCH: Table = ModerationWatch.__table__  # type: ignore[assignment]


async def record(db: Database, action: ModerationAction) -> bool:
    """Count one audit log entry, once: its id is stored in the same transaction as the
    increment, and an id already there adds nothing. Returns whether it was counted."""
    async with db.session() as session:
        conn = await session.connection()
        seen = insert_for(conn, ENTRIES).on_conflict_do_nothing(
            index_elements=["guild_id", "entry_id"]
        )
        result = await conn.execute(
            seen, {"guild_id": action.guild_id, "entry_id": action.entry_id, "day": action.day}
        )
        if result.rowcount != 1:
            return False
        stmt = insert_for(conn, COUNTS)
        stmt = stmt.on_conflict_do_update(
            index_elements=["guild_id", "day", "kind"],
            set_={
                "actions": COUNTS.c.actions + 1,
                "messages": COUNTS.c.messages + stmt.excluded.messages,
            },
        )
        await conn.execute(
            stmt,
            {
                "guild_id": action.guild_id,
                "day": action.day,
                "kind": int(action.kind),
                "actions": 1,
                "messages": action.messages,
            },
        )
    return True


async def set_watch(db: Database, guild_id: int, watching: bool, now: datetime) -> None:
    """Say whether Foyer can see the guild's audit log now (see `set_watches`)."""
    await set_watches(db, {guild_id: watching}, now)


async def set_watches(db: Database, watching: Mapping[int, bool], now: datetime) -> None:
    """Say, per guild, whether Foyer can see its audit log now, in one transaction (every
    guild at start). Watching keeps the earliest moment it started; losing sight clears it,
    so a later watch starts a new baseline (the days in between were not seen, not calm)."""
    seen = [{"guild_id": g, "since": now} for g, w in watching.items() if w]
    blind = [{"guild_id": g, "since": None} for g, w in watching.items() if not w]
    async with db.session() as session:
        conn = await session.connection()
        if seen:
            stmt = insert_for(conn, WATCH)
            stmt = stmt.on_conflict_do_update(
                index_elements=["guild_id"],
                set_={"since": func.coalesce(WATCH.c.since, stmt.excluded.since)},
            )
            await conn.execute(stmt, seen)
        if blind:
            stmt = insert_for(conn, WATCH)
            stmt = stmt.on_conflict_do_update(index_elements=["guild_id"], set_={"since": None})
            await conn.execute(stmt, blind)


async def watched_since(session: AsyncSession, guild_id: int) -> datetime | None:
    """Since when Foyer has seen the guild's audit log without a break, or None."""
    return await session.scalar(select(WATCH.c.since).where(WATCH.c.guild_id == guild_id))


@dataclass(frozen=True)
class ModerationSums:
    """Audit log entries counted per kind over some days, and the messages they removed."""

    actions: Mapping[ModerationKind, int] = field(default_factory=dict)
    messages: int = 0

    @property
    def total(self) -> int:
        return sum(self.actions.values())


async def sums(session: AsyncSession, guild_id: int, first: date, last: date) -> ModerationSums:
    """The counts of the UTC days `first` to `last`, both included."""
    c = COUNTS.c
    rows = await session.execute(
        select(c.kind, func.sum(c.actions), func.sum(c.messages))
        .where(c.guild_id == guild_id, c.day >= first, c.day <= last)
        .group_by(c.kind)
    )
    actions: dict[ModerationKind, int] = {}
    messages = 0
    for kind, count, removed in rows.all():
        actions[ModerationKind(kind)] = int(count or 0)
        messages += int(removed or 0)
    return ModerationSums(actions, messages)
