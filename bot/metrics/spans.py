"""Settled spans: the per-member sums a day's reports would otherwise group again each time.

A report needs every counted member's sums over three stretches: the current period, the
previous one and the one before (who was active, for retention). Grouping a large guild's
rows per member is most of a report's work, and all of it but today's rows is settled. So
the days before today of each stretch (a *span*) are grouped once, the first time a report
asks for them (or by the nightly folding), into
`health_member_spans`, from the folded weeks inside and the daily rows around them; every
later report that day reads the sums back and adds today's rows. A span is grouped again
when the guild rollup's member counters over its days changed (late events), as weeks are.
The spans of earlier days are deleted by the next report's folding. The previous period's
span also keeps its `SettledFacts`, so the day's reports read none of its members.

Sums are kept for every user; staff, bots and opted-out members are left out when read, so
a role change or an opt-out needs no recount (an opt-out or an erasure also deletes the
member's rows, through the privacy registry).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Select,
    Subquery,
    and_,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import DailyMemberActivity, HealthMemberSpan, HealthMemberWeek, HealthSpan
from bot.metrics.activity import ActivitySummary, summarise
from bot.metrics.data import MEMBER_COUNTERS, MemberActivity
from bot.metrics.participation import active_ids
from bot.metrics.weekly import counted_days, excluded, mondays, rollup_days
from bot.periods import Period, utc_midnight

DMA = DailyMemberActivity
HMS = HealthMemberSpan


@dataclass(frozen=True)
class Span:
    """UTC days `[first, end)`."""

    first: date
    end: date

    @property
    def empty(self) -> bool:
        return self.end <= self.first


def settled_part(period: Period, today: date) -> Span:
    """The period's days before `today` (UTC): the part a span keeps."""
    return Span(period.first_day, max(period.first_day, min(period.end_day, today)))


async def fold_spans(
    session: AsyncSession,
    guild_id: int,
    spans: Iterable[Span],
    folded_weeks: set[date],
    now: datetime,
) -> None:
    """Make each span's kept sums current (grouping again the missing or stale ones) and
    delete the guild's spans kept on an earlier day that this report does not read."""
    wanted = {span for span in spans if not span.empty}
    kept = {
        Span(first, end): (total, computed_at)
        for first, end, total, computed_at in await session.execute(
            select(
                HealthSpan.first_day,
                HealthSpan.end_day,
                HealthSpan.rollup_total,
                HealthSpan.computed_at,
            ).where(HealthSpan.guild_id == guild_id)
        )
    }
    today = utc_midnight(now.astimezone(UTC).date())
    stale = [span for span, (_, at) in kept.items() if span not in wanted and at < today]
    if stale:
        pairs = [(span.first, span.end) for span in stale]
        for table in (HealthMemberSpan, HealthSpan):
            await session.execute(
                delete(table).where(
                    table.guild_id == guild_id,
                    tuple_(table.first_day, table.end_day).in_(pairs),
                )
            )
    if not wanted:
        return
    days = await rollup_days(
        session, guild_id, min(s.first for s in wanted), max(s.end for s in wanted)
    )
    for span in sorted(wanted, key=lambda s: s.first):
        total = sum(members for day, (members, _) in days.items() if span.first <= day < span.end)
        before = kept.get(span)
        if before is None or before[0] != total:
            await _fold(session, guild_id, span, folded_weeks, total, now)


async def _fold(
    session: AsyncSession,
    guild_id: int,
    span: Span,
    folded_weeks: set[date],
    rollup_total: int,
    now: datetime,
) -> None:
    """(Re)write one span's per-member sums, in the database (no rows through Python)."""
    await session.execute(
        delete(HMS).where(
            HMS.guild_id == guild_id, HMS.first_day == span.first, HMS.end_day == span.end
        )
    )
    rows = _member_day_rows(guild_id, span, folded_weeks)
    grouped = select(
        literal(guild_id, BigInteger),
        literal(span.first, Date),
        literal(span.end, Date),
        rows.c.user_id,
        *(func.sum(rows.c[c]) for c in MEMBER_COUNTERS),
    ).group_by(rows.c.user_id)
    columns = ["guild_id", "first_day", "end_day", "user_id", *MEMBER_COUNTERS]
    await session.execute(insert(HMS).from_select(columns, grouped))
    await session.merge(
        HealthSpan(
            guild_id=guild_id,
            first_day=span.first,
            end_day=span.end,
            rollup_total=rollup_total,
            computed_at=now,
            facts=None,
            facts_key=None,
        )
    )


