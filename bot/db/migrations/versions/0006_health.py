"""Health: completed weeks folded once (weekly figures, per-member weekly sums), a cache
that /health fills as it goes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "health_weeks",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("active_members", sa.BigInteger(), nullable=False),
        sa.Column("communicators", sa.BigInteger(), nullable=False),
        sa.Column("member_messages", sa.BigInteger(), nullable=False),
        sa.Column("peer_interactions", sa.BigInteger(), nullable=False),
        sa.Column("staff_interactions", sa.BigInteger(), nullable=False),
        sa.Column("ritual_participants", sa.BigInteger(), nullable=False),
        sa.Column("rollup_total", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "week", name=op.f("pk_health_weeks")),
    )

    op.create_table(
        "health_member_weeks",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("peer_given", sa.BigInteger(), nullable=False),
        sa.Column("staff_received", sa.BigInteger(), nullable=False),
        sa.Column("reactions_given", sa.BigInteger(), nullable=False),
        sa.Column("ritual_messages", sa.BigInteger(), nullable=False),
        sa.Column("threads_created", sa.BigInteger(), nullable=False),
        sa.Column("conversations_started", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "week", "user_id", name=op.f("pk_health_member_weeks")),
    )


def downgrade() -> None:
    op.drop_table("health_member_weeks")
    op.drop_table("health_weeks")
