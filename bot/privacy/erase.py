"""Deleting rows without tripping over foreign keys, whatever tables later features add."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Table, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

_MAX_DEPTH = 8


async def delete_rows(
    session: AsyncSession, table: Table, condition: ColumnElement[bool], *, _depth: int = 0
) -> int:
    """Delete the rows of `table` matching `condition` and return how many went.

    Rows of other tables that reference them go first (or have the reference set to NULL
    when their foreign key says `ondelete="SET NULL"`), so erasing a member or a guild never
    fails on a foreign key a later feature added, on SQLite as on PostgreSQL.
    """
    if _depth > _MAX_DEPTH:
        raise RuntimeError(f"foreign keys nest deeper than {_MAX_DEPTH} below {table.name}")
    count = 0
    for child in table.metadata.sorted_tables:
        if child is table:
            continue
        for fk in child.foreign_key_constraints:
            if fk.referred_table is not table:
                continue
            local = list(fk.columns)
            parents = select(*(element.column for element in fk.elements)).where(condition)
            match = local[0].in_(parents) if len(local) == 1 else tuple_(*local).in_(parents)
            if (fk.ondelete or "").upper() == "SET NULL":
                await session.execute(
                    update(child).where(match).values({c.name: None for c in local})
                )
            else:
                count += await delete_rows(session, child, match, _depth=_depth + 1)
    result = cast(CursorResult[Any], await session.execute(delete(table).where(condition)))
    return count + max(result.rowcount, 0)


async def unlink(
    session: AsyncSession, table: Table, condition: ColumnElement[bool], column_name: str
) -> int:
    """Set `column_name` to NULL in the rows matching `condition`; return how many."""
    statement = update(table).where(condition).values({column_name: None})
    result = cast(CursorResult[Any], await session.execute(statement))
    return max(result.rowcount, 0)
