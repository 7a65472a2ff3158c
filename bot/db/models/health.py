"""Health: completed weeks and closed spans folded once, so /health does not recount them.

A period's distinct counts (active members, communicators, retention) need a per-member
pass over the daily rollups; for a large guild that is most of /health's time. Each
completed week (Monday to Sunday, UTC days) is folded once into per-member sums and weekly
figures; each closed span a report reads (the previous periods, the current one up to
yesterday) is folded once a day from those weeks and the days around them.
`rollup_total` is the sum of the guild rollup's member counters at folding time (they only
grow): if late events change it, the week or span is folded again.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake


class HealthWeek(Base):
    """One guild's figures for one completed week (Monday `week` to Sunday, UTC days)."""

    __tablename__ = "health_weeks"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    week: Mapped[date] = mapped_column(Date, primary_key=True, info={"retention": True})
    active_members: Mapped[int] = mapped_column(default=0)
    communicators: Mapped[int] = mapped_column(default=0)
    member_messages: Mapped[int] = mapped_column(default=0)
    peer_interactions: Mapped[int] = mapped_column(default=0)
    staff_interactions: Mapped[int] = mapped_column(default=0)
    ritual_participants: Mapped[int] = mapped_column(default=0)
    rollup_total: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime]


class MemberSums:
    """The daily member rollup's counters the figures add up, summed over a stretch of days
    (`bot.metrics.data.MEMBER_COUNTERS` names them)."""

    messages: Mapped[int] = mapped_column(default=0)
    peer_given: Mapped[int] = mapped_column(default=0)
    staff_received: Mapped[int] = mapped_column(default=0)
    reactions_given: Mapped[int] = mapped_column(default=0)
    ritual_messages: Mapped[int] = mapped_column(default=0)
    threads_created: Mapped[int] = mapped_column(default=0)
    conversations_started: Mapped[int] = mapped_column(default=0)


class HealthMemberWeek(MemberSums, Base):
    """A member's sums over one completed week (Monday `week` to Sunday, UTC days): the
    daily rollups folded by week, so a period's per-member figures read about a fifth of
    the rows. Written with the week's `HealthWeek` row and recounted with it."""

    __tablename__ = "health_member_weeks"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    week: Mapped[date] = mapped_column(Date, primary_key=True, info={"retention": True})
    user_id: Mapped[int] = mapped_column(
        Snowflake, primary_key=True, autoincrement=False, info={"user": True}
    )


class HealthSpan(Base):
    """A closed span of UTC days `[first_day, end_day)` whose per-member sums are kept in
    `health_member_spans`: the previous periods and the current one up to yesterday, so
    the /health reports of one day group those rows once. `rollup_total` works as for
    weeks: when late events change it, the span is summed again. A previous period's span
    also keeps `facts`, what its figures need of its members (totals and counts, no
    member), valid while `facts_key` (the rollups and the counted members they rest on)
    is unchanged."""

    __tablename__ = "health_spans"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    first_day: Mapped[date] = mapped_column(Date, primary_key=True, info={"retention": True})
    end_day: Mapped[date] = mapped_column(Date, primary_key=True)
    rollup_total: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime]
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    facts_key: Mapped[str | None] = mapped_column(String(80))


class HealthMemberSpan(MemberSums, Base):
    """A member's sums over one kept span (staff, bots and opted-out members included:
    who counts is decided when the span is read, so a role change needs no recount)."""

    __tablename__ = "health_member_spans"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    first_day: Mapped[date] = mapped_column(Date, primary_key=True, info={"retention": True})
    end_day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Snowflake, primary_key=True, autoincrement=False, info={"user": True}
    )
