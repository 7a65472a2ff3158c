"""PrivacyService against a real database: forget, opt-out, export.

Rows are fabricated for EVERY table the models declare (walking the metadata), so a table
a later feature adds is exercised without editing this file; the explicit expected set
below fails when a known table loses its `user` marker.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import ActivityEvent, Base, Member
from bot.privacy import PrivacyService, personal_tables, validate

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
G1, G2 = 1_000_000_000_000_001, 1_000_000_000_000_002
U, V = 2_000_000_000_000_001, 2_000_000_000_000_002

# Tables known to hold member ids. A table missing here or losing its marker fails.
EXPECTED_PERSONAL_TABLES = {
    "activity_events",
    "members",
    "tracked_threads",
    "daily_member_activity",
    "welcome_configs",
    "welcomes",
    "spotlights",
    "spotlight_refusals",
    "surveys",
    "survey_answers",
}


class Fabricator:
    """Inserts one plausible row per table for a (guild, member) scenario: every user
    column names the member, foreign keys point at the scenario's parent rows, every other
    key is unique. Tables keyed by the guild alone get one row per guild."""

    def __init__(self, when: datetime) -> None:
        self.when = when
        self._ids: Iterator[int] = itertools.count(3_000_000_000_000_000)
        self._small_ids: Iterator[int] = itertools.count(1)  # keys of SMALLINT columns (kinds)
        self._seen: set[tuple[object, ...]] = set()

    async def scenario(
        self, session: AsyncSession, guild_id: int, user_id: int, *, when: datetime | None = None
    ) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for table in Base.metadata.sorted_tables:
            if not _belongs_to_guild(table, rows):
                continue
            values = self.values(table, guild_id, rows, {}, user_id, when or self.when)
            keys = _unique_keys(table, values)
            if keys & self._seen:  # e.g. the guild's one config row, or one rollup a day
                continue
            self._seen |= keys
            await session.execute(insert(table).values(values))
            rows[table.name] = values
        return rows

    def values(
        self,
        table: Table,
        guild_id: int,
        parents: dict[str, dict[str, Any]],
        users: dict[str, int],
        default_user: int,
        when: datetime,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for column in table.columns:
            values[column.name] = self._value(column, guild_id, parents, users, default_user, when)
        return values

    def _value(
        self,
        column: Column[Any],
        guild_id: int,
        parents: dict[str, dict[str, Any]],
        users: dict[str, int],
        default_user: int,
        when: datetime,
    ) -> Any:
        if column.name == "guild_id":
            return guild_id
        if column.info.get("user"):
            return users.get(column.name, default_user)
        for fk in column.foreign_keys:
            if fk.column.table.name in parents:
                return parents[fk.column.table.name][fk.column.name]
        kind = column.type
        if column.nullable and not column.info.get("retention") and not column.primary_key:
            return None  # optional facts (left_at, closed_at...) stay unset
        if isinstance(getattr(kind, "impl", kind), DateTime):
            return when
        if isinstance(kind, Date):
            return when.date()
        if isinstance(kind, Boolean):
            return False
        if column.primary_key or column.name.endswith("_id") or column.unique:
            if isinstance(kind, SmallInteger):  # PostgreSQL refuses a snowflake-sized value
                return next(self._small_ids)
            return next(self._ids) if not isinstance(kind, String) else f"k{next(self._ids)}"
        if column.default is not None and column.default.is_scalar:
            return column.default.arg
        if column.nullable:
            return None
        if isinstance(kind, Integer | Numeric):
            return 1
        if isinstance(kind, String):
            text = f"v{next(self._ids)}"
            return text[-kind.length :] if kind.length else text
        raise AssertionError(f"cannot fabricate {column.table.name}.{column.name} ({kind!r})")


def _belongs_to_guild(table: Table, rows: dict[str, dict[str, Any]]) -> bool:
    """A guild table, or a child whose every parent is already in this scenario."""
    if "guild_id" in table.columns:
        return all(fk.column.table.name in rows for fk in table.foreign_keys)
    return bool(table.foreign_keys) and all(
        fk.column.table.name in rows for fk in table.foreign_keys
    )


def _unique_keys(table: Table, values: dict[str, Any]) -> set[tuple[object, ...]]:
    """The row's primary key and unique-constraint tuples: what a second row must not repeat."""
    constraints = [table.primary_key] + [
        c for c in table.constraints if isinstance(c, UniqueConstraint)
    ]
    return {(table.name, c.name, *(values[col.name] for col in c.columns)) for c in constraints}


