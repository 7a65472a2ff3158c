"""Health: weekly figures of completed weeks, kept so /health does not recount them.

A completed ISO week's distinct counts (active members, communicators, ritual participants)
need a per-member pass over its daily rollups; /health shows 8 to 14 weeks, so each
completed week is computed once and kept here. `member_messages` is the rollups' total at
computation time: if late events change the week's total, the row is recomputed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake


class HealthWeek(Base):
    """One guild's figures for one completed week (Monday `week` to Sunday, UTC days)."""

    __tablename__ = "health_weeks"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    active_members: Mapped[int] = mapped_column(default=0)
    communicators: Mapped[int] = mapped_column(default=0)
    member_messages: Mapped[int] = mapped_column(default=0)
    peer_interactions: Mapped[int] = mapped_column(default=0)
    staff_interactions: Mapped[int] = mapped_column(default=0)
    ritual_participants: Mapped[int] = mapped_column(default=0)
    rollup_messages: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime]
