"""The guild's French voice and the member-facing texts its admins wrote (issue 16).

`guild_settings.french_register` ("vous", the default, or "tu") and `inclusive_writing`
(off by default) choose how every French text Foyer writes speaks (bot.i18n). Existing
guilds keep today's voice: *vous*, no inclusive writing. `guild_texts` holds, per guild and
key, a text an admin wrote in place of Foyer's own (nudge, spotlight post, survey question
and buttons, ritual button), checked as a welcome text is when saved.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("guild_settings") as batch:
        batch.add_column(
            sa.Column("french_register", sa.String(4), server_default="vous", nullable=False)
        )
        batch.add_column(
            sa.Column("inclusive_writing", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "guild_texts",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guild_id"],
            ["guild_settings.guild_id"],
            name=op.f("fk_guild_texts_guild_id_guild_settings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("guild_id", "key", name=op.f("pk_guild_texts")),
    )


def downgrade() -> None:
    op.drop_table("guild_texts")
    with op.batch_alter_table("guild_settings") as batch:
        batch.drop_column("inclusive_writing")
        batch.drop_column("french_register")
