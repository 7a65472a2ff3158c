"""The weekly digest's settings per guild: on/off, day, hour, compact or full (issue 15).

PLACEHOLDER reserved so that parallel work keeps one migration chain; filled by its issue's
work or removed before the session ends.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
