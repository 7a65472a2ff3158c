"""Where personal data lives, read from the models' column markers.

Privacy code never lists tables by hand: a feature that adds a table marks its columns and
is covered by forget, opt-out, export and the purges without touching this package.

Markers (in `mapped_column(..., info={...})`):

- `"user": True` — the column holds a member's Discord user id. Forget deletes every row of
  the guild where it equals the member (this is the default, `"on_forget": "delete"`).
- `"on_forget": "null"` — the member is only the *target* of someone else's action (the
  replied-to member, a thread's owner): forget sets the column to NULL and keeps the row, so
  the other member's activity stays, no longer linked to the forgotten one. The column must
  be nullable.
- `"on_opt_out": "keep"` — a choice the member made (their `members` row carrying the
  opt-out flag, a spotlight refusal): opting out keeps it, because it is what makes the
  opt-out last. Forget still deletes it.
- `"retention": True` on a date or datetime column — the daily purge deletes the guild's rows
  older than the guild's retention window, measured on that column.

Every table with a `user` column must have a `guild_id` column: forgetting someone in one
guild never touches another guild. `validate()` enforces all this and a test runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Column, Date, DateTime, MetaData, Table
from sqlalchemy.types import TypeDecorator

import bot.db.models  # noqa: F401  (registers every table on Base.metadata)
from bot.db.base import Base

OnForget = Literal["delete", "null"]
_ON_FORGET: tuple[OnForget, ...] = ("delete", "null")
_ON_OPT_OUT = ("purge", "keep")


class RegistryError(ValueError):
    """A model's privacy markers are inconsistent: a programming error, caught by a test."""


@dataclass(frozen=True)
class UserColumn:
    column: Column[int]
    on_forget: OnForget
    keep_on_opt_out: bool


@dataclass(frozen=True)
class PersonalTable:
    """A table holding member ids, with its guild column and how each id column is erased."""

    table: Table
    guild_column: Column[int]
    user_columns: tuple[UserColumn, ...]

    @property
    def name(self) -> str:
        return self.table.name


@dataclass(frozen=True)
class RetentionColumn:
    table: Table
    guild_column: Column[int]
    column: Column[object]
    is_date: bool


def personal_tables(metadata: MetaData = Base.metadata) -> list[PersonalTable]:
    """Every table with a `user` column, in dependency order (parents first)."""
    found = []
    for table in metadata.sorted_tables:
        columns = tuple(_user_column(c) for c in table.columns if c.info.get("user"))
        if columns:
            found.append(PersonalTable(table, _guild_column(table), columns))
    return found


def guild_tables(metadata: MetaData = Base.metadata) -> list[Table]:
    """Every table with a `guild_id` column, in dependency order (parents first)."""
    return [t for t in metadata.sorted_tables if "guild_id" in t.columns]


def retention_columns(metadata: MetaData = Base.metadata) -> list[RetentionColumn]:
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if not column.info.get("retention"):
                continue
            kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
            if not isinstance(kind, Date | DateTime):
                raise RegistryError(f"{table.name}.{column.name}: retention needs a date/time")
            found.append(
                RetentionColumn(table, _guild_column(table), column, isinstance(kind, Date))
            )
    return found


def validate(metadata: MetaData = Base.metadata) -> None:
    """Raise `RegistryError` on any inconsistent marker.

    Besides each marker's own rules: when forget deletes a row, rows of *other* personal
    tables pointing at it would go with it, erasing other members' data (an admin's survey
    taking every member's answers along). Such a foreign key must say `ondelete="SET NULL"`,
    or the parent's column must be `on_forget="null"`.
    """
    tables = personal_tables(metadata)
    retention_columns(metadata)
    deleted = {pt.table for pt in tables if any(uc.on_forget == "delete" for uc in pt.user_columns)}
    for pt in tables:
        for fk in pt.table.foreign_key_constraints:
            if fk.referred_table in deleted and (fk.ondelete or "").upper() != "SET NULL":
                raise RegistryError(
                    f"{pt.name} -> {fk.referred_table.name}: forgetting a member deletes the "
                    "parent and, through this foreign key, other members' rows"
                )


def _guild_column(table: Table) -> Column[int]:
    if "guild_id" not in table.columns:
        raise RegistryError(f"{table.name} holds personal data but has no guild_id column")
    return table.columns["guild_id"]


def _user_column(column: Column[int]) -> UserColumn:
    where = f"{column.table.name}.{column.name}"
    on_forget = column.info.get("on_forget", "delete")
    if on_forget not in _ON_FORGET:
        raise RegistryError(f"{where}: on_forget must be one of {_ON_FORGET}")
    if on_forget == "null" and not column.nullable:
        raise RegistryError(f"{where}: on_forget='null' needs a nullable column")
    on_opt_out = column.info.get("on_opt_out", "purge")
    if on_opt_out not in _ON_OPT_OUT:
        raise RegistryError(f"{where}: on_opt_out must be one of {_ON_OPT_OUT}")
    return UserColumn(column, on_forget, on_opt_out == "keep")
