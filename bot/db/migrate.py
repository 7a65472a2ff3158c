"""Schema upgrades, run by `foyer migrate` and by the bot at start.

The Alembic configuration is built in code so that it works from any working directory,
and migrations run on a connection of the caller's engine (inside its event loop).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# Inside the package, so an installed Foyer (a wheel, the Docker image) carries its schema.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


# Any constant works; it names the lock every Foyer process takes before migrating.
_POSTGRES_LOCK_KEY = 0x466F796572  # "Foyer"


async def _lock(conn: AsyncConnection) -> None:
    """Make concurrent migrations take turns on PostgreSQL.

    Several processes (one per group of shards) often start together on a fresh database;
    without the lock, all but one fail on "relation already exists". The lock is released
    when the migration's transaction ends. SQLite serves one process, so it needs none.
    """
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_LOCK_KEY})


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` (the latest by default)."""
    async with engine.begin() as conn:
        await _lock(conn)
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the schema back to `revision` ("base" drops every table)."""
    async with engine.begin() as conn:
        await _lock(conn)
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