def _keyed_by_guild(table: Table) -> bool:
    return [c.name for c in table.primary_key.columns] == ["guild_id"]


async def snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, sorted, for before/after comparisons."""
    out: dict[str, list[dict[str, Any]]] = {}
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            result = await session.execute(select(table))
            out[table.name] = sorted((dict(r) for r in result.mappings()), key=repr)
    return out


def user_values(table: Table, row: dict[str, Any]) -> set[int]:
    return {row[c.name] for c in table.columns if c.info.get("user")}


class FakeRecorder:
    def __init__(self) -> None:
        self.opted_out: set[tuple[int, int]] = set()
        self.flushes = 0

    async def set_opted_out(self, guild_id: int, user_id: int, opted_out: bool) -> None:
        (self.opted_out.add if opted_out else self.opted_out.discard)((guild_id, user_id))

    async def flush(self) -> None:
        self.flushes += 1


@pytest.fixture
def recorder() -> FakeRecorder:
    return FakeRecorder()


@pytest.fixture
def service(database: Database, recorder: FakeRecorder) -> PrivacyService:
    return PrivacyService(database, ManualClock(NOW), recorder)


async def populate(db: Database) -> list[tuple[str, dict[str, Any]]]:
    """U and V in G1, U in G2, plus in G1 a row per personal table where V acted on U
    (V in the deleting columns, U in the `on_forget="null"` ones). Returns those rows."""
    fab = Fabricator(NOW)
    cross: list[tuple[str, dict[str, Any]]] = []
    async with db.session() as session:
        u_rows = await fab.scenario(session, G1, U)
        await fab.scenario(session, G1, V)
        await fab.scenario(session, G2, U)
        for pt in personal_tables():
            nulls = {uc.column.name: U for uc in pt.user_columns if uc.on_forget == "null"}
            if not nulls or len(nulls) == len(pt.user_columns) or _keyed_by_guild(pt.table):
                continue
            values = fab.values(pt.table, G1, u_rows, nulls, V, NOW)
            await session.execute(insert(pt.table).values(values))
            cross.append((pt.name, values))
    return cross


def test_registry_is_consistent_and_covers_the_known_tables() -> None:
    validate()
    assert {pt.name for pt in personal_tables()} >= EXPECTED_PERSONAL_TABLES


async def test_forget_erases_the_member_in_that_guild_only(
    database: Database, service: PrivacyService
) -> None:
    cross = await populate(database)
    before = await snapshot(database)

    touched = await service.forget(G1, U)
    after = await snapshot(database)

    checked = set()
    for pt in personal_tables():
        checked.add(pt.name)
        g1_after = [r for r in after[pt.name] if r["guild_id"] == G1]
        assert all(U not in user_values(pt.table, r) for r in g1_after), pt.name
        assert touched[pt.name] > 0, f"nothing about the member was erased from {pt.name}"
        # Other members' rows in the guild are untouched.
        v_before = [
            r for r in before[pt.name] if r["guild_id"] == G1 and U not in user_values(pt.table, r)
        ]
        assert all(r in g1_after for r in v_before), pt.name
    assert checked >= EXPECTED_PERSONAL_TABLES

    # Where V acted on U, V's row stays, unlinked from U.
    assert cross, "no table has a target column: the unlinking path is untested"
    for name, values in cross:
        table = Base.metadata.tables[name]
        key = [c.name for c in table.primary_key.columns]
        (row,) = [r for r in after[name] if all(r[k] == values[k] for k in key)]
        for column in table.columns:
            if column.info.get("on_forget") == "null":
                assert row[column.name] is None, f"{name}.{column.name}"
            elif column.info.get("user"):
                assert row[column.name] == V, f"{name}.{column.name}"

    # Other guilds, and tables without identity, are untouched.
    for name, rows in before.items():
        if "guild_id" not in Base.metadata.tables[name].columns:
            continue
        assert [r for r in after[name] if r["guild_id"] == G2] == [
            r for r in rows if r["guild_id"] == G2
        ], name
        if name not in checked:
            assert after[name] == rows, name


async def test_forget_twice_is_harmless(database: Database, service: PrivacyService) -> None:
    await populate(database)
    await service.forget(G1, U)
    once = await snapshot(database)
    assert sum((await service.forget(G1, U)).values()) == 0
    assert await snapshot(database) == once


async def test_opt_out_purges_keeps_the_flagged_member_row_and_stops_recording(
    database: Database, service: PrivacyService, recorder: FakeRecorder
) -> None:
    await populate(database)
    assert await service.opt_out(G1, U) is True
    assert (G1, U) in recorder.opted_out
    after = await snapshot(database)
    for pt in personal_tables():
        keep = {uc.column.name for uc in pt.user_columns if uc.keep_on_opt_out}
        leftovers = [
            r
            for r in after[pt.name]
            if r["guild_id"] == G1
            and any(r[c.name] == U for c in pt.table.columns if c.info.get("user"))
        ]
        assert all(any(r[k] == U for k in keep) for r in leftovers), pt.name
    members = [r for r in after["members"] if r["guild_id"] == G1 and r["user_id"] == U]
    assert len(members) == 1 and members[0]["opted_out"] is True
    assert await service.is_opted_out(G1, U)
    assert not await service.is_opted_out(G2, U)

    assert await service.opt_out(G1, U) is False  # idempotent
    assert await snapshot(database) == after


async def test_opt_out_of_an_unknown_member_creates_the_flag(
    database: Database, service: PrivacyService
) -> None:
    assert await service.opt_out(G1, U) is True
    assert await service.is_opted_out(G1, U)
    assert await service.opt_in(G1, U) is True
    assert not await service.is_opted_out(G1, U)
    assert await service.opt_in(G1, U) is False


async def test_opt_in_tells_the_recorder(
    database: Database, service: PrivacyService, recorder: FakeRecorder
) -> None:
    await service.opt_out(G1, U)
    await service.opt_in(G1, U)
    assert (G1, U) not in recorder.opted_out


async def test_export_holds_the_member_rows_and_nothing_of_others(
    database: Database, service: PrivacyService
) -> None:
    cross = await populate(database)
    exported = json.loads(await service.export(G1, U, "fr"))

    assert exported["about"]["user_id"] == str(U)
    assert "texte" in " ".join(exported["about"]["notes"])  # French header
    assert set(exported["data"]) >= EXPECTED_PERSONAL_TABLES
    for pt in personal_tables():
        rows = exported["data"][pt.name]
        assert rows, f"{pt.name}: the member's rows are missing"
        for row in rows:
            assert row["guild_id"] == str(G1)
            ids = {row[uc.column.name] for uc in pt.user_columns}
            assert str(U) in ids, pt.name
            assert ids <= {str(U), None}, f"{pt.name} leaks another member's id"
    text = json.dumps(exported)
    assert str(V) not in text and str(G2) not in text
    assert len(cross) >= 1


async def test_export_of_a_real_event_is_readable(
    database: Database, service: PrivacyService
) -> None:
    async with database.session() as session:
        session.add(
            ActivityEvent(
                guild_id=G1,
                kind=1,
                ref_id=123,
                occurred_at=NOW - timedelta(hours=1),
                channel_id=55,
                actor_id=U,
                actor_role=2,
                target_id=V,
                target_role=2,
            )
        )
        session.add(Member(guild_id=G1, user_id=U, joined_at=NOW - timedelta(days=3)))
    exported = json.loads(await service.export(G1, U))
    (event,) = exported["data"]["activity_events"]
    assert event["occurred_at"] == "2026-06-01T11:00:00+00:00"
    assert event["actor_id"] == str(U) and event["target_id"] is None
    assert exported["about"]["codes"]["activity_events.kind"]["1"] == "message"
    assert exported["about"]["tables"]["activity_events"]
    assert exported["data"]["members"][0]["joined_at"].startswith("2026-05-29")


async def test_forgetting_an_opted_out_member_keeps_them_opted_out(
    database: Database, service: PrivacyService
) -> None:
    await populate(database)
    await service.opt_out(G1, U)
    purged = await snapshot(database)

    assert sum((await service.forget(G1, U)).values()) == 0
    assert await service.is_opted_out(G1, U)
    assert await snapshot(database) == purged
