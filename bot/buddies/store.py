"""The buddies' SQL, inside the caller's session, so `BuddyService` keeps each rule and the
reads it rests on in one transaction. Every query filters on the guild; the statements work
on SQLite and PostgreSQL. `buddy_figures` holds the counts meant for /health (not shown
there yet).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    BuddyConfig,
    BuddyMatch,
    BuddyRequest,
    BuddyTopicRole,
    BuddyVolunteer,
    BuddyVolunteerTopic,
)

ANSWER_WINDOW = timedelta(hours=24)
Session = AsyncSession  # what the service passes along without importing SQLAlchemy


async def config(session: AsyncSession, guild_id: int) -> BuddyConfig | None:
    return await session.get(BuddyConfig, guild_id)


async def topic_roles(session: AsyncSession, guild_id: int) -> set[int]:
    rows = await session.scalars(
        select(BuddyTopicRole.role_id).where(BuddyTopicRole.guild_id == guild_id)
    )
    return set(rows.all())


async def set_topic_roles(session: AsyncSession, guild_id: int, role_ids: Collection[int]) -> None:
    """Replace the guild's topic roles; volunteers' topics no longer offered go too."""
    await session.execute(delete(BuddyTopicRole).where(BuddyTopicRole.guild_id == guild_id))
    session.add_all(BuddyTopicRole(guild_id=guild_id, role_id=r) for r in role_ids)
    stale = delete(BuddyVolunteerTopic).where(BuddyVolunteerTopic.guild_id == guild_id)
    if role_ids:
        stale = stale.where(BuddyVolunteerTopic.role_id.not_in(list(role_ids)))
    await session.execute(stale)


async def volunteer(session: AsyncSession, guild_id: int, user_id: int) -> BuddyVolunteer | None:
    return await session.get(BuddyVolunteer, (guild_id, user_id))


async def volunteers(session: AsyncSession, guild_id: int) -> list[BuddyVolunteer]:
    rows = await session.scalars(select(BuddyVolunteer).where(BuddyVolunteer.guild_id == guild_id))
    return list(rows.all())


async def volunteer_topics(session: AsyncSession, guild_id: int) -> dict[int, set[int]]:
    rows = await session.execute(
        select(BuddyVolunteerTopic.user_id, BuddyVolunteerTopic.role_id).where(
            BuddyVolunteerTopic.guild_id == guild_id
        )
    )
    found: dict[int, set[int]] = {}
    for user_id, role_id in rows.all():
        found.setdefault(user_id, set()).add(role_id)
    return found


async def set_volunteer_topics(
    session: AsyncSession, guild_id: int, user_id: int, role_ids: Collection[int]
) -> None:
    await session.execute(
        delete(BuddyVolunteerTopic).where(
            BuddyVolunteerTopic.guild_id == guild_id, BuddyVolunteerTopic.user_id == user_id
        )
    )
    session.add_all(
        BuddyVolunteerTopic(guild_id=guild_id, user_id=user_id, role_id=r) for r in role_ids
    )


async def remove_volunteer(session: AsyncSession, guild_id: int, user_id: int) -> bool:
    await set_volunteer_topics(session, guild_id, user_id, ())
    done = await session.execute(
        delete(BuddyVolunteer).where(
            BuddyVolunteer.guild_id == guild_id, BuddyVolunteer.user_id == user_id
        )
    )
    return bool(getattr(done, "rowcount", 0))


async def request_for(
    session: AsyncSession, guild_id: int, newcomer_id: int, thread_id: int | None = None
) -> BuddyRequest | None:
    """The newcomer's latest offer (in `thread_id` when given)."""
    query = select(BuddyRequest).where(
        BuddyRequest.guild_id == guild_id, BuddyRequest.newcomer_id == newcomer_id
    )
    if thread_id is not None:
        query = query.where(BuddyRequest.thread_id == thread_id)
    return await session.scalar(query.order_by(BuddyRequest.id.desc()).limit(1))


async def active_matches(session: AsyncSession, guild_id: int) -> list[BuddyMatch]:
    rows = await session.scalars(
        select(BuddyMatch).where(BuddyMatch.guild_id == guild_id, BuddyMatch.ended_at.is_(None))
    )
    return list(rows.all())


