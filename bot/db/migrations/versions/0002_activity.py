"""Activity records, rollups, members and tracked threads (peer-reply tracking).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activity_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.SmallInteger(), nullable=False),
    sa.Column('ref_id', sa.BigInteger(), nullable=False),
    sa.Column('occurred_at', UTCDateTime(), nullable=False),
    sa.Column('channel_id', sa.BigInteger(), nullable=True),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_id', sa.BigInteger(), nullable=False),
    sa.Column('actor_role', sa.SmallInteger(), nullable=False),
    sa.Column('target_id', sa.BigInteger(), nullable=True),
    sa.Column('target_role', sa.SmallInteger(), nullable=True),
    sa.Column('interaction', sa.SmallInteger(), nullable=False),
    sa.Column('context', sa.SmallInteger(), nullable=False),
    sa.Column('starts_conversation', sa.Boolean(), nullable=False),
    sa.Column('emoji', sa.String(length=100), nullable=False),
    sa.Column('reply_to_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_events')),
    sa.UniqueConstraint('guild_id', 'kind', 'ref_id', 'actor_id', 'emoji', name='uq_activity_events_ref')
    )
    with op.batch_alter_table('activity_events', schema=None) as batch_op:
        batch_op.create_index('ix_activity_events_guild_actor_time', ['guild_id', 'actor_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_activity_events_guild_thread', ['guild_id', 'thread_id'], unique=False)
        batch_op.create_index('ix_activity_events_guild_reply_to', ['guild_id', 'reply_to_id'], unique=False)
        batch_op.create_index('ix_activity_events_guild_channel_ref', ['guild_id', 'channel_id', 'ref_id'], unique=False)
        batch_op.create_index('ix_activity_events_guild_time', ['guild_id', 'occurred_at'], unique=False)

    op.create_table('daily_channel_activity',
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('member_messages', sa.BigInteger(), nullable=False),
    sa.Column('staff_messages', sa.BigInteger(), nullable=False),
    sa.Column('bot_messages', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('guild_id', 'day', 'channel_id', name=op.f('pk_daily_channel_activity'))
    )
    op.create_table('daily_guild_activity',
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('member_messages', sa.BigInteger(), nullable=False),
    sa.Column('staff_messages', sa.BigInteger(), nullable=False),
    sa.Column('bot_messages', sa.BigInteger(), nullable=False),
    sa.Column('peer_interactions', sa.BigInteger(), nullable=False),
    sa.Column('staff_interactions', sa.BigInteger(), nullable=False),
    sa.Column('reactions', sa.BigInteger(), nullable=False),
    sa.Column('joins', sa.BigInteger(), nullable=False),
    sa.Column('leaves', sa.BigInteger(), nullable=False),
    sa.Column('conversations', sa.BigInteger(), nullable=False),
    sa.Column('member_conversations', sa.BigInteger(), nullable=False),
    sa.Column('member_threads', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('guild_id', 'day', name=op.f('pk_daily_guild_activity'))
    )
    op.create_table('daily_member_activity',
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('messages', sa.BigInteger(), nullable=False),
    sa.Column('peer_given', sa.BigInteger(), nullable=False),
    sa.Column('peer_received', sa.BigInteger(), nullable=False),
    sa.Column('staff_received', sa.BigInteger(), nullable=False),
    sa.Column('reactions_given', sa.BigInteger(), nullable=False),
    sa.Column('reactions_received', sa.BigInteger(), nullable=False),
    sa.Column('ritual_messages', sa.BigInteger(), nullable=False),
    sa.Column('threads_created', sa.BigInteger(), nullable=False),
    sa.Column('conversations_started', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('guild_id', 'day', 'user_id', name=op.f('pk_daily_member_activity'))
    )
    with op.batch_alter_table('daily_member_activity', schema=None) as batch_op:
        batch_op.create_index('ix_daily_member_activity_guild_day', ['guild_id', 'day'], unique=False)

    op.create_table('members',
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('joined_at', UTCDateTime(), nullable=True),
    sa.Column('left_at', UTCDateTime(), nullable=True),
    sa.Column('is_bot', sa.Boolean(), nullable=False),
    sa.Column('is_staff', sa.Boolean(), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('guild_id', 'user_id', name=op.f('pk_members'))
    )
    op.create_table('tracked_threads',
    sa.Column('thread_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=True),
    sa.Column('owner_id', sa.BigInteger(), nullable=True),
    sa.Column('context', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('thread_id', name=op.f('pk_tracked_threads'))
    )
    with op.batch_alter_table('tracked_threads', schema=None) as batch_op:
        batch_op.create_index('ix_tracked_threads_guild', ['guild_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tracked_threads', schema=None) as batch_op:
        batch_op.drop_index('ix_tracked_threads_guild')

    op.drop_table('tracked_threads')
    op.drop_table('members')
    with op.batch_alter_table('daily_member_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_member_activity_guild_day')

    op.drop_table('daily_member_activity')
    op.drop_table('daily_guild_activity')
    op.drop_table('daily_channel_activity')
    with op.batch_alter_table('activity_events', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_events_guild_time')
        batch_op.drop_index('ix_activity_events_guild_thread')
        batch_op.drop_index('ix_activity_events_guild_reply_to')
        batch_op.drop_index('ix_activity_events_guild_channel_ref')
        batch_op.drop_index('ix_activity_events_guild_actor_time')

    op.drop_table('activity_events')
