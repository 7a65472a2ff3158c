"""Welcome threads: per-guild configuration and one row per newcomer welcomed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('welcome_configs',
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('channel_id', sa.BigInteger(), nullable=False),
    sa.Column('thread_kind_requested', sa.SmallInteger(), nullable=False),
    sa.Column('thread_kind_used', sa.SmallInteger(), nullable=False),
    sa.Column('greeter_role_id', sa.BigInteger(), nullable=True),
    sa.Column('template', sa.Text(), nullable=True),
    sa.Column('auto_archive_minutes', sa.Integer(), nullable=False),
    sa.Column('nudge_delay_minutes', sa.Integer(), nullable=False),
    sa.Column('burst_threshold', sa.Integer(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('problem', sa.String(length=200), nullable=True),
    sa.Column('problem_notified_at', UTCDateTime(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('guild_id', name=op.f('pk_welcome_configs'))
    )
    op.create_table('welcomes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('joined_at', UTCDateTime(), nullable=False),
    sa.Column('thread_created_at', UTCDateTime(), nullable=True),
    sa.Column('introduced_at', UTCDateTime(), nullable=True),
    sa.Column('first_peer_reply_at', UTCDateTime(), nullable=True),
    sa.Column('first_peer_reply_seconds', sa.Integer(), nullable=True),
    sa.Column('staff_answered_at', UTCDateTime(), nullable=True),
    sa.Column('nudged_at', UTCDateTime(), nullable=True),
    sa.Column('newcomer_left_at', UTCDateTime(), nullable=True),
    sa.Column('failure', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_welcomes'))
    )
    with op.batch_alter_table('welcomes', schema=None) as batch_op:
        batch_op.create_index('ix_welcomes_guild_joined', ['guild_id', 'joined_at'], unique=False)
        batch_op.create_index('ix_welcomes_guild_thread', ['guild_id', 'thread_id'], unique=False)
        batch_op.create_index('ix_welcomes_guild_user', ['guild_id', 'user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('welcomes', schema=None) as batch_op:
        batch_op.drop_index('ix_welcomes_guild_user')
        batch_op.drop_index('ix_welcomes_guild_thread')
        batch_op.drop_index('ix_welcomes_guild_joined')

    op.drop_table('welcomes')
    op.drop_table('welcome_configs')
