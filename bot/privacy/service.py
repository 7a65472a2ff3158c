"""Members' rights over what Foyer recorded about them, and the purges that age data out.

Everything here finds personal data through the column markers read by `registry`: no
table is listed by hand, so a table a later feature adds is covered once it is marked.
The rules (what an erase deletes or only unlinks, what opting out keeps, which guilds and
windows are purged) are here; the SQL is in `store`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.clock import Clock
from bot.db import Database
from bot.db.models import Member
from bot.db.models.guild import DEFAULT_RETENTION_DAYS
from bot.privacy import store
from bot.privacy.export import build_export
from bot.privacy.registry import personal_tables

GUILD_GRACE_PERIOD = timedelta(days=30)
"""How long a guild's data outlives the bot's removal. A mistaken kick, or a re-invite after
a permissions mix-up, loses nothing; after this, every row of the guild is deleted."""

_CHUNK = 500  # guild ids per statement in the retention purge


class OptOutSwitch(Protocol):
    """What privacy needs from the recorder (`bot.recording.Recorder`)."""

    async def set_opted_out(self, guild_id: int, user_id: int, opted_out: bool) -> None:
        """Stop (or resume) recording the member; on return nothing of theirs is buffered."""

    async def flush(self) -> None:
        """Write what is buffered, so an erase that follows leaves nothing to come back."""


@dataclass
class PurgeReport:
    """What one `purge_expired` run deleted (row counts, for the log)."""

    expired_rows: int = 0
    deleted_guilds: list[int] = field(default_factory=list)
    guild_rows: int = 0


class PrivacyService:
    """Opt-out, opt-in, export and forget for one member of one guild; the daily purges."""

    def __init__(self, db: Database, clock: Clock, recorder: OptOutSwitch) -> None:
        self._db = db
        self._clock = clock
        self._recorder = recorder

    async def is_opted_out(self, guild_id: int, user_id: int) -> bool:
        async with self._db.session() as session:
            member = await store.member(session, guild_id, user_id)
        return bool(member and member.opted_out)

    async def opt_out(self, guild_id: int, user_id: int) -> bool:
        """Stop recording the member and erase what exists, keeping only their `members`
        row (flagged) so plain join and leave counts stay right. Idempotent; True when the
        member was not opted out before.

        The recorder is told first and flushed (events by others naming them are written,
        already unlinked), so nothing written after the purge brings data back.
        """
        changed = not await self.is_opted_out(guild_id, user_id)
        await self._recorder.set_opted_out(guild_id, user_id, True)
        await self._recorder.flush()
        async with self._db.session() as session:
            member = await store.member(session, guild_id, user_id)
            await store.erase(session, guild_id, user_id, _erasure(opting_out=True))
            if member is None:
                store.add(session, Member(guild_id=guild_id, user_id=user_id, opted_out=True))
            else:
                member.opted_out = True
        return changed

    async def opt_in(self, guild_id: int, user_id: int) -> bool:
        """Record the member again from now on (nothing erased comes back). True when the
        member was opted out."""
        changed = await self.is_opted_out(guild_id, user_id)
        async with self._db.session() as session:
            await store.set_opted_out(session, guild_id, user_id, False)
        await self._recorder.set_opted_out(guild_id, user_id, False)
        return changed

    async def forget(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Erase every row about the member in this guild, in one transaction.

        Rows whose `user` column names them are deleted; where they are only the target of
        another member's action (`on_forget="null"`) the column is set to NULL and the row
        stays. Guild and channel daily totals hold no identity and stay. Returns rows
        touched per table.

        Forgetting is not opting out: a member who did not opt out is recorded again from
        their next message, and their choices (a spotlight refusal) go too. A member who
        opted out stays opted out: erasing the flag would start recording them again, the
        opposite of what they asked; only the rows opt-out keeps remain.
        """
        opted_out = await self.is_opted_out(guild_id, user_id)
        await self._recorder.flush()
        async with self._db.session() as session:
            return await store.erase(session, guild_id, user_id, _erasure(opting_out=opted_out))

    async def export(self, guild_id: int, user_id: int, lang: str = "en") -> bytes:
        """Every row about the member in this guild as JSON, with a header explaining it.
        Another member's id in a row (who replied to them) is replaced by null."""
        tables = personal_tables()
        rows: dict[str, list[Mapping[str, Any]]] = {}
        async with self._db.session() as session:
            for pt in tables:
                rows[pt.name] = await store.rows_about(session, pt, guild_id, user_id)
        return build_export(tables, rows, guild_id, user_id, self._clock.now(), lang)

    async def purge_expired(self, now: datetime, keep: Collection[int] = ()) -> PurgeReport:
        """The daily purge: rows older than each guild's retention window, and every row of
        guilds the bot left more than `GUILD_GRACE_PERIOD` ago. `keep` lists guilds the bot
        is in right now: never deleted whatever `left_at` says (a re-invite while offline).
        """
        report = PurgeReport()
        async with self._db.session() as session:
            gone = await store.guilds_left_before(session, now - GUILD_GRACE_PERIOD)
            doomed = [g for g in gone if g not in keep]
        for guild_id in doomed:
            async with self._db.session() as session:
                report.guild_rows += await store.delete_guild(session, guild_id)
            report.deleted_guilds.append(guild_id)
        async with self._db.session() as session:
            settings = await store.retention_days(session)
        by_window: dict[int, list[int]] = defaultdict(list)
        for guild_id, days in settings:
            by_window[days].append(guild_id)
        for days, guild_ids in by_window.items():
            for start in range(0, len(guild_ids), _CHUNK):
                chunk = guild_ids[start : start + _CHUNK]
                report.expired_rows += await self._expire(now - timedelta(days=days), chunk)
        report.expired_rows += await self._expire(
            now - timedelta(days=DEFAULT_RETENTION_DAYS), None
        )
        return report

    async def _expire(self, cutoff: datetime, guild_ids: Iterable[int] | None) -> int:
        """Delete rows older than `cutoff` for these guilds, or (None) for guilds without a
        settings row, which get the default window."""
        async with self._db.session() as session:
            return await store.delete_older(session, cutoff, guild_ids)


def _erasure(*, opting_out: bool) -> list[store.Erasure]:
    """What erasing a member does to each personal table, children first: rows their
    `on_forget="delete"` columns name go (except those opting out keeps); their
    `on_forget="null"` columns are set to NULL and the row stays."""
    return [
        store.Erasure(
            pt,
            delete_by=tuple(
                uc
                for uc in pt.user_columns
                if uc.on_forget == "delete" and not (opting_out and uc.keep_on_opt_out)
            ),
            unlink=tuple(uc for uc in pt.user_columns if uc.on_forget == "null"),
        )
        for pt in reversed(personal_tables())
    ]
