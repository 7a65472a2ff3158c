"""Peer mentoring: buddies for newcomers who ask for one, and opt-in introductions
between members (issue 18).

`buddy_configs` and `buddy_topic_roles` (the admin's settings), `buddy_volunteers` and
`buddy_volunteer_topics` (who volunteered, for how many, knowing which topics),
`buddy_requests` (a newcomer's offer and answer) and `buddy_matches` (one buddy given to
one newcomer; a replacement is a new row); `intros_configs`, `intros_members`,
`intros_rounds` (one per occurrence, with its counts), `intros_pairs` and
`intros_pair_members` (kept only as long as the rules need them). Ids and timestamps only.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _key(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), autoincrement=False, nullable=False)


def upgrade() -> None:
    op.create_table(
        "buddy_configs",
        _key("guild_id"),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("post_message_id", sa.BigInteger(), nullable=True),
        sa.Column("allow_staff", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_buddy_configs")),
    )
    op.create_table(
        "buddy_topic_roles",
        _key("guild_id"),
        _key("role_id"),
        sa.PrimaryKeyConstraint("guild_id", "role_id", name=op.f("pk_buddy_topic_roles")),
    )
    op.create_table(
        "buddy_volunteers",
        _key("guild_id"),
        _key("user_id"),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_buddy_volunteers")),
    )
    op.create_table(
        "buddy_volunteer_topics",
        _key("guild_id"),
        _key("user_id"),
        _key("role_id"),
        sa.PrimaryKeyConstraint(
            "guild_id", "user_id", "role_id", name=op.f("pk_buddy_volunteer_topics")
        ),
    )
    op.create_table(
        "buddy_requests",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("newcomer_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("offered_at", UTCDateTime(), nullable=False),
        sa.Column("offer_sent_at", UTCDateTime(), nullable=True),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("reoffered_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buddy_requests")),
        sa.UniqueConstraint(
            "guild_id", "newcomer_id", "thread_id", name=op.f("uq_buddy_requests_guild_id")
        ),
    )
    with op.batch_alter_table("buddy_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_buddy_requests_guild_offered", ["guild_id", "offered_at"], unique=False
        )
    op.create_table(
        "buddy_matches",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("newcomer_id", sa.BigInteger(), nullable=False),
        sa.Column("buddy_id", sa.BigInteger(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("matched_at", UTCDateTime(), nullable=False),
        sa.Column("announced_at", UTCDateTime(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("reminder_intent_at", UTCDateTime(), nullable=True),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_reason", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buddy_matches")),
    )
    with op.batch_alter_table("buddy_matches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_buddy_matches_guild_matched", ["guild_id", "matched_at"], unique=False
        )
        batch_op.create_index(
            "ix_buddy_matches_guild_buddy", ["guild_id", "buddy_id"], unique=False
        )

    op.create_table(
        "intros_configs",
        _key("guild_id"),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("cadence_weeks", sa.SmallInteger(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_intros_configs")),
    )
    op.create_table(
        "intros_members",
        _key("guild_id"),
        _key("user_id"),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_intros_members")),
    )
    op.create_table(
        "intros_rounds",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("scheduled_for", UTCDateTime(), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("talked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intros_rounds")),
        sa.UniqueConstraint("guild_id", "scheduled_for", name=op.f("uq_intros_rounds_guild_id")),
    )
    op.create_table(
        "intros_pairs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("round_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("thread_intent_at", UTCDateTime(), nullable=True),
        sa.Column("prompt_sent_at", UTCDateTime(), nullable=True),
        sa.Column("talked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["intros_rounds.id"],
            name=op.f("fk_intros_pairs_round_id_intros_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intros_pairs")),
    )
    op.create_table(
        "intros_pair_members",
        sa.Column("pair_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        _key("user_id"),
        sa.Column("wrote_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pair_id"],
            ["intros_pairs.id"],
            name=op.f("fk_intros_pair_members_pair_id_intros_pairs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pair_id", "user_id", name=op.f("pk_intros_pair_members")),
    )


def downgrade() -> None:
    op.drop_table("intros_pair_members")
    op.drop_table("intros_pairs")
    op.drop_table("intros_rounds")
    op.drop_table("intros_members")
    op.drop_table("intros_configs")
    with op.batch_alter_table("buddy_matches", schema=None) as batch_op:
        batch_op.drop_index("ix_buddy_matches_guild_buddy")
        batch_op.drop_index("ix_buddy_matches_guild_matched")
    op.drop_table("buddy_matches")
    with op.batch_alter_table("buddy_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_buddy_requests_guild_offered")
    op.drop_table("buddy_requests")
    op.drop_table("buddy_volunteer_topics")
    op.drop_table("buddy_volunteers")
    op.drop_table("buddy_topic_roles")
    op.drop_table("buddy_configs")
