"""Scheduled runs: where a run meant to post, recorded before the call to Discord.

`post_after_id` is the channel's newest message before the first attempt to post an
occurrence (0 when it had none); with `channel_id` set at the same moment, it tells a run
restarted after a crash that a post may already be in that channel, and after which
message to look for it (docs/rituals.md, "Posting exactly once").

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_runs") as batch:
        batch.add_column(sa.Column("post_after_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduled_runs") as batch:
        batch.drop_column("post_after_id")
