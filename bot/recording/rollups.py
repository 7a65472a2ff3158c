"""Daily rollups: what each newly stored event adds to the `daily_*` tables.

Computed in Python from the rows a flush actually inserted (a replayed event adds nothing),
aggregated per key first, then upserted with `ON CONFLICT DO UPDATE SET n = n + excluded.n`
in the flush's transaction. Days are UTC days of `occurred_at`.

What the counters mean (health reads these, not raw events):
- guild / channel `*_messages`: MESSAGE events by members, staff, bots (a thread's messages
  count towards its parent channel). Deleted messages stay counted: they happened.
- `peer_interactions`, `staff_interactions`: counted replies and thread answers.
- `reactions`: reactions added by a member on another member's message (recognition); a
  reaction counts once per (message, user, emoji) even if removed later.
- `joins`, `leaves`: humans (opted-out ones included, anonymously); bots excluded.
- `conversations`: human threads plus top-level messages that got their first human reply;
  `member_conversations` those started by a member; `member_threads` threads by members.
- `daily_member_activity` holds members only (not staff, not bots): messages, peer given and
  received, staff interactions received, recognition reactions given and received, messages
  in ritual threads, threads created, conversations started.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.models.activity import (
    ActorRole,
    DailyChannelActivity,
    DailyGuildActivity,
    DailyMemberActivity,
    EventKind,
    Interaction,
    ThreadContext,
)
from bot.recording.classify import Row
from bot.recording.store import executemany, insert_for

MEMBER, STAFF, BOT = int(ActorRole.MEMBER), int(ActorRole.STAFF), int(ActorRole.BOT)
MESSAGE_COLUMN = {MEMBER: "member_messages", STAFF: "staff_messages", BOT: "bot_messages"}

Counter = defaultdict[str, int]


class Rollups:
    """Deltas per table and primary key, accumulated over a batch of inserted rows."""

    def __init__(self) -> None:
        self.guild: defaultdict[tuple[int, date], Counter] = defaultdict(_counter)
        self.channel: defaultdict[tuple[int, date, int], Counter] = defaultdict(_counter)
        self.member: defaultdict[tuple[int, date, int], Counter] = defaultdict(_counter)

    def add_all(self, rows: Iterable[Row]) -> Rollups:
        for row in rows:
            self.add(row)
        return self

    def add(self, row: Row) -> None:
        gid, kind, role = row["guild_id"], row["kind"], row["actor_role"]
        day = row["occurred_at"].date()
        guild = self.guild[(gid, day)]
        actor = row["actor_id"]
        member = self.member
        if kind == EventKind.MESSAGE:
            guild[MESSAGE_COLUMN[role]] += 1
            if row["channel_id"] is not None:
                self.channel[(gid, day, row["channel_id"])][MESSAGE_COLUMN[role]] += 1
            if role == MEMBER:
                mine = member[(gid, day, actor)]
                mine["messages"] += 1
                if row["context"] == ThreadContext.RITUAL:
                    mine["ritual_messages"] += 1
            target = row["target_id"]
            interaction = row["interaction"]
            if interaction == Interaction.PEER:
                guild["peer_interactions"] += 1
                member[(gid, day, actor)]["peer_given"] += 1
                member[(gid, day, target)]["peer_received"] += 1
            elif interaction == Interaction.STAFF:
                guild["staff_interactions"] += 1
                member[(gid, day, target)]["staff_received"] += 1
            if row["starts_conversation"]:
                guild["conversations"] += 1
                if row["target_role"] == MEMBER:
                    guild["member_conversations"] += 1
                    member[(gid, day, target)]["conversations_started"] += 1
        elif kind == EventKind.THREAD_CREATE and row["starts_conversation"]:
            guild["conversations"] += 1
            if role == MEMBER:
                guild["member_conversations"] += 1
                guild["member_threads"] += 1
                mine = member[(gid, day, actor)]
                mine["threads_created"] += 1
                mine["conversations_started"] += 1
        elif kind == EventKind.REACTION_ADD:
            if role == MEMBER and row["target_role"] == MEMBER:
                guild["reactions"] += 1
                member[(gid, day, actor)]["reactions_given"] += 1
                member[(gid, day, row["target_id"])]["reactions_received"] += 1
        elif kind in (EventKind.MEMBER_JOIN, EventKind.MEMBER_LEAVE) and role != BOT:
            guild["joins" if kind == EventKind.MEMBER_JOIN else "leaves"] += 1

    async def upsert(self, conn: AsyncConnection) -> None:
        """Add the deltas to the stored rollups (creating rows as needed), in bulk."""
        await _upsert(conn, DailyGuildActivity.__table__, ("guild_id", "day"), self.guild)
        await _upsert(
            conn, DailyChannelActivity.__table__, ("guild_id", "day", "channel_id"), self.channel
        )
        await _upsert(
            conn, DailyMemberActivity.__table__, ("guild_id", "day", "user_id"), self.member
        )

    def as_dicts(self) -> dict[str, dict[tuple[Any, ...], dict[str, int]]]:
        """Plain dicts (for comparing with the stored tables in tests and checks)."""
        return {
            "guild": {k: dict(v) for k, v in self.guild.items() if any(v.values())},
            "channel": {k: dict(v) for k, v in self.channel.items() if any(v.values())},
            "member": {k: dict(v) for k, v in self.member.items() if any(v.values())},
        }


def _counter() -> Counter:
    return defaultdict(int)


async def _upsert(
    conn: AsyncConnection,
    table: Any,
    keys: tuple[str, ...],
    deltas: dict[tuple[Any, ...], Counter],
) -> None:
    assert isinstance(table, Table)
    counters = [c.name for c in table.columns if c.name not in keys]
    zero = dict.fromkeys(counters, 0)
    params = []
    for key, delta in deltas.items():  # every delta has at least one increment
        row = {**zero, **delta}
        row.update(zip(keys, key, strict=True))
        params.append(row)
    if not params:
        return

    def build() -> Any:
        stmt = insert_for(conn, table)
        return stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: table.c[c] + stmt.excluded[c] for c in counters},
        )

    await executemany(conn, table, build, params)