async def matches_of_request(session: AsyncSession, request_id: int) -> list[BuddyMatch]:
    rows = await session.scalars(
        select(BuddyMatch).where(BuddyMatch.request_id == request_id).order_by(BuddyMatch.id)
    )
    return list(rows.all())


async def last_buddy(session: AsyncSession, guild_id: int) -> int | None:
    """The buddy given most recently in the guild."""
    return await session.scalar(
        select(BuddyMatch.buddy_id)
        .where(BuddyMatch.guild_id == guild_id)
        .order_by(BuddyMatch.matched_at.desc(), BuddyMatch.id.desc())
        .limit(1)
    )


async def waiting_requests(session: AsyncSession, guild_id: int) -> list[BuddyRequest]:
    """Newcomers who asked and have no buddy now (none yet, or theirs left or opted out)."""
    active = select(BuddyMatch.request_id).where(
        BuddyMatch.guild_id == guild_id,
        BuddyMatch.ended_at.is_(None),
    )
    # a silent or finished buddy since the last ask: the newcomer is offered again instead
    silent = select(BuddyMatch.request_id).where(
        BuddyMatch.guild_id == guild_id,
        BuddyMatch.request_id == BuddyRequest.id,
        BuddyMatch.ended_reason.in_(("silent", "finished")),
        BuddyMatch.ended_at >= BuddyRequest.accepted_at,
    )
    rows = await session.scalars(
        select(BuddyRequest)
        .where(
            BuddyRequest.guild_id == guild_id,
            BuddyRequest.accepted_at.is_not(None),
            BuddyRequest.id.not_in(active),
            ~silent.exists(),
        )
        .order_by(BuddyRequest.accepted_at, BuddyRequest.id)
    )
    return list(rows.all())


async def unanswered_everywhere(session: AsyncSession) -> list[BuddyMatch]:
    rows = await session.scalars(
        select(BuddyMatch).where(BuddyMatch.ended_at.is_(None), BuddyMatch.answered_at.is_(None))
    )
    return list(rows.all())


async def guilds_with_waiting(session: AsyncSession) -> list[int]:
    """Guilds where a newcomer asked and may be waiting (each is then checked in full)."""
    rows = await session.scalars(
        select(BuddyRequest.guild_id).where(BuddyRequest.accepted_at.is_not(None)).distinct()
    )
    return list(rows.all())


async def due_reminders(session: AsyncSession, now: datetime) -> list[BuddyMatch]:
    """Matches announced 24 h ago or more whose buddy has not written: one reminder each
    (those whose reminder was intended but not confirmed are retried, same nonce)."""
    rows = await session.scalars(
        select(BuddyMatch).where(
            BuddyMatch.ended_at.is_(None),
            BuddyMatch.answered_at.is_(None),
            BuddyMatch.announced_at.is_not(None),
            BuddyMatch.reminded_at.is_(None),
            BuddyMatch.matched_at <= now - ANSWER_WINDOW,
        )
    )
    return list(rows.all())


async def silent_matches(session: AsyncSession, now: datetime) -> list[BuddyMatch]:
    rows = await session.scalars(
        select(BuddyMatch).where(
            BuddyMatch.ended_at.is_(None),
            BuddyMatch.answered_at.is_(None),
            BuddyMatch.matched_at <= now - 2 * ANSWER_WINDOW,
        )
    )
    return list(rows.all())


async def unannounced(session: AsyncSession) -> list[BuddyMatch]:
    rows = await session.scalars(
        select(BuddyMatch).where(BuddyMatch.ended_at.is_(None), BuddyMatch.announced_at.is_(None))
    )
    return list(rows.all())


async def unsent_offers(session: AsyncSession, since: datetime) -> list[BuddyRequest]:
    rows = await session.scalars(
        select(BuddyRequest).where(
            BuddyRequest.offer_sent_at.is_(None), BuddyRequest.offered_at >= since
        )
    )
    return list(rows.all())


