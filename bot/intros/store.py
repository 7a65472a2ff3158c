"""The introductions' SQL, inside the caller's session. Every query filters on the guild;
the statements work on SQLite and PostgreSQL. `intros_figures` is what /health reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import IntrosConfig, IntrosMember, IntrosPair, IntrosPairMember, IntrosRound

TALK_WINDOW = timedelta(days=7)
Session = AsyncSession  # what the service passes along without importing SQLAlchemy


async def config(session: AsyncSession, guild_id: int) -> IntrosConfig | None:
    return await session.get(IntrosConfig, guild_id)


async def enabled_configs(session: AsyncSession) -> list[IntrosConfig]:
    rows = await session.scalars(select(IntrosConfig).where(IntrosConfig.enabled.is_(True)))
    return list(rows.all())


async def member(session: AsyncSession, guild_id: int, user_id: int) -> IntrosMember | None:
    return await session.get(IntrosMember, (guild_id, user_id))


async def members(session: AsyncSession, guild_id: int) -> list[int]:
    rows = await session.scalars(
        select(IntrosMember.user_id).where(IntrosMember.guild_id == guild_id)
    )
    return list(rows.all())


async def remove_member(session: AsyncSession, guild_id: int, user_id: int) -> bool:
    done = await session.execute(
        delete(IntrosMember).where(
            IntrosMember.guild_id == guild_id, IntrosMember.user_id == user_id
        )
    )
    return bool(getattr(done, "rowcount", 0))


async def round_at(session: AsyncSession, guild_id: int, when: datetime) -> IntrosRound | None:
    return await session.scalar(
        select(IntrosRound).where(
            IntrosRound.guild_id == guild_id, IntrosRound.scheduled_for == when
        )
    )


async def pairs_of(session: AsyncSession, round_id: int) -> list[tuple[IntrosPair, list[int]]]:
    """The round's pairs in order, each with its members."""
    pairs = list(
        (
            await session.scalars(
                select(IntrosPair)
                .where(IntrosPair.round_id == round_id)
                .order_by(IntrosPair.position)
            )
        ).all()
    )
    people: dict[int, list[int]] = {p.id: [] for p in pairs}
    if pairs:
        rows = await session.execute(
            select(IntrosPairMember.pair_id, IntrosPairMember.user_id).where(
                IntrosPairMember.pair_id.in_(list(people))
            )
        )
        for pair_id, user_id in rows.all():
            people[pair_id].append(user_id)
    return [(p, sorted(people[p.id])) for p in pairs]


async def recent_groups(
    session: AsyncSession, guild_id: int, before: datetime, rounds: int
) -> list[list[int]]:
    """The groups of the guild's last `rounds` rounds before `before`."""
    ids = list(
        (
            await session.scalars(
                select(IntrosRound.id)
                .where(IntrosRound.guild_id == guild_id, IntrosRound.scheduled_for < before)
                .order_by(IntrosRound.scheduled_for.desc())
                .limit(rounds)
            )
        ).all()
    )
    groups: dict[int, list[int]] = {}
    if ids:
        rows = await session.execute(
            select(IntrosPairMember.pair_id, IntrosPairMember.user_id)
            .join(IntrosPair, IntrosPair.id == IntrosPairMember.pair_id)
            .where(IntrosPair.round_id.in_(ids))
        )
        for pair_id, user_id in rows.all():
            groups.setdefault(pair_id, []).append(user_id)
    return list(groups.values())


async def add_round(
    session: AsyncSession, guild_id: int, when: datetime, groups: Sequence[Sequence[int]]
) -> IntrosRound:
    row = IntrosRound(guild_id=guild_id, scheduled_for=when, pairs=len(groups), talked=0)
    session.add(row)
    await session.flush()
    for position, group in enumerate(groups):
        pair = IntrosPair(round_id=row.id, guild_id=guild_id, position=position)
        session.add(pair)
        await session.flush()
        session.add_all(
            IntrosPairMember(pair_id=pair.id, guild_id=guild_id, user_id=u) for u in group
        )
    return row


async def watched_pairs(session: AsyncSession, since: datetime) -> list[tuple[int, int]]:
    """(thread id, pair id) of the pairs whose 7 days run and who have not talked yet."""
    rows = await session.execute(
        select(IntrosPair.thread_id, IntrosPair.id)
        .join(IntrosRound, IntrosRound.id == IntrosPair.round_id)
        .where(
            IntrosPair.thread_id.is_not(None),
            IntrosPair.talked_at.is_(None),
            IntrosRound.scheduled_for >= since,
        )
    )
    return [(t, p) for t, p in rows.all() if t is not None]


async def wrote(session: AsyncSession, pair_id: int, user_id: int, at: datetime) -> bool:
    """Note the member's first message in the pair's thread; True when, with it, two of
    the pair have written within the 7 days (the pair talked: counted once)."""
    pair = await session.get(IntrosPair, pair_id)
    person = await session.get(IntrosPairMember, (pair_id, user_id))
    if pair is None or person is None or pair.talked_at is not None:
        return False
    round_ = await session.get(IntrosRound, pair.round_id)
    if round_ is None or at > round_.scheduled_for + TALK_WINDOW:
        return False
    person.wrote_at = person.wrote_at or at
    await session.flush()
    writers = await session.scalars(
        select(IntrosPairMember.user_id).where(
            IntrosPairMember.pair_id == pair_id, IntrosPairMember.wrote_at.is_not(None)
        )
    )
    if len(list(writers.all())) < 2:
        return False
    pair.talked_at = at
    round_.talked += 1
    return True


async def purge(session: AsyncSession, guild_id: int, keep_rounds: int, now: datetime) -> int:
    """Delete who was in which pair for the rounds no longer needed: older than the last
    `keep_rounds` rounds and than the 7-day window (their counts stay on the round)."""
    kept = select(IntrosRound.id).where(IntrosRound.guild_id == guild_id)
    kept = kept.order_by(IntrosRound.scheduled_for.desc()).limit(keep_rounds)
    recent = set((await session.scalars(kept)).all())
    old = await session.scalars(
        select(IntrosRound.id).where(
            IntrosRound.guild_id == guild_id, IntrosRound.scheduled_for < now - TALK_WINDOW
        )
    )
    gone = [r for r in old.all() if r not in recent]
    if not gone:
        return 0
    pair_ids = select(IntrosPair.id).where(IntrosPair.round_id.in_(gone))
    await session.execute(delete(IntrosPairMember).where(IntrosPairMember.pair_id.in_(pair_ids)))
    await session.execute(delete(IntrosPair).where(IntrosPair.round_id.in_(gone)))
    return len(gone)


@dataclass(frozen=True)
class IntrosFigures:
    """Rounds and pairs of the period; of the pairs whose 7 days are over, how many talked."""

    rounds: int
    pairs: int
    settled_pairs: int
    talked: int


async def intros_figures(
    session: AsyncSession, guild_id: int, start: datetime, end: datetime, now: datetime
) -> IntrosFigures:
    rows = (
        await session.scalars(
            select(IntrosRound).where(
                IntrosRound.guild_id == guild_id,
                IntrosRound.scheduled_for >= start,
                IntrosRound.scheduled_for < end,
                IntrosRound.pairs > 0,
            )
        )
    ).all()
    settled = [r for r in rows if r.scheduled_for + TALK_WINDOW <= now]
    return IntrosFigures(
        rounds=len(rows),
        pairs=sum(r.pairs for r in rows),
        settled_pairs=sum(r.pairs for r in settled),
        talked=sum(r.talked for r in settled),
    )
