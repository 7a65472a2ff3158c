"""Tensions: counts of moderation actions per guild, UTC day and kind (issue 15).

`moderation_counts` holds the counters (audit log entries, and the messages they removed);
`moderation_entries` the ids of the entries already counted, so a replay counts nothing;
`moderation_watch` since when Foyer could see the guild's audit log. Counts and ids only:
no moderator, no target, no reason.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moderation_counts",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("actions", sa.BigInteger(), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "day", "kind", name=op.f("pk_moderation_counts")),
    )
    op.create_table(
        "moderation_entries",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "entry_id", name=op.f("pk_moderation_entries")),
    )
    op.create_table(
        "moderation_watch",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("since", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_moderation_watch")),
    )


def downgrade() -> None:
    op.drop_table("moderation_watch")
    op.drop_table("moderation_entries")
    op.drop_table("moderation_counts")