async def unlinked_matches(session: AsyncSession) -> list[BuddyMatch]:
    rows = await session.scalars(
        select(BuddyMatch).where(BuddyMatch.ended_at.is_(None), BuddyMatch.buddy_id.is_(None))
    )
    return list(rows.all())


async def finished(session: AsyncSession, before: datetime) -> list[BuddyMatch]:
    rows = await session.scalars(
        select(BuddyMatch).where(BuddyMatch.ended_at.is_(None), BuddyMatch.matched_at < before)
    )
    return list(rows.all())


async def matches_involving(session: AsyncSession, guild_id: int, user_id: int) -> list[BuddyMatch]:
    """Active matches where the member is the buddy or the newcomer."""
    rows = await session.scalars(
        select(BuddyMatch).where(
            BuddyMatch.guild_id == guild_id,
            BuddyMatch.ended_at.is_(None),
            (BuddyMatch.buddy_id == user_id) | (BuddyMatch.newcomer_id == user_id),
        )
    )
    return list(rows.all())


@dataclass(frozen=True)
class BuddyFigures:
    """The period's buddy figures (docs/metrics.md, Buddies)."""

    offered: int  # newcomers offered a buddy
    asked: int  # of them, newcomers who asked
    matched: int  # of those, newcomers given a buddy
    answered_24h: int  # of those, newcomers whose first buddy wrote within 24 h
    buddied_ids: frozenset[int]  # the matched newcomers, for the activation comparison


async def buddy_figures(
    session: AsyncSession, guild_id: int, start: datetime, end: datetime
) -> BuddyFigures:
    """Counted per newcomer, over the offers made in [start, end)."""
    requests = (
        await session.execute(
            select(BuddyRequest.id, BuddyRequest.newcomer_id, BuddyRequest.accepted_at).where(
                BuddyRequest.guild_id == guild_id,
                BuddyRequest.offered_at >= start,
                BuddyRequest.offered_at < end,
            )
        )
    ).all()
    ids = [r.id for r in requests]
    first: dict[int, BuddyMatch] = {}
    if ids:
        for match in await session.scalars(
            select(BuddyMatch).where(BuddyMatch.request_id.in_(ids)).order_by(BuddyMatch.id)
        ):
            first.setdefault(match.request_id, match)
    newcomer = {r.id: r.newcomer_id for r in requests}
    answered = {
        newcomer[rid]
        for rid, m in first.items()
        if m.answered_at is not None and m.answered_at - m.matched_at <= ANSWER_WINDOW
    }
    return BuddyFigures(
        offered=len({r.newcomer_id for r in requests}),
        asked=len({r.newcomer_id for r in requests if r.accepted_at is not None}),
        matched=len({newcomer[rid] for rid in first}),
        answered_24h=len(answered),
        buddied_ids=frozenset(newcomer[rid] for rid in first),
    )


async def count_pairs_since(session: AsyncSession, guild_id: int, since: datetime) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(BuddyMatch)
            .where(BuddyMatch.guild_id == guild_id, BuddyMatch.matched_at >= since)
        )
        or 0
    )


def loads(matches: Sequence[BuddyMatch]) -> dict[int, int]:
    """Current newcomers per buddy."""
    found: dict[int, int] = {}
    for match in matches:
        if match.buddy_id is not None:
            found[match.buddy_id] = found.get(match.buddy_id, 0) + 1
    return found


@dataclass(frozen=True)
class BuddyReport:
    """What /health reads of buddies: the current and previous periods' figures, and
    every newcomer who ever had a buddy (the activation and week-4 cohorts are older
    than the period's offers)."""

    current: BuddyFigures
    previous: BuddyFigures
    buddied_ids: frozenset[int]


async def buddy_report(
    session: AsyncSession,
    guild_id: int,
    current: tuple[datetime, datetime],
    previous: tuple[datetime, datetime],
) -> BuddyReport:
    ever = await session.scalars(
        select(BuddyMatch.newcomer_id).where(BuddyMatch.guild_id == guild_id).distinct()
    )
    return BuddyReport(
        await buddy_figures(session, guild_id, *current),
        await buddy_figures(session, guild_id, *previous),
        frozenset(ever.all()),
    )
