"""Spotlights and recommendation surveys.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('spotlight_config',
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('channel_id', sa.BigInteger(), nullable=True),
    sa.Column('cooldown_weeks', sa.SmallInteger(), nullable=False),
    sa.Column('suggestion_weekday', sa.SmallInteger(), nullable=True),
    sa.Column('suggestion_since', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('guild_id', name=op.f('pk_spotlight_config'))
    )
    op.create_table('spotlight_refusals',
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('refused_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('guild_id', 'user_id', name=op.f('pk_spotlight_refusals'))
    )
    op.create_table('spotlights',
    sa.Column('id', BIGINT_PK, autoincrement=True, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('posted_at', UTCDateTime(), nullable=False),
    sa.Column('posted_by', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.SmallInteger(), nullable=False),
    sa.Column('channel_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('period_days', sa.SmallInteger(), nullable=False),
    sa.Column('peer_given', sa.BigInteger(), nullable=False),
    sa.Column('members_helped', sa.BigInteger(), nullable=False),
    sa.Column('ritual_days', sa.BigInteger(), nullable=False),
    sa.Column('conversations_started', sa.BigInteger(), nullable=False),
    sa.Column('reactions_received', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spotlights'))
    )
    with op.batch_alter_table('spotlights', schema=None) as batch_op:
        batch_op.create_index('ix_spotlights_guild_member', ['guild_id', 'member_id'], unique=False)
        batch_op.create_index('ix_spotlights_guild_posted', ['guild_id', 'posted_at'], unique=False)

    op.create_table('surveys',
    sa.Column('id', BIGINT_PK, autoincrement=True, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('opened_at', UTCDateTime(), nullable=False),
    sa.Column('closes_at', UTCDateTime(), nullable=False),
    sa.Column('closed_at', UTCDateTime(), nullable=True),
    sa.Column('opened_by', sa.BigInteger(), nullable=True),
    sa.Column('channel_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('follow_up', sa.Boolean(), nullable=False),
    sa.Column('store_why', sa.Boolean(), nullable=False),
    sa.Column('message_closed', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index('ix_surveys_guild_opened', ['guild_id', 'opened_at'], unique=False)

    op.create_table('survey_answers',
    sa.Column('id', BIGINT_PK, autoincrement=True, nullable=False),
    sa.Column('survey_id', BIGINT_PK, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('answered_at', UTCDateTime(), nullable=False),
    sa.Column('why_given', sa.Boolean(), nullable=False),
    sa.Column('why_length_bucket', sa.SmallInteger(), nullable=False),
    sa.Column('why_text', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_answers_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
    sa.UniqueConstraint('survey_id', 'user_id', name='uq_survey_answers_survey_user')
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index('ix_survey_answers_guild_user', ['guild_id', 'user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_answers_guild_user')

    op.drop_table('survey_answers')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index('ix_surveys_guild_opened')

    op.drop_table('surveys')
    with op.batch_alter_table('spotlights', schema=None) as batch_op:
        batch_op.drop_index('ix_spotlights_guild_posted')
        batch_op.drop_index('ix_spotlights_guild_member')

    op.drop_table('spotlights')
    op.drop_table('spotlight_refusals')
    op.drop_table('spotlight_config')
