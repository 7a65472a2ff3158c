"""Fixtures every test layer shares: a migrated database of the backend under test.

The backend is SQLite unless FOYER_TEST_DATABASE_URL names a PostgreSQL server, which is
how `.ci/run` runs the whole suite a second time on PostgreSQL. Each test gets an empty,
fully migrated database: on SQLite a copy of a file migrated once; on PostgreSQL a
database created for this run, truncated between tests.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db import Database, create_engine
from bot.db.migrate import upgrade
from bot.db.models import Base

POSTGRES_URL = os.environ.get(
    "FOYER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("FOYER_REQUIRE_POSTGRES") == "1"


def _backend_url() -> str | None:
    return os.environ.get("FOYER_TEST_DATABASE_URL") or None


async def _postgres_reachable(url: str) -> str | None:
    """None when reachable, else the reason."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()


async def _create_database(admin_url: str, name: str) -> str:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def _drop_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A reachable PostgreSQL server, or a skip (a failure under FOYER_REQUIRE_POSTGRES=1)."""
    reason = asyncio.run(_postgres_reachable(POSTGRES_URL))
    if reason is not None:
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable ({reason})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + "; FOYER_REQUIRE_POSTGRES=1 makes this a failure")
        pytest.skip(message + ": PostgreSQL tests skipped")
    return POSTGRES_URL


@pytest.fixture
def fresh_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """An empty, unmigrated PostgreSQL database of its own (for migration tests)."""
    name = f"foyer_t_{uuid.uuid4().hex[:12]}"
    url = asyncio.run(_create_database(postgres_admin_url, name))
    yield url
    asyncio.run(_drop_database(postgres_admin_url, name))


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The backend, migrated once per run: a SQLite file to copy, or a PostgreSQL URL."""
    backend = _backend_url()
    if backend is None:
        path = tmp_path_factory.mktemp("template") / "foyer.db"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
        yield str(path)
        return
    reason = asyncio.run(_postgres_reachable(backend))
    if reason is not None:
        pytest.fail(f"FOYER_TEST_DATABASE_URL={backend} is unreachable: {reason}")
    name = f"foyer_suite_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = asyncio.run(_create_database(backend, name))
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_drop_database(backend, name))


async def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
def database_url(_migrated_template: str, tmp_path: Path) -> str:
    """An empty, migrated database for this test alone."""
    if _backend_url() is None:
        target = tmp_path / "foyer.db"
        shutil.copyfile(_migrated_template, target)
        return f"sqlite+aiosqlite:///{target}"
    asyncio.run(_truncate_all(_migrated_template))
    return _migrated_template


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database.from_url(database_url)
    yield db
    await db.close()
