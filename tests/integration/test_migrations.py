"""Migrations on both backends: upgrade, downgrade, upgrade again; no drift from the models;
datetimes that come back timezone-aware UTC."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from subprocess import PIPE
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import Database, create_engine
from bot.db.migrate import alembic_config, current_revision, downgrade, upgrade
from bot.db.models import Base, GuildSettings

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, never-migrated database of each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/migrations.db"
    return str(request.getfixturevalue("fresh_postgres_url"))


@pytest.fixture
async def engine(empty_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(empty_url)
    yield engine
    await engine.dispose()


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def drift(engine: AsyncEngine) -> list[object]:
    """What autogenerate would add to a new revision: empty when models match migrations."""

    def compare(sync_conn: object) -> list[object]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(compare)


def test_one_linear_history() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, "two migration heads: chain your down_revision"
    assert HEAD is not None


async def test_upgrade_downgrade_upgrade(engine: AsyncEngine) -> None:
    expected = {t.name for t in Base.metadata.sorted_tables}
    assert await current_revision(engine) is None

    await upgrade(engine)
    assert await current_revision(engine) == HEAD
    assert expected <= await table_names(engine)

    await downgrade(engine, "base")
    assert await current_revision(engine) is None
    assert await table_names(engine) <= {"alembic_version"}

    await upgrade(engine)
    assert await current_revision(engine) == HEAD
    assert expected <= await table_names(engine)


async def test_models_and_migrations_do_not_drift(engine: AsyncEngine) -> None:
    await upgrade(engine)
    differences = await drift(engine)
    assert differences == [], (
        "the models differ from the migrations; generate the missing operations with "
        "`alembic revision --autogenerate` (see docs/operations.md):\n"
        + "\n".join(map(str, differences))
    )


async def test_drift_check_sees_a_missing_migration(engine: AsyncEngine) -> None:
    """The drift test is only worth something if a missing table shows up."""
    await upgrade(engine)
    await downgrade(engine, "0001")
    assert any(diff[0] == "add_table" for diff in await drift(engine))  # type: ignore[index]


async def test_upgrade_is_idempotent(engine: AsyncEngine) -> None:
    await upgrade(engine)
    await upgrade(engine)
    assert await current_revision(engine) == HEAD


async def test_datetimes_come_back_aware_utc(engine: AsyncEngine) -> None:
    await upgrade(engine)
    db = Database(engine)
    # 03:30 in Paris, an hour after the clocks went forward, is 01:30 UTC.
    joined = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Paris"))
    async with db.session() as session:
        session.add(GuildSettings(guild_id=2**63 - 1, timezone="UTC", joined_at=joined))
    async with db.session() as session:
        session.expire_all()
        row = await session.get(GuildSettings, 2**63 - 1)
    assert row is not None
    assert row.joined_at == joined
    assert row.joined_at.tzinfo is UTC
    assert row.joined_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert row.left_at is None


async def test_naive_datetime_is_refused(engine: AsyncEngine) -> None:
    await upgrade(engine)
    db = Database(engine)
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.session() as session:
            session.add(GuildSettings(guild_id=1, timezone="UTC", joined_at=datetime(2026, 1, 1)))
    async with db.session() as session:
        assert await session.get(GuildSettings, 1) is None


def test_processes_starting_together_migrate_in_turn(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    """Shard processes share one PostgreSQL and often start at the same moment: every one
    must come up, not all but the first failing on "relation already exists"."""
    foyer = Path(sys.executable).parent / "foyer"
    env = {**os.environ, "DATABASE_URL": fresh_postgres_url}
    procs = [
        subprocess.Popen(
            [str(foyer), "migrate"], cwd=tmp_path, env=env, stdout=PIPE, stderr=PIPE, text=True
        )
        for _ in range(3)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == f"database at revision {HEAD}"
