"""Reading and writing the welcome tables. Every query filters on the guild."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.db import Database
from bot.db.models.welcome import ThreadKind, Welcome, WelcomeConfig
from bot.welcome.config import NUDGE_DELAY_HOURS, WelcomeSetup

TRACKING_HORIZON = timedelta(days=30)  # welcome threads watched for replies this long
NUDGE_HORIZON = timedelta(days=7)  # an older unanswered introduction is left alone


@dataclass(frozen=True)
class NewJoin:
    guild_id: int
    user_id: int
    joined_at: datetime


class WelcomeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- configuration -------------------------------------------------------------------
    async def get_config(self, guild_id: int) -> WelcomeConfig | None:
        async with self._db.session() as session:
            return await session.get(WelcomeConfig, guild_id)

    async def save_config(
        self,
        guild_id: int,
        setup: WelcomeSetup,
        kind_used: ThreadKind,
        *,
        actor_id: int | None,
        now: datetime,
    ) -> WelcomeConfig:
        """Store a validated setup; saving again clears a reported problem and resumes."""
        async with self._db.session() as session:
            row = await session.get(WelcomeConfig, guild_id)
            if row is None:
                row = WelcomeConfig(guild_id=guild_id)
                session.add(row)
            row.enabled = True
            row.channel_id = setup.channel_id
            row.thread_kind_requested = int(setup.thread_kind_requested)
            row.thread_kind_used = int(kind_used)
            row.greeter_role_id = setup.greeter_role_id
            row.template = setup.template
            row.auto_archive_minutes = setup.auto_archive_minutes
            row.nudge_delay_minutes = setup.nudge_delay_minutes
            row.burst_threshold = setup.burst_threshold
            row.paused = False
            row.problem = None
            row.problem_notified_at = None
            row.updated_at = now
            row.updated_by = actor_id
        return row

    async def disable(self, guild_id: int, *, actor_id: int | None, now: datetime) -> bool:
        """Turn welcomes off (the settings are kept for a later `/welcome setup`)."""
        async with self._db.session() as session:
            row = await session.get(WelcomeConfig, guild_id)
            if row is None or not row.enabled:
                return False
            row.enabled = False
            row.updated_at = now
            row.updated_by = actor_id
        return True

    async def claim_problem(
        self, guild_id: int, problem: str, *, pause: bool, now: datetime
    ) -> bool:
        """Record `problem`; True when it is new, i.e. the admins have not been told yet."""
        async with self._db.session() as session:
            row = await session.get(WelcomeConfig, guild_id)
            if row is None:
                return False
            row.paused = row.paused or pause
            if row.problem == problem:
                return False
            row.problem = problem[:200]
            row.problem_notified_at = now
        return True

    async def clear_problem(self, guild_id: int) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(WelcomeConfig)
                .where(WelcomeConfig.guild_id == guild_id, WelcomeConfig.paused.is_(False))
                .values(problem=None, problem_notified_at=None)
            )

    # -- welcomes ------------------------------------------------------------------------
    async def record_joins(
        self, joins: Sequence[NewJoin], *, failure: str | None = None
    ) -> list[int]:
        """One row per join, in one transaction; returns their ids in order."""
        rows = [
            Welcome(
                guild_id=j.guild_id,
                user_id=j.user_id,
                joined_at=j.joined_at,
                shared=False,
                failure=failure,
            )
            for j in joins
        ]
        async with self._db.session() as session:
            session.add_all(rows)
            await session.flush()
            return [r.id for r in rows]

    async def joins_of(
        self, guild_id: int, user_ids: Iterable[int], *, since: datetime
    ) -> dict[int, list[datetime]]:
        """When these members' recorded joins since `since` happened: user id -> times."""
        user_ids = list(user_ids)
        found: dict[int, list[datetime]] = {}
        if not user_ids:
            return found
        async with self._db.session() as session:
            result = await session.execute(
                select(Welcome.user_id, Welcome.joined_at).where(
                    Welcome.guild_id == guild_id,
                    Welcome.user_id.in_(user_ids),
                    Welcome.joined_at >= since,
                )
            )
            for user_id, joined_at in result.all():
                found.setdefault(user_id, []).append(joined_at)
        return found

    async def joins_since(self, guild_id: int, since: datetime) -> list[Welcome]:
        """The guild's welcome rows of joins since `since` (for reconciling missed joins)."""
        async with self._db.session() as session:
            rows = await session.scalars(
                select(Welcome).where(Welcome.guild_id == guild_id, Welcome.joined_at >= since)
            )
            return list(rows.all())

    async def set_thread(
        self,
        guild_id: int,
        ids: Iterable[int],
        thread_id: int,
        *,
        at: datetime,
        shared: bool,
        failure: str | None = None,
    ) -> None:
        """Store the rows' thread; `failure` marks a welcome message not sent yet."""
        await self._update(
            guild_id, ids, thread_id=thread_id, thread_created_at=at, shared=shared, failure=failure
        )

    async def clear_failure(self, guild_id: int, ids: Iterable[int], reason: str) -> None:
        """Clear `reason` from the rows that have it (the welcome message was sent)."""
        ids = list(ids)
        if not ids:
            return
        async with self._db.session() as session:
            await session.execute(
                update(Welcome)
                .where(Welcome.guild_id == guild_id, Welcome.id.in_(ids), Welcome.failure == reason)
                .values(failure=None)
            )

    async def set_failure(self, guild_id: int, ids: Iterable[int], reason: str) -> None:
        await self._update(guild_id, ids, failure=reason[:64])

    async def _update(self, guild_id: int, ids: Iterable[int], **values: object) -> None:
        ids = list(ids)
        if not ids:
            return
        async with self._db.session() as session:
            await session.execute(
                update(Welcome)
                .where(Welcome.guild_id == guild_id, Welcome.id.in_(ids))
                .values(**values)
            )

    async def apply_to_thread(
        self,
        guild_id: int,
        thread_id: int,
        change: Callable[[list[Welcome]], tuple[bool, bool]],
    ) -> bool:
        """Run `change` on the thread's welcome rows in one transaction; it returns
        (changed, finished). Returns `finished`: no need to watch the thread any more."""
        async with self._db.session() as session:
            rows = list(
                (
                    await session.scalars(
                        select(Welcome).where(
                            Welcome.guild_id == guild_id, Welcome.thread_id == thread_id
                        )
                    )
                ).all()
            )
            _changed, done = change(rows)
        return done

    async def mark_left(self, guild_id: int, user_id: int, at: datetime) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(Welcome)
                .where(
                    Welcome.guild_id == guild_id,
                    Welcome.user_id == user_id,
                    Welcome.newcomer_left_at.is_(None),
                )
                .values(newcomer_left_at=at)
            )

    async def open_threads(self, now: datetime) -> dict[int, int]:
        """Welcome threads still worth watching: thread id -> guild id."""
        async with self._db.session() as session:
            result = await session.execute(
                select(Welcome.thread_id, Welcome.guild_id)
                .where(
                    Welcome.thread_id.is_not(None),
                    Welcome.first_peer_reply_at.is_(None),
                    Welcome.joined_at >= now - TRACKING_HORIZON,
                )
                .distinct()
            )
            return {thread_id: guild_id for thread_id, guild_id in result.all() if thread_id}

    async def due_nudges(
        self, now: datetime, guild_ids: Iterable[int]
    ) -> list[tuple[Welcome, WelcomeConfig]]:
        """Introductions no member answered within their guild's nudge delay, not nudged."""
        guild_ids = list(guild_ids)
        if not guild_ids:
            return []
        earliest_due = now - timedelta(hours=NUDGE_DELAY_HOURS[0])
        async with self._db.session() as session:
            result = await session.execute(
                select(Welcome, WelcomeConfig)
                .join(WelcomeConfig, WelcomeConfig.guild_id == Welcome.guild_id)
                .where(
                    Welcome.guild_id.in_(guild_ids),
                    WelcomeConfig.enabled.is_(True),
                    WelcomeConfig.paused.is_(False),
                    WelcomeConfig.greeter_role_id.is_not(None),
                    Welcome.thread_id.is_not(None),
                    Welcome.introduced_at.is_not(None),
                    Welcome.introduced_at <= earliest_due,
                    Welcome.introduced_at > now - NUDGE_HORIZON,
                    Welcome.first_peer_reply_at.is_(None),
                    Welcome.nudged_at.is_(None),
                    Welcome.newcomer_left_at.is_(None),
                )
                .order_by(Welcome.introduced_at)
            )
            pairs = [(w, c) for w, c in result.all()]
        return [
            (w, c)
            for w, c in pairs
            if w.introduced_at is not None
            and w.introduced_at + timedelta(minutes=c.nudge_delay_minutes) <= now
        ]

    async def claim_nudges(self, guild_id: int, ids: Iterable[int], now: datetime) -> int:
        """Mark welcomes nudged before the message goes out: a crash never nudges twice."""
        ids = list(ids)
        async with self._db.session() as session:
            result = await session.execute(
                update(Welcome)
                .where(
                    Welcome.guild_id == guild_id, Welcome.id.in_(ids), Welcome.nudged_at.is_(None)
                )
                .values(nudged_at=now)
            )
            return int(getattr(result, "rowcount", 0) or 0)
