"""Buddies for newcomers and opt-in introductions between members (issue 18).

PLACEHOLDER reserved so that parallel work keeps one migration chain; filled by its issue's
work or removed before the session ends.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
