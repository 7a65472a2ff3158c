"""The privacy registry refuses markers that would leak or over-erase data."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Integer, MetaData, String, Table

from bot.db.models import Base
from bot.privacy.registry import RegistryError, personal_tables, retention_columns, validate


def _guild_table(metadata: MetaData, name: str, *columns: Column[object]) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("guild_id", BigInteger),
        *columns,
    )


def test_the_project_models_are_consistent() -> None:
    validate()


def test_a_personal_table_needs_a_guild_column() -> None:
    metadata = MetaData()
    Table("t", metadata, Column("user_id", BigInteger, info={"user": True}))
    with pytest.raises(RegistryError, match="no guild_id"):
        personal_tables(metadata)


def test_unlinking_needs_a_nullable_column() -> None:
    metadata = MetaData()
    _guild_table(
        metadata,
        "t",
        Column("target_id", BigInteger, nullable=False, info={"user": True, "on_forget": "null"}),
    )
    with pytest.raises(RegistryError, match="nullable"):
        validate(metadata)


@pytest.mark.parametrize("info", [{"on_forget": "shred"}, {"on_opt_out": "maybe"}])
def test_unknown_behaviours_are_refused(info: dict[str, str]) -> None:
    metadata = MetaData()
    _guild_table(metadata, "t", Column("user_id", BigInteger, info={"user": True, **info}))
    with pytest.raises(RegistryError):
        validate(metadata)


def test_retention_needs_a_time_column() -> None:
    metadata = MetaData()
    _guild_table(metadata, "t", Column("label", String(10), info={"retention": True}))
    with pytest.raises(RegistryError, match="date/time"):
        retention_columns(metadata)


def test_retention_accepts_dates_and_times() -> None:
    metadata = MetaData()
    _guild_table(metadata, "t", Column("at", DateTime(timezone=True), info={"retention": True}))
    assert [rc.column.name for rc in retention_columns(metadata)] == ["at"]


def test_forgetting_one_member_must_not_cascade_into_anothers_rows() -> None:
    metadata = MetaData()
    _guild_table(metadata, "surveys", Column("opened_by", BigInteger, info={"user": True}))
    _guild_table(
        metadata,
        "answers",
        Column("survey_id", ForeignKey("surveys.id", ondelete="CASCADE")),
        Column("user_id", BigInteger, info={"user": True}),
    )
    with pytest.raises(RegistryError, match="other members' rows"):
        validate(metadata)


def test_a_set_null_foreign_key_is_fine() -> None:
    metadata = MetaData()
    _guild_table(metadata, "welcomes", Column("user_id", BigInteger, info={"user": True}))
    _guild_table(
        metadata,
        "replies",
        Column("welcome_id", ForeignKey("welcomes.id", ondelete="SET NULL"), nullable=True),
        Column("user_id", BigInteger, info={"user": True}),
    )
    validate(metadata)


# Names that, in this codebase, hold a member's id; a new column named like this without a
# `user` marker would escape forget and export.
_LOOKS_LIKE_A_USER = re.compile(
    r"^(user|member|owner|author|actor|target|recipient|giver|receiver|helper|newcomer)_id$"
    r"|_by$"
)


def test_columns_named_like_user_ids_are_marked() -> None:
    unmarked = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if _LOOKS_LIKE_A_USER.search(column.name) and not column.info.get("user")
    ]
    assert unmarked == []
