"""Tensions: counts of moderation actions per guild and day (issue 15).

PLACEHOLDER reserved so that parallel work keeps one migration chain; filled by its issue's
work or removed before the session ends.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
