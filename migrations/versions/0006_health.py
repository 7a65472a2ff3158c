"""Health: weekly figures of completed weeks (a cache /health fills as it goes).

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
        sa.Column("rollup_messages", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "week", name=op.f("pk_health_weeks")),
    )


def downgrade() -> None:
    op.drop_table("health_weeks")
