"""Reading and writing the spotlight tables. Every query filters on the guild.

`SpotlightStore` owns its sessions (settings, posted spotlights, refusals). The functions
that take a session are what the ranking and /health read: per-member sums from the daily
rollups, the number of distinct members each candidate answered (from the events, through
the (guild_id, actor_id, occurred_at) index, for the candidates only), why someone may be
ruled out, and the spotlights' effect. They take the caller's session so that /health
reads them in its own read lane.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, distinct, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.db.models import (
    ActivityEvent,
    DailyMemberActivity,
    Member,
    Spotlight,
    SpotlightConfig,
    SpotlightRefusal,
)
from bot.db.models.activity import EventKind, Interaction
from bot.db.models.recognition import DEFAULT_COOLDOWN_WEEKS
from bot.periods import Period, utc_midnight
from bot.spotlight.ranking import ContributionStats, MemberStatus

# Answers are counted per candidate through an IN list; chunked to stay far below the
# bound-parameter limits of SQLite and asyncpg.
_CHUNK = 500
EFFECT_WINDOW = timedelta(weeks=4)


async def contribution_stats(
    session: AsyncSession, guild_id: int, period: Period, *, only: int | None = None
) -> list[ContributionStats]:
    """Figures of every member (or of `only`) who answered another member in the period."""
    dma = DailyMemberActivity
    query = (
        select(
            dma.user_id,
            func.sum(dma.peer_given),
            func.sum(dma.conversations_started),
            func.sum(case((dma.ritual_messages > 0, 1), else_=0)),
            func.sum(dma.reactions_received),
        )
        .where(
            dma.guild_id == guild_id,
            dma.day >= period.first_day,
            dma.day < period.end_day,
        )
        .group_by(dma.user_id)
        .having(func.sum(dma.peer_given) > 0)
    )
    if only is not None:
        query = query.where(dma.user_id == only)
    rows = await session.execute(query)
    sums = {int(uid): (int(p), int(c), int(r), int(x)) for uid, p, c, r, x in rows.all()}
    helped = await members_helped(session, guild_id, period, sums.keys())
    return [
        ContributionStats(
            user_id=uid,
            peer_given=p,
            members_helped=helped.get(uid, 0),
            conversations_started=c,
            ritual_days=r,
            reactions_received=x,
        )
        for uid, (p, c, r, x) in sums.items()
    ]


async def members_helped(
    session: AsyncSession, guild_id: int, period: Period, user_ids: Collection[int]
) -> dict[int, int]:
    """For each given member: how many distinct members they answered. Only the count
    leaves this function; nobody sees who they were."""
    ev = ActivityEvent
    counts: dict[int, int] = {}
    ids = list(user_ids)
    for i in range(0, len(ids), _CHUNK):
        rows = await session.execute(
            select(ev.actor_id, func.count(distinct(ev.target_id)))
            .where(
                ev.guild_id == guild_id,
                ev.actor_id.in_(ids[i : i + _CHUNK]),
                ev.occurred_at >= period.start,
                ev.occurred_at < period.end,
                ev.kind == EventKind.MESSAGE,
                ev.interaction == Interaction.PEER,
                ev.target_id.is_not(None),
            )
            .group_by(ev.actor_id)
        )
        counts.update({int(a): int(n) for a, n in rows.all()})
    return counts


async def member_statuses(
    session: AsyncSession,
    guild_id: int,
    user_ids: Collection[int],
    *,
    now: datetime,
    cooldown: timedelta,
) -> dict[int, MemberStatus]:
    """Everything that can rule the given members out of a suggestion."""
    ids = list(user_ids)
    if not ids:
        return {}
    refused = set(
        (
            await session.scalars(
                select(SpotlightRefusal.user_id).where(SpotlightRefusal.guild_id == guild_id)
            )
        ).all()
    )
    recent = set(
        (
            await session.scalars(
                select(Spotlight.member_id).where(
                    Spotlight.guild_id == guild_id, Spotlight.posted_at >= now - cooldown
                )
            )
        ).all()
    )
    members: dict[int, Member] = {}
    for i in range(0, len(ids), _CHUNK):
        found = await session.scalars(
            select(Member).where(
                Member.guild_id == guild_id, Member.user_id.in_(ids[i : i + _CHUNK])
            )
        )
        members.update({m.user_id: m for m in found.all()})
    statuses: dict[int, MemberStatus] = {}
    for uid in ids:
        m = members.get(uid)
        statuses[uid] = MemberStatus(
            is_staff=bool(m and m.is_staff),
            is_bot=bool(m and m.is_bot),
            opted_out=bool(m and m.opted_out),
            left=bool(m and _has_left(m)),
            refused=uid in refused,
            spotlighted_recently=uid in recent,
        )
    return statuses


def _has_left(member: Member) -> bool:
    """Left, and not back since (a later join clears an older leave)."""
    if member.left_at is None:
        return False
    return member.joined_at is None or member.left_at >= member.joined_at


@dataclass(frozen=True)
class SpotlightEffects:
    """For /health (Advocacy): spotlights posted in the period and, for those whose four
    weeks after are over, the spotlighted members' peer interactions given in the four
    weeks before the post (UTC days [D-28, D)) against the four weeks from it ([D, D+28)).
    Sums over members, so no single member's figures are exposed; opted-out members are
    left out of the comparison."""

    posted: int
    measured: int
    peer_before: int
    peer_after: int


async def spotlight_effects(
    session: AsyncSession, guild_id: int, period: Period, *, now: datetime
) -> SpotlightEffects:
    """See `SpotlightEffects`. `now` decides which after-windows are complete."""
    spotlights = (
        await session.execute(
            select(Spotlight.member_id, Spotlight.posted_at)
            .join(
                Member,
                (Member.guild_id == Spotlight.guild_id) & (Member.user_id == Spotlight.member_id),
                isouter=True,
            )
            .where(
                Spotlight.guild_id == guild_id,
                Spotlight.posted_at >= period.start,
                Spotlight.posted_at < period.end,
                Member.opted_out.is_not(True),
            )
        )
    ).all()
    before = after = measured = 0
    for member_id, posted_at in spotlights:
        day = utc_midnight(posted_at.date())
        if day + EFFECT_WINDOW > now:
            continue
        measured += 1
        before += await _peer_given(session, guild_id, member_id, day - EFFECT_WINDOW, day)
        after += await _peer_given(session, guild_id, member_id, day, day + EFFECT_WINDOW)
    return SpotlightEffects(len(spotlights), measured, before, after)


async def _peer_given(
    session: AsyncSession, guild_id: int, user_id: int, start: datetime, end: datetime
) -> int:
    dma = DailyMemberActivity
    total = await session.scalar(
        select(func.coalesce(func.sum(dma.peer_given), 0)).where(
            dma.guild_id == guild_id,
            dma.user_id == user_id,
            dma.day >= start.date(),
            dma.day < end.date(),
        )
    )
    return int(total or 0)


class SpotlightStore:
    """The spotlight tables of every guild, one short session per call."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- settings --------------------------------------------------------------------------
    async def config(self, guild_id: int) -> SpotlightConfig | None:
        async with self._db.session() as session:
            return await session.get(SpotlightConfig, guild_id)

    async def update_config(
        self,
        guild_id: int,
        *,
        now: datetime,
        channel_id: int | None = None,
        cooldown_weeks: int | None = None,
        weekday: int | None = None,
        stop_weekly: bool = False,
    ) -> SpotlightConfig:
        """Write what is given (None leaves a value as it is), in one session. A new
        weekday restarts the weekly suggestion from `now`; `stop_weekly` clears it."""
        async with self._db.session() as session:
            row = await session.get(SpotlightConfig, guild_id)
            if row is None:
                row = SpotlightConfig(guild_id=guild_id, cooldown_weeks=DEFAULT_COOLDOWN_WEEKS)
                session.add(row)
            if channel_id is not None:
                row.channel_id = channel_id
            if cooldown_weeks is not None:
                row.cooldown_weeks = cooldown_weeks
            if stop_weekly:
                row.suggestion_weekday = None
                row.suggestion_since = None
            elif weekday is not None and weekday != row.suggestion_weekday:
                row.suggestion_weekday = weekday
                row.suggestion_since = now
        return row

    async def weekly_configs(self) -> list[SpotlightConfig]:
        """Guilds that asked for a weekly suggestion."""
        async with self._db.session() as session:
            rows = await session.scalars(
                select(SpotlightConfig).where(SpotlightConfig.suggestion_weekday.is_not(None))
            )
            return list(rows.all())

    # -- what the ranking and the posts read -----------------------------------------------
    async def candidates(
        self, guild_id: int, period: Period, *, now: datetime, cooldown: timedelta
    ) -> tuple[list[ContributionStats], dict[int, MemberStatus]]:
        """Everyone who answered another member in `period`, and what may rule them out,
        read in one session."""
        async with self._db.session() as session:
            stats = await contribution_stats(session, guild_id, period)
            statuses = await member_statuses(
                session, guild_id, [s.user_id for s in stats], now=now, cooldown=cooldown
            )
        return stats, statuses

    async def stats_of(self, guild_id: int, user_id: int, period: Period) -> ContributionStats:
        """One member's figures over `period` (zeros if none)."""
        async with self._db.session() as session:
            found = await contribution_stats(session, guild_id, period, only=user_id)
        return found[0] if found else ContributionStats(user_id)

    async def member_and_refusal(self, guild_id: int, user_id: int) -> tuple[Member | None, bool]:
        """The member's row (None if never seen) and whether they refused spotlights."""
        async with self._db.session() as session:
            member = await session.get(Member, (guild_id, user_id))
            refused = await session.get(SpotlightRefusal, (guild_id, user_id))
        return member, refused is not None

    # -- posted spotlights -----------------------------------------------------------------
    async def add_spotlight(self, row: Spotlight) -> Spotlight:
        async with self._db.session() as session:
            session.add(row)
        return row

    async def history(self, guild_id: int, *, limit: int) -> list[Spotlight]:
        """The latest spotlights first."""
        async with self._db.session() as session:
            rows = await session.scalars(
                select(Spotlight)
                .where(Spotlight.guild_id == guild_id)
                .order_by(Spotlight.posted_at.desc(), Spotlight.id.desc())
                .limit(limit)
            )
            return list(rows.all())

    async def effects(self, guild_id: int, period: Period, *, now: datetime) -> SpotlightEffects:
        async with self._db.session() as session:
            return await spotlight_effects(session, guild_id, period, now=now)

    # -- refusals --------------------------------------------------------------------------
    async def add_refusal(self, guild_id: int, user_id: int, *, now: datetime) -> None:
        """Idempotent: a second refusal keeps the first one's time."""
        values = {"guild_id": guild_id, "user_id": user_id, "refused_at": now}
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        async with self._db.session() as session:
            await session.execute(
                insert(SpotlightRefusal).values(**values).on_conflict_do_nothing()
            )

    async def remove_refusal(self, guild_id: int, user_id: int) -> None:
        async with self._db.session() as session:
            await session.execute(
                delete(SpotlightRefusal).where(
                    SpotlightRefusal.guild_id == guild_id, SpotlightRefusal.user_id == user_id
                )
            )

    async def has_refused(self, guild_id: int, user_id: int) -> bool:
        async with self._db.session() as session:
            return await session.get(SpotlightRefusal, (guild_id, user_id)) is not None
