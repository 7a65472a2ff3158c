"""The guild's French voice (tu or vous, inclusive writing) and admin-replaced member-facing texts (issue 16).

PLACEHOLDER reserved so that parallel work keeps one migration chain; filled by its issue's
work or removed before the session ends.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
