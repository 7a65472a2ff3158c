"""Manager roles and the web dashboard's state (issue 19).

PLACEHOLDER reserved so that parallel work keeps one migration chain; filled by its issue's
work or removed before the session ends.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

from __future__ import annotations

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
