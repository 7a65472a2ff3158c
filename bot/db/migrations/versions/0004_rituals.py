"""Rituals, their weekly questions, the scheduled-runs ledger and the bot-post budget.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bot_posts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('channel_id', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('posted_at', UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bot_posts'))
    )
    with op.batch_alter_table('bot_posts', schema=None) as batch_op:
        batch_op.create_index('ix_bot_posts_guild_channel_day', ['guild_id', 'channel_id', 'day'], unique=False)

    op.create_table('rituals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('preset', sa.String(length=32), nullable=True),
    sa.Column('channel_id', sa.BigInteger(), nullable=False),
    sa.Column('template', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('weekdays', sa.SmallInteger(), nullable=False),
    sa.Column('nth', sa.SmallInteger(), nullable=True),
    sa.Column('weekday', sa.SmallInteger(), nullable=True),
    sa.Column('hour', sa.SmallInteger(), nullable=False),
    sa.Column('minute', sa.SmallInteger(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('ping_role_id', sa.BigInteger(), nullable=True),
    sa.Column('auto_archive_minutes', sa.BigInteger(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('since', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rituals')),
    sa.UniqueConstraint('guild_id', 'name', name='uq_rituals_guild_name'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('rituals', schema=None) as batch_op:
        batch_op.create_index('ix_rituals_guild', ['guild_id'], unique=False)

    op.create_table('scheduled_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('job_key', sa.String(length=100), nullable=False),
    sa.Column('scheduled_for', UTCDateTime(), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=False),
    sa.Column('claimed_at', UTCDateTime(), nullable=True),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.Column('retry_at', UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.BigInteger(), nullable=False),
    sa.Column('channel_id', sa.BigInteger(), nullable=True),
    sa.Column('post_id', sa.BigInteger(), nullable=True),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_runs')),
    sa.UniqueConstraint('job_key', 'scheduled_for', name='uq_scheduled_runs_job_time')
    )
    with op.batch_alter_table('scheduled_runs', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_runs_guild_job', ['guild_id', 'job_key', 'scheduled_for'], unique=False)
        batch_op.create_index('ix_scheduled_runs_status', ['status'], unique=False)

    op.create_table('ritual_questions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('ritual_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('asked', sa.Boolean(), nullable=False),
    sa.Column('last_asked_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['ritual_id'], ['rituals.id'], name=op.f('fk_ritual_questions_ritual_id_rituals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ritual_questions'))
    )
    with op.batch_alter_table('ritual_questions', schema=None) as batch_op:
        batch_op.create_index('ix_ritual_questions_guild_ritual', ['guild_id', 'ritual_id'], unique=False)
    op.create_table('ritual_role_changes',
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ritual_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('joins', sa.BigInteger(), nullable=False),
    sa.Column('leaves', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('guild_id', 'ritual_id', 'day', name=op.f('pk_ritual_role_changes'))
    )


def downgrade() -> None:
    op.drop_table('ritual_role_changes')
    with op.batch_alter_table('ritual_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_ritual_questions_guild_ritual')

    op.drop_table('ritual_questions')
    with op.batch_alter_table('scheduled_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_runs_status')
        batch_op.drop_index('ix_scheduled_runs_guild_job')

    op.drop_table('scheduled_runs')
    with op.batch_alter_table('rituals', schema=None) as batch_op:
        batch_op.drop_index('ix_rituals_guild')

    op.drop_table('rituals')
    with op.batch_alter_table('bot_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_bot_posts_guild_channel_day')

    op.drop_table('bot_posts')
