"""Health: closed spans folded once a day, and member rollups indexed by member.

The per-member sums of the spans a report reads (the previous periods, the current one up
to yesterday) are kept, so a day's /health reports group the daily rows once; the previous
period's span also keeps what its figures need of its members (totals and counts only). The daily
member rollup's (guild, day) index duplicated its primary key's prefix; it becomes a
partial (member, guild, day) index of the days with a message, which alone answers the
newcomer cohorts' and the welcome funnel's reads. The member comes first so that SQLite,
which has no statistics here, never scans a whole guild in member order to avoid sorting
a per-member sum over a few days. A partial index of the members no figure counts
(staff, bots, opted-out) spares each health read a scan of the guild's members.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SUMS = (
    "messages",
    "peer_given",
    "staff_received",
    "reactions_given",
    "ritual_messages",
    "threads_created",
    "conversations_started",
)


def upgrade() -> None:
    op.create_table(
        "health_spans",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("end_day", sa.Date(), nullable=False),
        sa.Column("rollup_total", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=True),
        sa.Column("facts_key", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint(
            "guild_id", "first_day", "end_day", name=op.f("pk_health_spans")
        ),
    )
    op.create_table(
        "health_member_spans",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("end_day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in SUMS),
        sa.PrimaryKeyConstraint(
            "guild_id", "first_day", "end_day", "user_id", name=op.f("pk_health_member_spans")
        ),
    )
    op.drop_index("ix_daily_member_activity_guild_day", table_name="daily_member_activity")
    op.create_index(
        "ix_daily_member_activity_user_guild_day",
        "daily_member_activity",
        ["user_id", "guild_id", "day"],
        sqlite_where=sa.text("messages > 0"),
        postgresql_where=sa.text("messages > 0"),
    )
    op.create_index(
        "ix_members_guild_not_counted",
        "members",
        ["guild_id", "user_id"],
        sqlite_where=sa.text("is_staff IS 1 OR is_bot IS 1 OR opted_out IS 1"),
        postgresql_where=sa.text("is_staff IS true OR is_bot IS true OR opted_out IS true"),
    )


def downgrade() -> None:
    op.drop_index("ix_members_guild_not_counted", table_name="members")
    op.drop_index("ix_daily_member_activity_user_guild_day", table_name="daily_member_activity")
    op.create_index(
        "ix_daily_member_activity_guild_day", "daily_member_activity", ["guild_id", "day"]
    )
    op.drop_table("health_member_spans")
    op.drop_table("health_spans")
