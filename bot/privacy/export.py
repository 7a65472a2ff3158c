"""The JSON a member receives from `/privacy export`: their rows, and what each field means."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import Column

from bot.db.base import Base
from bot.db.models.activity import ActorRole, EventKind, Interaction, ThreadContext
from bot.i18n import t
from bot.privacy.registry import PersonalTable

EXPORT_FORMAT = "foyer-export/1"

# Small integer codes of the activity tables, spelled out so the export reads on its own.
_CODES: dict[str, type[IntEnum]] = {
    "activity_events.kind": EventKind,
    "activity_events.actor_role": ActorRole,
    "activity_events.target_role": ActorRole,
    "activity_events.interaction": Interaction,
    "activity_events.context": ThreadContext,
    "tracked_threads.context": ThreadContext,
}


def build_export(
    tables: Sequence[PersonalTable],
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    guild_id: int,
    user_id: int,
    now: datetime,
    lang: str,
) -> bytes:
    """Serialise the member's rows (as selected by the service) with an explanatory header."""
    about = {
        "format": EXPORT_FORMAT,
        "generated_at": now.isoformat(),
        "guild_id": str(guild_id),
        "user_id": str(user_id),
        "notes": [
            t("privacy.export.note_what", lang),
            t("privacy.export.note_ids", lang),
            t("privacy.export.note_others", lang),
            t("privacy.export.note_never", lang),
        ],
        "tables": {pt.name: _table_doc(pt) for pt in tables},
        "codes": {
            key: {str(int(member)): member.name.lower() for member in enum}
            for key, enum in _CODES.items()
        },
    }
    # A readable header, then one row per line: a year of activity stays a few MB.
    tables_json = ",\n".join(
        f"{json.dumps(pt.name)}: [\n"
        + ",\n".join(_dumps(_row(pt, row, user_id)) for row in rows.get(pt.name, ()))
        + "\n]"
        for pt in tables
    )
    about_json = json.dumps(about, ensure_ascii=False, indent=2)
    return f'{{"about": {about_json},\n"data": {{\n{tables_json}\n}}}}\n'.encode()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _row(pt: PersonalTable, row: Mapping[str, Any], user_id: int) -> dict[str, Any]:
    """One row as JSON values; another member's id becomes null (relationship data about
    someone else is not theirs to receive)."""
    user_columns = {uc.column.name for uc in pt.user_columns}
    out: dict[str, Any] = {}
    for column in pt.table.columns:
        value = row[column.name]
        if column.name in user_columns and value is not None and value != user_id:
            value = None
        out[column.name] = _json_value(column, value)
    return out


def _json_value(column: Column[Any], value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    is_snowflake = column.name.endswith("_id") or column.info.get("user")
    if isinstance(value, int) and not isinstance(value, bool) and is_snowflake:
        return str(value)  # snowflakes exceed what JavaScript numbers hold exactly
    return value


def _table_doc(pt: PersonalTable) -> str:
    """The first paragraph of the model's docstring: why the table exists."""
    for mapper in Base.registry.mappers:
        if mapper.local_table is pt.table and mapper.class_.__doc__:
            return " ".join(mapper.class_.__doc__.strip().split("\n\n")[0].split())
    return ""