def _member_day_rows(guild_id: int, span: Span, folded_weeks: set[date]) -> Subquery:
    """The span's per-member rows: its folded weeks, and the daily rollups of the days
    around them."""
    weeks = [m for m in mondays(span.first, span.end) if m in folded_weeks]
    gaps: list[tuple[date, date]] = []
    cursor = span.first
    for monday in weeks:
        if cursor < monday:
            gaps.append((cursor, monday))
        cursor = monday + timedelta(days=7)
    if cursor < span.end:
        gaps.append((cursor, span.end))
    hmw = HealthMemberWeek
    parts: list[Select[Any]] = []
    if weeks:
        parts.append(
            select(hmw.user_id, *(getattr(hmw, c) for c in MEMBER_COUNTERS)).where(
                hmw.guild_id == guild_id, hmw.week.in_(weeks)
            )
        )
    if gaps or not parts:
        parts.append(
            select(DMA.user_id, *(getattr(DMA, c) for c in MEMBER_COUNTERS)).where(
                DMA.guild_id == guild_id,
                or_(*(and_(DMA.day >= a, DMA.day < b) for a, b in gaps)) if gaps else false(),
            )
        )
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


async def member_activity(
    session: AsyncSession, guild_id: int, period: Period, today: date
) -> dict[int, MemberActivity]:
    """Each counted member's sums over the period: its kept span (folded by
    `fold_spans`), plus the days from `today` on, grouped here."""
    span = settled_part(period, today)
    connection = await session.connection()
    sums: dict[int, MemberActivity] = {}
    if not span.empty:
        kept = await connection.execute(
            select(HMS.user_id, *(getattr(HMS, c) for c in MEMBER_COUNTERS)).where(
                HMS.guild_id == guild_id,
                HMS.first_day == span.first,
                HMS.end_day == span.end,
                HMS.user_id.not_in(excluded(guild_id)),
            )
        )
        sums = {row[0]: MemberActivity._make(row[1:]) for row in kept}
    if span.end < period.end_day:
        recent = await connection.execute(
            select(
                DMA.user_id, *(cast(func.sum(getattr(DMA, c)), BigInteger) for c in MEMBER_COUNTERS)
            )
            .where(counted_days(guild_id, span.end, period.end_day))
            .group_by(DMA.user_id)
        )
        for user_id, *counts in recent:
            before = sums.get(user_id)
            if before is not None:
                counts = [a + b for a, b in zip(before, counts, strict=True)]
            sums[user_id] = MemberActivity._make(counts)
    return sums


async def writers(session: AsyncSession, guild_id: int, period: Period, today: date) -> set[int]:
    """Counted members with a message in a period that ended by `today` (its span, folded
    by `fold_spans`)."""
    if settled_part(period, today).end != period.end_day:
        raise ValueError(f"{period} is not over on {today}: read member_activity instead")
    query = select(HMS.user_id).where(
        HMS.guild_id == guild_id,
        HMS.first_day == period.first_day,
        HMS.end_day == period.end_day,
        HMS.messages > 0,
        HMS.user_id.not_in(excluded(guild_id)),
    )
    return set((await (await session.connection()).execute(query)).scalars())


@dataclass(frozen=True)
class SettledFacts:
    """All the figures of a period that is over need of its members: their activity
    summary, and how many of the period before's active members were active again (its
    active retention)."""

    summary: ActivitySummary
    kept: int
    before: int


async def settled_facts(
    session: AsyncSession, guild_id: int, period: Period, today: date
) -> SettledFacts:
    """The facts of a period over by `today`, whose span and the one before it
    `fold_spans` folded: kept with the span, and counted again from its members when what
    they rest on changed (either span's rows, or who is counted)."""
    span, before = settled_part(period, today), settled_part(period.previous(), today)
    if span.end != period.end_day:
        raise ValueError(f"{period} is not over on {today}")
    kept = await session.get(HealthSpan, (guild_id, span.first, span.end))
    if kept is None:
        raise LookupError(f"span {span} of guild {guild_id} was not folded")
    key = await _facts_key(session, guild_id, kept.rollup_total, before)
    if kept.facts is not None and kept.facts_key == key:
        facts = dict(kept.facts)
        return SettledFacts(ActivitySummary(**facts["summary"]), facts["kept"], facts["before"])
    activity = await member_activity(session, guild_id, period, today)
    active = active_ids(activity)
    active_before = await writers(session, guild_id, period.previous(), today)
    result = SettledFacts(summarise(activity), len(active & active_before), len(active_before))
    kept.facts = {
        "summary": asdict(result.summary),
        "kept": result.kept,
        "before": result.before,
    }
    kept.facts_key = key
    return result


async def _facts_key(session: AsyncSession, guild_id: int, total: int, before: Span) -> str:
    """What a period's facts rest on: the summary's fields, its rollup total, the period
    before's (when folded), and who is left out (how many, and a checksum of their ids)."""
    before_total = await session.scalar(
        select(HealthSpan.rollup_total).where(
            HealthSpan.guild_id == guild_id,
            HealthSpan.first_day == before.first,
            HealthSpan.end_day == before.end,
        )
    )
    out = excluded(guild_id).subquery()
    count, checksum = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(out.c.user_id % _CHECKSUM), 0))
        )
    ).one()
    return f"{_FACTS_SHAPE}:{total}:{before_total}:{count}:{checksum}"


_CHECKSUM = 1_000_000_007  # keeps the sum of snowflakes within 64 bits
# Facts kept by an older version of `ActivitySummary` (a field added or removed) are
# counted again, not read into the new one.
_FACTS_SHAPE = zlib.crc32(" ".join(f.name for f in fields(ActivitySummary)).encode())
