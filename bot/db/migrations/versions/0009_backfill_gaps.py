"""Gap recovery: a cursor per channel so a long outage is read to its end, across restarts.

`backfill_gaps` holds, per guild and channel (or thread), the part of the history still
to read: after `after_id` (the newest message read and written so far) up to `before_id`
(where live recording took over). Rows are deleted once their gap is closed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backfill_gaps",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("place_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("after_id", sa.BigInteger(), nullable=False),
        sa.Column("before_id", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "place_id", name=op.f("pk_backfill_gaps")),
    )


def downgrade() -> None:
    op.drop_table("backfill_gaps")
